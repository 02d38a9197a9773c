//! The native mission format (DESIGN §3): a superset of the RustChain mission format.
//!
//! These are plain data types; loading (with limits and locations), validation and hashing live
//! beside them. Unknown fields are refused (`deny_unknown_fields`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A mission: a DAG of steps plus the registry, perimeter and state fields around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Mission {
    /// Format version (RustChain), e.g. "1.0".
    #[serde(default)]
    pub version: Option<String>,
    /// Reverse-DNS mission id (Spark). Derived from `name` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Human-readable mission name.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,

    // Registry fields (templates).
    /// Owning sector: Finance, Wealth, Security, Shadow, Intelligence, Operations, ….
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    /// Departments the mission needs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_depts: Vec<String>,
    /// What the mission achieves (required for library templates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<String>,
    /// The mission pack objective.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<String>,
    /// When the mission counts as done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_definition: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Declared risk; the registry also derives one from history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
    /// Declared return on investment, replaced by the measured one once runs exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub est_roi: Option<f64>,
    /// What a completed run is worth in USD (for ROI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_usd: Option<f64>,
    /// Background written to the evidence folder's `context.md`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Rules written to the evidence folder's `constraints.md`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraints: Option<String>,

    /// Global execution settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<MissionConfig>,
    /// What a run may spend and touch (defaults; a user's perimeter can only tighten them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perimeter: Option<Perimeter>,
    /// Typed mission state that steps write with `state:` and read with `{{state.<field>}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_schema: Option<StateSchema>,
    /// Tools answered by canned responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulation: Option<Simulation>,
    /// The steps as a checklist; derived from `steps` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// Where the run's traces go besides the history (Spark `telemetry:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telemetry: Option<Telemetry>,
    /// Reasoning strategies bound to `agent` steps (Spark `strategies:`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strategies: Vec<crate::agents::StrategyBinding>,
    /// Where the mission is meant to be deployed (Spark `deployment:`); read by `mission check`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<crate::deployment::Deployment>,

    /// The steps of the DAG, in declaration order.
    pub steps: Vec<Step>,

    /// Workspace files copied into the evidence folder's `outputs/`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<String>,

    /// Default values of run inputs, read as `{{name}}` or `{{context.name}}`; `--var
    /// name=value` overrides them (RustChain `variables:`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, Value>,
    /// Declared run inputs (RustChain `parameters: [{name, type, default, required}]`), read
    /// like `variables`; a required one without a default must be given with `--var`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<InputDecl>,
}

/// A declared run input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputDecl {
    pub name: String,
    /// What the input holds (string, number, boolean, list, object; free text, for people).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub input_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The value used when the run does not give one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// The run cannot start without it (when it has no default).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
}

/// Declared risk of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Low,
    Medium,
    High,
}

/// Global execution settings (RustChain `MissionConfig`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct MissionConfig {
    /// Global timeout of a run in seconds (≥ 1); the run ends `timed_out`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// Stop the run at the first failure of a step without `continue_on_error` (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_fast: Option<bool>,
    /// Most steps running at once (≥ 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_steps: Option<usize>,
    /// Extra attempts after a failure (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_attempts: Option<u32>,
    /// Delay between attempts in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_delay_ms: Option<u64>,
}

/// One step of the DAG.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Unique id, used by `depends_on` and `{{<id>.output…}}`.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A snake_case name from the step type catalogue (see `step_types`).
    #[schemars(schema_with = "crate::schema::step_type_schema")]
    pub step_type: String,
    /// Ids of the steps that must end before this one starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Timeout of each attempt in seconds (≥ 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// A failure is recorded but does not fail the run; dependents still run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continue_on_error: Option<bool>,
    /// Overrides `config.retry_attempts` for this step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_attempts: Option<u32>,
    /// Step-type specific parameters; strings may hold `{{…}}` variables.
    #[serde(default = "empty_object")]
    pub parameters: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<StepApproval>,
    /// Mission state fields this step writes once it succeeds (values may hold `{{refs}}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub state: BTreeMap<String, Value>,
    /// The department whose workers run it when the run dispatches over NATS (`--nats`); else
    /// its tool's sector's department, else the mission's first `required_depts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dept: Option<String>,
    /// Whether running it twice does no harm. Unset: a step with external side effects (or a
    /// registry tool not declared idempotent) is not. A dispatched step that is not is never
    /// run twice: its redelivery after a lost worker fails as `interrupted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent: Option<bool>,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// Per-step approval override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StepApproval {
    Required,
    Never,
}

