//! Set-based scoring: read the company domains with a Partner Center referral, with their
//! signals, referral facts and current scores, in batches (one statement per batch,
//! [`crate::store::scores`]), score them in memory, and write the changed rows with one
//! multi-row statement per batch and table: hunter-pc's `scores`, and Hunter's `lead_scores`
//! where the domain's rows are not exactly the one row hunter-pc would write. Hunter's other
//! companies are never read or written.

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::{DmarcPolicy, Provider, ScanOutcome, Score, ScoreConfig, ScoreInput, Signals};
use crate::error::Result;
use crate::model::{HUNTER_SCAN_COMPLETED, HUNTER_SCAN_NXDOMAIN, ScanStatus};
use crate::store::Layout;
use crate::store::scores::{self, Company, HunterScore, LeadScore};

/// Where a score came from (`scores.source`).
pub const SOURCE_SCAN: &str = "scan";
pub const SOURCE_HUNTER: &str = "hunter";
pub const SOURCE_TENANT: &str = "tenant";

/// Companies read, scored and written per batch (one read statement and at most two writes each).
pub const BATCH_SIZE: usize = 5_000;

/// What a scoring pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RescoreSummary {
    /// Companies that have a score after this pass (computed now).
    pub scored: i64,
    /// Of those, how many got a different `readiness_score` (or had no score before).
    pub changed_score: i64,
    /// Of those, how many got a different `segment` (or had no score before).
    pub changed_segment: i64,
    /// hunter-pc's `scores` rows inserted or updated (any column changed); 0 on a dry run.
    pub written: i64,
    /// Stale `lead_scores` rows removed: never scanned and no Azure tenant id any more.
    pub removed: i64,
    /// Segment → how many of the scored companies are in it.
    pub segments: BTreeMap<String, i64>,
}

/// Score the given company domains (`None`: every company with a Partner Center referral) and
/// store the results.
///
/// A company with no successful scan and no Azure tenant id gets no score: when its scan
/// `failed` any previous score is kept (a failed rescan keeps the previous score); when it
/// was never scanned hunter-pc's stale row is deleted (Hunter's `lead_scores` rows stay).
/// Domains without a company or without a referral are ignored. With
/// `dry_run` nothing is written and the summary says what would change. Runs in one
/// transaction (a savepoint when the caller has one open).
pub fn score_domains(
    conn: &mut PgConnection,
    layout: &Layout,
    domains: Option<&[String]>,
    cfg: &ScoreConfig,
    dry_run: bool,
) -> Result<RescoreSummary> {
    conn.transaction(|conn| {
        let mut summary = RescoreSummary::default();
        match domains {
            None => {
                let mut after = String::new();
                loop {
                    let rows = scores::read_after(conn, &after, BATCH_SIZE)?;
                    let Some(last) = rows.last() else { break };
                    after = last.domain.clone();
                    let full = rows.len() == BATCH_SIZE;
                    score_batch(conn, layout, rows, cfg, dry_run, &mut summary)?;
                    if !full {
                        break;
                    }
                }
            }
            Some(list) => {
                let mut list: Vec<String> = list.to_vec();
                list.sort();
                list.dedup();
                for chunk in list.chunks(BATCH_SIZE) {
                    let rows = scores::read_of(conn, chunk)?;
                    score_batch(conn, layout, rows, cfg, dry_run, &mut summary)?;
                }
            }
        }
        Ok(summary)
    })
}

