//! The reliability rows of quality.md through the binary (issue: Faults): a killed sync, two
//! syncs at once, throttling, server errors, the run budget, timeouts, unusable pages, token
//! expiry, a revoked sign-in, a missing role, and secrets at `-vv`. Real Postgres, both
//! stand-ins on loopback HTTP, faults injected per page of the Partner Center stand-in.
//!
//! Pages hold 10 referrals. The only real waits are the ~1 s ones a row is about (`Retry-After:
//! 1`, a date one second ahead, one backoff step after a 503 or 500, a 1 s HTTP timeout).

mod support;

use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Value, json};
use support::r#gen as generated;
use support::partner_center::{Fault, RetryAfter, When};
use support::pg::TestDb;
use support::signin::Answer;
use support::world::{World, contents};
use support::{assert_exit, last_stderr_line};

const PAGE: usize = 10;

/// A world whose stand-in holds `n` generated referrals, and how many of them are incoming
/// (the ones the sync reads).
fn world(seed: u64, n: usize) -> (World, usize) {
    let set = generated::referrals(seed, n);
    let incoming = set
        .iter()
        .filter(|r| r["direction"].as_str() == Some("Incoming"))
        .count();
    (World::new(set), incoming)
}

/// The data tables after one uninterrupted sync of the same stand-in (its faults cleared) into
/// a fresh database.
fn uninterrupted(w: &World) -> String {
    w.pc.clear_faults();
    let fresh = TestDb::migrated();
    let out = w
        .cmd()
        .env("DATABASE_URL", &fresh.url)
        .args(["sync", "--json", "--no-scan"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    contents(&fresh)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn summary(out: &Output) -> Value {
    support::stdout_json(out)
}

fn stored(w: &World) -> i64 {
    w.count("SELECT count(*) AS n FROM referrals")
}

/// How many requests asked for page `k` of a read, and the statuses they got.
fn page_statuses(w: &World, k: usize) -> Vec<u16> {
    w.pc.requests()
        .iter()
        .filter(|r| r.page == k)
        .map(|r| r.status)
        .collect()
}

/// Poll until `done` holds (a database commit, a process exit), failing after `limit`.
fn poll_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Run `sync` while watching the stand-in: the wall time each request was first seen (polled
/// every few milliseconds), with the command's output.
fn sync_watched(w: &World, envs: &[(&str, &str)]) -> (Output, Vec<DateTime<Utc>>) {
    let child = spawn_sync(w, envs);
    let mut seen: Vec<DateTime<Utc>> = Vec::new();
    let mut child = Some(child);
    let mut output = None;
    while output.is_none() {
        let n = w.pc.request_count();
        while seen.len() < n {
            seen.push(Utc::now());
        }
        let c = child.as_mut().unwrap();
        if c.try_wait().unwrap().is_some() {
            output = Some(child.take().unwrap().wait_with_output().unwrap());
        } else {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    (output.unwrap(), seen)
}

fn spawn_sync(w: &World, envs: &[(&str, &str)]) -> Child {
    w.cmd_std()
        .args(["sync", "--json", "--no-scan"])
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_sync_killed_after_page_k_then_a_new_sync_equals_an_uninterrupted_run() {
    let (w, incoming) = world(21, 60);
    let k = 2;
    assert!(incoming > (k + 1) * PAGE, "{incoming}");
    // Page k+1 hangs, so the run is caught after page k's commit.
    w.pc.inject(When::Page(k + 1), Fault::Delay(Duration::from_secs(60)));
    let mut child = spawn_sync(&w, &[]);
    poll_until(Duration::from_secs(30), "page k to commit", || {
        stored(&w) == (k * PAGE) as i64
    });
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    assert_eq!(stored(&w), (k * PAGE) as i64, "page k+1 never committed");
    assert!(w.cursor().is_some(), "page k's cursor committed with it");

    let (out, s) = w.sync(&[]);
    assert_exit(&out, 0);
    assert_eq!(s["status"], "ok");
    assert_eq!(stored(&w), incoming as i64);
    assert_eq!(contents(&w.db), uninterrupted(&w));
}

#[test]
fn two_syncs_started_together_one_exits_75_within_a_second_and_the_result_is_one_run() {
    let (w, incoming) = world(22, 40);
    // The run that gets the lock holds it for at least a second (a told wait on page 2).
    w.pc.inject(When::Page(2), Fault::TooManyRequests(RetryAfter::Secs(1)));
    let started = Instant::now();
    let mut children = [spawn_sync(&w, &[]), spawn_sync(&w, &[])];
    let mut ended: [Option<Duration>; 2] = [None, None];
    poll_until(Duration::from_secs(30), "both syncs to end", || {
        for (c, e) in children.iter_mut().zip(ended.iter_mut()) {
            if e.is_none() && c.try_wait().unwrap().is_some() {
                *e = Some(started.elapsed());
            }
        }
        ended.iter().all(Option::is_some)
    });
    let outs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let codes: Vec<Option<i32>> = outs.iter().map(|o| o.status.code()).collect();
    let locked = codes
        .iter()
        .position(|c| *c == Some(75))
        .unwrap_or_else(|| panic!("{codes:?}"));
    let worked = 1 - locked;
    assert_exit(&outs[worked], 0);
    assert!(
        ended[locked].unwrap() < Duration::from_secs(1),
        "the locked run took {:?}",
        ended[locked]
    );
    assert!(ended[worked].unwrap() >= Duration::from_secs(1));
    assert_eq!(summary(&outs[locked])["status"], "locked");
    assert!(
        last_stderr_line(&outs[locked]).contains("another hunter-pc sync is running"),
        "{}",
        last_stderr_line(&outs[locked])
    );
    // One run's requests: every page once, plus the throttled one.
    assert_eq!(w.pc.request_count(), incoming.div_ceil(PAGE) + 1);
    assert_eq!(stored(&w), incoming as i64);
    assert_eq!(contents(&w.db), uninterrupted(&w));
}

#[test]
fn a_429_with_retry_after_in_seconds_is_waited_out_then_the_run_succeeds() {
    let (w, incoming) = world(23, 30);
    w.pc.inject(When::Page(2), Fault::TooManyRequests(RetryAfter::Secs(1)));
    let (out, seen) = sync_watched(&w, &[]);
    assert_exit(&out, 0);
    assert_eq!(summary(&out)["status"], "ok");
    assert_eq!(page_statuses(&w, 2), [429, 200]);
    // Requests 2 and 3 are page 2's: the retry came a second after the 429.
    let waited = seen[2] - seen[1];
    assert!(
        waited >= chrono::Duration::milliseconds(990),
        "retried after {waited}"
    );
    assert!(waited < chrono::Duration::milliseconds(1900), "{waited}");
    assert_eq!(stored(&w), incoming as i64);
}

#[test]
fn a_429_with_retry_after_as_an_http_date_is_waited_out_then_the_run_succeeds() {
    let (w, incoming) = world(24, 30);
    // At least one second ahead (the header has whole seconds).
    let date =
        (Utc::now() + chrono::Duration::seconds(1)).trunc_subsecs(0) + chrono::Duration::seconds(1);
    w.pc.inject(
        When::Page(2),
        Fault::TooManyRequests(RetryAfter::Date(date)),
    );
    let (out, seen) = sync_watched(&w, &[]);
    assert_exit(&out, 0);
    assert_eq!(page_statuses(&w, 2), [429, 200]);
    // Polling sees a request up to a few milliseconds late, never early.
    assert!(
        seen[2] >= date - chrono::Duration::milliseconds(10),
        "retried at {} before the date {date}",
        seen[2]
    );
    assert!(seen[2] < date + chrono::Duration::milliseconds(900));
    assert_eq!(stored(&w), incoming as i64);
}

#[test]
fn a_503_once_is_retried_and_the_run_succeeds() {
    let (w, incoming) = world(25, 30);
    w.pc.inject(When::Page(2), Fault::ServiceUnavailable(None));
    let (out, s) = w
        .cmd()
        .env("HUNTER_PC_MAX_RETRIES", "1")
        .args(["sync", "--json", "--no-scan"])
        .output()
        .map(|o| {
            let s = summary(&o);
            (o, s)
        })
        .unwrap();
    assert_exit(&out, 0);
    assert_eq!(s["status"], "ok");
    assert_eq!(page_statuses(&w, 2), [503, 200]);
    assert_eq!(s["new"].as_i64(), Some(incoming as i64));
}

#[test]
fn a_500_past_the_retries_exits_69_and_keeps_the_pages_before() {
    let (w, incoming) = world(26, 50);
    assert!(incoming > 3 * PAGE);
    w.pc.inject_always(When::Page(3), Fault::Status(500));
    let out = w
        .cmd()
        .env("HUNTER_PC_MAX_RETRIES", "1")
        .args(["sync", "--json", "--no-scan"])
        .output()
        .unwrap();
    assert_exit(&out, 69);
    let s = summary(&out);
    assert_eq!(s["status"], "failed");
    assert_eq!(s["pages"], 2);
    // One try and one retry, then no more.
    assert_eq!(page_statuses(&w, 3), [500, 500]);
    assert_eq!(w.pc.request_count(), 4);
    assert_eq!(stored(&w), (2 * PAGE) as i64);
    assert_eq!(
        w.count("SELECT count(*) AS n FROM raw_leads"),
        (2 * PAGE) as i64
    );
    let line = last_stderr_line(&out);
    assert!(
        line.starts_with("error: ") && line.contains("500"),
        "{line}"
    );
}

#[test]
fn an_exhausted_run_budget_exits_75_incomplete_and_the_next_run_continues_from_the_cursor() {
    let (w, incoming) = world(27, 50);
    assert!(incoming > 3 * PAGE);
    // Page 3 asks for a wait far past the 1 s budget: the run stops at once.
    w.pc.inject(When::Page(3), Fault::TooManyRequests(RetryAfter::Secs(30)));
    let started = Instant::now();
    let out = w
        .cmd()
        .env("HUNTER_PC_RUN_BUDGET_SECS", "1")
        .args(["sync", "--json", "--no-scan"])
        .output()
        .unwrap();
    assert_exit(&out, 75);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it did not wait"
    );
    let s = summary(&out);
    assert_eq!(s["status"], "incomplete");
    assert_eq!(s["pages"], 2);
    assert_eq!(stored(&w), (2 * PAGE) as i64);
    assert_eq!(
        w.text("SELECT status AS t FROM sync_runs ORDER BY id DESC LIMIT 1")
            .as_deref(),
        Some("incomplete")
    );
    let line = last_stderr_line(&out);
    assert!(line.contains("budget"), "{line}");
    let cursor = w.cursor().unwrap();

    // The next run reads from the cursor (no lookback here) and completes the set.
    w.pc.clear_requests();
    let out = w
        .cmd()
        .env("HUNTER_PC_LOOKBACK_SECS", "0")
        .args(["sync", "--json", "--no-scan"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let s = summary(&out);
    assert_eq!(s["status"], "ok");
    let since = &cursor[..19]; // YYYY-MM-DDTHH:MM:SS
    let filter = w.pc.requests()[0].param("$filter").unwrap().to_string();
    assert!(
        filter.contains(&format!("updatedDateTime ge {since}Z")),
        "{filter} vs cursor {cursor}"
    );
    assert_eq!(s["new"].as_i64(), Some((incoming - 2 * PAGE) as i64), "{s}");
    assert!(s["fetched"].as_i64().unwrap() < incoming as i64, "{s}");
    assert_eq!(contents(&w.db), uninterrupted(&w));
}

/// Run a sync that must stop with 69 on page 3 (pages 1 and 2 committed), sending exactly
/// `requests` requests in all.
fn assert_69_after_two_pages(w: &World, envs: &[(&str, &str)], requests: usize) -> String {
    let out = w
        .cmd()
        .envs(envs.iter().copied())
        .args(["sync", "--json", "--no-scan"])
        .output()
        .unwrap();
    assert_exit(&out, 69);
    let s = summary(&out);
    assert_eq!(s["status"], "failed");
    assert_eq!(s["pages"], 2, "{s}");
    assert_eq!(stored(w), (2 * PAGE) as i64);
    assert!(w.cursor().is_some());
    assert_eq!(w.pc.request_count(), requests, "no loop, no extra request");
    let line = last_stderr_line(&out);
    assert!(line.starts_with("error: "), "{line}");
    line
}

#[test]
fn a_timeout_exits_69_and_keeps_the_pages_before() {
    let (w, incoming) = world(28, 50);
    assert!(incoming > 3 * PAGE);
    w.pc.inject_always(When::Page(3), Fault::Delay(Duration::from_secs(10)));
    let started = Instant::now();
    let line = assert_69_after_two_pages(
        &w,
        &[
            ("HUNTER_PC_HTTP_TIMEOUT_SECS", "1"),
            ("HUNTER_PC_MAX_RETRIES", "0"),
        ],
        3,
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(line.contains("no answer within 1.0 s"), "{line}");
}

#[test]
fn truncated_json_exits_69_and_keeps_the_pages_before() {
    let (w, incoming) = world(29, 50);
    assert!(incoming > 3 * PAGE);
    w.pc.inject(When::Page(3), Fault::TruncatedJson);
    let line = assert_69_after_two_pages(&w, &[], 3);
    assert!(line.contains("unusable page"), "{line}");
}

#[test]
fn a_repeated_next_link_exits_69_keeps_its_page_and_does_not_loop() {
    let (w, incoming) = world(30, 50);
    assert!(incoming > 3 * PAGE);
    // Page 2's body is fine and is kept; its next link is page 2 again.
    w.pc.inject(When::Page(2), Fault::RepeatNextLink);
    let line = assert_69_after_two_pages(&w, &[], 2);
    assert!(line.contains("sent before"), "{line}");
}

#[test]
fn a_401_mid_run_refreshes_once_and_the_run_completes() {
    let (w, incoming) = world(31, 30);
    w.pc.accept_any_token(true);
    w.pc.inject(When::Page(2), Fault::Unauthorized);
    let grants = w.signin.grants("refresh_token").len();
    let (out, s) = w.sync(&[]);
    assert_exit(&out, 0);
    assert_eq!(s["status"], "ok");
    assert_eq!(s["new"].as_i64(), Some(incoming as i64));
    assert_eq!(w.signin.grants("refresh_token").len(), grants + 1);
    assert_eq!(page_statuses(&w, 2), [401, 200]);
    // The retry carried the new token, and so did every later page.
    let bearer =
        |r: &support::partner_center::Recorded| r.header("authorization").map(str::to_string);
    let reqs = w.pc.requests();
    let fresh = format!("Bearer {}", w.signin.latest_access_token().unwrap());
    let after_401 = reqs.iter().position(|r| r.status == 401).unwrap();
    assert_ne!(bearer(&reqs[after_401]), Some(fresh.clone()));
    assert!(
        reqs[after_401 + 1..]
            .iter()
            .all(|r| bearer(r) == Some(fresh.clone()))
    );
    let stored_token: Value =
        serde_json::from_slice(&std::fs::read(&w.token_file).unwrap()).unwrap();
    assert_eq!(
        stored_token["refresh_token"].as_str(),
        w.signin.latest_refresh_token().as_deref(),
        "the rotated refresh token is stored"
    );
}

/// Make the stored access token expired, so the next sync must refresh before its first page.
fn expire_stored_access_token(w: &World) {
    let mut stored: Value = serde_json::from_slice(&std::fs::read(&w.token_file).unwrap()).unwrap();
    stored["access_token_expires_at"] = json!("2020-01-01T00:00:00Z");
    std::fs::write(&w.token_file, serde_json::to_vec(&stored).unwrap()).unwrap();
}

#[test]
fn a_refresh_answered_invalid_grant_exits_77_with_the_login_hint_and_touches_no_data() {
    let (w, _) = world(32, 30);
    let (out, _) = w.sync(&[]);
    assert_exit(&out, 0);
    // The service changed meanwhile: a run that got through would write.
    let mut changed = w.pc.referrals()[0].clone();
    changed["status"] = json!("Closed");
    w.pc.upsert_referral(changed);
    expire_stored_access_token(&w);
    w.signin.script([Answer::Error {
        status: 400,
        error: "invalid_grant",
        codes: vec![700082],
    }]);
    let before = w.snapshot();
    let cursor = w.cursor();
    let requests = w.pc.request_count();
    let grants = w.signin.grants("refresh_token").len();

    let (out, s) = w.sync(&["--force"]);
    assert_exit(&out, 77);
    assert_eq!(s["status"], "failed");
    let line = last_stderr_line(&out);
    assert!(
        line.starts_with("error: ") && line.contains("hunter-pc login"),
        "{line}"
    );
    assert_eq!(
        w.signin.grants("refresh_token").len(),
        grants + 1,
        "one refresh try"
    );
    assert_eq!(w.pc.request_count(), requests, "no request without a token");
    assert_eq!(w.snapshot(), before, "no data row written");
    assert_eq!(w.cursor(), cursor);
}

#[test]
fn a_403_exits_77_naming_the_referrals_roles() {
    let (w, _) = world(33, 30);
    w.pc.inject(When::Page(1), Fault::Forbidden);
    let (out, s) = w.sync(&[]);
    assert_exit(&out, 77);
    assert_eq!(s["status"], "failed");
    let line = last_stderr_line(&out);
    assert!(
        line.contains("Referrals Admin") && line.contains("Referrals User"),
        "{line}"
    );
    assert_eq!(w.pc.request_count(), 1, "a 403 is not retried");
    assert_eq!(stored(&w), 0);
}

#[test]
fn no_access_or_refresh_token_appears_in_the_output_of_a_sync_at_vv() {
    let (w, _) = world(34, 30);
    // A 401 mid-run makes the run refresh, so old and new tokens both pass through it.
    w.pc.accept_any_token(true);
    w.pc.inject(When::Page(2), Fault::Unauthorized);
    let out = w
        .cmd()
        .args(["-vv", "sync", "--json", "--no-scan"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let err = stderr(&out);
    let all = format!("{err}\n{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        err.contains("read a Partner Center page") && err.contains("refreshing the access token"),
        "-vv logs debug events: {err}"
    );
    let secrets = w.signin.secrets();
    assert!(secrets.len() >= 4, "{secrets:?}");
    for secret in secrets {
        assert!(!all.contains(&secret), "a secret leaked: {secret}");
    }
    assert!(!all.contains("SECRET"), "part of a secret leaked");
    assert!(!all.contains(support::partner_center::DEFAULT_TOKEN));
}
