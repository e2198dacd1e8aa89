//! Time for the sign-in: the device poll's spacing and the retry backoff go through a
//! [`Clock`], so a test can run them with no real sleeping.

use std::future::Future;
use std::time::{Duration, Instant};

/// Monotonic time and sleeping.
pub trait Clock {
    /// Time elapsed since an origin fixed for this clock.
    fn now(&self) -> Duration;
    /// Wait `d`.
    fn sleep(&self, d: Duration) -> impl Future<Output = ()>;
}

/// The real clock: `Instant` and Tokio's sleep.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    pub fn new() -> Self {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> {
        tokio::time::sleep(d)
    }
}

/// Wait before retry number `failures` (1, 2, …): 1 s, 2 s, 4 s, … at most 30 s.
pub fn backoff(failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(5);
    Duration::from_secs(1u64 << exp).min(Duration::from_secs(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_thirty_seconds() {
        let secs: Vec<u64> = (1..=7).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 16, 30, 30]);
    }
}
