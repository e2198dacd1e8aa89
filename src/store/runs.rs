//! `sync_runs`: the record of each sync run, written on the run's bookkeeping session
//! ([`super::lock::LockSession`]) so that it commits apart from the run's data.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Jsonb, Nullable, Text, Timestamptz};
use serde::Serialize;
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

/// The prefix of the `application_name` of a run's bookkeeping session once its row exists
/// (`hunter-pc run 42`): `status` tells the run that holds the sync lock by it.
pub const RUN_SESSION_PREFIX: &str = "hunter-pc run ";

/// Insert the run's row (status `running`, on `host`) and return its id. The session is named
/// after the run ([`RUN_SESSION_PREFIX`]) in the same statement.
pub fn start(
    conn: &mut PgConnection,
    source: RunSource,
    forced: bool,
    dry_run: bool,
    direction: &str,
    host: Option<&str>,
) -> Result<i64> {
    Ok(diesel::sql_query(
        "WITH r AS (INSERT INTO sync_runs (status, source, forced, dry_run, direction, host) \
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id) \
         SELECT id, set_config('application_name', $7 || id, false) AS named FROM r",
    )
    .bind::<Text, _>(RunStatus::Running.as_str())
    .bind::<Text, _>(source.as_str())
    .bind::<Bool, _>(forced)
    .bind::<Bool, _>(dry_run)
    .bind::<Text, _>(direction)
    .bind::<Nullable<Text>, _>(host)
    .bind::<Text, _>(RUN_SESSION_PREFIX)
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

/// A run's row as `status` shows it: every column, and its age.
#[derive(Debug, Clone, PartialEq, QueryableByName, Serialize)]
pub struct RunRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Timestamptz)]
    pub started_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub finished_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Bool)]
    pub forced: bool,
    #[diesel(sql_type = Bool)]
    pub dry_run: bool,
    #[diesel(sql_type = Text)]
    pub source: String,
    #[diesel(sql_type = Text)]
    pub direction: String,
    #[diesel(sql_type = Integer)]
    pub fetched: i32,
    #[diesel(sql_type = Integer)]
    pub new: i32,
    #[diesel(sql_type = Integer)]
    pub updated: i32,
    #[diesel(sql_type = Integer)]
    pub unchanged: i32,
    #[diesel(sql_type = Jsonb)]
    pub skipped: Value,
    #[diesel(sql_type = Integer)]
    pub failed: i32,
    #[diesel(sql_type = Integer)]
    pub unlinked: i32,
    #[diesel(sql_type = Integer)]
    pub companies_created: i32,
    #[diesel(sql_type = Integer)]
    pub companies_updated: i32,
    #[diesel(sql_type = Integer)]
    pub raw_leads_inserted: i32,
    #[diesel(sql_type = Integer)]
    pub scans_ok: i32,
    #[diesel(sql_type = Integer)]
    pub scans_failed: i32,
    #[diesel(sql_type = Integer)]
    pub scans_skipped_already_scanned: i32,
    #[diesel(sql_type = Integer)]
    pub scored: i32,
    #[diesel(sql_type = Integer)]
    pub pages: i32,
    #[diesel(sql_type = BigInt)]
    pub duration_ms: i64,
    #[diesel(sql_type = Jsonb)]
    pub errors: Value,
    #[diesel(sql_type = Nullable<Integer>)]
    pub exit_code: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub error: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub host: Option<String>,
    /// Whole seconds since the run started, by the database's clock.
    #[diesel(sql_type = BigInt)]
    pub age_secs: i64,
}

/// The columns of a [`RunRow`] (the table's, and the age).
const ROW: &str = "SELECT r.*, floor(extract(epoch FROM now() - r.started_at))::bigint AS age_secs \
                   FROM sync_runs r";

/// The newest run (any status); `None` before the first run.
pub fn last(conn: &mut PgConnection) -> Result<Option<RunRow>> {
    Ok(
        diesel::sql_query(format!("{ROW} ORDER BY r.id DESC LIMIT 1"))
            .get_result::<RunRow>(conn)
            .optional()?,
    )
}

/// Runs still marked `running`, newest first (at most `limit`).
pub fn unfinished(conn: &mut PgConnection, limit: i64) -> Result<Vec<RunRow>> {
    Ok(diesel::sql_query(format!(
        "{ROW} WHERE r.status = $1 ORDER BY r.id DESC LIMIT $2"
    ))
    .bind::<Text, _>(RunStatus::Running.as_str())
    .bind::<BigInt, _>(limit)
    .load::<RunRow>(conn)?)
}

/// The newest run that ended, leaving out runs that did nothing because another held the lock
/// (`locked`) or the last sync was too recent (`skipped`).
pub fn last_finished(conn: &mut PgConnection) -> Result<Option<RunRow>> {
    Ok(diesel::sql_query(format!(
        "{ROW} WHERE r.status <> ALL($1) ORDER BY r.id DESC LIMIT 1"
    ))
    .bind::<Array<Text>, _>(vec![
        RunStatus::Running.as_str(),
        RunStatus::Locked.as_str(),
        RunStatus::Skipped.as_str(),
    ])
    .get_result::<RunRow>(conn)
    .optional()?)
}

/// The newest non-dry API sync that ended `ok`.
pub fn last_ok_api_row(conn: &mut PgConnection) -> Result<Option<RunRow>> {
    Ok(diesel::sql_query(format!(
        "{ROW} WHERE r.source = $1 AND r.status = $2 AND NOT r.dry_run \
         ORDER BY r.started_at DESC, r.id DESC LIMIT 1"
    ))
    .bind::<Text, _>(RunSource::Api.as_str())
    .bind::<Text, _>(RunStatus::Ok.as_str())
    .get_result::<RunRow>(conn)
    .optional()?)
}

/// The statement an operator runs to read a run's per-referral errors (named in messages).
pub fn errors_query(id: i64) -> String {
    format!("SELECT errors FROM sync_runs WHERE id = {id}")
}
