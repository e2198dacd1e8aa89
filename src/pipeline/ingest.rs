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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::config::Direction;
use crate::error::{Error, Result};
use crate::logging::mask;
use crate::model::{Category, LinkStatus, Provider, company_provider};
use crate::pipeline::extract::{
    Extracted, MAX_INDEXED_BYTES, canonical_json, extract, hash_of_canonical,
};
use crate::pipeline::source::{Entry, Position};
use crate::store::Layout;
use crate::store::companies::{self, Named};
use crate::store::referrals::{self, PageReferral, ReferralFields, StoredReferral};

/// The database a run writes into: Hunter's tables as found, and the page statement built for
/// them once.
pub struct Target {
    pub layout: Layout,
    write_sql: String,
}

impl Target {
    pub fn new(layout: Layout) -> Arc<Target> {
        Arc::new(Target {
            write_sql: referrals::write_sql(&layout),
            layout,
        })
    }
}

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
    /// Keep the domain of every referral read in [`Ingest::read`] (for `--rescan`).
    pub collect_read: bool,
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
    target: Arc<Target>,
    pub counts: Counts,
    /// Referral id → message, for `sync_runs.errors`.
    pub errors: BTreeMap<String, String>,
    /// The company domains of the run, each once, with what the run did with them (see
    /// [`Ingest::touched`], [`Ingest::read`]). One compact map for all four facts: a run of
    /// 100,000 referrals keeps 100,000 domains, not four sets of copies.
    domains: HashMap<Box<str>, u8>,
    /// SQL statements sent, for the benchmark's statements-per-page.
    pub statements: u64,
    /// The newest `(updatedDateTime, id)` of the last page read (the API cursor candidate).
    pub page_newest: Option<(DateTime<Utc>, String)>,
    /// The newest `(updatedDateTime, id)` of the whole run.
    pub run_newest: Option<(DateTime<Utc>, String)>,
    /// The newest copy of each referral processed in this run, by a 128-bit digest of its id.
    seen: HashMap<u128, Seen>,
}

/// What the run did with a company domain (bits of [`Ingest::domains`]).
/// Written by a new, changed or forced referral: scanned when needed, and scored.
const TOUCHED: u8 = 1;
/// Read in the direction asked for, whatever became of it (`--rescan`).
const READ: u8 = 2;
/// Its company was created by this run.
const CREATED: u8 = 4;
/// Its company existed and a new or changed referral touched it.
const UPDATED: u8 = 8;

/// The newest copy of a referral processed in this run.
struct Seen {
    updated_at: Option<DateTime<Utc>>,
    /// The content hash, as bytes.
    hash: [u8; 32],
}

/// A referral id as the key of [`Ingest::seen`]: the first 128 bits of its SHA-256 (two ids
/// that differ collide with probability 2^-128).
fn id_key(id: &str) -> u128 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(id.as_bytes());
    u128::from_be_bytes(d[..16].try_into().expect("16 bytes"))
}

/// A content hash (64 hex digits) as bytes; anything else by its own digest.
fn hash_bytes(hash: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    if hex::decode_to_slice(hash, &mut out).is_err() {
        use sha2::{Digest, Sha256};
        out.copy_from_slice(&Sha256::digest(hash.as_bytes()));
    }
    out
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
        /// Where it stands in its file (none from the API).
        at: Option<Position>,
        why: String,
    },
    Referral(Box<Candidate>),
}

/// A referral with an id, ready for the database.
pub struct Candidate {
    id: String,
    /// Its tracking row's derived columns.
    fields: ReferralFields,
    /// For its raw lead.
    email: Option<String>,
    website: Option<String>,
    /// What extraction dropped (logged when the referral is written).
    warnings: Vec<String>,
    /// The referral as compact JSON with sorted keys (sent as `raw_data` and `payload`).
    json: String,
    hash: String,
}

