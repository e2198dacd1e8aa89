//! `scans`: hunter-pc's DNS mail picture of each company domain, from its latest scan, and its
//! projection into Hunter's `domain_signals`. Which domains a sync scans (pipeline.md §6,
//! hunter-database.md §4), and writing scans.
//!
//! A domain's newest `domain_signals` row (by `scanned_at`, then `id`) is hunter-pc's when its id
//! is the domain's `scans.hunter_signal_id`; any other row is Hunter's own scan. A domain whose
//! newest row is Hunter's is judged by that row ([`effective`]): a completed scan of Hunter's
//! is not repeated (unless `--rescan` or stale), and is scored from Hunter's columns.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Double, Int4, Nullable, Text, Timestamptz};
use serde::Serialize;

use super::array_literal;
use super::layout::Layout;
use crate::error::Result;
use crate::model::{
    HUNTER_SCAN_COMPLETED, HUNTER_SCAN_NXDOMAIN, HUNTER_SCAN_SUCCESS, HUNTER_SCAN_TIMEOUT,
    Provider, ScanStatus,
};

/// hunter-pc's table of scans.
pub const TABLE: &str = "scans";
/// Hunter's table of signals, which receives the projection.
pub const HUNTER_TABLE: &str = "domain_signals";

/// The company domains of `c` (`driving`: a predicate on `c.domain`; `s_batch`: one more on
/// `s.domain`, or empty, so that a batch reads `scans` from its start) with their scan as hunter-pc
/// judges it: `s` hunter-pc's scan, `h` the domain's newest `domain_signals` row, `o.hunters`
/// whether that row is Hunter's, and `e.status` the scan's status in hunter-pc's words (Hunter's
/// completed scans read as `success`, `invalid_domain` as `nxdomain`, anything else as `failed`).
/// `e.completed_at`: when the scan that counts was made. Hunter's status names and hunter-pc's
/// are formatted in from [`crate::model`].
pub(super) fn effective(driving: &str, s_batch: &str) -> String {
    let completed = HUNTER_SCAN_COMPLETED
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "FROM (SELECT c.domain, c.provider FROM companies c WHERE {driving}) c \
         LEFT JOIN scans s ON s.domain = c.domain {s_batch} \
         LEFT JOIN LATERAL (SELECT d.id, d.scan_status, d.scanned_at, d.mx_root, d.spf, d.dkim, \
                                   d.dmarc_policy \
                            FROM domain_signals d WHERE d.domain = c.domain \
                            ORDER BY d.scanned_at DESC, d.id DESC LIMIT 1) h ON true \
         CROSS JOIN LATERAL (SELECT h.id IS NOT NULL \
                                    AND h.id IS DISTINCT FROM s.hunter_signal_id AS hunters) o \
         CROSS JOIN LATERAL (SELECT \
             CASE WHEN o.hunters THEN \
                  CASE WHEN h.scan_status IN ({completed}) THEN '{success}' \
                       WHEN h.scan_status = '{invalid}' THEN '{nx}' ELSE '{failed}' END \
                  ELSE s.scan_status END AS status, \
             CASE WHEN o.hunters THEN h.scanned_at ELSE s.scanned_at END AS completed_at) e",
        success = ScanStatus::Success.as_str(),
        invalid = HUNTER_SCAN_NXDOMAIN,
        nx = ScanStatus::Nxdomain.as_str(),
        failed = ScanStatus::Failed.as_str(),
    )
}

/// [`effective`] over the company domains in `$n` and those with a referral.
fn asked_or_referred(n: usize) -> String {
    effective(
        &format!(
            "c.domain = ANY(${n}) OR EXISTS (SELECT 1 FROM referrals r WHERE r.domain = c.domain)"
        ),
        "",
    )
}

/// A scan as its row stores it (without `scanned_at` and `attempts`). A failed scan knows
/// nothing: its signals are all `None`. Serialised, it is the row's columns by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignalsRow {
    pub domain: String,
    pub scan_status: ScanStatus,
    pub scan_error: Option<String>,
    pub mx_hosts: Option<Vec<String>>,
    pub mx_root: Option<String>,
    pub provider: Option<Provider>,
    pub gateway: Option<String>,
    pub local_provider: Option<String>,
    pub spf: Option<bool>,
    pub spf_record: Option<String>,
    pub dkim: Option<bool>,
    pub dkim_selectors: Option<Vec<String>>,
    pub dmarc_policy: Option<String>,
    pub dmarc_coverage: Option<i32>,
}

