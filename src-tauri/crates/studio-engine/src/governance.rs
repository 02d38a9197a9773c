//! What the host gives a run besides the mission: the operator's perimeter and the global caps,
//! the tool registry, the approver, the audit sinks, the LLM price table and the names of
//! secret variables ([`Governance`]); and how the executor turns a resolved step into a gate
//! request ([`prepare`]).

use crate::approval::{Approver, NoApprover};
use crate::audit::AuditSink;
use crate::budget::LlmDemand;
use crate::pricing::PriceTable;
use crate::steps::llm;
use crate::steps::RunSetup;
use crate::tools::{self, builtin_identity, ToolIdentity, ToolRegistry};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::Arc;
use studio_core::perimeter::{merge, EffectivePerimeter};
use studio_core::{Mission, Perimeter};

/// The perimeter, tools, approvals, audit and prices of a run. The default is an open
/// perimeter (only the mission's own), no registry tools, nobody to ask for approvals (a step
/// that needs one is skipped) and no audit sink.
#[derive(Clone)]
pub struct Governance {
    /// Global hard caps (settings): the top level of the merge.
    pub global: Perimeter,
    /// The operator's choices (`--perimeter FILE`, flags, the app's Quick Deploy).
    pub operator: Perimeter,
    pub tools: Arc<ToolRegistry>,
    pub approver: Arc<dyn Approver>,
    pub audit: Vec<Arc<dyn AuditSink>>,
    pub prices: PriceTable,
    /// Hashes of steps approved before the start ([`crate::gate::step_hash`]).
    pub pre_approved: HashSet<String>,
    /// Environment variables whose values are secret whatever their names.
    pub secret_env: Vec<String>,
    /// The operator's model providers and default provider.
    pub providers: Arc<crate::providers::ProviderTable>,
    /// Every model call is answered by the simulated provider (`--simulate-llm`, the Settings
    /// switch); the run's records say so.
    pub simulate_llm: bool,
}

impl Default for Governance {
    fn default() -> Self {
        Self {
            global: Perimeter::default(),
            operator: Perimeter::default(),
            tools: Arc::new(ToolRegistry::default()),
            approver: Arc::new(NoApprover),
            audit: Vec::new(),
            prices: PriceTable::default(),
            pre_approved: HashSet::new(),
            secret_env: Vec::new(),
            providers: Arc::default(),
            simulate_llm: false,
        }
    }
}

impl std::fmt::Debug for Governance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Governance")
            .field("global", &self.global)
            .field("operator", &self.operator)
            .field("tools", &self.tools.len())
            .field("audit_sinks", &self.audit.len())
            .finish_non_exhaustive()
    }
}

impl Governance {
    /// The perimeter the run is held to: global ∧ the mission's ∧ the operator's.
    pub fn effective_perimeter(&self, mission: &Mission) -> EffectivePerimeter {
        let template = mission.perimeter.clone().unwrap_or_default();
        merge(&self.global, &template, &self.operator)
    }
}

/// The mission's goal, constraints and perimeter: the start of every LLM system message.
pub fn llm_context(mission: &Mission, perimeter: &EffectivePerimeter) -> String {
    let mut parts = vec![format!(
        "You are working on the mission \"{}\".",
        mission.name
    )];
    if let Some(goal) = mission.goal.as_ref().or(mission.objective.as_ref()) {
        parts.push(format!("Goal: {}", goal.trim()));
    }
    if let Some(done) = &mission.done_definition {
        parts.push(format!("Done when: {}", done.trim()));
    }
    if let Some(c) = &mission.constraints {
        parts.push(format!("Constraints:\n{}", c.trim()));
    }
    parts.push(format!(
        "Perimeter (set by the operator; it cannot be changed):\n{}",
        perimeter.render()
    ));
    parts.join("\n\n")
}

/// A step ready for the gate.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub identity: ToolIdentity,
    pub runs_command: bool,
    pub llm: Option<LlmDemand>,
    /// What the step type runs with (for a `tool` step: the prepared call).
    pub params: Value,
    /// Secrets the call reads on its own (an LLM API key from the environment or the OS
    /// keyring) or holds in its parameters (an FTP password): `(mask label, value)`, masked from
    /// the gate on.
    pub secrets: Vec<(String, String)>,
    /// Why the call cannot be made (input not matching the tool's schema, a variable of its
    /// template not set). Reported after the gate, which judges the tool first, and ignored
    /// when a simulation override answers the step.
    pub deferred_error: Option<String>,
    /// Model endpoints the step calls that its parameters do not spell out (a knowledge step's
    /// embeddings provider, resolved from the provider table), for the network perimeter.
    pub endpoints: Vec<String>,
}

