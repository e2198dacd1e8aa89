//! The Partner Center client against the stand-in over real loopback HTTP (issues: Partner
//! Center sync; Faults). Time is a [`ManualClock`]: backoff, `Retry-After` and the request
//! interval cost no real waiting, and the stand-in stamps each request with the clock's time.
//! The token source here stands in for sign-in only; the client is the real one.

mod support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hunter_pc::config::{Direction, Flags, Settings};
use hunter_pc::error::{Error, Kind, Result};
use hunter_pc::partner_center::{Client, FetchError, ListQuery, Page, TokenSource};
use serde_json::Value;
use support::r#gen as generated;
use support::partner_center::{Fault, ManualClock, RetryAfter, Shape, StandIn, When};
use url::Url;

const T1: &str = "access-token-one";
const T2: &str = "access-token-two";

/// Hands out `T1`, and `T2` once asked to refresh; counts both.
#[derive(Clone, Default)]
struct Tokens(Arc<Mutex<TokenLog>>);

#[derive(Default)]
struct TokenLog {
    calls: usize,
    refreshes: usize,
}

impl Tokens {
    fn refreshes(&self) -> usize {
        self.0.lock().unwrap().refreshes
    }
}

impl TokenSource for Tokens {
    async fn access_token(&mut self, force_refresh: bool) -> Result<String> {
        let mut log = self.0.lock().unwrap();
        log.calls += 1;
        if force_refresh {
            log.refreshes += 1;
        }
        Ok(if log.refreshes == 0 { T1 } else { T2 }.to_string())
    }
}

/// A stand-in with `T1` and `T2` accepted, a manual clock it observes, and settings aimed at it.
struct Rig {
    pc: StandIn,
    clock: ManualClock,
    tokens: Tokens,
    settings: Settings,
    budget: Duration,
}

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-01T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

impl Rig {
    fn new() -> Rig {
        let pc = StandIn::start();
        pc.accept_token(T1);
        pc.accept_token(T2);
        let clock = ManualClock::new(start());
        pc.observe_clock(&clock);
        let env = |k: &str| match k {
            "HOME" | "XDG_CONFIG_HOME" => Some("/nonexistent/hunter-pc-test".to_string()),
            _ => None,
        };
        let mut settings = Settings::load_with(&Flags::default(), &env).expect("default settings");
        settings.api_url = Url::parse(&pc.url()).unwrap();
        settings.page_size = 3;
        settings.request_interval_ms = 0;
        settings.max_retries = 2;
        Rig {
            pc,
            clock,
            tokens: Tokens::default(),
            settings,
            budget: Duration::from_secs(480),
        }
    }

    /// 9 incoming and 3 outgoing generated referrals, served in generation order.
    fn with_referrals(self) -> Rig {
        let mut set = generated::referrals(7, 12);
        for (i, r) in set.iter_mut().enumerate() {
            r["direction"] = Value::from(if i % 4 == 3 { "Outgoing" } else { "Incoming" });
        }
        self.pc.set_referrals(set);
        self
    }

    fn client(&self) -> Client<Tokens, ManualClock> {
        let deadline: Instant = self.clock.at(self.budget);
        Client::with_clock(
            &self.settings.partner_center(),
            self.tokens.clone(),
            self.clock.clone(),
            deadline,
        )
        .expect("client")
    }

    /// The ids the service should return for `direction` incoming and `since`, in order.
    fn expected_ids(&self, since: Option<DateTime<Utc>>) -> Vec<String> {
        let mut set: Vec<Value> = self
            .pc
            .referrals()
            .into_iter()
            .filter(|r| r["direction"] == "Incoming")
            .filter(|r| since.is_none_or(|s| updated(r) >= floor_secs(s)))
            .collect();
        set.sort_by_key(|r| (updated(r), id(r)));
        set.iter().map(id).collect()
    }
}

fn incoming(updated_since: Option<DateTime<Utc>>) -> ListQuery {
    ListQuery {
        direction: Direction::Incoming,
        updated_since,
    }
}

fn id(r: &Value) -> String {
    r["id"].as_str().unwrap_or_default().to_string()
}

