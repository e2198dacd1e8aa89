//! Set-based scoring in the database: read companies with their signals, referral facts and
//! current score in batches (one query per batch), score them in memory, and write the
//! changed rows with one multi-row upsert per batch.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Int4, Nullable, Text};

use super::{DmarcPolicy, Provider, ScanOutcome, Score, ScoreConfig, ScoreInput, Signals};
use crate::error::Result;
use crate::model::ScanStatus;

/// Companies read, scored and written per batch (one read query and at most two writes each).
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
    /// `lead_scores` rows inserted or updated (any column changed); 0 on a dry run.
    pub written: i64,
    /// Stale `lead_scores` rows removed: never scanned and no Azure tenant id any more.
    pub removed: i64,
    /// Segment → how many of the scored companies are in it.
    pub segments: BTreeMap<String, i64>,
}

/// Score the given company domains (`None`: every company) and store the results.
///
/// A company with no successful scan and no Azure tenant id gets no score: when its scan
/// `failed` any previous score is kept (a failed rescan keeps the previous score); when it
/// was never scanned a stale row is deleted. Domains without a company are ignored. With
/// `dry_run` nothing is written and the summary says what would change. Runs in one
/// transaction (a savepoint when the caller has one open).
pub fn score_domains(
    conn: &mut PgConnection,
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
                    let rows = read_batch_after(conn, &after)?;
                    let Some(last) = rows.last() else { break };
                    after = last.domain.clone();
                    let full = rows.len() == BATCH_SIZE;
                    score_batch(conn, rows, cfg, dry_run, &mut summary)?;
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
                    let rows = read_batch_of(conn, chunk)?;
                    score_batch(conn, rows, cfg, dry_run, &mut summary)?;
                }
            }
        }
        Ok(summary)
    })
}

/// One company as the batch query returns it.
#[derive(QueryableByName, Debug)]
struct Row {
    #[diesel(sql_type = Text)]
    domain: String,
    #[diesel(sql_type = Nullable<Text>)]
    scan_status: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    provider: Option<String>,
    #[diesel(sql_type = Bool)]
    mx_present: bool,
    #[diesel(sql_type = Bool)]
    spf: bool,
    #[diesel(sql_type = Nullable<Text>)]
    spf_record: Option<String>,
    #[diesel(sql_type = Bool)]
    dkim: bool,
    #[diesel(sql_type = Nullable<Text>)]
    dmarc_policy: Option<String>,
    #[diesel(sql_type = Bool)]
    tenant: bool,
    #[diesel(sql_type = Bool)]
    cosell: bool,
    #[diesel(sql_type = Nullable<Int4>)]
    old_score: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    old_segment: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    old_reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    old_technical_heat: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    old_commercial_segment: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    old_commercial_heat: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    old_priority_category: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    old_priority_label: Option<String>,
    #[diesel(sql_type = Nullable<Int4>)]
    old_priority_score: Option<i32>,
}

/// The batch read: companies, their signals, the referral facts (any referral of the domain
/// with an Azure tenant id; any co-sell referral) and the current score. `{in_batch}` is the
/// predicate on a domain column that selects the batch; it is repeated on every table so that
/// each is read by its domain index from the batch's start (merge joins, no rescans).
const SELECT: &str = "
SELECT c.domain,
       s.scan_status,
       COALESCE(s.provider, c.provider) AS provider,
       COALESCE(cardinality(s.mx_hosts), 0) > 0 AS mx_present,
       COALESCE(s.spf, false) AS spf,
       s.spf_record,
       COALESCE(s.dkim, false) AS dkim,
       s.dmarc_policy,
       COALESCE(f.tenant, false) AS tenant,
       COALESCE(f.cosell, false) AS cosell,
       l.readiness_score AS old_score,
       l.segment AS old_segment,
       l.reason AS old_reason,
       l.technical_heat AS old_technical_heat,
       l.commercial_segment AS old_commercial_segment,
       l.commercial_heat AS old_commercial_heat,
       l.priority_category AS old_priority_category,
       l.priority_label AS old_priority_label,
       l.priority_score AS old_priority_score
