//! The Microsoft identity platform v2 endpoints, one request at a time, and what an answer
//! means (partner-center.md, "Microsoft sign-in").
//!
//! The `oauth2` crate builds the device-authorization and refresh requests and parses the
//! success answers. Every non-200 answer is handed back raw by [`SignInHttp`] so that
//! [`classify`] sees the HTTP status and Microsoft's `error_codes`, which the crate drops.
//! The device-code poll is driven by `device.rs`, not the crate (its poll retries network
//! errors until the code expires).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, Client, ClientId, DeviceAuthorizationUrl, DeviceCode, EndpointNotSet, EndpointSet,
    ExtraDeviceAuthorizationFields, ExtraTokenFields, RefreshToken, RequestTokenError, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{Error, Result};

use super::clock::{Clock, backoff};
use super::token::{StoredToken, account_from_jwt};

// ---------------------------------------------------------------------------------------------
// Rule tables: what an error answer means

/// AADSTS codes that mean the app registration or the tenant is set up wrong: exit 78, with
/// the fix. `{client_id}` and `{tenant}` are filled in.
pub const CONFIGURATION_CODES: &[(u64, &str)] = &[
    (
        7000218,
        "the app registration {client_id} does not allow public client flows: in Entra ID, \
         App registrations, Authentication, set \"Allow public client flows\" to Yes",
    ),
    (
        700016,
        "application {client_id} was not found in tenant {tenant}: check HUNTER_PC_CLIENT_ID \
         (--client-id) and HUNTER_PC_TENANT_ID (--tenant)",
    ),
    (
        90002,
        "tenant {tenant} was not found: check HUNTER_PC_TENANT_ID (--tenant)",
    ),
    (
        65001,
        "admin consent is missing for app registration {client_id}: a tenant admin must grant \
         admin consent for its Microsoft Partner (delegated) permission",
    ),
    (
        50194,
        "app registration {client_id} is single-tenant and cannot sign in through \
         {tenant}: set HUNTER_PC_TENANT_ID (--tenant) to your tenant id",
    ),
    (
        53003,
        "Conditional Access blocks this sign-in: the tenant admin must allow the device code \
         flow for this user and app (or sign in with --refresh-token-stdin from an allowed \
         device)",
    ),
];

/// AADSTS codes that end the stored sign-in: exit 77, run `hunter-pc login`.
pub const SIGN_IN_CODES: &[(u64, &str)] = &[
    (
        700082,
        "the refresh token expired after 90 days without use",
    ),
    (70008, "the refresh token expired from inactivity"),
    (
        70043,
        "the tenant's sign-in frequency policy requires a new sign-in",
    ),
    (
        50173,
        "the sign-in was revoked (password change or administrator action)",
    ),
    (50076, "multi-factor authentication is now required"),
    (
        50079,
        "multi-factor authentication registration is required",
    ),
    (50078, "the multi-factor authentication has expired"),
];

/// What one device-poll `error` value means (RFC 8628 §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PollError {
    Pending,
    SlowDown,
    Stop(&'static str),
}

/// Device-poll `error` values, in one place.
const POLL_ERRORS: &[(&str, PollError)] = &[
    ("authorization_pending", PollError::Pending),
    ("slow_down", PollError::SlowDown),
    (
        "authorization_declined",
        PollError::Stop("the sign-in was declined at Microsoft's page"),
    ),
    (
        "access_denied",
        PollError::Stop("the sign-in was declined at Microsoft's page"),
    ),
    (
        "bad_verification_code",
        PollError::Stop("Microsoft did not recognise the device code"),
    ),
    (
        "expired_token",
        PollError::Stop("the sign-in code expired before the sign-in was finished"),
    ),
];

/// `error` values that end a sign-in whatever the code (77).
const SIGN_IN_ENDED_ERRORS: &[&str] = &["invalid_grant", "interaction_required"];

/// What the caller does with an answer that is not a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `authorization_pending`: the person has not finished yet; poll again after the interval.
    Pending,
    /// `slow_down`: add 5 s to the interval, for good.
    SlowDown,
    /// Retry later (`temporarily_unavailable`, 5xx, 429, timeouts, connection errors).
    Transient(String),
    /// The answer ends this attempt; the error says why and what to do.
    Stop(Error),
}

