//! `migrate up|down|redo|status` as library operations (hunter-database.md §2).
//!
//! Every one first reads the database's shape and refuses an unknown one (78, nothing
//! changed). `up` creates hunter-pc's schema and applies its migrations there; on an `empty`
//! database it then creates Hunter's five tables and records them. `down` reverts hunter-pc's
//! migrations; once none is left it drops hunter-pc's schema and, on a `created` database, the
//! five tables, but only after checking, before anything is reverted, that nothing outside them
//! depends on them and they hold only rows hunter-pc wrote (else exit 1, nothing dropped).
//! `up`, `down` and `redo` hold the sync's advisory lock. Dry runs change nothing and lock
//! nothing.

use diesel::PgConnection;

use crate::error::{Error, Result};
use crate::store::lock::LockSession;
use crate::store::{self, ConnectOptions, Layout, Shape, hunter_tables, layout, migrations};

/// What a migrate command works on.
pub struct Migrate {
    url: String,
    db: ConnectOptions,
    conn: PgConnection,
    pub layout: Layout,
    pub state: migrations::MigrationState,
}

/// One object a `down` would drop, with its row count (`None` for a schema).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub what: String,
    pub rows: Option<i64>,
}

impl Migrate {
    /// Connect and read the shape (refused when unknown) and the migration state.
    pub fn open(url: &str, db: &ConnectOptions) -> Result<Migrate> {
        let mut conn = store::connect(url, db)?;
        let layout = layout::detect(&mut conn, &db.schemas)?;
        layout.require_known()?;
        let state = migrations::migration_state(&mut conn, &db.schemas)?;
        Ok(Migrate {
            url: url.to_string(),
            db: db.clone(),
            conn,
            layout,
            state,
        })
    }

    /// The sync's advisory lock, on a session of its own, held until the returned value is
    /// dropped: a migration never runs under a sync (or another migrate).
    fn lock(&self) -> Result<LockSession> {
        let mut lock = LockSession::connect(&self.url, &self.db)?;
        if !lock.try_lock()? {
            return Err(Error::temp(
                "a sync (or another migrate) holds hunter-pc's lock in this database: try again \
                 when it has finished",
            ));
        }
        Ok(lock)
    }

    /// What `up` would do: the versions it would apply, and whether it would create Hunter's
    /// tables.
    pub fn up_plan(&self, to: Option<&str>) -> (Vec<String>, bool) {
        let versions = self
            .state
            .pending
            .iter()
            .filter(|v| to.is_none_or(|t| v.as_str() <= t))
            .cloned()
            .collect();
        (versions, self.layout.shape == Shape::Empty)
    }

    /// Apply the pending migrations (up to `to`); on an `empty` database, then create Hunter's
    /// tables. Returns the versions applied and whether the tables were created.
    pub fn up(&mut self, to: Option<&str>) -> Result<(Vec<String>, bool)> {
        self.state.require_known()?;
        let _lock = self.lock()?;
        let schemas = self.db.schemas.clone();
        let done = migrations::migrate_up(&mut self.conn, &schemas, to)?;
        let mut created = false;
        if self.layout.shape == Shape::Empty
            && migrations::migration_state(&mut self.conn, &schemas)?
                .pending
                .is_empty()
        {
            hunter_tables::create(&mut self.conn, &schemas)?;
            tracing::info!(schema = %schemas.hunter, "created Hunter's tables on an empty database");
            created = true;
        }
        Ok((done, created))
    }

    /// The versions a `down` reverts, newest first.
    pub fn down_plan(&self, steps: Option<usize>, to: Option<&str>, all: bool) -> Vec<String> {
        migrations::down_plan(&self.state, steps, to, all)
    }

    /// Whether reverting `plan` leaves no migration applied (hunter-pc's schema, and on a
    /// `created` database Hunter's tables, then go too).
    fn reverts_all(&self, plan: &[String]) -> bool {
        !self.state.applied.is_empty() && plan.len() == self.state.applied.len()
    }

