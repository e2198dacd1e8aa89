//! Sign-in (partner-center.md, "Microsoft sign-in" and "Token storage"): the device-code
//! login, the token stores, and the [`Session`] that hands the sync a fresh access token.
//!
//! - [`microsoft`]: the identity endpoints, one request at a time, and the rule tables that
//!   decide what an error answer means (exit 77, 78, retry then 69, or 1).
//! - [`device`]: the RFC 8628 poll, with an injectable [`device::Clock`].
//! - [`store`]: the keyring and file stores behind [`store::TokenStore`].
//! - [`session`]: cached access token, silent refresh, rotated refresh token persisted first.

pub mod clock;
pub mod device;
pub mod microsoft;
pub mod session;
pub mod store;
pub mod token;

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use url::Url;

use store::TokenStoreKind;

/// What sign-in needs of the settings.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The app registration configured (`HUNTER_PC_CLIENT_ID`), if any.
    pub client_id: Option<String>,
    pub tenant_id: String,
    pub scope: String,
    pub authority_url: Url,
    pub token_store: TokenStoreKind,
    pub token_file: PathBuf,
    /// Per-request timeout of the identity endpoints.
    pub http_timeout: Duration,
    pub max_retries: u32,
}

pub use session::Session;
pub use store::{Held, Stores, TokenStore};
pub use token::StoredToken;

/// What `status` shows of the sign-in, without any secret.
#[derive(Debug, Clone, Serialize)]
pub struct AuthStatus {
    pub store: String,
    pub account: Option<String>,
    pub refresh_token: bool,
    pub access_token_expires_at: Option<String>,
}

/// The sign-in state as stored; reads the stores, makes no network request. `store` is the
/// store holding the token, or the configured `--token-store` when none does.
pub fn status(config: &AuthConfig) -> AuthStatus {
    let configured = config.token_store.as_str().to_string();
    match Stores::for_config(config).load() {
        Ok(Some((token, held))) => AuthStatus {
            store: held.name().to_string(),
            account: token.account.clone(),
            refresh_token: !token.refresh_token.secret().is_empty(),
            access_token_expires_at: token.access_token_expires_at.map(|t| t.to_rfc3339()),
        },
        Ok(None) => AuthStatus {
            store: configured,
            account: None,
            refresh_token: false,
            access_token_expires_at: None,
        },
        Err(e) => {
            tracing::warn!("cannot read the stored sign-in: {e}");
            AuthStatus {
                store: configured,
                account: None,
                refresh_token: false,
                access_token_expires_at: None,
            }
        }
    }
}
