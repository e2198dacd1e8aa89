ALTER TABLE raw_leads RESET (toast_tuple_target);
ALTER TABLE partner_center_referrals RESET (toast_tuple_target);
