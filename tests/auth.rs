//! Sign-in (issue 8): device-code login, token stores, silent refresh, logout, against the
//! sign-in stand-in over loopback HTTP.

mod support;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use hunter_pc::auth::clock::Clock;
use hunter_pc::auth::microsoft::SignIn;
use hunter_pc::auth::store::FileStore;
use hunter_pc::auth::{Session, StoredToken, TokenStore, device};
use hunter_pc::config::{Flags, Settings};
use hunter_pc::partner_center::TokenSource;
use oauth2::{AccessToken, RefreshToken};
use support::signin::{ACCOUNT, Answer, SignInStandIn, USER_CODE, VERIFICATION_URI};
use support::{hunter, last_stderr_line, stdout_json};

const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
const TENANT: &str = "contoso.example";

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// The binary pointed at the stand-in, with the file store at `token_file`.
fn hunter_at(home: &Path, standin: &SignInStandIn) -> assert_cmd::Command {
    let mut c = hunter(home);
    c.env("HUNTER_PC_AUTHORITY_URL", standin.url())
        .env("HUNTER_PC_CLIENT_ID", CLIENT_ID)
        .env("HUNTER_PC_TENANT_ID", TENANT)
        .env("HUNTER_PC_MAX_RETRIES", "0")
        .env("HUNTER_PC_TOKEN_STORE", "file");
    c
}