/// The JSON of an error answer. `error_description` is deliberately not read: decisions are
/// made on `error` and `error_codes` only.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorAnswer {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub error_codes: Vec<u64>,
    #[serde(default)]
    pub trace_id: Option<String>,
    #[serde(default)]
    pub correlation_id: Option<String>,
}

impl ErrorAnswer {
    /// `(error invalid_grant, AADSTS700082; trace_id …; correlation_id …)` for the error line.
    fn detail(&self) -> String {
        let mut parts = Vec::new();
        let mut head = Vec::new();
        if !self.error.is_empty() {
            head.push(format!("error {}", self.error));
        }
        if !self.error_codes.is_empty() {
            let codes: Vec<String> = self
                .error_codes
                .iter()
                .map(|c| format!("AADSTS{c}"))
                .collect();
            head.push(codes.join(", "));
        }
        if !head.is_empty() {
            parts.push(head.join(", "));
        }
        if let Some(t) = self.trace_id.as_deref().filter(|t| !t.is_empty()) {
            parts.push(format!("trace_id {t}"));
        }
        if let Some(c) = self.correlation_id.as_deref().filter(|c| !c.is_empty()) {
            parts.push(format!("correlation_id {c}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join("; "))
        }
    }
}

/// The app registration and tenant a request is for, to fill in the fixes.
#[derive(Debug, Clone)]
pub struct Ids {
    pub client_id: String,
    pub tenant: String,
}

/// Decide on a non-200 answer, in the order partner-center.md gives: a known code in
/// `error_codes` (configuration → 78, sign-in → 77); else `error` (device-poll values,
/// `invalid_grant`/`interaction_required` → 77, `temporarily_unavailable` → retry); else the
/// HTTP status (5xx and 429 → retry, other → 1).
pub fn classify(status: u16, body: &[u8], ids: &Ids) -> Outcome {
    let answer: Option<ErrorAnswer> = serde_json::from_slice(body).ok();
    let answer = answer.unwrap_or_default();
    let detail = answer.detail();
    for code in &answer.error_codes {
        if let Some((_, fix)) = CONFIGURATION_CODES.iter().find(|(c, _)| c == code) {
            let fix = fix
                .replace("{client_id}", &ids.client_id)
                .replace("{tenant}", &ids.tenant);
            return Outcome::Stop(Error::config(format!("{fix}{detail}")));
        }
    }
    for code in &answer.error_codes {
        if let Some((_, why)) = SIGN_IN_CODES.iter().find(|(c, _)| c == code) {
            return Outcome::Stop(sign_in_ended(why, &detail));
        }
    }
    let error = answer.error.as_str();
    if let Some((_, meaning)) = POLL_ERRORS.iter().find(|(e, _)| *e == error) {
        return match meaning {
            PollError::Pending => Outcome::Pending,
            PollError::SlowDown => Outcome::SlowDown,
            PollError::Stop(why) => Outcome::Stop(Error::no_perm(format!(
                "{why}{detail}; run `hunter-pc login` again"
            ))),
        };
    }
    if SIGN_IN_ENDED_ERRORS.contains(&error) {
        return Outcome::Stop(sign_in_ended("Microsoft refused the sign-in", &detail));
    }
    if error == "temporarily_unavailable" || status >= 500 || status == 429 {
        return Outcome::Transient(format!("HTTP {status}{detail}"));
    }
    Outcome::Stop(Error::failure(format!(
        "the sign-in service answered HTTP {status}{detail}"
    )))
}

fn sign_in_ended(why: &str, detail: &str) -> Error {
    Error::no_perm(format!("{why}{detail}; run `hunter-pc login`"))
}

// ---------------------------------------------------------------------------------------------
// HTTP

/// Why a request got no token.
#[derive(Debug)]
pub enum HttpFailure {
    /// The request did not complete (connect error, timeout, broken answer).
    Transport(String),
    /// The server answered, but not 200.
    Answer { status: u16, body: Vec<u8> },
}

impl fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpFailure::Transport(why) => f.write_str(why),
            HttpFailure::Answer { status, .. } => write!(f, "HTTP {status}"),
        }
    }
}

