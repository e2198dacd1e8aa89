-- A referral's JSON is about 2 KB: just over the size (about 2 KB a row) at which Postgres
-- compresses a row's values with pglz, which costs more time on every insert than the 30% of
-- space it saves here. Rows stay uncompressed and in the table up to the largest size a page
-- allows (8160 bytes); larger ones are still compressed and moved out as before.
ALTER TABLE partner_center_referrals SET (toast_tuple_target = 8160);
ALTER TABLE raw_leads SET (toast_tuple_target = 8160);