/// The signal columns (everything but the key, status, error and stamps) in [`SignalsRow`]'s
/// order, with their types and the element type of the array each is sent in (a `text[]`
/// column travels as the text of an array literal per row). A failed rescan keeps all of these.
const SIGNAL_COLUMNS: [(&str, &str, &str); 11] = [
    ("mx_hosts", "text[]", "text"),
    ("mx_root", "text", "text"),
    ("provider", "text", "text"),
    ("gateway", "text", "text"),
    ("local_provider", "text", "text"),
    ("spf", "boolean", "boolean"),
    ("spf_record", "text", "text"),
    ("dkim", "boolean", "boolean"),
    ("dkim_selectors", "text[]", "text"),
    ("dmarc_policy", "text", "text"),
    ("dmarc_coverage", "integer", "integer"),
];

/// An NXDOMAIN answer is refreshed after this many days (or sooner, when completed scans are
/// refreshed sooner): a domain that did not exist may be registered since.
pub const NXDOMAIN_REFRESH_DAYS: u64 = 7;

/// What a sync asks [`plan`] for.
#[derive(Debug, Clone, Copy)]
pub struct PlanRequest<'a> {
    /// Company domains written by this run's new, changed or forced referrals: scanned when
    /// they have no completed scan.
    pub touched: &'a [String],
    /// Scanned whatever their scan (`--rescan`: the domains of every referral read).
    pub rescan: &'a [String],
    /// An untouched domain whose scan failed is tried again no sooner than this.
    pub retry_secs: u64,
    /// Which completed scans are stale, and how many of them to refresh.
    pub refresh: Refresh,
}

/// Stale scans (pipeline.md §6): a completed scan older than `after_days` (an NXDOMAIN answer
/// older than [`NXDOMAIN_REFRESH_DAYS`], or `after_days` if sooner), of a company domain with a
/// referral, is refreshed by a sync, at most `batch` per sync, oldest first. A refresh that
/// failed (the old signals kept, `scan_error` set) is tried again as a failed scan is, after
/// the retry interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refresh {
    pub after_days: u64,
    pub batch: u32,
}

impl Refresh {
    /// No stale scan refreshed.
    pub const NONE: Refresh = Refresh {
        after_days: 30,
        batch: 0,
    };
}

/// The domains a sync scans after its pages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScanPlan {
    /// Touched (and `--rescan`) domains first (in the order given), then the others by name,
    /// then the stale ones, oldest scan first.
    pub to_scan: Vec<String>,
    /// Touched domains left alone because they already have a completed scan that is not
    /// stale.
    pub skipped_already_scanned: usize,
    /// How many of `to_scan` (the last ones) refresh a stale scan.
    pub stale: usize,
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

#[derive(QueryableByName)]
struct StaleRow {
    #[diesel(sql_type = Text)]
    domain: String,
}

