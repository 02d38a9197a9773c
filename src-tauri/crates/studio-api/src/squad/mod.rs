//! Squads over NATS JetStream (DESIGN §13): the control plane's dispatcher, which hands a
//! run's steps to the workers of their departments, and the department worker that runs them.
//!
//! The broker parts (subjects, streams, consumers, markers) are `studio_squad`'s; the step code
//! is the engine's (`studio_engine::remote`). What is here joins them: who sends what when, and
//! what a lost worker, a restarted broker or a duplicate message mean for a run.

pub mod dispatcher;
mod live_workers;
pub mod worker;
mod worker_jobs;

pub use dispatcher::SquadDispatcher;
pub use worker::{run_worker, WorkerOptions, WorkerReport};

/// How often a worker heartbeats.
pub const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// A worker is live while its last heartbeat is younger than this.
pub const LIVE_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// The key of one attempt of one step: the jobs' `Nats-Msg-Id` and what events name.
pub(crate) fn job_key(run_id: &str, step_id: &str, attempt: u32) -> String {
    format!("{run_id}:{step_id}:{attempt}")
}

/// The event kinds workers send back.
pub(crate) mod kinds {
    /// A worker took the job (payload `{dept}`).
    pub const STARTED: &str = "step.started";
    /// The attempt ended (payload: a `StepOutcome`).
    pub const FINISHED: &str = "step.finished";
}

/// Refuses, before a run dispatches, a mission with steps that have no department to go to:
/// no `dept:`, no `required_depts`, and not a registry tool (whose sector names one).
pub fn check_departments(mission: &studio_core::Mission) -> Result<(), String> {
    if !mission.required_depts.is_empty() {
        return Ok(());
    }
    let homeless: Vec<&str> = mission
        .steps
        .iter()
        .filter(|s| s.dept.is_none() && s.step_type != "tool")
        .filter(|s| studio_engine::remote::dispatchable(&s.step_type))
        .map(|s| s.id.as_str())
        .collect();
    if homeless.is_empty() {
        return Ok(());
    }
    Err(format!(
        "steps {} have no department to be dispatched to: give each a `dept:` or the mission \
         `required_depts: [DEPT]`",
        homeless
            .iter()
            .map(|id| format!("`{id}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}
