-- Hunter's ingestion log: one row per new or changed referral that has a domain.
CREATE TABLE raw_leads (
    id           BIGSERIAL PRIMARY KEY,
    source       TEXT NOT NULL,
    company_name TEXT,
    email        TEXT,
    website      TEXT,
    domain       TEXT NOT NULL,
    payload      JSONB NOT NULL,
    ingested_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX raw_leads_domain_idx ON raw_leads (domain);
CREATE INDEX raw_leads_source_idx ON raw_leads (source);