impl std::error::Error for HttpFailure {}

/// The reqwest client for the sign-in service: a per-request timeout, no redirects.
#[derive(Debug, Clone)]
pub struct SignInHttp {
    client: reqwest::Client,
    timeout: Duration,
}

impl SignInHttp {
    pub fn new(timeout: Duration) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("hunter-pc/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::failure(format!("cannot set up the HTTP client: {e}")))?;
        Ok(SignInHttp { client, timeout })
    }

    fn transport(&self, e: reqwest::Error) -> HttpFailure {
        let why = if e.is_timeout() {
            format!("no answer within {} s", self.timeout.as_secs())
        } else if e.is_connect() {
            "cannot connect".to_string()
        } else {
            "the connection failed".to_string()
        };
        let url = e.url().map(|u| format!(" from {u}")).unwrap_or_default();
        HttpFailure::Transport(format!("{why}{url}"))
    }

    /// Send one request; the status and the whole body.
    async fn send(&self, request: reqwest::Request) -> Result<(u16, Vec<u8>), HttpFailure> {
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| self.transport(e))?;
        Ok((status, body.to_vec()))
    }
}

/// The `oauth2` crate sends through this: a 200 goes back to the crate to parse, anything
/// else comes back raw as [`HttpFailure::Answer`].
impl<'c> oauth2::AsyncHttpClient<'c> for SignInHttp {
    type Error = HttpFailure;
    type Future = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, HttpFailure>> + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request: reqwest::Request = request
                .try_into()
                .map_err(|e| HttpFailure::Transport(format!("cannot build the request: {e}")))?;
            let (status, body) = self.send(request).await?;
            if status != 200 {
                return Err(HttpFailure::Answer { status, body });
            }
            oauth2::http::Response::builder()
                .status(200)
                .body(body)
                .map_err(|e| HttpFailure::Transport(e.to_string()))
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Requests

/// The `id_token` Microsoft adds when `openid` is asked. `Debug` does not show it.
#[derive(Clone, Default, Deserialize, Serialize)]
pub struct IdToken {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl fmt::Debug for IdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IdToken({})",
            if self.id_token.is_some() {
                "[redacted]"
            } else {
                "none"
            }
        )
    }
}

impl ExtraTokenFields for IdToken {}

/// A token endpoint success answer.
pub type TokenAnswer = StandardTokenResponse<IdToken, BasicTokenType>;

/// Microsoft's `message` in the device authorization answer (shown as given).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Message {
    #[serde(default)]
    pub message: Option<String>,
}

impl ExtraDeviceAuthorizationFields for Message {}

/// The device authorization answer: device and user codes, URL, `expires_in`, `interval`.
pub type DeviceAuthorization = oauth2::DeviceAuthorizationResponse<Message>;

type MsClient = Client<
    BasicErrorResponse,
    TokenAnswer,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// One app registration in one tenant, at one authority.
#[derive(Debug, Clone)]
pub struct SignIn {
    http: SignInHttp,
    oauth: MsClient,
    token_url: Url,
    scopes: Vec<Scope>,
    pub ids: Ids,
}

/// `{authority}/{tenant}/oauth2/v2.0/{endpoint}`.
fn endpoint(authority: &Url, tenant: &str, name: &str) -> Result<Url> {
    let base = authority.as_str().trim_end_matches('/');
    Url::parse(&format!("{base}/{tenant}/oauth2/v2.0/{name}")).map_err(|e| {
        Error::config(format!(
            "HUNTER_PC_AUTHORITY_URL and HUNTER_PC_TENANT_ID do not make a valid URL: {e}"
        ))
    })
}

impl SignIn {
    /// Set up the client; no request is made.
    pub fn new(
        authority: &Url,
        tenant: &str,
        client_id: &str,
        scope: &str,
        timeout: Duration,
    ) -> Result<SignIn> {
        let token_url = endpoint(authority, tenant, "token")?;
        let device_url = endpoint(authority, tenant, "devicecode")?;
        let oauth = Client::new(ClientId::new(client_id.to_string()))
            .set_auth_type(AuthType::RequestBody)
            .set_device_authorization_url(DeviceAuthorizationUrl::from_url(device_url))
            .set_token_uri(TokenUrl::from_url(token_url.clone()));
        Ok(SignIn {
            http: SignInHttp::new(timeout)?,
            oauth,
            token_url,
            scopes: scope
                .split_whitespace()
                .map(|s| Scope::new(s.to_string()))
                .collect(),
            ids: Ids {
                client_id: client_id.to_string(),
                tenant: tenant.to_string(),
            },
        })
    }

