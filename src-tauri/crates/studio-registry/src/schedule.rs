//! The batch's schedule for the app: at start-up when overdue, then every [`PERIOD`] by wall
//! clock after the last completed batch — on a background thread with a stop handle.
//!
//! The thread sleeps at most `poll` at a time and compares wall-clock times, so a suspended
//! laptop or a changed clock still runs an overdue batch at the next poll. A batch another
//! process is running ([`BatchError::Busy`]) is simply retried at the next poll after it
//! completes: `next_due` then lies a period ahead.
//!
//! [`PERIOD`]: crate::batch::PERIOD

use crate::batch::{self, BatchError, BatchSummary, Trigger};
use chrono::Utc;
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;
use studio_store::Store;

/// How the scheduler runs.
#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    /// The history database.
    pub database: PathBuf,
    /// Time between batches ([`crate::batch::PERIOD`] in the app).
    pub period: chrono::Duration,
    /// Longest sleep between two looks at the clock.
    pub poll: Duration,
}

impl ScheduleConfig {
    /// The app's schedule: every 24 h, looking at the clock every minute.
    pub fn daily(database: PathBuf) -> Self {
        Self {
            database,
            period: batch::PERIOD,
            poll: Duration::from_secs(60),
        }
    }
}

/// What one scheduled attempt did; given to the scheduler's callback.
pub type Attempt = Result<BatchSummary, ScheduleError>;

/// Why a scheduled attempt did not complete.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error(transparent)]
    Batch(#[from] BatchError),
    #[error(transparent)]
    Store(#[from] studio_store::StoreError),
}

/// The running scheduler; [`Scheduler::stop`] (or dropping it) ends the thread.
#[derive(Debug)]
pub struct Scheduler {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Scheduler {
    /// Starts the scheduler thread. `on_attempt` is called after every batch it started (the
    /// app logs it and tells the library view to refresh).
    pub fn start(
        config: ScheduleConfig,
        on_attempt: impl Fn(Attempt) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("batch-schedule".into())
            .spawn(move || run(config, stopped, on_attempt))?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Stops the thread and waits for it (a batch in progress finishes first).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn attempt(config: &ScheduleConfig, trigger: Trigger) -> Attempt {
    let mut store = Store::open(&config.database)?;
    Ok(batch::run_batch(&mut store, trigger, Utc::now())?)
}

fn due_in(config: &ScheduleConfig) -> Result<Duration, ScheduleError> {
    let store = Store::open(&config.database)?;
    let now = Utc::now();
    let due = batch::next_due(&store, now, config.period)?;
    Ok((due - now).to_std().unwrap_or(Duration::ZERO))
}

fn run(config: ScheduleConfig, stopped: mpsc::Receiver<()>, on_attempt: impl Fn(Attempt)) {
    let mut trigger = Trigger::Startup;
    loop {
        let mut wait = match due_in(&config) {
            Ok(wait) => wait,
            Err(e) => {
                on_attempt(Err(e));
                config.poll
            }
        };
        if wait.is_zero() {
            let outcome = attempt(&config, trigger);
            let completed = outcome.is_ok();
            on_attempt(outcome);
            if completed {
                trigger = Trigger::Schedule;
                continue; // the next one is a period ahead
            }
            wait = config.poll; // busy elsewhere or failed: look again later
        }
        trigger = Trigger::Schedule;
        match stopped.recv_timeout(wait.clamp(Duration::from_millis(1), config.poll)) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}
