DROP TABLE lead_scores;
DROP TABLE domain_signals;