/// §6's selection: the `touched` company domains without a completed scan, every company
/// domain in `rescan`, every other company domain with a referral whose scan is missing, or
/// `failed` and last tried at least `retry_secs` ago; then up to `refresh.batch` stale scans
/// of company domains with a referral, oldest first ([`Refresh`]).
pub fn plan(conn: &mut PgConnection, req: &PlanRequest) -> Result<ScanPlan> {
    let asked: Vec<&String> = req.touched.iter().chain(req.rescan).collect();
    // `due`: an untouched domain whose scan failed (or whose newest row is an incomplete scan
    // of Hunter's) is tried when hunter-pc last tried it at least `retry_secs` ago, or never.
    let rows: Vec<Candidate> = diesel::sql_query(format!(
        "SELECT c.domain, e.status AS scan_status, \
                (s.scanned_at IS NULL OR s.scanned_at <= now() - $2 * interval '1 second') AS due, \
                c.domain = ANY($1) AS touched \
         {from} \
         WHERE c.domain = ANY($1) OR e.status IS NULL OR e.status = $3 \
         ORDER BY c.domain",
        from = asked_or_referred(1),
    ))
    .bind::<Array<Text>, _>(&asked)
    .bind::<Double, _>(req.retry_secs as f64)
    .bind::<Text, _>(ScanStatus::Failed.as_str())
    .load(conn)?;

    let rescan: HashSet<&str> = req.rescan.iter().map(String::as_str).collect();
    let mut asked_due = HashSet::new();
    let mut others = Vec::new();
    // Touched domains with a completed scan: skipped, unless stale.
    let mut scanned = HashSet::new();
    for row in rows {
        let status = row
            .scan_status
            .as_deref()
            .map(str::parse::<ScanStatus>)
            .transpose()?;
        let completed = status.is_some_and(ScanStatus::is_completed);
        if row.touched {
            if rescan.contains(row.domain.as_str()) || !completed {
                asked_due.insert(row.domain);
            } else {
                scanned.insert(row.domain);
            }
        } else if status.is_none() || row.due == Some(true) {
            others.push(row.domain);
        }
    }
    let mut to_scan = Vec::with_capacity(asked_due.len() + others.len());
    for domain in asked {
        if asked_due.remove(domain) {
            to_scan.push(domain.clone());
        }
    }
    to_scan.extend(others);

    let stale: Vec<String> = if req.refresh.batch == 0 {
        Vec::new()
    } else {
        let after = req.refresh.after_days;
        // A refresh that failed is tried again after the retry interval: hunter-pc's own scan
        // keeps its signals and gets `scan_error`; a Hunter scan keeps its row and hunter-pc's
        // attempt is its `scans` row.
        let rows: Vec<StaleRow> = diesel::sql_query(format!(
            "SELECT c.domain {from} \
             WHERE e.status <> $1 \
               AND CASE WHEN NOT o.hunters AND s.scan_error IS NOT NULL \
                     THEN s.scanned_at <= now() - $2 * interval '1 second' \
                     ELSE e.completed_at <= now() - CASE WHEN e.status = $3 \
                            THEN $4 * interval '1 day' ELSE $5 * interval '1 day' END \
                          AND (s.scan_error IS NULL \
                               OR s.scanned_at <= now() - $2 * interval '1 second') END \
               AND c.domain <> ALL($6) \
             ORDER BY e.completed_at, c.domain \
             LIMIT $7",
            from = effective(
                "EXISTS (SELECT 1 FROM referrals r WHERE r.domain = c.domain)",
                ""
            ),
        ))
        .bind::<Text, _>(ScanStatus::Failed.as_str())
        .bind::<Double, _>(req.retry_secs as f64)
        .bind::<Text, _>(ScanStatus::Nxdomain.as_str())
        .bind::<Double, _>(after.min(NXDOMAIN_REFRESH_DAYS) as f64)
        .bind::<Double, _>(after as f64)
        .bind::<Array<Text>, _>(&to_scan)
        .bind::<BigInt, _>(i64::from(req.refresh.batch))
        .load(conn)?;
        rows.into_iter().map(|r| r.domain).collect()
    };
    for domain in &stale {
        scanned.remove(domain);
    }
    let n_stale = stale.len();
    to_scan.extend(stale);
    Ok(ScanPlan {
        to_scan,
        skipped_already_scanned: scanned.len(),
        stale: n_stale,
    })
}

/// Store scans of company domains (other domains are ignored), in one transaction:
/// - hunter-pc's `scans` upserted in one statement. A first scan that fails is stored with its
///   error and NULL signals; a failed rescan keeps the previous status and signals and records
///   only `scan_error`, `scanned_at` and one more attempt.
/// - The projection into Hunter's `domain_signals` ([`project`]).
/// - Each company's provider follows its completed scan ([`super::companies::follow_scans`]).
pub fn write<I>(conn: &mut PgConnection, layout: &Layout, scans: I) -> Result<()>
where
    I: IntoIterator,
    I::Item: Into<SignalsRow>,
{
    // One row per domain (the last scan wins): an upsert may not touch a row twice.
    let mut by_domain: HashMap<String, SignalsRow> = HashMap::new();
    for scan in scans {
        let row: SignalsRow = scan.into();
        by_domain.insert(row.domain.clone(), row);
    }
    if by_domain.is_empty() {
        return Ok(());
    }
    let rows: Vec<SignalsRow> = by_domain.into_values().collect();
    let domains: Vec<&str> = rows.iter().map(|r| r.domain.as_str()).collect();
    let statuses: Vec<ScanStatus> = rows.iter().map(|r| r.scan_status).collect();
    let providers: Vec<Option<Provider>> = rows.iter().map(|r| r.provider).collect();
    let list = |v: &Option<Vec<String>>| v.as_deref().map(array_literal);
    conn.transaction(|conn| {
        diesel::sql_query(upsert_sql())
            .bind::<Array<Text>, _>(&domains)
            .bind::<Array<Text>, _>(statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>())
            .bind::<Array<Nullable<Text>>, _>(column(&rows, |r| r.scan_error.as_deref()))
            .bind::<Array<Nullable<Text>>, _>(column(&rows, |r| list(&r.mx_hosts)))
            .bind::<Array<Nullable<Text>>, _>(column(&rows, |r| r.mx_root.as_deref()))
            .bind::<Array<Nullable<Text>>, _>(column(&rows, |r| r.provider.map(Provider::as_str)))
            .bind::<Array<Nullable<Text>>, _>(column(&rows, |r| r.gateway.as_deref()))
            .bind::<Array<Nullable<Text>>, _>(column(&rows, |r| r.local_provider.as_deref()))
            .bind::<Array<Nullable<Bool>>, _>(column(&rows, |r| r.spf))
            .bind::<Array<Nullable<Text>>, _>(column(&rows, |r| r.spf_record.as_deref()))
            .bind::<Array<Nullable<Bool>>, _>(column(&rows, |r| r.dkim))
            .bind::<Array<Nullable<Text>>, _>(column(&rows, |r| list(&r.dkim_selectors)))
            .bind::<Array<Nullable<Text>>, _>(column(&rows, |r| r.dmarc_policy.as_deref()))
            .bind::<Array<Nullable<Int4>>, _>(column(&rows, |r| r.dmarc_coverage))
            .bind::<Text, _>(ScanStatus::Failed.as_str())
            .execute(conn)?;
        project(conn, layout, &rows)?;
        super::companies::follow_scans(conn, &domains, &statuses, &providers)?;
        Ok(())
    })
}