/// The agency perimeter: what a run may spend and touch (DESIGN §6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Perimeter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<Sandbox>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<ToolRules>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connected_sectors: Vec<String>,
    /// Folders outside the run's workspace that repository steps (`git_*`) may work in, as
    /// absolute paths. Only the operator's perimeter grants them; Settings and the template, when
    /// they list roots, bound the grant (a granted folder must lie inside one of theirs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roots: Vec<String>,
    /// The hosts network steps may reach, and the SSH host keys the operator trusts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkRules>,
}

/// What the network steps (`http`, `websocket_connect`, the database and remote types, tools
/// that call out) may reach (DESIGN §6, check 2b).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct NetworkRules {
    /// Hosts a step may reach, as globs: `api.example.com`, `*.internal` (any name under
    /// `internal`, not `internal` itself), `127.0.0.1`, `[::1]`, optionally with `:port` (then
    /// only that port). Empty = any host. Each level can only narrow the list of the level above.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_hosts: Vec<String>,
    /// OpenSSH `known_hosts` lines the operator trusts (`ssh_execute`). Only the operator's
    /// perimeter grants them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_host_keys: Vec<String>,
}

/// Budget caps. `None` means "no cap at this level".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cost_usd: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_llm_calls: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_steps: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_runtime_minutes: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    #[serde(default)]
    pub mode: ApprovalMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_usd: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_for: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalMode {
    /// Every step with side effects needs approval.
    Strict,
    /// Steps whose estimated cost reaches the threshold, or whose tool is listed, need approval.
    Threshold,
    /// Nothing needs approval.
    #[default]
    Auto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Sandbox {
    ReadOnly,
    #[default]
    FullAccess,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ToolRules {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forbidden: Vec<String>,
}

/// Typed mission state (Spark `state_schema`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct StateSchema {
    #[serde(default)]
    pub fields: BTreeMap<String, StateField>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateField {
    /// One of: string, int, float, bool, list, object.
    #[serde(rename = "type")]
    pub field_type: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
}

/// Simulation settings (Spark): tools answered by canned responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<SimulatedTool>,
    /// Scripted model turns for `agent` steps, played when their model is the simulated one
    /// (whether or not `enabled` is set: `enabled` governs the tool overrides).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<crate::agents::SimulatedAgent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulatedTool {
    pub name: String,
    #[serde(default)]
    pub static_response: Value,
}

/// Observability of the mission's runs (Spark `telemetry:`).
///
/// Every run is recorded in the history and its evidence folder whatever the backend: those
/// are what resume, audit and ROI read. The backend says what happens to the run's trace
/// (one span for the run, one per step attempt) beyond them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Telemetry {
    /// Whether the backend is used (default true: writing the block asks for it).
    #[serde(default = "default_true")]
    pub enabled: bool,
    #[serde(default)]
    pub backend: TelemetryBackend,
    /// The OTLP/HTTP collector's base URL (`http://host:4318`); spans are posted to
    /// `{endpoint}/v1/traces`. Required for `otlp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Share of runs whose trace is exported, in [0, 1] (default 1). Decided per run from its
    /// trace id, so a run is exported whole or not at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling_rate: Option<f64>,
    /// Spans held while waiting for export (default 512, ≥ 1); beyond that new spans are
    /// dropped and counted, never waited for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffer_size: Option<u64>,
    /// Seconds between exports of the held spans (default 5, > 0); a full batch goes at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_interval: Option<f64>,
}

impl Default for Telemetry {
    fn default() -> Self {
        Self {
            enabled: true,
            backend: TelemetryBackend::default(),
            endpoint: None,
            sampling_rate: None,
            buffer_size: None,
            export_interval: None,
        }
    }
}

impl Telemetry {
    pub const DEFAULT_BUFFER_SIZE: u64 = 512;
    pub const DEFAULT_EXPORT_INTERVAL_S: f64 = 5.0;

    /// The backend that applies: `sqlite` (the history only) when the block is disabled.
    pub fn effective_backend(&self) -> TelemetryBackend {
        if self.enabled {
            self.backend
        } else {
            TelemetryBackend::Sqlite
        }
    }
}

fn default_true() -> bool {
    true
}

