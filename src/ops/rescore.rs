//! `rescore` as a library operation: recompute the scores of the companies with a referral (or
//! one of them) from stored signals and referral facts, in set-based batches.

use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::score::{self, RescoreSummary, ScoreConfig};
use crate::store::{self, companies};

/// What to rescore.
#[derive(Debug, Clone)]
pub struct RescoreOptions {
    pub database_url: Option<String>,
    /// The timeouts of the database session.
    pub db: crate::store::ConnectOptions,
    /// One company's domain, as stored (normalised); none: every company with a referral.
    pub domain: Option<String>,
    pub score: ScoreConfig,
    /// Compute and count, write nothing.
    pub dry_run: bool,
}

/// What a rescore did: the command-line contract's keys, plus `written` and `removed`.
#[derive(Debug, Clone, Serialize)]
pub struct RescoreReport {
    pub scored: i64,
    pub changed_score: i64,
    pub changed_segment: i64,
    pub segments: std::collections::BTreeMap<String, i64>,
    pub written: i64,
    pub removed: i64,
    pub duration_ms: i64,
    pub dry_run: bool,
}

pub fn run(opts: &RescoreOptions) -> Result<RescoreReport> {
    let started = Instant::now();
    let url = opts
        .database_url
        .as_deref()
        .ok_or_else(crate::config::no_database_url)?;
    let (mut conn, layout) = store::connect_current(url, &opts.db)?;
    if let Some(domain) = &opts.domain
        && !companies::has_referral(&mut conn, domain)?
    {
        return Err(Error::failure(format!(
            "no company with a Partner Center referral has the domain {domain:?}: those are \
             created by `hunter-pc sync` (Hunter's other leads are Hunter's to score); check \
             the spelling with `hunter-pc list-referrals --domain`"
        )));
    }
    let RescoreSummary {
        scored,
        changed_score,
        changed_segment,
        written,
        removed,
        segments,
    } = score::score_domains(
        &mut conn,
        &layout,
        opts.domain.as_ref().map(std::slice::from_ref),
        &opts.score,
        opts.dry_run,
    )?;
    let report = RescoreReport {
        scored,
        changed_score,
        changed_segment,
        segments,
        written,
        removed,
        duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        dry_run: opts.dry_run,
    };
    tracing::info!(
        scored = report.scored,
        changed_score = report.changed_score,
        changed_segment = report.changed_segment,
        written = report.written,
        removed = report.removed,
        duration_ms = report.duration_ms,
        dry_run = report.dry_run,
        "rescore finished"
    );
    Ok(report)
}
