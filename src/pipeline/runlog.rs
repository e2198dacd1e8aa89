//! The `sync_runs` row of a run and the summary cli.md specifies.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Jsonb, Text};
use serde::Serialize;

use crate::error::Result;
pub use crate::model::RunStatus;
use crate::pipeline::ingest::Counts;

/// The summary printed by `sync` (keys and order as cli.md lists them).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub run_id: Option<i64>,
    pub status: RunStatus,
    pub fetched: i64,
    pub new: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub skipped: BTreeMap<String, i64>,
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
    pub dry_run: bool,
    pub forced: bool,
}

impl Summary {
    pub fn new(run_id: Option<i64>, status: RunStatus, dry_run: bool, forced: bool) -> Summary {
        Summary {
            run_id,
            status,
            fetched: 0,
            new: 0,
            updated: 0,
            unchanged: 0,
            skipped: BTreeMap::new(),
            failed: 0,
            unlinked: 0,
            companies_created: 0,
            companies_updated: 0,
            raw_leads_inserted: 0,
            scans_ok: 0,
            scans_failed: 0,
            scans_skipped_already_scanned: 0,
            scored: 0,
            pages: 0,
            duration_ms: 0,
            dry_run,
            forced,
        }
    }

    /// Take the ingestion's counts.
    pub fn absorb(&mut self, c: &Counts) {
        self.fetched = c.fetched;
        self.new = c.new;
        self.updated = c.updated;
        self.unchanged = c.unchanged;
        self.skipped = c.skipped.clone();
        self.failed = c.failed;
        self.unlinked = c.unlinked;
        self.companies_created = c.companies_created;
        self.companies_updated = c.companies_updated;
        self.raw_leads_inserted = c.raw_leads_inserted;
        self.pages = c.pages;
    }

    /// The short table printed without `--json`.
    pub fn table(&self) -> String {
        let skipped: i64 = self.skipped.values().sum();
        let reasons = self
            .skipped
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(r, n)| format!("{r} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut rows = vec![
            (
                "run",
                self.run_id.map(|i| format!("#{i}")).unwrap_or("-".into()),
            ),
            ("status", self.status.as_str().to_string()),
            ("fetched", self.fetched.to_string()),
            ("new", self.new.to_string()),
            ("updated", self.updated.to_string()),
            ("unchanged", self.unchanged.to_string()),
            (
                "skipped",
                if reasons.is_empty() {
                    skipped.to_string()
                } else {
                    format!("{skipped} ({reasons})")
                },
            ),
            ("failed", self.failed.to_string()),
            ("unlinked", self.unlinked.to_string()),
            (
                "companies",
                format!(
                    "{} created, {} updated",
                    self.companies_created, self.companies_updated
                ),
            ),
            ("raw leads", self.raw_leads_inserted.to_string()),
            (
                "scans",
                format!(
                    "{} ok, {} failed, {} already scanned",
                    self.scans_ok, self.scans_failed, self.scans_skipped_already_scanned
                ),
            ),
            ("scored", self.scored.to_string()),
            ("pages", self.pages.to_string()),
            ("duration", format!("{} ms", self.duration_ms)),
        ];
        if self.dry_run {
            rows.push(("dry run", "yes (nothing kept)".into()));
        }
        if self.forced {
            rows.push(("forced", "yes".into()));
        }
        rows.iter().map(|(k, v)| format!("{k:<10} {v}\n")).collect()
    }
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Insert the run's row (status `running`) and return its id.
pub fn start(
    conn: &mut PgConnection,
    source: &str,
    forced: bool,
    dry_run: bool,
    direction: &str,
) -> Result<i64> {
    Ok(diesel::sql_query(
        "INSERT INTO sync_runs (status, source, forced, dry_run, direction) \
         VALUES ('running', $1, $2, $3, $4) RETURNING id",
    )
    .bind::<Text, _>(source)
    .bind::<Bool, _>(forced)
    .bind::<Bool, _>(dry_run)
    .bind::<Text, _>(direction)
    .get_result::<Id>(conn)?
    .id)
}

/// Record how the run ended, with its counts and per-referral errors.
pub fn finish(
    conn: &mut PgConnection,
    s: &Summary,
    errors: &BTreeMap<String, String>,
) -> Result<()> {
    let Some(id) = s.run_id else { return Ok(()) };
    let n = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
    diesel::sql_query(
        "UPDATE sync_runs SET finished_at = now(), status = $2, fetched = $3, new = $4, \
         updated = $5, unchanged = $6, skipped = $7, failed = $8, unlinked = $9, \
         companies_created = $10, companies_updated = $11, raw_leads_inserted = $12, \
         scans_ok = $13, scans_failed = $14, scans_skipped_already_scanned = $15, scored = $16, \
         pages = $17, duration_ms = $18, errors = $19 WHERE id = $1",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(s.status.as_str())
    .bind::<Integer, _>(n(s.fetched))
    .bind::<Integer, _>(n(s.new))
    .bind::<Integer, _>(n(s.updated))
    .bind::<Integer, _>(n(s.unchanged))
    .bind::<Jsonb, _>(serde_json::to_value(&s.skipped)?)
    .bind::<Integer, _>(n(s.failed))
    .bind::<Integer, _>(n(s.unlinked))
    .bind::<Integer, _>(n(s.companies_created))
    .bind::<Integer, _>(n(s.companies_updated))
    .bind::<Integer, _>(n(s.raw_leads_inserted))
    .bind::<Integer, _>(n(s.scans_ok))
    .bind::<Integer, _>(n(s.scans_failed))
    .bind::<Integer, _>(n(s.scans_skipped_already_scanned))
    .bind::<Integer, _>(n(s.scored))
    .bind::<Integer, _>(n(s.pages))
    .bind::<BigInt, _>(s.duration_ms)
    .bind::<Jsonb, _>(serde_json::to_value(errors)?)
    .execute(conn)?;
    Ok(())
}

/// Runs still `running` when a new run holds the lock ended without finishing (killed, or the
/// machine went down): record them as `failed`, so `status` does not show them running forever.
pub fn close_abandoned(conn: &mut PgConnection, current: i64) -> Result<usize> {
    Ok(diesel::sql_query(
        "UPDATE sync_runs SET status = 'failed', \
           errors = errors || '{\"run\": \"the process ended before the run finished\"}'::jsonb \
         WHERE status = 'running' AND id < $1",
    )
    .bind::<BigInt, _>(current)
    .execute(conn)?)
}