/// What happens to a run's trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum TelemetryBackend {
    /// The trace is built in memory while the run lasts, handed to the host with the run's
    /// outcome, and kept nowhere after it (the history and the evidence folder still record
    /// the run, its steps and events).
    Memory,
    /// The history database (what every run gets): nothing more.
    #[default]
    Sqlite,
    /// The trace is also exported over OTLP/HTTP to `endpoint`.
    Otlp,
}

/// The Spark plan: the steps as a checklist. Derived from `steps` when absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    #[serde(default)]
    pub steps: Vec<PlanStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanStep {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

impl Mission {
    /// The canned response that answers `step` instead of running it: the enabled
    /// `simulation` block's entry named after the step's type, its id, or (for a `tool` step)
    /// the registry tool it calls. The engine runs nothing for such a step, and every view of
    /// the run says its answer was simulated.
    pub fn simulated_tool(&self, step: &Step) -> Option<&SimulatedTool> {
        let simulation = self.simulation.as_ref().filter(|s| s.enabled)?;
        simulation.tools.iter().find(|t| {
            t.name == step.step_type
                || t.name == step.id
                || (step.step_type == "tool"
                    && step.parameters.get("name").and_then(Value::as_str) == Some(t.name.as_str()))
        })
    }

    /// The scripted turns for the agent step `step_id`, if the mission has any.
    pub fn agent_script(&self, step_id: &str) -> Option<&crate::agents::SimulatedAgent> {
        self.simulation
            .as_ref()?
            .agents
            .iter()
            .find(|a| a.step == step_id)
    }

    /// The strategy bound to the agent step `step_id` by `strategies:`, if any.
    pub fn strategy_for(&self, step_id: &str) -> Option<&crate::agents::Strategy> {
        self.strategies
            .iter()
            .find(|b| b.target == step_id)
            .map(|b| &b.strategy)
    }

    /// The mission id: the declared one, or one derived from the name
    /// (`"Keyword Analysis"` → `"keyword-analysis"`).
    pub fn mission_id(&self) -> String {
        match &self.id {
            Some(id) if !id.trim().is_empty() => id.clone(),
            _ => slug(&self.name),
        }
    }

    pub fn config(&self) -> MissionConfig {
        self.config.clone().unwrap_or_default()
    }

    /// The default value of every run input: `variables`, then the declared `parameters`'
    /// defaults (a name in both keeps its `variables` value).
    pub fn input_defaults(&self) -> BTreeMap<String, Value> {
        let mut out = self.variables.clone();
        for decl in &self.parameters {
            if let Some(default) = &decl.default {
                out.entry(decl.name.clone())
                    .or_insert_with(|| default.clone());
            }
        }
        out
    }

    /// Whether a run input of this name is declared (in `variables` or `parameters`).
    pub fn declares_input(&self, name: &str) -> bool {
        self.variables.contains_key(name) || self.parameters.iter().any(|d| d.name == name)
    }

    /// Required inputs that have no default value.
    pub fn required_inputs(&self) -> impl Iterator<Item = &InputDecl> {
        self.parameters
            .iter()
            .filter(|d| d.required && d.default.is_none() && !self.variables.contains_key(&d.name))
    }
}

/// Lower-case, dash-separated form of a name, used for ids and folder names.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            dash = false;
        } else if !dash && !out.is_empty() {
            out.push('-');
            dash = true;
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "mission".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_makes_readable_ids() {
        assert_eq!(slug("Keyword Analysis"), "keyword-analysis");
        assert_eq!(slug("  Data -- Pipeline!! "), "data-pipeline");
        assert_eq!(slug("???"), "mission");
    }

    #[test]
    fn mission_id_prefers_the_declared_id() {
        let mut m = Mission {
            name: "Keyword Analysis".into(),
            ..Default::default()
        };
        assert_eq!(m.mission_id(), "keyword-analysis");
        m.id = Some("com.acme.keywords".into());
        assert_eq!(m.mission_id(), "com.acme.keywords");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<Step>(r#"{"id":"a","step_type":"noop","paramaters":{}}"#)
            .unwrap_err();
        assert!(err.to_string().contains("paramaters"), "{err}");
    }

    #[test]
    fn a_rustchain_step_parses_with_defaults() {
        let step: Step = serde_json::from_str(
            r#"{"id":"a","name":"A","step_type":"command","depends_on":["b"],
                "parameters":{"command":"echo","args":["hi"]}}"#,
        )
        .unwrap();
        assert_eq!(step.depends_on, vec!["b"]);
        assert_eq!(step.continue_on_error, None);
        assert_eq!(step.parameters["args"][0], "hi");
    }
}
