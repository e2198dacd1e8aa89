//! The Referrals API client: paging, rate limit, retries, `Retry-After`, the run deadline
//! (pipeline.md §1, partner-center.md "Referrals API" and "Errors and throttling").
//!
//! The caller drives it page by page: [`Client::start`] with a [`ListQuery`], then
//! [`Client::next_page`] until it answers `None`.

use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap};
use url::Url;
use uuid::Uuid;

use super::TokenSource;
use super::body::{error_code, error_summary, parse_page};
use super::clock::{Clock, SystemClock};
use super::retry::{Verdict, backoff, random_jitter, retry_after, verdict};
use crate::config::Direction;
use crate::error::{Error, Kind};

/// The list endpoint, below the configured API URL.
const REFERRALS_PATH: &str = "v1.0/engagements/referrals";
/// A page body larger than this is refused (100 referrals are a few hundred KB).
const MAX_PAGE_BYTES: usize = 32 * 1024 * 1024;

/// What to read: which direction, and (incremental runs) the oldest `updatedDateTime` wanted,
/// i.e. the cursor minus the lookback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub direction: Direction,
    pub updated_since: Option<DateTime<Utc>>,
}

/// One page of referrals.
#[derive(Debug, Clone)]
pub struct Page {
    /// The referrals, each as received (JSON text; its syntax is checked).
    pub referrals: Vec<Box<serde_json::value::RawValue>>,
    /// `false` after the 400 fallback: the read is unfiltered and unordered, so the cursor
    /// moves once, after the last page, and the direction is filtered by the caller.
    pub ordered: bool,
    /// HTTP requests this page took (retries and the token-refresh retry included).
    pub requests: u32,
    /// Body bytes of the answer that delivered the page.
    pub bytes: u64,
    /// The service's `request-id` for that answer.
    pub request_id: Option<String>,
}

/// Totals for the run, for the summary log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub pages: u64,
    pub requests: u64,
    pub retries: u64,
    pub token_refreshes: u64,
    /// Answers 429 (Too Many Requests).
    pub throttled: u64,
    pub bytes: u64,
    /// Time spent waiting (rate limit, backoff, `Retry-After`).
    pub waited: Duration,
}

/// Why a read stopped. [`FetchError::Budget`] is the run budget (status `incomplete`,
/// exit 75); everything else carries the error whose kind decides the exit code
/// (77 sign-in or role, 69 unreachable or unusable, 1 refused request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    Budget(String),
    Failed(Error),
}

