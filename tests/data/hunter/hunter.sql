-- A Hunter database of the newest line (database shape `hunter`), for hunter-pc's tests.
--
-- Written for hunter-pc from its own description of Hunter's tables (docs/hunter-tables.md),
-- then checked column by column against Hunter's SQLAlchemy models, `app/db/models.py` of
-- brdfb/dyn365hunterv3:
--   branch feature/partner-center-phase1 at 3e2985752321e2fb7fbf9174bd63ecb10dc0efc7
--   (models.py last changed in ce03f66cd80a8731ed99566e7a1380a4f3f5193b; Alembic head
--   67a00e2b26ab, recorded in alembic_version below).
--
-- Where hunter-pc's description and Hunter's models differ (docs/decisions.md, hunter-database
-- section):
--   * partner_center_referrals.engagement_id, external_reference_id, customer_name and
--     raw_domain are varchar(255), substatus is varchar(50): the description names these
--     columns without a type of their own; the models' types are used.
--   * Every other column (name, type, length, nullability, server default) is as described.
--   * The models add indexes the description does not list (SQLAlchemy's `index=True` gives
--     ix_<table>_<column>, `unique=True` makes that index unique; partner_center_referrals has
--     seven more named idx_partner_center_referrals_*). All of them are here.
-- A Hunter database built by Hunter's Alembic chain instead of the models has the same columns
-- but names some indexes idx_* instead of ix_* and adds a unique constraint
-- uq_partner_center_referrals_referral_id: nothing may depend on index or constraint names.
--
-- Loaded with `search_path` set to Hunter's schema: no name here is schema-qualified.
-- The rows are what Hunter's CSV upload, domain ingest and scans write. Times are relative to
-- the load (now()), so Hunter's scans are recent: a fresh scan is not one hunter-pc refreshes.
-- Ids are the serials' first values, in the order of the INSERTs below.

-- ---------------------------------------------------------------------------------------------
-- Hunter's five tables.

CREATE TABLE raw_leads (
    id           serial                   NOT NULL,
    source       varchar(50)              NOT NULL,
    company_name varchar(255),
    email        varchar(255),
    website      varchar(255),
    domain       varchar(255)             NOT NULL,
    payload      jsonb,
    ingested_at  timestamp with time zone NOT NULL DEFAULT now(),
    PRIMARY KEY (id)
);
CREATE INDEX ix_raw_leads_id ON raw_leads (id);
CREATE INDEX ix_raw_leads_source ON raw_leads (source);
CREATE INDEX ix_raw_leads_domain ON raw_leads (domain);

CREATE TABLE companies (
    id                      serial                   NOT NULL,
    canonical_name          varchar(255)             NOT NULL,
    domain                  varchar(255)             NOT NULL,
    provider                varchar(50),
    tenant_size             varchar(50),
    country                 varchar(2),
    contact_emails          jsonb,
    contact_quality_score   integer,
    linkedin_pattern        varchar(255),
    d365_lead_id            varchar(255),
    d365_sync_status        varchar(50)                       DEFAULT 'pending',
    d365_sync_last_at       timestamp with time zone,
    d365_sync_error         text,
    d365_sync_attempt_count integer                           DEFAULT '0',
    updated_at              timestamp with time zone NOT NULL DEFAULT now(),
    PRIMARY KEY (id)
);
CREATE INDEX ix_companies_id ON companies (id);
CREATE UNIQUE INDEX ix_companies_domain ON companies (domain);
CREATE INDEX ix_companies_provider ON companies (provider);
CREATE INDEX ix_companies_tenant_size ON companies (tenant_size);
CREATE INDEX ix_companies_contact_quality_score ON companies (contact_quality_score);
CREATE INDEX ix_companies_d365_lead_id ON companies (d365_lead_id);
CREATE INDEX ix_companies_d365_sync_status ON companies (d365_sync_status);
CREATE INDEX ix_companies_d365_sync_attempt_count ON companies (d365_sync_attempt_count);
CREATE INDEX ix_companies_updated_at ON companies (updated_at);

