//! The Partner Center stand-in (issues: Partner Center sync; Faults): real HTTP on loopback
//! that behaves like the referrals API, so the real client runs unchanged against it; the
//! binary reaches it through `HUNTER_PC_API_URL` and never knows it is being tested.
//!
//! It serves a referral set it holds (changeable at runtime), filters by `$filter`
//! (`direction eq '…'`, `updatedDateTime ge …`, joined by `and`), orders by `$orderby`, pages
//! by `$top` with opaque `$skiptoken` next links on its own host, checks bearer tokens, records
//! every request, and injects faults per request number or per page.
//!
//! It runs on a thread of its own (its own Tokio runtime), so both async client tests and
//! command tests that run the binary as a process can use it. Dropping it stops the server.
//!
//! [`ManualClock`] is the injected clock for client tests: `sleep` advances it at once, and the
//! stand-in can stamp each request with its time ([`StandIn::observe_clock`]).
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// The token the stand-in accepts from the start.
pub const DEFAULT_TOKEN: &str = "pc-standin-token-1";
/// The list endpoint's path.
pub const REFERRALS_PATH: &str = "/v1.0/engagements/referrals";

/// How `Retry-After` is given.
#[derive(Debug, Clone)]
pub enum RetryAfter {
    Secs(u64),
    /// An HTTP date (`Sun, 01 Nov 2026 10:00:03 GMT`).
    Date(DateTime<Utc>),
}

/// What a fault does to the answer of the request it hits.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 with `Retry-After` and the throttling body shape.
    TooManyRequests(RetryAfter),
    /// 503, with or without `Retry-After`.
    ServiceUnavailable(Option<RetryAfter>),
    /// Any status (500, 502, 504, 404, …) with an `{"error": …}` body.
    Status(u16),
    /// Answer normally, but only after this delay (longer than the client's timeout).
    Delay(Duration),
    /// A 200 whose JSON body is cut in half (with a matching `Content-Length`).
    TruncatedJson,
    /// The page's next link is the URL of the request itself.
    RepeatNextLink,
    /// The page's next link points at this base (`scheme://host:port`) instead.
    NextLinkTo(String),
    /// 401 whatever the token (an access token that expired mid-run).
    Unauthorized,
    /// 403 `accessDenied` (no Referrals role).
    Forbidden,
}

/// Which requests a fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// The n-th request the stand-in receives (1-based), whatever it asks.
    Request(usize),
    /// Every request for page k of a read (1-based; retries of that page included).
    Page(usize),
    /// Every request.
    Any,
}

/// How a page is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"@odata.context", "@odata.count", "value", "@odata.nextLink"}`.
    OData,
    /// A bare array (one page, no next link).
    BareArray,
    /// `{"items": [...], "@odata.nextLink"}`.
    Items,
}

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// 1-based arrival number.
    pub n: usize,
    /// Page of the read it asked for (1 without `$skiptoken`).
    pub page: usize,
    pub path: String,
    /// The raw query string.
    pub query: String,
    /// The query, decoded.
    pub params: Vec<(String, String)>,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    /// Time on the observed [`ManualClock`] (from its start), if one is observed.
    pub at: Option<Duration>,
    /// The status answered (0 while the answer is still being made).
    pub status: u16,
}