impl FetchError {
    /// Whether the run budget ran out (or a wait would have outlasted it).
    pub fn is_budget(&self) -> bool {
        matches!(self, FetchError::Budget(_))
    }
    /// The error kind, which decides the exit code.
    pub fn kind(&self) -> Kind {
        match self {
            FetchError::Budget(_) => Kind::TempFail,
            FetchError::Failed(e) => e.kind,
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Budget(m) => f.write_str(m),
            FetchError::Failed(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for FetchError {}

impl From<FetchError> for Error {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::Budget(m) => Error::temp(m),
            FetchError::Failed(e) => e,
        }
    }
}

fn unavailable(m: impl Into<String>) -> FetchError {
    FetchError::Failed(Error::unavailable(m))
}

/// Where the read is.
#[derive(Debug)]
enum Cursor {
    Idle,
    First(ListQuery),
    Next(Url),
    /// The last page's next link was bad: the next call reports it.
    Broken(FetchError),
    Done,
}

/// An answer the retry loop hands back: a page, or a status that is not retried.
struct Answer {
    status: StatusCode,
    request_id: Option<String>,
    headers: HeaderMap,
    body: Vec<u8>,
    requests: u32,
}

/// One transport-level failure: retried when it is a timeout or a connection error.
struct Transport {
    retryable: bool,
    message: String,
    /// The request timed out because the run deadline capped its timeout.
    budget: bool,
}

/// The Partner Center Referrals API client for one run.
pub struct Client<T: TokenSource, C: Clock = SystemClock> {
    http: reqwest::Client,
    tokens: T,
    clock: C,
    deadline: Instant,
    run_budget: Duration,
    api: Url,
    referrals_url: Url,
    page_size: u32,
    interval: Duration,
    max_retries: u32,
    timeout: Duration,
    correlation_id: Uuid,
    cursor: Cursor,
    ordered: bool,
    seen_links: HashSet<String>,
    last_request_at: Option<Instant>,
    force_refresh: bool,
    stats: Stats,
}

/// What the Partner Center client needs of the settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub api_url: Url,
    /// `$top` per page.
    pub page_size: u32,
    /// The least time between two requests.
    pub request_interval: Duration,
    /// Retries per request after the first attempt.
    pub max_retries: u32,
    /// Per-request timeout.
    pub http_timeout: Duration,
    /// The run's whole budget (for the messages that name it).
    pub run_budget: Duration,
}

impl<T: TokenSource> Client<T, SystemClock> {
    /// A client on real time. `deadline` is the end of the run budget.
    pub fn new(config: &ClientConfig, tokens: T, deadline: Instant) -> crate::error::Result<Self> {
        Client::with_clock(config, tokens, SystemClock, deadline)
    }
}

impl<T: TokenSource, C: Clock> Client<T, C> {
    /// A client on the given clock; `deadline` is an instant of that clock.
    pub fn with_clock(
        config: &ClientConfig,
        tokens: T,
        clock: C,
        deadline: Instant,
    ) -> crate::error::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("hunter-pc/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::failure(format!("cannot set up the HTTP client: {e}")))?;
        let api = config.api_url.clone();
        let referrals_url = referrals_url(&api)?;
        Ok(Client {
            http,
            tokens,
            clock,
            deadline,
            run_budget: config.run_budget,
            api,
            referrals_url,
            page_size: config.page_size,
            interval: config.request_interval,
            max_retries: config.max_retries,
            timeout: config.http_timeout,
            correlation_id: Uuid::new_v4(),
            cursor: Cursor::Idle,
            ordered: true,
            seen_links: HashSet::new(),
            last_request_at: None,
            force_refresh: false,
            stats: Stats::default(),
        })
    }

    /// Override the per-request timeout (settings give whole seconds).
    pub fn with_http_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `MS-CorrelationId` sent with every request of this run.
    pub fn correlation_id(&self) -> Uuid {
        self.correlation_id
    }

    /// Totals so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Whether the current read is ordered by `updatedDateTime` (false after the 400 fallback).
    pub fn ordered(&self) -> bool {
        self.ordered
    }

    /// Begin a read; the first [`Client::next_page`] sends the first request.
    pub fn start(&mut self, query: ListQuery) {
        self.cursor = Cursor::First(query);
        self.ordered = true;
        self.seen_links.clear();
    }

    /// The next page, or `None` when the read is complete. A page whose body was fine is
    /// returned even when its next link is bad; the error comes with the following call.
    pub async fn next_page(&mut self) -> Result<Option<Page>, FetchError> {
        let (answer, url) = match std::mem::replace(&mut self.cursor, Cursor::Done) {
            Cursor::Idle => {
                return Err(FetchError::Failed(Error::failure(
                    "internal: next_page called before start",
                )));
            }
            Cursor::Done => return Ok(None),
            Cursor::Broken(e) => return Err(e),
            Cursor::First(query) => self.first_answer(&query).await?,
            Cursor::Next(url) => {
                let answer = self.get(&url).await?;
                (answer, url)
            }
        };
        if !answer.status.is_success() {
            return Err(status_error(&answer));
        }
        let raw = parse_page(&answer.body).map_err(|m| {
            unavailable(format!(
                "Partner Center sent an unusable page: {m}{}",
                request_id_note(&answer.request_id)
            ))
        })?;
        self.stats.pages += 1;
        let bytes = answer.body.len() as u64;
        self.stats.bytes += bytes;
        tracing::debug!(
            referrals = raw.referrals.len(),
            requests = answer.requests,
            bytes,
            request_id = answer.request_id.as_deref().unwrap_or(""),
            "read a Partner Center page"
        );
        self.cursor = match raw.next_link {
            None => Cursor::Done,
            // A bad link still delivers this page; the error ends the read at the next call.
            Some(link) => match self.follow(&url, &link, &answer.request_id) {
                Ok(next) => Cursor::Next(next),
                Err(e) => Cursor::Broken(e),
            },
        };
        Ok(Some(Page {
            referrals: raw.referrals,
            ordered: self.ordered,
            requests: answer.requests,
            bytes,
            request_id: answer.request_id,
        }))
    }

