DROP TABLE scores;
DROP TABLE scans;
