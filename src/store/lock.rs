//! The session advisory lock that keeps one sync at a time, across hosts.

use diesel::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};

use crate::error::Result;

/// The key of the session advisory lock that keeps one sync (or one `migrate`) at a time,
/// across hosts: derived from hunter-pc's schema name (FNV-1a, 64 bits), so two installs in one
/// database, each with a schema of its own, do not block each other.
pub fn lock_key(own_schema: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in "hunter-pc sync lock:".bytes().chain(own_schema.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

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
    key: i64,
    held: bool,
}

impl LockSession {
    pub fn connect(url: &str, opts: &super::ConnectOptions) -> Result<LockSession> {
        let conn = super::connect::open(url, opts, super::connect::Purpose::Run)?;
        Ok(LockSession {
            conn,
            key: lock_key(&opts.schemas.own),
            held: false,
        })
    }

    /// Try to take the lock at once: `false` when another session holds it.
    pub fn try_lock(&mut self) -> Result<bool> {
        self.held = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
            .bind::<BigInt, _>(self.key)
            .get_result::<Locked>(&mut self.conn)?
            .locked;
        Ok(self.held)
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.conn
    }
}

/// The session that holds the sync lock, as `pg_locks` and `pg_stat_activity` show it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Holder {
    #[diesel(sql_type = Integer)]
    pub pid: i32,
    /// `hunter-pc run 42` once the run's row exists (see [`super::runs::RUN_SESSION_PREFIX`]).
    #[diesel(sql_type = Nullable<Text>)]
    pub application_name: Option<String>,
}

impl Holder {
    /// The id of the run whose session holds the lock, when its name says.
    pub fn run_id(&self) -> Option<i64> {
        self.application_name
            .as_deref()?
            .strip_prefix(super::runs::RUN_SESSION_PREFIX)?
            .trim()
            .parse()
            .ok()
    }
}

/// Who holds the sync lock in this database, if anyone: read from `pg_locks` (a bigint
/// advisory key shows as `classid` = its high 32 bits, `objid` = its low 32 bits, `objsubid`
/// = 1), never by trying the lock.
pub fn holder(conn: &mut PgConnection, key: i64) -> Result<Option<Holder>> {
    let key = key as u64;
    Ok(diesel::sql_query(
        "SELECT l.pid, a.application_name::text AS application_name \
         FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
           AND l.classid::bigint = $1 AND l.objid::bigint = $2 \
         LIMIT 1",
    )
    .bind::<BigInt, _>((key >> 32) as i64)
    .bind::<BigInt, _>((key & 0xffff_ffff) as i64)
    .get_result::<Holder>(conn)
    .optional()?)
}

impl Drop for LockSession {
    fn drop(&mut self) {
        if self.held {
            let _ = diesel::sql_query("SELECT pg_advisory_unlock($1) AS locked")
                .bind::<BigInt, _>(self.key)
                .get_result::<Locked>(&mut self.conn);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_schema_has_a_lock_of_its_own() {
        let a = super::lock_key("hunter_pc");
        assert_eq!(a, super::lock_key("hunter_pc"));
        assert_ne!(a, super::lock_key("hunter_pc2"));
    }
}
