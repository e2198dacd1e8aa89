//! Hunter's five tables on an `empty` database (hunter-database.md §2): created by `migrate up`
//! exactly as Hunter's newest models create them, recorded in hunter-pc's `hunter_tables`, and
//! dropped by `migrate down` (to nothing) only when nothing outside them depends on them and
//! they hold only rows hunter-pc wrote.
//!
//! The statements are built here, with Hunter's schema as a quoted identifier, not in an
//! embedded migration: the migrations run with hunter-pc's own schema as their only
//! `search_path`, and Hunter's schema is a setting.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::layout::{HUNTER_TABLES, Schemas, quote};
use crate::error::{Error, Result};
use crate::model::RAW_LEAD_SOURCE;

/// Hunter's newest models' tables, columns, defaults, keys and the indexes SQLAlchemy makes
/// (`index=True` gives `ix_<table>_<column>`; the `idx_partner_center_referrals_*` indexes
/// are the models' own), checked against `app/db/models.py` of brdfb/dyn365hunterv3 at
/// 3e2985752321e2fb7fbf9174bd63ecb10dc0efc7 (branch feature/partner-center-phase1). `{s}` is
/// Hunter's schema. The `leads_ready` view is Hunter's to create.
const DDL: &str = r#"
CREATE TABLE {s}.raw_leads (
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
CREATE INDEX ix_raw_leads_id ON {s}.raw_leads (id);
CREATE INDEX ix_raw_leads_source ON {s}.raw_leads (source);
CREATE INDEX ix_raw_leads_domain ON {s}.raw_leads (domain);

CREATE TABLE {s}.companies (
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
CREATE INDEX ix_companies_id ON {s}.companies (id);
CREATE UNIQUE INDEX ix_companies_domain ON {s}.companies (domain);
CREATE INDEX ix_companies_provider ON {s}.companies (provider);
CREATE INDEX ix_companies_tenant_size ON {s}.companies (tenant_size);
CREATE INDEX ix_companies_contact_quality_score ON {s}.companies (contact_quality_score);
CREATE INDEX ix_companies_d365_lead_id ON {s}.companies (d365_lead_id);
CREATE INDEX ix_companies_d365_sync_status ON {s}.companies (d365_sync_status);
CREATE INDEX ix_companies_d365_sync_attempt_count ON {s}.companies (d365_sync_attempt_count);
CREATE INDEX ix_companies_updated_at ON {s}.companies (updated_at);

CREATE TABLE {s}.partner_center_referrals (
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
CREATE INDEX ix_partner_center_referrals_id ON {s}.partner_center_referrals (id);
CREATE UNIQUE INDEX ix_partner_center_referrals_referral_id ON {s}.partner_center_referrals (referral_id);
CREATE INDEX ix_partner_center_referrals_referral_type ON {s}.partner_center_referrals (referral_type);
CREATE INDEX ix_partner_center_referrals_direction ON {s}.partner_center_referrals (direction);
CREATE INDEX ix_partner_center_referrals_domain ON {s}.partner_center_referrals (domain);
CREATE INDEX ix_partner_center_referrals_link_status ON {s}.partner_center_referrals (link_status);
CREATE INDEX ix_partner_center_referrals_linked_lead_id ON {s}.partner_center_referrals (linked_lead_id);
CREATE INDEX ix_partner_center_referrals_azure_tenant_id ON {s}.partner_center_referrals (azure_tenant_id);
CREATE INDEX ix_partner_center_referrals_status ON {s}.partner_center_referrals (status);
CREATE INDEX ix_partner_center_referrals_substatus ON {s}.partner_center_referrals (substatus);
CREATE INDEX ix_partner_center_referrals_synced_at ON {s}.partner_center_referrals (synced_at);
CREATE INDEX idx_partner_center_referrals_domain ON {s}.partner_center_referrals (domain);
CREATE INDEX idx_partner_center_referrals_status ON {s}.partner_center_referrals (status);
CREATE INDEX idx_partner_center_referrals_synced_at ON {s}.partner_center_referrals (synced_at);
CREATE INDEX idx_partner_center_referrals_type ON {s}.partner_center_referrals (referral_type);
CREATE INDEX idx_partner_center_referrals_tenant_id ON {s}.partner_center_referrals (azure_tenant_id);
CREATE INDEX idx_partner_center_referrals_link_status ON {s}.partner_center_referrals (link_status);
CREATE INDEX idx_partner_center_referrals_linked_lead_id ON {s}.partner_center_referrals (linked_lead_id);

CREATE TABLE {s}.domain_signals (
    id             serial                   NOT NULL,
    domain         varchar(255)             NOT NULL
                   REFERENCES {s}.companies (domain) ON DELETE CASCADE,
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
CREATE INDEX ix_domain_signals_id ON {s}.domain_signals (id);
CREATE INDEX ix_domain_signals_domain ON {s}.domain_signals (domain);
CREATE INDEX ix_domain_signals_dmarc_coverage ON {s}.domain_signals (dmarc_coverage);
CREATE INDEX ix_domain_signals_mx_root ON {s}.domain_signals (mx_root);
CREATE INDEX ix_domain_signals_local_provider ON {s}.domain_signals (local_provider);
CREATE INDEX ix_domain_signals_scan_status ON {s}.domain_signals (scan_status);
CREATE INDEX ix_domain_signals_scanned_at ON {s}.domain_signals (scanned_at);

CREATE TABLE {s}.lead_scores (
    id                 serial                   NOT NULL,
    domain             varchar(255)             NOT NULL
                       REFERENCES {s}.companies (domain) ON DELETE CASCADE,
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
CREATE INDEX ix_lead_scores_id ON {s}.lead_scores (id);
CREATE INDEX ix_lead_scores_domain ON {s}.lead_scores (domain);
CREATE INDEX ix_lead_scores_readiness_score ON {s}.lead_scores (readiness_score);
CREATE INDEX ix_lead_scores_segment ON {s}.lead_scores (segment);
CREATE INDEX ix_lead_scores_technical_heat ON {s}.lead_scores (technical_heat);
CREATE INDEX ix_lead_scores_commercial_segment ON {s}.lead_scores (commercial_segment);
CREATE INDEX ix_lead_scores_commercial_heat ON {s}.lead_scores (commercial_heat);
CREATE INDEX ix_lead_scores_priority_category ON {s}.lead_scores (priority_category);
CREATE INDEX ix_lead_scores_updated_at ON {s}.lead_scores (updated_at);
"#;

/// The statements that create the five tables in Hunter's schema.
pub fn ddl(schemas: &Schemas) -> String {
    DDL.replace("{s}", &quote(&schemas.hunter))
}

/// Create Hunter's five tables and record them, in one transaction.
pub fn create(conn: &mut PgConnection, schemas: &Schemas) -> Result<()> {
    conn.transaction(|conn| {
        conn.batch_execute(&ddl(schemas))?;
        for t in HUNTER_TABLES {
            diesel::sql_query(format!(
                "INSERT INTO {} (name) VALUES ($1)",
                schemas.own_table("hunter_tables")
            ))
            .bind::<Text, _>(t)
            .execute(conn)?;
        }
        Ok(())
    })
}

/// A table of the five, with its row count (for `migrate down --dry-run`).
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub rows: i64,
}

/// The five tables with their row counts.
pub fn counts(conn: &mut PgConnection, schemas: &Schemas) -> Result<Vec<Counted>> {
    let mut out = Vec::new();
    for t in HUNTER_TABLES {
        out.push(
            diesel::sql_query(format!(
                "SELECT $1::text AS name, count(*)::bigint AS rows FROM {}",
                schemas.hunter_table(t)
            ))
            .bind::<Text, _>(t)
            .get_result::<Counted>(conn)?,
        );
    }
    Ok(out)
}

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = Text)]
    what: String,
}

/// Why the five tables may not be dropped: objects outside them that depend on them (a view,
/// a foreign key of another table), and rows hunter-pc did not write. Empty: they may be.
pub fn drop_blockers(conn: &mut PgConnection, schemas: &Schemas) -> Result<Vec<String>> {
    let five: Vec<String> = HUNTER_TABLES
        .iter()
        .map(|t| schemas.hunter_table(t))
        .collect();
    let dependents: Vec<Named> = diesel::sql_query(
        "WITH five AS (SELECT to_regclass(t)::oid AS oid FROM unnest($1::text[]) AS t)          SELECT DISTINCT format('%s %s depends on them',                   CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'                                  ELSE 'table' END, c.oid::regclass) AS what          FROM pg_depend d          JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid          JOIN pg_class c ON c.oid = r.ev_class          WHERE d.refobjid IN (SELECT oid FROM five) AND c.oid NOT IN (SELECT oid FROM five)          UNION          SELECT format('table %s references them (foreign key %s)', k.conrelid::regclass,                        k.conname)          FROM pg_constraint k          WHERE k.contype = 'f' AND k.confrelid IN (SELECT oid FROM five)            AND k.conrelid NOT IN (SELECT oid FROM five)          ORDER BY 1",
    )
    .bind::<diesel::sql_types::Array<Text>, _>(&five)
    .load(conn)?;
    let mut out: Vec<String> = dependents.into_iter().map(|n| n.what).collect();
    // Rows hunter-pc did not write, table by table.
    let foreign = [
        (
            "companies",
            "SELECT count(*)::bigint AS n FROM companies c \
             WHERE NOT EXISTS (SELECT 1 FROM referrals r WHERE r.company_id = c.id)",
        ),
        (
            "raw_leads",
            "SELECT count(*)::bigint AS n FROM raw_leads WHERE source <> $1",
        ),
        (
            "partner_center_referrals",
            "SELECT count(*)::bigint AS n FROM partner_center_referrals p \
             WHERE NOT EXISTS (SELECT 1 FROM referrals r WHERE r.referral_id = p.referral_id)",
        ),
        (
            "domain_signals",
            "SELECT count(*)::bigint AS n FROM domain_signals d \
             WHERE NOT EXISTS (SELECT 1 FROM scans s WHERE s.hunter_signal_id = d.id)",
        ),
        (
            "lead_scores",
            "SELECT count(*)::bigint AS n FROM lead_scores l \
             WHERE NOT EXISTS (SELECT 1 FROM scores s WHERE s.domain = l.domain)",
        ),
    ];
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    for (table, sql) in foreign {
        let mut q = diesel::sql_query(sql).into_boxed::<diesel::pg::Pg>();
        if table == "raw_leads" {
            q = q.bind::<Text, _>(RAW_LEAD_SOURCE);
        }
        let n = q.get_result::<N>(conn)?.n;
        if n > 0 {
            out.push(format!(
                "{}.{table} holds {n} row(s) hunter-pc did not write",
                schemas.hunter
            ));
        }
    }
    Ok(out)
}

/// Drop the five tables and clear the record, in one transaction, after [`drop_blockers`]
/// found nothing. `RESTRICT`: anything that appeared since makes it fail, not vanish.
pub fn drop_created(conn: &mut PgConnection, schemas: &Schemas) -> Result<()> {
    conn.transaction(|conn| {
        let blockers = drop_blockers(conn, schemas)?;
        if !blockers.is_empty() {
            return Err(not_droppable(schemas, &blockers));
        }
        let list = HUNTER_TABLES
            .iter()
            .rev()
            .map(|t| schemas.hunter_table(t))
            .collect::<Vec<_>>()
            .join(", ");
        conn.batch_execute(&format!(
            "DROP TABLE {list} RESTRICT; DELETE FROM {}",
            schemas.own_table("hunter_tables")
        ))?;
        Ok(())
    })
}

/// Exit 1: the tables hunter-pc created are Hunter's now.
pub fn not_droppable(schemas: &Schemas, blockers: &[String]) -> Error {
    Error::failure(format!(
        "not reverting: hunter-pc created Hunter's tables in schema {} and cannot drop them: {}; \
         nothing was dropped (Hunter uses them now: leave hunter-pc installed, or remove what \
         depends on them first)",
        schemas.hunter,
        blockers.join("; ")
    ))
}

/// Inside a dry run's transaction (rolled back at its end): temporary stand-ins for the Hunter
/// tables a sync's pages write (`companies`, `partner_center_referrals`, `raw_leads`), found
/// before Hunter's by this transaction's `search_path`, so that a dry run neither writes nor
/// locks Hunter's rows and does not advance Hunter's id sequences. The stand-ins have Hunter's
/// columns, defaults and indexes, ids from sequences of their own, and a copy of the rows the
/// pages look up (companies, referrals; raw leads are only inserted). The rollback drops them.
pub fn shadow_for_dry_run(conn: &mut PgConnection, schemas: &Schemas) -> Result<()> {
    let own = quote(&schemas.own);
    let hunter = quote(&schemas.hunter);
    let mut sql = format!("SET LOCAL search_path = {own}, pg_temp, {hunter};");
    for (table, copy_rows) in [
        ("companies", true),
        ("partner_center_referrals", true),
        ("raw_leads", false),
    ] {
        let seq = format!("pg_temp.{table}_dry_run_id_seq");
        sql.push_str(&format!(
            "CREATE TEMPORARY TABLE {table} \
               (LIKE {hunter}.{table} INCLUDING DEFAULTS INCLUDING INDEXES); \
             CREATE TEMPORARY SEQUENCE {table}_dry_run_id_seq; \
             ALTER TABLE pg_temp.{table} ALTER COLUMN id SET DEFAULT nextval('{seq}');"
        ));
        if copy_rows {
            sql.push_str(&format!(
                "INSERT INTO pg_temp.{table} SELECT * FROM {hunter}.{table}; \
                 SELECT setval('{seq}', (SELECT coalesce(max(id), 0) + 1 FROM pg_temp.{table}), \
                               false);"
            ));
        }
    }
    conn.batch_execute(&sql)?;
    Ok(())
}
