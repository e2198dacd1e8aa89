-- hunter-pc's record of the tables it created in Hunter's schema: on an empty database
-- `migrate up` creates Hunter's five tables and names them here; `migrate down` drops only
-- what is named here. On a Hunter database it stays empty.
CREATE TABLE hunter_tables (
    name       TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