    /// The first page: filtered and ordered; on a 400, once more without `$filter` and
    /// `$orderby` (an unordered full read).
    async fn first_answer(&mut self, query: &ListQuery) -> Result<(Answer, Url), FetchError> {
        let url = self.first_url(query, true);
        self.seen_links.insert(url.to_string());
        let answer = self.get(&url).await?;
        if answer.status != StatusCode::BAD_REQUEST {
            return Ok((answer, url));
        }
        tracing::warn!(
            request_id = answer.request_id.as_deref().unwrap_or(""),
            detail = error_summary(&answer.body).unwrap_or_default(),
            "Partner Center refused $filter/$orderby (400); reading every referral unfiltered and unordered"
        );
        self.ordered = false;
        let url = self.first_url(query, false);
        self.seen_links.insert(url.to_string());
        let mut retry = self.get(&url).await?;
        retry.requests += answer.requests;
        if retry.status == StatusCode::BAD_REQUEST {
            return Err(status_error(&retry));
        }
        Ok((retry, url))
    }

    /// `{api}/v1.0/engagements/referrals?$top=…[&$orderby=…&$filter=…]`.
    fn first_url(&self, query: &ListQuery, filtered: bool) -> Url {
        let mut parts = vec![format!("$top={}", self.page_size)];
        if filtered {
            parts.push(format!("$orderby={}", encode("updatedDateTime asc")));
            if let Some(filter) = odata_filter(query) {
                parts.push(format!("$filter={}", encode(&filter)));
            }
        }
        let mut url = self.referrals_url.clone();
        url.set_query(Some(&parts.join("&")));
        url
    }

    /// Check a next link: same scheme, host and port as the configured API URL (the bearer
    /// token goes nowhere else), and not seen before in this read.
    fn follow(
        &mut self,
        current: &Url,
        link: &str,
        request_id: &Option<String>,
    ) -> Result<Url, FetchError> {
        let next = current.join(link).map_err(|e| {
            unavailable(format!(
                "Partner Center sent an unreadable next link ({e}){}",
                request_id_note(request_id)
            ))
        })?;
        if !same_origin(&next, &self.api) {
            return Err(unavailable(format!(
                "Partner Center sent a next link to {}, not to the configured {}; stopped so the access token is not sent elsewhere{}",
                origin_of(&next),
                origin_of(&self.api),
                request_id_note(request_id)
            )));
        }
        if !self.seen_links.insert(next.to_string()) {
            return Err(unavailable(format!(
                "Partner Center sent a next link it had sent before; stopped to avoid a loop{}",
                request_id_note(request_id)
            )));
        }
        Ok(next)
    }