impl Candidate {
    /// Move what extraction found into the tracking row's fields and the raw lead's.
    fn new(ex: Extracted, id: String, json: String, hash: String) -> Candidate {
        let Extracted {
            referral_id: _,
            direction,
            referral_type,
            type_,
            qualification,
            status,
            substatus,
            engagement_id,
            external_reference_id,
            company_name,
            customer_name,
            customer_country,
            azure_tenant_id,
            domain,
            raw_domain,
            email,
            website,
            deal_value,
            currency,
            pc_created_at,
            pc_updated_at,
            warnings,
        } = ex;
        Candidate {
            id,
            fields: ReferralFields {
                referral_type: referral_type.map(|c: Category| c.as_str().to_string()),
                type_,
                qualification,
                direction,
                status,
                substatus,
                engagement_id,
                external_reference_id,
                company_name,
                customer_name,
                customer_country,
                domain,
                raw_domain,
                azure_tenant_id,
                deal_value,
                currency,
                pc_created_at,
                pc_updated_at,
            },
            email,
            website,
            warnings,
            json,
            hash,
        }
    }
}

/// Steps 1 and 5–7 of a page, without I/O: identity, extraction, canonical JSON and content
/// hash. Run where the page is read, so that this work overlaps the previous page's writes.
pub fn prepare(entries: Vec<Entry>) -> Vec<Item> {
    entries
        .into_iter()
        .map(|entry| {
            let mut position = None;
            let raw: serde_json::Value = match entry {
                Entry::Invalid { line, reason } => {
                    return Item::Invalid {
                        at: Some(Position::Line(line)),
                        why: format!("skipped an invalid referral: {reason}"),
                    };
                }
                // Checked to be JSON when it was read; only a nesting deeper than
                // serde_json's limit (128) fails here.
                Entry::Json(json) => match serde_json::from_str(json.get()) {
                    Ok(v) => v,
                    Err(e) => return too_deep(None, e),
                },
                Entry::Text { at, json } => match serde_json::from_str(json.get()) {
                    Ok(v) => {
                        position = Some(at);
                        v
                    }
                    Err(e) => return too_deep(Some(at), e),
                },
            };
            // The hash is that of the referral as received; what is stored has no NUL
            // (Postgres text and jsonb cannot hold U+0000): U+FFFD stands in its place. An id
            // with a NUL could never be looked up as sent: that referral is invalid.
            let id_has_nul = raw
                .get("id")
                .and_then(|v| v.as_str())
                .is_some_and(|id| id.contains('\0'));
            let json = canonical_json(&raw);
            let hash = hash_of_canonical(&json);
            let (raw, json) = if json.contains("\\u0000") {
                let (clean, replaced) = without_nul(raw);
                if replaced {
                    tracing::warn!(
                        referral_id = clean.get("id").and_then(|v| v.as_str()).unwrap_or("?"),
                        "the referral contains U+0000 characters: stored with U+FFFD in their place"
                    );
                }
                let json = canonical_json(&clean);
                (clean, json)
            } else {
                (raw, json)
            };
            let ex = extract(&raw);
            let id_too_long = raw
                .get("id")
                .and_then(|v| v.as_str())
                .is_some_and(|id| id.len() > MAX_INDEXED_BYTES);
            let id = match ex.referral_id.as_deref() {
                None if id_too_long => {
                    return Item::Invalid {
                        at: position,
                        why: format!(
                            "skipped a referral whose id is longer than {MAX_INDEXED_BYTES} bytes"
                        ),
                    };
                }
                None => {
                    return Item::Invalid {
                        at: position,
                        why: "skipped a referral without an id".into(),
                    };
                }
                Some(_) if id_has_nul => {
                    return Item::Invalid {
                        at: position,
                        why: "skipped a referral whose id contains a NUL character".into(),
                    };
                }
                Some(id) => id.to_string(),
            };
            Item::Referral(Box::new(Candidate::new(ex, id, json, hash)))
        })
        .collect()
}