impl Recorded {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

struct Rule {
    when: When,
    fault: Fault,
    remaining: usize,
}

/// What a next link stands for.
#[derive(Clone)]
struct Saved {
    filter: Option<String>,
    orderby: Option<String>,
    top: usize,
    offset: usize,
    page: usize,
}

struct Inner {
    referrals: Vec<Value>,
    /// Bumped on every change of `referrals`; invalidates `selections`.
    generation: u64,
    /// Filtered and ordered indexes into `referrals`, by (`$filter`, `$orderby`).
    selections: HashMap<QueryKey, (u64, Arc<Vec<usize>>)>,
    /// Each referral's JSON, serialised once (pages are assembled from these).
    serialized: HashMap<usize, Arc<[u8]>>,
    tokens: HashSet<String>,
    accept_any_token: bool,
    reject_filter: bool,
    max_top: usize,
    shape: Shape,
    rules: Vec<Rule>,
    skiptokens: HashMap<String, Saved>,
    requests: Vec<Recorded>,
    clock: Option<ManualClock>,
}

type Shared = Arc<Mutex<Inner>>;
/// `($filter, $orderby)` of a read.
type QueryKey = (Option<String>, Option<String>);

/// A running stand-in. `url()` is what `HUNTER_PC_API_URL` should be.
pub struct StandIn {
    port: u16,
    shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl StandIn {
    /// Start on an ephemeral loopback port with no referrals, accepting [`DEFAULT_TOKEN`].
    pub fn start() -> StandIn {
        Self::start_on(0)
    }

    /// Start on a given loopback port (0: ephemeral).
    pub fn start_on(port: u16) -> StandIn {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .expect("bind a loopback port for the Partner Center stand-in");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let port = listener.local_addr().expect("local address").port();
        let shared: Shared = Arc::new(Mutex::new(Inner {
            referrals: Vec::new(),
            generation: 0,
            selections: HashMap::new(),
            serialized: HashMap::new(),
            tokens: HashSet::from([DEFAULT_TOKEN.to_string()]),
            accept_any_token: false,
            reject_filter: false,
            max_top: 100,
            shape: Shape::OData,
            rules: Vec::new(),
            skiptokens: HashMap::new(),
            requests: Vec::new(),
            clock: None,
        }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new()
            .fallback(handle)
            .with_state((shared.clone(), port));
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("stand-in runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                tokio::select! {
                    _ = axum::serve(listener, app) => {}
                    _ = stopped => {}
                }
            });
        });
        StandIn {
            port,
            shared,
            stop: Some(stop),
        }
    }

    /// `http://127.0.0.1:{port}`: the API URL to configure.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    pub fn port(&self) -> u16 {
        self.port
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replace the referral set (served in this order when no `$orderby` is asked).
    pub fn set_referrals(&self, referrals: Vec<Value>) {
        let mut inner = self.lock();
        inner.referrals = referrals;
        inner.serialized.clear();
        inner.generation += 1;
    }
    /// Change one referral (matched by `id`), or add it.
    pub fn upsert_referral(&self, referral: Value) {
        let mut inner = self.lock();
        let id = referral.get("id").cloned();
        match inner
            .referrals
            .iter()
            .position(|r| id.is_some() && r.get("id") == id.as_ref())
        {
            Some(i) => {
                inner.referrals[i] = referral;
                inner.serialized.remove(&i);
            }
            None => inner.referrals.push(referral),
        }
        inner.generation += 1;
    }
    pub fn referrals(&self) -> Vec<Value> {
        self.lock().referrals.clone()
    }

    /// Accept this bearer token too.
    pub fn accept_token(&self, token: &str) {
        self.lock().tokens.insert(token.to_string());
    }
    /// Stop accepting a token (it "expired"): requests with it get 401.
    pub fn expire_token(&self, token: &str) {
        self.lock().tokens.remove(token);
    }
    /// Accept any non-empty bearer token (benchmarks behind another sign-in stand-in).
    pub fn accept_any_token(&self, yes: bool) {
        self.lock().accept_any_token = yes;
    }

    /// Answer 400 `invalidRequest` to any request with `$filter` or `$orderby`.
    pub fn reject_filter(&self, yes: bool) {
        self.lock().reject_filter = yes;
    }
    /// The largest `$top` honoured (default 100, as documented).
    pub fn set_max_top(&self, max: usize) {
        self.lock().max_top = max.max(1);
    }
    pub fn set_shape(&self, shape: Shape) {
        self.lock().shape = shape;
    }

    /// Inject a fault once.
    pub fn inject(&self, when: When, fault: Fault) {
        self.inject_times(when, fault, 1);
    }
    /// Inject a fault for the first `times` requests it matches.
    pub fn inject_times(&self, when: When, fault: Fault, times: usize) {
        self.lock().rules.push(Rule {
            when,
            fault,
            remaining: times,
        });
    }
    /// Inject a fault for every request it matches.
    pub fn inject_always(&self, when: When, fault: Fault) {
        self.inject_times(when, fault, usize::MAX);
    }
    pub fn clear_faults(&self) {
        self.lock().rules.clear();
    }