    /// One GET with the rate limit, retries, backoff, `Retry-After`, the 401 refresh and the
    /// deadline. Returns a 2xx answer or a status that is not retried; errors otherwise.
    async fn get(&mut self, url: &Url) -> Result<Answer, FetchError> {
        let mut requests = 0u32;
        let mut retries = 0u32;
        let mut refreshed = false;
        loop {
            self.wait_for_slot().await?;
            let token = self
                .tokens
                .access_token(std::mem::take(&mut self.force_refresh))
                .await
                .map_err(FetchError::Failed)?;
            requests += 1;
            self.stats.requests += 1;
            let sent = self.send_once(url, &token).await;
            drop(token);
            let (wait, why) = match sent {
                Ok(mut answer) => {
                    answer.requests = requests;
                    if answer.status == 429 {
                        self.stats.throttled += 1;
                    }
                    match verdict(answer.status) {
                        Verdict::Refresh if !refreshed => {
                            tracing::info!(
                                request_id = answer.request_id.as_deref().unwrap_or(""),
                                "Partner Center answered 401; refreshing the access token once"
                            );
                            refreshed = true;
                            self.force_refresh = true;
                            self.stats.token_refreshes += 1;
                            continue;
                        }
                        Verdict::Retry if retries < self.max_retries => {
                            let told = retry_after(&answer.headers, self.clock.utc_now());
                            let wait = told.unwrap_or_else(|| backoff(retries, random_jitter()));
                            let why = format!(
                                "Partner Center answered {}{}",
                                answer.status,
                                request_id_note(&answer.request_id)
                            );
                            if told.is_some() {
                                self.check_budget(wait, &format!("{why} with Retry-After"))?;
                            }
                            (wait, why)
                        }
                        Verdict::Retry => return Err(exhausted(&answer, retries)),
                        Verdict::Page | Verdict::BadRequest | Verdict::Stop => return Ok(answer),
                        Verdict::Refresh | Verdict::Forbidden => {
                            return Err(status_error(&answer));
                        }
                    }
                }
                Err(t) if t.budget => {
                    return Err(FetchError::Budget(format!(
                        "the run budget ({} s) ran out during a Partner Center request; the next run continues",
                        self.run_budget.as_secs()
                    )));
                }
                Err(t) if t.retryable && retries < self.max_retries => {
                    (backoff(retries, random_jitter()), t.message)
                }
                Err(t) => {
                    let tries = if t.retryable {
                        format!(" after {} attempts", retries + 1)
                    } else {
                        String::new()
                    };
                    return Err(unavailable(format!(
                        "cannot reach Partner Center at {}{tries}: {}",
                        origin_of(&self.api),
                        t.message
                    )));
                }
            };
            retries += 1;
            self.stats.retries += 1;
            tracing::warn!(
                wait_ms = wait.as_millis() as u64,
                retry = retries,
                max_retries = self.max_retries,
                "{why}; retrying"
            );
            self.wait(wait, &why).await?;
        }
    }