    fn outcome(&self, e: RequestTokenError<HttpFailure, BasicErrorResponse>) -> Outcome {
        match e {
            RequestTokenError::Request(HttpFailure::Answer { status, body }) => {
                classify(status, &body, &self.ids)
            }
            RequestTokenError::Request(HttpFailure::Transport(why)) => Outcome::Transient(why),
            // The body is not shown: a half token is still a secret.
            RequestTokenError::Parse(e, _) => Outcome::Stop(Error::failure(format!(
                "the sign-in service sent an answer that is not what OAuth prescribes ({})",
                e.path()
            ))),
            RequestTokenError::ServerResponse(_) | RequestTokenError::Other(_) => Outcome::Stop(
                Error::failure("the sign-in service sent an unexpected answer"),
            ),
        }
    }

    /// `POST …/devicecode` (`client_id`, `scope`).
    pub async fn device_authorization(&self) -> Result<DeviceAuthorization, Outcome> {
        self.oauth
            .exchange_device_code()
            .add_scopes(self.scopes.clone())
            .request_async(&self.http)
            .await
            .map_err(|e| self.outcome(e))
    }

    /// One device-code poll: `POST …/token`, `grant_type=urn:ietf:params:oauth:grant-type:device_code`.
    pub async fn redeem_device_code(&self, code: &DeviceCode) -> Result<TokenAnswer, Outcome> {
        let form = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", self.ids.client_id.as_str()),
            ("device_code", code.secret().as_str()),
        ];
        let request = self
            .http
            .client
            .post(self.token_url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form)
            .build()
            .map_err(|e| Outcome::Stop(Error::failure(format!("cannot build the request: {e}"))))?;
        let (status, body) = self
            .http
            .send(request)
            .await
            .map_err(|e| Outcome::Transient(e.to_string()))?;
        if status != 200 {
            return Err(classify(status, &body, &self.ids));
        }
        serde_json::from_slice(&body).map_err(|e| {
            Outcome::Stop(Error::failure(format!(
                "the sign-in service sent a token answer that cannot be read (line {}, column {})",
                e.line(),
                e.column()
            )))
        })
    }

    /// One refresh: `POST …/token`, `grant_type=refresh_token`, `client_id`, `refresh_token`, `scope`.
    pub async fn refresh(&self, refresh_token: &RefreshToken) -> Result<TokenAnswer, Outcome> {
        self.oauth
            .exchange_refresh_token(refresh_token)
            .add_scopes(self.scopes.clone())
            .request_async(&self.http)
            .await
            .map_err(|e| self.outcome(e))
    }
}

/// Run `attempt` until it gives an answer: transient failures are retried `max_retries`
/// times with [`backoff`], then exit 69. `what` names the step for the error line.
pub async fn with_retries<T, C, F, Fut>(
    clock: &C,
    max_retries: u32,
    what: &str,
    mut attempt: F,
) -> Result<T>
where
    C: Clock,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Outcome>>,
{
    let mut failures = 0;
    loop {
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(Outcome::Stop(e)) => return Err(e.context(what)),
            Err(Outcome::Transient(why)) => {
                failures += 1;
                if failures > max_retries {
                    return Err(unreachable(what, &why, failures));
                }
                tracing::warn!(attempt = failures, "{what}: {why}; retrying");
                clock.sleep(backoff(failures)).await;
            }
            Err(Outcome::Pending | Outcome::SlowDown) => {
                return Err(Error::failure(format!(
                    "{what}: the sign-in service answered as if polled for a device code"
                )));
            }
        }
    }
}

/// Exit 69: the sign-in service did not answer usefully after the retries.
pub fn unreachable(what: &str, why: &str, attempts: u32) -> Error {
    Error::unavailable(format!(
        "{what}: the Microsoft sign-in service is unavailable ({why}; {attempts} attempts); \
         try again later"
    ))
}