CREATE TABLE partner_center_referrals (
    id                    serial                   NOT NULL,
    referral_id           varchar(255)             NOT NULL,
    engagement_id         varchar(255),
    external_reference_id varchar(255),
    referral_type         varchar(50),
    type                  varchar(50),
    qualification         varchar(50),
    direction             varchar(50),
    company_name          varchar(255),
    customer_name         varchar(255),
    customer_country      varchar(100),
    domain                varchar(255),
    raw_domain            varchar(255),
    link_status           varchar(50),
    linked_lead_id        integer,
    azure_tenant_id       varchar(255),
    status                varchar(50),
    substatus             varchar(50),
    deal_value            numeric(15, 2),
    currency              varchar(10),
    raw_data              jsonb,
    synced_at             timestamp with time zone NOT NULL DEFAULT now(),
    created_at            timestamp with time zone NOT NULL DEFAULT now(),
    updated_at            timestamp with time zone NOT NULL DEFAULT now(),
    PRIMARY KEY (id)
);
CREATE INDEX ix_partner_center_referrals_id ON partner_center_referrals (id);
CREATE UNIQUE INDEX ix_partner_center_referrals_referral_id ON partner_center_referrals (referral_id);
CREATE INDEX ix_partner_center_referrals_referral_type ON partner_center_referrals (referral_type);
CREATE INDEX ix_partner_center_referrals_direction ON partner_center_referrals (direction);
CREATE INDEX ix_partner_center_referrals_domain ON partner_center_referrals (domain);
CREATE INDEX ix_partner_center_referrals_link_status ON partner_center_referrals (link_status);
CREATE INDEX ix_partner_center_referrals_linked_lead_id ON partner_center_referrals (linked_lead_id);
CREATE INDEX ix_partner_center_referrals_azure_tenant_id ON partner_center_referrals (azure_tenant_id);
CREATE INDEX ix_partner_center_referrals_status ON partner_center_referrals (status);
CREATE INDEX ix_partner_center_referrals_substatus ON partner_center_referrals (substatus);
CREATE INDEX ix_partner_center_referrals_synced_at ON partner_center_referrals (synced_at);
CREATE INDEX idx_partner_center_referrals_domain ON partner_center_referrals (domain);
CREATE INDEX idx_partner_center_referrals_status ON partner_center_referrals (status);
CREATE INDEX idx_partner_center_referrals_synced_at ON partner_center_referrals (synced_at);
CREATE INDEX idx_partner_center_referrals_type ON partner_center_referrals (referral_type);
CREATE INDEX idx_partner_center_referrals_tenant_id ON partner_center_referrals (azure_tenant_id);
CREATE INDEX idx_partner_center_referrals_link_status ON partner_center_referrals (link_status);
CREATE INDEX idx_partner_center_referrals_linked_lead_id ON partner_center_referrals (linked_lead_id);

-- Several rows per domain are possible: no unique index on domain.
CREATE TABLE domain_signals (
    id             serial                   NOT NULL,
    domain         varchar(255)             NOT NULL
                   REFERENCES companies (domain) ON DELETE CASCADE,
    spf            boolean,
    dkim           boolean,
    dmarc_policy   varchar(50),
    dmarc_coverage integer,
    mx_root        varchar(255),
    local_provider varchar(255),
    registrar      varchar(255),
    expires_at     date,
    nameservers    text[],
    scan_status    varchar(50)              NOT NULL,
    scanned_at     timestamp with time zone NOT NULL DEFAULT now(),
    PRIMARY KEY (id)
);
CREATE INDEX ix_domain_signals_id ON domain_signals (id);
CREATE INDEX ix_domain_signals_domain ON domain_signals (domain);
CREATE INDEX ix_domain_signals_dmarc_coverage ON domain_signals (dmarc_coverage);
CREATE INDEX ix_domain_signals_mx_root ON domain_signals (mx_root);
CREATE INDEX ix_domain_signals_local_provider ON domain_signals (local_provider);
CREATE INDEX ix_domain_signals_scan_status ON domain_signals (scan_status);
CREATE INDEX ix_domain_signals_scanned_at ON domain_signals (scanned_at);