    /// Send one request and read its whole body.
    async fn send_once(&mut self, url: &Url, token: &str) -> Result<Answer, Transport> {
        let remaining = self.deadline.saturating_duration_since(self.clock.now());
        let budget_caps = remaining < self.timeout;
        let timeout = self.timeout.min(remaining);
        let request_id = Uuid::new_v4();
        let transport = |e: reqwest::Error| Transport {
            retryable: e.is_timeout() || e.is_connect() || e.is_request() || e.is_body(),
            budget: e.is_timeout() && budget_caps,
            message: describe(&e, timeout),
        };
        let mut response = self
            .http
            .get(url.clone())
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .header(ACCEPT, "application/json")
            .header("MS-CorrelationId", self.correlation_id.to_string())
            .header("client-request-id", request_id.to_string())
            .timeout(timeout)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        let service_request_id = headers
            .get("request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_PAGE_BYTES {
                return Err(Transport {
                    retryable: false,
                    budget: false,
                    message: format!("a page is larger than {} MiB", MAX_PAGE_BYTES >> 20),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            request_id: service_request_id,
            headers,
            body,
            requests: 0,
        })
    }

    /// Keep at least `request_interval_ms` between requests.
    async fn wait_for_slot(&mut self) -> Result<(), FetchError> {
        let now = self.clock.now();
        if now >= self.deadline {
            return Err(FetchError::Budget(format!(
                "the run budget ({} s) ran out; the next run continues from the cursor",
                self.run_budget.as_secs()
            )));
        }
        if let Some(last) = self.last_request_at {
            let due = last + self.interval;
            if due > now {
                self.wait(due - now, "the request interval").await?;
            }
        }
        self.last_request_at = Some(self.clock.now());
        Ok(())
    }

    /// Fail with a budget error when waiting `wait` would end past the deadline.
    fn check_budget(&self, wait: Duration, why: &str) -> Result<(), FetchError> {
        if self.clock.now() + wait > self.deadline {
            return Err(FetchError::Budget(format!(
                "{why}: waiting {:.1} s would outlast the run budget ({} s); the next run continues from the cursor",
                wait.as_secs_f64(),
                self.run_budget.as_secs()
            )));
        }
        Ok(())
    }

    /// Sleep on the client's clock, never past the deadline.
    async fn wait(&mut self, wait: Duration, why: &str) -> Result<(), FetchError> {
        self.check_budget(wait, why)?;
        if !wait.is_zero() {
            self.clock.sleep(wait).await;
            self.stats.waited += wait;
        }
        Ok(())
    }
}

/// `{api}/v1.0/engagements/referrals`, keeping any path prefix of the API URL.
fn referrals_url(api: &Url) -> crate::error::Result<Url> {
    let mut base = api.clone();
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    base.set_query(None);
    base.set_fragment(None);
    base.join(REFERRALS_PATH).map_err(|e| {
        Error::config(format!(
            "HUNTER_PC_API_URL: cannot form the referrals URL: {e}"
        ))
    })
}

/// The `$filter` of a query: the direction (none for `all`) and `updatedDateTime ge …`.
pub fn odata_filter(query: &ListQuery) -> Option<String> {
    let mut clauses = Vec::new();
    match query.direction {
        Direction::Incoming => clauses.push("direction eq 'Incoming'".to_string()),
        Direction::Outgoing => clauses.push("direction eq 'Outgoing'".to_string()),
        Direction::All => {}
    }
    if let Some(since) = query.updated_since {
        clauses.push(format!("updatedDateTime ge {}", odata_datetime(since)));
    }
    (!clauses.is_empty()).then(|| clauses.join(" and "))
}

/// An OData v4 `DateTimeOffset` literal in whole seconds, rounded down so the filter never
/// skips the instant asked for: `2026-11-01T10:00:00Z`.
pub fn odata_datetime(t: DateTime<Utc>) -> String {
    let whole = DateTime::<Utc>::from_timestamp(t.timestamp(), 0).unwrap_or(t);
    whole.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is escaped.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encode a query value (UTF-8, everything but unreserved characters escaped).
fn encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// `scheme://host:port`, for messages (never the path or query).
fn origin_of(u: &Url) -> String {
    match (u.host_str(), u.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{}://{h}:{p}", u.scheme()),
        (Some(h), None) => format!("{}://{h}", u.scheme()),
        _ => u.scheme().to_string(),
    }
}

fn request_id_note(request_id: &Option<String>) -> String {
    match request_id {
        Some(id) => format!(" (request-id {id})"),
        None => String::new(),
    }
}

fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        format!("no answer within {:.1} s", timeout.as_secs_f64())
    } else if e.is_connect() {
        "connection failed".to_string()
    } else {
        // reqwest's text ends with "for url (…)": the error line names the host already.
        let mut m = e.to_string();
        if let Some(url) = e.url() {
            m = m.replace(&format!(" for url ({url})"), "");
        }
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            m = format!("{m}: {s}");
            source = s.source();
        }
        m
    }
}

