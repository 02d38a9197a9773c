//! Who runs a run: the process id and the process's start time, so recovery can tell a run whose
//! process is gone from one that another live process (the app, a second CLI) is still running,
//! even when the pid has been reused.

use serde::{Deserialize, Serialize};

/// The process that owns a running run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessIdentity {
    pub pid: u32,
    /// Start time of the process in clock ticks since boot (Linux `/proc/<pid>/stat` field 22);
    /// `None` where the platform does not say.
    pub start_ticks: Option<u64>,
}

impl ProcessIdentity {
    /// This process.
    pub fn current() -> Self {
        let pid = std::process::id();
        Self {
            pid,
            start_ticks: start_ticks(pid),
        }
    }

    /// Whether the process is still running. Where the platform cannot say, a run is assumed
    /// alive: recovery must never end the run of a live process.
    pub fn is_alive(&self) -> bool {
        if self.pid == std::process::id() {
            return self.start_ticks == start_ticks(self.pid);
        }
        if cfg!(target_os = "linux") {
            match start_ticks(self.pid) {
                None => false, // no such process
                Some(now) => self.start_ticks.is_none_or(|then| then == now),
            }
        } else {
            true
        }
    }
}

/// The start time of process `pid`, or `None` if it does not exist (or on other platforms).
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`: comm may hold spaces and parentheses; the fields after the
    // last `)` are plain. starttime is field 22, i.e. the 20th after `)`.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_knows_its_start_time() {
        let me = ProcessIdentity::current();
        assert!(me.start_ticks.is_some(), "Linux reports a start time");
        assert!(me.is_alive());
    }

    #[test]
    fn a_reaped_child_is_gone_and_a_reused_pid_is_not_the_owner() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let identity = ProcessIdentity {
            pid,
            start_ticks: start_ticks(pid),
        };
        child.wait().unwrap();
        assert!(!identity.is_alive(), "a reaped process is not alive");
        let other = ProcessIdentity {
            pid: std::process::id(),
            start_ticks: Some(1),
        };
        assert!(
            !other.is_alive(),
            "same pid, other start time: a different process"
        );
    }
}
