DROP TABLE hunter_tables;
