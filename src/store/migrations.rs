//! The embedded migrations: which are applied, applying and reverting them, and the plans of
//! `migrate up|down|redo`.

use diesel::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::{Error, Result};

/// The migrations compiled into this binary (`build.rs` makes cargo notice changes).
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// One migration of this binary, by version and full name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationInfo {
    pub version: String,
    pub name: String,
}

/// Applied and pending migrations, oldest first.
#[derive(Debug, Clone)]
pub struct MigrationState {
    pub applied: Vec<String>,
    pub pending: Vec<String>,
    /// Applied versions this binary does not know.
    pub unknown: Vec<String>,
}

impl MigrationState {
    /// Error 78 unless every known migration is applied and none is unknown.
    pub fn require_current(&self) -> Result<()> {
        self.require_known()?;
        if !self.pending.is_empty() {
            return Err(Error::config(format!(
                "{} migration(s) pending ({}): run `hunter-pc migrate up`",
                self.pending.len(),
                self.pending.join(", ")
            )));
        }
        Ok(())
    }

    /// Error 78 when the database has migrations this binary does not know.
    pub fn require_known(&self) -> Result<()> {
        if self.unknown.is_empty() {
            Ok(())
        } else {
            Err(Error::config(format!(
                "the database is newer than this hunter-pc (unknown migrations {}): install the \
                 newer hunter-pc, or revert them with it",
                self.unknown.join(", ")
            )))
        }
    }
}

/// The migrations compiled into this binary, oldest first.
pub fn known_migrations() -> Vec<MigrationInfo> {
    use diesel::migration::MigrationSource;
    let mut v: Vec<MigrationInfo> = MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
        .expect("embedded migrations are valid")
        .iter()
        .map(|m| MigrationInfo {
            version: m.name().version().to_string(),
            name: m.name().to_string(),
        })
        .collect();
    v.sort_by(|a, b| a.version.cmp(&b.version));
    v
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    exists: bool,
}

#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = Text)]
    version: String,
}

/// Read the migration state without creating anything (a database never migrated has no
/// bookkeeping table yet, and `status` changes nothing).
pub fn migration_state(conn: &mut PgConnection) -> Result<MigrationState> {
    let exists =
        diesel::sql_query("SELECT to_regclass('__diesel_schema_migrations') IS NOT NULL AS exists")
            .get_result::<Exists>(conn)?
            .exists;
    let mut applied: Vec<String> = if exists {
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations ORDER BY version")
            .load::<VersionRow>(conn)?
            .into_iter()
            .map(|r| r.version)
            .collect()
    } else {
        Vec::new()
    };
    applied.sort();
    let known = known_migrations();
    let pending = known
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .map(|m| m.version.clone())
        .collect();
    let unknown = applied
        .iter()
        .filter(|v| !known.iter().any(|m| &m.version == *v))
        .cloned()
        .collect();
    Ok(MigrationState {
        applied,
        pending,
        unknown,
    })
}

/// Turn what a person typed (`20261201000003`, `2026-12-01-000003` or the full directory
/// name) into a known version, or a usage error listing the known ones.
pub fn resolve_version(given: &str) -> Result<String> {
    let known = known_migrations();
    let squashed: String = given.chars().filter(|c| *c != '-').collect();
    known
        .iter()
        .find(|m| m.version == given || m.version == squashed || m.name == given)
        .map(|m| m.version.clone())
        .ok_or_else(|| {
            Error::usage(format!(
                "unknown migration version {given:?}; known: {}",
                known
                    .iter()
                    .map(|m| m.version.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

fn migration_error(e: impl std::fmt::Display) -> Error {
    Error::failure(format!("migration failed: {e}"))
}

/// Apply pending migrations in order, each in its own transaction, up to and including `to`.
/// Returns the versions applied.
pub fn migrate_up(conn: &mut PgConnection, to: Option<&str>) -> Result<Vec<String>> {
    migration_state(conn)?.require_known()?;
    let mut pending = conn
        .pending_migrations(MIGRATIONS)
        .map_err(migration_error)?;
    pending.sort_by_key(|m| m.name().version().to_string());
    let mut done = Vec::new();
    for m in pending {
        let v = m.name().version().to_string();
        if let Some(to) = to
            && v.as_str() > to
        {
            break;
        }
        conn.run_migration(&*m).map_err(migration_error)?;
        tracing::info!(version = %v, "applied migration {}", m.name());
        done.push(v);
    }
    Ok(done)
}

/// Which applied migrations a `down` would revert, newest first.
pub fn down_plan(
    state: &MigrationState,
    steps: Option<usize>,
    to: Option<&str>,
    all: bool,
) -> Vec<String> {
    let mut newest_first: Vec<String> = state.applied.iter().rev().cloned().collect();
    if all {
        return newest_first;
    }
    if let Some(to) = to {
        newest_first.retain(|v| v.as_str() > to);
        return newest_first;
    }
    newest_first.truncate(steps.unwrap_or(1));
    newest_first
}

/// Revert the given applied versions, newest first, each in its own transaction.
pub fn migrate_down(conn: &mut PgConnection, versions: &[String]) -> Result<()> {
    use diesel::migration::MigrationSource;
    let all =
        MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS).map_err(migration_error)?;
    for v in versions {
        let m = all
            .iter()
            .find(|m| &m.name().version().to_string() == v)
            .ok_or_else(|| Error::config(format!("cannot revert unknown migration {v}")))?;
        conn.revert_migration(&**m).map_err(migration_error)?;
        tracing::info!(version = %v, "reverted migration {}", m.name());
    }
    Ok(())
}
