//! `scan` as a library operation: scan domains now; for the domain of a company with a
//! referral, store the result and rescore it. Without a database the scans are only
//! reported (`stored` none), so a DNS question can be checked anywhere.

use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::scan::{DomainScan, ScanConfig, Scanner};
use crate::score::ScoreConfig;
use crate::store::{self, companies, signals};

/// What to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// None: scan and report only.
    pub database_url: Option<String>,
    /// The timeouts of the database session.
    pub db: crate::store::ConnectOptions,
    /// Domains as stored (normalised), without repeats, in the order given.
    pub domains: Vec<String>,
    pub scan: ScanConfig,
    pub concurrency: usize,
    pub score: ScoreConfig,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

/// One domain's scan, and where it was stored.
#[derive(Debug, Clone)]
pub struct Scanned {
    pub scan: DomainScan,
    /// The stored row's `scanned_at` and `attempts` when it was stored (a company's domain).
    pub stored: Option<(DateTime<Utc>, i32)>,
}

/// Every domain's scan, in the order given.
#[derive(Debug, Clone)]
pub struct ScanReport {
    pub scanned_at: DateTime<Utc>,
    pub domains: Vec<Scanned>,
}

pub fn run(opts: &ScanOptions) -> Result<ScanReport> {
    // Connect before scanning: a bad database setting fails fast, not after the DNS work.
    let mut conn = match opts.database_url.as_deref() {
        Some(url) => Some(store::connect_current(url, &opts.db)?),
        None => {
            tracing::info!("no database configured: scan results are printed, not stored");
            None
        }
    };
    let rt = crate::ops::runtime()?;
    let scans = {
        let _in_runtime = rt.enter();
        let scanner = Scanner::new(&opts.scan)?;
        rt.block_on(scanner.scan_all(opts.domains.clone(), opts.concurrency, opts.progress))
    };
    let scanned_at = Utc::now();
    let mut stamps = std::collections::HashMap::new();
    if let Some(conn) = conn.as_mut() {
        let (conn, layout) = (&mut conn.0, &conn.1);
        let companies = companies::with_referral(conn, &opts.domains)?;
        let stored: Vec<&DomainScan> = scans
            .iter()
            .filter(|s| companies.contains(&s.domain))
            .collect();
        signals::write(conn, layout, stored.iter().copied())?;
        let domains: Vec<String> = stored.iter().map(|s| s.domain.clone()).collect();
        if !domains.is_empty() {
            crate::score::score_domains(conn, layout, Some(&domains), &opts.score, false)?;
        }
        stamps = signals::stamps(conn, &domains)?;
    }
    for scan in &scans {
        if !scan.status.is_completed() {
            tracing::warn!(
                domain = %scan.domain,
                error = scan.error.as_deref().unwrap_or(""),
                "scan failed"
            );
        }
    }
    Ok(ScanReport {
        scanned_at,
        domains: scans
            .into_iter()
            .map(|scan| Scanned {
                stored: stamps.get(&scan.domain).copied(),
                scan,
            })
            .collect(),
    })
}
