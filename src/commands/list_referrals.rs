//! `list-referrals [filters] [--format table|json|ndjson|csv] [--limit N]`: stored referrals
//! joined to their company, signals and score (cli.md). Every filter is a bound parameter
//! ([`crate::store::referrals::list`]).

use std::io::IsTerminal;

use bigdecimal::ToPrimitive;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use diesel::PgConnection;
use serde::Serialize;

use crate::cli::{ListArgs, ListFormat, ReferralTypeFilter};
use crate::commands::Ctx;
use crate::error::{Error, Result};
use crate::model::{Category, Segment};
use crate::output::{self, Column, emit};
use crate::store::{self, referrals};

pub use crate::store::referrals::Filters;

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

pub fn run(ctx: &Ctx, args: ListArgs) -> Result<()> {
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        ListFormat::Table
    } else {
        ListFormat::Json
    });
    let filters = filters(&args, format)?;
    let mut conn =
        store::connect_current(ctx.settings.require_database_url()?, &ctx.settings.db())?;
    let rows = list(&mut conn, &filters)?;
    emit(&render(format, &rows)?)?;
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

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl From<referrals::ListedRow> for Listed {
    fn from(r: referrals::ListedRow) -> Self {
        let f = r.fields;
        Listed {
            referral_id: r.referral_id,
            referral_type: f.referral_type,
            type_: f.type_,
            qualification: f.qualification,
            direction: f.direction,
            status: f.status,
            substatus: f.substatus,
            company_name: f.company_name,
            customer_name: f.customer_name,
            customer_country: f.customer_country,
            domain: f.domain,
            raw_domain: f.raw_domain,
            azure_tenant_id: f.azure_tenant_id,
            // numeric(15,2) to the nearest double, as Postgres' `::float8` gives it.
            deal_value: f.deal_value.as_ref().and_then(ToPrimitive::to_f64),
            currency: f.currency,
            link_status: r.link_status,
            provider: r.provider,
            segment: r.segment,
            score: r.score,
            priority_category: r.priority_category,
            pc_updated_at: f.pc_updated_at.map(rfc3339),
            synced_at: rfc3339(r.synced_at),
        }
    }
}

/// The referrals the filters select, newest Partner Center update first, then by id.
pub fn list(conn: &mut PgConnection, f: &Filters) -> Result<Vec<Listed>> {
    Ok(referrals::list(conn, f)?
        .into_iter()
        .map(Listed::from)
        .collect())
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
