//! `status`: settings → [`ops::status`] options, the report rendered as text or JSON, or the
//! health check's one line (`--check`).

use std::time::Duration;

use crate::cli::StatusArgs;
use crate::commands::Ctx;
use crate::error::Result;
use crate::ops::status::{self, StatusOptions, StatusReport, human_duration, on_host};
use crate::output::{emit, emit_json};
use crate::store::runs::RunRow;

/// `--max-age` when not given.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(30 * 60);

pub fn run(ctx: &Ctx, args: StatusArgs) -> Result<()> {
    let s = &ctx.settings;
    let opts = StatusOptions {
        database_url: s.database_url.clone(),
        db: s.db(),
        direction: s.direction,
        enabled: s.enabled,
        auth: s.auth(),
        config: s.redacted_json(),
        counts: !args.check,
    };
    let report = status::status(&opts)?;
    if args.check {
        // One line: on stdout when healthy; otherwise the `error:` line on stderr says which.
        let line = report.check(args.max_age.unwrap_or(DEFAULT_MAX_AGE))?;
        return emit(&format!("{line}\n"));
    }
    if args.json {
        emit_json(&serde_json::to_value(&report)?)?;
    } else {
        emit(&render_text(&report))?;
    }
    report.verdict()
}

/// The label column of the text form.
const LABEL: usize = 14;

fn line(out: &mut String, label: &str, text: impl std::fmt::Display) {
    out.push_str(&format!("{label:LABEL$} {text}\n"));
}

/// `#12 ok (exit 0) on host, started … (4m12s ago), finished …`.
fn run_line(run: &RunRow, with_counts: bool) -> String {
    let mut text = format!("#{} {}", run.id, run.status);
    if let Some(code) = run.exit_code {
        text.push_str(&format!(" (exit {code})"));
    }
    text.push_str(&format!(
        ", {}{}{}, started {} ({} ago)",
        run.source,
        if run.dry_run { " dry run" } else { "" },
        on_host(run),
        run.started_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        human_duration(run.age_secs.max(0) as u64),
    ));
    if let Some(f) = run.finished_at {
        text.push_str(&format!(
            ", finished {}",
            f.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
    if with_counts {
        text.push_str(&format!(
            "; fetched {} new {} updated {} failed {}",
            run.fetched, run.new, run.updated, run.failed
        ));
    }
    if let Some(e) = &run.error {
        text.push_str(&format!("; {e}"));
    }
    text
}

fn render_text(r: &StatusReport) -> String {
    let mut out = String::new();
    let db = &r.database;
    line(
        &mut out,
        "database",
        if db.reachable {
            "reachable"
        } else {
            "not reachable"
        },
    );
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    line(
        &mut out,
        "migrations",
        format!("applied: {}", list(&db.applied)),
    );
    line(&mut out, "", format!("pending: {}", list(&db.pending)));
    if let Some(shape) = db.shape {
        line(&mut out, "shape", shape);
    }
    line(&mut out, "enabled", r.enabled);
    let a = &r.auth;
    line(
        &mut out,
        "sign-in",
        format!(
            "store {}, account {}, refresh token {}, access token expires {}",
            a.store,
            a.account.as_deref().unwrap_or("none"),
            if a.refresh_token { "present" } else { "absent" },
            a.access_token_expires_at.as_deref().unwrap_or("-"),
        ),
    );
    let or_none = |run: &Option<RunRow>, counts: bool| {
        run.as_ref()
            .map_or_else(|| "none".to_string(), |run| run_line(run, counts))
    };
    line(&mut out, "running", or_none(&r.running, false));
    if let Some(run) = &r.abandoned {
        line(
            &mut out,
            "abandoned",
            format!(
                "{} — its process is gone; the next sync records it failed",
                run_line(run, false)
            ),
        );
    }
    line(&mut out, "last finished", or_none(&r.last_finished, true));
    line(&mut out, "last ok API", or_none(&r.last_ok_api, true));
    line(&mut out, "last run", or_none(&r.last_run, false));
    match r.cursor.as_object() {
        Some(c) => line(
            &mut out,
            "cursor",
            format!(
                "{} {}",
                c.get("cursor_updated_at")
                    .and_then(|v| v.as_str())
                    .unwrap_or("-"),
                c.get("cursor_id").and_then(|v| v.as_str()).unwrap_or("-")
            ),
        ),
        None => line(&mut out, "cursor", "none"),
    }
    let width = r.counts.keys().map(String::len).max().unwrap_or(0);
    for (t, n) in &r.counts {
        line(&mut out, "rows", format!("{t:width$} {n}"));
    }
    out.push_str("config\n");
    if let Some(cfg) = r.config.as_object() {
        let width = cfg.keys().map(String::len).max().unwrap_or(0);
        for (k, v) in cfg {
            let v = match v.as_str() {
                Some(s) => s.to_string(),
                None => v.to_string(),
            };
            out.push_str(&format!("  {k:width$} {v}\n"));
        }
    }
    out
}
