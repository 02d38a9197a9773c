//! The paper run of a forecast: the mission's steps in the order the scheduler starts them,
//! each attempt reserved in a real [`Ledger`] exactly as the gate reserves it, and settled
//! with what it can be known to use.

use crate::budget::{token_cost_micros, usd_to_micros_up, BudgetRefusal, Ledger, Spend};
use crate::governance::{self, Governance};
use crate::graph::Dag;
use crate::redact::Redactor;
use crate::state::MissionState;
use crate::steps::{self, llm, RunSetup, StepKind};
use crate::vars::{self, Scope, StepLookup};
use serde_json::{json, Value};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use studio_core::{Mission, StepStatus};

/// One step as the walk saw it.
#[derive(Debug, Clone, Default)]
pub(super) struct Walked {
    pub reused: bool,
    /// Answered by the mission's `simulation` block.
    pub simulated: bool,
    /// Attempts it may take: 1 for what cannot fail (a canned answer, the simulated model, a
    /// `noop`), `retry_attempts + 1` otherwise, 0 when reused.
    pub attempts: u32,
    /// What one attempt asks the ledger for before any clamp.
    pub ask: Spend,
    pub llm: Option<WalkedLlm>,
    /// References its parameters read that are known only once the run goes.
    pub unknown: Vec<String>,
    /// Why it would fail when it runs (found preparing it).
    pub problem: Option<String>,
    /// Whether it finishes at once (reused, canned, `noop`): no time on the clock.
    pub instant: bool,
}

#[derive(Debug, Clone)]
pub(super) struct WalkedLlm {
    pub provider: String,
    pub model: String,
    pub prompt_tokens: u64,
    pub max_tokens: u64,
    pub simulated_provider: bool,
}

/// The first reservation the ledger refused.
#[derive(Debug, Clone)]
pub(super) struct Stop {
    pub step: usize,
    pub refusal: BudgetRefusal,
}

pub(super) struct WalkResult {
    pub steps: Vec<Walked>,
    /// Steps in the order they were started.
    pub order: Vec<usize>,
    pub stop: Option<Stop>,
}

/// How a started step settles when its wave ends.
enum Settle {
    /// Charged what it reserved (a step with no model call: its base).
    All,
    /// A model call: what it used.
    Used(Spend),
}

struct Running {
    step: usize,
    reservation: Option<crate::budget::Reservation>,
    settle: Settle,
    output: Option<Value>,
}

