//! Turning pages of referrals into tracking rows, raw leads and companies (pipeline.md §2).
//!
//! Three steps a page. [`prepare`] is pure CPU work (parsing, extraction, the canonical JSON
//! and its hash) and runs on its own thread, a page ahead of the writes. [`Ingest::plan`]
//! reads the stored rows (one statement) and applies the counting rules, in page order.
//! [`write_page`] writes a plan with multi-row statements: one upsert of the companies, and one
//! statement that upserts the tracking rows and inserts the raw leads; when a batch statement
//! fails (one bad referral), the page is written again referral by referral, each in a
//! savepoint, so the bad one is recorded as failed and the rest commit. [`Ingest::record`]
//! counts what was written. [`writers`](crate::pipeline::writers) runs the last two steps.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Int8, Nullable, Numeric, Text, Timestamptz};

use crate::config::Direction;
use crate::error::{Error, Kind, Result};
use crate::logging::mask;
use crate::model::{Category, LinkStatus, Provider, company_provider};
use crate::pipeline::extract::{Extracted, canonical_json, extract, hash_of_canonical};
use crate::pipeline::source::Entry;

/// Why a referral was skipped (cli.md's `skipped` reasons).
pub const SKIP_DIRECTION: &str = "direction";
pub const SKIP_INVALID: &str = "invalid";
pub const SKIP_DUPLICATE: &str = "duplicate_in_run";
pub const SKIP_STALE: &str = "stale";

/// Settings that change what a run does with a referral.
#[derive(Debug, Clone, Copy)]
pub struct IngestOptions {
    pub direction: Direction,
    /// Reprocess unchanged referrals (rewrite row and company, touch the domain).
    pub force: bool,
}

/// The counts of cli.md's summary that the ingestion decides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub fetched: i64,
    pub new: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub skipped: BTreeMap<String, i64>,
    pub failed: i64,
    pub unlinked: i64,
    pub companies_created: i64,
    pub companies_updated: i64,
    pub raw_leads_inserted: i64,
    pub pages: i64,
}

/// What a run has seen so far; lives across pages.
pub struct Ingest {
    pub opts: IngestOptions,
    pub counts: Counts,
    /// Referral id → message, for `sync_runs.errors`.
    pub errors: BTreeMap<String, String>,
    /// Company domains written by new, changed or forced referrals (to scan and score).
    pub touched: BTreeSet<String>,
    /// SQL statements sent, for the benchmark's statements-per-page.
    pub statements: u64,
    /// The newest `(updatedDateTime, id)` of the last page read (the API cursor candidate).
    pub page_newest: Option<(DateTime<Utc>, String)>,
    /// The newest `(updatedDateTime, id)` of the whole run.
    pub run_newest: Option<(DateTime<Utc>, String)>,
    seen: HashMap<String, Seen>,
    created: HashSet<String>,
    updated: HashSet<String>,
}

/// The newest copy of a referral processed in this run.
struct Seen {
    updated_at: Option<DateTime<Utc>>,
    hash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    New,
    Updated,
    /// Same content as stored, rewritten because of `--force`.
    Forced,
}

/// One input entry after [`prepare`].
pub enum Item {
    /// Skipped `invalid`: unreadable, without an id, or with an id Postgres cannot store.
    Invalid {
        line: Option<usize>,
        why: String,
    },
    Referral(Box<Candidate>),
}

/// A referral with an id, ready for the database.
pub struct Candidate {
    ex: Extracted,
    id: String,
    /// The referral as compact JSON with sorted keys (sent as `raw_data` and `payload`).
    json: String,
    hash: String,
}

