//! Hunter-shaped databases: Hunter's tables as Hunter's own models create them, with rows as
//! Hunter writes them, loaded into a fresh database that hunter-pc has not touched.
//!
//! The fixtures are SQL files in `tests/data/hunter/`, one per Hunter line (`hunter.sql` for the
//! newest, `hunter-v1.1.sql` for v1.1); each names in its header the commit of Hunter's models
//! it was checked against. [`HUNTER_COLUMNS`] is the table of Hunter's five tables' columns
//! (docs/hunter-tables.md) as data, for checking fixtures and shape detection alike.
//! [`dump_schema`] and [`hunter_rows`] take the "before" and "after" of Hunter's schema.

use std::collections::BTreeMap;
use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::sql_types::{Integer, Nullable, Text};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};

use super::pg::{TestDb, repo_root};

/// Hunter's five tables, the ones hunter-pc writes into.
pub const HUNTER_TABLES: [&str; 5] = [
    "companies",
    "raw_leads",
    "partner_center_referrals",
    "domain_signals",
    "lead_scores",
];

/// The Hunter lines hunter-pc supports, each with a fixture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HunterLine {
    /// The newest line (branch `feature/partner-center-phase1`): database shape `hunter`.
    Newest,
    /// Hunter v1.1 (tag `v1.1.0`): database shape `hunter-v1.1`.
    V1_1,
}

impl HunterLine {
    pub const ALL: [HunterLine; 2] = [HunterLine::Newest, HunterLine::V1_1];

    /// The fixture's SQL file.
    pub fn fixture(self) -> PathBuf {
        let file = match self {
            HunterLine::Newest => "hunter.sql",
            HunterLine::V1_1 => "hunter-v1.1.sql",
        };
        repo_root().join("tests/data/hunter").join(file)
    }

    /// The database shape hunter-pc reports for it (`database.shape` in `status --json`).
    pub fn shape(self) -> &'static str {
        match self {
            HunterLine::Newest => "hunter",
            HunterLine::V1_1 => "hunter-v1.1",
        }
    }

    /// The Alembic revision the fixture records in `alembic_version`.
    pub fn alembic_version(self) -> &'static str {
        match self {
            HunterLine::Newest => "67a00e2b26ab",
            HunterLine::V1_1 => "f786f93501ea",
        }
    }

    /// Whether this line's tables have the column (v1.1 lacks the newest-only ones).
    pub fn has(self, column: &HunterColumn) -> bool {
        self == HunterLine::Newest || !column.newest_only
    }

    /// The columns of Hunter's five tables on this line, in [`HUNTER_COLUMNS`] order.
    pub fn columns(self) -> impl Iterator<Item = &'static HunterColumn> {
        HUNTER_COLUMNS.iter().filter(move |c| self.has(c))
    }

    /// The indexes of Hunter's five tables on this line, as the models name them.
    pub fn indexes(self) -> impl Iterator<Item = &'static HunterIndex> {
        HUNTER_INDEXES
            .iter()
            .filter(move |i| self == HunterLine::Newest || !i.newest_only)
    }
}

/// The domains of the fixtures' rows, by what Hunter did with them. None of them is a domain of
/// `examples/referrals.json`; every one is in both fixtures with the same ids (companies 1–7 in
/// this order).
pub mod domains {
    /// A CSV lead: raw lead, company, one signals row, one score row (Google, 90, Migration),
    /// and a note.
    pub const CSV_LEAD: &str = "bursakalip.com.tr";
    /// Two `success` signals rows: the older TürkHost (id 2), the newer Microsoft 365 (id 3);
    /// one score row (M365, 85, Existing).
    pub const TWO_SIGNALS: &str = "selcukmermer.com.tr";
    /// A `whois_failed` scan (its DNS part succeeded: Yandex, 65, Migration), no WHOIS columns.
    pub const WHOIS_FAILED: &str = "ankarayazilim.com.tr";
    /// A `success` scan that found no MX (`mx_root` NULL, provider NULL: Skip, 0).
    pub const NO_MX: &str = "torosun.com.tr";
    /// A `dns_timeout` scan (provider NULL, Skip, 0).
    pub const DNS_TIMEOUT: &str = "marasgida.com.tr";
    /// Scanned by Hunter's single-domain scan, which writes `scan_status` `completed`
    /// (M365, 35, Existing; `tenant_size` medium).
    pub const COMPLETED: &str = "efesmobilya.com.tr";
    /// Ingested by domain, never scanned: a company with no signals and no score.
    pub const NOT_SCANNED: &str = "erciyestekstil.com.tr";