/// The file store path `hunter(home)` uses by default.
fn default_token_file(home: &Path) -> PathBuf {
    home.join(".local/state/hunter-pc/token.json")
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn assert_no_secret(text: &str, standin: &SignInStandIn) {
    let secrets = standin.secrets();
    assert!(!secrets.is_empty());
    for s in secrets {
        assert!(
            !text.contains(&s),
            "a secret ({}…) appears in:\n{text}",
            &s[..12.min(s.len())]
        );
    }
    assert!(!text.contains("SECRET"), "a secret appears in:\n{text}");
}

/// Library settings pointed at the stand-in, from an explicit environment.
fn settings(standin: &SignInStandIn, token_file: &Path, extra: &[(&str, &str)]) -> Settings {
    let mut env: HashMap<String, String> = [
        ("HUNTER_PC_AUTHORITY_URL", standin.url()),
        ("HUNTER_PC_CLIENT_ID", CLIENT_ID.to_string()),
        ("HUNTER_PC_TENANT_ID", TENANT.to_string()),
        ("HUNTER_PC_TOKEN_STORE", "file".to_string()),
        ("HUNTER_PC_TOKEN_FILE", token_file.display().to_string()),
        ("HUNTER_PC_MAX_RETRIES", "0".to_string()),
        ("HOME", "/nonexistent".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in extra {
        env.insert(k.to_string(), v.to_string());
    }
    Settings::load_with(&Flags::default(), &|k| env.get(k).cloned()).unwrap()
}

/// A stored sign-in as a past login would have left it.
fn seed(store: &FileStore, refresh: &str, access: Option<(&str, chrono::Duration)>) {
    let now = Utc::now();
    store
        .save(&StoredToken {
            refresh_token: RefreshToken::new(refresh.to_string()),
            access_token: access.map(|(a, _)| AccessToken::new(a.to_string())),
            access_token_expires_at: access.map(|(_, left)| now + left),
            account: Some(ACCOUNT.to_string()),
            tenant_id: TENANT.to_string(),
            client_id: CLIENT_ID.to_string(),
            saved_at: now,
        })
        .unwrap();
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// login (device code) through the binary

#[test]
fn device_login_pending_pending_success_stores_and_names_the_account() {
    let home = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    standin.script([Answer::Pending, Answer::Pending, Answer::Success]);
    let out = hunter_at(home.path(), &standin)
        .arg("login")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(out.stdout.is_empty(), "stdout carries data only");
    // Microsoft's message as given.
    assert!(
        err.contains(&format!(
            "open the page {VERIFICATION_URI} and enter the code {USER_CODE}"
        )),
        "{err}"
    );
    assert!(err.contains(&format!("Signed in as {ACCOUNT}.")), "{err}");
    let file = default_token_file(home.path());
    assert!(
        err.contains("the file store") && err.contains(&file.display().to_string()),
        "{err}"
    );

    let stored = FileStore::new(&file)
        .load()
        .unwrap()
        .expect("a stored token");
    assert_eq!(
        Some(stored.refresh_token.secret().clone()),
        standin.latest_refresh_token()
    );
    assert_eq!(
        stored.access_token.as_ref().map(|a| a.secret().clone()),
        standin.latest_access_token()
    );
    assert_eq!(stored.account.as_deref(), Some(ACCOUNT));
    assert_eq!(
        (stored.tenant_id.as_str(), stored.client_id.as_str()),
        (TENANT, CLIENT_ID)
    );
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);

    // The requests: one device code request with client_id and scope, three polls.
    let reqs = standin.requests();
    assert_eq!(reqs.len(), 4, "{reqs:?}");
    assert_eq!(reqs[0].path, format!("/{TENANT}/oauth2/v2.0/devicecode"));
    assert_eq!(reqs[0].form["client_id"], CLIENT_ID);
    assert_eq!(
        reqs[0].form["scope"],
        "https://api.partner.microsoft.com/.default offline_access"
    );
    for poll in &reqs[1..] {
        assert_eq!(poll.path, format!("/{TENANT}/oauth2/v2.0/token"));
        assert_eq!(
            poll.form["grant_type"],
            "urn:ietf:params:oauth:grant-type:device_code"
        );
        assert_eq!(poll.form["client_id"], CLIENT_ID);
        assert!(poll.form["device_code"].starts_with("DEVICE-SECRET-"));
    }

    // `status` reads it back, with no secret.
    let out = hunter_at(home.path(), &standin)
        .args(["status", "--json"])
        .output()
        .unwrap();
    let report = stdout_json(&out);
    assert_eq!(report["auth"]["store"], "file");
    assert_eq!(report["auth"]["account"], ACCOUNT);
    assert_eq!(report["auth"]["refresh_token"], true);
    assert!(report["auth"]["access_token_expires_at"].is_string());
    assert_no_secret(&String::from_utf8_lossy(&out.stdout), &standin);
    assert_eq!(
        standin.requests().len(),
        4,
        "status makes no sign-in request"
    );
}

#[test]
fn without_a_message_the_url_and_code_are_shown_on_their_own_lines() {
    let home = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    standin.without_message().script([Answer::Success]);
    let out = hunter_at(home.path(), &standin)
        .arg("login")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let lines: Vec<&str> = err.lines().map(str::trim).collect();
    assert!(lines.contains(&VERIFICATION_URI), "{err}");
    assert!(lines.contains(&USER_CODE), "{err}");
}

#[test]
fn the_id_token_names_the_account_when_there_is_one() {
    let home = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    standin
        .id_token_account("ayse@fabrikam.example")
        .script([Answer::Success]);
    let out = hunter_at(home.path(), &standin)
        .arg("login")
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("Signed in as ayse@fabrikam.example."),
        "{}",
        stderr(&out)
    );
}

#[test]
fn each_stop_error_exits_77_with_its_own_message() {
    let cases = [
        (Answer::Declined, "declined"),
        (Answer::AccessDenied, "declined"),
        (Answer::Expired, "expired before the sign-in was finished"),
        (Answer::BadCode, "did not recognise the device code"),
    ];
    for (answer, expected) in cases {
        let home = tempfile::tempdir().unwrap();
        let standin = SignInStandIn::start();
        standin.script([Answer::Pending, answer.clone()]);
        let out = hunter_at(home.path(), &standin)
            .arg("login")
            .output()
            .unwrap();
        let line = last_stderr_line(&out);
        assert_eq!(out.status.code(), Some(77), "{answer:?}: {}", stderr(&out));
        assert!(
            line.starts_with("error: ") && line.contains(expected),
            "{answer:?}: {line}"
        );
        assert!(line.contains("hunter-pc login"), "{line}");
        assert_eq!(
            standin
                .grants("urn:ietf:params:oauth:grant-type:device_code")
                .len(),
            2
        );
        assert!(!default_token_file(home.path()).exists(), "nothing stored");
    }
}

#[test]
fn the_poll_stops_at_expires_in_whatever_the_server_says() {
    let home = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    // interval 1 s, expires_in 2 s, the server keeps saying "pending".
    standin.device_timing(1, 2);
    let started = Instant::now();
    let out = hunter_at(home.path(), &standin)
        .arg("login")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(77), "{}", stderr(&out));
    assert!(
        last_stderr_line(&out).contains("within 2 s"),
        "{}",
        last_stderr_line(&out)
    );
    assert_eq!(
        standin
            .grants("urn:ietf:params:oauth:grant-type:device_code")
            .len(),
        1
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// The fix each configuration code's message must carry.
const CONFIGURATION_FIXES: &[(u64, &str)] = &[
    (7000218, "Allow public client flows"),
    (700016, "was not found in tenant"),
    (90002, "tenant contoso.example was not found"),
    (65001, "admin consent"),
    (50194, "single-tenant"),
    (53003, "Conditional Access"),
];

#[test]
fn each_configuration_code_exits_78_with_its_fix() {
    for (code, fix) in CONFIGURATION_FIXES {
        let home = tempfile::tempdir().unwrap();
        let standin = SignInStandIn::start();
        // `invalid_grant` would be 77: the code in `error_codes` decides first.
        standin.script([Answer::Error {
            status: 400,
            error: "invalid_grant",
            codes: vec![*code],
        }]);
        let out = hunter_at(home.path(), &standin)
            .arg("login")
            .output()
            .unwrap();
        let line = last_stderr_line(&out);
        assert_eq!(out.status.code(), Some(78), "{code}: {}", stderr(&out));
        assert!(line.contains(fix), "{code}: {line}");
        assert!(line.contains(&format!("AADSTS{code}")), "{line}");
        assert!(
            line.contains("trace_id 0f1e2d3c-trace") && line.contains("correlation_id"),
            "{line}"
        );
    }
}

#[test]
fn a_configuration_code_at_the_device_code_endpoint_is_78_too() {
    let home = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    standin.device_answer(Answer::Error {
        status: 400,
        error: "unauthorized_client",
        codes: vec![700016],
    });
    let out = hunter_at(home.path(), &standin)
        .arg("login")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(last_stderr_line(&out).contains(&format!("application {CLIENT_ID} was not found")));
}

#[test]
fn login_without_a_client_id_is_78() {
    let home = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    let out = hunter_at(home.path(), &standin)
        .env_remove("HUNTER_PC_CLIENT_ID")
        .arg("login")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(last_stderr_line(&out).contains("HUNTER_PC_CLIENT_ID"));
    assert!(standin.requests().is_empty());
}

#[test]
fn flags_override_tenant_client_and_store() {
    let home = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    standin.script([Answer::Success]);
    let out = hunter_at(home.path(), &standin)
        .env("HUNTER_PC_TOKEN_STORE", "keyring")
        .args([
            "login",
            "--tenant",
            "fabrikam",
            "--client-id",
            "app-2",
            "--token-store",
            "file",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let reqs = standin.requests();
    assert_eq!(reqs[0].path, "/fabrikam/oauth2/v2.0/devicecode");
    assert_eq!(reqs[0].form["client_id"], "app-2");
    let stored = FileStore::new(default_token_file(home.path()))
        .load()
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.tenant_id.as_str(), stored.client_id.as_str()),
        ("fabrikam", "app-2")
    );
}

#[test]
fn transient_failures_are_retried_then_69() {
    // One 500 is retried (after the 1 s backoff) and the sign-in goes on.
    let home = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    standin.script([Answer::Status(500), Answer::Success]);
    let out = hunter_at(home.path(), &standin)
        .env("HUNTER_PC_MAX_RETRIES", "1")
        .arg("login")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Past the retries: 69, nothing stored.
    let home = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    standin.script([
        Answer::Error {
            status: 400,
            error: "temporarily_unavailable",
            codes: vec![],
        },
        Answer::Status(503),
    ]);
    let out = hunter_at(home.path(), &standin)
        .env("HUNTER_PC_MAX_RETRIES", "1")
        .arg("login")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69), "{}", stderr(&out));
    assert!(
        last_stderr_line(&out).contains("unavailable (HTTP 503"),
        "{}",
        last_stderr_line(&out)
    );
    assert!(!default_token_file(home.path()).exists());

    // A slow answer past the timeout counts as transient.
    let home = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    standin.script([Answer::Slow(
        Duration::from_secs(3),
        Box::new(Answer::Success),
    )]);
    let out = hunter_at(home.path(), &standin)
        .env("HUNTER_PC_HTTP_TIMEOUT_SECS", "1")
        .arg("login")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69), "{}", stderr(&out));
    assert!(
        last_stderr_line(&out).contains("no answer within 1 s"),
        "{}",
        last_stderr_line(&out)
    );

    // Any other status is a plain failure.
    let home = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    standin.script([Answer::Status(404)]);
    let out = hunter_at(home.path(), &standin)
        .arg("login")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------
