DROP TABLE partner_center_referrals;
