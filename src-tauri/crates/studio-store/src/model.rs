//! What the store records and returns. Field names are the stable JSON of `mission history
//! --json` and `mission show --json` (snake_case).

use crate::owner::ProcessIdentity;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use studio_core::{RunStatus, StepStatus};
use studio_engine::Usage;

/// What is known of a run before it starts; inserted with its `mission.accepted` event.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    pub run_id: String,
    pub mission_id: String,
    pub mission_name: String,
    pub trace_id: String,
    pub logic_hash: String,
    pub evidence_dir: Option<String>,
    pub resumed_from: Option<String>,
    /// The mission as run (JSON), so `mission resume` can run it again.
    pub mission: Value,
    /// The run inputs (`--var`).
    pub context: Value,
    /// The steps in declaration order: (id, step type).
    pub steps: Vec<(String, String)>,
    pub owner: ProcessIdentity,
}

/// A run as the history lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub run_id: String,
    pub mission_id: String,
    pub mission_name: String,
    pub status: RunStatus,
    pub reason: Option<String>,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub usage: Usage,
    pub evidence_dir: Option<String>,
    pub resumed_from: Option<String>,
    pub trace_id: String,
    pub logic_hash: String,
    pub step_count: u32,
}

/// A step's row: written when it starts and again when it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRow {
    pub step_id: String,
    /// Declaration order in the mission (0-based).
    pub position: u32,
    pub step_type: String,
    pub status: StepStatus,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub attempts: u32,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reused_from: Option<String>,
}

/// Filters of `mission history`; `None` = any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    pub status: Option<RunStatus>,
    pub mission_id: Option<String>,
    /// Runs started at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// At most this many runs (newest first).
    pub limit: Option<u32>,
}

/// What `mission resume` needs of an earlier run.
#[derive(Debug, Clone, PartialEq)]
pub struct ResumeSource {
    pub run: RunSummary,
    pub mission: Value,
    pub context: Value,
    /// Steps that succeeded, with their outputs, in declaration order.
    pub succeeded: Vec<(String, Value)>,
}

/// A run that recovery ended because its process was gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecoveredRun {
    pub run_id: String,
    pub evidence_dir: Option<String>,
    /// Steps that were running (now `cancelled`).
    pub cancelled_steps: Vec<String>,
    /// Steps that had not started (now `skipped`).
    pub skipped_steps: Vec<String>,
    pub finished_at: String,
}

/// The reason recorded for a run whose process went away.
pub const INTERRUPTED: &str = "interrupted";

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn run_status(text: &str) -> Option<RunStatus> {
    serde_json::from_value(Value::String(text.to_string())).ok()
}

pub(crate) fn step_status(text: &str) -> Option<StepStatus> {
    serde_json::from_value(Value::String(text.to_string())).ok()
}
