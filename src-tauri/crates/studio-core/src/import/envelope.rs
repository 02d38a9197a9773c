//! Mission Envelope v1 dispatch payload (seed: the factory communication contract): the work a
//! control plane hands to a factory: an objective, constraints, a budget, success criteria and
//! the outputs it expects back.
//!
//! The payload has no steps: the mission becomes an `llm` step (`work`) asked the objective and
//! the success criteria (the built-in simulated provider by default, so it runs offline; set
//! `provider: openai` for a real endpoint), then one `create_file` step per required output,
//! written from that answer (or `answer.md` when none is required).
//!
//! | envelope                          | native                                               |
//! |-----------------------------------|------------------------------------------------------|
//! | `mission_id`                      | `id` and `name`                                      |
//! | `mission_type`                    | a tag                                                |
//! | `objective`                       | `objective` and the `work` step's prompt             |
//! | `success_criteria`                | `done_definition` (one per line) and the prompt      |
//! | `constraints.allowed_tools` / `forbidden_tools` | `perimeter.tools.allowed` / `forbidden` |
//! | `constraints.approval_required`   | `perimeter.approval`: `mode: threshold`, `required_for` |
//! | `budget.*`                        | `perimeter.budget.*` (a 0 reads as "no cap")          |
//! | `artifact_policy.required_outputs`| `outputs`                                            |
//!
//! Dropped, each with a note: the VP identity and instances (`vp_id`, `vp_session_id`,
//! `vp_runtime_id`, `source_instance_id`, `target_instance_id`), `autonomy_window`,
//! `heartbeat_interval_seconds`, `report_cadence`, `artifact_policy.storage_scope`, `callback`
//! (events go to `events.jsonl`, the history and `--events`), `idempotency_key`, `trace_id`
//! (every run gets its own), `created_at`.

use super::{non_blank, step, ImportNote, Imported};
use crate::mission::{Approval, ApprovalMode, Budget, Mission, Perimeter, ToolRules};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A Mission Envelope v1 dispatch payload, as the spec writes it and as real control planes
/// send it: `vp_id` + `objective` alone is an envelope (the `mission_id` is then derived), a
/// `mission_type` may be any kind, and the keys such payloads carry besides the spec's are
/// accepted (each dropped with a note, or mapped where it has a meaning here).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchPayload {
    #[serde(default)]
    pub mission_id: Option<String>,
    #[serde(default)]
    pub vp_id: Option<String>,
    #[serde(default)]
    pub vp_session_id: Option<String>,
    #[serde(default)]
    pub vp_runtime_id: Option<String>,
    #[serde(default)]
    pub source_instance_id: Option<String>,
    #[serde(default)]
    pub target_instance_id: Option<String>,
    /// `coding | research | automation | custom` in the spec; any kind in practice.
    #[serde(default)]
    pub mission_type: Option<String>,
    pub objective: String,
    #[serde(default)]
    pub constraints: Option<EnvelopeConstraints>,
    #[serde(default)]
    pub budget: Option<EnvelopeBudget>,
    #[serde(default)]
    pub autonomy_window: Option<AutonomyWindow>,
    #[serde(default)]
    pub heartbeat_interval_seconds: Option<u64>,
    #[serde(default)]
    pub report_cadence: Option<ReportCadence>,
    #[serde(default)]
    pub success_criteria: Vec<String>,
    #[serde(default)]
    pub artifact_policy: Option<ArtifactPolicy>,
    #[serde(default)]
    pub callback: Option<Callback>,
    #[serde(default)]
    pub idempotency_key: Option<String>,
    #[serde(default)]
    pub trace_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    /// Extra instructions for the worker (becomes the `work` step's system message).
    #[serde(default)]
    pub system_prompt_injection: Option<String>,
    // Keys real control planes send that have no meaning for a local run.
    #[serde(default)]
    pub priority: Option<Value>,
    #[serde(default)]
    pub reply_mode: Option<Value>,
    #[serde(default)]
    pub execution_mode: Option<Value>,
    #[serde(default)]
    pub source_session_id: Option<Value>,
    #[serde(default)]
    pub source_turn_id: Option<Value>,
    #[serde(default)]
    pub vp_display_name: Option<Value>,
    #[serde(default)]
    pub run_id: Option<Value>,
    #[serde(default)]
    pub task_id: Option<Value>,
    #[serde(default)]
    pub metadata: Option<Value>,
}