/// Steps 1 and 5–7 of a page, without I/O: identity, extraction, canonical JSON and content
/// hash. Run where the page is read, so that this work overlaps the previous page's writes.
pub fn prepare(entries: Vec<Entry>) -> Vec<Item> {
    entries
        .into_iter()
        .map(|entry| {
            let raw = match entry {
                Entry::Invalid { line, reason } => {
                    return Item::Invalid {
                        line: Some(line),
                        why: format!("skipped an invalid referral: {reason}"),
                    };
                }
                // Checked to be JSON when it was read; only a nesting deeper than
                // serde_json's limit (128) fails here.
                Entry::Json(json) => match serde_json::from_str(json.get()) {
                    Ok(v) => v,
                    Err(e) => return too_deep(None, e),
                },
                Entry::Text { line, json } => match serde_json::from_str(json.get()) {
                    Ok(v) => v,
                    Err(e) => return too_deep(line, e),
                },
            };
            let ex = extract(&raw);
            let id = match ex.referral_id.as_deref() {
                None => {
                    return Item::Invalid {
                        line: None,
                        why: "skipped a referral without an id".into(),
                    };
                }
                // Postgres text cannot hold NUL: such an id can never be stored or looked up.
                Some(id) if id.contains('\0') => {
                    return Item::Invalid {
                        line: None,
                        why: "skipped a referral whose id contains a NUL character".into(),
                    };
                }
                Some(id) => id.to_string(),
            };
            let json = canonical_json(&raw);
            let hash = hash_of_canonical(&json);
            Item::Referral(Box::new(Candidate { ex, id, json, hash }))
        })
        .collect()
}

fn too_deep(line: Option<usize>, e: serde_json::Error) -> Item {
    Item::Invalid {
        line,
        why: format!("skipped an invalid referral: {e}"),
    }
}

/// A referral that will be written.
struct Prepared {
    ex: Extracted,
    id: String,
    hash: String,
    json: String,
    change: Change,
}

/// `a` is older than `b`. A missing time is not comparable, so it never makes a referral stale.
fn older(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a < b)
}

impl Ingest {
    pub fn new(opts: IngestOptions) -> Ingest {
        Ingest {
            opts,
            counts: Counts::default(),
            errors: BTreeMap::new(),
            touched: BTreeSet::new(),
            statements: 0,
            page_newest: None,
            run_newest: None,
            seen: HashMap::new(),
            created: HashSet::new(),
            updated: HashSet::new(),
        }
    }

    fn skip(&mut self, reason: &str) {
        *self.counts.skipped.entry(reason.to_string()).or_default() += 1;
    }

    /// Steps 1–4 of a page: what to write. Reads the stored rows of the page's ids on `conn`.
    pub fn plan(&mut self, conn: &mut PgConnection, items: Vec<Item>) -> Result<Plan> {
        self.counts.pages += 1;
        self.counts.fetched += items.len() as i64;
        let candidates = self.identify(items);
        let ids: Vec<String> = candidates.iter().map(|c| c.id.clone()).collect();
        let stored = stored_rows(conn, &ids)?;
        self.statements += 1;
        Ok(Plan {
            rows: self.decide(candidates, &stored),
        })
    }

    /// Count what [`write_page`] did with a plan (pages in order).
    pub fn record(&mut self, plan: &Plan, page: PageWrite) {
        self.statements += page.statements;
        for (indexes, w) in &page.written {
            let rows: Vec<&Prepared> = indexes.iter().map(|i| &plan.rows[*i]).collect();
            self.account(&rows, w);
        }
        for (i, message) in page.failed {
            let p = &plan.rows[i];
            self.counts.failed += 1;
            if p.change == Change::Forced {
                self.counts.unchanged -= 1; // counted once, as failed
            }
            self.errors.insert(p.id.clone(), message);
        }
    }

    /// Steps 1–2: identity and direction. Returns the referrals to look at further.
    fn identify(&mut self, items: Vec<Item>) -> Vec<Candidate> {
        let mut out = Vec::with_capacity(items.len());
        self.page_newest = None;
        for item in items {
            let c = match item {
                Item::Invalid { line, why } => {
                    tracing::warn!(line, "{why}");
                    self.skip(SKIP_INVALID);
                    continue;
                }
                Item::Referral(c) => *c,
            };
            if let Some(t) = c.ex.pc_updated_at {
                let candidate = (t, c.id.clone());
                if self.page_newest.as_ref().is_none_or(|n| candidate > *n) {
                    self.page_newest = Some(candidate.clone());
                }
                if self.run_newest.as_ref().is_none_or(|n| candidate > *n) {
                    self.run_newest = Some(candidate);
                }
            }
            let direction = c.ex.direction.as_deref().unwrap_or("incoming");
            if !self.opts.direction.wants(direction) {
                self.skip(SKIP_DIRECTION);
                continue;
            }
            out.push(c);
        }
        out
    }

