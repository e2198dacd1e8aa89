//! The embedded migrations: which are applied, applying and reverting them, and the plans of
//! `migrate up|down|redo`.

use diesel::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::layout::{Schemas, quote};
use crate::error::{Error, Result};

/// The migrations compiled into this binary (`build.rs` makes cargo notice changes).
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The tables each migration creates in hunter-pc's schema (its `down` drops them), by version:
/// what `migrate down --dry-run` lists.
const TABLES_OF: [(&str, &[&str]); 4] = [
    ("20261201000001", &["hunter_tables"]),
    ("20261201000002", &["referrals"]),
    ("20261201000003", &["scans", "scores"]),
    ("20261201000004", &["sync_runs", "sync_state"]),
];

/// The tables migration `version` creates in hunter-pc's schema.
pub fn tables_of(version: &str) -> &'static [&'static str] {
    TABLES_OF
        .iter()
        .find(|(v, _)| *v == version)
        .map_or(&[], |(_, t)| *t)
}

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
struct VersionRow {
    #[diesel(sql_type = Text)]
    version: String,
}

/// diesel's bookkeeping table, in hunter-pc's schema.
fn bookkeeping(schemas: &Schemas) -> String {
    schemas.own_table("__diesel_schema_migrations")
}

/// Read the migration state without creating anything (a database never migrated has no
/// schema of hunter-pc's nor bookkeeping table yet, and `status` changes nothing). The table is
/// looked up by its qualified name: never through `search_path`, which could find another
/// schema's.
pub fn migration_state(conn: &mut PgConnection, schemas: &Schemas) -> Result<MigrationState> {
    let table = bookkeeping(schemas);
    let mut applied: Vec<String> = if super::table_exists(conn, &table)? {
        diesel::sql_query(format!("SELECT version FROM {table} ORDER BY version"))
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

/// Run `f` with hunter-pc's schema as the session's only `search_path` (the migrations and
/// diesel's bookkeeping go there), and the data sessions' path back afterwards.
fn in_own_schema<T>(
    conn: &mut PgConnection,
    schemas: &Schemas,
    f: impl FnOnce(&mut PgConnection) -> Result<T>,
) -> Result<T> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute(&schemas.migration_search_path())?;
    let out = f(conn);
    conn.batch_execute(&schemas.data_search_path())?;
    out
}

/// Apply pending migrations in order, each in its own transaction, up to and including `to`,
/// creating hunter-pc's schema first when it does not exist. Returns the versions applied.
pub fn migrate_up(
    conn: &mut PgConnection,
    schemas: &Schemas,
    to: Option<&str>,
) -> Result<Vec<String>> {
    use diesel::connection::SimpleConnection;
    migration_state(conn, schemas)?.require_known()?;
    conn.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {}",
        quote(&schemas.own)
    ))?;
    in_own_schema(conn, schemas, |conn| apply(conn, to))
}

fn apply(conn: &mut PgConnection, to: Option<&str>) -> Result<Vec<String>> {
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

/// Revert the given applied versions, newest first, each in its own transaction. When none is
/// left applied, hunter-pc's schema is dropped (a migration cannot drop the schema that holds
/// the bookkeeping it updates): its bookkeeping table, then the schema itself, `RESTRICT`, so
/// an object someone else put there stops it instead of vanishing.
pub fn migrate_down(conn: &mut PgConnection, schemas: &Schemas, versions: &[String]) -> Result<()> {
    use diesel::connection::SimpleConnection;
    in_own_schema(conn, schemas, |conn| revert(conn, versions))?;
    if migration_state(conn, schemas)?.applied.is_empty() {
        let dropped = conn.batch_execute(&format!(
            "DROP TABLE IF EXISTS {}; DROP SCHEMA IF EXISTS {} RESTRICT",
            bookkeeping(schemas),
            quote(&schemas.own)
        ));
        if let Err(e) = dropped {
            return Err(Error::failure(format!(
                "every migration is reverted, but schema {} could not be dropped: {e} (remove \
                 what else is in it, then drop it)",
                schemas.own
            )));
        }
    }
    Ok(())
}

fn revert(conn: &mut PgConnection, versions: &[String]) -> Result<()> {
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

#[cfg(test)]
mod tests {
    #[test]
    fn every_migration_names_its_tables() {
        let known = super::known_migrations();
        assert_eq!(known.len(), super::TABLES_OF.len());
        for m in known {
            assert!(!super::tables_of(&m.version).is_empty(), "{}", m.name);
        }
    }
}
