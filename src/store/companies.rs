//! Hunter's `companies`: one row per customer company, keyed by its registrable domain. A page
//! creates and touches them (Hunter's own columns are never written: only `canonical_name` of a
//! new company, `provider`, `updated_at`); a completed scan sets their provider. Ids are
//! Hunter's `integer`s, read as `bigint`.

use std::collections::HashSet;

use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Int8, Nullable, Text};

use crate::error::Result;
use crate::model::{Provider, ScanStatus, company_provider};

/// The table.
pub const TABLE: &str = "companies";

/// A company a page's referrals name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named<'a> {
    pub domain: &'a str,
    /// The name a new company gets (an existing one keeps its own).
    pub name: &'a str,
    /// The provider the referrals set ([`company_provider`]: M365 for a tenant id); `None`
    /// keeps the stored one.
    pub provider: Option<Provider>,
}

/// A page's company after its write.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct PageCompany {
    #[diesel(sql_type = Int8)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub domain: String,
    /// Created by this statement.
    #[diesel(sql_type = Bool)]
    pub inserted: bool,
}

/// The companies of a page, in one statement. Written: new companies, and those whose provider
/// changes (with `updated_at`). Any other company is Hunter's row as it is: not written (not
/// even locked); its id is read instead. Returns every named company's id. The stored rows are
/// looked up by `= ANY` (index probes): a join lets the planner scan the whole table.
pub fn write_page(conn: &mut PgConnection, named: &[Named]) -> Result<Vec<PageCompany>> {
    if named.is_empty() {
        return Ok(Vec::new());
    }
    let domains: Vec<&str> = named.iter().map(|c| c.domain).collect();
    let names: Vec<&str> = named.iter().map(|c| c.name).collect();
    let providers: Vec<Option<&str>> = named
        .iter()
        .map(|c| c.provider.map(Provider::as_str))
        .collect();
    Ok(diesel::sql_query(
        "WITH incoming AS ( \
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS u(domain, name, provider)), \
         stored AS MATERIALIZED ( \
           SELECT id::bigint AS id, domain, provider FROM companies WHERE domain = ANY($1)), \
         written AS ( \
           INSERT INTO companies (domain, canonical_name, provider) \
           SELECT i.domain, i.name, i.provider FROM incoming i \
             LEFT JOIN stored c ON c.domain = i.domain \
            WHERE c.id IS NULL \
               OR c.provider IS DISTINCT FROM COALESCE(i.provider, c.provider) \
           ON CONFLICT (domain) DO UPDATE SET \
             provider = COALESCE(excluded.provider, companies.provider), updated_at = now() \
           RETURNING id::bigint AS id, domain, (xmax = 0) AS inserted) \
         SELECT id, domain, inserted FROM written \
         UNION ALL \
         SELECT id, domain, false FROM stored WHERE domain NOT IN (SELECT domain FROM written)",
    )
    .bind::<Array<Text>, _>(&domains)
    .bind::<Array<Text>, _>(&names)
    .bind::<Array<Nullable<Text>>, _>(&providers)
    .load(conn)?)
}

/// After scans, in the caller's transaction: a company's provider follows its completed scan
/// ([`company_provider`]: M365 when a referral of the domain carries a tenant id). One
/// statement; failed scans, domains without a company and a scan that found no provider
/// (`Unknown`: hunter-pc never writes it) change nothing.
pub fn follow_scans(
    conn: &mut PgConnection,
    domains: &[&str],
    statuses: &[ScanStatus],
    providers: &[Option<Provider>],
) -> Result<usize> {
    let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    let providers: Vec<Option<&str>> = providers.iter().map(|p| p.map(Provider::as_str)).collect();
    let sql = format!(
        "UPDATE companies c SET provider = n.provider, updated_at = now() \
         FROM (SELECT x.domain, \
                      CASE WHEN EXISTS (SELECT 1 FROM referrals r \
                                        WHERE r.domain = x.domain AND {has_tenant}) \
                           THEN $4 ELSE x.provider END AS provider \
               FROM unnest($1::text[], $2::text[], $3::text[]) AS x(domain, scan_status, provider) \
               WHERE x.scan_status <> $5) n \
         WHERE c.domain = n.domain AND n.provider IS NOT NULL AND n.provider <> $6 \
           AND c.provider IS DISTINCT FROM n.provider",
        has_tenant = super::referrals::HAS_TENANT_ID,
    );
    Ok(diesel::sql_query(sql)
        .bind::<Array<Text>, _>(domains)
        .bind::<Array<Text>, _>(&statuses)
        .bind::<Array<Nullable<Text>>, _>(&providers)
        .bind::<Nullable<Text>, _>(company_provider(true, None).map(Provider::as_str))
        .bind::<Text, _>(ScanStatus::Failed.as_str())
        .bind::<Text, _>(Provider::Unknown.as_str())
        .execute(conn)?)
}

/// Which of `domains` are companies with a Partner Center referral (the ones hunter-pc scans
/// and scores).
pub fn with_referral(conn: &mut PgConnection, domains: &[String]) -> Result<HashSet<String>> {
    #[derive(QueryableByName)]
    struct DomainRow {
        #[diesel(sql_type = Text)]
        domain: String,
    }
    let rows: Vec<DomainRow> = diesel::sql_query(
        "SELECT c.domain FROM companies c WHERE c.domain = ANY($1) \
               AND EXISTS (SELECT 1 FROM referrals r WHERE r.domain = c.domain)",
    )
    .bind::<Array<Text>, _>(domains)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.domain).collect())
}

/// Whether a company has this domain and a Partner Center referral names it (the companies
/// hunter-pc scans and scores; Hunter's other leads are Hunter's).
pub fn has_referral(conn: &mut PgConnection, domain: &str) -> Result<bool> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Bool)]
        found: bool,
    }
    Ok(diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM companies c WHERE c.domain = $1 \
           AND EXISTS (SELECT 1 FROM referrals r WHERE r.domain = c.domain)) AS found",
    )
    .bind::<Text, _>(domain)
    .get_result::<Found>(conn)?
    .found)
}
