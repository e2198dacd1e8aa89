-- One row per customer company, keyed by its registrable domain.
CREATE TABLE companies (
    id             BIGSERIAL PRIMARY KEY,
    domain         TEXT NOT NULL UNIQUE,
    canonical_name TEXT NOT NULL,
    provider       TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