/// The projection of scans into Hunter's `domain_signals` (hunter-database.md §4), one
/// statement: a completed scan (also NXDOMAIN: `success` without MX) replaces the domain's
/// rows by one, carrying `registrar`, `expires_at` and `nameservers` over from the newest row
/// it replaces; a failed scan writes a `dns_timeout` row only when the domain has no row at
/// all (a failed rescan leaves Hunter's rows as they are). The id of each inserted row becomes
/// the domain's `scans.hunter_signal_id`. Text is cut to Hunter's lengths.
fn project(conn: &mut PgConnection, layout: &Layout, rows: &[SignalsRow]) -> Result<usize> {
    let fit = |column: &str| match layout.max_len(HUNTER_TABLE, column) {
        Some(n) => format!("left(x.{column}, {n})"),
        None => format!("x.{column}"),
    };
    let sql = format!(
        "WITH x AS ( \
           SELECT x.* FROM unnest($1::text[], $2::text[], $3::bool[], $4::bool[], $5::text[], \
                                  $6::int4[], $7::text[], $8::text[]) \
                  AS x(domain, scan_status, spf, dkim, dmarc_policy, dmarc_coverage, mx_root, \
                       local_provider) \
           JOIN companies c ON c.domain = x.domain), \
         done AS (SELECT * FROM x WHERE x.scan_status <> $9), \
         old AS ( \
           SELECT DISTINCT ON (d.domain) d.domain, d.registrar, d.expires_at, d.nameservers \
           FROM domain_signals d \
           WHERE d.domain = ANY($1) AND d.domain IN (SELECT domain FROM done) \
           ORDER BY d.domain, d.scanned_at DESC, d.id DESC), \
         gone AS (DELETE FROM domain_signals d \
                  WHERE d.domain = ANY($1) AND d.domain IN (SELECT domain FROM done)), \
         completed AS ( \
           INSERT INTO domain_signals (domain, spf, dkim, dmarc_policy, dmarc_coverage, mx_root, \
                                       local_provider, registrar, expires_at, nameservers, \
                                       scan_status, scanned_at) \
           SELECT x.domain, x.spf, x.dkim, {dmarc}, x.dmarc_coverage, {mx_root}, {local}, \
                  o.registrar, o.expires_at, o.nameservers, $10, now() \
           FROM done x LEFT JOIN old o ON o.domain = x.domain \
           RETURNING id, domain), \
         timed_out AS ( \
           INSERT INTO domain_signals (domain, scan_status, scanned_at) \
           SELECT x.domain, $11, now() FROM x \
           WHERE x.scan_status = $9 \
             AND NOT EXISTS (SELECT 1 FROM domain_signals d WHERE d.domain = x.domain) \
           RETURNING id, domain) \
         UPDATE scans s SET hunter_signal_id = n.id \
         FROM (SELECT * FROM completed UNION ALL SELECT * FROM timed_out) n \
         WHERE s.domain = n.domain",
        dmarc = fit("dmarc_policy"),
        mx_root = fit("mx_root"),
        local = fit("local_provider"),
    );
    Ok(diesel::sql_query(sql)
        .bind::<Array<Text>, _>(column(rows, |r| r.domain.as_str()))
        .bind::<Array<Text>, _>(column(rows, |r| r.scan_status.as_str()))
        .bind::<Array<Nullable<Bool>>, _>(column(rows, |r| r.spf))
        .bind::<Array<Nullable<Bool>>, _>(column(rows, |r| r.dkim))
        .bind::<Array<Nullable<Text>>, _>(column(rows, |r| r.dmarc_policy.as_deref()))
        .bind::<Array<Nullable<Int4>>, _>(column(rows, |r| r.dmarc_coverage))
        .bind::<Array<Nullable<Text>>, _>(column(rows, |r| r.mx_root.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(column(rows, |r| r.local_provider.as_deref()))
        .bind::<Text, _>(ScanStatus::Failed.as_str())
        .bind::<Text, _>(HUNTER_SCAN_SUCCESS)
        .bind::<Text, _>(HUNTER_SCAN_TIMEOUT)
        .execute(conn)?)
}

/// One column of the rows, as the array `unnest` takes.
fn column<'a, T>(rows: &'a [SignalsRow], f: impl Fn(&'a SignalsRow) -> T) -> Vec<T> {
    rows.iter().map(f).collect()
}

/// The upsert, built from [`SIGNAL_COLUMNS`]: `$1` domains, `$2` statuses, `$3` errors, then
/// one parameter per signal column, then the name of the failed status.
fn upsert_sql() -> String {
    let first = 4;
    let failed = first + SIGNAL_COLUMNS.len();
    let arrays = SIGNAL_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (_, _, element))| format!("${}::{element}[]", first + i))
        .collect::<Vec<_>>()
        .join(", ");
    let names = SIGNAL_COLUMNS
        .iter()
        .map(|(c, _, _)| *c)
        .collect::<Vec<_>>()
        .join(", ");
    let values = SIGNAL_COLUMNS
        .iter()
        .map(|(c, t, _)| format!("x.{c}::{t}"))
        .collect::<Vec<_>>()
        .join(", ");
    let keep_on_failure = SIGNAL_COLUMNS
        .iter()
        .map(|(c, _, _)| {
            format!(
                "{c} = CASE WHEN EXCLUDED.scan_status = ${failed} THEN d.{c} ELSE EXCLUDED.{c} END"
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO scans AS d \
             (domain, scan_status, scan_error, {names}, scanned_at, attempts) \
         SELECT x.domain, x.scan_status, x.scan_error, {values}, now(), 1 \
         FROM unnest($1::text[], $2::text[], $3::text[], {arrays}) \
              AS x(domain, scan_status, scan_error, {names}) \
         JOIN companies c ON c.domain = x.domain \
         ON CONFLICT (domain) DO UPDATE SET \
             scan_status = CASE WHEN EXCLUDED.scan_status = ${failed} \
                                THEN d.scan_status ELSE EXCLUDED.scan_status END, \
             scan_error = EXCLUDED.scan_error, \
             {keep_on_failure}, \
             scanned_at = now(), \
             attempts = d.attempts + 1"
    )
}

#[derive(QueryableByName)]
struct Stamp {
    #[diesel(sql_type = Text)]
    domain: String,
    #[diesel(sql_type = Timestamptz)]
    scanned_at: DateTime<Utc>,
    #[diesel(sql_type = Int4)]
    attempts: i32,
}

/// `scanned_at` and `attempts` of the stored rows among `domains`.
pub fn stamps(
    conn: &mut PgConnection,
    domains: &[String],
) -> Result<HashMap<String, (DateTime<Utc>, i32)>> {
    let rows: Vec<Stamp> =
        diesel::sql_query("SELECT domain, scanned_at, attempts FROM scans WHERE domain = ANY($1)")
            .bind::<Array<Text>, _>(domains)
            .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.domain, (r.scanned_at, r.attempts)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upsert_names_every_signal_column_once_per_use() {
        let sql = upsert_sql();
        for (c, _, _) in SIGNAL_COLUMNS {
            assert!(sql.contains(&format!("x.{c}::")), "{c}");
            assert!(
                sql.contains(&format!("THEN d.{c} ELSE EXCLUDED.{c}")),
                "{c}"
            );
        }
        assert!(sql.contains("$14::integer[]") && sql.contains("= $15"));
    }
}
