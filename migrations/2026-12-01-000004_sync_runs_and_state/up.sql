-- One row per sync run (also dry, skipped and locked runs), committed apart from its data.
CREATE TABLE sync_runs (
    id                            BIGSERIAL PRIMARY KEY,
    started_at                    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at                   TIMESTAMPTZ,
    status                        TEXT NOT NULL,
    forced                        BOOLEAN NOT NULL DEFAULT false,
    dry_run                       BOOLEAN NOT NULL DEFAULT false,
    source                        TEXT NOT NULL CHECK (source IN ('api', 'file')),
    direction                     TEXT NOT NULL,
    fetched                       INTEGER NOT NULL DEFAULT 0,
    new                           INTEGER NOT NULL DEFAULT 0,
    updated                       INTEGER NOT NULL DEFAULT 0,
    unchanged                     INTEGER NOT NULL DEFAULT 0,
    skipped                       JSONB NOT NULL DEFAULT '{}',
    failed                        INTEGER NOT NULL DEFAULT 0,
    unlinked                      INTEGER NOT NULL DEFAULT 0,
    companies_created             INTEGER NOT NULL DEFAULT 0,
    companies_updated             INTEGER NOT NULL DEFAULT 0,
    raw_leads_inserted            INTEGER NOT NULL DEFAULT 0,
    scans_ok                      INTEGER NOT NULL DEFAULT 0,
    scans_failed                  INTEGER NOT NULL DEFAULT 0,
    scans_skipped_already_scanned INTEGER NOT NULL DEFAULT 0,
    scored                        INTEGER NOT NULL DEFAULT 0,
    pages                         INTEGER NOT NULL DEFAULT 0,
    duration_ms                   BIGINT NOT NULL DEFAULT 0,
    errors                        JSONB NOT NULL DEFAULT '{}',
    -- The run itself: its exit code, the message of its final `error:` line, the machine.
    exit_code                     INTEGER,
    error                         TEXT,
    host                          TEXT
);
CREATE INDEX sync_runs_started_at_idx ON sync_runs (started_at);

-- The incremental cursor per stream (`referrals:<direction>`).
CREATE TABLE sync_state (
    stream            TEXT PRIMARY KEY,
    cursor_updated_at TIMESTAMPTZ,
    cursor_id         TEXT,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
