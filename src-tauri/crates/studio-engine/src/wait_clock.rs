//! The run's clock for its runtime caps. Time during which the run waits only for a person —
//! one or more steps blocked on approval and nothing else running — does not count against
//! `max_runtime_minutes` or the mission's `timeout_seconds`: the run's deadline moves out by
//! every such wait, and events report the wait apart (`usage.approval_wait_ms`).

use std::time::Duration;

/// Waits for approval, as moments since the run started.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WaitClock {
    /// The waits that ended, in total.
    ended: Duration,
    /// When the wait going on began.
    since: Option<Duration>,
}

impl WaitClock {
    /// Whether the run waits only for a person: some steps are blocked on approval and every
    /// step that holds a slot (`running` counts the blocked ones) is one of them.
    pub fn waits_for_a_person(blocked: usize, running: usize) -> bool {
        blocked > 0 && running <= blocked
    }

    pub fn is_waiting(&self) -> bool {
        self.since.is_some()
    }

    /// Starts or ends a wait at `now`. Returns whether that changed anything.
    pub fn set(&mut self, waiting: bool, now: Duration) -> bool {
        match (waiting, self.since) {
            (true, None) => {
                self.since = Some(now);
                true
            }
            (false, Some(since)) => {
                self.ended += now.saturating_sub(since);
                self.since = None;
                true
            }
            _ => false,
        }
    }

    /// Time spent waiting by `now` (the wait going on included).
    pub fn waited(&self, now: Duration) -> Duration {
        match self.since {
            None => self.ended,
            Some(since) => self.ended + now.saturating_sub(since),
        }
    }

    /// Time that counts against the runtime caps by `now`.
    pub fn counted(&self, now: Duration) -> Duration {
        now.saturating_sub(self.waited(now))
    }

    /// The waits that ended (what a deadline moves out by while nothing waits).
    pub fn ended_waits(&self) -> Duration {
        self.ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn waits_are_summed_and_left_out_of_the_counted_time() {
        let mut c = WaitClock::default();
        assert!(!c.set(false, s(1)));
        assert!(c.set(true, s(2)));
        assert!(!c.set(true, s(3)), "already waiting");
        assert_eq!(c.waited(s(5)), s(3));
        assert_eq!(c.counted(s(5)), s(2));
        assert!(c.set(false, s(6)));
        assert!(c.set(true, s(10)));
        assert!(c.set(false, s(11)));
        assert_eq!(c.ended_waits(), s(5));
        assert_eq!(c.counted(s(20)), s(15));
    }

    #[test]
    fn only_a_run_with_nothing_but_blocked_steps_waits() {
        assert!(WaitClock::waits_for_a_person(1, 1));
        assert!(WaitClock::waits_for_a_person(2, 2));
        assert!(!WaitClock::waits_for_a_person(1, 2), "another step runs");
        assert!(!WaitClock::waits_for_a_person(0, 0), "idle, not waiting");
    }
}