// The poll's spacing, with an injected clock

/// A clock that advances only when slept on, and records the sleeps.
#[derive(Default)]
struct FakeClock {
    now: Cell<Duration>,
    sleeps: RefCell<Vec<Duration>>,
}

impl Clock for FakeClock {
    fn now(&self) -> Duration {
        self.now.get()
    }
    fn sleep(&self, d: Duration) -> impl std::future::Future<Output = ()> {
        self.sleeps.borrow_mut().push(d);
        self.now.set(self.now.get() + d);
        std::future::ready(())
    }
}

fn secs(v: &[Duration]) -> Vec<u64> {
    v.iter().map(Duration::as_secs).collect()
}

fn poll_with_fake_clock(
    standin: &SignInStandIn,
    max_retries: u32,
) -> (FakeClock, hunter_pc::error::Result<()>) {
    let sign_in = SignIn::new(
        &url::Url::parse(&standin.url()).unwrap(),
        TENANT,
        CLIENT_ID,
        "https://api.partner.microsoft.com/.default offline_access",
        Duration::from_secs(5),
    )
    .unwrap();
    let clock = FakeClock::default();
    let result = rt().block_on(async {
        let dev = device::start(&sign_in, &clock, max_retries).await?;
        device::poll(&sign_in, &dev, &clock, max_retries)
            .await
            .map(|_| ())
    });
    (clock, result)
}