/// Retries used up on a retried status → 69.
fn exhausted(answer: &Answer, retries: u32) -> FetchError {
    unavailable(format!(
        "Partner Center answered {} after {} attempts{}{}",
        answer.status,
        retries + 1,
        detail_note(answer),
        request_id_note(&answer.request_id)
    ))
}

fn detail_note(answer: &Answer) -> String {
    error_summary(&answer.body)
        .map(|s| format!(": {s}"))
        .unwrap_or_default()
}

/// The error for a final status that is not a page.
fn status_error(answer: &Answer) -> FetchError {
    let rid = request_id_note(&answer.request_id);
    let detail = detail_note(answer);
    let status = answer.status;
    let error = match verdict(status) {
        Verdict::Refresh => Error::no_perm(format!(
            "Partner Center refused the access token (401) even after a refresh{detail}{rid}; run `hunter-pc login`"
        )),
        Verdict::Forbidden
            if error_code(&answer.body).as_deref() == Some("insufficient_claims")
                || detail.contains("insufficient_claims") =>
        {
            Error::no_perm(format!(
                "Partner Center answered 403: Conditional Access asks for more than this sign-in gives{detail}{rid}; run `hunter-pc login`, or ask the tenant admin"
            ))
        }
        Verdict::Forbidden => Error::no_perm(format!(
            "Partner Center answered 403 Forbidden{detail}{rid}; the signed-in user needs the Partner Center role Referrals Admin or Referrals User"
        )),
        _ if status.is_client_error() => Error::failure(format!(
            "Partner Center refused the request with {status}{detail}{rid}"
        )),
        _ => Error::unavailable(format!(
            "Partner Center answered {status}{detail}{rid}, which hunter-pc cannot use"
        )),
    };
    FetchError::Failed(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_combine_direction_and_since() {
        let since = DateTime::parse_from_rfc3339("2026-11-01T10:00:00.1234567Z")
            .unwrap()
            .with_timezone(&Utc);
        let q = |direction, updated_since| ListQuery {
            direction,
            updated_since,
        };
        assert_eq!(
            odata_filter(&q(Direction::Incoming, None)).as_deref(),
            Some("direction eq 'Incoming'")
        );
        assert_eq!(
            odata_filter(&q(Direction::Outgoing, Some(since))).as_deref(),
            Some("direction eq 'Outgoing' and updatedDateTime ge 2026-11-01T10:00:00Z")
        );
        assert_eq!(odata_filter(&q(Direction::All, None)), None);
        assert_eq!(
            odata_filter(&q(Direction::All, Some(since))).as_deref(),
            Some("updatedDateTime ge 2026-11-01T10:00:00Z")
        );
    }

    #[test]
    fn the_list_url_keeps_a_path_prefix() {
        let u = |s: &str| referrals_url(&Url::parse(s).unwrap()).unwrap().to_string();
        assert_eq!(
            u("https://api.partner.microsoft.com"),
            "https://api.partner.microsoft.com/v1.0/engagements/referrals"
        );
        assert_eq!(
            u("http://127.0.0.1:8080/pc"),
            "http://127.0.0.1:8080/pc/v1.0/engagements/referrals"
        );
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(same_origin(
            &u("https://a.example/x"),
            &u("https://a.example:443/y")
        ));
        assert!(!same_origin(
            &u("http://a.example/x"),
            &u("https://a.example/x")
        ));
        assert!(!same_origin(
            &u("https://b.example/x"),
            &u("https://a.example/x")
        ));
        assert!(!same_origin(
            &u("https://a.example:8443/x"),
            &u("https://a.example/x")
        ));
        assert_eq!(encode("updatedDateTime asc"), "updatedDateTime%20asc");
        assert_eq!(
            encode("direction eq 'Incoming' and x ge 2026-11-01T10:00:00Z~ü"),
            "direction%20eq%20%27Incoming%27%20and%20x%20ge%202026-11-01T10%3A00%3A00Z~%C3%BC"
        );
    }
}
