//! Which domains a sync scans, and writing scans to `domain_signals` (pipeline.md §6, §7).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Double, Int4, Jsonb, Nullable, Text, Timestamptz};
use serde_json::{Value, json};

use super::{DomainScan, ScanStatus};
use crate::error::Result;

/// The domains a sync scans after its pages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScanPlan {
    /// Touched domains first (in the order given), then the others by name.
    pub to_scan: Vec<String>,
    /// Touched domains left alone because they already have a completed scan.
    pub skipped_already_scanned: usize,
}

#[derive(QueryableByName)]
struct Candidate {
    #[diesel(sql_type = Text)]
    domain: String,
    #[diesel(sql_type = Nullable<Text>)]
    scan_status: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    due: Option<bool>,
    #[diesel(sql_type = Bool)]
    touched: bool,
}

/// §6's selection: the `touched` company domains without a completed scan (all of them with
/// `rescan`), and every other company domain with a referral whose scan is missing, or
/// `failed` and last tried at least `retry_secs` ago.
pub fn plan(
    conn: &mut PgConnection,
    touched: &[String],
    rescan: bool,
    retry_secs: u64,
) -> Result<ScanPlan> {
    let rows: Vec<Candidate> = diesel::sql_query(
        "SELECT c.domain, s.scan_status, \
                s.scanned_at <= now() - $2 * interval '1 second' AS due, \
                c.domain = ANY($1) AS touched \
         FROM companies c LEFT JOIN domain_signals s ON s.domain = c.domain \
         WHERE c.domain = ANY($1) \
            OR ((s.domain IS NULL OR s.scan_status = 'failed') \
                AND EXISTS (SELECT 1 FROM partner_center_referrals r WHERE r.domain = c.domain)) \
         ORDER BY c.domain",
    )
    .bind::<Array<Text>, _>(touched)
    .bind::<Double, _>(retry_secs as f64)
    .load(conn)?;

    let mut touched_due = HashSet::new();
    let mut others = Vec::new();
    let mut skipped = 0;
    for row in rows {
        let completed = row
            .scan_status
            .as_deref()
            .is_some_and(|s| s != ScanStatus::Failed.as_str());
        if row.touched {
            if rescan || !completed {
                touched_due.insert(row.domain);
            } else {
                skipped += 1;
            }
        } else if row.scan_status.is_none() || row.due == Some(true) {
            others.push(row.domain);
        }
    }
    let mut to_scan = Vec::with_capacity(touched_due.len() + others.len());
    for domain in touched {
        if touched_due.remove(domain) {
            to_scan.push(domain.clone());
        }
    }
    to_scan.extend(others);
    Ok(ScanPlan {
        to_scan,
        skipped_already_scanned: skipped,
    })
}

/// The signal columns of `domain_signals` (everything but the key, status, error and stamps),
/// with their SQL types. A failed rescan keeps all of these.
const SIGNAL_COLUMNS: &[(&str, &str)] = &[
    ("mx_hosts", "text[]"),
    ("mx_root", "text"),
    ("provider", "text"),
    ("gateway", "text"),
    ("local_provider", "text"),
    ("spf", "boolean"),
    ("spf_record", "text"),
    ("dkim", "boolean"),
    ("dkim_selectors", "text[]"),
    ("dmarc_policy", "text"),
    ("dmarc_coverage", "integer"),
];