pub(super) fn walk(
    mission: &Mission,
    dag: &Dag,
    governance: &Governance,
    context: &BTreeMap<String, Value>,
    env: Option<&BTreeMap<String, String>>,
    reused: &BTreeMap<String, Value>,
) -> WalkResult {
    let perimeter = governance.effective_perimeter(mission);
    let setup = RunSetup {
        llm_context: governance::llm_context(mission, &perimeter),
        prices: governance.prices.clone(),
        env: env.cloned(),
        confine_commands_to: None,
        providers: std::sync::Arc::clone(&governance.providers),
        simulate_llm: governance.simulate_llm,
        granted_roots: perimeter
            .roots
            .iter()
            .map(std::path::PathBuf::from)
            .collect(),
        trusted_host_keys: perimeter.trusted_host_keys.clone(),
        knowledge_store: None,
    };
    let ledger = Ledger::new(&perimeter.budget);
    let config = mission.config();
    let effective = studio_core::MissionConfig {
        timeout_seconds: config.timeout_seconds,
        fail_fast: Some(config.fail_fast.unwrap_or(true)),
        max_concurrent_steps: Some(
            config
                .max_concurrent_steps
                .unwrap_or(crate::DEFAULT_MAX_CONCURRENT_STEPS)
                .max(1),
        ),
        retry_attempts: Some(config.retry_attempts.unwrap_or(0)),
        retry_delay_ms: Some(
            config
                .retry_delay_ms
                .unwrap_or(crate::DEFAULT_RETRY_DELAY_MS),
        ),
    };
    let max_concurrent = effective.max_concurrent_steps.unwrap_or(1);
    let n = mission.steps.len();
    let mut w = Walker {
        mission,
        governance,
        setup,
        ledger,
        context,
        env,
        config_value: serde_json::to_value(&effective).unwrap_or(Value::Null),
        state: MissionState::new(mission.state_schema.as_ref()),
        started_at: crate::timefmt::rfc3339(crate::timefmt::now()),
        run_id: crate::new_run_id(),
        mission_id: mission.mission_id(),
        outputs: vec![None; n],
        steps: vec![Walked::default(); n],
        stop: None,
    };
    let mut remaining = dag.indegrees().to_vec();
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..n).filter(|&i| remaining[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    let mut running: Vec<Running> = Vec::new();
    let mut release = |i: usize, ready: &mut BinaryHeap<Reverse<usize>>| {
        for &d in dag.dependents(i) {
            remaining[d as usize] -= 1;
            if remaining[d as usize] == 0 {
                ready.push(Reverse(d as usize));
            }
        }
    };
    loop {
        while running.len() < max_concurrent {
            let Some(Reverse(i)) = ready.pop() else { break };
            order.push(i);
            match w.start(i, reused) {
                Some(r) => running.push(r),
                None => release(i, &mut ready),
            }
        }
        if running.is_empty() {
            break;
        }
        // The steps started together end together, in declaration order.
        running.sort_by_key(|r| r.step);
        for r in std::mem::take(&mut running) {
            if let Some(reservation) = &r.reservation {
                match r.settle {
                    Settle::All => w.ledger.settle(reservation, None),
                    Settle::Used(used) => w.ledger.settle(reservation, Some(used)),
                };
            }
            w.outputs[r.step] = r.output;
            release(r.step, &mut ready);
        }
    }
    WalkResult {
        steps: w.steps,
        order,
        stop: w.stop,
    }
}

struct Walker<'a> {
    mission: &'a Mission,
    governance: &'a Governance,
    setup: RunSetup,
    ledger: Ledger,
    context: &'a BTreeMap<String, Value>,
    env: Option<&'a BTreeMap<String, String>>,
    config_value: Value,
    state: MissionState,
    started_at: String,
    run_id: String,
    mission_id: String,
    /// Outputs known so far (`None`: not known before the run).
    outputs: Vec<Option<Value>>,
    steps: Vec<Walked>,
    stop: Option<Stop>,
}

