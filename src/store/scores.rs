//! `scores`: the readiness score and priority hunter-pc computed for each company domain with a
//! Partner Center referral, and its projection into Hunter's `lead_scores`. Scoring reads
//! companies with everything it looks at in batches (one statement each) and writes the
//! changed rows with one multi-row statement per batch and table.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Int4, Int8, Nullable, Text};

use super::layout::Layout;
use crate::error::Result;
use crate::model::Category;

/// hunter-pc's table of scores.
pub const TABLE: &str = "scores";
/// Hunter's table of scores, which receives the projection.
pub const HUNTER_TABLE: &str = "lead_scores";

/// A row's values (without domain, source and time). Field order = [`SCORE_COLUMNS`].
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

/// The columns of Hunter's `lead_scores` hunter-pc writes (all of [`SCORE_COLUMNS`] but
/// `priority_score`, which Hunter does not keep).
const HUNTER_COLUMNS: [&str; 8] = [
    "readiness_score",
    "segment",
    "reason",
    "technical_heat",
    "commercial_segment",
    "commercial_heat",
    "priority_category",
    "priority_label",
];

/// A score as Hunter's `lead_scores` holds it (its columns may be NULL).
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq, Default)]
pub struct HunterScore {
    #[diesel(sql_type = Nullable<Int4>)]
    pub readiness_score: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub segment: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub technical_heat: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub commercial_segment: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub commercial_heat: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub priority_category: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub priority_label: Option<String>,
}

impl HunterScore {
    /// What hunter-pc writes into Hunter's `lead_scores` for a score: its values, text cut to
    /// Hunter's lengths.
    pub fn of(score: &LeadScore, layout: &Layout) -> HunterScore {
        let cut = |column: &str, v: &str| -> Option<String> {
            Some(match layout.max_len(HUNTER_TABLE, column) {
                Some(n) => v.chars().take(n).collect(),
                None => v.to_string(),
            })
        };
        HunterScore {
            readiness_score: Some(score.readiness_score),
            segment: cut("segment", &score.segment),
            reason: cut("reason", &score.reason),
            technical_heat: cut("technical_heat", &score.technical_heat),
            commercial_segment: cut("commercial_segment", &score.commercial_segment),
            commercial_heat: cut("commercial_heat", &score.commercial_heat),
            priority_category: cut("priority_category", &score.priority_category),
            priority_label: cut("priority_label", &score.priority_label),
        }
    }
}

