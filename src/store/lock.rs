//! The session advisory lock that keeps one sync at a time, across hosts.

use diesel::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

use crate::error::Result;

/// The key of the session advisory lock that keeps one sync at a time, across hosts.
pub const SYNC_LOCK_KEY: i64 = 0x6875_6e74_6572_7063; // "hunterpc"

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// A dedicated database session for a sync's bookkeeping: it takes the session advisory lock
/// that keeps one sync at a time (across hosts) and writes the `sync_runs` row, so that row is
/// committed apart from the run's data. The lock is released when this is dropped, or by the
/// server when the process dies.
pub struct LockSession {
    conn: PgConnection,
    held: bool,
}

impl LockSession {
    pub fn connect(url: &str, opts: &super::ConnectOptions) -> Result<LockSession> {
        let conn = super::connect::open(url, opts, super::connect::Purpose::Run)?;
        Ok(LockSession { conn, held: false })
    }

    /// Try to take the lock at once: `false` when another session holds it.
    pub fn try_lock(&mut self) -> Result<bool> {
        self.held = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
            .bind::<BigInt, _>(SYNC_LOCK_KEY)
            .get_result::<Locked>(&mut self.conn)?
            .locked;
        Ok(self.held)
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.conn
    }
}

impl Drop for LockSession {
    fn drop(&mut self) {
        if self.held {
            let _ = diesel::sql_query("SELECT pg_advisory_unlock($1) AS locked")
                .bind::<BigInt, _>(SYNC_LOCK_KEY)
                .get_result::<Locked>(&mut self.conn);
        }
    }
}