/// `value` with every U+0000 in its strings and keys replaced by U+FFFD; `true` when any was.
fn without_nul(value: serde_json::Value) -> (serde_json::Value, bool) {
    use serde_json::Value;
    fn clean(s: String, replaced: &mut bool) -> String {
        if s.contains('\0') {
            *replaced = true;
            s.replace('\0', "\u{FFFD}")
        } else {
            s
        }
    }
    fn walk(v: Value, replaced: &mut bool) -> Value {
        match v {
            Value::String(s) => Value::String(clean(s, replaced)),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|i| walk(i, replaced)).collect())
            }
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (clean(k, replaced), walk(v, replaced)))
                    .collect(),
            ),
            other => other,
        }
    }
    let mut replaced = false;
    let v = walk(value, &mut replaced);
    (v, replaced)
}

fn too_deep(at: Option<Position>, e: serde_json::Error) -> Item {
    Item::Invalid {
        at,
        why: format!("skipped an invalid referral: {e}"),
    }
}

/// A referral that will be written.
struct Prepared {
    referral: Candidate,
    change: Change,
}

impl std::ops::Deref for Prepared {
    type Target = Candidate;
    fn deref(&self) -> &Candidate {
        &self.referral
    }
}

/// `a` is older than `b`. A missing time is not comparable, so it never makes a referral stale.
fn older(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a < b)
}

