-- hunter-pc's complete record of each Partner Center referral, full length (Hunter's
-- partner_center_referrals receives a projection of it). `company_id` is the id of the
-- company in Hunter's `companies`: no foreign key, so nothing of hunter-pc's constrains
-- Hunter's tables.
CREATE TABLE referrals (
    id                    BIGSERIAL PRIMARY KEY,
    referral_id           TEXT NOT NULL UNIQUE,
    referral_type         TEXT,
    type                  TEXT,
    qualification         TEXT,
    direction             TEXT,
    status                TEXT,
    substatus             TEXT,
    engagement_id         TEXT,
    external_reference_id TEXT,
    company_name          TEXT,
    customer_name         TEXT,
    customer_country      TEXT,
    domain                TEXT,
    raw_domain            TEXT,
    azure_tenant_id       TEXT,
    deal_value            NUMERIC(15, 2),
    currency              TEXT,
    link_status           TEXT NOT NULL DEFAULT 'unlinked',
    company_id            BIGINT,
    pc_created_at         TIMESTAMPTZ,
    pc_updated_at         TIMESTAMPTZ,
    content_hash          TEXT NOT NULL,
    raw_data              JSONB NOT NULL,
    synced_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX referrals_domain_idx ON referrals (domain);
CREATE INDEX referrals_company_id_idx ON referrals (company_id);
CREATE INDEX referrals_pc_updated_at_idx ON referrals (pc_updated_at);

-- A referral's JSON is about 2 KB: just over the size (about 2 KB a row) at which Postgres
-- compresses a row's values with pglz, which costs more time on every insert than the 30% of
-- space it saves here. Rows stay uncompressed and in the table up to the largest size a page
-- allows (8160 bytes); larger ones are still compressed and moved out as before.
ALTER TABLE referrals SET (toast_tuple_target = 8160);