/// One company as a batch read returns it: its signals, its referral facts and its stored
/// score (`old_*`, all NULL when it has none).
#[derive(QueryableByName, Debug)]
pub struct Company {
    #[diesel(sql_type = Text)]
    pub domain: String,
    /// The domain's newest `domain_signals` row is Hunter's own scan: score from it.
    #[diesel(sql_type = Bool)]
    pub hunters: bool,
    /// Hunter's row: its status, MX root present, SPF, DKIM, DMARC policy.
    #[diesel(sql_type = Nullable<Text>)]
    pub hunter_status: Option<String>,
    #[diesel(sql_type = Bool)]
    pub hunter_mx: bool,
    #[diesel(sql_type = Bool)]
    pub hunter_spf: bool,
    #[diesel(sql_type = Bool)]
    pub hunter_dkim: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub hunter_dmarc: Option<String>,
    /// `companies.provider`.
    #[diesel(sql_type = Nullable<Text>)]
    pub company_provider: Option<String>,
    /// hunter-pc's scan.
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
    #[diesel(sql_type = Nullable<Text>)]
    pub old_source: Option<String>,
    /// How many `lead_scores` rows the domain has, and the values of the one when it has one.
    #[diesel(sql_type = Int8)]
    pub hunter_rows: i64,
    #[diesel(embed)]
    pub hunter_score: HunterScore,
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

/// The batch read: company domains with a referral, their scan as hunter-pc judges it
/// ([`super::signals::effective`]: hunter-pc's `scans` row `s`, Hunter's newest signals row
/// `h`), the referral facts (any referral of the domain with an Azure tenant id; any co-sell
/// referral, the category being `$cosell`), the current score and Hunter's score rows.
/// `in_batch` is the predicate on a domain column that selects the batch; it is repeated on the
/// tables read by domain so that each is read by its domain index.
fn select(in_batch: &str, cosell: &str) -> String {
    let old = SCORE_COLUMNS
        .iter()
        .map(|(c, _)| format!("l.{c} AS old_{c}"))
        .collect::<Vec<_>>()
        .join(",\n       ");
    let hunter = HUNTER_COLUMNS
        .iter()
        .map(|c| format!("max(x.{c}) AS {c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let hunter_out = HUNTER_COLUMNS
        .iter()
        .map(|c| format!("hl.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "
SELECT c.domain,
       o.hunters,
       h.scan_status AS hunter_status,
       h.mx_root IS NOT NULL AS hunter_mx,
       COALESCE(h.spf, false) AS hunter_spf,
       COALESCE(h.dkim, false) AS hunter_dkim,
       h.dmarc_policy AS hunter_dmarc,
       c.provider AS company_provider,
       s.scan_status,
       COALESCE(s.provider, c.provider) AS provider,
       COALESCE(cardinality(s.mx_hosts), 0) > 0 AS mx_present,
       COALESCE(s.spf, false) AS spf,
       s.spf_record,
       COALESCE(s.dkim, false) AS dkim,
       s.dmarc_policy,
       COALESCE(f.tenant, false) AS tenant,
       COALESCE(f.cosell, false) AS cosell,
       {old},
       l.source AS old_source,
       hl.n AS hunter_rows, {hunter_out}
{from}
JOIN (
    SELECT r.domain,
           bool_or({has_tenant}) AS tenant,
           bool_or(r.referral_type = {cosell}) AS cosell
    FROM referrals r
    WHERE r.domain {in_batch}
    GROUP BY r.domain
) f ON f.domain = c.domain
LEFT JOIN scores l ON l.domain = c.domain AND l.domain {in_batch}
CROSS JOIN LATERAL (SELECT count(*) AS n, {hunter} FROM lead_scores x
                    WHERE x.domain = c.domain) hl
ORDER BY c.domain
",
        // Companies with a referral: the join with `f` (by domain, in the batch) selects them.
        from = super::signals::effective(
            &format!("c.domain {in_batch}"),
            &format!("AND s.domain {in_batch}")
        ),
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

/// Insert or update these scores of hunter-pc's (domain, score, source), one statement (one
/// array per column, `unnest`ed).
pub fn upsert(conn: &mut PgConnection, scores: &[(String, LeadScore, &str)]) -> Result<usize> {
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
    let source = SCORE_COLUMNS.len() + 2;
    let set = SCORE_COLUMNS
        .iter()
        .map(|(c, _)| format!("{c} = EXCLUDED.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO scores (domain, {names}, source, updated_at) \
         SELECT t.*, now() FROM unnest($1::text[], {arrays}, ${source}::text[]) AS t \
         ON CONFLICT (domain) DO UPDATE SET {set}, source = EXCLUDED.source, updated_at = now()"
    );
    let col = |f: fn(&LeadScore) -> &str| scores.iter().map(|(_, s, _)| f(s)).collect::<Vec<_>>();
    let int = |f: fn(&LeadScore) -> i32| scores.iter().map(|(_, s, _)| f(s)).collect::<Vec<_>>();
    Ok(diesel::sql_query(sql)
        .bind::<Array<Text>, _>(
            scores
                .iter()
                .map(|(d, _, _)| d.as_str())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Int4>, _>(int(|s| s.readiness_score))
        .bind::<Array<Text>, _>(col(|s| &s.segment))
        .bind::<Array<Text>, _>(col(|s| &s.reason))
        .bind::<Array<Text>, _>(col(|s| &s.technical_heat))
        .bind::<Array<Text>, _>(col(|s| &s.commercial_segment))
        .bind::<Array<Text>, _>(col(|s| &s.commercial_heat))
        .bind::<Array<Text>, _>(col(|s| &s.priority_category))
        .bind::<Array<Text>, _>(col(|s| &s.priority_label))
        .bind::<Array<Int4>, _>(int(|s| s.priority_score))
        .bind::<Array<Text>, _>(scores.iter().map(|(_, _, src)| *src).collect::<Vec<_>>())
        .execute(conn)?)
}

/// Replace the `lead_scores` rows of these domains by one row each (delete + insert, as Hunter
/// does), one statement; domains without a company are ignored.
pub fn replace_hunter(conn: &mut PgConnection, scores: &[(String, HunterScore)]) -> Result<usize> {
    if scores.is_empty() {
        return Ok(0);
    }
    let names = HUNTER_COLUMNS.join(", ");
    let text =
        |f: fn(&HunterScore) -> Option<&str>| scores.iter().map(|(_, s)| f(s)).collect::<Vec<_>>();
    Ok(diesel::sql_query(format!(
        "WITH x AS (SELECT * FROM unnest($1::text[], $2::int4[], $3::text[], $4::text[], \
                                         $5::text[], $6::text[], $7::text[], $8::text[], $9::text[]) \
                    AS x(domain, {names})), \
         gone AS (DELETE FROM lead_scores l WHERE l.domain = ANY($1)) \
         INSERT INTO lead_scores (domain, {names}, updated_at) \
         SELECT x.*, now() FROM x JOIN companies c ON c.domain = x.domain"
    ))
    .bind::<Array<Text>, _>(scores.iter().map(|(d, _)| d.as_str()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Int4>>, _>(scores.iter().map(|(_, s)| s.readiness_score).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(text(|s| s.segment.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(text(|s| s.reason.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(text(|s| s.technical_heat.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(text(|s| s.commercial_segment.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(text(|s| s.commercial_heat.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(text(|s| s.priority_category.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(text(|s| s.priority_label.as_deref()))
    .execute(conn)?)
}

/// Remove hunter-pc's scores of these domains (Hunter's `lead_scores` rows stay).
pub fn delete(conn: &mut PgConnection, domains: &[String]) -> Result<usize> {
    Ok(
        diesel::sql_query("DELETE FROM scores WHERE domain = ANY($1)")
            .bind::<Array<Text>, _>(domains)
            .execute(conn)?,
    )
}
