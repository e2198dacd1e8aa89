//! `rescore [--domain D] [--dry-run] [--json]`: recompute scores from stored signals and
//! referral facts (pipeline.md §8), in set-based batches.

use std::time::Instant;

use diesel::PgConnection;
use serde_json::json;

use crate::cli::RescoreArgs;
use crate::commands::Ctx;
use crate::error::{Error, Result};
use crate::output::{emit, emit_json};
use crate::score::{self, RescoreSummary, ScoreConfig};
use crate::store::{self, companies};

pub fn run(ctx: &Ctx, args: RescoreArgs) -> Result<()> {
    let started = Instant::now();
    let mut conn =
        store::connect_current(ctx.settings.require_database_url()?, &ctx.settings.db())?;
    let cfg = ScoreConfig::from_settings(&ctx.settings);
    let one = match args.domain.as_deref() {
        Some(d) => Some(known_company(&mut conn, d)?),
        None => None,
    };
    let summary = score::score_domains(
        &mut conn,
        one.as_ref().map(std::slice::from_ref),
        &cfg,
        args.dry_run,
    )?;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    tracing::info!(
        scored = summary.scored,
        changed_score = summary.changed_score,
        changed_segment = summary.changed_segment,
        written = summary.written,
        removed = summary.removed,
        duration_ms,
        dry_run = args.dry_run,
        "rescore finished"
    );
    if args.json {
        emit_json(&summary_json(&summary, duration_ms, args.dry_run))?;
    } else {
        emit(&summary_table(&summary, duration_ms, args.dry_run))?;
    }
    Ok(())
}

/// The domain as stored (see `given_domain`), when a company has it; else exit 1.
fn known_company(conn: &mut PgConnection, given: &str) -> Result<String> {
    let domain = super::given_domain(given)?;
    if companies::exists(conn, &domain)? {
        Ok(domain)
    } else {
        Err(Error::failure(format!(
            "no company has the domain {domain:?}: companies are created by `hunter-pc sync`; \
             check the spelling with `hunter-pc list-referrals --domain`"
        )))
    }
}

/// cli.md's keys, plus `written` and `removed`.
fn summary_json(s: &RescoreSummary, duration_ms: i64, dry_run: bool) -> serde_json::Value {
    json!({
        "scored": s.scored,
        "changed_score": s.changed_score,
        "changed_segment": s.changed_segment,
        "segments": s.segments,
        "written": s.written,
        "removed": s.removed,
        "duration_ms": duration_ms,
        "dry_run": dry_run,
    })
}

fn summary_table(s: &RescoreSummary, duration_ms: i64, dry_run: bool) -> String {
    let mut out = String::new();
    if dry_run {
        out.push_str("dry run: nothing was written\n");
    }
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<16} {v}\n"));
    line("scored", s.scored.to_string());
    line("changed score", s.changed_score.to_string());
    line("changed segment", s.changed_segment.to_string());
    line("written", s.written.to_string());
    line("removed", s.removed.to_string());
    for (segment, n) in &s.segments {
        line(&format!("  {segment}"), n.to_string());
    }
    line("duration", format!("{duration_ms} ms"));
    out
}