/// The token to store from a success answer. The refresh token is the rotated one; when the
/// answer has none, `previous` is kept (a login without one is a configuration error).
pub fn to_stored(
    answer: &TokenAnswer,
    ids: &Ids,
    previous: Option<&StoredToken>,
    now: DateTime<Utc>,
) -> Result<StoredToken> {
    let refresh_token = match (answer.refresh_token(), previous) {
        (Some(rt), _) => rt.clone(),
        (None, Some(p)) => p.refresh_token.clone(),
        (None, None) => {
            return Err(Error::config(
                "Microsoft sent no refresh token: add offline_access to HUNTER_PC_SCOPE",
            ));
        }
    };
    let account = answer
        .extra_fields()
        .id_token
        .as_deref()
        .and_then(account_from_jwt)
        .or_else(|| account_from_jwt(answer.access_token().secret()))
        .or_else(|| previous.and_then(|p| p.account.clone()));
    let expires_at = answer
        .expires_in()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .map(|d| now + d);
    Ok(StoredToken {
        refresh_token,
        access_token: Some(answer.access_token().clone()),
        access_token_expires_at: expires_at,
        account,
        tenant_id: ids.tenant.clone(),
        client_id: ids.client_id.clone(),
        saved_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Ids {
        Ids {
            client_id: "app-1".into(),
            tenant: "contoso".into(),
        }
    }

    fn stop_code(o: Outcome) -> (i32, String) {
        match o {
            Outcome::Stop(e) => (e.exit_code(), e.message),
            other => panic!("expected a stop, got {other:?}"),
        }
    }

    #[test]
    fn error_codes_come_before_the_error_value() {
        let body = br#"{"error":"invalid_grant","error_codes":[7000218],"trace_id":"t1"}"#;
        let (code, msg) = stop_code(classify(400, body, &ids()));
        assert_eq!(code, 78);
        assert!(
            msg.contains("Allow public client flows") && msg.contains("app-1"),
            "{msg}"
        );
        assert!(
            msg.contains("AADSTS7000218") && msg.contains("trace_id t1"),
            "{msg}"
        );
        // A sign-in code makes even a pending answer a stop.
        let body = br#"{"error":"authorization_pending","error_codes":[50173]}"#;
        assert_eq!(stop_code(classify(400, body, &ids())).0, 77);
    }

    #[test]
    fn every_table_code_has_its_exit() {
        for (c, _) in CONFIGURATION_CODES {
            let body = format!(r#"{{"error":"invalid_request","error_codes":[{c}]}}"#);
            assert_eq!(
                stop_code(classify(400, body.as_bytes(), &ids())).0,
                78,
                "{c}"
            );
        }
        for (c, _) in SIGN_IN_CODES {
            let body = format!(r#"{{"error":"invalid_grant","error_codes":[{c}]}}"#);
            let (code, msg) = stop_code(classify(400, body.as_bytes(), &ids()));
            assert_eq!(code, 77, "{c}");
            assert!(msg.contains("run `hunter-pc login`"), "{msg}");
        }
    }

    #[test]
    fn then_error_then_status() {
        let pending = br#"{"error":"authorization_pending","error_codes":[70016]}"#;
        assert_eq!(classify(400, pending, &ids()), Outcome::Pending);
        assert_eq!(
            classify(400, br#"{"error":"slow_down"}"#, &ids()),
            Outcome::SlowDown
        );
        let grant = br#"{"error":"invalid_grant","error_codes":[1]}"#;
        assert_eq!(stop_code(classify(400, grant, &ids())).0, 77);
        let busy = br#"{"error":"temporarily_unavailable"}"#;
        assert!(matches!(classify(400, busy, &ids()), Outcome::Transient(_)));
        assert!(matches!(
            classify(502, b"<html>", &ids()),
            Outcome::Transient(_)
        ));
        assert_eq!(stop_code(classify(404, b"nope", &ids())).0, 1);
        // The description is never read.
        let described = br#"{"error":"x","error_description":"AADSTS700082 invalid_grant"}"#;
        assert_eq!(stop_code(classify(400, described, &ids())).0, 1);
    }
}