    /// Steps 3–4: stale, repeated and unchanged referrals, in the order received.
    fn decide(
        &mut self,
        candidates: Vec<Candidate>,
        stored: &HashMap<String, Stored>,
    ) -> Vec<Prepared> {
        let mut out = Vec::new();
        for Candidate { ex, id, json, hash } in candidates {
            // `remember`: this copy is now the newest one of the run (not when skipped).
            let (change, remember) = if let Some(prev) = self.seen.get(&id) {
                let newer = match (ex.pc_updated_at, prev.updated_at) {
                    (Some(a), Some(b)) => a > b,
                    (Some(_), None) => true,
                    _ => false,
                };
                let equally_new = ex.pc_updated_at == prev.updated_at;
                if newer || (equally_new && hash != prev.hash) {
                    (Some(Change::Updated), true)
                } else {
                    self.skip(SKIP_DUPLICATE);
                    (None, false)
                }
            } else if let Some(s) = stored.get(&id) {
                if older(ex.pc_updated_at, s.pc_updated_at) {
                    self.skip(SKIP_STALE);
                    (None, false)
                } else if hash == s.content_hash {
                    self.counts.unchanged += 1;
                    if !self.opts.force {
                        (None, true)
                    } else if s.derives_the_same(&ex) {
                        // Re-derived to what is stored: nothing to write, but the domain is
                        // touched (scanned when it needs it, and scored).
                        if let Some(d) = &ex.domain {
                            self.touched.insert(d.clone());
                        }
                        (None, true)
                    } else {
                        (Some(Change::Forced), true)
                    }
                } else {
                    (Some(Change::Updated), true)
                }
            } else {
                (Some(Change::New), true)
            };
            if remember {
                self.seen.insert(
                    id.clone(),
                    Seen {
                        updated_at: ex.pc_updated_at,
                        hash: hash.clone(),
                    },
                );
            }
            if let Some(change) = change {
                out.push(Prepared {
                    ex,
                    id,
                    hash,
                    json,
                    change,
                });
            }
        }
        out
    }

    /// Count what a successful write did.
    fn account(&mut self, written: &[&Prepared], w: &Written) {
        self.counts.raw_leads_inserted += w.raw_leads;
        for (domain, inserted) in &w.companies {
            if *inserted {
                self.created.insert(domain.clone());
            }
        }
        for p in written {
            match p.change {
                Change::New => self.counts.new += 1,
                Change::Updated => self.counts.updated += 1,
                Change::Forced => {}
            }
            match &p.ex.domain {
                None => {
                    if p.change != Change::Forced {
                        self.counts.unlinked += 1;
                        tracing::warn!(referral_id = %p.id, "referral has no customer domain: stored unlinked");
                    }
                }
                Some(d) => {
                    self.touched.insert(d.clone());
                    if p.change != Change::Forced && !self.created.contains(d) {
                        self.updated.insert(d.clone());
                    }
                }
            }
        }
        self.counts.companies_created = self.created.len() as i64;
        self.counts.companies_updated = self.updated.len() as i64;
    }
}

/// What the database holds of a referral: for the stale and unchanged checks, and, under
/// `--force`, to see whether re-deriving it changes anything.
#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = Text)]
    referral_id: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pc_updated_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Text)]
    content_hash: String,
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
    engagement_id: Option<String>,
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
    #[diesel(sql_type = Nullable<Numeric>)]
    deal_value: Option<BigDecimal>,
    #[diesel(sql_type = Nullable<Text>)]
    currency: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pc_created_at: Option<DateTime<Utc>>,
    /// The linked company's domain and provider.
    #[diesel(sql_type = Nullable<Text>)]
    company_domain: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    company_provider: Option<String>,
}

impl Stored {
    /// Whether writing `ex` would leave this row and its company as they are.
    fn derives_the_same(&self, ex: &Extracted) -> bool {
        self.referral_type.as_deref() == ex.referral_type.map(Category::as_str)
            && self.type_ == ex.type_
            && self.qualification == ex.qualification
            && self.direction == ex.direction
            && self.status == ex.status
            && self.substatus == ex.substatus
            && self.engagement_id == ex.engagement_id
            && self.company_name == ex.company_name
            && self.customer_name == ex.customer_name
            && self.customer_country == ex.customer_country
            && self.domain == ex.domain
            && self.raw_domain == ex.raw_domain
            && self.azure_tenant_id == ex.azure_tenant_id
            && self.deal_value == ex.deal_value
            && self.currency == ex.currency
            && self.pc_created_at == ex.pc_created_at
            && self.pc_updated_at == ex.pc_updated_at
            // linked to the company of its domain (none without one) …
            && self.company_domain == ex.domain
            // … whose provider a tenant id would set already is that.
            && company_provider(ex.azure_tenant_id.is_some(), None)
                .is_none_or(|p| self.company_provider.as_deref() == Some(p.as_str()))
    }
}

