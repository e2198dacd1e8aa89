//! `list-referrals [filters] [--format table|json|ndjson|csv] [--limit N]`: stored referrals
//! joined to their company, signals and score (cli.md). Every filter is a bound parameter.

use std::io::IsTerminal;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Int4, Nullable, Text, Timestamptz};
use serde::Serialize;

use crate::cli::{ListArgs, ListFormat, ReferralTypeFilter};
use crate::commands::Ctx;
use crate::error::{Error, Result};
use crate::model::{Category, Segment};
use crate::output::{self, Column, emit};

/// Rows a table shows when `--limit` is not given (json, ndjson and csv show all).
pub const TABLE_DEFAULT_LIMIT: i64 = 100;

/// The JSON keys of a row, in order (also the CSV header).
pub const KEYS: [&str; 22] = [
    "referral_id",
    "referral_type",
    "type",
    "qualification",
    "direction",
    "status",
    "substatus",
    "company_name",
    "customer_name",
    "customer_country",
    "domain",
    "raw_domain",
    "azure_tenant_id",
    "deal_value",
    "currency",
    "link_status",
    "provider",
    "segment",
    "score",
    "priority_category",
    "pc_updated_at",
    "synced_at",
];

/// One referral as `list-referrals` prints it (field order = [`KEYS`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listed {
    pub referral_id: String,
    pub referral_type: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub qualification: Option<String>,
    pub direction: Option<String>,
    pub status: Option<String>,
    pub substatus: Option<String>,
    pub company_name: Option<String>,
    pub customer_name: Option<String>,
    pub customer_country: Option<String>,
    pub domain: Option<String>,
    pub raw_domain: Option<String>,
    pub azure_tenant_id: Option<String>,
    pub deal_value: Option<f64>,
    pub currency: Option<String>,
    pub link_status: String,
    pub provider: Option<String>,
    pub segment: Option<String>,
    pub score: Option<i32>,
    pub priority_category: Option<String>,
    /// RFC 3339, UTC.
    pub pc_updated_at: Option<String>,
    /// RFC 3339, UTC.
    pub synced_at: String,
}

/// The filters of cli.md, already checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    /// `Some(None)`: referrals without a category (`--type none`).
    pub referral_type: Option<Option<Category>>,
    pub status: Option<String>,
    pub segment: Option<Segment>,
    pub domain: Option<String>,
    pub search: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub unlinked: bool,
    pub limit: Option<i64>,
}

pub fn run(ctx: &Ctx, args: ListArgs) -> Result<()> {
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        ListFormat::Table
    } else {
        ListFormat::Json
    });
    let filters = filters(&args, format)?;
    let mut conn = crate::store::connect_current(ctx.settings.require_database_url()?)?;
    let rows = list(&mut conn, &filters)?;
    emit(&render(format, &rows)?);
    Ok(())
}

/// Check the command line's filters (exit 2 for a bad `--since`, `--limit` or `--segment`).
pub fn filters(args: &ListArgs, format: ListFormat) -> Result<Filters> {
    let limit = match args.limit {
        Some(n) if n < 0 => {
            return Err(Error::usage(format!("--limit must be 0 or more, not {n}")));
        }
        Some(n) => Some(n),
        None if format == ListFormat::Table => Some(TABLE_DEFAULT_LIMIT),
        None => None,
    };
    Ok(Filters {
        referral_type: args.referral_type.map(|t| match t {
            ReferralTypeFilter::CoSell => Some(Category::CoSell),
            ReferralTypeFilter::Marketplace => Some(Category::Marketplace),
            ReferralTypeFilter::SolutionProvider => Some(Category::SolutionProvider),
            ReferralTypeFilter::None => None,
        }),
        status: args.status.clone(),
        segment: args
            .segment
            .as_deref()
            .map(|s| {
                s.parse::<Segment>()
                    .map_err(|e| Error::usage(format!("--segment: {e}")))
            })
            .transpose()?,
        domain: args
            .domain
            .as_deref()
            .map(super::given_domain)
            .transpose()?,
        search: args.search.clone().filter(|s| !s.is_empty()),
        since: args.since.as_deref().map(parse_since).transpose()?,
        unlinked: args.unlinked,
        limit,
    })
}

/// `--since`: RFC 3339, or a date meaning midnight UTC.
pub fn parse_since(text: &str) -> Result<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        && let Some(midnight) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(midnight.and_utc());
    }
    Err(Error::usage(format!(
        "--since {t:?} is neither RFC 3339 (2026-11-01T10:00:00Z) nor a date (2026-11-01)"
    )))
}

/// One static statement; a filter that is not given is a NULL parameter. Status and segment
/// compare without case; search looks for the text in company, customer and domain, any case.
const LIST_SQL: &str = "
SELECT r.referral_id, r.referral_type, r.type AS type_, r.qualification, r.direction, r.status,
       r.substatus, r.company_name, r.customer_name, r.customer_country, r.domain, r.raw_domain,
       r.azure_tenant_id, r.deal_value::float8 AS deal_value, r.currency, r.link_status,
       COALESCE(c.provider, s.provider) AS provider, l.segment, l.readiness_score AS score,
       l.priority_category, r.pc_updated_at, r.synced_at
