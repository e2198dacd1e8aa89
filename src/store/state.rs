//! `sync_state`: the incremental cursor, one stream per direction setting.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamptz};
use serde_json::Value;

use crate::config::Direction;
use crate::error::Result;

/// The table.
pub const TABLE: &str = "sync_state";

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

/// A stream's row as JSON (every column), for `status`; `Null` when there is none.
pub fn row_json(conn: &mut PgConnection, stream: &str) -> Result<Value> {
    let row =
        diesel::sql_query("SELECT row_to_json(c)::text AS j FROM sync_state c WHERE stream = $1")
            .bind::<Text, _>(stream)
            .get_result::<super::JsonRow>(conn)
            .optional()?;
    Ok(super::json_of(row))
}