/// The stored rows of these ids, with their company: index probes only (a join would let the
/// planner scan all companies when its statistics are stale, as right after a first import).
fn stored_rows(conn: &mut PgConnection, ids: &[String]) -> Result<HashMap<String, Stored>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Stored> = diesel::sql_query(
        "SELECT r.referral_id, r.pc_updated_at, r.content_hash, r.referral_type, r.type AS type_, \
                r.qualification, r.direction, r.status, r.substatus, r.engagement_id, \
                r.company_name, r.customer_name, r.customer_country, r.domain, r.raw_domain, \
                r.azure_tenant_id, r.deal_value, r.currency, r.pc_created_at, \
                (SELECT domain FROM companies WHERE id = r.linked_lead_id) AS company_domain, \
                (SELECT provider FROM companies WHERE id = r.linked_lead_id) AS company_provider \
           FROM partner_center_referrals r WHERE r.referral_id = ANY($1)",
    )
    .bind::<Array<Text>, _>(ids)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.referral_id.clone(), r))
        .collect())
}

/// What one write did.
#[derive(Default)]
struct Written {
    /// Company domain → inserted now (false: it existed).
    companies: Vec<(String, bool)>,
    raw_leads: i64,
    statements: u64,
}

/// What to write for one page: the referrals that are new, changed or re-derived differently.
pub struct Plan {
    rows: Vec<Prepared>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The referral ids and company domains the page writes (two pages that share none can be
    /// written at the same time without waiting on each other's rows).
    pub fn keys(&self) -> HashSet<String> {
        let ids = self.rows.iter().map(|p| p.id.clone());
        ids.chain(self.rows.iter().filter_map(|p| p.ex.domain.clone()))
            .collect()
    }
}

/// What writing a page did: which rows were written (and what that wrote), which failed.
#[derive(Default)]
pub struct PageWrite {
    /// Indexes into the plan's rows, with what their write did.
    written: Vec<(Vec<usize>, Written)>,
    /// Index into the plan's rows → the error.
    failed: Vec<(usize, String)>,
    statements: u64,
}

/// Steps 8–11 of a page, in the caller's transaction: the batch; when a batch statement fails,
/// referral by referral, each in a savepoint, so a bad one fails alone.
pub fn write_page(conn: &mut PgConnection, plan: &Plan) -> Result<PageWrite> {
    let rows = &plan.rows;
    let mut page = PageWrite::default();
    if rows.is_empty() {
        return Ok(page);
    }
    let all: Vec<&Prepared> = rows.iter().collect();
    match conn.transaction::<_, Error, _>(|c| write_rows(c, &all)) {
        Ok(w) => {
            page.statements += w.statements;
            page.written.push(((0..rows.len()).collect(), w));
        }
        Err(e) if e.kind == Kind::Unavailable => return Err(e),
        Err(e) => {
            tracing::warn!("a batch write failed ({e}); writing this page referral by referral");
            for (i, p) in all.iter().enumerate() {
                match conn.transaction::<_, Error, _>(|c| write_rows(c, &[p])) {
                    Ok(w) => {
                        page.statements += w.statements;
                        page.written.push((vec![i], w));
                    }
                    Err(e) if e.kind == Kind::Unavailable => return Err(e),
                    Err(e) => {
                        tracing::error!(referral_id = %p.id, "referral failed: {e}");
                        page.failed.push((i, e.message.clone()));
                    }
                }
            }
        }
    }
    Ok(page)
}

#[derive(QueryableByName)]
struct CompanyRow {
    #[diesel(sql_type = Int8)]
    id: i64,
    #[diesel(sql_type = Text)]
    domain: String,
    #[diesel(sql_type = Bool)]
    inserted: bool,
}

/// Companies, then tracking rows and raw leads, for these referrals: two statements.
fn write_rows(conn: &mut PgConnection, items: &[&Prepared]) -> Result<Written> {
    let mut w = Written::default();

    // Companies by domain: the first referral in processing order names a new one; a tenant id
    // on any of them sets the provider ([`company_provider`]). An existing company keeps its
    // name.
    let mut order: Vec<&str> = Vec::new();
    let mut company: HashMap<&str, (String, Option<Provider>)> = HashMap::new();
    for p in items {
        let Some(d) = p.ex.domain.as_deref() else {
            continue;
        };
        let provider = company_provider(p.ex.azure_tenant_id.is_some(), None);
        company
            .entry(d)
            .and_modify(|c| c.1 = c.1.or(provider))
            .or_insert_with(|| {
                order.push(d);
                let name = p.ex.company_name.clone().unwrap_or_else(|| d.to_string());
                (name, provider)
            });
    }
    let mut company_ids: HashMap<String, i64> = HashMap::new();
    if !order.is_empty() {
        let domains: Vec<String> = order.iter().map(|d| d.to_string()).collect();
        let names: Vec<String> = order.iter().map(|d| company[d].0.clone()).collect();
        let providers: Vec<Option<String>> = order
            .iter()
            .map(|d| company[d].1.map(|p| p.as_str().to_string()))
            .collect();
        // An existing company is touched (updated_at) by a new or changed referral; a forced
        // re-derivation that changes nothing writes nothing.
        let changed: Vec<&str> = items
            .iter()
            .filter(|p| p.change != Change::Forced)
            .filter_map(|p| p.ex.domain.as_deref())
            .collect();
        // Written: new companies, companies a new or changed referral touches (updated_at),
        // and those whose provider changes. A forced re-derivation that changes nothing does not
        // touch the row (not even to lock it); its id is read instead. The stored rows are
        // looked up by `= ANY` (index probes): a join lets the planner scan the whole table.
        let rows: Vec<CompanyRow> = diesel::sql_query(
            "WITH incoming AS ( \
               SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS u(domain, name, provider)), \
             stored AS MATERIALIZED ( \
               SELECT id, domain, provider FROM companies WHERE domain = ANY($1)), \
             written AS ( \
               INSERT INTO companies (domain, canonical_name, provider) \
               SELECT i.domain, i.name, i.provider FROM incoming i \
                 LEFT JOIN stored c ON c.domain = i.domain \
                WHERE c.id IS NULL OR i.domain = ANY($4) \
                   OR c.provider IS DISTINCT FROM COALESCE(i.provider, c.provider) \
               ON CONFLICT (domain) DO UPDATE SET \
                 provider = COALESCE(excluded.provider, companies.provider), updated_at = now() \
               RETURNING id, domain, (xmax = 0) AS inserted) \
             SELECT id, domain, inserted FROM written \
             UNION ALL \
             SELECT id, domain, false FROM stored WHERE domain NOT IN (SELECT domain FROM written)",
        )
        .bind::<Array<Text>, _>(&domains)
        .bind::<Array<Text>, _>(&names)
        .bind::<Array<Nullable<Text>>, _>(&providers)
        .bind::<Array<Text>, _>(&changed)
        .load(conn)?;
        w.statements += 1;
        for r in rows {
            company_ids.insert(r.domain.clone(), r.id);
            if r.inserted {
                w.companies.push((r.domain, true));
            }
        }
    }

    // Tracking rows (the last copy of each id in this batch is the newest: decide() saw to
    // it) and raw leads (one per new or changed referral with a domain), in one statement.
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, p) in items.iter().enumerate() {
        last.insert(p.id.as_str(), i);
    }
    let mut cols = ReferralColumns::default();
    for (i, p) in items.iter().enumerate() {
        let company_id =
            p.ex.domain
                .as_ref()
                .and_then(|d| company_ids.get(d).copied());
        cols.push(p, company_id, last[p.id.as_str()] == i);
    }
    w.raw_leads = cols.write(conn)?;
    w.statements += 1;

