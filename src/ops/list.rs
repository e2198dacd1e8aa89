//! `list-referrals` as a library operation: checked filters in, the referrals they select (at
//! most the limit) and how many they select in all out. The command renders the rows
//! (`commands/list_referrals.rs`); every filter is a bound parameter of one statement
//! ([`crate::store::referrals::list`]).

use bigdecimal::ToPrimitive;
use chrono::{DateTime, SecondsFormat, Utc};
use diesel::PgConnection;
use serde::Serialize;

use crate::error::Result;
use crate::store::{self, referrals};

pub use crate::store::referrals::Filters;

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

/// One referral as `list-referrals` prints it (field order = [`KEYS`]). `domain` is the stored
/// form (lower-case ASCII, punycode for an international name).
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

/// What a listing found.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    /// Newest Partner Center update first, then by id; at most the limit.
    pub rows: Vec<Listed>,
    /// How many referrals the filters select, whatever the limit.
    pub total: i64,
}

impl Listing {
    /// The limit left some out.
    pub fn capped(&self) -> bool {
        (self.rows.len() as i64) < self.total
    }
}

/// What one listing needs.
#[derive(Debug, Clone)]
pub struct ListOptions {
    pub database_url: String,
    /// The timeouts of the database session.
    pub db: crate::store::ConnectOptions,
    pub filters: Filters,
}

/// Connect (the schema must be current), then [`list`].
pub fn run(opts: &ListOptions) -> Result<Listing> {
    let (mut conn, _) = store::connect_current(&opts.database_url, &opts.db)?;
    list(&mut conn, &opts.filters)
}

/// The referrals the filters select, and how many there are in all (counted only when the
/// limit was reached).
pub fn list(conn: &mut PgConnection, filters: &Filters) -> Result<Listing> {
    let rows: Vec<Listed> = referrals::list(conn, filters)?
        .into_iter()
        .map(Listed::from)
        .collect();
    let shown = rows.len() as i64;
    let total = match filters.limit {
        // A row written between the two statements may not be counted: never say fewer
        // than shown.
        Some(limit) if shown >= limit => referrals::count(conn, filters)?.max(shown),
        _ => shown,
    };
    Ok(Listing { rows, total })
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