    /// Every fixture domain, in company id order.
    pub const ALL: [&str; 7] = [
        CSV_LEAD,
        TWO_SIGNALS,
        WHOIS_FAILED,
        NO_MX,
        DNS_TIMEOUT,
        COMPLETED,
        NOT_SCANNED,
    ];
}

/// A column's server default, as Hunter's models give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnDefault {
    None,
    /// `serial`: the column's own sequence.
    Serial,
    /// `now()`.
    Now,
    /// A constant, as Postgres shows it in `information_schema.columns.column_default`.
    Literal(&'static str),
}

/// One column of one of Hunter's five tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HunterColumn {
    pub table: &'static str,
    pub name: &'static str,
    /// `integer`, `text`, `jsonb`, `boolean`, `date`, `timestamptz`, `text[]`,
    /// `varchar(n)`, `numeric(p,s)`.
    pub sql_type: &'static str,
    pub nullable: bool,
    pub default: ColumnDefault,
    /// Only on the newest line; Hunter v1.1 lacks it.
    pub newest_only: bool,
}

impl HunterColumn {
    /// The longest text the column holds, in characters (`varchar(n)`), or `None`.
    pub fn max_chars(&self) -> Option<usize> {
        self.sql_type
            .strip_prefix("varchar(")
            .and_then(|r| r.strip_suffix(')'))
            .map(|n| n.parse().expect("a varchar length"))
    }

    /// One line describing the column, in the form [`actual_columns`] gives.
    pub fn render(&self) -> String {
        render_column(
            self.table,
            self.name,
            self.sql_type,
            self.nullable,
            match self.default {
                ColumnDefault::None => None,
                ColumnDefault::Serial => Some("nextval"),
                ColumnDefault::Now => Some("now()"),
                ColumnDefault::Literal(v) => Some(v),
            },
        )
    }
}

fn render_column(
    table: &str,
    name: &str,
    sql_type: &str,
    nullable: bool,
    default: Option<&str>,
) -> String {
    let mut s = format!("{table}.{name} {sql_type}");
    if !nullable {
        s.push_str(" NOT NULL");
    }
    if let Some(d) = default {
        s.push_str(" DEFAULT ");
        s.push_str(d);
    }
    s
}

const fn col(table: &'static str, name: &'static str, sql_type: &'static str) -> HunterColumn {
    HunterColumn {
        table,
        name,
        sql_type,
        nullable: true,
        default: ColumnDefault::None,
        newest_only: false,
    }
}

const fn id(table: &'static str) -> HunterColumn {
    HunterColumn {
        nullable: false,
        default: ColumnDefault::Serial,
        ..col(table, "id", "integer")
    }
}

const fn not_null(c: HunterColumn) -> HunterColumn {
    HunterColumn {
        nullable: false,
        ..c
    }
}

/// `timestamptz NOT NULL DEFAULT now()`.
const fn stamp(table: &'static str, name: &'static str) -> HunterColumn {
    HunterColumn {
        nullable: false,
        default: ColumnDefault::Now,
        ..col(table, name, "timestamptz")
    }
}

const fn newest(c: HunterColumn) -> HunterColumn {
    HunterColumn {
        newest_only: true,
        ..c
    }
}

const fn with_default(c: HunterColumn, v: &'static str) -> HunterColumn {
    HunterColumn {
        default: ColumnDefault::Literal(v),
        ..c
    }
}