/// The kinds the envelope spec lists; any other is kept as a tag with a note.
const SPEC_MISSION_TYPES: &[&str] = &["coding", "research", "automation", "custom"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportCadence {
    Milestone,
    Interval,
    Hybrid,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
pub struct EnvelopeConstraints {
    #[serde(default)]
    pub allowed_tools: Vec<String>,
    #[serde(default)]
    pub forbidden_tools: Vec<String>,
    #[serde(default)]
    pub approval_required: Vec<String>,
    /// A runtime cap written among the constraints (real payloads do).
    #[serde(default)]
    pub max_duration_minutes: Option<f64>,
    #[serde(default)]
    pub max_tokens: Option<u64>,
    /// `false`: the mission may not change the repository: a read-only sandbox.
    #[serde(default)]
    pub repo_mutation_allowed: Option<bool>,
    #[serde(default)]
    pub mission_type: Option<String>,
    /// Places and settings of the control plane's own workers (paths, workflow kinds).
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeBudget {
    #[serde(default)]
    pub max_runtime_minutes: Option<f64>,
    /// Another spelling of `max_runtime_minutes` seen in real payloads.
    #[serde(default)]
    pub max_minutes: Option<f64>,
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    #[serde(default)]
    pub max_retries: Option<u32>,
    #[serde(default)]
    pub max_tokens: Option<u64>,
    #[serde(default)]
    pub max_llm_calls: Option<u64>,
    #[serde(default)]
    pub max_cost_usd: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutonomyWindow {
    #[serde(default)]
    pub start_at: Option<String>,
    #[serde(default)]
    pub end_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtifactPolicy {
    #[serde(default)]
    pub required_outputs: Vec<String>,
    #[serde(default)]
    pub storage_scope: Option<StorageScope>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StorageScope {
    Factory,
    Shared,
    Pushback,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Callback {
    #[serde(default)]
    pub status_url: Option<String>,
    #[serde(default)]
    pub auth_mode: Option<String>,
    #[serde(default)]
    pub auth_ref: Option<String>,
}

/// The threshold set when `approval_required` asks for the threshold mode.
const APPROVAL_THRESHOLD_USD: f64 = 1.0;

/// Converts a dispatch payload to a native mission, noting what was mapped and dropped.
pub fn convert(p: &DispatchPayload) -> Imported {
    let mut notes = Vec::new();
    let mission_id = match non_blank(p.mission_id.as_deref()) {
        Some(id) => {
            notes.push(ImportNote::mapped("mission_id", "to `id` and `name`"));
            id
        }
        None => {
            let id = derived_mission_id(p);
            notes.push(ImportNote::mapped(
                "mission_id",
                format!("(absent) derived as `{id}` from the VP and the idempotency key (or the objective), so the same dispatch gets the same id"),
            ));
            id
        }
    };
    let identity: Vec<&str> = [
        ("vp_id", &p.vp_id),
        ("vp_session_id", &p.vp_session_id),
        ("vp_runtime_id", &p.vp_runtime_id),
        ("source_instance_id", &p.source_instance_id),
        ("target_instance_id", &p.target_instance_id),
    ]
    .into_iter()
    .filter(|(_, v)| v.is_some())
    .map(|(k, _)| k)
    .collect();
    if !identity.is_empty() {
        notes.push(ImportNote::dropped(
            identity.join(", "),
            "the run executes here, in this process; there is no VP session or instance to \
             route to",
        ));
    }
    let mut tags = Vec::new();
    let kinds = [
        ("mission_type", p.mission_type.as_deref()),
        (
            "constraints.mission_type",
            p.constraints
                .as_ref()
                .and_then(|c| c.mission_type.as_deref()),
        ),
    ];
    for (field, kind) in kinds {
        let Some(kind) = non_blank(kind) else {
            continue;
        };
        if tags.contains(&kind) {
            continue;
        }
        let message = if SPEC_MISSION_TYPES.contains(&kind.as_str()) {
            format!("to the tag `{kind}`")
        } else {
            format!(
                "to the tag `{kind}` (a kind outside the spec's {}; kept as it is)",
                SPEC_MISSION_TYPES.join(", ")
            )
        };
        notes.push(ImportNote::mapped(field, message));
        tags.push(kind);
    }
    let criteria: Vec<&str> = p
        .success_criteria
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect();
    let done_definition = (!criteria.is_empty()).then(|| criteria.join("\n"));
    if done_definition.is_some() {
        notes.push(ImportNote::mapped(
            "success_criteria",
            "to `done_definition` and into the `work` step's prompt",
        ));
    }
    notes.push(ImportNote::mapped(
        "objective",
        "to `objective` and the prompt of an `llm` step `work` (simulated provider by default; \
         set `provider: openai` for a real endpoint)",
    ));

    let perimeter = perimeter(p, &mut notes);

    let mut outputs: Vec<String> = p
        .artifact_policy
        .as_ref()
        .map(|a| a.required_outputs.clone())
        .unwrap_or_default();
    if let Some(policy) = &p.artifact_policy {
        if !policy.required_outputs.is_empty() {
            notes.push(ImportNote::mapped(
                "artifact_policy.required_outputs",
                "to `outputs`, each written from the `work` step's answer",
            ));
        }
        if let Some(scope) = policy.storage_scope {
            notes.push(ImportNote::dropped(
                "artifact_policy.storage_scope",
                format!("`{scope:?}`: outputs are kept in the run's evidence folder (`outputs/`)")
                    .to_lowercase(),
            ));
        }
    }
    if outputs.is_empty() {
        outputs.push("answer.md".into());
    }
    if let Some(w) = &p.autonomy_window {
        notes.push(ImportNote::dropped(
            "autonomy_window",
            format!(
                "{} to {}: a run starts when it is launched; cap its length with \
                 `budget.max_runtime_minutes`",
                w.start_at.as_deref().unwrap_or("?"),
                w.end_at.as_deref().unwrap_or("?")
            ),
        ));
    }
    if p.heartbeat_interval_seconds.is_some() || p.report_cadence.is_some() {
        notes.push(ImportNote::dropped(
            "heartbeat_interval_seconds, report_cadence",
            "every state change is an event as it happens",
        ));
    }
    if let Some(c) = &p.callback {
        notes.push(ImportNote::dropped(
            "callback",
            format!(
                "no status is posted to {}; events go to the run's `events.jsonl`, the history \
                 and `--events FILE`",
                c.status_url.as_deref().unwrap_or("the callback")
            ),
        ));
    }
    if p.idempotency_key.is_some() {
        notes.push(ImportNote::dropped(
            "idempotency_key",
            "each event of the run gets its own idempotency key",
        ));
    }
    if let Some(trace) = &p.trace_id {
        notes.push(ImportNote::dropped(
            "trace_id",
            format!("`{trace}`: every run gets its own trace id"),
        ));
    }
    if p.created_at.is_some() {
        notes.push(ImportNote::dropped(
            "created_at",
            "the evidence folder records when the run started",
        ));
    }
    let routing: Vec<&str> = [
        ("priority", &p.priority),
        ("reply_mode", &p.reply_mode),
        ("execution_mode", &p.execution_mode),
        ("source_session_id", &p.source_session_id),
        ("source_turn_id", &p.source_turn_id),
        ("vp_display_name", &p.vp_display_name),
        ("run_id", &p.run_id),
        ("task_id", &p.task_id),
        ("metadata", &p.metadata),
    ]
    .into_iter()
    .filter(|(_, v)| v.is_some())
    .map(|(k, _)| k)
    .collect();
    if !routing.is_empty() {
        notes.push(ImportNote::dropped(
            routing.join(", "),
            "the control plane's routing and bookkeeping; the run is local",
        ));
    }
    if let Some(c) = &p.constraints {
        let places: Vec<&str> = c.other.keys().map(String::as_str).collect();
        if !places.is_empty() {
            notes.push(ImportNote::dropped(
                places
                    .iter()
                    .map(|k| format!("constraints.{k}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                "settings of the control plane's own workers; the run works in its own workspace",
            ));
        }
    }

    let mut prompt = format!("Objective: {}", p.objective.trim());
    if !criteria.is_empty() {
        prompt.push_str("\n\nSuccess criteria:");
        for c in &criteria {
            prompt.push_str(&format!("\n- {c}"));
        }
    }
    let mut work = json!({ "prompt": prompt });
    if let Some(system) = non_blank(p.system_prompt_injection.as_deref()) {
        work["system_message"] = Value::String(system);
        notes.push(ImportNote::mapped(
            "system_prompt_injection",
            "to the `work` step's `system_message`",
        ));
    }
    let mut steps = vec![step(
        "work",
        "llm",
        "Carry out the objective",
        Vec::new(),
        work,
    )];
    for (i, output) in outputs.iter().enumerate() {
        steps.push(step(
            &format!("output_{}", i + 1),
            "create_file",
            &format!("Write {output}"),
            vec!["work".into()],
            json!({ "path": output, "content": "{{work.output.text}}" }),
        ));
    }

    let mission = Mission {
        id: Some(mission_id.clone()),
        name: mission_id,
        objective: non_blank(Some(&p.objective)),
        done_definition,
        tags,
        perimeter,
        steps,
        outputs,
        ..Mission::default()
    };
    Imported { mission, notes }
}

/// `vp-mission-<hash>` of the VP and the idempotency key (else the objective).
fn derived_mission_id(p: &DispatchPayload) -> String {
    use sha2::{Digest, Sha256};
    let vp = p.vp_id.as_deref().unwrap_or("local");
    let key = p.idempotency_key.as_deref().unwrap_or(&p.objective);
    let digest = Sha256::digest(format!("{vp}:{key}").as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("vp-mission-{hex}")
}

fn perimeter(p: &DispatchPayload, notes: &mut Vec<ImportNote>) -> Option<Perimeter> {
    let mut perimeter = Perimeter::default();
    if p.constraints.as_ref().and_then(|c| c.repo_mutation_allowed) == Some(false) {
        perimeter.sandbox = Some(crate::mission::Sandbox::ReadOnly);
        notes.push(ImportNote::mapped(
            "constraints.repo_mutation_allowed",
            "(`false`) to `perimeter.sandbox: read-only`",
        ));
    }
    if let Some(c) = &p.constraints {
        if !c.allowed_tools.is_empty() || !c.forbidden_tools.is_empty() {
            notes.push(ImportNote::mapped(
                "constraints.allowed_tools, constraints.forbidden_tools",
                "to `perimeter.tools.allowed` and `forbidden`",
            ));
            perimeter.tools = Some(ToolRules {
                allowed: c.allowed_tools.clone(),
                forbidden: c.forbidden_tools.clone(),
            });
        }
        if !c.approval_required.is_empty() {
            notes.push(ImportNote::mapped(
                "constraints.approval_required",
                format!(
                    "to `perimeter.approval` (mode `threshold`, `required_for` these tools, \
                     threshold ${APPROVAL_THRESHOLD_USD})"
                ),
            ));
            perimeter.approval = Some(Approval {
                mode: ApprovalMode::Threshold,
                threshold_usd: Some(APPROVAL_THRESHOLD_USD),
                required_for: c.approval_required.clone(),
            });
        }
    }
    if let Some(b) = &p.budget {
        let mut budget = Budget::default();
        let mut zero = Vec::new();
        match b.max_runtime_minutes {
            Some(0.0) => zero.push("max_runtime_minutes"),
            v => budget.max_runtime_minutes = v,
        }
        match b.max_llm_calls {
            Some(0) => zero.push("max_llm_calls"),
            v => budget.max_llm_calls = v,
        }
        match b.max_cost_usd {
            Some(0.0) => zero.push("max_cost_usd"),
            v => budget.max_cost_usd = v.filter(|c| c.is_finite()),
        }
        if budget.max_runtime_minutes.is_none() {
            if let Some(minutes) = b.max_minutes.filter(|m| *m > 0.0 && m.is_finite()) {
                budget.max_runtime_minutes = Some(minutes);
                notes.push(ImportNote::mapped(
                    "budget.max_minutes",
                    "to `perimeter.budget.max_runtime_minutes`",
                ));
            }
        }
        if let Some(tokens) = b.max_tokens.filter(|t| *t > 0) {
            budget.max_tokens = Some(tokens);
        }
        if b.timeout_seconds.is_some() || b.max_retries.is_some() {
            notes.push(ImportNote::dropped(
                "budget.timeout_seconds, budget.max_retries",
                "a dispatch's delivery settings; cap the run with `max_runtime_minutes` (the worker's `--timeout`)",
            ));
        }
        if !zero.is_empty() {
            notes.push(ImportNote::dropped(
                zero.iter()
                    .map(|z| format!("budget.{z}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                "0 is read as \"no cap\" (the envelope's placeholder)",
            ));
        }
        if budget != Budget::default() {
            notes.push(ImportNote::mapped("budget", "to `perimeter.budget`"));
            perimeter.budget = Some(budget);
        }
    }
    if let Some(c) = &p.constraints {
        let budget = perimeter.budget.get_or_insert_with(Budget::default);
        if let (Some(minutes), None) = (c.max_duration_minutes, budget.max_runtime_minutes) {
            if minutes > 0.0 {
                budget.max_runtime_minutes = Some(minutes);
                notes.push(ImportNote::mapped(
                    "constraints.max_duration_minutes",
                    "to `perimeter.budget.max_runtime_minutes`",
                ));
            }
        }
        if let (Some(tokens), None) = (c.max_tokens, budget.max_tokens) {
            if tokens > 0 {
                budget.max_tokens = Some(tokens);
                notes.push(ImportNote::mapped(
                    "constraints.max_tokens",
                    "to `perimeter.budget.max_tokens`",
                ));
            }
        }
        if *budget == Budget::default() {
            perimeter.budget = None;
        }
    }
    (perimeter != Perimeter::default()).then_some(perimeter)
}
