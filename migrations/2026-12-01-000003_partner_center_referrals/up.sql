-- One tracking row per Partner Center referral, with or without a domain.
CREATE TABLE partner_center_referrals (
    id               BIGSERIAL PRIMARY KEY,
    referral_id      TEXT NOT NULL UNIQUE,
    referral_type    TEXT,
    type             TEXT,
    qualification    TEXT,
    direction        TEXT,
    status           TEXT,
    substatus        TEXT,
    engagement_id    TEXT,
    company_name     TEXT,
    customer_name    TEXT,
    customer_country TEXT,
    domain           TEXT,
    raw_domain       TEXT,
    azure_tenant_id  TEXT,
    deal_value       NUMERIC(15, 2),
    currency         TEXT,
    link_status      TEXT NOT NULL DEFAULT 'unlinked',
    linked_lead_id   BIGINT REFERENCES companies (id) ON DELETE SET NULL,
    pc_created_at    TIMESTAMPTZ,
    pc_updated_at    TIMESTAMPTZ,
    content_hash     TEXT NOT NULL,
    raw_data         JSONB NOT NULL,
    synced_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX partner_center_referrals_domain_idx ON partner_center_referrals (domain);
CREATE INDEX partner_center_referrals_status_idx ON partner_center_referrals (status);
CREATE INDEX partner_center_referrals_referral_type_idx ON partner_center_referrals (referral_type);
CREATE INDEX partner_center_referrals_azure_tenant_id_idx ON partner_center_referrals (azure_tenant_id);
CREATE INDEX partner_center_referrals_synced_at_idx ON partner_center_referrals (synced_at);
CREATE INDEX partner_center_referrals_pc_updated_at_idx ON partner_center_referrals (pc_updated_at);
CREATE INDEX partner_center_referrals_linked_lead_id_idx ON partner_center_referrals (linked_lead_id);
