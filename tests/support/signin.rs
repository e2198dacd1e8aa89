//! The Microsoft sign-in stand-in: real HTTP on loopback (axum, an ephemeral port) serving
//! `/{tenant}/oauth2/v2.0/devicecode` and `/{tenant}/oauth2/v2.0/token` with scripted answers,
//! as partner-center.md ("Stand-ins for tests") describes. It records every request.
//!
//! Token answers are taken from a script in order; when the script is empty the default
//! answer is used. A success issues a new access token (a JWT whose claims name the account)
//! and a new refresh token; with `strict_rotation` only the latest refresh token is accepted.
//! Every secret it hands out carries the word `SECRET`, so tests can search output for them.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;

/// One scripted answer of the token (or device code) endpoint.
#[derive(Debug, Clone)]
pub enum Answer {
    Pending,
    SlowDown,
    Declined,
    AccessDenied,
    Expired,
    BadCode,
    /// A token: for the device grant, the device code must match; for the refresh grant, the
    /// refresh token must be one it issued (the latest, under strict rotation).
    Success,
    /// An OAuth error answer with Microsoft's `error_codes`.
    Error {
        status: u16,
        error: &'static str,
        codes: Vec<u64>,
    },
    /// A bare HTTP status with an HTML body (a proxy's 500, a 503 page).
    Status(u16),
    /// The inner answer after a delay.
    Slow(Duration, Box<Answer>),
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub form: BTreeMap<String, String>,
}

#[derive(Debug)]
struct Script {
    device_interval: u64,
    device_expires_in: u64,
    device_message: bool,
    device_answer: Option<Answer>,
    token_script: VecDeque<Answer>,
    default_answer: Answer,
    access_expires_in: u64,
    account: String,
    id_token_account: Option<String>,
    strict_rotation: bool,
    device_codes: Vec<String>,
    refresh_tokens: Vec<String>,
    access_tokens: Vec<String>,
    stale_refresh_used: usize,
    requests: Vec<Recorded>,
}

type Shared = Arc<Mutex<Script>>;

/// A running stand-in; stops when dropped.
pub struct SignInStandIn {
    pub addr: SocketAddr,
    shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

pub const USER_CODE: &str = "BK7D-QX2F";
pub const VERIFICATION_URI: &str = "https://microsoft.com/devicelogin";
pub const ACCOUNT: &str = "ayse.demir@contoso.example";

impl SignInStandIn {
    /// Start on 127.0.0.1, an ephemeral port. Defaults: interval 0, expires_in 900, with a
    /// `message`, access tokens for 3600 s, token answers `Pending` once the script is empty.
    pub fn start() -> SignInStandIn {
        let shared = Arc::new(Mutex::new(Script {
            device_interval: 0,
            device_expires_in: 900,
            device_message: true,
            device_answer: None,
            token_script: VecDeque::new(),
            default_answer: Answer::Pending,
            access_expires_in: 3600,
            account: ACCOUNT.to_string(),
            id_token_account: None,
            strict_rotation: false,
            device_codes: Vec::new(),
            refresh_tokens: Vec::new(),
            access_tokens: Vec::new(),
            stale_refresh_used: 0,
            requests: Vec::new(),
        }));
        let app = Router::new()
            .route("/{tenant}/oauth2/v2.0/devicecode", post(devicecode))
            .route("/{tenant}/oauth2/v2.0/token", post(token))
            .with_state(shared.clone());
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("stand-in runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stop_rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = addr_rx.recv().expect("stand-in address");
        SignInStandIn {
            addr,
            shared,
            stop: Some(stop_tx),
        }
    }

    /// `HUNTER_PC_AUTHORITY_URL` for the binary.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Script) -> T) -> T {
        f(&mut self.shared.lock().unwrap())
    }

