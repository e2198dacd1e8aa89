//! The client-side watchdog of database round trips.
//!
//! The server's own timeouts (`statement_timeout`, `lock_timeout`) end a statement that runs
//! too long, and libpq's `connect_timeout` ends a connection attempt that gets no answer. None
//! of them helps when the server (or the network path to it) stops answering in the middle of a
//! statement: the client then waits for an answer that never comes. So every session of
//! hunter-pc reports when a statement starts and ends (a diesel instrumentation), and a
//! watchdog thread ends the process when one has had no answer for its statement timeout plus
//! [`GRACE`]: by then the server would have cancelled it itself. Opening a session is watched
//! the same way, for its connect timeout plus its statement timeout plus the grace (libpq
//! bounds each attempt, per address; the setup statements after it are bounded here).
//!
//! Nothing happens until the binary [`arm`]s the watchdog with what to do (print the `error:`
//! line, exit 69); library callers and tests that do not arm it only pay for two atomic stores
//! per statement.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use diesel::connection::{Instrumentation, InstrumentationEvent};

/// How long past its own timeout a round trip may take before the watchdog gives up on the
/// server: the server's cancel has to reach us, over a network that may be slow.
pub const GRACE: Duration = Duration::from_secs(5);

/// How often the watchdog looks.
const TICK: Duration = Duration::from_millis(200);

/// One round trip being watched: the time (ms since [`epoch`], plus one) by which it must
/// have ended, or 0 while none is in flight.
#[derive(Debug, Default)]
struct Slot {
    deadline: AtomicU64,
    /// What ran out, for the message: the bound in ms, and 1 for a connect, 2 for a statement.
    bound_ms: AtomicU64,
    phase: AtomicU64,
}

const CONNECT: u64 = 1;
const STATEMENT: u64 = 2;

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    epoch().elapsed().as_millis() as u64 + 1
}

fn slots() -> &'static Mutex<Vec<Weak<Slot>>> {
    static SLOTS: Mutex<Vec<Weak<Slot>>> = Mutex::new(Vec::new());
    &SLOTS
}

impl Slot {
    fn new() -> Arc<Slot> {
        let slot = Arc::new(Slot::default());
        if let Ok(mut all) = slots().lock() {
            all.retain(|w| w.strong_count() > 0);
            all.push(Arc::downgrade(&slot));
        }
        slot
    }

    fn start(&self, phase: u64, bound: Duration) {
        let bound = bound.as_millis() as u64;
        self.bound_ms.store(bound, Ordering::Relaxed);
        self.phase.store(phase, Ordering::Relaxed);
        self.deadline.store(now_ms() + bound, Ordering::Release);
    }

    fn end(&self) {
        self.deadline.store(0, Ordering::Release);
    }

    /// The message when this slot's round trip is overdue at `now`.
    fn overdue(&self, now: u64) -> Option<String> {
        let deadline = self.deadline.load(Ordering::Acquire);
        if deadline == 0 || now <= deadline {
            return None;
        }
        let secs = self.bound_ms.load(Ordering::Relaxed).div_ceil(1000);
        Some(match self.phase.load(Ordering::Relaxed) {
            CONNECT => format!(
                "the database did not answer within {secs} s while opening a session \
                 (HUNTER_PC_DB_CONNECT_TIMEOUT_SECS plus HUNTER_PC_DB_STATEMENT_TIMEOUT_SECS): \
                 check that Postgres is running and reachable"
            ),
            _ => format!(
                "the database did not answer a statement within {secs} s \
                 (HUNTER_PC_DB_STATEMENT_TIMEOUT_SECS plus {} s; the server did not cancel it \
                 either): check that Postgres is running and reachable",
                GRACE.as_secs()
            ),
        })
    }
}

/// While alive, opening a session is watched with this bound (plus [`GRACE`]).
pub(crate) struct Connecting(Arc<Slot>);

pub(crate) fn connecting(bound: Duration) -> Connecting {
    let slot = Slot::new();
    slot.start(CONNECT, bound + GRACE);
    Connecting(slot)
}

impl Drop for Connecting {
    fn drop(&mut self) {
        self.0.end();
    }
}

/// The instrumentation of a session: every statement watched for its statement timeout plus
/// [`GRACE`].
pub(crate) struct Watched {
    slot: Arc<Slot>,
    bound: Duration,
}

impl Watched {
    pub(crate) fn new(statement_timeout: Duration) -> Watched {
        Watched {
            slot: Slot::new(),
            bound: statement_timeout + GRACE,
        }
    }
}

impl Instrumentation for Watched {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } => self.slot.start(STATEMENT, self.bound),
            InstrumentationEvent::FinishQuery { .. } => self.slot.end(),
            _ => {}
        }
    }
}

/// Start the watchdog: when a watched round trip is overdue, `on_stall` gets the message (it
/// is expected to end the process). Later calls do nothing.
pub fn arm(on_stall: impl Fn(&str) + Send + Sync + 'static) {
    static ARMED: OnceLock<()> = OnceLock::new();
    ARMED.get_or_init(|| {
        epoch();
        let _ = std::thread::Builder::new()
            .name("db-watchdog".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(TICK);
                    let now = now_ms();
                    let overdue = slots().lock().ok().and_then(|all| {
                        all.iter()
                            .filter_map(Weak::upgrade)
                            .find_map(|s| s.overdue(now))
                    });
                    if let Some(message) = overdue {
                        on_stall(&message);
                        return;
                    }
                }
            });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_overdue_only_past_its_bound_while_in_flight() {
        let s = Slot::new();
        assert_eq!(s.overdue(now_ms() + 1_000_000), None);
        s.start(STATEMENT, Duration::from_secs(65));
        let now = now_ms();
        assert_eq!(s.overdue(now), None);
        let m = s.overdue(now + 66_000).unwrap();
        assert!(
            m.contains("within 65 s") && m.contains("HUNTER_PC_DB_STATEMENT_TIMEOUT_SECS"),
            "{m}"
        );
        s.end();
        assert_eq!(s.overdue(now + 66_000), None);
        let c = connecting(Duration::from_secs(70));
        let m = c.0.overdue(now_ms() + 80_000).unwrap();
        assert!(
            m.contains("within 75 s") && m.contains("CONNECT_TIMEOUT"),
            "{m}"
        );
        drop(c);
    }
}
