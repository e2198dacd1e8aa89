//! `sync_runs`: the record of each sync run, written on the run's bookkeeping session
//! ([`super::lock::LockSession`]) so that it commits apart from the run's data.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Jsonb, Nullable, Text, Timestamptz};
use serde_json::Value;

use crate::error::Result;
use crate::model::{RunSource, RunStatus};

/// The table.
pub const TABLE: &str = "sync_runs";

/// How a run ended, as its row records it: the status, the summary's counts and the errors
/// (referral id, or `input`/`run`, → message).
#[derive(Debug, Clone)]
pub struct Finished<'a> {
    pub status: RunStatus,
    pub fetched: i64,
    pub new: i64,
    pub updated: i64,
    pub unchanged: i64,
    /// Reason → count.
    pub skipped: &'a BTreeMap<String, i64>,
    pub failed: i64,
    pub unlinked: i64,
    pub companies_created: i64,
    pub companies_updated: i64,
    pub raw_leads_inserted: i64,
    pub scans_ok: i64,
    pub scans_failed: i64,
    pub scans_skipped_already_scanned: i64,
    pub scored: i64,
    pub pages: i64,
    pub duration_ms: i64,
    pub errors: &'a BTreeMap<String, String>,
    /// The process's exit code for this run.
    pub exit_code: i32,
    /// The message of the run's final `error:` line (none for exit 0).
    pub error: Option<&'a str>,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Insert the run's row (status `running`, on `host`) and return its id.
pub fn start(
    conn: &mut PgConnection,
    source: RunSource,
    forced: bool,
    dry_run: bool,
    direction: &str,
    host: Option<&str>,
) -> Result<i64> {
    Ok(diesel::sql_query(
        "INSERT INTO sync_runs (status, source, forced, dry_run, direction, host) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind::<Text, _>(RunStatus::Running.as_str())
    .bind::<Text, _>(source.as_str())
    .bind::<Bool, _>(forced)
    .bind::<Bool, _>(dry_run)
    .bind::<Text, _>(direction)
    .bind::<Nullable<Text>, _>(host)
    .get_result::<Id>(conn)?
    .id)
}

/// Record how run `id` ended, with its counts and errors.
pub fn finish(conn: &mut PgConnection, id: i64, f: &Finished) -> Result<()> {
    // The count columns are `integer`: a count beyond it is recorded as its largest value.
    let n = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
    diesel::sql_query(
        "UPDATE sync_runs SET finished_at = now(), status = $2, fetched = $3, new = $4, \
         updated = $5, unchanged = $6, skipped = $7, failed = $8, unlinked = $9, \
         companies_created = $10, companies_updated = $11, raw_leads_inserted = $12, \
         scans_ok = $13, scans_failed = $14, scans_skipped_already_scanned = $15, scored = $16, \
         pages = $17, duration_ms = $18, errors = $19, exit_code = $20, error = $21 \
         WHERE id = $1",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(f.status.as_str())
    .bind::<Integer, _>(n(f.fetched))
    .bind::<Integer, _>(n(f.new))
    .bind::<Integer, _>(n(f.updated))
    .bind::<Integer, _>(n(f.unchanged))
    .bind::<Jsonb, _>(serde_json::to_value(f.skipped)?)
    .bind::<Integer, _>(n(f.failed))
    .bind::<Integer, _>(n(f.unlinked))
    .bind::<Integer, _>(n(f.companies_created))
    .bind::<Integer, _>(n(f.companies_updated))
    .bind::<Integer, _>(n(f.raw_leads_inserted))
    .bind::<Integer, _>(n(f.scans_ok))
    .bind::<Integer, _>(n(f.scans_failed))
    .bind::<Integer, _>(n(f.scans_skipped_already_scanned))
    .bind::<Integer, _>(n(f.scored))
    .bind::<Integer, _>(n(f.pages))
    .bind::<BigInt, _>(f.duration_ms)
    .bind::<Jsonb, _>(serde_json::to_value(f.errors)?)
    .bind::<Integer, _>(f.exit_code)
    .bind::<Nullable<Text>, _>(f.error)
    .execute(conn)?;
    Ok(())
}

/// A run whose process is ending without having recorded its outcome (a panic): `failed`.
pub fn fail_unfinished(conn: &mut PgConnection, id: i64, why: &str, exit_code: i32) -> Result<()> {
    diesel::sql_query(
        "UPDATE sync_runs SET finished_at = now(), status = $4, exit_code = $2, error = $3 \
         WHERE id = $1 AND finished_at IS NULL",
    )
    .bind::<BigInt, _>(id)
    .bind::<Integer, _>(exit_code)
    .bind::<Text, _>(why)
    .bind::<Text, _>(RunStatus::Failed.as_str())
    .execute(conn)?;
    Ok(())
}

/// Runs still `running` when a new run holds the lock ended without finishing (killed, or the
/// machine went down): record them as `failed`, so `status` does not show them running forever.
pub fn close_abandoned(conn: &mut PgConnection, current: i64) -> Result<usize> {
    Ok(diesel::sql_query(
        "UPDATE sync_runs SET status = $2, \
           errors = errors || '{\"run\": \"the process ended before the run finished\"}'::jsonb, \
           error = coalesce(error, 'the process ended before the run finished') \
         WHERE status = $3 AND id < $1",
    )
    .bind::<BigInt, _>(current)
    .bind::<Text, _>(RunStatus::Failed.as_str())
    .bind::<Text, _>(RunStatus::Running.as_str())
    .execute(conn)?)
}

#[derive(QueryableByName)]
struct Started {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    started_at: Option<DateTime<Utc>>,
}

/// The start of the latest non-dry API sync that ended `ok` or `partial`, when it started less
/// than `secs` seconds ago (cli.md, `HUNTER_PC_MIN_SYNC_INTERVAL_SECS`).
pub fn recent_api_run(conn: &mut PgConnection, secs: u64) -> Result<Option<DateTime<Utc>>> {
    let row = diesel::sql_query(
        "SELECT max(started_at) AS started_at FROM sync_runs \
         WHERE source = $2 AND NOT dry_run AND status = ANY($3) \
           AND started_at > now() - make_interval(secs => $1)",
    )
    .bind::<BigInt, _>(secs as i64)
    .bind::<Text, _>(RunSource::Api.as_str())
    .bind::<Array<Text>, _>(vec![RunStatus::Ok.as_str(), RunStatus::Partial.as_str()])
    .get_result::<Started>(conn)?;
    Ok(row.started_at)
}

/// The start of the newest non-dry API sync that ended `ok`.
pub fn last_ok_api(conn: &mut PgConnection) -> Result<Option<DateTime<Utc>>> {
    let row = diesel::sql_query(
        "SELECT max(started_at) AS started_at FROM sync_runs \
         WHERE source = $1 AND status = $2 AND NOT dry_run",
    )
    .bind::<Text, _>(RunSource::Api.as_str())
    .bind::<Text, _>(RunStatus::Ok.as_str())
    .get_result::<Started>(conn)?;
    Ok(row.started_at)
}

/// The latest run's row as JSON (every column), for `status`; `Null` before the first run.
pub fn last_json(conn: &mut PgConnection) -> Result<Value> {
    let row = diesel::sql_query(
        "SELECT row_to_json(r)::text AS j FROM sync_runs r ORDER BY id DESC LIMIT 1",
    )
    .get_result::<super::JsonRow>(conn)
    .optional()?;
    Ok(super::json_of(row))
}

/// The statement an operator runs to read a run's per-referral errors (named in messages).
pub fn errors_query(id: i64) -> String {
    format!("SELECT errors FROM sync_runs WHERE id = {id}")
}