    /// Stamp each recorded request with this clock's time.
    pub fn observe_clock(&self, clock: &ManualClock) {
        self.lock().clock = Some(clock.clone());
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }
    pub fn request_count(&self) -> usize {
        self.lock().requests.len()
    }
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// What the handler decided while holding the lock.
enum Plan {
    Answer(Response),
    Page {
        body: Vec<u8>,
        truncate: bool,
        delay: Option<Duration>,
    },
}

async fn handle(
    State((shared, port)): State<(Shared, u16)>,
    uri: Uri,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (n, plan) = {
        let mut inner = shared.lock().unwrap_or_else(|e| e.into_inner());
        plan(&mut inner, port, &uri, query.unwrap_or_default(), &headers)
    };
    let response = match plan {
        Plan::Answer(r) => r,
        Plan::Page {
            body,
            truncate,
            delay,
        } => {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            let mut bytes = body;
            if truncate {
                bytes.truncate(bytes.len() / 2);
            }
            json_response(StatusCode::OK, bytes)
        }
    };
    let mut inner = shared.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = inner.requests.iter_mut().find(|r| r.n == n) {
        r.status = response.status().as_u16();
    }
    response
}

/// Record the request, then decide the answer: faults, tokens, the filter refusal, the page.
fn plan(
    inner: &mut Inner,
    port: u16,
    uri: &Uri,
    query: String,
    headers: &HeaderMap,
) -> (usize, Plan) {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let param = |k: &str| {
        params
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    };
    let saved = param("$skiptoken").map(|t| inner.skiptokens.get(&t).cloned());
    let page = match &saved {
        Some(Some(s)) => s.page,
        _ => 1,
    };
    let n = inner.requests.len() + 1;
    inner.requests.push(Recorded {
        n,
        page,
        path: uri.path().to_string(),
        query: query.clone(),
        params: params.clone(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        at: inner.clock.as_ref().map(ManualClock::elapsed),
        status: 0,
    });

    let fault = take_fault(inner, n, page);
    let mut delay = None;
    let mut next_override = None;
    let mut truncate = false;
    match fault {
        Some(Fault::TooManyRequests(ra)) => {
            let body =
                json!({"statusCode": 429, "message": "Rate limit is exceeded. Try again later."});
            let mut r = json_response(StatusCode::TOO_MANY_REQUESTS, body.to_string().into_bytes());
            set_retry_after(&mut r, &ra);
            return (n, Plan::Answer(r));
        }
        Some(Fault::ServiceUnavailable(ra)) => {
            let mut r = error_response(503, "serviceNotAvailable", "The service is unavailable.");
            if let Some(ra) = ra {
                set_retry_after(&mut r, &ra);
            }
            return (n, Plan::Answer(r));
        }
        Some(Fault::Status(s)) => {
            return (
                n,
                Plan::Answer(error_response(s, "generalException", "Injected failure.")),
            );
        }
        Some(Fault::Unauthorized) => return (n, Plan::Answer(unauthorized())),
        Some(Fault::Forbidden) => {
            return (
                n,
                Plan::Answer(error_response(
                    403,
                    "accessDenied",
                    "The user has no access to referrals.",
                )),
            );
        }
        Some(Fault::Delay(d)) => delay = Some(d),
        Some(Fault::TruncatedJson) => truncate = true,
        Some(Fault::RepeatNextLink) => {
            next_override = Some(format!("http://127.0.0.1:{port}{}?{query}", uri.path()));
        }
        Some(Fault::NextLinkTo(base)) => next_override = Some(base),
        None => {}
    }

    if !token_ok(inner, headers) {
        return (n, Plan::Answer(unauthorized()));
    }
    if uri.path() != REFERRALS_PATH {
        return (
            n,
            Plan::Answer(error_response(404, "itemNotFound", "No such resource.")),
        );
    }
    let query_state = match saved {
        Some(None) => {
            return (
                n,
                Plan::Answer(error_response(400, "invalidRequest", "Unknown $skiptoken.")),
            );
        }
        Some(Some(s)) => s,
        None => {
            let top = match param("$top").map(|t| t.parse::<usize>()) {
                None => inner.max_top,
                Some(Ok(t)) if t > 0 => t.min(inner.max_top),
                Some(_) => {
                    return (
                        n,
                        Plan::Answer(error_response(400, "invalidRequest", "Bad $top.")),
                    );
                }
            };
            Saved {
                filter: param("$filter"),
                orderby: param("$orderby"),
                top,
                offset: 0,
                page: 1,
            }
        }
    };
    if inner.reject_filter && (query_state.filter.is_some() || query_state.orderby.is_some()) {
        return (
            n,
            Plan::Answer(error_response(
                400,
                "invalidRequest",
                "The query specified in the URI is not valid.",
            )),
        );
    }
    let selected = match selection(inner, &query_state) {
        Ok(s) => s,
        Err(m) => return (n, Plan::Answer(error_response(400, "invalidRequest", &m))),
    };
    let total = selected.len();
    let end = (query_state.offset + query_state.top).min(total);
    let items: Vec<Arc<[u8]>> = selected[query_state.offset.min(end)..end]
        .iter()
        .map(|&i| serialized(inner, i))
        .collect();
    let mut next = (end < total).then(|| {
        let token = uuid::Uuid::new_v4().simple().to_string();
        inner.skiptokens.insert(
            token.clone(),
            Saved {
                offset: end,
                page: query_state.page + 1,
                ..query_state.clone()
            },
        );
        format!("http://127.0.0.1:{port}{REFERRALS_PATH}?$skiptoken={token}")
    });
    if let Some(o) = next_override {
        // A foreign base keeps the real path and token, so only the origin differs.
        next = Some(if o.contains('?') {
            o
        } else {
            let tail = next
                .as_deref()
                .and_then(|l| l.find(REFERRALS_PATH).map(|i| l[i..].to_string()));
            format!(
                "{}{}",
                o.trim_end_matches('/'),
                tail.unwrap_or_else(|| REFERRALS_PATH.to_string())
            )
        });
    }
    let body = page_body(inner.shape, port, total, &items, next.as_deref());
    (
        n,
        Plan::Page {
            body,
            truncate,
            delay,
        },
    )
}

/// One referral's JSON, serialised on first use.
fn serialized(inner: &mut Inner, i: usize) -> Arc<[u8]> {
    if let Some(b) = inner.serialized.get(&i) {
        return b.clone();
    }
    let b: Arc<[u8]> = serde_json::to_vec(&inner.referrals[i])
        .unwrap_or_default()
        .into();
    inner.serialized.insert(i, b.clone());
    b
}

/// A page body in the given shape, assembled from serialised referrals.
fn page_body(
    shape: Shape,
    port: u16,
    total: usize,
    items: &[Arc<[u8]>],
    next: Option<&str>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 256);
    match shape {
        Shape::OData => out.extend_from_slice(
            format!(
                r#"{{"@odata.context":"http://127.0.0.1:{port}/v1.0/$metadata#Referrals","@odata.count":{total},"value":["#
            )
            .as_bytes(),
        ),
        Shape::Items => out.extend_from_slice(br#"{"items":["#),
        Shape::BareArray => out.push(b'['),
    }
    for (k, item) in items.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item);
    }
    out.push(b']');
    if shape != Shape::BareArray {
        if let Some(link) = next {
            out.extend_from_slice(br#","@odata.nextLink":"#);
            out.extend_from_slice(Value::String(link.to_string()).to_string().as_bytes());
        }
        out.push(b'}');
    }
    out
}

fn take_fault(inner: &mut Inner, n: usize, page: usize) -> Option<Fault> {
    let rule = inner.rules.iter_mut().find(|r| {
        r.remaining > 0
            && match r.when {
                When::Request(k) => k == n,
                When::Page(k) => k == page,
                When::Any => true,
            }
    })?;
    if rule.remaining != usize::MAX {
        rule.remaining -= 1;
    }
    Some(rule.fault.clone())
}

fn token_ok(inner: &Inner, headers: &HeaderMap) -> bool {
    let Some(token) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    if inner.accept_any_token {
        !token.is_empty()
    } else {
        inner.tokens.contains(token)
    }
}

/// The referrals a query selects, as indexes, cached until the set changes (so paging a
/// large set costs one filter and sort per read, not per page).
fn selection(inner: &mut Inner, q: &Saved) -> Result<Arc<Vec<usize>>, String> {
    let key = (q.filter.clone(), q.orderby.clone());
    if let Some((generation, s)) = inner.selections.get(&key)
        && *generation == inner.generation
    {
        return Ok(s.clone());
    }
    let s = Arc::new(select(&inner.referrals, q)?);
    inner.selections.insert(key, (inner.generation, s.clone()));
    Ok(s)
}

/// Filter, then order, as the service would (ties by `id`).
fn select(referrals: &[Value], q: &Saved) -> Result<Vec<usize>, String> {
    let clauses = match &q.filter {
        Some(f) => parse_filter(f)?,
        None => Vec::new(),
    };
    let mut out: Vec<usize> = (0..referrals.len())
        .filter(|&i| clauses.iter().all(|c| c.matches(&referrals[i])))
        .collect();
    if let Some(orderby) = &q.orderby {
        let mut words = orderby.split_whitespace();
        let field = words.next().unwrap_or_default().to_string();
        if field != "updatedDateTime" && field != "createdDateTime" {
            return Err(format!("Cannot order by {field}."));
        }
        let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => return Err(format!("Bad order direction {other}.")),
        };
        let mut keyed: Vec<_> = out
            .iter()
            .map(|&i| {
                let r = &referrals[i];
                (
                    date_of(r, &field),
                    r.get("id").and_then(Value::as_str).unwrap_or(""),
                    i,
                )
            })
            .collect();
        keyed.sort();
        if desc {
            keyed.reverse();
        }
        out = keyed.into_iter().map(|(_, _, i)| i).collect();
    }
    Ok(out)
}

