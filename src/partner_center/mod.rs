//! The Partner Center Referrals API client (issue: Partner Center sync).
//!
//! [`Client`] reads `{api}/v1.0/engagements/referrals` page by page with the query, headers,
//! rate limit, retries and safety checks of `pipeline.md` §1. Time comes from a [`Clock`].

mod body;
mod client;
pub mod clock;
mod retry;

use std::future::Future;

use crate::error::Result;

pub use client::{
    Client, ClientConfig, FetchError, ListQuery, Page, Stats, odata_datetime, odata_filter,
};
pub use clock::{Clock, SystemClock};

/// Where the client gets its bearer token. The sign-in module implements it; `force_refresh`
/// is set after a 401 (refresh once, retry once).
pub trait TokenSource {
    fn access_token(&mut self, force_refresh: bool) -> impl Future<Output = Result<String>>;
}
