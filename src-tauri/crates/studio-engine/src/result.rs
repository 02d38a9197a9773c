//! The result of a run: what the CLI prints with `--json` and the evidence folder records.

use crate::events::Usage;
use crate::plan::Plan;
use crate::timefmt::{ts, ts_opt};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use studio_core::{RunStatus, StepStatus};

/// The result of one step. `output` has the fixed shape of the step type (null when the step
/// produced none); `attempts` counts every attempt made, retries included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    pub step_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub status: StepStatus,
    pub output: Value,
    pub error: Option<String>,
    pub attempts: u32,
    #[serde(with = "ts_opt")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(with = "ts_opt")]
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: u64,
    /// The run whose output this step reused instead of running again (`mission resume`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reused_from: Option<String>,
}

/// A URL a step contacted (it goes to the evidence folder's `links.txt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub step_id: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub run_id: String,
    pub mission_id: String,
    pub trace_id: String,
    pub status: RunStatus,
    /// Why the run ended as it did (none for a completed run).
    pub reason: Option<String>,
    #[serde(with = "ts")]
    pub started_at: DateTime<Utc>,
    #[serde(with = "ts")]
    pub finished_at: DateTime<Utc>,
    pub total_duration_ms: u64,
    pub usage: Usage,
    pub step_results: BTreeMap<String, StepResult>,
    /// The final mission state.
    pub state: BTreeMap<String, Value>,
    pub plan: Plan,
    pub links: Vec<Link>,
    /// Workspace-relative paths of the files that steps wrote.
    pub artifacts: Vec<String>,
}

impl RunResult {
    /// Number of steps that ended with each status, in a fixed order.
    pub fn counts(&self) -> Vec<(StepStatus, usize)> {
        [
            StepStatus::Success,
            StepStatus::Failed,
            StepStatus::Skipped,
            StepStatus::Cancelled,
            StepStatus::Pending,
            StepStatus::Running,
            StepStatus::Blocked,
        ]
        .into_iter()
        .map(|s| {
            (
                s,
                self.step_results.values().filter(|r| r.status == s).count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}
