//! What a token store holds, and the account name read from a token's claims.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use oauth2::{AccessToken, RefreshToken};
use serde::{Deserialize, Serialize};

/// The sign-in as stored: refresh token, cached access token and its expiry, who signed in,
/// and for which tenant and app registration. `Debug` never shows the tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredToken {
    pub refresh_token: RefreshToken,
    #[serde(default)]
    pub access_token: Option<AccessToken>,
    #[serde(default)]
    pub access_token_expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub account: Option<String>,
    pub tenant_id: String,
    pub client_id: String,
    /// When this token was written; the newest wins when both stores hold one.
    pub saved_at: DateTime<Utc>,
}

/// A cached access token is reused until this long before it expires.
pub const REUSE_MARGIN: ChronoDuration = ChronoDuration::minutes(5);

impl StoredToken {
    /// The cached access token, when it is good for at least [`REUSE_MARGIN`] more.
    pub fn fresh_access_token(&self, now: DateTime<Utc>) -> Option<&AccessToken> {
        let at = self.access_token.as_ref()?;
        let expires = self.access_token_expires_at?;
        (expires - REUSE_MARGIN > now).then_some(at)
    }
}

/// The claims that name the signed-in account, in order of preference.
const ACCOUNT_CLAIMS: [&str; 5] = ["preferred_username", "upn", "unique_name", "email", "name"];

/// The account name in a JWT's claims (an id token or a Microsoft access token), if any.
/// The signature is not checked: the name is only shown to the operator.
pub fn account_from_jwt(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64url_decode(payload)?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    ACCOUNT_CLAIMS.iter().find_map(|c| {
        claims
            .get(*c)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    })
}

/// Base64url (RFC 4648 §5), as JWT segments are encoded; trailing `=` padding is tolerated.
/// `None` for anything that is not base64url.
fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_known_values() {
        assert_eq!(base64url_decode("aGk").unwrap(), b"hi");
        assert_eq!(base64url_decode("aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64url_decode("-_8").unwrap(), [0xfb, 0xff]);
        assert!(base64url_decode("a").is_none());
        assert!(base64url_decode("a*b").is_none());
        assert_eq!(base64url_decode("aGk=").unwrap(), b"hi");
        assert!(
            base64url_decode("+/8").is_none(),
            "the standard alphabet is not base64url"
        );
    }

    #[test]
    fn account_comes_from_the_preferred_claim() {
        // {"upn":"u@x.io","preferred_username":"p@x.io"}
        let jwt = "e30.eyJ1cG4iOiJ1QHguaW8iLCJwcmVmZXJyZWRfdXNlcm5hbWUiOiJwQHguaW8ifQ.sig";
        assert_eq!(account_from_jwt(jwt).as_deref(), Some("p@x.io"));
        assert_eq!(account_from_jwt("not a jwt"), None);
        assert_eq!(account_from_jwt("a.!!!.c"), None);
    }

    #[test]
    fn access_token_is_reused_until_five_minutes_before_expiry() {
        let now = Utc::now();
        let mut t = StoredToken {
            refresh_token: RefreshToken::new("r".into()),
            access_token: Some(AccessToken::new("a".into())),
            access_token_expires_at: Some(now + ChronoDuration::minutes(6)),
            account: None,
            tenant_id: "t".into(),
            client_id: "c".into(),
            saved_at: now,
        };
        assert!(t.fresh_access_token(now).is_some());
        t.access_token_expires_at = Some(now + ChronoDuration::minutes(4));
        assert!(t.fresh_access_token(now).is_none());
        let debug = format!("{t:?}");
        assert!(
            !debug.contains("\"r\"") && !debug.contains("(\"a\")"),
            "{debug}"
        );
    }
}
