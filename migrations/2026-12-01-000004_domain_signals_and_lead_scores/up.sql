-- The DNS mail picture of a company domain (one row per domain, from its latest scan).
CREATE TABLE domain_signals (
    domain         TEXT PRIMARY KEY REFERENCES companies (domain) ON DELETE CASCADE ON UPDATE CASCADE,
    scan_status    TEXT NOT NULL CHECK (scan_status IN ('success', 'failed', 'nxdomain')),
    scan_error     TEXT,
    mx_hosts       TEXT[],
    mx_root        TEXT,
    provider       TEXT,
    gateway        TEXT,
    local_provider TEXT,
    spf            BOOLEAN,
    spf_record     TEXT,
    dkim           BOOLEAN,
    dkim_selectors TEXT[],
    dmarc_policy   TEXT,
    dmarc_coverage INTEGER,
    scanned_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX domain_signals_scan_status_idx ON domain_signals (scan_status);

-- The readiness score and priority of a company domain.
CREATE TABLE lead_scores (
    domain             TEXT PRIMARY KEY REFERENCES companies (domain) ON DELETE CASCADE ON UPDATE CASCADE,
    readiness_score    INTEGER NOT NULL,
    segment            TEXT NOT NULL,
    reason             TEXT NOT NULL,
    technical_heat     TEXT NOT NULL,
    commercial_segment TEXT NOT NULL,
    commercial_heat    TEXT NOT NULL,
    priority_category  TEXT NOT NULL,
    priority_label     TEXT NOT NULL,
    priority_score     INTEGER NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX lead_scores_segment_idx ON lead_scores (segment);