impl Walker<'_> {
    /// Starts step `i`: `None` when it ended at once (its dependents may start), else what
    /// ends with its wave.
    fn start(&mut self, i: usize, reused: &BTreeMap<String, Value>) -> Option<Running> {
        let step = &self.mission.steps[i];
        if let Some(output) = reused.get(&step.id) {
            self.outputs[i] = Some(output.clone());
            self.steps[i] = Walked {
                reused: true,
                instant: true,
                ..Default::default()
            };
            return None;
        }
        let canned = self
            .mission
            .simulated_tool(step)
            .map(|t| &t.static_response);
        let mut unknown = Vec::new();
        let mut problem = None;
        if step.step_type == "command" {
            problem = steps::check_shell_line(&step.parameters).err();
        }
        let params = if step.step_type == "chain" {
            // `{{previous}}` and `{{answers.N}}` are the chain's own (see the executor).
            let protected = steps::agents::protect_chain_references(&step.parameters);
            self.resolve(&protected, &mut unknown)
        } else {
            self.resolve(&step.parameters, &mut unknown)
        };
        let kind = StepKind::parse(&step.step_type);
        let retries = step
            .retry_attempts
            .or(self.mission.config().retry_attempts)
            .unwrap_or(0);
        let mut walked = Walked {
            simulated: canned.is_some(),
            attempts: retries.saturating_add(1),
            unknown,
            ..Default::default()
        };
        let prepared = governance::prepare(
            &step.step_type,
            params.clone(),
            &self.governance.tools,
            &self.setup,
        );
        let prepared = match prepared {
            Ok(p) => Some(p),
            Err(e) => {
                problem.get_or_insert(e);
                None
            }
        };
        let base = Spend {
            steps: 1,
            cost_micros: match (&prepared, canned) {
                (Some(p), None) => usd_to_micros_up(p.identity.cost_usd),
                _ => 0,
            },
            ..Default::default()
        };
        let demand = match (&prepared, canned) {
            (Some(p), None) => p.llm,
            _ => None,
        };
        if let Some(p) = &prepared {
            if canned.is_none() {
                if let Some(e) = &p.deferred_error {
                    problem.get_or_insert(e.clone());
                }
            }
        }
        let plan = (step.step_type == "llm" && canned.is_none())
            .then(|| llm::plan(&params, &self.setup).ok())
            .flatten();
        let simulated_model = plan
            .as_ref()
            .is_some_and(|p| p.provider == llm::Provider::Simulated);
        walked.ask = base;
        if let Some(d) = &demand {
            walked.ask.llm_calls = 1;
            walked.ask.tokens = d.prompt_tokens + d.requested_max_tokens.max(1);
            walked.ask.cost_micros += token_cost_micros(
                d.prompt_tokens,
                d.requested_max_tokens.max(1),
                d.input_price_per_mtok,
                d.output_price_per_mtok,
            );
            walked.llm = Some(WalkedLlm {
                provider: plan
                    .as_ref()
                    .map(|p| match p.provider {
                        llm::Provider::Simulated => "simulated".to_string(),
                        llm::Provider::Remote(_) => p.asked.clone(),
                    })
                    .unwrap_or_else(|| called_provider(&step.step_type, &params)),
                model: plan
                    .as_ref()
                    .map(|p| p.model.clone())
                    .or_else(|| text_param(&params, "model"))
                    .unwrap_or_default(),
                prompt_tokens: d.prompt_tokens,
                max_tokens: d.requested_max_tokens.max(1),
                simulated_provider: simulated_model,
            });
        }
        if canned.is_none() {
            if let Some(worst) = model_turns_worst_case(self.mission, step, &params, &self.setup) {
                walked.ask.llm_calls += worst.llm_calls;
                walked.ask.tokens += worst.tokens;
                walked.ask.cost_micros += worst.cost_micros;
            }
        }
        // What cannot fail is tried once.
        if canned.is_some() || simulated_model || kind == Some(StepKind::Noop) {
            walked.attempts = 1;
        }
        let reservation = if self.stop.is_none() {
            match self.ledger.reserve(base, demand.as_ref()) {
                Ok(r) => Some(r),
                Err(refusal) => {
                    self.stop = Some(Stop { step: i, refusal });
                    None
                }
            }
        } else {
            None
        };
        let exact = walked.unknown.is_empty();
        walked.problem = problem;
        // A canned answer, or a `noop`, ends at once.
        if let Some(response) = canned {
            let output = if step.step_type == "tool" {
                let identity = prepared.as_ref().map(|p| &p.identity);
                json!({
                    "tool": identity.map(|t| t.name.to_string()),
                    "sector": identity.map(|t| t.sector.to_string()),
                    "output": response,
                    "simulated": true,
                })
            } else {
                response.clone()
            };
            return self.end_now(i, walked, reservation, Some(output));
        }
        if kind == Some(StepKind::Noop) {
            let output = prepared
                .as_ref()
                .filter(|_| exact)
                .and_then(|p| steps::run_inline(StepKind::Noop, p.params.clone()).ok())
                .map(|o| o.value);
            return self.end_now(i, walked, reservation, output);
        }
        let granted = reservation
            .as_ref()
            .and_then(|r| r.granted_max_tokens)
            .or(demand.map(|d| d.requested_max_tokens.max(1)));
        let (settle, output) = match (&plan, &demand) {
            // The simulated model: its answer is known to the token.
            (Some(plan), Some(_)) if simulated_model => {
                let out = llm::simulated(plan, granted.unwrap_or(1));
                let used = out.usage.unwrap_or_default();
                (Settle::Used(used), exact.then_some(out.value))
            }
            // A real model: at least the prompt and one answer token.
            (_, Some(d)) => (
                Settle::Used(Spend {
                    llm_calls: 1,
                    tokens: d.prompt_tokens + 1,
                    cost_micros: token_cost_micros(
                        d.prompt_tokens,
                        1,
                        d.input_price_per_mtok,
                        d.output_price_per_mtok,
                    ),
                    ..Default::default()
                }),
                None,
            ),
            _ => (Settle::All, None),
        };
        self.steps[i] = walked;
        Some(Running {
            step: i,
            reservation,
            settle,
            output,
        })
    }

    fn end_now(
        &mut self,
        i: usize,
        mut walked: Walked,
        reservation: Option<crate::budget::Reservation>,
        output: Option<Value>,
    ) -> Option<Running> {
        if let Some(r) = &reservation {
            self.ledger.settle(r, None);
        }
        walked.instant = true;
        self.steps[i] = walked;
        self.outputs[i] = output;
        None
    }

    /// The step's parameters with what is known now; the rest left out and named.
    fn resolve(&self, params: &Value, unknown: &mut Vec<String>) -> Value {
        if !vars::has_templates(params) {
            return params.clone();
        }
        let env_map = self.env;
        let env = |name: &str| match env_map {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        let steps = &self.mission.steps;
        let outputs = &self.outputs;
        let step = |id: &str| match steps.iter().position(|s| s.id == id) {
            Some(i) => match &outputs[i] {
                Some(out) => StepLookup::Output(out),
                None => StepLookup::NoOutput(StepStatus::Pending),
            },
            None => StepLookup::Unknown,
        };
        let finished = || {
            steps
                .iter()
                .zip(outputs.iter())
                .filter(|(_, o)| o.is_some())
                .map(|(s, _)| s.id.clone())
                .collect::<Vec<_>>()
        };
        let scope = Scope {
            env: &env,
            context: self.context,
            started_at: &self.started_at,
            config: &self.config_value,
            state: self.state.values(),
            mission_id: &self.mission_id,
            run_id: &self.run_id,
            workspace: "workspace",
            step: &step,
            finished_steps: &finished,
        };
        vars::resolve_lenient(params, &scope, &mut Redactor::default(), unknown)
    }
}

