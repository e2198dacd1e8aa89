-- hunter-pc's DNS scan of each company domain, from its latest scan (Hunter's domain_signals
-- receives a projection of it). `hunter_signal_id`: the id of the domain_signals row hunter-pc
-- last inserted for the domain; any other row of the domain is Hunter's.
CREATE TABLE scans (
    domain           TEXT PRIMARY KEY,
    scan_status      TEXT NOT NULL CHECK (scan_status IN ('success', 'failed', 'nxdomain')),
    scan_error       TEXT,
    mx_hosts         TEXT[],
    mx_root          TEXT,
    provider         TEXT,
    gateway          TEXT,
    local_provider   TEXT,
    spf              BOOLEAN,
    spf_record       TEXT,
    dkim             BOOLEAN,
    dkim_selectors   TEXT[],
    dmarc_policy     TEXT,
    dmarc_coverage   INTEGER,
    scanned_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts         INTEGER NOT NULL DEFAULT 1,
    hunter_signal_id BIGINT
);
CREATE INDEX scans_scanned_at_idx ON scans (scanned_at);

-- The readiness score and priority hunter-pc computed for each company domain with a
-- referral (Hunter's lead_scores receives a projection of it). `source`: `scan` (from
-- hunter-pc's scan), `hunter` (from a domain_signals row Hunter wrote), `tenant` (the Azure
-- tenant rule, without a scan).
CREATE TABLE scores (
    domain             TEXT PRIMARY KEY,
    readiness_score    INTEGER NOT NULL,
    segment            TEXT NOT NULL,
    reason             TEXT NOT NULL,
    technical_heat     TEXT NOT NULL,
    commercial_segment TEXT NOT NULL,
    commercial_heat    TEXT NOT NULL,
    priority_category  TEXT NOT NULL,
    priority_label     TEXT NOT NULL,
    priority_score     INTEGER NOT NULL,
    source             TEXT NOT NULL DEFAULT 'scan' CHECK (source IN ('scan', 'hunter', 'tenant')),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX scores_segment_idx ON scores (segment);