    /// Answers of the token endpoint, in order.
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) -> &Self {
        self.with(|s| s.token_script.extend(answers));
        self
    }
    /// The token endpoint's answer once the script is used up.
    pub fn default_answer(&self, a: Answer) -> &Self {
        self.with(|s| s.default_answer = a);
        self
    }
    /// The device code endpoint answers this instead of a code.
    pub fn device_answer(&self, a: Answer) -> &Self {
        self.with(|s| s.device_answer = Some(a));
        self
    }
    pub fn device_timing(&self, interval: u64, expires_in: u64) -> &Self {
        self.with(|s| {
            s.device_interval = interval;
            s.device_expires_in = expires_in;
        });
        self
    }
    pub fn without_message(&self) -> &Self {
        self.with(|s| s.device_message = false);
        self
    }
    pub fn access_expires_in(&self, secs: u64) -> &Self {
        self.with(|s| s.access_expires_in = secs);
        self
    }
    /// Add an `id_token` naming this account (as when `openid` is asked).
    pub fn id_token_account(&self, account: &str) -> &Self {
        self.with(|s| s.id_token_account = Some(account.to_string()));
        self
    }
    /// Accept only the latest refresh token (a reused, rotated-away one gets `invalid_grant`).
    pub fn strict_rotation(&self) -> &Self {
        self.with(|s| s.strict_rotation = true);
        self
    }

    /// Issue a valid refresh token (as a past sign-in would have), for seeding a store.
    pub fn issue_refresh_token(&self) -> String {
        self.with(new_refresh_token)
    }
    /// Issue a valid access token.
    pub fn issue_access_token(&self) -> String {
        self.with(new_access_token)
    }
    pub fn latest_refresh_token(&self) -> Option<String> {
        self.with(|s| s.refresh_tokens.last().cloned())
    }
    pub fn latest_access_token(&self) -> Option<String> {
        self.with(|s| s.access_tokens.last().cloned())
    }
    pub fn refresh_tokens(&self) -> Vec<String> {
        self.with(|s| s.refresh_tokens.clone())
    }
    /// How many refresh requests came with a refresh token that was no longer the latest.
    pub fn stale_refresh_used(&self) -> usize {
        self.with(|s| s.stale_refresh_used)
    }
    pub fn requests(&self) -> Vec<Recorded> {
        self.with(|s| s.requests.clone())
    }
    /// Requests to the token endpoint with this grant type.
    pub fn grants(&self, grant_type: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.form.get("grant_type").map(String::as_str) == Some(grant_type))
            .collect()
    }
    /// Every secret handed out: device codes, refresh tokens, access tokens and the signature
    /// part of each access token.
    pub fn secrets(&self) -> Vec<String> {
        self.with(|s| {
            let mut all = s.device_codes.clone();
            all.extend(s.refresh_tokens.iter().cloned());
            for at in &s.access_tokens {
                all.push(at.clone());
                if let Some(sig) = at.rsplit('.').next() {
                    all.push(sig.to_string());
                }
            }
            all
        })
    }
}