    for p in items {
        for warning in &p.ex.warnings {
            tracing::warn!(referral_id = %p.id, "{warning}");
        }
        if let Some(t) = &p.ex.azure_tenant_id {
            tracing::debug!(referral_id = %p.id, tenant = %mask(t), "referral carries an Azure tenant id");
        }
    }
    Ok(w)
}

/// The tracking-row columns, one array per column, for one `unnest` upsert.
#[derive(Default)]
struct ReferralColumns<'a> {
    referral_id: Vec<&'a str>,
    referral_type: Vec<Option<&'a str>>,
    type_: Vec<Option<&'a str>>,
    qualification: Vec<Option<&'a str>>,
    direction: Vec<Option<&'a str>>,
    status: Vec<Option<&'a str>>,
    substatus: Vec<Option<&'a str>>,
    engagement_id: Vec<Option<&'a str>>,
    company_name: Vec<Option<&'a str>>,
    customer_name: Vec<Option<&'a str>>,
    customer_country: Vec<Option<&'a str>>,
    domain: Vec<Option<&'a str>>,
    raw_domain: Vec<Option<&'a str>>,
    azure_tenant_id: Vec<Option<&'a str>>,
    deal_value: Vec<Option<&'a BigDecimal>>,
    currency: Vec<Option<&'a str>>,
    link_status: Vec<&'a str>,
    linked_lead_id: Vec<Option<i64>>,
    pc_created_at: Vec<Option<DateTime<Utc>>>,
    pc_updated_at: Vec<Option<DateTime<Utc>>>,
    content_hash: Vec<&'a str>,
    /// The referral's JSON text, parsed into jsonb once for both `raw_data` and `payload`.
    json: Vec<&'a str>,
    /// This copy is the one the tracking row keeps (the last of its id in the batch).
    keep: Vec<bool>,
    /// This copy adds a raw lead (new or changed, with a domain).
    lead: Vec<bool>,
    email: Vec<Option<&'a str>>,
    website: Vec<Option<&'a str>>,
}