CREATE TABLE lead_scores (
    id                 serial                   NOT NULL,
    domain             varchar(255)             NOT NULL
                       REFERENCES companies (domain) ON DELETE CASCADE,
    readiness_score    integer                  NOT NULL,
    segment            varchar(50)              NOT NULL,
    reason             text,
    technical_heat     varchar(20),
    commercial_segment varchar(50),
    commercial_heat    varchar(20),
    priority_category  varchar(10),
    priority_label     varchar(100),
    updated_at         timestamp with time zone NOT NULL DEFAULT now(),
    PRIMARY KEY (id)
);
CREATE INDEX ix_lead_scores_id ON lead_scores (id);
CREATE INDEX ix_lead_scores_domain ON lead_scores (domain);
CREATE INDEX ix_lead_scores_readiness_score ON lead_scores (readiness_score);
CREATE INDEX ix_lead_scores_segment ON lead_scores (segment);
CREATE INDEX ix_lead_scores_technical_heat ON lead_scores (technical_heat);
CREATE INDEX ix_lead_scores_commercial_segment ON lead_scores (commercial_segment);
CREATE INDEX ix_lead_scores_commercial_heat ON lead_scores (commercial_heat);
CREATE INDEX ix_lead_scores_priority_category ON lead_scores (priority_category);
CREATE INDEX ix_lead_scores_updated_at ON lead_scores (updated_at);

-- ---------------------------------------------------------------------------------------------
-- One of Hunter's other tables that reference companies (its CRM notes).

CREATE TABLE notes (
    id         serial                   NOT NULL,
    domain     varchar(255)             NOT NULL
               REFERENCES companies (domain) ON DELETE CASCADE,
    note       text                     NOT NULL,
    created_at timestamp with time zone NOT NULL DEFAULT now(),
    updated_at timestamp with time zone NOT NULL DEFAULT now(),
    PRIMARY KEY (id)
);
CREATE INDEX ix_notes_id ON notes (id);
CREATE INDEX ix_notes_domain ON notes (domain);
CREATE INDEX ix_notes_created_at ON notes (created_at);

-- ---------------------------------------------------------------------------------------------
-- Hunter's lead list reads this view: every company with its signals and its score (a plain
-- outer join, so a domain with two signals rows is listed twice).

CREATE VIEW leads_ready AS
SELECT
    co.id             AS company_id,
    co.canonical_name,
    co.domain,
    co.provider,
    co.tenant_size,
    co.country,
    co.contact_emails,
    co.contact_quality_score,
    co.linkedin_pattern,
    co.updated_at     AS company_updated_at,
    co.d365_lead_id,
    co.d365_sync_status,
    co.d365_sync_last_at,
    co.d365_sync_error,
    sig.id            AS signal_id,
    sig.spf,
    sig.dkim,
    sig.dmarc_policy,
    sig.dmarc_coverage,
    sig.mx_root,
    sig.local_provider,
    sig.registrar,
    sig.expires_at,
    sig.nameservers,
    sig.scan_status,
    sig.scanned_at,
    sc.id             AS score_id,
    sc.readiness_score,
    sc.segment,
    sc.reason,
    sc.technical_heat,
    sc.commercial_segment,
    sc.commercial_heat,
    sc.priority_category,
    sc.priority_label,
    sc.updated_at     AS score_updated_at
FROM companies AS co
LEFT OUTER JOIN domain_signals AS sig ON sig.domain = co.domain
LEFT OUTER JOIN lead_scores AS sc ON sc.domain = co.domain;

-- ---------------------------------------------------------------------------------------------
-- Alembic's bookkeeping, at the head of this line.

