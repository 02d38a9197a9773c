//! The processes a run owns: what its `process_start` steps started, each the leader of its own
//! process group. `process_kill` stops them one by one; when the run ends (completed, failed,
//! cancelled or timed out) [`RunProcesses::shutdown`] stops every group still there (SIGTERM,
//! a grace period, SIGKILL) and waits until each leader is reaped. If the run is dropped
//! without that (its task aborted), dropping the registry sends SIGKILL to every group.
//!
//! Each child is owned by a small task that waits for it (so it is reaped as soon as it ends)
//! and publishes how it ended. A group is only signalled while it still exists: its id cannot
//! be given to another group while any member lives (the leader, even as a zombie awaiting its
//! reaper, or what it left behind), so a signal never reaches a process the run did not start.

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use process_wrap::tokio::TokioChildWrapper;
use std::os::unix::process::ExitStatusExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// How long the run's end gives SIGTERM before SIGKILL.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);
/// How long a killed leader is waited for before giving up on reaping it.
const REAP_WAIT: Duration = Duration::from_secs(5);

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

impl Exit {
    /// "exited with code 1" / "was ended by signal TERM".
    pub fn describe(&self) -> String {
        match (self.code, self.signal) {
            (Some(code), _) => format!("exited with code {code}"),
            (None, Some(sig)) => format!("was ended by signal {}", signal_name(sig)),
            _ => "ended".to_string(),
        }
    }
}

/// A signal's short name (`TERM`), or its number.
pub(crate) fn signal_name(sig: i32) -> String {
    Signal::try_from(sig)
        .map(|s| s.as_str().trim_start_matches("SIG").to_string())
        .unwrap_or_else(|_| sig.to_string())
}

/// One process the run started.
#[derive(Debug)]
pub(crate) struct Owned {
    pub name: String,
    pub pid: u32,
    exit: watch::Receiver<Option<Exit>>,
    /// Seen gone (leader reaped, no member left): its number may now be reused by another
    /// group, so it is never signalled again.
    gone: AtomicBool,
}

impl Owned {
    fn pgid(&self) -> Pid {
        Pid::from_raw(self.pid as i32)
    }

    /// How it ended, when it has.
    pub fn exit(&self) -> Option<Exit> {
        *self.exit.borrow()
    }

    /// Whether any process of its group is still alive (the leader may be gone while members
    /// it left behind are not).
    pub fn group_alive(&self) -> bool {
        if self.gone.load(Ordering::Acquire) {
            return false;
        }
        let alive = killpg(self.pgid(), None).is_ok();
        if !alive && self.exit().is_some() {
            self.gone.store(true, Ordering::Release);
        }
        alive
    }

    /// Sends `signal` to the whole group, if it still exists.
    pub fn signal(&self, signal: Signal) -> bool {
        self.group_alive() && killpg(self.pgid(), signal).is_ok()
    }

    /// Waits until the leader has ended and been reaped, at most `limit`.
    pub async fn wait_exit(&self, limit: Duration) -> Option<Exit> {
        let mut rx = self.exit.clone();
        let ended = tokio::time::timeout(limit, rx.wait_for(Option::is_some)).await;
        match ended {
            Ok(Ok(exit)) => *exit,
            _ => self.exit(),
        }
    }

    /// TERM (or `first`), `grace`, then KILL; the signals sent and how the leader ended.
    pub async fn stop(&self, first: Signal, grace: Duration) -> (Vec<&'static str>, Option<Exit>) {
        let mut sent = Vec::new();
        if self.signal(first) {
            sent.push(short(first));
        }
        let mut exit = None;
        if first != Signal::SIGKILL {
            exit = self.wait_exit(grace).await;
            // Still running, or gone but with members of its group left behind.
            if (exit.is_none() || self.group_alive()) && self.signal(Signal::SIGKILL) {
                sent.push("KILL");
            }
        }
        if exit.is_none() {
            exit = self.wait_exit(REAP_WAIT).await;
        }
        (sent, exit)
    }
}

fn short(signal: Signal) -> &'static str {
    signal.as_str().trim_start_matches("SIG")
}

/// The run's started processes.
#[derive(Debug, Default)]
pub(crate) struct RunProcesses {
    list: Mutex<Vec<Arc<Owned>>>,
    /// Handles given to starts that are still spawning (two starts never share one).
    reserved: Mutex<Vec<String>>,
}