/// The worst case of an `agent` or `chain` step's model turns: each turn its prompt (the
/// objective or the prompt, as far as known before the run) and `max_tokens`; an agent takes
/// `max_iterations` turns (one more for a plan), a chain one per prompt. Each turn is reserved
/// against the budget when the step runs; the forecast shows what they could reach.
fn model_turns_worst_case(
    mission: &Mission,
    step: &studio_core::Step,
    params: &Value,
    setup: &RunSetup,
) -> Option<Spend> {
    let turns = match step.step_type.as_str() {
        "agent" => {
            let iterations = params
                .get("max_iterations")
                .or_else(|| params.get("max_steps"))
                .and_then(studio_core::step_params::whole_number)
                .unwrap_or(10)
                .max(1);
            let plans = mission.strategy_for(&step.id).map(|s| s.kind).or_else(|| {
                params
                    .get("strategy")
                    .and_then(Value::as_str)
                    .and_then(studio_core::agents::StrategyKind::parse)
            }) == Some(studio_core::agents::StrategyKind::PlanAndSolve);
            iterations + u64::from(plans)
        }
        "chain" => params
            .get("prompts")
            .or_else(|| params.get("steps"))
            .and_then(Value::as_array)
            .map_or(1, |p| p.len() as u64),
        _ => return None,
    };
    let prompt = params
        .get("objective")
        .or_else(|| params.get("goal"))
        .map(|v| v.to_string())
        .or_else(|| params.get("prompts").map(|v| v.to_string()))
        .unwrap_or_default();
    let mut p = params.clone();
    if let Value::Object(map) = &mut p {
        map.insert("prompt".into(), Value::String(prompt));
    }
    let plan = llm::plan(&p, setup).ok()?;
    let per_turn_tokens = plan.prompt_tokens + plan.requested_max_tokens.max(1);
    Some(Spend {
        steps: 0,
        llm_calls: turns,
        tokens: turns * per_turn_tokens,
        cost_micros: turns
            * token_cost_micros(
                plan.prompt_tokens,
                plan.requested_max_tokens.max(1),
                plan.price.input_per_mtok,
                plan.price.output_per_mtok,
            ),
    })
}

/// Who a model call that is not an `llm` step's goes to, as the forecast names it: a knowledge
/// step's embeddings provider, else the registry tool that makes it.
fn called_provider(step_type: &str, params: &Value) -> String {
    if studio_core::step_params::knowledge::is_knowledge_type(step_type) {
        text_param(params, "provider").unwrap_or_else(|| "local".into())
    } else {
        "tool".into()
    }
}

fn text_param(params: &Value, name: &str) -> Option<String> {
    params.get(name).and_then(Value::as_str).map(str::to_string)
}