const C: &str = "companies";
const RL: &str = "raw_leads";
const PCR: &str = "partner_center_referrals";
const DS: &str = "domain_signals";
const LS: &str = "lead_scores";

/// Every column of Hunter's five tables on the newest line, in the models' order; the ones
/// Hunter v1.1 lacks are `newest_only`. Checked against Hunter's `app/db/models.py` (the
/// commits are in the fixtures' headers).
pub const HUNTER_COLUMNS: &[HunterColumn] = &[
    // companies: no created_at.
    id(C),
    not_null(col(C, "canonical_name", "varchar(255)")),
    not_null(col(C, "domain", "varchar(255)")),
    col(C, "provider", "varchar(50)"),
    col(C, "tenant_size", "varchar(50)"),
    col(C, "country", "varchar(2)"),
    col(C, "contact_emails", "jsonb"),
    col(C, "contact_quality_score", "integer"),
    col(C, "linkedin_pattern", "varchar(255)"),
    newest(col(C, "d365_lead_id", "varchar(255)")),
    newest(with_default(
        col(C, "d365_sync_status", "varchar(50)"),
        "'pending'::character varying",
    )),
    newest(col(C, "d365_sync_last_at", "timestamptz")),
    newest(col(C, "d365_sync_error", "text")),
    newest(with_default(
        col(C, "d365_sync_attempt_count", "integer"),
        "0",
    )),
    stamp(C, "updated_at"),
    // raw_leads
    id(RL),
    not_null(col(RL, "source", "varchar(50)")),
    col(RL, "company_name", "varchar(255)"),
    col(RL, "email", "varchar(255)"),
    col(RL, "website", "varchar(255)"),
    not_null(col(RL, "domain", "varchar(255)")),
    col(RL, "payload", "jsonb"),
    stamp(RL, "ingested_at"),
    // partner_center_referrals
    id(PCR),
    not_null(col(PCR, "referral_id", "varchar(255)")),
    newest(col(PCR, "engagement_id", "varchar(255)")),
    newest(col(PCR, "external_reference_id", "varchar(255)")),
    col(PCR, "referral_type", "varchar(50)"),
    newest(col(PCR, "type", "varchar(50)")),
    newest(col(PCR, "qualification", "varchar(50)")),
    newest(col(PCR, "direction", "varchar(50)")),
    col(PCR, "company_name", "varchar(255)"),
    newest(col(PCR, "customer_name", "varchar(255)")),
    newest(col(PCR, "customer_country", "varchar(100)")),
    col(PCR, "domain", "varchar(255)"),
    newest(col(PCR, "raw_domain", "varchar(255)")),
    newest(col(PCR, "link_status", "varchar(50)")),
    newest(col(PCR, "linked_lead_id", "integer")),
    col(PCR, "azure_tenant_id", "varchar(255)"),
    col(PCR, "status", "varchar(50)"),
    newest(col(PCR, "substatus", "varchar(50)")),
    newest(col(PCR, "deal_value", "numeric(15,2)")),
    newest(col(PCR, "currency", "varchar(10)")),
    col(PCR, "raw_data", "jsonb"),
    stamp(PCR, "synced_at"),
    stamp(PCR, "created_at"),
    stamp(PCR, "updated_at"),
    // domain_signals: several rows per domain are possible.
    id(DS),
    not_null(col(DS, "domain", "varchar(255)")),
    col(DS, "spf", "boolean"),
    col(DS, "dkim", "boolean"),
    col(DS, "dmarc_policy", "varchar(50)"),
    col(DS, "dmarc_coverage", "integer"),
    col(DS, "mx_root", "varchar(255)"),
    col(DS, "local_provider", "varchar(255)"),
    col(DS, "registrar", "varchar(255)"),
    col(DS, "expires_at", "date"),
    col(DS, "nameservers", "text[]"),
    not_null(col(DS, "scan_status", "varchar(50)")),
    stamp(DS, "scanned_at"),
    // lead_scores
    id(LS),
    not_null(col(LS, "domain", "varchar(255)")),
    not_null(col(LS, "readiness_score", "integer")),
    not_null(col(LS, "segment", "varchar(50)")),
    col(LS, "reason", "text"),
    col(LS, "technical_heat", "varchar(20)"),
    col(LS, "commercial_segment", "varchar(50)"),
    col(LS, "commercial_heat", "varchar(20)"),
    col(LS, "priority_category", "varchar(10)"),
    col(LS, "priority_label", "varchar(100)"),
    stamp(LS, "updated_at"),
];

