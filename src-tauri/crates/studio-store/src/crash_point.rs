//! Crash points for fault-injection tests (feature `crash-points`, off by default and refused
//! in release builds): with `MISSION_CRASH_AFTER_EVENT=N` in its environment, the process
//! aborts (`std::process::abort`, no unwinding, no destructors) right after the transaction
//! holding the run's N-th event has committed, before the event is passed on to any other
//! sink. While armed, the writer commits one write per transaction, so "after event N" is
//! exact.
//!
//! Without the feature this module is a no-op the compiler removes.

#[cfg(all(feature = "crash-points", not(debug_assertions)))]
compile_error!("the `crash-points` feature is for tests: it must never be in a release build");

/// The environment variable that arms the crash point.
pub const CRASH_AFTER_EVENT_ENV: &str = "MISSION_CRASH_AFTER_EVENT";

/// Counts committed events and aborts the process after the armed one.
#[derive(Debug, Default)]
pub(crate) struct CrashPoint {
    #[cfg(feature = "crash-points")]
    after: Option<u64>,
    #[cfg(feature = "crash-points")]
    committed: u64,
}

impl CrashPoint {
    /// Reads [`CRASH_AFTER_EVENT_ENV`] (feature `crash-points` only).
    pub(crate) fn from_env() -> Self {
        #[cfg(feature = "crash-points")]
        {
            let after = std::env::var(CRASH_AFTER_EVENT_ENV)
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .filter(|n| *n > 0);
            Self {
                after,
                committed: 0,
            }
        }
        #[cfg(not(feature = "crash-points"))]
        Self::default()
    }

    /// Whether a crash is armed: the writer then commits one write per transaction.
    pub(crate) fn armed(&self) -> bool {
        #[cfg(feature = "crash-points")]
        {
            self.after.is_some()
        }
        #[cfg(not(feature = "crash-points"))]
        false
    }

    /// Called after a transaction holding `events` events committed.
    pub(crate) fn committed(&mut self, events: usize) {
        #[cfg(feature = "crash-points")]
        {
            self.committed += events as u64;
            if self.after.is_some_and(|n| self.committed >= n) {
                eprintln!(
                    "crash point: aborting after committed event {}",
                    self.committed
                );
                std::process::abort();
            }
        }
        #[cfg(not(feature = "crash-points"))]
        let _ = events;
    }
}
