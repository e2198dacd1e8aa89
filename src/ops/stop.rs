//! Stopping a run cleanly on SIGTERM (systemd's stop, its timeout) or SIGINT (Ctrl-C).
//!
//! The first signal only raises a flag: the run finishes the page in flight (it commits or
//! rolls back), hands out no further page, records itself `interrupted` and exits 75. A
//! second signal of the same kind ends the process at once (exit 75): an operator who presses
//! Ctrl-C twice means it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// A flag that asks a run to stop. Cheap to clone; every clone sees the same flag.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    /// A flag nothing raises but [`Stop::request`] (tests, library callers).
    pub fn new() -> Stop {
        Stop::default()
    }

    /// A flag raised by SIGTERM or SIGINT. A second signal ends the process with exit 75.
    pub fn on_signals() -> Result<Stop> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        use signal_hook::flag;
        let stop = Stop::new();
        for signal in [SIGTERM, SIGINT] {
            // The order matters: the shutdown check sees the flag as it was before this
            // signal raised it.
            flag::register_conditional_shutdown(signal, 75, Arc::clone(&stop.0))
                .and_then(|_| flag::register(signal, Arc::clone(&stop.0)))
                .map_err(|e| {
                    Error::failure(format!("cannot install the signal handlers: {e}"))
                        .with_source(e)
                })?;
        }
        Ok(stop)
    }

    /// Ask the run to stop.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// The error a run ends with when it stopped on request.
    pub fn error() -> Error {
        Error::temp(
            "interrupted (SIGTERM or SIGINT): the pages written so far are kept; the next sync \
             goes on from there",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Stop;

    #[test]
    fn clones_share_the_flag() {
        let a = Stop::new();
        let b = a.clone();
        assert!(!b.requested());
        a.request();
        assert!(b.requested());
        assert_eq!(Stop::error().exit_code(), 75);
    }
}
