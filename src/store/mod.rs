//! The storage layer: every SQL statement of hunter-pc, one module per table family.
//!
//! hunter-pc keeps its complete record in a schema of its own and writes a projection of it
//! into Hunter's tables, in the same transaction ([`layout`] has the two schemas and the shape
//! of Hunter's tables; every data session resolves names through `search_path = own, hunter`).
//!
//! - this module: connections (with [`connect`]'s timeouts and keepalives, and the
//!   [`watchdog`]), the page sessions' settings, row counts for `status`;
//! - [`layout`]: the schemas, the database's shape, Hunter's column lengths;
//! - [`hunter_tables`]: Hunter's five tables on an empty database (create, check, drop);
//! - [`migrations`]: the embedded migrations, their state, the up/down plans;
//! - [`lock`]: the bookkeeping session that holds the one-sync-at-a-time advisory lock;
//! - [`referrals`]: `referrals` and its projections, Hunter's `partner_center_referrals` and
//!   `raw_leads`: the stored-row read and the batch write of a page, the listing;
//! - [`companies`]: Hunter's `companies`;
//! - [`signals`]: `scans` and Hunter's `domain_signals`: which domains a sync scans, writing
//!   scans;
//! - [`scores`]: `scores` and Hunter's `lead_scores`: the batch reads and writes of scoring;
//! - [`runs`]: `sync_runs`, the run record;
//! - [`state`]: `sync_state`, the incremental cursor.
//!
//! Each table's name and columns are written in its module only. Bulk writes send one array
//! per column and `unnest` them (one statement per batch, whatever its size). Names of domain
//! values (`M365`, `co-sell`, `failed`, …) come from [`crate::model`] as bound parameters.
//! Nothing outside this module holds SQL text (`tests/architecture.rs` checks it).

pub mod companies;
mod connect;
pub mod hunter_tables;
pub mod layout;
pub mod lock;
pub mod migrations;
pub mod referrals;
pub mod runs;
pub mod scores;
pub mod signals;
pub mod state;
pub mod watchdog;

pub use connect::ConnectOptions;
pub use layout::{Layout, Schemas, Shape};

use diesel::PgConnection;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::error::Result;

/// Open a session, or fail with 69 (unreachable, unanswering) / 78 (a URL or credentials only
/// the operator can fix). Every session gets the connect timeout and TCP keepalives, starts
/// with `statement_timeout` and `lock_timeout` set, and is watched by the [`watchdog`].
pub fn connect(url: &str, opts: &ConnectOptions) -> Result<PgConnection> {
    connect::open(url, opts, connect::Purpose::Plain)
}

/// Connect, and require a database shape hunter-pc works with and its schema up to date (78
/// otherwise, naming what is missing): what every data command does first.
pub fn connect_current(url: &str, opts: &ConnectOptions) -> Result<(PgConnection, Layout)> {
    let mut conn = connect(url, opts)?;
    let layout = require_current(&mut conn, &opts.schemas)?;
    Ok((conn, layout))
}

/// The shape of the database, which must be known, with hunter-pc's schema current (78
/// otherwise). On an `empty` shape with every migration applied, Hunter's tables went missing
/// since `migrate up` created them.
pub fn require_current(conn: &mut PgConnection, schemas: &layout::Schemas) -> Result<Layout> {
    let layout = layout::detect(conn, schemas)?;
    ready(&layout, &migrations::migration_state(conn, schemas)?)?;
    Ok(layout)
}

/// Error 78 unless the shape is known, hunter-pc's schema current and Hunter's tables there
/// (what [`require_current`] checks, for a caller that has read both already).
pub fn ready(layout: &Layout, state: &migrations::MigrationState) -> Result<()> {
    layout.require_known()?;
    state.require_current()?;
    if !layout.has_hunter_tables() {
        return Err(crate::error::Error::config(format!(
            "Hunter's tables (companies, raw_leads, partner_center_referrals, domain_signals, \
             lead_scores) are missing from schema {}: run `hunter-pc migrate up`",
            layout.schemas.hunter
        )));
    }
    Ok(())
}