impl Drop for SignInStandIn {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn new_refresh_token(s: &mut Script) -> String {
    let rt = format!("RT-SECRET-{}-{}", s.refresh_tokens.len() + 1, unique());
    s.refresh_tokens.push(rt.clone());
    rt
}

fn new_access_token(s: &mut Script) -> String {
    let header = b64url(br#"{"alg":"none","typ":"JWT"}"#);
    let claims =
        json!({"upn": s.account, "unique_name": s.account, "n": s.access_tokens.len() + 1});
    let payload = b64url(claims.to_string().as_bytes());
    let at = format!("{header}.{payload}.AT-SECRET-{}", unique());
    s.access_tokens.push(at.clone());
    at
}

fn id_token(account: &str) -> String {
    let header = b64url(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64url(
        json!({"preferred_username": account, "name": "Test"})
            .to_string()
            .as_bytes(),
    );
    format!("{header}.{payload}.")
}

/// Base64url without padding.
pub fn b64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn oauth_error(status: u16, error: &str, codes: &[u64]) -> Response {
    let body = json!({
        "error": error,
        // Text that would mislead a client matching on descriptions.
        "error_description": "AADSTS700082: misleading description; do not match on it",
        "error_codes": codes,
        "timestamp": "2026-12-01 10:00:00Z",
        "trace_id": "0f1e2d3c-trace",
        "correlation_id": "4b5a6978-corr",
    });
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        axum::Json(body),
    )
        .into_response()
}

fn record(s: &mut Script, path: String, form: &HashMap<String, String>) {
    s.requests.push(Recorded {
        path,
        form: form.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    });
}

async fn devicecode(
    State(shared): State<Shared>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (answer, body) = {
        let mut s = shared.lock().unwrap();
        record(&mut s, format!("/{tenant}/oauth2/v2.0/devicecode"), &form);
        let code = format!("DEVICE-SECRET-{}", unique());
        s.device_codes.push(code.clone());
        let mut body = json!({
            "device_code": code,
            "user_code": USER_CODE,
            "verification_uri": VERIFICATION_URI,
            "expires_in": s.device_expires_in,
            "interval": s.device_interval,
        });
        if s.device_message {
            body["message"] = json!(format!(
                "To sign in, use a web browser to open the page {VERIFICATION_URI} and enter \
                 the code {USER_CODE} to authenticate."
            ));
        }
        (s.device_answer.clone(), body)
    };
    match answer {
        None => axum::Json(body).into_response(),
        Some(a) => respond(shared, a, &form).await,
    }
}

async fn token(
    State(shared): State<Shared>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let answer = {
        let mut s = shared.lock().unwrap();
        record(&mut s, format!("/{tenant}/oauth2/v2.0/token"), &form);
        let next = s.token_script.pop_front();
        next.unwrap_or_else(|| s.default_answer.clone())
    };
    respond(shared, answer, &form).await
}

fn respond(
    shared: Shared,
    answer: Answer,
    form: &HashMap<String, String>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send + '_>> {
    Box::pin(async move {
        match answer {
            Answer::Slow(d, inner) => {
                tokio::time::sleep(d).await;
                respond(shared, *inner, form).await
            }
            Answer::Pending => oauth_error(400, "authorization_pending", &[70016]),
            Answer::SlowDown => oauth_error(400, "slow_down", &[70016]),
            Answer::Declined => oauth_error(400, "authorization_declined", &[70000]),
            Answer::AccessDenied => oauth_error(400, "access_denied", &[70000]),
            Answer::Expired => oauth_error(400, "expired_token", &[70020]),
            Answer::BadCode => oauth_error(400, "bad_verification_code", &[70019]),
            Answer::Error {
                status,
                error,
                codes,
            } => oauth_error(status, error, &codes),
            Answer::Status(status) => (
                StatusCode::from_u16(status).unwrap(),
                "<html><body>Service Unavailable</body></html>",
            )
                .into_response(),
            Answer::Success => success(&shared, form),
        }
    })
}

fn success(shared: &Shared, form: &HashMap<String, String>) -> Response {
    let mut s = shared.lock().unwrap();
    match form.get("grant_type").map(String::as_str) {
        Some("urn:ietf:params:oauth:grant-type:device_code") => {
            let known = form
                .get("device_code")
                .is_some_and(|c| s.device_codes.contains(c));
            if !known {
                return oauth_error(400, "bad_verification_code", &[70019]);
            }
        }
        Some("refresh_token") => {
            let given = form.get("refresh_token").cloned().unwrap_or_default();
            let latest = s.refresh_tokens.last() == Some(&given);
            if !latest && s.refresh_tokens.contains(&given) {
                s.stale_refresh_used += 1;
            }
            let accepted = if s.strict_rotation {
                latest
            } else {
                s.refresh_tokens.contains(&given)
            };
            if !accepted {
                return oauth_error(400, "invalid_grant", &[70000]);
            }
        }
        _ => return oauth_error(400, "unsupported_grant_type", &[70003]),
    }
    let access = new_access_token(&mut s);
    let refresh = new_refresh_token(&mut s);
    let mut body = json!({
        "token_type": "Bearer",
        "scope": "https://api.partner.microsoft.com/user_impersonation",
        "expires_in": s.access_expires_in,
        "ext_expires_in": s.access_expires_in,
        "access_token": access,
        "refresh_token": refresh,
    });
    if let Some(acc) = &s.id_token_account {
        body["id_token"] = json!(id_token(acc));
    }
    axum::Json(body).into_response()
}