CREATE TABLE alembic_version (
    version_num varchar(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version (version_num) VALUES ('67a00e2b26ab');

-- ---------------------------------------------------------------------------------------------
-- Rows.
--
-- companies (ids 1-7), as Hunter's ingestion creates them (the D365 columns keep their
-- defaults; provider is set by a scan unless the scan found no provider):
--   1 bursakalip.com.tr      CSV lead, scanned: Google, 90, Migration (one signals, one score row)
--   2 selcukmermer.com.tr    CSV lead, scanned twice: two signals rows (TürkHost, then M365)
--   3 ankarayazilim.com.tr   CSV lead, scan `whois_failed` (DNS fine: Yandex, 65, Migration)
--   4 torosun.com.tr         CSV lead, scan `success` without MX (no mx_root: Skip, 0)
--   5 marasgida.com.tr       CSV lead, scan `dns_timeout` (Skip, 0)
--   6 efesmobilya.com.tr     domain ingest, scanned by Hunter's single-domain scan (`completed`)
--   7 erciyestekstil.com.tr  domain ingest, never scanned

INSERT INTO raw_leads (source, company_name, email, website, domain, payload, ingested_at) VALUES
('csv', 'Bursa Kalıp Sanayi Ltd. Şti.', 'satinalma@bursakalip.com.tr', 'https://www.bursakalip.com.tr',
 'bursakalip.com.tr',
 '{"original_domain": "bursakalip.com.tr", "row_index": 0, "email": "satinalma@bursakalip.com.tr", "website": "https://www.bursakalip.com.tr"}',
 now() - interval '3 days 02:10'),
('csv', 'Selçuk Mermer San. ve Tic. A.Ş.', NULL, 'www.selcukmermer.com.tr',
 'selcukmermer.com.tr',
 '{"original_domain": "selcukmermer.com.tr", "row_index": 1, "email": null, "website": "www.selcukmermer.com.tr"}',
 now() - interval '3 days 02:10'),
('csv', 'Ankara Yazılım Danışmanlık Ltd. Şti.', 'info@ankarayazilim.com.tr', NULL,
 'ankarayazilim.com.tr',
 '{"original_domain": "ankarayazilim.com.tr", "row_index": 2, "email": "info@ankarayazilim.com.tr", "website": null}',
 now() - interval '3 days 02:10'),
('csv', 'Toros Un Sanayi A.Ş.', NULL, NULL,
 'torosun.com.tr',
 '{"original_domain": "TorosUn.com.tr", "row_index": 3, "email": null, "website": null}',
 now() - interval '3 days 02:10'),
('csv', 'Maraş Gıda Dondurma Ltd. Şti.', 'muhasebe@marasgida.com.tr', NULL,
 'marasgida.com.tr',
 '{"original_domain": "marasgida.com.tr", "row_index": 4, "email": "muhasebe@marasgida.com.tr", "website": null}',
 now() - interval '3 days 02:10'),
('domain', 'Efes Mobilya Dekorasyon A.Ş.', NULL, 'https://efesmobilya.com.tr/iletisim',
 'efesmobilya.com.tr',
 '{"original_domain": "efesmobilya.com.tr", "email": null, "website": "https://efesmobilya.com.tr/iletisim"}',
 now() - interval '1 day 05:00'),
('domain', 'Erciyes Tekstil Ltd. Şti.', NULL, NULL,
 'erciyestekstil.com.tr',
 '{"original_domain": "erciyestekstil.com.tr", "email": null, "website": null}',
 now() - interval '06:30');

INSERT INTO companies (canonical_name, domain, provider, tenant_size, updated_at) VALUES
('Bursa Kalıp Sanayi Ltd. Şti.', 'bursakalip.com.tr', 'Google', NULL, now() - interval '3 days 02:05'),
('Selçuk Mermer San. ve Tic. A.Ş.', 'selcukmermer.com.tr', 'M365', NULL, now() - interval '2 days 01:00'),
('Ankara Yazılım Danışmanlık Ltd. Şti.', 'ankarayazilim.com.tr', 'Yandex', NULL, now() - interval '3 days 02:04'),
('Toros Un Sanayi A.Ş.', 'torosun.com.tr', NULL, NULL, now() - interval '3 days 02:10'),
('Maraş Gıda Dondurma Ltd. Şti.', 'marasgida.com.tr', NULL, NULL, now() - interval '3 days 02:10'),
('Efes Mobilya Dekorasyon A.Ş.', 'efesmobilya.com.tr', 'M365', 'medium', now() - interval '1 day 04:55'),
('Erciyes Tekstil Ltd. Şti.', 'erciyestekstil.com.tr', NULL, NULL, now() - interval '06:30');

-- Signals ids 1-7. selcukmermer.com.tr has two rows, an older scan (TürkHost, id 2) and a newer
-- one (Microsoft 365, id 3): Hunter's scans delete a domain's rows before inserting one, but
-- scans that overlap leave two.
INSERT INTO domain_signals (domain, spf, dkim, dmarc_policy, dmarc_coverage, mx_root, local_provider,
                            registrar, expires_at, nameservers, scan_status, scanned_at) VALUES
('bursakalip.com.tr', true, true, 'reject', 100, 'google.com', NULL,
 'Natro Bilişim Hizmetleri A.Ş.', '2027-06-30', '{ns1.natrohost.com,ns2.natrohost.com}',
 'success', now() - interval '3 days 02:05'),
('selcukmermer.com.tr', true, false, 'none', 100, 'turkhost.com.tr', 'TürkHost',
 'TürkHost Bilişim Ltd. Şti.', '2028-01-15', '{ns1.turkhost.com.tr,ns2.turkhost.com.tr}',
 'success', now() - interval '20 days'),
('selcukmermer.com.tr', true, true, 'quarantine', 100, 'outlook.com', NULL,
 'TürkHost Bilişim Ltd. Şti.', '2028-01-15', '{ns1.turkhost.com.tr,ns2.turkhost.com.tr}',
 'success', now() - interval '2 days 01:00'),
('ankarayazilim.com.tr', true, true, 'quarantine', 100, 'yandex.net', NULL,
 NULL, NULL, NULL,
 'whois_failed', now() - interval '3 days 02:04'),
('torosun.com.tr', true, false, NULL, NULL, NULL, NULL,
 'İsimtescil Bilişim A.Ş.', '2026-11-02', '{ns1.isimtescil.net,ns2.isimtescil.net}',
 'success', now() - interval '3 days 02:03'),
('marasgida.com.tr', false, false, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL,
 'dns_timeout', now() - interval '3 days 02:02'),
('efesmobilya.com.tr', true, false, 'none', 100, 'outlook.com', NULL,
 'Natro Bilişim Hizmetleri A.Ş.', '2027-09-08', '{ns1.natrohost.com,ns2.natrohost.com}',
 'completed', now() - interval '1 day 04:55');

-- Scores ids 1-6, one per scanned domain, as Hunter's scorer computes them.
INSERT INTO lead_scores (domain, readiness_score, segment, reason, technical_heat, commercial_segment,
                         commercial_heat, priority_category, priority_label, updated_at) VALUES
('bursakalip.com.tr', 90, 'Migration', 'Cloud kullanıcıları, geçişe hazır. Score: 90, Provider: Google',
 'Warm', 'COMPETITIVE', 'HIGH', 'P2', 'Competitive Takeover', now() - interval '3 days 02:05'),
('selcukmermer.com.tr', 85, 'Existing', 'Zaten M365 kullanıyor, koruma/upsell potansiyeli. Score: 85, Provider: M365',
 'Hot', 'RENEWAL', 'MEDIUM', 'P4', 'Renewal Pressure', now() - interval '2 days 01:00'),
('ankarayazilim.com.tr', 65, 'Migration', 'Cloud kullanıcıları, geçişe hazır. Score: 65, Provider: Yandex',
 'Warm', 'COMPETITIVE', 'HIGH', 'P2', 'Competitive Takeover', now() - interval '3 days 02:04'),
('torosun.com.tr', 0, 'Skip', 'Hard-fail: MX kaydı yok',
 NULL, NULL, NULL, NULL, NULL, now() - interval '3 days 02:03'),
('marasgida.com.tr', 0, 'Skip', 'Hard-fail: MX kaydı yok',
 NULL, NULL, NULL, NULL, NULL, now() - interval '3 days 02:02'),
('efesmobilya.com.tr', 35, 'Existing', 'Zaten M365 kullanıyor, koruma/upsell potansiyeli. Score: 35, Provider: M365',
 'Hot', 'WEAK_PARTNER', 'MEDIUM', 'P3', 'Existing Microsoft but Weak Partner', now() - interval '1 day 04:55');

INSERT INTO notes (domain, note, created_at, updated_at) VALUES
('bursakalip.com.tr', 'Satın alma müdürüyle görüşüldü; Google Workspace sözleşmesi mart ayında yenileniyor.',
 now() - interval '2 days 20:00', now() - interval '2 days 20:00');