    /// On a `created` database, a partial `down` may not revert the tables that tell hunter-pc's
    /// rows in Hunter's tables from others' (without them the five tables could never be
    /// checked, and so never dropped, by a later `down --all`).
    fn partial_down_blocker(&self, plan: &[String]) -> Option<String> {
        let record = ["referrals", "scans", "scores"];
        (self.layout.shape == Shape::Created
            && !self.reverts_all(plan)
            && plan
                .iter()
                .any(|v| migrations::tables_of(v).iter().any(|t| record.contains(t))))
        .then(|| {
            format!(
                "hunter-pc created Hunter's tables in schema {} and its referrals, scans and \
                 scores say which of their rows are its own: revert them only with \
                 `migrate down --all`",
                self.db.schemas.hunter
            )
        })
    }

    /// What reverting `plan` drops, with row counts, for `--dry-run`; and why it may not.
    pub fn down_objects(&mut self, plan: &[String]) -> Result<(Vec<Dropped>, Vec<String>)> {
        let schemas = self.db.schemas.clone();
        let mut out = Vec::new();
        for v in plan {
            for t in migrations::tables_of(v) {
                out.push(Dropped {
                    what: format!("table {}", schemas.own_table(t).replace('"', "")),
                    rows: Some(store::count_rows(&mut self.conn, &schemas.own_table(t))?),
                });
            }
        }
        let mut blockers: Vec<String> = self.partial_down_blocker(plan).into_iter().collect();
        if self.reverts_all(plan) {
            out.push(Dropped {
                what: format!("schema {} (and its migration bookkeeping)", schemas.own),
                rows: None,
            });
            if self.layout.shape == Shape::Created {
                for c in hunter_tables::counts(&mut self.conn, &schemas)? {
                    out.push(Dropped {
                        what: format!("table {}.{} (created by hunter-pc)", schemas.hunter, c.name),
                        rows: Some(c.rows),
                    });
                }
                blockers.extend(hunter_tables::drop_blockers(&mut self.conn, &schemas)?);
            }
        }
        Ok((out, blockers))
    }

    /// Revert `plan`. When it reverts every migration of a `created` database, Hunter's tables
    /// are checked first (exit 1 naming what stops it, nothing reverted), then dropped.
    pub fn down(&mut self, plan: &[String]) -> Result<()> {
        self.state.require_known()?;
        let _lock = self.lock()?;
        if let Some(why) = self.partial_down_blocker(plan) {
            return Err(Error::failure(format!(
                "not reverting: {why}; nothing was reverted"
            )));
        }
        let schemas = self.db.schemas.clone();
        if self.reverts_all(plan) && self.layout.shape == Shape::Created {
            let blockers = hunter_tables::drop_blockers(&mut self.conn, &schemas)?;
            if !blockers.is_empty() {
                return Err(hunter_tables::not_droppable(&schemas, &blockers));
            }
            hunter_tables::drop_created(&mut self.conn, &schemas)?;
            tracing::info!(schema = %schemas.hunter, "dropped the tables hunter-pc created");
        }
        migrations::migrate_down(&mut self.conn, &schemas, plan)
    }

    /// Revert the newest migration and apply it again. Returns the versions applied.
    pub fn redo(&mut self) -> Result<Vec<String>> {
        self.state.require_known()?;
        let plan = self.down_plan(Some(1), None, false);
        let Some(newest) = plan.first().cloned() else {
            return Err(Error::failure(
                "no migration is applied, so there is nothing to redo: run `hunter-pc migrate up`",
            ));
        };
        if self.reverts_all(&plan) && self.layout.shape == Shape::Created {
            return Err(Error::failure(
                "not redoing the only applied migration: reverting it would drop Hunter's tables \
                 hunter-pc created; use `migrate down --all` and `migrate up` if that is meant",
            ));
        }
        let _lock = self.lock()?;
        let schemas = self.db.schemas.clone();
        migrations::migrate_down(&mut self.conn, &schemas, &plan)?;
        migrations::migrate_up(&mut self.conn, &schemas, Some(&newest))
    }
}
