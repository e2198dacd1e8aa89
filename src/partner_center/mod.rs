//! The Partner Center Referrals API client (issue: Partner Center sync).

use std::future::Future;

use crate::error::Result;

/// Where the client gets its bearer token. The sign-in module implements it; `force_refresh`
/// is set after a 401 (refresh once, retry once).
pub trait TokenSource {
    fn access_token(&mut self, force_refresh: bool) -> impl Future<Output = Result<String>>;
}