FROM partner_center_referrals r
LEFT JOIN companies c ON c.domain = r.domain
LEFT JOIN domain_signals s ON s.domain = r.domain
LEFT JOIN lead_scores l ON l.domain = r.domain
WHERE ($1 = false OR ($2::text IS NULL AND r.referral_type IS NULL) OR r.referral_type = $2)
  AND ($3::text IS NULL OR lower(r.status) = lower($3))
  AND ($4::text IS NULL OR lower(l.segment) = lower($4))
  AND ($5::text IS NULL OR r.domain = $5)
  AND ($6::text IS NULL
       OR strpos(lower(coalesce(r.company_name, '')), lower($6)) > 0
       OR strpos(lower(coalesce(r.customer_name, '')), lower($6)) > 0
       OR strpos(lower(coalesce(r.domain, '')), lower($6)) > 0)
  AND ($7::timestamptz IS NULL OR r.pc_updated_at >= $7)
  AND ($8 = false OR r.link_status = 'unlinked')
ORDER BY r.pc_updated_at DESC NULLS LAST, r.referral_id
LIMIT $9
";

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    referral_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    referral_type: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    type_: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    qualification: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    direction: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    status: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    substatus: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    company_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    customer_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    customer_country: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    domain: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    raw_domain: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    azure_tenant_id: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Double>)]
    deal_value: Option<f64>,
    #[diesel(sql_type = Nullable<Text>)]
    currency: Option<String>,
    #[diesel(sql_type = Text)]
    link_status: String,
    #[diesel(sql_type = Nullable<Text>)]
    provider: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    segment: Option<String>,
    #[diesel(sql_type = Nullable<Int4>)]
    score: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    priority_category: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pc_updated_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    synced_at: DateTime<Utc>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl From<Row> for Listed {
    fn from(r: Row) -> Self {
        Listed {
            referral_id: r.referral_id,
            referral_type: r.referral_type,
            type_: r.type_,
            qualification: r.qualification,
            direction: r.direction,
            status: r.status,
            substatus: r.substatus,
            company_name: r.company_name,
            customer_name: r.customer_name,
            customer_country: r.customer_country,
            domain: r.domain,
            raw_domain: r.raw_domain,
            azure_tenant_id: r.azure_tenant_id,
            deal_value: r.deal_value,
            currency: r.currency,
            link_status: r.link_status,
            provider: r.provider,
            segment: r.segment,
            score: r.score,
            priority_category: r.priority_category,
            pc_updated_at: r.pc_updated_at.map(rfc3339),
            synced_at: rfc3339(r.synced_at),
        }
    }
}

/// The referrals the filters select, newest Partner Center update first, then by id.
pub fn list(conn: &mut PgConnection, f: &Filters) -> Result<Vec<Listed>> {
    let rows: Vec<Row> = diesel::sql_query(LIST_SQL)
        .bind::<Bool, _>(f.referral_type.is_some())
        .bind::<Nullable<Text>, _>(f.referral_type.flatten().map(Category::as_str))
        .bind::<Nullable<Text>, _>(f.status.as_deref())
        .bind::<Nullable<Text>, _>(f.segment.map(Segment::as_str))
        .bind::<Nullable<Text>, _>(f.domain.as_deref())
        .bind::<Nullable<Text>, _>(f.search.as_deref())
        .bind::<Nullable<Timestamptz>, _>(f.since)
        .bind::<Bool, _>(f.unlinked)
        .bind::<Nullable<BigInt>, _>(f.limit)
        .load(conn)?;
    Ok(rows.into_iter().map(Listed::from).collect())
}

/// The table's columns (94 characters with the gaps, under a 100-column terminal).
pub const TABLE_COLUMNS: [Column; 8] = [
    Column {
        header: "REFERRAL",
        width: 10,
    },
    Column {
        header: "TYPE",
        width: 11,
    },
    Column {
        header: "STATUS",
        width: 8,
    },
    Column {
        header: "COMPANY",
        width: 16,
    },
    Column {
        header: "DOMAIN",
        width: 20,
    },
    Column {
        header: "PROVIDER",
        width: 8,
    },
    Column {
        header: "SEGMENT",
        width: 9,
    },
    Column {
        header: "SCORE",
        width: 5,
    },
];

fn table_row(r: &Listed) -> Vec<String> {
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
    vec![
        r.referral_id.clone(),
        text(&r.referral_type),
        text(&r.status),
        text(&r.company_name),
        text(&r.domain),
        text(&r.provider),
        text(&r.segment),
        r.score.map_or_else(|| "-".to_string(), |s| s.to_string()),
    ]
}

/// The rows in the chosen format.
pub fn render(format: ListFormat, rows: &[Listed]) -> Result<String> {
    Ok(match format {
        ListFormat::Table => {
            let cells: Vec<Vec<String>> = rows.iter().map(table_row).collect();
            output::table(&TABLE_COLUMNS, &cells)
        }
        ListFormat::Json => output::json_array(rows)?,
        ListFormat::Ndjson => output::ndjson(rows)?,
        ListFormat::Csv => output::csv(&KEYS, rows)
            .map_err(|e| Error::failure(format!("cannot write CSV: {e}")))?,
    })
}
