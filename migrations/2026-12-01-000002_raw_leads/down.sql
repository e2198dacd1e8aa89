DROP TABLE raw_leads;