enum Clause {
    DirectionEq(String),
    UpdatedGe(DateTime<Utc>),
}

impl Clause {
    fn matches(&self, r: &Value) -> bool {
        match self {
            Clause::DirectionEq(d) => r
                .get("direction")
                .and_then(Value::as_str)
                .is_some_and(|v| v.eq_ignore_ascii_case(d)),
            Clause::UpdatedGe(t) => date_of(r, "updatedDateTime").is_some_and(|u| u >= *t),
        }
    }
}

/// `direction eq 'Incoming' and updatedDateTime ge 2026-11-01T10:00:00Z`.
fn parse_filter(filter: &str) -> Result<Vec<Clause>, String> {
    filter
        .split(" and ")
        .map(|clause| {
            let words: Vec<&str> = clause.split_whitespace().collect();
            match words.as_slice() {
                ["direction", "eq", value] => {
                    Ok(Clause::DirectionEq(value.trim_matches('\'').to_string()))
                }
                ["updatedDateTime", "ge", value] => {
                    DateTime::parse_from_rfc3339(value.trim_matches('\''))
                        .map(|t| Clause::UpdatedGe(t.with_timezone(&Utc)))
                        .map_err(|e| format!("Bad date literal {value}: {e}"))
                }
                _ => Err(format!("Unsupported filter clause {clause:?}.")),
            }
        })
        .collect()
}