#[test]
fn the_poll_keeps_the_interval_and_slows_down_for_good() {
    let standin = SignInStandIn::start();
    standin.device_timing(5, 900).script([
        Answer::Pending,
        Answer::Pending,
        Answer::SlowDown,
        Answer::Pending,
        Answer::SlowDown,
        Answer::Pending,
        Answer::Success,
    ]);
    let (clock, result) = poll_with_fake_clock(&standin, 0);
    result.unwrap();
    // interval 5, then 10 after the first slow_down, 15 after the second: never back to 5.
    assert_eq!(secs(&clock.sleeps.borrow()), vec![5, 5, 5, 10, 10, 15, 15]);
    assert_eq!(
        standin
            .grants("urn:ietf:params:oauth:grant-type:device_code")
            .len(),
        7
    );
}

#[test]
fn the_poll_stops_at_expires_in() {
    let standin = SignInStandIn::start();
    standin.device_timing(5, 30); // pending for ever
    let (clock, result) = poll_with_fake_clock(&standin, 0);
    let e = result.unwrap_err();
    assert_eq!(e.exit_code(), 77);
    assert!(e.message.contains("expired"), "{}", e.message);
    // Polls at 5, 10, 15, 20, 25; the next would be at 30 = expires_in.
    assert_eq!(secs(&clock.sleeps.borrow()), vec![5, 5, 5, 5, 5]);
    assert_eq!(
        standin
            .grants("urn:ietf:params:oauth:grant-type:device_code")
            .len(),
        5
    );
    assert!(clock.now() < Duration::from_secs(30));

    // slow_down moves the polls, the deadline stays.
    let standin = SignInStandIn::start();
    standin.device_timing(5, 30).script([Answer::SlowDown]);
    let (clock, result) = poll_with_fake_clock(&standin, 0);
    assert_eq!(result.unwrap_err().exit_code(), 77);
    assert_eq!(secs(&clock.sleeps.borrow()), vec![5, 10, 10]);
}

#[test]
fn a_transient_failure_in_the_poll_backs_off_then_goes_on() {
    let standin = SignInStandIn::start();
    standin.device_timing(0, 900).script([
        Answer::Status(500),
        Answer::Status(502),
        Answer::Pending,
        Answer::Success,
    ]);
    let (clock, result) = poll_with_fake_clock(&standin, 2);
    result.unwrap();
    // 0 s interval, then the backoff 1 s and 2 s, then the interval again.
    assert_eq!(secs(&clock.sleeps.borrow()), vec![0, 1, 2, 0]);

    let standin = SignInStandIn::start();
    standin
        .device_timing(0, 900)
        .default_answer(Answer::Status(500));
    let (clock, result) = poll_with_fake_clock(&standin, 2);
    assert_eq!(result.unwrap_err().exit_code(), 69);
    assert_eq!(secs(&clock.sleeps.borrow()), vec![0, 1, 2]);
}

// ---------------------------------------------------------------------------------------------
// Session: cached access token, refresh, rotation persisted

