//! `scan DOMAIN... [--json]`: settings → [`ops::scan`], then what was found, as JSON or a
//! table. A database is used when one is configured (`DATABASE_URL`/`--database-url`);
//! without one the scans are only printed (`stored` false).

use std::collections::HashSet;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::cli::ScanArgs;
use crate::commands::Ctx;
use crate::error::Result;
use crate::ops::scan::{self, ScanOptions};
use crate::output;
use crate::scan::{DomainScan, ScanStatus};
use crate::store::signals;

pub fn run(ctx: &Ctx, args: ScanArgs) -> Result<()> {
    let mut domains: Vec<String> = Vec::new();
    for given in &args.domains {
        let domain = super::given_domain(given)?;
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    let s = &ctx.settings;
    let report = scan::run(&ScanOptions {
        database_url: s.database_url.clone(),
        domains,
        scan: s.scan(),
        concurrency: s.scan_concurrency,
        score: s.score(),
        progress: ctx.progress(),
    })?;
    if args.json {
        let rows: Vec<Value> = report
            .domains
            .iter()
            .map(|d| json_row(&d.scan, d.stored.as_ref(), report.scanned_at))
            .collect();
        output::emit_json(&Value::Array(rows))
    } else {
        let stored: HashSet<&String> = report
            .domains
            .iter()
            .filter(|d| d.stored.is_some())
            .map(|d| &d.scan.domain)
            .collect();
        let scans: Vec<DomainScan> = report.domains.iter().map(|d| d.scan.clone()).collect();
        output::emit(&text_table(&scans, &stored))
    }
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