impl Prepared {
    /// Sets the `max_tokens` the gate granted.
    pub fn grant_max_tokens(&mut self, granted: u64) {
        let target = if self.params.get("call").is_some() {
            &mut self.params["call"]
        } else {
            &mut self.params
        };
        if let Value::Object(map) = target {
            map.insert("max_tokens".into(), json!(granted));
        }
    }
}

/// Turns a resolved step into what the gate checks and what the step type runs with.
pub(crate) fn prepare(
    step_type: &str,
    params: Value,
    registry: &ToolRegistry,
    setup: &RunSetup,
) -> Result<Prepared, String> {
    match step_type {
        "tool" => prepare_tool(params, registry, setup),
        "llm" => {
            let plan = llm::plan(&params, setup).map_err(|f| f.message)?;
            let (secret, deferred_error) = api_key(&params, &plan, setup);
            Ok(Prepared {
                identity: builtin_identity("llm", &params),
                runs_command: false,
                llm: Some(demand(&plan)),
                secrets: secret.into_iter().collect(),
                params,
                deferred_error,
                endpoints: Vec::new(),
            })
        }
        other => {
            let knowledge = match crate::steps::StepKind::parse(other) {
                Some(crate::steps::StepKind::Knowledge(kind)) => {
                    crate::steps::knowledge::prepare(kind, &params, setup)?
                }
                _ => Default::default(),
            };
            Ok(Prepared {
                identity: builtin_identity(other, &params),
                runs_command: crate::tools::reach(other) == crate::tools::Reach::Program,
                llm: knowledge.llm,
                secrets: knowledge
                    .secret
                    .into_iter()
                    .chain(param_secrets(other, &params))
                    .collect(),
                params,
                deferred_error: knowledge.deferred_error,
                endpoints: knowledge.endpoint.into_iter().collect(),
            })
        }
    }
}

/// The secrets a step type's parameters hold, under their parameter names or aliases.
fn param_secrets(step_type: &str, params: &Value) -> Vec<(String, String)> {
    match step_type {
        "ftp_upload" | "ftp_download" => crate::steps::ftp_secrets(
            step_type,
            &crate::steps::canonical_params(step_type, params.clone()),
        ),
        _ => Vec::new(),
    }
}

fn demand(plan: &llm::LlmPlan) -> LlmDemand {
    LlmDemand {
        prompt_tokens: plan.prompt_tokens,
        requested_max_tokens: plan.requested_max_tokens,
        input_price_per_mtok: plan.price.input_per_mtok,
        output_price_per_mtok: plan.price.output_per_mtok,
    }
}

/// The API key a call to a real endpoint will send (masked from then on), or why there is
/// none.
fn api_key(
    params: &Value,
    plan: &llm::LlmPlan,
    setup: &RunSetup,
) -> (Option<(String, String)>, Option<String>) {
    let llm::Provider::Remote(route) = &plan.provider else {
        return (None, None);
    };
    match llm::api_key(params, setup, route) {
        Ok(secret) => (secret, None),
        Err(e) => (None, Some(e)),
    }
}

fn prepare_tool(
    params: Value,
    registry: &ToolRegistry,
    setup: &RunSetup,
) -> Result<Prepared, String> {
    let name = params
        .get("name")
        .or_else(|| params.get("tool"))
        .and_then(Value::as_str)
        .ok_or("parameter `name` is required (the tool's name in the registry)")?;
    let Some(def) = registry.get(name) else {
        let known: Vec<&str> = registry.names().collect();
        return Err(if known.is_empty() {
            format!("unknown tool `{name}`: the tool registry is empty")
        } else {
            format!(
                "unknown tool `{name}`; the registry has: {}",
                known.join(", ")
            )
        });
    };
    let input = match params.get("input") {
        None | Some(Value::Null) => json!({}),
        Some(v) => v.clone(),
    };
    let (kind, template) = def.run.kind()?;
    let env = |n: &str| setup.env_var(n);
    let call = tools::check_input(def, &input).and_then(|()| {
        tools::render(template, &input, &env).map_err(|e| format!("tool `{name}`: {e}"))
    });
    let (call, deferred_error) = match call {
        Ok(call) => (call, None),
        Err(e) => (Value::Null, Some(e)),
    };
    let (llm_demand, secret, deferred_error) = if kind == "llm" && deferred_error.is_none() {
        let plan = llm::plan(&call, setup).map_err(|f| format!("tool `{name}`: {}", f.message))?;
        let (secret, error) = api_key(&call, &plan, setup);
        (
            Some(demand(&plan)),
            secret,
            error.map(|e| format!("tool `{name}`: {e}")),
        )
    } else {
        (None, None, deferred_error)
    };
    Ok(Prepared {
        identity: def.identity(),
        runs_command: kind == "command",
        llm: llm_demand,
        params: json!({"tool": def.name, "sector": def.sector, "kind": kind, "call": call}),
        secrets: secret.into_iter().collect(),
        deferred_error,
        endpoints: Vec::new(),
    })
}
