//! `meta.json`: what the system records about a run.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use studio_core::RunStatus;
use studio_engine::Usage;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub run_id: String,
    pub mission_id: String,
    pub mission_name: String,
    pub trace_id: String,
    pub logic_hash: String,
    pub status: RunStatus,
    pub reason: Option<String>,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub total_duration_ms: Option<u64>,
    /// The model providers (`simulated`, `anthropic`, …) and models the run's `llm` steps used,
    /// comma-separated (none when no step asked a model).
    pub broker: Option<String>,
    pub model: Option<String>,
    /// The run was started with every model call simulated (`--simulate-llm`, the Settings
    /// switch).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub simulate_llm: bool,
    /// Steps whose model answer came from the built-in simulated provider, not from a model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub simulated_llm_steps: Vec<String>,
    /// Steps answered by the mission's `simulation` block (a canned response; nothing ran).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub simulated_steps: Vec<String>,
    /// Files under `outputs/`.
    pub outputs: Vec<String>,
    /// Declared outputs the workspace did not hold at the end.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs_missing: Vec<String>,
    /// Files under `evidence/`.
    pub evidence: Vec<String>,
    pub environment: Environment,
    pub usage: Usage,
    /// Number of steps per final status.
    pub steps: BTreeMap<String, usize>,
    /// The final mission state.
    pub state: BTreeMap<String, Value>,
    /// The run this one resumed (`mission resume`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_from: Option<String>,
    /// The perimeter the run was held to (after the merge of global, template and operator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perimeter: Option<Value>,
    /// The sandbox: mode, Landlock ABI, and whether command steps ran confined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<Value>,
    /// Steps whose output was reused from an earlier run instead of running again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reused_steps: BTreeMap<String, String>,
    /// The mission file the run's mission was read from, and its SHA-256 then (a resume says
    /// when the file changed since).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mission_file: Option<MissionFileRef>,
    /// The operator's own perimeter (before the merge with the global caps and the mission's):
    /// what a resume starts from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_perimeter: Option<Value>,
    /// What became of the run's trace when its mission asks for telemetry beyond the history:
    /// backend, whether it was sampled, spans built, exported and dropped, the first export
    /// error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telemetry: Option<Value>,
}

/// A mission file as a run read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissionFileRef {
    pub path: String,
    /// `sha256:` + hex of the file's bytes.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub app_version: String,
    pub os: String,
    pub arch: String,
    pub family: String,
}

impl Environment {
    pub fn current() -> Self {
        Self {
            app_version: studio_core::VERSION.to_string(),
            os: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
            family: std::env::consts::FAMILY.to_string(),
        }
    }
}
