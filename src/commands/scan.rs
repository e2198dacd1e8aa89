//! `scan DOMAIN... [--json]`: scan now, print what was found, store it for company domains.
//!
//! A database is used when one is configured (`DATABASE_URL`/`--database-url`); without one
//! the scans are only printed (`stored` false), so a DNS question can be checked anywhere.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, Utc};
use diesel::PgConnection;
use serde_json::Value;

use crate::cli::ScanArgs;
use crate::commands::Ctx;
use crate::config::Settings;
use crate::error::Result;
use crate::output;
use crate::scan::{DomainScan, ScanStatus, Scanner};
use crate::score::ScoreConfig;
use crate::store::{self, companies, signals};

pub fn run(ctx: &Ctx, args: ScanArgs) -> Result<()> {
    let mut domains: Vec<String> = Vec::new();
    for given in &args.domains {
        let domain = super::given_domain(given)?;
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    // Connect before scanning: a bad database setting fails fast, not after the DNS work.
    let mut conn = match ctx.settings.database_url.as_deref() {
        Some(url) => Some(store::connect_current(url, &ctx.settings.db())?),
        None => {
            tracing::info!("no database configured: scan results are printed, not stored");
            None
        }
    };
    let rt = crate::commands::runtime()?;
    let scans = {
        let _in_runtime = rt.enter();
        let scanner = Scanner::new(&ctx.settings.scan())?;
        rt.block_on(scanner.scan_all(
            domains.clone(),
            ctx.settings.scan_concurrency,
            ctx.progress(),
        ))
    };
    let scanned_at = Utc::now();

    let mut stamps = HashMap::new();
    if let Some(conn) = conn.as_mut() {
        let companies = companies::existing(conn, &domains)?;
        let stored: Vec<DomainScan> = scans
            .iter()
            .filter(|s| companies.contains(&s.domain))
            .cloned()
            .collect();
        signals::write(conn, &stored)?;
        let stored_domains: Vec<String> = stored.into_iter().map(|s| s.domain).collect();
        rescore_stored(conn, &stored_domains, &ctx.settings)?;
        stamps = signals::stamps(conn, &stored_domains)?;
    }
    for scan in &scans {
        if scan.status == ScanStatus::Failed {
            tracing::warn!(domain = %scan.domain, error = scan.error.as_deref().unwrap_or(""), "scan failed");
        }
    }
    if args.json {
        let rows: Vec<Value> = scans
            .iter()
            .map(|s| json_row(s, stamps.get(&s.domain), scanned_at))
            .collect();
        output::emit_json(&Value::Array(rows))?;
    } else {
        let stored: HashSet<&String> = stamps.keys().collect();
        output::emit(&text_table(&scans, &stored))?;
    }
    Ok(())
}

/// Rescore the stored domains with the new signals (pipeline.md §8).
fn rescore_stored(conn: &mut PgConnection, domains: &[String], settings: &Settings) -> Result<()> {
    if !domains.is_empty() {
        crate::score::score_domains(
            conn,
            Some(domains),
            &ScoreConfig::from_settings(settings),
            false,
        )?;
    }
    Ok(())
}

/// The `domain_signals` columns of a scan, plus `spf_includes` and `stored`.
fn json_row(
    scan: &DomainScan,
    stamp: Option<&(DateTime<Utc>, i32)>,
    scanned_at: DateTime<Utc>,
) -> Value {
    let mut row = match serde_json::to_value(signals::SignalsRow::from(scan)) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (at, attempts) = match stamp {
        Some((at, n)) => (*at, Value::from(*n)),
        None => (scanned_at, Value::Null),
    };
    row.insert(
        "spf_includes".into(),
        if scan.status == ScanStatus::Failed {
            Value::Null
        } else {
            Value::from(scan.spf_includes.clone())
        },
    );
    row.insert(
        "scanned_at".into(),
        Value::from(at.to_rfc3339_opts(SecondsFormat::Secs, true)),
    );
    row.insert("attempts".into(), attempts);
    row.insert("stored".into(), Value::from(stamp.is_some()));
    Value::Object(row)
}

/// One line per domain, aligned columns; a failed scan shows its error instead of signals.
fn text_table(scans: &[DomainScan], stored: &HashSet<&String>) -> String {
    let header = [
        "DOMAIN", "STATUS", "PROVIDER", "GATEWAY", "SPF", "DKIM", "DMARC", "STORED", "MX",
    ];
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    let rows: Vec<Vec<String>> = scans
        .iter()
        .map(|s| {
            let stored = yes_no(stored.contains(&s.domain));
            if s.status == ScanStatus::Failed {
                let dash = || "-".to_string();
                return vec![
                    s.domain.clone(),
                    s.status.as_str().into(),
                    dash(),
                    dash(),
                    dash(),
                    dash(),
                    dash(),
                    stored,
                    format!("error: {}", s.error.as_deref().unwrap_or("unknown")),
                ];
            }
            let dkim = if s.dkim {
                format!("yes ({})", s.dkim_selectors.join(","))
            } else {
                "no".into()
            };
            let dmarc = match (&s.dmarc_policy, s.dmarc_coverage) {
                (Some(p), Some(c)) if c != 100 => format!("{p} {c}%"),
                (Some(p), _) => p.clone(),
                (None, _) => "-".into(),
            };
            vec![
                s.domain.clone(),
                s.status.as_str().into(),
                s.provider
                    .map_or_else(|| "-".into(), |p| p.as_str().to_string()),
                s.gateway.clone().unwrap_or_else(|| "-".into()),
                yes_no(s.spf),
                dkim,
                dmarc,
                stored,
                if s.mx_hosts.is_empty() {
                    "-".into()
                } else {
                    s.mx_hosts.join(" ")
                },
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let last = cells.len() - 1;
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.trim_end().to_string() + "\n"
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        out.push_str(&line(row));
    }
    out
}