/// A scan as `domain_signals` columns (without `scanned_at`/`attempts`). A failed scan knows
/// nothing: its signals are all NULL.
pub fn columns(scan: &DomainScan) -> serde_json::Map<String, Value> {
    let known = scan.status != ScanStatus::Failed;
    let v = |value: Value| if known { value } else { Value::Null };
    let row = json!({
        "domain": scan.domain,
        "scan_status": scan.status.as_str(),
        "scan_error": scan.error,
        "mx_hosts": v(json!(scan.mx_hosts)),
        "mx_root": v(json!(scan.mx_root)),
        "provider": v(json!(scan.provider)),
        "gateway": v(json!(scan.gateway)),
        "local_provider": v(json!(scan.local_provider)),
        "spf": v(json!(scan.spf)),
        "spf_record": v(json!(scan.spf_record)),
        "dkim": v(json!(scan.dkim)),
        "dkim_selectors": v(json!(scan.dkim_selectors)),
        "dmarc_policy": v(json!(scan.dmarc_policy)),
        "dmarc_coverage": v(json!(scan.dmarc_coverage)),
    });
    match row {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// Upsert the scans of company domains into `domain_signals` in one statement (other domains
/// are ignored), and let each company's provider follow its completed scan — unless a referral
/// of the domain carries an Azure tenant id, which keeps it `M365`. A first scan that fails is
/// stored with its error and NULL signals; a failed rescan keeps the previous status and
/// signals and records only `scan_error`, `scanned_at` and one more attempt.
pub fn store(conn: &mut PgConnection, scans: &[DomainScan]) -> Result<()> {
    if scans.is_empty() {
        return Ok(());
    }
    // One row per domain (the last scan wins): an upsert may not touch a row twice.
    let mut by_domain: HashMap<&str, &DomainScan> = HashMap::new();
    for scan in scans {
        by_domain.insert(scan.domain.as_str(), scan);
    }
    let rows = Value::Array(
        by_domain
            .values()
            .map(|s| Value::Object(columns(s)))
            .collect(),
    );
    conn.transaction(|conn| {
        diesel::sql_query(upsert_sql())
            .bind::<Jsonb, _>(&rows)
            .execute(conn)?;
        diesel::sql_query(PROVIDER_SQL)
            .bind::<Jsonb, _>(&rows)
            .execute(conn)?;
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

/// The upsert, built from [`SIGNAL_COLUMNS`].
fn upsert_sql() -> String {
    let record_type = SIGNAL_COLUMNS
        .iter()
        .map(|(c, t)| format!("{c} {t}"))
        .collect::<Vec<_>>()
        .join(", ");
    let names = SIGNAL_COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .collect::<Vec<_>>()
        .join(", ");
    let values = SIGNAL_COLUMNS
        .iter()
        .map(|(c, _)| format!("x.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let keep_on_failure = SIGNAL_COLUMNS
        .iter()
        .map(|(c, _)| format!("{c} = CASE WHEN {FAILED} THEN d.{c} ELSE EXCLUDED.{c} END"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO domain_signals AS d \
             (domain, scan_status, scan_error, {names}, scanned_at, attempts) \
         SELECT x.domain, x.scan_status, x.scan_error, {values}, now(), 1 \
         FROM jsonb_to_recordset($1) AS x(domain text, scan_status text, scan_error text, \
                                         {record_type}) \
         JOIN companies c ON c.domain = x.domain \
         ON CONFLICT (domain) DO UPDATE SET \
             scan_status = CASE WHEN {FAILED} THEN d.scan_status ELSE EXCLUDED.scan_status END, \
             scan_error = EXCLUDED.scan_error, \
             {keep_on_failure}, \
             scanned_at = now(), \
             attempts = d.attempts + 1"
    )
}

const FAILED: &str = "EXCLUDED.scan_status = 'failed'";

/// The company's provider follows a completed scan; a tenant id on any referral means M365.
const PROVIDER_SQL: &str = "UPDATE companies c SET provider = n.provider, updated_at = now() \
     FROM (SELECT x.domain, \
                  CASE WHEN EXISTS (SELECT 1 FROM partner_center_referrals r \
                                    WHERE r.domain = x.domain \
                                      AND coalesce(r.azure_tenant_id, '') <> '') \
                       THEN 'M365' ELSE x.provider END AS provider \
           FROM jsonb_to_recordset($1) AS x(domain text, scan_status text, provider text) \
           WHERE x.scan_status <> 'failed') n \
     WHERE c.domain = n.domain AND c.provider IS DISTINCT FROM n.provider";

#[derive(QueryableByName)]
struct Stamp {
    #[diesel(sql_type = Text)]
    domain: String,
    #[diesel(sql_type = Timestamptz)]
    scanned_at: DateTime<Utc>,
    #[diesel(sql_type = Int4)]
    attempts: i32,
}

/// `scanned_at` and `attempts` of the stored `domain_signals` rows among `domains`.
pub fn stamps(
    conn: &mut PgConnection,
    domains: &[String],
) -> Result<HashMap<String, (DateTime<Utc>, i32)>> {
    let rows: Vec<Stamp> = diesel::sql_query(
        "SELECT domain, scanned_at, attempts FROM domain_signals WHERE domain = ANY($1)",
    )
    .bind::<Array<Text>, _>(domains)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.domain, (r.scanned_at, r.attempts)))
        .collect())
}

#[derive(QueryableByName)]
struct DomainRow {
    #[diesel(sql_type = Text)]
    domain: String,
}

/// Which of `domains` are companies (only those are stored).
pub fn company_domains(conn: &mut PgConnection, domains: &[String]) -> Result<HashSet<String>> {
    let rows: Vec<DomainRow> =
        diesel::sql_query("SELECT domain FROM companies WHERE domain = ANY($1)")
            .bind::<Array<Text>, _>(domains)
            .load(conn)?;
    Ok(rows.into_iter().map(|r| r.domain).collect())
}