impl<'a> ReferralColumns<'a> {
    fn push(&mut self, p: &'a Prepared, company_id: Option<i64>, keep: bool) {
        let ex = &p.ex;
        self.referral_id.push(&p.id);
        self.referral_type
            .push(ex.referral_type.map(Category::as_str));
        self.type_.push(ex.type_.as_deref());
        self.qualification.push(ex.qualification.as_deref());
        self.direction.push(ex.direction.as_deref());
        self.status.push(ex.status.as_deref());
        self.substatus.push(ex.substatus.as_deref());
        self.engagement_id.push(ex.engagement_id.as_deref());
        self.company_name.push(ex.company_name.as_deref());
        self.customer_name.push(ex.customer_name.as_deref());
        self.customer_country.push(ex.customer_country.as_deref());
        self.domain.push(ex.domain.as_deref());
        self.raw_domain.push(ex.raw_domain.as_deref());
        self.azure_tenant_id.push(ex.azure_tenant_id.as_deref());
        self.deal_value.push(ex.deal_value.as_ref());
        self.currency.push(ex.currency.as_deref());
        self.link_status
            .push(LinkStatus::for_domain(ex.domain.is_some()).as_str());
        self.linked_lead_id.push(company_id);
        self.pc_created_at.push(ex.pc_created_at);
        self.pc_updated_at.push(ex.pc_updated_at);
        self.content_hash.push(&p.hash);
        self.json.push(&p.json);
        self.keep.push(keep);
        self.lead
            .push(p.change != Change::Forced && ex.domain.is_some());
        self.email.push(ex.email.as_deref());
        self.website.push(ex.website.as_deref());
    }