FROM companies c
LEFT JOIN domain_signals s ON s.domain = c.domain AND s.domain {in_batch}
LEFT JOIN (
    SELECT r.domain,
           bool_or(r.azure_tenant_id IS NOT NULL AND btrim(r.azure_tenant_id) <> '') AS tenant,
           bool_or(r.referral_type = 'co-sell') AS cosell
    FROM partner_center_referrals r
    WHERE r.domain {in_batch}
    GROUP BY r.domain
) f ON f.domain = c.domain
LEFT JOIN lead_scores l ON l.domain = c.domain AND l.domain {in_batch}
WHERE c.domain {in_batch}
ORDER BY c.domain
";

/// The next batch of every company, by domain, after `after` (keyset pagination).
fn read_batch_after(conn: &mut PgConnection, after: &str) -> Result<Vec<Row>> {
    let sql = format!("{} LIMIT $2", SELECT.replace("{in_batch}", "> $1"));
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(after)
        .bind::<BigInt, _>(BATCH_SIZE as i64)
        .load(conn)?)
}

/// The companies of these domains.
fn read_batch_of(conn: &mut PgConnection, domains: &[String]) -> Result<Vec<Row>> {
    Ok(diesel::sql_query(SELECT.replace("{in_batch}", "= ANY($1)"))
        .bind::<Array<Text>, _>(domains)
        .load(conn)?)
}

impl Row {
    /// What the scorer looks at. A stored name this hunter-pc does not know (a scan status or
    /// a provider) is an error, not a guess.
    fn input(&self) -> Result<ScoreInput> {
        let status = self
            .scan_status
            .as_deref()
            .map(str::parse::<ScanStatus>)
            .transpose()?;
        let scan = match status {
            None => ScanOutcome::NotScanned,
            Some(ScanStatus::Success) => ScanOutcome::Success(Signals {
                provider: self
                    .provider
                    .as_deref()
                    .map(str::parse::<Provider>)
                    .transpose()?
                    .unwrap_or(Provider::Unknown),
                mx_present: self.mx_present,
                spf: self.spf,
                dkim: self.dkim,
                dmarc: self.dmarc_policy.as_deref().map(DmarcPolicy::from_name),
                spf_includes: self
                    .spf_record
                    .as_deref()
                    .map_or(0, super::spf_include_count),
            }),
            Some(ScanStatus::Nxdomain) => ScanOutcome::NxDomain,
            Some(ScanStatus::Failed) => ScanOutcome::Failed,
        };
        Ok(ScoreInput {
            scan,
            azure_tenant_id: self.tenant,
            cosell: self.cosell,
        })
    }

    /// The stored score, as the columns say, if there is one.
    fn old(&self) -> Option<StoredScore> {
        Some(StoredScore {
            readiness_score: self.old_score?,
            segment: self.old_segment.clone()?,
            reason: self.old_reason.clone()?,
            technical_heat: self.old_technical_heat.clone()?,
            commercial_segment: self.old_commercial_segment.clone()?,
            commercial_heat: self.old_commercial_heat.clone()?,
            priority_category: self.old_priority_category.clone()?,
            priority_label: self.old_priority_label.clone()?,
            priority_score: self.old_priority_score?,
        })
    }
}

/// A `lead_scores` row's values (without domain and time), as text and numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StoredScore {
    readiness_score: i32,
    segment: String,
    reason: String,
    technical_heat: String,
    commercial_segment: String,
    commercial_heat: String,
    priority_category: String,
    priority_label: String,
    priority_score: i32,
}

