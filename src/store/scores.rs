//! `lead_scores`: the readiness score and priority of each company domain. Scoring reads
//! companies with everything it looks at in batches (one statement each) and writes the changed
//! rows with one multi-row upsert per batch.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Int4, Nullable, Text};

use crate::error::Result;
use crate::model::Category;

/// The table.
pub const TABLE: &str = "lead_scores";

/// A row's values (without domain and time). Field order = [`SCORE_COLUMNS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadScore {
    pub readiness_score: i32,
    pub segment: String,
    pub reason: String,
    pub technical_heat: String,
    pub commercial_segment: String,
    pub commercial_heat: String,
    pub priority_category: String,
    pub priority_label: String,
    pub priority_score: i32,
}

/// The columns of [`LeadScore`], with their types.
const SCORE_COLUMNS: [(&str, &str); 9] = [
    ("readiness_score", "int4"),
    ("segment", "text"),
    ("reason", "text"),
    ("technical_heat", "text"),
    ("commercial_segment", "text"),
    ("commercial_heat", "text"),
    ("priority_category", "text"),
    ("priority_label", "text"),
    ("priority_score", "int4"),
];

/// One company as a batch read returns it: its signals, its referral facts and its stored
/// score (`old_*`, all NULL when it has none).
#[derive(QueryableByName, Debug)]
pub struct Company {
    #[diesel(sql_type = Text)]
    pub domain: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub scan_status: Option<String>,
    /// The scan's provider, else the company's.
    #[diesel(sql_type = Nullable<Text>)]
    pub provider: Option<String>,
    #[diesel(sql_type = Bool)]
    pub mx_present: bool,
    #[diesel(sql_type = Bool)]
    pub spf: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub spf_record: Option<String>,
    #[diesel(sql_type = Bool)]
    pub dkim: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub dmarc_policy: Option<String>,
    /// Any referral of the domain carries an Azure tenant id.
    #[diesel(sql_type = Bool)]
    pub tenant: bool,
    /// Any referral of the domain is co-sell.
    #[diesel(sql_type = Bool)]
    pub cosell: bool,
    #[diesel(sql_type = Nullable<Int4>)]
    old_readiness_score: Option<i32>,
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

impl Company {
    /// The stored score, if there is one.
    pub fn old(&self) -> Option<LeadScore> {
        Some(LeadScore {
            readiness_score: self.old_readiness_score?,
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

/// The batch read: companies, their signals, the referral facts (any referral of the domain
/// with an Azure tenant id; any co-sell referral, the category being `$cosell`) and the
/// current score. `in_batch` is the predicate on a domain column that selects the batch; it is
/// repeated on every table so that each is read by its domain index from the batch's start
/// (merge joins, no rescans).
fn select(in_batch: &str, cosell: &str) -> String {
    let old = SCORE_COLUMNS
        .iter()
        .map(|(c, _)| format!("l.{c} AS old_{c}"))
        .collect::<Vec<_>>()
        .join(",\n       ");
    format!(
        "
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
       {old}
FROM companies c
LEFT JOIN domain_signals s ON s.domain = c.domain AND s.domain {in_batch}
LEFT JOIN (
    SELECT r.domain,
           bool_or({has_tenant}) AS tenant,
           bool_or(r.referral_type = {cosell}) AS cosell
    FROM partner_center_referrals r
    WHERE r.domain {in_batch}
    GROUP BY r.domain
) f ON f.domain = c.domain
LEFT JOIN lead_scores l ON l.domain = c.domain AND l.domain {in_batch}
WHERE c.domain {in_batch}
ORDER BY c.domain
",
        has_tenant = super::referrals::HAS_TENANT_ID,
    )
}

/// The next `limit` companies, by domain, after `after` (keyset pagination).
pub fn read_after(conn: &mut PgConnection, after: &str, limit: usize) -> Result<Vec<Company>> {
    let sql = format!("{} LIMIT $2", select("> $1", "$3"));
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(after)
        .bind::<BigInt, _>(limit as i64)
        .bind::<Text, _>(Category::CoSell.as_str())
        .load(conn)?)
}

/// The companies of these domains.
pub fn read_of(conn: &mut PgConnection, domains: &[String]) -> Result<Vec<Company>> {
    Ok(diesel::sql_query(select("= ANY($1)", "$2"))
        .bind::<Array<Text>, _>(domains)
        .bind::<Text, _>(Category::CoSell.as_str())
        .load(conn)?)
}

/// Insert or update these scores, one statement (one array per column, `unnest`ed).
pub fn upsert(conn: &mut PgConnection, scores: &[(String, LeadScore)]) -> Result<usize> {
    if scores.is_empty() {
        return Ok(0);
    }
    let names = SCORE_COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .collect::<Vec<_>>()
        .join(", ");
    let arrays = SCORE_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (_, t))| format!("${}::{t}[]", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let set = SCORE_COLUMNS
        .iter()
        .map(|(c, _)| format!("{c} = EXCLUDED.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO lead_scores (domain, {names}, updated_at) \
         SELECT t.*, now() FROM unnest($1::text[], {arrays}) AS t \
         ON CONFLICT (domain) DO UPDATE SET {set}, updated_at = now()"
    );
    let col = |f: fn(&LeadScore) -> &str| scores.iter().map(|(_, s)| f(s)).collect::<Vec<_>>();
    let int = |f: fn(&LeadScore) -> i32| scores.iter().map(|(_, s)| f(s)).collect::<Vec<_>>();
    Ok(diesel::sql_query(sql)
        .bind::<Array<Text>, _>(scores.iter().map(|(d, _)| d.as_str()).collect::<Vec<_>>())
        .bind::<Array<Int4>, _>(int(|s| s.readiness_score))
        .bind::<Array<Text>, _>(col(|s| &s.segment))
        .bind::<Array<Text>, _>(col(|s| &s.reason))
        .bind::<Array<Text>, _>(col(|s| &s.technical_heat))
        .bind::<Array<Text>, _>(col(|s| &s.commercial_segment))
        .bind::<Array<Text>, _>(col(|s| &s.commercial_heat))
        .bind::<Array<Text>, _>(col(|s| &s.priority_category))
        .bind::<Array<Text>, _>(col(|s| &s.priority_label))
        .bind::<Array<Int4>, _>(int(|s| s.priority_score))
        .execute(conn)?)
}

/// Remove the scores of these domains.
pub fn delete(conn: &mut PgConnection, domains: &[String]) -> Result<usize> {
    Ok(
        diesel::sql_query("DELETE FROM lead_scores WHERE domain = ANY($1)")
            .bind::<Array<Text>, _>(domains)
            .execute(conn)?,
    )
}