/// What the scorer looks at for a company as read, and where it comes from: hunter-pc's scan,
/// or, when the domain's newest signals row is Hunter's own scan, Hunter's columns
/// (hunter-database.md §4: provider = `companies.provider`, MX present when `mx_root` is set,
/// no SPF-include penalty). A stored name of hunter-pc's own this hunter-pc does not know is an
/// error, not a guess; a provider name of Hunter's it does not know reads as `Unknown`.
fn input(c: &Company) -> Result<(ScoreInput, &'static str)> {
    let scan = if c.hunters {
        match c.hunter_status.as_deref() {
            Some(s) if HUNTER_SCAN_COMPLETED.contains(&s) => ScanOutcome::Success(Signals {
                provider: c
                    .company_provider
                    .as_deref()
                    .and_then(|p| p.parse::<Provider>().ok())
                    .unwrap_or(Provider::Unknown),
                mx_present: c.hunter_mx,
                spf: c.hunter_spf,
                dkim: c.hunter_dkim,
                dmarc: c.hunter_dmarc.as_deref().map(DmarcPolicy::from_name),
                spf_includes: 0,
            }),
            Some(HUNTER_SCAN_NXDOMAIN) => ScanOutcome::NxDomain,
            _ => ScanOutcome::Failed,
        }
    } else {
        let status = c
            .scan_status
            .as_deref()
            .map(str::parse::<ScanStatus>)
            .transpose()?;
        match status {
            None => ScanOutcome::NotScanned,
            Some(ScanStatus::Success) => ScanOutcome::Success(Signals {
                provider: c
                    .provider
                    .as_deref()
                    .map(str::parse::<Provider>)
                    .transpose()?
                    .unwrap_or(Provider::Unknown),
                mx_present: c.mx_present,
                spf: c.spf,
                dkim: c.dkim,
                dmarc: c.dmarc_policy.as_deref().map(DmarcPolicy::from_name),
                spf_includes: c.spf_record.as_deref().map_or(0, super::spf_include_count),
            }),
            Some(ScanStatus::Nxdomain) => ScanOutcome::NxDomain,
            Some(ScanStatus::Failed) => ScanOutcome::Failed,
        }
    };
    let source = match (&scan, c.hunters) {
        (ScanOutcome::Success(_) | ScanOutcome::NxDomain, true) => SOURCE_HUNTER,
        (ScanOutcome::Success(_) | ScanOutcome::NxDomain, false) => SOURCE_SCAN,
        _ => SOURCE_TENANT,
    };
    Ok((
        ScoreInput {
            scan,
            azure_tenant_id: c.tenant,
            cosell: c.cosell,
        },
        source,
    ))
}

/// A score as its row stores it.
fn stored(s: &Score) -> LeadScore {
    LeadScore {
        readiness_score: s.readiness_score,
        segment: s.segment.as_str().to_string(),
        reason: s.reason.clone(),
        technical_heat: s.technical_heat.as_str().to_string(),
        commercial_segment: s.commercial_segment.as_str().to_string(),
        commercial_heat: s.commercial_heat.as_str().to_string(),
        priority_category: s.priority_category.as_str().to_string(),
        priority_label: s.priority_label.to_string(),
        priority_score: s.priority_score,
    }
}

/// Score one batch, count what changed, write the changes.
fn score_batch(
    conn: &mut PgConnection,
    layout: &Layout,
    rows: Vec<Company>,
    cfg: &ScoreConfig,
    dry_run: bool,
    summary: &mut RescoreSummary,
) -> Result<()> {
    let mut writes: Vec<(String, LeadScore, &str)> = Vec::new();
    let mut hunter: Vec<(String, HunterScore)> = Vec::new();
    let mut stale: Vec<String> = Vec::new();
    for row in rows {
        let (input, source) = input(&row)?;
        let old = row.old();
        match super::score(&input, cfg) {
            Some(new) => {
                let new = stored(&new);
                summary.scored += 1;
                *summary.segments.entry(new.segment.clone()).or_insert(0) += 1;
                let same_score =
                    old.as_ref().map(|o| o.readiness_score) == Some(new.readiness_score);
                let same_segment = old.as_ref().map(|o| &o.segment) == Some(&new.segment);
                summary.changed_score += i64::from(!same_score);
                summary.changed_segment += i64::from(!same_segment);
                let projected = HunterScore::of(&new, layout);
                if row.hunter_rows != 1 || row.hunter_score != projected {
                    hunter.push((row.domain.clone(), projected));
                }
                if old.as_ref() != Some(&new) || row.old_source.as_deref() != Some(source) {
                    writes.push((row.domain, new, source));
                }
            }
            None if input.scan == ScanOutcome::NotScanned && old.is_some() => {
                stale.push(row.domain)
            }
            // A failed scan keeps the score it had; no score yet stays so.
            None => {}
        }
    }
    summary.written += writes.len() as i64;
    summary.removed += stale.len() as i64;
    if dry_run {
        return Ok(());
    }
    if !writes.is_empty() {
        scores::upsert(conn, &writes)?;
    }
    if !hunter.is_empty() {
        scores::replace_hunter(conn, &hunter)?;
    }
    if !stale.is_empty() {
        scores::delete(conn, &stale)?;
    }
    Ok(())
}