#[test]
fn session_reuses_the_cached_token_until_five_minutes_before_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token.json");
    let standin = SignInStandIn::start();
    standin.default_answer(Answer::Success);
    let seeded_rt = standin.issue_refresh_token();
    let seeded_at = standin.issue_access_token();
    seed(
        &FileStore::new(&file),
        &seeded_rt,
        Some((&seeded_at, chrono::Duration::minutes(6))),
    );

    let s = settings(&standin, &file, &[]);
    let mut session = Session::open(&s.auth()).unwrap();
    assert_eq!(session.account(), Some(ACCOUNT));
    let at = rt().block_on(session.access_token(false)).unwrap();
    assert_eq!(at, seeded_at);
    assert!(
        standin.requests().is_empty(),
        "a fresh cached token needs no request"
    );

    // 4 minutes left: refresh, and the rotated refresh token is on disk.
    seed(
        &FileStore::new(&file),
        &seeded_rt,
        Some((&seeded_at, chrono::Duration::minutes(4))),
    );
    let mut session = Session::open(&s.auth()).unwrap();
    let at = rt().block_on(session.access_token(false)).unwrap();
    assert_eq!(Some(at.clone()), standin.latest_access_token());
    assert_ne!(at, seeded_at);
    let refreshes = standin.grants("refresh_token");
    assert_eq!(refreshes.len(), 1);
    let form = &refreshes[0].form;
    assert_eq!(form["refresh_token"], seeded_rt);
    assert_eq!(form["client_id"], CLIENT_ID);
    assert_eq!(
        form["scope"],
        "https://api.partner.microsoft.com/.default offline_access"
    );
    assert_eq!(refreshes[0].path, format!("/{TENANT}/oauth2/v2.0/token"));
    let stored = FileStore::new(&file).load().unwrap().unwrap();
    assert_eq!(
        Some(stored.refresh_token.secret().clone()),
        standin.latest_refresh_token()
    );
    assert_ne!(stored.refresh_token.secret(), &seeded_rt);
    assert_eq!(stored.access_token.unwrap().secret(), &at);

    // Now cached for an hour: reused, no request.
    let again = rt().block_on(session.access_token(false)).unwrap();
    assert_eq!(again, at);
    assert_eq!(standin.grants("refresh_token").len(), 1);

    // After a 401: refreshed regardless, with the rotated token.
    let forced = rt().block_on(session.access_token(true)).unwrap();
    assert_ne!(forced, at);
    let refreshes = standin.grants("refresh_token");
    assert_eq!(refreshes.len(), 2);
    assert_eq!(
        &refreshes[1].form["refresh_token"],
        stored.refresh_token.secret()
    );
}

#[test]
fn session_open_without_a_stored_token_is_77_and_makes_no_request() {
    let dir = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    let s = settings(&standin, &dir.path().join("token.json"), &[]);
    let e = Session::open(&s.auth()).unwrap_err();
    assert_eq!(e.exit_code(), 77);
    assert!(e.message.contains("run `hunter-pc login`"), "{}", e.message);
    assert!(standin.requests().is_empty());
}

#[test]
fn refresh_answered_invalid_grant_with_each_sign_in_code_is_77_with_the_login_hint() {
    for code in [700082, 70008, 70043, 50173, 50076, 50079, 50078] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token.json");
        let standin = SignInStandIn::start();
        standin.script([Answer::Error {
            status: 400,
            error: "invalid_grant",
            codes: vec![code],
        }]);
        seed(&FileStore::new(&file), &standin.issue_refresh_token(), None);
        let mut session = Session::open(&settings(&standin, &file, &[]).auth()).unwrap();
        let e = rt().block_on(session.access_token(false)).unwrap_err();
        assert_eq!(e.exit_code(), 77, "{code}: {}", e.message);
        assert!(e.message.contains("run `hunter-pc login`"), "{}", e.message);
        assert!(
            e.message.contains(&format!("AADSTS{code}")),
            "{}",
            e.message
        );
        assert_no_secret(&e.message, &standin);
    }
    // interaction_required with an unlisted code is 77 too.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token.json");
    let standin = SignInStandIn::start();
    standin.script([Answer::Error {
        status: 400,
        error: "interaction_required",
        codes: vec![1],
    }]);
    seed(&FileStore::new(&file), &standin.issue_refresh_token(), None);
    let mut session = Session::open(&settings(&standin, &file, &[]).auth()).unwrap();
    assert_eq!(
        rt().block_on(session.access_token(false))
            .unwrap_err()
            .exit_code(),
        77
    );
}

#[test]
fn refresh_transient_failures_are_retried_then_69() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token.json");
    let standin = SignInStandIn::start();
    standin.default_answer(Answer::Status(503));
    let rt0 = standin.issue_refresh_token();
    seed(&FileStore::new(&file), &rt0, None);
    let mut session = Session::open(&settings(&standin, &file, &[]).auth()).unwrap();
    let e = rt().block_on(session.access_token(false)).unwrap_err();
    assert_eq!(e.exit_code(), 69, "{}", e.message);
    // The stored token is untouched.
    let stored = FileStore::new(&file).load().unwrap().unwrap();
    assert_eq!(stored.refresh_token.secret(), &rt0);

    let standin = SignInStandIn::start();
    standin
        .script([Answer::Error {
            status: 400,
            error: "temporarily_unavailable",
            codes: vec![],
        }])
        .default_answer(Answer::Success);
    seed(&FileStore::new(&file), &standin.issue_refresh_token(), None);
    let s = settings(&standin, &file, &[("HUNTER_PC_MAX_RETRIES", "1")]);
    let mut session = Session::open(&s.auth()).unwrap();
    rt().block_on(session.access_token(false)).unwrap();
    assert_eq!(standin.grants("refresh_token").len(), 2);
}