impl Ingest {
    pub fn new(opts: IngestOptions, target: Arc<Target>) -> Ingest {
        Ingest {
            opts,
            target,
            counts: Counts::default(),
            errors: BTreeMap::new(),
            domains: HashMap::new(),
            statements: 0,
            page_newest: None,
            run_newest: None,
            seen: HashMap::new(),
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
        let stored = referrals::stored(conn, &ids)?;
        self.statements += 1;
        Ok(Plan {
            rows: self.decide(candidates, &stored),
            target: self.target.clone(),
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
                Item::Invalid { at, why } => {
                    match at {
                        Some(at) => tracing::warn!(at = %at, "{why} ({at})"),
                        None => tracing::warn!("{why}"),
                    }
                    self.skip(SKIP_INVALID);
                    continue;
                }
                Item::Referral(c) => *c,
            };
            // Hunter's unique referral_id column cannot hold a longer id.
            if let Some(n) = self
                .target
                .layout
                .max_len(referrals::HUNTER_TABLE, "referral_id")
                && c.id.chars().count() > n
            {
                tracing::warn!(
                    "skipped an invalid referral: its id is {} characters long, longer than \
                     Hunter's partner_center_referrals.referral_id ({n})",
                    c.id.chars().count()
                );
                self.skip(SKIP_INVALID);
                continue;
            }
            if let Some(t) = c.fields.pc_updated_at {
                let candidate = (t, c.id.clone());
                if self.page_newest.as_ref().is_none_or(|n| candidate > *n) {
                    self.page_newest = Some(candidate.clone());
                }
                if self.run_newest.as_ref().is_none_or(|n| candidate > *n) {
                    self.run_newest = Some(candidate);
                }
            }
            let direction = c.fields.direction.as_deref().unwrap_or("incoming");
            if !self.opts.direction.wants(direction) {
                self.skip(SKIP_DIRECTION);
                continue;
            }
            if self.opts.collect_read
                && let Some(d) = &c.fields.domain
            {
                self.mark(d, READ);
            }
            out.push(c);
        }
        out
    }

    /// Steps 3–4: stale, repeated and unchanged referrals, in the order received.
    fn decide(
        &mut self,
        candidates: Vec<Candidate>,
        stored: &HashMap<String, StoredReferral>,
    ) -> Vec<Prepared> {
        let mut out = Vec::new();
        for c in candidates {
            let updated_at = c.fields.pc_updated_at;
            // `remember`: this copy is now the newest one of the run (not when skipped).
            let key = id_key(&c.id);
            let hash = hash_bytes(&c.hash);
            let (change, remember) = if let Some(prev) = self.seen.get(&key) {
                let newer = match (updated_at, prev.updated_at) {
                    (Some(a), Some(b)) => a > b,
                    (Some(_), None) => true,
                    _ => false,
                };
                let equally_new = updated_at == prev.updated_at;
                if newer || (equally_new && hash != prev.hash) {
                    (Some(Change::Updated), true)
                } else {
                    self.skip(SKIP_DUPLICATE);
                    (None, false)
                }
            } else if let Some(s) = stored.get(&c.id) {
                if older(updated_at, s.fields.pc_updated_at) {
                    self.skip(SKIP_STALE);
                    (None, false)
                } else if c.hash == s.content_hash {
                    self.counts.unchanged += 1;
                    if !self.opts.force {
                        (None, true)
                    } else if derives_the_same(s, &c.fields) {
                        // Re-derived to what is stored: nothing to write, but the domain is
                        // touched (scanned when it needs it, and scored).
                        if let Some(d) = &c.fields.domain {
                            self.mark(d, TOUCHED);
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
                self.seen.insert(key, Seen { updated_at, hash });
            }
            if let Some(change) = change {
                out.push(Prepared {
                    referral: c,
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
            if *inserted && self.mark(domain, CREATED) {
                self.counts.companies_created += 1;
            }
        }
        for p in written {
            match p.change {
                Change::New => self.counts.new += 1,
                Change::Updated => self.counts.updated += 1,
                Change::Forced => {}
            }
            match &p.fields.domain {
                None => {
                    if p.change != Change::Forced {
                        self.counts.unlinked += 1;
                        tracing::warn!(referral_id = %p.id, "referral has no customer domain: stored unlinked");
                    }
                }
                Some(d) => {
                    self.mark(d, TOUCHED);
                    if p.change != Change::Forced && !self.has(d, CREATED) && self.mark(d, UPDATED)
                    {
                        self.counts.companies_updated += 1;
                    }
                }
            }
        }
    }

    /// Set `flag` on `domain`; `true` when it was not set before.
    fn mark(&mut self, domain: &str, flag: u8) -> bool {
        match self.domains.get_mut(domain) {
            Some(flags) => {
                let new = *flags & flag == 0;
                *flags |= flag;
                new
            }
            None => {
                self.domains.insert(domain.into(), flag);
                true
            }
        }
    }

    fn has(&self, domain: &str, flag: u8) -> bool {
        self.domains.get(domain).is_some_and(|f| f & flag != 0)
    }

    /// Company domains written by new, changed or forced referrals (to scan and score), sorted.
    pub fn touched(&self) -> Vec<String> {
        self.with(TOUCHED)
    }

    /// With [`IngestOptions::collect_read`]: the domains of every referral read in the
    /// direction asked for, whatever became of it (also unchanged, stale, repeated or failed),
    /// and the touched ones; sorted.
    pub fn read(&self) -> Vec<String> {
        self.with(READ | TOUCHED)
    }

    /// The domains with any of `flags`, sorted.
    fn with(&self, flags: u8) -> Vec<String> {
        let mut out: Vec<String> = self
            .domains
            .iter()
            .filter(|(_, f)| **f & flags != 0)
            .map(|(d, _)| d.to_string())
            .collect();
        out.sort_unstable();
        out
    }

    /// Let go of the run's per-referral and per-domain state (after the pages: what is left of
    /// the run needs the domain lists only).
    pub fn forget(&mut self) {
        self.seen = HashMap::new();
        self.domains = HashMap::new();
    }
}

/// Whether writing `new` would leave the stored row, its projection and its company as they
/// are: Hunter's table has the referral, the same derived fields, linked to the company of its domain (none without one), whose provider a
/// tenant id would set ([`company_provider`]) already is that.
fn derives_the_same(stored: &StoredReferral, new: &ReferralFields) -> bool {
    stored.projected
        && stored.fields == *new
        && stored.company_domain == new.domain
        && company_provider(new.azure_tenant_id.is_some(), None)
            .is_none_or(|p| stored.company_provider.as_deref() == Some(p.as_str()))
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
    target: Arc<Target>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The referral ids and company domains the page writes (two pages that share none can be
    /// written at the same time without waiting on each other's rows).
    pub fn keys(&self) -> HashSet<String> {
        let ids = self.rows.iter().map(|p| p.id.clone());
        ids.chain(self.rows.iter().filter_map(|p| p.fields.domain.clone()))
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
    let target = &plan.target;
    match conn.transaction::<_, Error, _>(|c| write_rows(c, target, &all)) {
        Ok(w) => {
            page.statements += w.statements;
            page.written.push(((0..rows.len()).collect(), w));
        }
        Err(e) if e.ends_run() => return Err(e),
        Err(e) => {
            tracing::warn!("a batch write failed ({e}); writing this page referral by referral");
            for (i, p) in all.iter().enumerate() {
                match conn.transaction::<_, Error, _>(|c| write_rows(c, target, &[p])) {
                    Ok(w) => {
                        page.statements += w.statements;
                        page.written.push((vec![i], w));
                    }
                    Err(e) if e.ends_run() => return Err(e),
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

/// Companies, then referrals, their projection and raw leads, for these referrals: two
/// statements.
fn write_rows(conn: &mut PgConnection, target: &Target, items: &[&Prepared]) -> Result<Written> {
    let mut w = Written::default();

    // Companies by domain: the first referral in processing order names a new one; a tenant id
    // on any of them sets the provider ([`company_provider`]). An existing company keeps its
    // name.
    let mut order: Vec<&str> = Vec::new();
    let mut company: HashMap<&str, (String, Option<Provider>)> = HashMap::new();
    let name_len = target.layout.max_len(companies::TABLE, "canonical_name");
    for p in items {
        let Some(d) = p.fields.domain.as_deref() else {
            continue;
        };
        let provider = company_provider(p.fields.azure_tenant_id.is_some(), None);
        company
            .entry(d)
            .and_modify(|c| c.1 = c.1.or(provider))
            .or_insert_with(|| {
                order.push(d);
                // Cut to Hunter's length ([`referrals::hunter_cuts`] warns).
                let name = p.fields.company_name.as_deref().unwrap_or(d);
                let name = match name_len {
                    Some(n) => name.chars().take(n).collect(),
                    None => name.to_string(),
                };
                (name, provider)
            });
    }
    let mut company_ids: HashMap<String, i64> = HashMap::new();
    if !order.is_empty() {
        let named: Vec<Named> = order
            .iter()
            .map(|d| Named {
                domain: d,
                name: &company[d].0,
                provider: company[d].1,
            })
            .collect();
        // An existing company is Hunter's row: written only when its provider changes.
        let rows = companies::write_page(conn, &named)?;
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
    let rows: Vec<PageReferral> = items
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let domain = p.fields.domain.as_ref();
            PageReferral {
                referral_id: &p.id,
                fields: &p.fields,
                link_status: LinkStatus::for_domain(domain.is_some()),
                company_id: domain.and_then(|d| company_ids.get(d).copied()),
                content_hash: &p.hash,
                json: &p.json,
                keep: last[p.id.as_str()] == i,
                lead: p.change != Change::Forced && domain.is_some(),
                email: p.email.as_deref(),
                website: p.website.as_deref(),
            }
        })
        .collect();
    w.raw_leads = referrals::write_page(conn, &target.write_sql, &rows)?;
    w.statements += 1;

    for p in items {
        let cuts = referrals::hunter_cuts(
            &target.layout,
            &p.fields,
            p.email.as_deref(),
            p.website.as_deref(),
        );
        for warning in p.warnings.iter().chain(&cuts) {
            tracing::warn!(referral_id = %p.id, "{warning}");
        }
        if let Some(t) = &p.fields.azure_tenant_id {
            tracing::debug!(referral_id = %p.id, tenant = %mask(t), "referral carries an Azure tenant id");
        }
    }
    Ok(w)
}