/// The column of Hunter's table, on the newest line.
pub fn hunter_column(table: &str, name: &str) -> &'static HunterColumn {
    HUNTER_COLUMNS
        .iter()
        .find(|c| c.table == table && c.name == name)
        .unwrap_or_else(|| panic!("{table}.{name} is not one of Hunter's columns"))
}

/// One index of Hunter's five tables, as Hunter's models create it (`index=True` gives
/// `ix_<table>_<column>`). A database built by Hunter's Alembic chain names several of them
/// `idx_*` instead: hunter-pc must recognise Hunter by columns, never by index names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HunterIndex {
    pub table: &'static str,
    pub name: &'static str,
    pub column: &'static str,
    pub unique: bool,
    pub newest_only: bool,
}

const fn ix(table: &'static str, name: &'static str, column: &'static str) -> HunterIndex {
    HunterIndex {
        table,
        name,
        column,
        unique: false,
        newest_only: false,
    }
}

const fn unique(i: HunterIndex) -> HunterIndex {
    HunterIndex { unique: true, ..i }
}

const fn newest_ix(i: HunterIndex) -> HunterIndex {
    HunterIndex {
        newest_only: true,
        ..i
    }
}

/// Every index of Hunter's five tables besides the primary keys (`<table>_pkey`).
pub const HUNTER_INDEXES: &[HunterIndex] = &[
    ix(C, "ix_companies_id", "id"),
    unique(ix(C, "ix_companies_domain", "domain")),
    ix(C, "ix_companies_provider", "provider"),
    ix(C, "ix_companies_tenant_size", "tenant_size"),
    ix(
        C,
        "ix_companies_contact_quality_score",
        "contact_quality_score",
    ),
    newest_ix(ix(C, "ix_companies_d365_lead_id", "d365_lead_id")),
    newest_ix(ix(C, "ix_companies_d365_sync_status", "d365_sync_status")),
    newest_ix(ix(
        C,
        "ix_companies_d365_sync_attempt_count",
        "d365_sync_attempt_count",
    )),
    ix(C, "ix_companies_updated_at", "updated_at"),
    ix(RL, "ix_raw_leads_id", "id"),
    ix(RL, "ix_raw_leads_source", "source"),
    ix(RL, "ix_raw_leads_domain", "domain"),
    ix(PCR, "ix_partner_center_referrals_id", "id"),
    unique(ix(
        PCR,
        "ix_partner_center_referrals_referral_id",
        "referral_id",
    )),
    ix(
        PCR,
        "ix_partner_center_referrals_referral_type",
        "referral_type",
    ),
    newest_ix(ix(
        PCR,
        "ix_partner_center_referrals_direction",
        "direction",
    )),
    ix(PCR, "ix_partner_center_referrals_domain", "domain"),
    newest_ix(ix(
        PCR,
        "ix_partner_center_referrals_link_status",
        "link_status",
    )),
    newest_ix(ix(
        PCR,
        "ix_partner_center_referrals_linked_lead_id",
        "linked_lead_id",
    )),
    ix(
        PCR,
        "ix_partner_center_referrals_azure_tenant_id",
        "azure_tenant_id",
    ),
    ix(PCR, "ix_partner_center_referrals_status", "status"),
    newest_ix(ix(
        PCR,
        "ix_partner_center_referrals_substatus",
        "substatus",
    )),
    ix(PCR, "ix_partner_center_referrals_synced_at", "synced_at"),
    ix(PCR, "idx_partner_center_referrals_domain", "domain"),
    ix(PCR, "idx_partner_center_referrals_status", "status"),
    ix(PCR, "idx_partner_center_referrals_synced_at", "synced_at"),
    ix(PCR, "idx_partner_center_referrals_type", "referral_type"),
    ix(
        PCR,
        "idx_partner_center_referrals_tenant_id",
        "azure_tenant_id",
    ),
    newest_ix(ix(
        PCR,
        "idx_partner_center_referrals_link_status",
        "link_status",
    )),
    newest_ix(ix(
        PCR,
        "idx_partner_center_referrals_linked_lead_id",
        "linked_lead_id",
    )),
    ix(DS, "ix_domain_signals_id", "id"),
    ix(DS, "ix_domain_signals_domain", "domain"),
    ix(DS, "ix_domain_signals_dmarc_coverage", "dmarc_coverage"),
    ix(DS, "ix_domain_signals_mx_root", "mx_root"),
    ix(DS, "ix_domain_signals_local_provider", "local_provider"),
    ix(DS, "ix_domain_signals_scan_status", "scan_status"),
    ix(DS, "ix_domain_signals_scanned_at", "scanned_at"),
    ix(LS, "ix_lead_scores_id", "id"),
    ix(LS, "ix_lead_scores_domain", "domain"),
    ix(LS, "ix_lead_scores_readiness_score", "readiness_score"),
    ix(LS, "ix_lead_scores_segment", "segment"),
    ix(LS, "ix_lead_scores_technical_heat", "technical_heat"),
    ix(
        LS,
        "ix_lead_scores_commercial_segment",
        "commercial_segment",
    ),
    ix(LS, "ix_lead_scores_commercial_heat", "commercial_heat"),
    ix(LS, "ix_lead_scores_priority_category", "priority_category"),
    ix(LS, "ix_lead_scores_updated_at", "updated_at"),
];