fn updated(r: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(r["updatedDateTime"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn floor_secs(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap()
}

/// Read to the end: every page, then `Ok`, or the pages before the error and the error.
async fn read_all(
    client: &mut Client<Tokens, ManualClock>,
    q: ListQuery,
) -> (Vec<Page>, Option<FetchError>) {
    client.start(q);
    let mut pages = Vec::new();
    loop {
        match client.next_page().await {
            Ok(Some(p)) => pages.push(p),
            Ok(None) => return (pages, None),
            Err(e) => return (pages, Some(e)),
        }
        assert!(pages.len() < 100, "the client loops");
    }
}

fn ids(pages: &[Page]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p.referrals.iter().map(|r| raw_id(r)))
        .collect()
}

/// The id of a referral as the client hands it over (JSON text).
fn raw_id(r: &serde_json::value::RawValue) -> String {
    id(&serde_json::from_str(r.get()).unwrap())
}

fn failed(e: Option<FetchError>) -> Error {
    match e {
        Some(FetchError::Failed(e)) => e,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn reads_three_pages_in_order_with_top_orderby_and_direction() {
    let rig = Rig::new().with_referrals();
    let mut client = rig.client();
    let (pages, err) = read_all(&mut client, incoming(None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(pages.len(), 3);
    assert!(
        pages
            .iter()
            .all(|p| p.ordered && p.requests == 1 && p.bytes > 0)
    );
    assert_eq!(ids(&pages), rig.expected_ids(None));
    assert_eq!(ids(&pages).len(), 9);
    let stored_order: Vec<String> = rig
        .pc
        .referrals()
        .iter()
        .filter(|r| r["direction"] == "Incoming")
        .map(id)
        .collect();
    assert_ne!(
        stored_order,
        ids(&pages),
        "precondition: the set is not stored in order"
    );

    let seen = rig.pc.requests();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].param("$top"), Some("3"));
    assert_eq!(seen[0].param("$orderby"), Some("updatedDateTime asc"));
    assert_eq!(seen[0].param("$filter"), Some("direction eq 'Incoming'"));
    assert!(
        seen[0].query.starts_with("$top=3&$orderby="),
        "{}",
        seen[0].query
    );
    for r in &seen[1..] {
        assert!(
            r.param("$skiptoken").is_some(),
            "next links are followed verbatim"
        );
    }
    assert_eq!(seen.iter().map(|r| r.page).collect::<Vec<_>>(), [1, 2, 3]);
    let stats = client.stats();
    assert_eq!((stats.pages, stats.requests, stats.retries), (3, 3, 0));
    assert_eq!(stats.bytes, pages.iter().map(|p| p.bytes).sum::<u64>());
}

#[tokio::test]
async fn sends_and_gets_the_updated_since_filter() {
    let rig = Rig::new().with_referrals();
    let all = rig.expected_ids(None);
    // The fifth incoming referral's time, with fractions: the literal is floored to seconds.
    let pivot = rig
        .pc
        .referrals()
        .into_iter()
        .find(|r| id(r) == all[4])
        .map(|r| updated(&r))
        .unwrap();
    let mut client = rig.client();
    let (pages, err) = read_all(&mut client, incoming(Some(pivot))).await;
    assert!(err.is_none(), "{err:?}");
    let got = ids(&pages);
    assert_eq!(got, rig.expected_ids(Some(pivot)));
    assert_eq!(got, all[4..].to_vec());
    let first = &rig.pc.requests()[0];
    let literal = pivot.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    assert_eq!(
        first.param("$filter"),
        Some(format!("direction eq 'Incoming' and updatedDateTime ge {literal}").as_str())
    );
}

#[tokio::test]
async fn direction_all_sends_no_filter() {
    let rig = Rig::new().with_referrals();
    let mut client = rig.client();
    let q = ListQuery {
        direction: Direction::All,
        updated_since: None,
    };
    let (pages, err) = read_all(&mut client, q).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&pages).len(), 12);
    assert_eq!(rig.pc.requests()[0].param("$filter"), None);
}

#[tokio::test]
async fn a_400_to_the_filter_falls_back_to_one_unordered_full_read() {
    let rig = Rig::new().with_referrals();
    rig.pc.reject_filter(true);
    let mut client = rig.client();
    let (pages, err) = read_all(&mut client, incoming(Some(start()))).await;
    assert!(err.is_none(), "{err:?}");
    assert!(pages.iter().all(|p| !p.ordered), "the caller must know");
    assert!(!client.ordered());
    // Everything, in the service's own order, both directions: the caller filters.
    let served: Vec<String> = rig.pc.referrals().iter().map(id).collect();
    assert_eq!(ids(&pages), served);
    assert_eq!(pages[0].requests, 2);
    let seen = rig.pc.requests();
    assert_eq!(seen[0].status, 400);
    assert!(seen[0].param("$filter").is_some());
    assert_eq!(seen[1].status, 200);
    assert_eq!(seen[1].param("$filter"), None);
    assert_eq!(seen[1].param("$orderby"), None);
    assert_eq!(seen[1].param("$top"), Some("3"));
    assert_eq!(
        seen.len(),
        5,
        "one refused request, then four pages of three"
    );
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused_and_not_requested() {
    let rig = Rig::new().with_referrals();
    let elsewhere = StandIn::start();
    elsewhere.accept_any_token(true);
    rig.pc
        .inject(When::Page(1), Fault::NextLinkTo(elsewhere.url()));
    let mut client = rig.client();
    let (pages, err) = read_all(&mut client, incoming(None)).await;
    assert_eq!(
        pages.len(),
        1,
        "the page with the bad link is still delivered"
    );
    let e = failed(err);
    assert_eq!(e.kind, Kind::Unavailable);
    assert!(e.message.contains(&elsewhere.url()), "{}", e.message);
    assert!(e.message.contains("request-id"), "{}", e.message);
    assert_eq!(elsewhere.request_count(), 0, "no request sent there");
    assert_eq!(rig.pc.request_count(), 1);
}

#[tokio::test]
async fn a_next_link_with_another_scheme_or_host_name_is_refused() {
    for base in ["https://127.0.0.1:{port}", "http://localhost:{port}"] {
        let rig = Rig::new().with_referrals();
        let base = base.replace("{port}", &rig.pc.port().to_string());
        rig.pc
            .inject(When::Page(1), Fault::NextLinkTo(base.clone()));
        let mut client = rig.client();
        let (pages, err) = read_all(&mut client, incoming(None)).await;
        assert_eq!(pages.len(), 1);
        let e = failed(err);
        assert_eq!(e.kind, Kind::Unavailable, "{base}");
        assert!(e.message.contains("not sent elsewhere"), "{}", e.message);
        assert_eq!(rig.pc.request_count(), 1, "{base}: nothing followed");
    }
}

#[tokio::test]
async fn a_repeated_next_link_stops_the_read() {
    let rig = Rig::new().with_referrals();
    rig.pc.inject_always(When::Page(2), Fault::RepeatNextLink);
    let mut client = rig.client();
    let (pages, err) = read_all(&mut client, incoming(None)).await;
    assert_eq!(pages.len(), 2);
    let e = failed(err);
    assert_eq!(e.kind, Kind::Unavailable);
    assert!(e.message.contains("sent before"), "{}", e.message);
    assert_eq!(rig.pc.request_count(), 2, "no loop");
}

#[tokio::test]
async fn a_429_with_retry_after_seconds_is_waited_out() {
    let rig = Rig::new().with_referrals();
    rig.pc
        .inject(When::Page(2), Fault::TooManyRequests(RetryAfter::Secs(7)));
    let mut client = rig.client();
    let (pages, err) = read_all(&mut client, incoming(None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&pages), rig.expected_ids(None));
    assert_eq!(pages[1].requests, 2);
    assert_eq!(rig.clock.sleeps(), [Duration::from_secs(7)]);
    let seen = rig.pc.requests();
    assert_eq!(seen[1].status, 429);
    assert_eq!(
        seen[2].at.unwrap() - seen[1].at.unwrap(),
        Duration::from_secs(7)
    );
}

#[tokio::test]
async fn a_429_with_retry_after_as_a_date_is_waited_out() {
    let rig = Rig::new().with_referrals();
    let when = start() + chrono::Duration::seconds(5);
    rig.pc.inject(
        When::Request(1),
        Fault::TooManyRequests(RetryAfter::Date(when)),
    );
    let mut client = rig.client();
    let (pages, err) = read_all(&mut client, incoming(None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&pages).len(), 9);
    assert_eq!(rig.clock.sleeps(), [Duration::from_secs(5)]);
}

#[tokio::test]
async fn a_503_once_is_retried_after_a_jittered_backoff() {
    let rig = Rig::new().with_referrals();
    rig.pc
        .inject(When::Page(3), Fault::ServiceUnavailable(None));
    let mut client = rig.client();
    let (pages, err) = read_all(&mut client, incoming(None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&pages).len(), 9);
    let sleeps = rig.clock.sleeps();
    assert_eq!(sleeps.len(), 1);
    assert!(
        (Duration::from_millis(500)..=Duration::from_millis(1000)).contains(&sleeps[0]),
        "{sleeps:?}"
    );
    assert_eq!(client.stats().retries, 1);
}

#[tokio::test]
async fn a_503_with_retry_after_waits_as_told() {
    let rig = Rig::new().with_referrals();
    rig.pc.inject(
        When::Page(2),
        Fault::ServiceUnavailable(Some(RetryAfter::Secs(2))),
    );
    let mut client = rig.client();
    let (pages, err) = read_all(&mut client, incoming(None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&pages).len(), 9);
    assert_eq!(rig.clock.sleeps(), [Duration::from_secs(2)]);
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_unavailable() {
    let mut rig = Rig::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    rig.settings.api_url = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let mut client = rig.client();
    let (_, err) = read_all(&mut client, incoming(None)).await;
    let e = failed(err);
    assert_eq!(e.kind, Kind::Unavailable);
    assert!(e.message.contains("after 3 attempts"), "{}", e.message);
    assert!(
        e.message.contains(&format!("127.0.0.1:{port}")),
        "{}",
        e.message
    );
    assert_eq!(rig.clock.sleeps().len(), 2, "two backoffs");
}

#[tokio::test]
async fn a_500_past_the_retries_is_unavailable_after_max_retries_plus_one_attempts() {
    let rig = Rig::new().with_referrals();
    rig.pc.inject_always(When::Page(2), Fault::Status(500));
    let mut client = rig.client();
    let (pages, err) = read_all(&mut client, incoming(None)).await;
    assert_eq!(pages.len(), 1, "the first page is kept");
    let e = failed(err);
    assert_eq!(e.kind, Kind::Unavailable);
    assert!(e.message.contains("after 3 attempts"), "{}", e.message);
    assert!(e.message.contains("request-id"), "{}", e.message);
    let page2: Vec<_> = rig
        .pc
        .requests()
        .into_iter()
        .filter(|r| r.page == 2)
        .collect();
    assert_eq!(page2.len(), 3, "max_retries = 2 → 3 attempts");
    let sleeps = rig.clock.sleeps();
    assert_eq!(sleeps.len(), 2);
    assert!(sleeps[0] >= Duration::from_millis(500) && sleeps[0] <= Duration::from_secs(1));
    assert!(sleeps[1] >= Duration::from_secs(1) && sleeps[1] <= Duration::from_secs(2));
}

#[tokio::test]
async fn a_timeout_is_retried_then_unavailable() {
    let mut rig = Rig::new().with_referrals();
    rig.settings.max_retries = 1;
    rig.pc
        .inject_always(When::Page(1), Fault::Delay(Duration::from_secs(5)));
    let mut client = rig.client().with_http_timeout(Duration::from_millis(200));
    let began = Instant::now();
    let (pages, err) = read_all(&mut client, incoming(None)).await;
    assert!(
        began.elapsed() < Duration::from_secs(4),
        "the timeout was not applied"
    );
    assert!(pages.is_empty());
    let e = failed(err);
    assert_eq!(e.kind, Kind::Unavailable);
    assert!(
        e.message.contains("no answer within 0.2 s"),
        "{}",
        e.message
    );
    assert_eq!(rig.pc.request_count(), 2);
}

#[tokio::test]
async fn truncated_json_is_unavailable_without_retry() {
    let rig = Rig::new().with_referrals();
    rig.pc.inject(When::Page(2), Fault::TruncatedJson);
    let mut client = rig.client();
    let (pages, err) = read_all(&mut client, incoming(None)).await;
    assert_eq!(pages.len(), 1);
    let e = failed(err);
    assert_eq!(e.kind, Kind::Unavailable);
    assert!(e.message.contains("truncated"), "{}", e.message);
    assert!(e.message.contains("request-id"), "{}", e.message);
    assert_eq!(rig.pc.request_count(), 2);
}

#[tokio::test]
async fn a_retry_after_beyond_the_deadline_is_a_budget_error_without_waiting() {
    let mut rig = Rig::new().with_referrals();
    rig.budget = Duration::from_secs(30);
    rig.pc
        .inject(When::Page(2), Fault::TooManyRequests(RetryAfter::Secs(120)));
    let mut client = rig.client();
    let (pages, err) = read_all(&mut client, incoming(None)).await;
    assert_eq!(pages.len(), 1);
    let e = err.expect("an error");
    assert!(e.is_budget(), "{e:?}");
    assert_eq!(e.kind(), Kind::TempFail);
    assert_eq!(Error::from(e).exit_code(), 75);
    assert!(
        rig.clock.sleeps().is_empty(),
        "never waits past the deadline"
    );
    assert_eq!(rig.pc.request_count(), 2);
}

#[tokio::test]
async fn a_deadline_already_past_sends_nothing() {
    let rig = Rig::new().with_referrals();
    let mut client = rig.client();
    rig.clock.advance(rig.budget);
    let (_, err) = read_all(&mut client, incoming(None)).await;
    assert!(err.expect("an error").is_budget());
    assert_eq!(rig.pc.request_count(), 0);
}

#[tokio::test]
async fn an_expired_token_mid_run_is_refreshed_once() {
    let rig = Rig::new().with_referrals();
    let mut client = rig.client();
    client.start(incoming(None));
    let first = client.next_page().await.unwrap().unwrap();
    rig.pc.expire_token(T1);
    let mut got = ids(std::slice::from_ref(&first));
    while let Some(p) = client.next_page().await.unwrap() {
        got.extend(p.referrals.iter().map(|r| raw_id(r)));
    }
    assert_eq!(got, rig.expected_ids(None));
    assert_eq!(rig.tokens.refreshes(), 1);
    let seen = rig.pc.requests();
    assert_eq!(
        seen.iter().map(|r| r.status).collect::<Vec<_>>(),
        [200, 401, 200, 200]
    );
    assert_eq!(
        seen[2].header("authorization"),
        Some(format!("Bearer {T2}").as_str())
    );
    assert_eq!(client.stats().token_refreshes, 1);
}

#[tokio::test]
async fn a_401_after_the_refresh_is_no_perm() {
    let rig = Rig::new().with_referrals();
    rig.pc.inject_times(When::Any, Fault::Unauthorized, 5);
    let mut client = rig.client();
    let (pages, err) = read_all(&mut client, incoming(None)).await;
    assert!(pages.is_empty());
    let e = failed(err);
    assert_eq!(e.kind, Kind::NoPerm);
    assert!(e.message.contains("hunter-pc login"), "{}", e.message);
    assert!(
        !e.message.contains(T1) && !e.message.contains(T2),
        "no token in errors"
    );
    assert_eq!(rig.tokens.refreshes(), 1);
    assert_eq!(rig.pc.request_count(), 2, "one refresh, one retry");
}

#[tokio::test]
async fn a_403_is_no_perm_naming_the_referrals_roles() {
    let rig = Rig::new().with_referrals();
    rig.pc.inject(When::Request(1), Fault::Forbidden);
    let mut client = rig.client();
    let (_, err) = read_all(&mut client, incoming(None)).await;
    let e = failed(err);
    assert_eq!(e.kind, Kind::NoPerm);
    assert!(e.message.contains("Referrals Admin"), "{}", e.message);
    assert!(e.message.contains("Referrals User"), "{}", e.message);
    assert!(e.message.contains("request-id"), "{}", e.message);
    assert_eq!(rig.pc.request_count(), 1, "no retry");
}

#[tokio::test]
async fn another_4xx_is_a_plain_failure_without_retry() {
    let rig = Rig::new().with_referrals();
    rig.pc.inject(When::Request(1), Fault::Status(404));
    let mut client = rig.client();
    let (_, err) = read_all(&mut client, incoming(None)).await;
    let e = failed(err);
    assert_eq!((e.kind, e.exit_code()), (Kind::Failure, 1));
    assert_eq!(rig.pc.request_count(), 1);
}

#[tokio::test]
async fn every_request_carries_the_headers_with_its_own_client_request_id() {
    let rig = Rig::new().with_referrals();
    rig.pc
        .inject(When::Page(2), Fault::ServiceUnavailable(None));
    let mut client = rig.client();
    let (_, err) = read_all(&mut client, incoming(None)).await;
    assert!(err.is_none(), "{err:?}");
    let seen = rig.pc.requests();
    assert_eq!(seen.len(), 4);
    let correlation = client.correlation_id().to_string();
    let mut request_ids = HashSet::new();
    for r in &seen {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {T1}").as_str())
        );
        assert_eq!(r.header("accept"), Some("application/json"));
        assert_eq!(r.header("ms-correlationid"), Some(correlation.as_str()));
        let rid = r.header("client-request-id").expect("client-request-id");
        assert!(uuid::Uuid::parse_str(rid).is_ok(), "{rid}");
        request_ids.insert(rid.to_string());
    }
    assert_eq!(
        request_ids.len(),
        4,
        "one client-request-id per request, retries included"
    );
}

#[tokio::test]
async fn requests_are_spaced_by_the_interval() {
    let mut rig = Rig::new().with_referrals();
    rig.settings.request_interval_ms = 1500;
    let mut client = rig.client();
    let (pages, err) = read_all(&mut client, incoming(None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(pages.len(), 3);
    let at: Vec<Duration> = rig.pc.requests().iter().map(|r| r.at.unwrap()).collect();
    assert_eq!(at[0], Duration::ZERO, "the first request does not wait");
    for pair in at.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_millis(1500), "{at:?}");
    }
}

#[tokio::test]
async fn older_page_shapes_are_accepted() {
    for shape in [Shape::Items, Shape::BareArray] {
        let rig = Rig::new().with_referrals();
        rig.pc.set_shape(shape);
        let mut client = rig.client();
        let (pages, err) = read_all(&mut client, incoming(None)).await;
        assert!(err.is_none(), "{shape:?}: {err:?}");
        let want = rig.expected_ids(None);
        let n = if shape == Shape::Items { want.len() } else { 3 };
        assert_eq!(ids(&pages), want[..n].to_vec(), "{shape:?}");
    }
}

#[test]
fn generated_referrals_are_realistic_and_deterministic() {
    let set = generated::referrals(1, 200);
    assert_eq!(set, generated::referrals(1, 200));
    let sizes: Vec<usize> = set.iter().map(|r| r.to_string().len()).collect();
    let mean = sizes.iter().sum::<usize>() / sizes.len();
    assert!((1500..=2600).contains(&mean), "mean size {mean}");
    let domains: HashSet<String> = set
        .iter()
        .map(|r| {
            let email = r["customerProfile"]["team"][0]["email"].as_str().unwrap();
            email.rsplit('@').next().unwrap().to_string()
        })
        .collect();
    assert_eq!(
        domains.len(),
        200,
        "each referral has its own company domain"
    );
    let times: HashSet<String> = set
        .iter()
        .map(|r| r["updatedDateTime"].to_string())
        .collect();
    assert_eq!(times.len(), 200);
    let ids: HashSet<String> = set.iter().map(id).collect();
    assert_eq!(ids.len(), 200);
}