    /// Upsert the kept copies' tracking rows (only those that differ from what is stored) and
    /// insert the raw leads; returns the number of raw leads inserted.
    fn write(self, conn: &mut PgConnection) -> Result<i64> {
        type T = Array<Nullable<Text>>;
        let n = diesel::sql_query(
            "WITH incoming AS ( \
               SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
                 $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], \
                 $12::text[], $13::text[], $14::text[], $15::numeric[], $16::text[], $17::text[], \
                 $18::bigint[], $19::timestamptz[], $20::timestamptz[], $21::text[], \
                 $22::text[]::jsonb[], $23::bool[], $24::bool[], $25::text[], $26::text[]) \
               AS u(referral_id, referral_type, type, qualification, direction, status, substatus, \
                 engagement_id, company_name, customer_name, customer_country, domain, raw_domain, \
                 azure_tenant_id, deal_value, currency, link_status, linked_lead_id, pc_created_at, \
                 pc_updated_at, content_hash, raw_data, keep, lead, email, website)), \
             stored AS MATERIALIZED ( \
               SELECT id, referral_id, content_hash, referral_type, type, qualification, direction, \
                 status, substatus, engagement_id, company_name, customer_name, customer_country, \
                 domain, raw_domain, azure_tenant_id, deal_value, currency, link_status, \
                 linked_lead_id, pc_created_at, pc_updated_at \
                 FROM partner_center_referrals WHERE referral_id = ANY($1)), \
             differing AS ( \
               SELECT i.* FROM incoming i LEFT JOIN stored p ON p.referral_id = i.referral_id \
                WHERE i.keep AND (p.id IS NULL \
                   OR (p.content_hash, p.referral_type, p.type, p.qualification, p.direction, \
                       p.status, p.substatus, p.engagement_id, p.company_name, p.customer_name, \
                       p.customer_country, p.domain, p.raw_domain, p.azure_tenant_id, p.deal_value, \
                       p.currency, p.link_status, p.linked_lead_id, p.pc_created_at, p.pc_updated_at) \
                      IS DISTINCT FROM \
                      (i.content_hash, i.referral_type, i.type, i.qualification, i.direction, \
                       i.status, i.substatus, i.engagement_id, i.company_name, i.customer_name, \
                       i.customer_country, i.domain, i.raw_domain, i.azure_tenant_id, i.deal_value, \
                       i.currency, i.link_status, i.linked_lead_id, i.pc_created_at, i.pc_updated_at))), \
             tracked AS ( \
               INSERT INTO partner_center_referrals (referral_id, referral_type, type, qualification, \
                 direction, status, substatus, engagement_id, company_name, customer_name, \
                 customer_country, domain, raw_domain, azure_tenant_id, deal_value, currency, \
                 link_status, linked_lead_id, pc_created_at, pc_updated_at, content_hash, raw_data) \
               SELECT referral_id, referral_type, type, qualification, direction, status, substatus, \
                 engagement_id, company_name, customer_name, customer_country, domain, raw_domain, \
                 azure_tenant_id, deal_value, currency, link_status, linked_lead_id, pc_created_at, \
                 pc_updated_at, content_hash, raw_data FROM differing \
               ON CONFLICT (referral_id) DO UPDATE SET \
                 referral_type = excluded.referral_type, type = excluded.type, \
                 qualification = excluded.qualification, direction = excluded.direction, \
                 status = excluded.status, substatus = excluded.substatus, \
                 engagement_id = excluded.engagement_id, company_name = excluded.company_name, \
                 customer_name = excluded.customer_name, customer_country = excluded.customer_country, \
                 domain = excluded.domain, raw_domain = excluded.raw_domain, \
                 azure_tenant_id = excluded.azure_tenant_id, deal_value = excluded.deal_value, \
                 currency = excluded.currency, link_status = excluded.link_status, \
                 linked_lead_id = excluded.linked_lead_id, pc_created_at = excluded.pc_created_at, \
                 pc_updated_at = excluded.pc_updated_at, raw_data = excluded.raw_data, \
                 synced_at = CASE WHEN partner_center_referrals.content_hash = excluded.content_hash \
                   THEN partner_center_referrals.synced_at ELSE now() END, \
                 content_hash = excluded.content_hash, updated_at = now()) \
             INSERT INTO raw_leads (source, company_name, email, website, domain, payload) \
             SELECT 'partnercenter', company_name, email, website, domain, raw_data \
               FROM incoming WHERE lead",
        )
        .bind::<Array<Text>, _>(self.referral_id)
        .bind::<T, _>(self.referral_type)
        .bind::<T, _>(self.type_)
        .bind::<T, _>(self.qualification)
        .bind::<T, _>(self.direction)
        .bind::<T, _>(self.status)
        .bind::<T, _>(self.substatus)
        .bind::<T, _>(self.engagement_id)
        .bind::<T, _>(self.company_name)
        .bind::<T, _>(self.customer_name)
        .bind::<T, _>(self.customer_country)
        .bind::<T, _>(self.domain)
        .bind::<T, _>(self.raw_domain)
        .bind::<T, _>(self.azure_tenant_id)
        .bind::<Array<Nullable<Numeric>>, _>(self.deal_value)
        .bind::<T, _>(self.currency)
        .bind::<Array<Text>, _>(self.link_status)
        .bind::<Array<Nullable<Int8>>, _>(self.linked_lead_id)
        .bind::<Array<Nullable<Timestamptz>>, _>(self.pc_created_at)
        .bind::<Array<Nullable<Timestamptz>>, _>(self.pc_updated_at)
        .bind::<Array<Text>, _>(self.content_hash)
        .bind::<Array<Text>, _>(self.json)
        .bind::<Array<Bool>, _>(self.keep)
        .bind::<Array<Bool>, _>(self.lead)
        .bind::<T, _>(self.email)
        .bind::<T, _>(self.website)
        .execute(conn)?;
        Ok(n as i64)
    }
}
