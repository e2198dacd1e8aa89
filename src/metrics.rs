//! The metrics file: at the end of every sync, the run's outcome in the Prometheus text
//! exposition format, for node_exporter's textfile collector (`HUNTER_PC_METRICS_FILE`).
//!
//! The file is replaced atomically (a temporary name without `.prom` in the same directory,
//! then a rename), so the collector never reads half a file, and it is made readable by
//! everyone (0644) although the service runs with `UMask=0077`: node_exporter runs as another
//! user. Every name starts with `hunter_pc_`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::partner_center::Stats;
use crate::pipeline::runlog::Summary;

/// What one run reports.
#[derive(Debug, Clone)]
pub struct RunMetrics<'a> {
    /// The run's summary (none when it stopped before it began: no database, pending
    /// migrations; the status is then `failed`).
    pub summary: Option<&'a Summary>,
    /// `api` or `file`.
    pub source: &'static str,
    pub exit_code: i32,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// The start of the newest `ok` API sync, this one included.
    pub last_ok_api: Option<DateTime<Utc>>,
    /// Partner Center requests of the run (API syncs).
    pub partner_center: Option<&'a Stats>,
}

/// The exposition text: `# HELP`, `# TYPE` and one sample per metric.
pub fn render(m: &RunMetrics) -> String {
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, samples: &[(String, f64)]| {
        let _ = writeln!(out, "# HELP hunter_pc_{name} {help}");
        let _ = writeln!(out, "# TYPE hunter_pc_{name} gauge");
        for (labels, value) in samples {
            let _ = writeln!(out, "hunter_pc_{name}{labels} {value}");
        }
    };
    let one = |v: f64| vec![(String::new(), v)];
    let status = m.summary.map_or("failed", |s| s.status.as_str());
    gauge(
        "last_run_info",
        "The last sync run: its status and source (value 1).",
        &[(
            format!("{{status=\"{status}\",source=\"{}\"}}", m.source),
            1.0,
        )],
    );
    gauge(
        "last_run_exit_code",
        "Exit code of the last sync run.",
        &one(f64::from(m.exit_code)),
    );
    gauge(
        "last_run_start_timestamp_seconds",
        "When the last sync run started (Unix time).",
        &one(unix(m.started_at)),
    );
    gauge(
        "last_run_end_timestamp_seconds",
        "When the last sync run ended (Unix time).",
        &one(unix(m.finished_at)),
    );
    gauge(
        "last_run_duration_seconds",
        "How long the last sync run took.",
        &one((m.finished_at - m.started_at).num_milliseconds().max(0) as f64 / 1000.0),
    );
    if let Some(t) = m.last_ok_api {
        gauge(
            "last_ok_api_sync_timestamp_seconds",
            "When the newest sync from the Partner Center API that ended ok started (Unix time).",
            &one(unix(t)),
        );
    }
    if let Some(s) = m.summary {
        let mut referrals = vec![
            ("new", s.new),
            ("updated", s.updated),
            ("unchanged", s.unchanged),
            ("failed", s.failed),
        ];
        for (reason, n) in &s.skipped {
            referrals.push((reason.as_str(), *n));
        }
        gauge(
            "last_run_referrals",
            "Referrals of the last sync run by outcome (skipped ones by reason).",
            &referrals
                .iter()
                .map(|(k, v)| (format!("{{outcome=\"{k}\"}}"), *v as f64))
                .collect::<Vec<_>>(),
        );
        for (name, help, v) in [
            (
                "last_run_fetched",
                "Referrals read by the last sync run.",
                s.fetched,
            ),
            (
                "last_run_unlinked",
                "New or changed referrals without a domain.",
                s.unlinked,
            ),
            (
                "last_run_companies_created",
                "Companies created.",
                s.companies_created,
            ),
            (
                "last_run_companies_updated",
                "Companies touched.",
                s.companies_updated,
            ),
            (
                "last_run_raw_leads_inserted",
                "Raw leads added.",
                s.raw_leads_inserted,
            ),
            ("last_run_scored", "Scores written.", s.scored),
            ("last_run_pages", "Pages read.", s.pages),
        ] {
            gauge(name, help, &one(v as f64));
        }
        gauge(
            "last_run_scans",
            "Domain scans of the last sync run by result.",
            &[
                ("{result=\"ok\"}".to_string(), s.scans_ok as f64),
                ("{result=\"failed\"}".to_string(), s.scans_failed as f64),
                (
                    "{result=\"already_scanned\"}".to_string(),
                    s.scans_skipped_already_scanned as f64,
                ),
            ],
        );
    }
    if let Some(pc) = m.partner_center {
        for (name, help, v) in [
            (
                "last_run_partner_center_requests",
                "HTTP requests to Partner Center (retries included).",
                pc.requests,
            ),
            (
                "last_run_partner_center_retries",
                "Requests retried.",
                pc.retries,
            ),
            (
                "last_run_partner_center_throttled",
                "Answers 429 (Too Many Requests).",
                pc.throttled,
            ),
        ] {
            gauge(name, help, &one(v as f64));
        }
    }
    out
}

fn unix(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

/// Replace `path` with `text`: written under a temporary name in the same directory (not
/// ending in `.prom`, which the collector would read), made 0644, synced, then renamed.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let fail = |what: &str, e: std::io::Error| {
        Error::failure(format!(
            "cannot {what} the metrics file {}: {e}; check HUNTER_PC_METRICS_FILE and that the \
             directory is writable (ReadWritePaths= under systemd)",
            path.display()
        ))
        .with_source(e)
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "metrics".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut file = std::fs::File::create(&tmp).map_err(|e| fail("write", e))?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|_| file.set_permissions(std::fs::Permissions::from_mode(0o644)))
        .and_then(|_| file.sync_all())
        .and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail("write", e));
    }
    Ok(())
}
