//! The summary cli.md specifies for a sync, and the run record it becomes.

use std::collections::BTreeMap;

use diesel::PgConnection;
use serde::Serialize;

use crate::error::Result;
pub use crate::model::RunStatus;
use crate::pipeline::ingest::Counts;
use crate::store::runs;

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

/// Record how the run ended, with its counts and per-referral errors (`sync_runs`).
pub fn finish(
    conn: &mut PgConnection,
    s: &Summary,
    errors: &BTreeMap<String, String>,
    exit_code: i32,
    error: Option<&str>,
) -> Result<()> {
    let Some(id) = s.run_id else { return Ok(()) };
    runs::finish(
        conn,
        id,
        &runs::Finished {
            status: s.status,
            fetched: s.fetched,
            new: s.new,
            updated: s.updated,
            unchanged: s.unchanged,
            skipped: &s.skipped,
            failed: s.failed,
            unlinked: s.unlinked,
            companies_created: s.companies_created,
            companies_updated: s.companies_updated,
            raw_leads_inserted: s.raw_leads_inserted,
            scans_ok: s.scans_ok,
            scans_failed: s.scans_failed,
            scans_skipped_already_scanned: s.scans_skipped_already_scanned,
            scored: s.scored,
            pages: s.pages,
            duration_ms: s.duration_ms,
            errors,
            exit_code,
            error,
        },
    )
}

/// This machine's name, for `sync_runs.host` (which of two hosts ran a sync).
pub fn hostname() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}