/// A handle held for a start until its process is adopted (or the start fails).
pub(crate) struct Reserved<'a> {
    processes: &'a RunProcesses,
    pub name: String,
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        let mut reserved = lock(&self.processes.reserved);
        if let Some(i) = reserved.iter().position(|n| *n == self.name) {
            reserved.remove(i);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl RunProcesses {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Owned>>> {
        lock(&self.list)
    }

    /// Takes ownership of a just-started child under its reserved handle: a task waits for it
    /// and records how it ended.
    pub fn adopt(
        &self,
        reserved: Reserved<'_>,
        mut child: Box<dyn TokioChildWrapper>,
    ) -> Arc<Owned> {
        let name = reserved.name.clone();
        let pid = child.id().unwrap_or(0);
        let (tx, rx) = watch::channel(None);
        let owned = Arc::new(Owned {
            name,
            pid,
            exit: rx,
            gone: AtomicBool::new(false),
        });
        let watched = Arc::clone(&owned);
        tokio::spawn(async move {
            let status = Box::into_pin(child.wait()).await;
            let exit = match status {
                Ok(s) => Exit {
                    code: s.code(),
                    signal: s.signal(),
                },
                Err(_) => Exit {
                    code: None,
                    signal: None,
                },
            };
            let _ = tx.send(Some(exit));
            // Notes at once whether the group went with its leader.
            watched.group_alive();
        });
        self.lock().push(Arc::clone(&owned));
        drop(reserved);
        owned
    }

    /// Reserves a free handle: `wanted` when given (refused while a process of that name runs
    /// or starts), else `base`, `base-2`, `base-3`, ….
    pub fn reserve(&self, wanted: Option<&str>, base: &str) -> Result<Reserved<'_>, String> {
        let list = self.lock();
        let mut reserved = lock(&self.reserved);
        let busy = |n: &str| {
            reserved.iter().any(|r| r == n)
                || list.iter().any(|o| o.name == n && o.exit().is_none())
        };
        let name = match wanted {
            Some(name) if busy(name) => {
                return Err(format!(
                    "a process named `{name}` is already running in this run; give another `name`, or stop it first with `process_kill`"
                ))
            }
            Some(name) => name.to_string(),
            None => {
                let taken = |n: &str| reserved.iter().any(|r| r == n) || list.iter().any(|o| o.name == n);
                let mut candidate = base.to_string();
                let mut n = 1;
                while taken(&candidate) {
                    n += 1;
                    candidate = format!("{base}-{n}");
                }
                candidate
            }
        };
        reserved.push(name.clone());
        Ok(Reserved {
            processes: self,
            name,
        })
    }

    /// The latest process started under this name.
    pub fn by_name(&self, name: &str) -> Option<Arc<Owned>> {
        self.lock().iter().rev().find(|o| o.name == name).cloned()
    }

    pub fn by_pid(&self, pid: u32) -> Option<Arc<Owned>> {
        self.lock().iter().rev().find(|o| o.pid == pid).cloned()
    }

    /// Every process started so far (still running or not).
    pub fn all(&self) -> Vec<Arc<Owned>> {
        self.lock().clone()
    }

    pub fn names(&self) -> Vec<String> {
        self.lock().iter().map(|o| o.name.clone()).collect()
    }

    /// Stops every group still alive: SIGTERM to all, up to [`SHUTDOWN_GRACE`] for them to
    /// end, SIGKILL to what is left, then waits for each leader to be reaped.
    pub async fn shutdown(&self) {
        let all = self.all();
        let alive: Vec<_> = all
            .iter()
            .filter(|o| o.exit().is_none() || o.group_alive())
            .collect();
        if alive.is_empty() {
            return;
        }
        for o in &alive {
            o.signal(Signal::SIGTERM);
        }
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
        for o in &alive {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            o.wait_exit(left).await;
        }
        for o in &alive {
            if o.group_alive() {
                o.signal(Signal::SIGKILL);
            }
        }
        for o in &alive {
            if o.wait_exit(REAP_WAIT).await.is_none() {
                tracing::warn!(pid = o.pid, name = %o.name, "a started process was not reaped");
            }
        }
    }
}

impl Drop for RunProcesses {
    /// The run went away without [`RunProcesses::shutdown`]: nothing it started outlives it.
    fn drop(&mut self) {
        for o in self.lock().iter() {
            o.signal(Signal::SIGKILL);
        }
    }
}