fn date_of(r: &Value, field: &str) -> Option<DateTime<Utc>> {
    let s = r.get(field)?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn json_response(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(bytes));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        h.insert("request-id", v);
    }
    r
}

fn error_response(status: u16, code: &str, message: &str) -> Response {
    let body =
        json!({"error": {"code": code, "message": message, "target": null, "innerError": {}}});
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, body.to_string().into_bytes())
}

fn unauthorized() -> Response {
    let mut r = error_response(
        401,
        "unauthenticated",
        "The access token is missing, invalid or expired.",
    );
    r.headers_mut()
        .insert("www-authenticate", HeaderValue::from_static("Bearer"));
    r
}

fn set_retry_after(r: &mut Response, ra: &RetryAfter) {
    let v = match ra {
        RetryAfter::Secs(s) => s.to_string(),
        RetryAfter::Date(d) => http_date(*d),
    };
    if let Ok(v) = HeaderValue::from_str(&v) {
        r.headers_mut().insert("retry-after", v);
    }
}

/// RFC 9110 IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// A clock for client tests: starts at a fixed wall time, and `sleep` advances it at once
/// (recording each sleep), so backoff and `Retry-After` cost no real time.
#[derive(Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<ClockInner>>,
}

struct ClockInner {
    start: Instant,
    start_utc: DateTime<Utc>,
    elapsed: Duration,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock whose wall time starts at `start_utc`.
    pub fn new(start_utc: DateTime<Utc>) -> Self {
        ManualClock {
            inner: Arc::new(Mutex::new(ClockInner {
                start: Instant::now(),
                start_utc,
                elapsed: Duration::ZERO,
                sleeps: Vec::new(),
            })),
        }
    }
    fn lock(&self) -> MutexGuard<'_, ClockInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Time since the clock started (only sleeps and `advance` move it).
    pub fn elapsed(&self) -> Duration {
        self.lock().elapsed
    }
    /// Every sleep asked for, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }
    /// Move time on without a sleep.
    pub fn advance(&self, d: Duration) {
        self.lock().elapsed += d;
    }
    /// The instant `d` after the clock's start (for deadlines).
    pub fn at(&self, d: Duration) -> Instant {
        self.lock().start + d
    }
}

impl hunter_pc::partner_center::Clock for ManualClock {
    fn now(&self) -> Instant {
        let i = self.lock();
        i.start + i.elapsed
    }
    fn utc_now(&self) -> DateTime<Utc> {
        let i = self.lock();
        i.start_utc + chrono::Duration::from_std(i.elapsed).unwrap_or_default()
    }
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> {
        {
            let mut i = self.lock();
            i.elapsed += d;
            i.sleeps.push(d);
        }
        tokio::task::yield_now()
    }
}
