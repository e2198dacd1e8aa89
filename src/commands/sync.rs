//! `sync`: settings → [`ops::sync`] options, run, print the summary.

use std::io::IsTerminal;
use std::time::Duration;

use crate::cli::SyncArgs;
use crate::commands::Ctx;
use crate::error::Result;
use crate::ops::sync::{ApiInput, Input, Refresh, SyncOptions};
use crate::ops::{self, Stop};
use crate::output::{emit, emit_json};

pub fn run(ctx: &Ctx, args: SyncArgs) -> Result<()> {
    let s = &ctx.settings;
    let input = match args.from_file {
        Some(path) => Input::File(path),
        None => Input::Api(Box::new(ApiInput {
            client: s.partner_center(),
            auth: s.auth(),
            lookback: Duration::from_secs(s.lookback_secs),
            min_interval_secs: s.min_sync_interval_secs,
        })),
    };
    let opts = SyncOptions {
        database_url: s.database_url.clone(),
        db: s.db(),
        input,
        enabled: s.enabled,
        force: args.force,
        dry_run: args.dry_run,
        no_scan: args.no_scan,
        rescan: args.rescan,
        direction: s.direction,
        page_size: s.page_size as usize,
        run_budget: Duration::from_secs(s.run_budget_secs),
        scan: s.scan(),
        scan_concurrency: s.scan_concurrency,
        scan_retry_secs: s.scan_retry_secs,
        refresh: Refresh {
            after_days: s.rescan_after_days,
            batch: s.rescan_batch,
        },
        score: s.score(),
        progress: ctx.progress(),
        heartbeat: (!ctx.progress()).then_some(Duration::from_secs(30)),
        stop: Stop::on_signals()?,
    };
    let report = ops::sync::run(&opts);
    if let Some(path) = &s.metrics_file {
        write_metrics(path, &report);
    }
    if let Some(notice) = &report.notice {
        tracing::info!("{notice}");
    }
    // The table is for a person at a terminal; for the timer and pipes the summary is the
    // run's "sync finished" log event.
    let printed = match &report.summary {
        Some(summary) if args.json => emit_json(&serde_json::to_value(summary)?),
        Some(summary) if std::io::stdout().is_terminal() => emit(&summary.table()),
        _ => Ok(()),
    };
    // The run's own error decides the exit; a closed stdout only matters without one.
    match report.error {
        Some(e) => Err(e),
        None => printed,
    }
}

/// The run's metrics file; a failure to write it is logged, and does not change the exit.
fn write_metrics(path: &std::path::Path, report: &ops::sync::SyncReport) {
    let m = crate::metrics::RunMetrics {
        summary: report.summary.as_ref(),
        source: report.source.as_str(),
        exit_code: report.error.as_ref().map_or(0, |e| e.exit_code()),
        started_at: report.started_at,
        finished_at: chrono::Utc::now(),
        last_ok_api: report.last_ok_api,
        partner_center: report.partner_center.as_ref(),
    };
    if let Err(e) = crate::metrics::write_atomically(path, &crate::metrics::render(&m)) {
        tracing::error!("{e}");
    }
}