/// A session that plans and writes a sync's pages. Besides the timeouts, in the same round
/// trip:
/// - `synchronous_commit = off`, so a page's commit does not wait for its WAL flush. Safe here:
///   a page's rows and its cursor commit together, so a server crash can only lose the last
///   pages and their cursor at once, and the next run reads them again (the upserts make that
///   harmless).
/// - `enable_seqscan = off`: every statement of a page looks its rows up by key. During a
///   first import the statistics still describe the empty tables, and the planner would scan
///   the whole table on every page instead (an import of n referrals then costs O(n²)).
/// - `application_name = 'hunter-pc pages'`, so an operator (and a test) can tell these
///   sessions in `pg_stat_activity`.
/// - `default_toast_compression = lz4` where the server has it: the referral JSON written
///   into Hunter's tables is compressed with lz4 instead of pglz (about 14% of a first import;
///   no table is altered).
pub fn connect_for_pages(url: &str, opts: &ConnectOptions) -> Result<PgConnection> {
    connect::open(url, opts, connect::Purpose::Pages)
}

/// After the pages: the planner's default back for what reads whole tables (scan selection).
pub fn after_page_writes(conn: &mut PgConnection) -> Result<()> {
    conn.batch_execute("RESET enable_seqscan")?;
    Ok(())
}

/// The tables of cli.md, hunter-pc's then Hunter's, in the order `status` lists their row
/// counts.
pub const TABLES: [&str; 10] = [
    referrals::TABLE,
    signals::TABLE,
    scores::TABLE,
    runs::TABLE,
    state::TABLE,
    companies::TABLE,
    referrals::RAW_LEADS,
    referrals::HUNTER_TABLE,
    signals::HUNTER_TABLE,
    scores::HUNTER_TABLE,
];

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = Nullable<BigInt>)]
    n: Option<i64>,
}

/// Exact row counts of the tables in cli.md that exist (for `status`; before `migrate up`
/// some do not).
pub fn row_counts(
    conn: &mut PgConnection,
    schemas: &layout::Schemas,
) -> Result<Vec<(&'static str, i64)>> {
    let mut out = Vec::new();
    for (i, t) in TABLES.into_iter().enumerate() {
        // Names from the constant list above, quoted; never from input.
        let qualified = if i < 5 {
            schemas.own_table(t)
        } else {
            schemas.hunter_table(t)
        };
        if table_exists(conn, &qualified)? {
            out.push((t, count_rows(conn, &qualified)?));
        }
    }
    Ok(out)
}

/// Whether a table given by its qualified name exists (read from the catalogue: nothing is
/// created to find out).
pub(crate) fn table_exists(conn: &mut PgConnection, qualified: &str) -> Result<bool> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    Ok(
        diesel::sql_query("SELECT to_regclass($1) IS NOT NULL AS found")
            .bind::<Text, _>(qualified)
            .get_result::<Found>(conn)?
            .found,
    )
}

/// The rows of a table given by its qualified name (0 when it does not exist).
pub fn count_rows(conn: &mut PgConnection, qualified: &str) -> Result<i64> {
    if !table_exists(conn, qualified)? {
        return Ok(0);
    }
    Ok(
        diesel::sql_query(format!("SELECT count(*)::bigint AS n FROM {qualified}"))
            .get_result::<CountRow>(conn)?
            .n
            .unwrap_or(0),
    )
}

/// A row as JSON text (`row_to_json(…)::text AS j`), for `status`.
#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Nullable<Text>)]
    j: Option<String>,
}

/// The JSON of a row read as [`JsonRow`]; `Null` when there was none.
fn json_of(row: Option<JsonRow>) -> serde_json::Value {
    row.and_then(|r| r.j)
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// The text of a `text[]` literal (`{"a","b\"c"}`). A `text[]` column of a bulk write travels as
/// one such text per row, cast back in the statement: `unnest` cannot take an array of arrays
/// of different lengths.
pub(crate) fn array_literal(items: &[String]) -> String {
    let mut out = String::from("{");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in item.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn array_literals_quote_every_element() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(super::array_literal(&[]), "{}");
        assert_eq!(super::array_literal(&v(&["a.b", "c"])), r#"{"a.b","c"}"#);
        assert_eq!(
            super::array_literal(&v(&["x\"y", "a\\b", "", "{,}", "NULL"])),
            r#"{"x\"y","a\\b","","{,}","NULL"}"#
        );
    }
}