impl From<&Score> for StoredScore {
    fn from(s: &Score) -> Self {
        StoredScore {
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
}

/// Score one batch, count what changed, write the changes.
fn score_batch(
    conn: &mut PgConnection,
    rows: Vec<Row>,
    cfg: &ScoreConfig,
    dry_run: bool,
    summary: &mut RescoreSummary,
) -> Result<()> {
    let mut writes = Upserts::default();
    let mut stale: Vec<String> = Vec::new();
    for row in rows {
        let input = row.input()?;
        let old = row.old();
        match super::score(&input, cfg) {
            Some(new) => {
                let new = StoredScore::from(&new);
                summary.scored += 1;
                *summary.segments.entry(new.segment.clone()).or_insert(0) += 1;
                let same_score =
                    old.as_ref().map(|o| o.readiness_score) == Some(new.readiness_score);
                let same_segment = old.as_ref().map(|o| &o.segment) == Some(&new.segment);
                summary.changed_score += i64::from(!same_score);
                summary.changed_segment += i64::from(!same_segment);
                if old.as_ref() != Some(&new) {
                    writes.push(row.domain, new);
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
        writes.execute(conn)?;
    }
    if !stale.is_empty() {
        diesel::sql_query("DELETE FROM lead_scores WHERE domain = ANY($1)")
            .bind::<Array<Text>, _>(&stale)
            .execute(conn)?;
    }
    Ok(())
}

/// The rows of one multi-row upsert, column by column (sent as arrays and `unnest`ed, so a
/// batch is one statement with ten parameters).
#[derive(Default)]
struct Upserts {
    domain: Vec<String>,
    readiness_score: Vec<i32>,
    segment: Vec<String>,
    reason: Vec<String>,
    technical_heat: Vec<String>,
    commercial_segment: Vec<String>,
    commercial_heat: Vec<String>,
    priority_category: Vec<String>,
    priority_label: Vec<String>,
    priority_score: Vec<i32>,
}

impl Upserts {
    fn push(&mut self, domain: String, s: StoredScore) {
        self.domain.push(domain);
        self.readiness_score.push(s.readiness_score);
        self.segment.push(s.segment);
        self.reason.push(s.reason);
        self.technical_heat.push(s.technical_heat);
        self.commercial_segment.push(s.commercial_segment);
        self.commercial_heat.push(s.commercial_heat);
        self.priority_category.push(s.priority_category);
        self.priority_label.push(s.priority_label);
        self.priority_score.push(s.priority_score);
    }

    fn len(&self) -> usize {
        self.domain.len()
    }

    fn is_empty(&self) -> bool {
        self.domain.is_empty()
    }

    fn execute(self, conn: &mut PgConnection) -> Result<usize> {
        Ok(diesel::sql_query(
            "INSERT INTO lead_scores (domain, readiness_score, segment, reason, technical_heat,
                 commercial_segment, commercial_heat, priority_category, priority_label,
                 priority_score, updated_at)
             SELECT t.*, now()
             FROM unnest($1::text[], $2::int4[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $7::text[], $8::text[], $9::text[], $10::int4[]) AS t
             ON CONFLICT (domain) DO UPDATE SET
                 readiness_score = EXCLUDED.readiness_score,
                 segment = EXCLUDED.segment,
                 reason = EXCLUDED.reason,
                 technical_heat = EXCLUDED.technical_heat,
                 commercial_segment = EXCLUDED.commercial_segment,
                 commercial_heat = EXCLUDED.commercial_heat,
                 priority_category = EXCLUDED.priority_category,
                 priority_label = EXCLUDED.priority_label,
                 priority_score = EXCLUDED.priority_score,
                 updated_at = now()",
        )
        .bind::<Array<Text>, _>(self.domain)
        .bind::<Array<Int4>, _>(self.readiness_score)
        .bind::<Array<Text>, _>(self.segment)
        .bind::<Array<Text>, _>(self.reason)
        .bind::<Array<Text>, _>(self.technical_heat)
        .bind::<Array<Text>, _>(self.commercial_segment)
        .bind::<Array<Text>, _>(self.commercial_heat)
        .bind::<Array<Text>, _>(self.priority_category)
        .bind::<Array<Text>, _>(self.priority_label)
        .bind::<Array<Int4>, _>(self.priority_score)
        .execute(conn)?)
    }
}
