DROP TABLE sync_state;
DROP TABLE sync_runs;
