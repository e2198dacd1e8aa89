//! The incremental cursor (`sync_state`, one stream per direction) and the recent-run guard.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};

use crate::config::Direction;
use crate::error::Result;

/// `referrals:<direction>`: each direction setting keeps its own cursor.
pub fn stream(direction: Direction) -> String {
    format!("referrals:{}", direction.as_str())
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    cursor_updated_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    cursor_id: Option<String>,
}

/// The stored cursor of a stream, if any.
pub fn read(conn: &mut PgConnection, stream: &str) -> Result<Option<(DateTime<Utc>, String)>> {
    let row =
        diesel::sql_query("SELECT cursor_updated_at, cursor_id FROM sync_state WHERE stream = $1")
            .bind::<Text, _>(stream)
            .get_result::<Row>(conn)
            .optional()?;
    Ok(row.and_then(|r| Some((r.cursor_updated_at?, r.cursor_id.unwrap_or_default()))))
}

/// Move the cursor forward to `to` (never back), in the caller's transaction.
pub fn advance(conn: &mut PgConnection, stream: &str, to: &(DateTime<Utc>, String)) -> Result<()> {
    diesel::sql_query(
        "INSERT INTO sync_state (stream, cursor_updated_at, cursor_id, updated_at) \
         VALUES ($1, $2, $3, now()) \
         ON CONFLICT (stream) DO UPDATE SET cursor_updated_at = excluded.cursor_updated_at, \
           cursor_id = excluded.cursor_id, updated_at = now() \
         WHERE sync_state.cursor_updated_at IS NULL \
            OR (excluded.cursor_updated_at, excluded.cursor_id) \
               > (sync_state.cursor_updated_at, COALESCE(sync_state.cursor_id, ''))",
    )
    .bind::<Text, _>(stream)
    .bind::<Timestamptz, _>(to.0)
    .bind::<Text, _>(&to.1)
    .execute(conn)?;
    Ok(())
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
         WHERE source = 'api' AND NOT dry_run AND status IN ('ok', 'partial') \
           AND started_at > now() - make_interval(secs => $1)",
    )
    .bind::<BigInt, _>(secs as i64)
    .get_result::<Started>(conn)?;
    Ok(row.started_at)
}
