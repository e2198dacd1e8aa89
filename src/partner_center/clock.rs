//! Time for the client: "now" for the rate limit and the run deadline, the wall clock for
//! `Retry-After` dates, and sleeping. Injectable so tests of backoff run without real waiting.

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// The client's source of time. [`SystemClock`] in production; tests pass a manual clock
/// whose `sleep` advances its own time at once.
pub trait Clock {
    /// A monotonic instant (rate limit, deadline).
    fn now(&self) -> Instant;
    /// The wall clock (for `Retry-After` given as an HTTP date).
    fn utc_now(&self) -> DateTime<Utc>;
    /// Wait for `d`.
    fn sleep(&self, d: Duration) -> impl Future<Output = ()>;
}

/// Real time and Tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn utc_now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> {
        tokio::time::sleep(d)
    }
}