/// The foreign keys of Hunter's five tables: `<table>.domain → companies.domain ON DELETE
/// CASCADE` (`partner_center_referrals.linked_lead_id` has none). Hunter's other tables
/// (notes, tags, favorites, history tables) reference `companies.domain` the same way.
pub const HUNTER_FOREIGN_KEYS: [&str; 2] = ["domain_signals", "lead_scores"];

/// A name quoted as an SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A fresh database, never migrated by hunter-pc, holding `line`'s fixture in Hunter's
/// schema `schema` (`public` is Hunter's default).
pub fn hunter_db(line: HunterLine, schema: &str) -> TestDb {
    let db = TestDb::empty();
    load_fixture(&db, line, schema);
    db
}

/// Load `line`'s fixture into `schema` of `db` (created unless it exists).
pub fn load_fixture(db: &TestDb, line: HunterLine, schema: &str) {
    let path = line.fixture();
    let sql =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut conn = db.conn();
    let q = quote_ident(schema);
    conn.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {q}; SET search_path TO {q}"
    ))
    .unwrap_or_else(|e| panic!("prepare schema {schema}: {e}"));
    conn.batch_execute(&sql)
        .unwrap_or_else(|e| panic!("load {}: {e}", path.display()));
}

/// The fixed key of `pg_dump --restrict-key`, so that two dumps of one schema compare equal.
pub const DUMP_RESTRICT_KEY: &str = "hunterpctests";