// ---------------------------------------------------------------------------------------------
// login --refresh-token-stdin

#[test]
fn refresh_token_stdin_redeems_once_and_stores_the_rotated_token() {
    let home = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    standin.default_answer(Answer::Success);
    let given = standin.issue_refresh_token();
    let out = hunter_at(home.path(), &standin)
        .args(["-vv", "login", "--refresh-token-stdin"])
        .write_stdin(format!("{given}\n"))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains(&format!("Signed in as {ACCOUNT}.")), "{err}");
    let refreshes = standin.grants("refresh_token");
    assert_eq!(refreshes.len(), 1);
    assert_eq!(refreshes[0].form["refresh_token"], given);
    let stored = FileStore::new(default_token_file(home.path()))
        .load()
        .unwrap()
        .unwrap();
    assert_eq!(
        Some(stored.refresh_token.secret().clone()),
        standin.latest_refresh_token()
    );
    assert_ne!(stored.refresh_token.secret(), &given);
    assert_no_secret(&err, &standin);

    // A revoked one: 77 with the hint; nothing stored.
    let home = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    standin.script([Answer::Error {
        status: 400,
        error: "invalid_grant",
        codes: vec![700082],
    }]);
    let out = hunter_at(home.path(), &standin)
        .args(["login", "--refresh-token-stdin"])
        .write_stdin("RT-SECRET-old")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(77), "{}", stderr(&out));
    let line = last_stderr_line(&out);
    assert!(
        line.contains("AADSTS700082") && line.contains("run `hunter-pc login`"),
        "{line}"
    );
    assert!(!stderr(&out).contains("RT-SECRET-old"));
    assert!(!default_token_file(home.path()).exists());

    // Nothing on stdin: 66.
    let out = hunter_at(home.path(), &standin)
        .args(["login", "--refresh-token-stdin"])
        .write_stdin("  \n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(66), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------
// logout, the file store's modes, auto without a keyring

#[test]
fn logout_removes_the_file_store_and_says_so_and_is_0_with_nothing_stored() {
    let home = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    standin.script([Answer::Success]);
    let out = hunter_at(home.path(), &standin)
        .arg("login")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let file = default_token_file(home.path());
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);

    let out = hunter_at(home.path(), &standin)
        .arg("logout")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("Removed the stored token from the file store"),
        "{err}"
    );
    assert!(!file.exists());
    let reports = stdout_json(
        &hunter_at(home.path(), &standin)
            .args(["status", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(reports["auth"]["refresh_token"], false);

    let out = hunter_at(home.path(), &standin)
        .arg("logout")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("No stored token found"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn auto_without_a_keyring_falls_back_to_the_file_within_3_s_and_says_so() {
    let home = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    standin.script([Answer::Success]);
    // No D-Bus session at all (the environment is cleared), as under systemd.
    let started = Instant::now();
    let out = hunter_at(home.path(), &standin)
        .env("HUNTER_PC_TOKEN_STORE", "auto")
        .arg("login")
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    assert!(
        err.contains("OS keyring") && err.contains("storing the token in the file store"),
        "{err}"
    );
    assert!(err.contains("Token stored in the file store"), "{err}");
    assert!(default_token_file(home.path()).exists());
}

/// A D-Bus "session bus" that accepts connections and never answers: a keyring that hangs.
fn silent_bus(dir: &Path) -> (String, std::thread::JoinHandle<()>) {
    let path = dir.join("silent-bus");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let handle = std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().take(8) {
            match conn {
                Ok(c) => held.push(c),
                Err(_) => break,
            }
        }
    });
    (format!("unix:path={}", path.display()), handle)
}

#[test]
fn a_keyring_that_hangs_is_given_3_s_then_auto_uses_the_file_and_forced_keyring_is_78() {
    let home = tempfile::tempdir().unwrap();
    let (bus, _t) = silent_bus(home.path());
    let standin = SignInStandIn::start();
    standin.script([Answer::Success]);
    let started = Instant::now();
    let out = hunter_at(home.path(), &standin)
        .env("HUNTER_PC_TOKEN_STORE", "auto")
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .arg("login")
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("did not answer within 3 s"), "{err}");
    assert!(err.contains("Token stored in the file store"), "{err}");
    assert!(
        elapsed >= Duration::from_secs(3) && elapsed < Duration::from_secs(6),
        "{elapsed:?}"
    );

    let started = Instant::now();
    let out = hunter_at(home.path(), &standin)
        .env("HUNTER_PC_TOKEN_STORE", "keyring")
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .arg("login")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    let line = last_stderr_line(&out);
    assert!(
        line.contains("did not answer within 3 s") && line.contains("--token-store file"),
        "{line}"
    );
    assert!(started.elapsed() < Duration::from_secs(6));
    assert_eq!(
        standin.requests().len(),
        2,
        "the forced keyring is checked before any sign-in"
    );
}

// ---------------------------------------------------------------------------------------------
// No secret in stderr at -vv

#[test]
fn no_token_or_device_code_in_stderr_at_vv() {
    let home = tempfile::tempdir().unwrap();
    let standin = SignInStandIn::start();
    standin.script([Answer::Pending, Answer::Pending, Answer::Success]);
    let mut all = String::new();
    for log_format in ["json", "text"] {
        let _ = std::fs::remove_file(default_token_file(home.path()));
        let out = hunter_at(home.path(), &standin)
            .env("HUNTER_PC_LOG_FORMAT", log_format)
            .env("HUNTER_PC_TOKEN_STORE", "auto")
            .args(["-vv", "login"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        all.push_str(&stderr(&out));
        standin.script([Answer::Success]);
    }
    // The logs did say something at -vv (so the search means something).
    assert!(all.lines().count() > 5, "{all}");
    let out = hunter_at(home.path(), &standin)
        .args(["-vv", "status", "--json"])
        .output()
        .unwrap();
    all.push_str(&stderr(&out));
    all.push_str(&String::from_utf8_lossy(&out.stdout));
    let out = hunter_at(home.path(), &standin)
        .args(["-vv", "logout"])
        .output()
        .unwrap();
    all.push_str(&stderr(&out));
    assert_no_secret(&all, &standin);
}

// ---------------------------------------------------------------------------------------------
// Two processes refreshing at once through the file store

const REFRESHER_ENV: &str = "HUNTER_PC_TEST_REFRESHER";

/// Helper run as a child process by the test below: refresh `n` times through the file store.
#[test]
#[ignore = "run as a child process by two_processes_refreshing_at_once_never_break_the_file"]
fn refresher_process() {
    let Ok(spec) = std::env::var(REFRESHER_ENV) else {
        panic!("{REFRESHER_ENV} is not set: this helper runs only as a child process");
    };
    let mut parts = spec.splitn(3, '|');
    let (n, authority, file) = (
        parts.next().unwrap().parse::<usize>().unwrap(),
        parts.next().unwrap().to_string(),
        PathBuf::from(parts.next().unwrap()),
    );
    let env: HashMap<&str, String> = [
        ("HUNTER_PC_AUTHORITY_URL", authority),
        ("HUNTER_PC_TOKEN_STORE", "file".to_string()),
        ("HUNTER_PC_TOKEN_FILE", file.display().to_string()),
        ("HUNTER_PC_MAX_RETRIES", "0".to_string()),
    ]
    .into_iter()
    .collect();
    let s = Settings::load_with(&Flags::default(), &|k| env.get(k).cloned()).unwrap();
    let runtime = rt();
    for i in 0..n {
        let mut session = Session::open(&s.auth()).unwrap_or_else(|e| panic!("open #{i}: {e}"));
        runtime
            .block_on(session.access_token(true))
            .unwrap_or_else(|e| panic!("refresh #{i}: {e}"));
    }
    println!("REFRESHER-OK {n}");
}

#[test]
fn two_processes_refreshing_at_once_never_break_the_file() {
    const EACH: usize = 25;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state/token.json");
    let standin = SignInStandIn::start();
    // Only the latest refresh token is accepted, and access tokens are never fresh enough to
    // reuse: every call refreshes, and a refresh with a rotated-away token fails.
    standin
        .strict_rotation()
        .access_expires_in(60)
        .default_answer(Answer::Success);
    seed(&FileStore::new(&file), &standin.issue_refresh_token(), None);

    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            StdCommand::new(&exe)
                .args(["--ignored", "--exact", "refresher_process", "--nocapture"])
                .env(
                    REFRESHER_ENV,
                    format!("{EACH}|{}|{}", standin.url(), file.display()),
                )
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();

    // Meanwhile the file must always hold a valid, complete token.
    let store = FileStore::new(&file);
    let mut reads = 0;
    let issued_before_end = |rt: &str| standin.refresh_tokens().iter().any(|t| t == rt);
    let mut children = children;
    while children.iter_mut().any(|c| c.try_wait().unwrap().is_none()) {
        let token = store
            .load()
            .unwrap()
            .expect("the token file is never missing");
        assert!(
            issued_before_end(token.refresh_token.secret()),
            "an unknown refresh token"
        );
        reads += 1;
    }
    for c in children {
        let out = c.wait_with_output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert!(out.status.success(), "{text}");
        assert!(text.contains(&format!("REFRESHER-OK {EACH}")), "{text}");
    }
    assert!(reads > 10, "the file was read {reads} times only");
    assert_eq!(standin.grants("refresh_token").len(), 2 * EACH);
    assert_eq!(
        standin.stale_refresh_used(),
        0,
        "a process refreshed with a rotated-away token"
    );
    let last = store.load().unwrap().unwrap();
    assert_eq!(
        Some(last.refresh_token.secret().clone()),
        standin.latest_refresh_token()
    );
    // No temporary file left behind.
    let leftovers: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

// ---------------------------------------------------------------------------------------------
// The keyring for real: gnome-keyring under dbus-run-session

const KEYRING_ENV: &str = "HUNTER_PC_TEST_KEYRING_SESSION";

/// Runs inside `dbus-run-session`: unlock gnome-keyring with a test password, then login
/// (keyring), status from a second process, logout, status again.
#[test]
#[ignore = "run inside dbus-run-session by the_keyring_store_for_real"]
fn keyring_session() {
    let home =
        PathBuf::from(std::env::var(KEYRING_ENV).expect("run by the_keyring_store_for_real"));
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").expect("a D-Bus session");
    let mut daemon = StdCommand::new("gnome-keyring-daemon")
        .args(["--unlock", "--components=secrets"])
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .stdin(Stdio::piped())
        // Not pipes: the forked daemon outlives our reading end and would die of SIGPIPE.
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("gnome-keyring-daemon");
    {
        use std::io::Write;
        let mut stdin = daemon.stdin.take().unwrap();
        stdin.write_all(b"test-password").unwrap();
    }
    let started = daemon.wait_with_output().unwrap();
    assert!(
        started.status.success(),
        "gnome-keyring-daemon: {}",
        stderr(&started)
    );

    let standin = SignInStandIn::start();
    standin.script([Answer::Pending, Answer::Success]);
    let run = |args: &[&str]| {
        hunter_at(&home, &standin)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .env("HUNTER_PC_TOKEN_STORE", "keyring")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["-vv", "login"]);
    let mut logs = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{logs}");
    assert!(logs.contains("Token stored in the OS keyring"), "{logs}");
    assert!(
        !default_token_file(&home).exists(),
        "the keyring, not the file, holds the token"
    );

    // A second process reads it.
    let out = run(&["status", "--json"]);
    let report = stdout_json(&out);
    assert_eq!(report["auth"]["store"], "keyring", "{report}");
    assert_eq!(report["auth"]["account"], ACCOUNT);
    assert_eq!(report["auth"]["refresh_token"], true);

    // And a Session in this process refreshes through it.
    let file = default_token_file(&home);
    let s = settings(&standin, &file, &[("HUNTER_PC_TOKEN_STORE", "keyring")]);
    standin.default_answer(Answer::Success);
    let mut session = Session::open(&s.auth()).unwrap();
    assert_eq!(session.store().name(), "keyring");
    rt().block_on(session.access_token(true)).unwrap();
    let out = run(&["status", "--json"]);
    assert_eq!(stdout_json(&out)["auth"]["store"], "keyring");

    let out = run(&["-vv", "logout"]);
    logs.push_str(&stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Removed the stored token from the OS keyring"),
        "{}",
        stderr(&out)
    );
    let out = run(&["status", "--json"]);
    assert_eq!(stdout_json(&out)["auth"]["refresh_token"], false);
    assert_no_secret(&logs, &standin);
    println!("KEYRING-SESSION-OK");
}

#[test]
fn the_keyring_store_for_real() {
    use support::require::have;
    let test = "the_keyring_store_for_real";
    if !support::require::require(
        have("gnome-keyring-daemon"),
        test,
        "gnome-keyring-daemon is not installed (apt-get install gnome-keyring)",
    ) || !support::require::require(
        have("dbus-run-session"),
        test,
        "dbus-run-session is not installed (apt-get install dbus)",
    ) {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let out = StdCommand::new("dbus-run-session")
        .arg("--")
        .arg(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "keyring_session", "--nocapture"])
        .env(KEYRING_ENV, home.path())
        .output()
        .expect("dbus-run-session (package dbus)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("KEYRING-SESSION-OK"), "{text}");
}