/// `pg_dump --schema-only` of `schema` (no owners, a fixed restrict key; grants included):
/// equal text for equal schemas. `PG_DUMP` names the program (default `pg_dump` on `PATH`).
pub fn dump_schema(db: &TestDb, schema: &str) -> String {
    let program = std::env::var("PG_DUMP")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "pg_dump".into());
    let out = std::process::Command::new(&program)
        .args([
            "--schema-only",
            "--no-owner",
            &format!("--restrict-key={DUMP_RESTRICT_KEY}"),
            "--schema",
            &quote_ident(schema),
            "--dbname",
            &db.url,
        ])
        .output()
        .unwrap_or_else(|e| panic!("run {program} (PG_DUMP names another): {e}"));
    assert!(
        out.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("pg_dump writes UTF-8")
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct RowText {
    #[diesel(sql_type = Text)]
    t: String,
}

fn session(db: &TestDb) -> PgConnection {
    let mut conn = db.conn();
    // Times as text the same way in every snapshot.
    conn.batch_execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'")
        .expect("set session");
    conn
}

/// Every row of every table in `schema`, each as its row text, keyed by table name and ordered
/// by `id` (by the row text for a table without `id`, such as `alembic_version`).
pub fn hunter_rows(db: &TestDb, schema: &str) -> BTreeMap<String, Vec<String>> {
    let mut conn = session(db);
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1",
    )
    .bind::<Text, _>(schema)
    .load(&mut conn)
    .expect("list tables");
    let mut rows = BTreeMap::new();
    for Name { name } in tables {
        let has_id: Vec<Name> = diesel::sql_query(
            "SELECT column_name::text AS name FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = $2 AND column_name = 'id'",
        )
        .bind::<Text, _>(schema)
        .bind::<Text, _>(&name)
        .load(&mut conn)
        .expect("look for id");
        let order = if has_id.is_empty() {
            "ROW(r.*)::text"
        } else {
            "r.id"
        };
        let sql = format!(
            "SELECT ROW(r.*)::text AS t FROM {}.{} AS r ORDER BY {order}",
            quote_ident(schema),
            quote_ident(&name)
        );
        let table_rows: Vec<RowText> = diesel::sql_query(&sql)
            .load(&mut conn)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.insert(name, table_rows.into_iter().map(|r| r.t).collect());
    }
    rows
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    udt_name: String,
    #[diesel(sql_type = Nullable<Integer>)]
    max_len: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    precision: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    scale: Option<i32>,
    #[diesel(sql_type = Text)]
    is_nullable: String,
    #[diesel(sql_type = Nullable<Text>)]
    column_default: Option<String>,
}

/// The columns of `tables` in `schema` from `information_schema`, one line each in the form
/// of [`HunterColumn::render`] (`companies.domain varchar(255) NOT NULL`), ordered by table
/// (as given) and column position.
pub fn actual_columns(db: &TestDb, schema: &str, tables: &[&str]) -> Vec<String> {
    let mut conn = db.conn();
    let mut lines = Vec::new();
    for table in tables {
        let cols: Vec<ColumnRow> = diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                    udt_name::text AS udt_name, \
                    character_maximum_length::int AS max_len, \
                    numeric_precision::int AS precision, numeric_scale::int AS scale, \
                    is_nullable::text AS is_nullable, column_default::text AS column_default \
             FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
        )
        .bind::<Text, _>(schema)
        .bind::<Text, _>(*table)
        .load(&mut conn)
        .expect("read information_schema.columns");
        for c in cols {
            let sql_type = match c.udt_name.as_str() {
                "int4" => "integer".to_string(),
                "bool" => "boolean".to_string(),
                "varchar" => match c.max_len {
                    Some(n) => format!("varchar({n})"),
                    None => "varchar".to_string(),
                },
                "numeric" => match (c.precision, c.scale) {
                    (Some(p), Some(s)) => format!("numeric({p},{s})"),
                    _ => "numeric".to_string(),
                },
                other => match other.strip_prefix('_') {
                    Some(element) => format!("{element}[]"),
                    None => other.to_string(),
                },
            };
            let default = c.column_default.map(|d| {
                if d.starts_with("nextval(") {
                    "nextval".to_string()
                } else {
                    d
                }
            });
            lines.push(render_column(
                &c.table_name,
                &c.column_name,
                &sql_type,
                c.is_nullable == "YES",
                default.as_deref(),
            ));
        }
    }
    lines
}
