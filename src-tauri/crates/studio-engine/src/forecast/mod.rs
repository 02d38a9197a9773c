//! The launch forecast: before a run starts, the worst case of every cap of its perimeter —
//! tokens, LLM calls, cost, steps, runtime — against the limits the run would be held to, and
//! whether the run can complete at all.
//!
//! The arithmetic is the run's own. The effective perimeter is [`Governance::effective_perimeter`]
//! (global caps ∧ the mission's ∧ the operator's). Each step is prepared as the executor
//! prepares it ([`crate::governance::prepare`]: the LLM prompt estimate, `max_tokens`, prices)
//! and every attempt is reserved in a real [`crate::budget::Ledger`], in the order the scheduler
//! starts steps (ready steps in declaration order, up to `max_concurrent_steps` together), so a
//! refusal the forecast finds is the gate's own, with the gate's figures ("needs up to 338
//! tokens" is what the gate would say).
//!
//! - **Worst case** of a cap: every attempt of every step (retries counted, except for what
//!   cannot fail: canned answers, the simulated model, `noop`) asking for all it may use (an
//!   LLM call's prompt and its whole `max_tokens`). Runtime: the longest path through the
//!   graph of step timeouts × attempts plus retry delays; unbounded when a step on the way
//!   declares no timeout.
//! - **Verdict** per cap: `holds` (the worst case fits), `tight` (it does not, but the run can
//!   still complete: the ledger shortens answers to what is left, and retries may be refused),
//!   `short` (the ledger refuses an attempt even when every model answer is as short as it can
//!   be — the run **cannot complete**), `unbounded` (runtime with no timeouts to add up).
//! - A step's settlement in the paper run: the simulated model's answer is computed (it is
//!   deterministic), so simulated runs are forecast to the token; a real model is assumed to
//!   answer with one token, the least, so a `short` verdict is certain. A value known only once
//!   the run goes (a command's output, a real model's answer) counts as empty in the prompts
//!   that read it, and is named ([`Forecast::unknown_values`]).
//!
//! Steps that can run together are taken as starting together and ending together.

mod walk;

use crate::budget::{micros_to_usd, usd_to_micros_down, Spend};
use crate::graph::Dag;
use crate::{EngineError, Governance};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use studio_core::{Budget, Mission};

/// A cap of the perimeter's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cap {
    MaxTokens,
    MaxLlmCalls,
    MaxCostUsd,
    MaxSteps,
    MaxRuntimeMinutes,
}

impl Cap {
    pub const ALL: [Cap; 5] = [
        Cap::MaxTokens,
        Cap::MaxLlmCalls,
        Cap::MaxCostUsd,
        Cap::MaxSteps,
        Cap::MaxRuntimeMinutes,
    ];

    /// The perimeter field (`max_tokens`, …), as the gate's refusals name it.
    pub fn field(self) -> &'static str {
        match self {
            Cap::MaxTokens => "max_tokens",
            Cap::MaxLlmCalls => "max_llm_calls",
            Cap::MaxCostUsd => "max_cost_usd",
            Cap::MaxSteps => "max_steps",
            Cap::MaxRuntimeMinutes => "max_runtime_minutes",
        }
    }

    pub fn from_field(field: &str) -> Option<Cap> {
        Cap::ALL.into_iter().find(|c| c.field() == field)
    }

    /// What it counts, in words: `tokens`, `LLM calls`, `cost`, `steps`, `runtime`.
    pub fn label(self) -> &'static str {
        match self {
            Cap::MaxTokens => "tokens",
            Cap::MaxLlmCalls => "LLM calls",
            Cap::MaxCostUsd => "cost",
            Cap::MaxSteps => "steps",
            Cap::MaxRuntimeMinutes => "runtime",
        }
    }

    /// An amount in the cap's unit, for people: `338 tokens`, `3 LLM calls`, `0.000450 USD`
    /// (money in micro-dollars, shown to the micro-dollar), `12 steps`, `2 min 30 s`.
    pub fn show(self, amount: u64) -> String {
        match self {
            Cap::MaxTokens => format!("{amount} tokens"),
            Cap::MaxLlmCalls if amount == 1 => "1 LLM call".into(),
            Cap::MaxLlmCalls => format!("{amount} LLM calls"),
            Cap::MaxCostUsd => format!("{:.6} USD", micros_to_usd(amount)),
            Cap::MaxSteps if amount == 1 => "1 step".into(),
            Cap::MaxSteps => format!("{amount} steps"),
            Cap::MaxRuntimeMinutes => show_duration(amount),
        }
    }
}

/// Milliseconds for people: `850 ms`, `45 s`, `2 min 30 s`, `1 h 5 min`.
pub fn show_duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        _ if ms < 1000 => format!("{ms} ms"),
        0..=59 if ms.is_multiple_of(1000) => format!("{s} s"),
        0..=59 => format!("{:.1} s", ms as f64 / 1000.0),
        60..=3599 if s.is_multiple_of(60) => format!("{} min", s / 60),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ if (s % 3600) / 60 == 0 => format!("{} h", s / 3600),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// How a cap fares against the worst case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The worst case fits (or there is no cap).
    Holds,
    /// The worst case does not fit, but the run can complete: answers may be cut short to
    /// what is left, a retry may be refused.
    Tight,
    /// An attempt is refused even at its least: the run cannot complete.
    Short,
    /// Runtime with a step that declares no timeout: no worst case to compare.
    Unbounded,
}

/// A level of the perimeter merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The global hard caps (the app's Settings, `perimeter.yaml` in the data folder).
    Global,
    /// The mission's own perimeter (and, for runtime, its `config.timeout_seconds`).
    Mission,
    /// The operator's perimeter (Quick Deploy, `--max-tokens`, …).
    Operator,
}

/// One cap's forecast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapForecast {
    pub cap: Cap,
    /// In the cap's unit (tokens, calls, micro-dollars, steps, milliseconds); `None`:
    /// unbounded.
    pub worst_case: Option<u64>,
    /// The limit as the ledger holds it (money rounded down to the micro-dollar); `None`: no
    /// cap.
    pub limit: Option<u64>,
    /// The levels whose value is the limit (raising the limit means raising each of them).
    pub set_by: Vec<Level>,
    pub verdict: Verdict,
    /// `short`: the refused step; `tight`: the step from which the worst case passes the cap;
    /// runtime: the steps without a timeout, or the longest path.
    pub culprits: Vec<String>,
}

impl CapForecast {
    pub fn holds(&self) -> bool {
        self.verdict == Verdict::Holds
    }
}

/// An LLM call of a step as the gate would see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LlmForecast {
    pub provider: String,
    pub model: String,
    /// The prompt estimate the gate reserves (system message included).
    pub prompt_tokens: u64,
    /// The answer tokens asked for (`max_tokens`).
    pub max_tokens: u64,
    /// Answered by the simulated provider (deterministic: forecast to the token).
    pub simulated_provider: bool,
    /// False when the prompt reads values known only once the run goes (counted as empty).
    pub prompt_exact: bool,
}

/// One step's part of the worst case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepForecast {
    pub step_id: String,
    pub step_type: String,
    /// Attempts counted (0: reused by a resume).
    pub attempts: u32,
    pub reused: bool,
    /// Answered by the mission's `simulation` block (no cost, no model).
    pub simulated: bool,
    /// What one attempt asks the gate to reserve, before any clamp.
    pub per_attempt: Spend,
    /// `per_attempt` × `attempts`.
    pub worst_case: Spend,
    pub llm: Option<LlmForecast>,
    /// The worst time it may take (attempts × timeout + retry delays); `None`: no timeout.
    pub worst_ms: Option<u64>,
    /// References of its parameters known only once the run goes.
    pub unknown_values: Vec<String>,
    /// Why it would fail when it runs, found while preparing it.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The run cannot complete.
    Blocking,
    /// It may fall short.
    Warning,
    Note,
}

/// What the forecast says in words, with the figures it says it with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub cap: Option<Cap>,
    pub step_id: Option<String>,
    /// What the step needs (the gate's figure), in the cap's unit.
    pub need: Option<u64>,
    /// Used or reserved before it.
    pub used: Option<u64>,
    pub limit: Option<u64>,
    pub set_by: Vec<Level>,
    pub message: String,
}

/// The forecast of one launch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// Tokens, LLM calls, cost, steps, runtime, in that order.
    pub caps: Vec<CapForecast>,
    /// In the mission's order.
    pub steps: Vec<StepForecast>,
    /// Blocking first.
    pub findings: Vec<Finding>,
    /// Values read by parameters that are known only once the run goes (`x.output.stdout`).
    pub unknown_values: Vec<String>,
}

impl Forecast {
    /// Whether no cap stops the run for sure.
    pub fn can_complete(&self) -> bool {
        self.caps.iter().all(|c| c.verdict != Verdict::Short)
    }

    /// Whether every cap holds the worst case.
    pub fn holds(&self) -> bool {
        self.caps.iter().all(CapForecast::holds)
    }

    /// The finding that says why the run cannot complete.
    pub fn shortfall(&self) -> Option<&Finding> {
        self.findings
            .iter()
            .find(|f| f.severity == Severity::Blocking)
    }

    pub fn cap(&self, cap: Cap) -> Option<&CapForecast> {
        self.caps.iter().find(|c| c.cap == cap)
    }
}

/// What a forecast is made from: what a run would be given.
#[derive(Debug, Clone)]
pub struct ForecastRequest<'a> {
    pub mission: &'a Mission,
    /// The levels of the perimeter, the tools, prices and providers of the run.
    pub governance: &'a Governance,
    /// Run inputs given now (the mission's defaults are added as a run adds them).
    pub context: BTreeMap<String, Value>,
    /// `{{env.NAME}}` values; `None` reads the process environment.
    pub env: Option<BTreeMap<String, String>>,
    /// Steps a resume reuses, with their outputs: they do not run.
    pub reused: BTreeMap<String, Value>,
}

impl<'a> ForecastRequest<'a> {
    pub fn new(mission: &'a Mission, governance: &'a Governance) -> Self {
        Self {
            mission,
            governance,
            context: BTreeMap::new(),
            env: None,
            reused: BTreeMap::new(),
        }
    }
}

/// Forecasts a launch. A graph that cannot run (duplicate ids, unknown dependencies, a cycle)
/// is the error a run would give.
pub fn forecast(request: &ForecastRequest<'_>) -> Result<Forecast, EngineError> {
    let mission = request.mission;
    let dag = Dag::build(&mission.steps)?;
    let mut context = mission.input_defaults();
    context.extend(request.context.clone());
    let walked = walk::walk(
        mission,
        &dag,
        request.governance,
        &context,
        request.env.as_ref(),
        &request.reused,
    );
    let perimeter = request.governance.effective_perimeter(mission);
    let levels = Levels {
        global: request.governance.global.budget.clone().unwrap_or_default(),
        mission: mission
            .perimeter
            .as_ref()
            .and_then(|p| p.budget.clone())
            .unwrap_or_default(),
        operator: request
            .governance
            .operator
            .budget
            .clone()
            .unwrap_or_default(),
        timeout_seconds: mission.config().timeout_seconds,
    };
    let retry_delay_ms = mission
        .config()
        .retry_delay_ms
        .unwrap_or(crate::DEFAULT_RETRY_DELAY_MS);
    let steps: Vec<StepForecast> = mission
        .steps
        .iter()
        .zip(&walked.steps)
        .map(|(step, w)| {
            let attempts = if w.reused { 0 } else { w.attempts };
            let times = |v: u64| v.saturating_mul(u64::from(attempts));
            let worst_ms = if w.instant || w.llm.as_ref().is_some_and(|l| l.simulated_provider) {
                Some(0)
            } else {
                step.timeout_seconds.map(|t| {
                    times(t.saturating_mul(1000))
                        + retry_delay_ms.saturating_mul(u64::from(attempts.saturating_sub(1)))
                })
            };
            StepForecast {
                step_id: step.id.clone(),
                step_type: step.step_type.clone(),
                attempts,
                reused: w.reused,
                simulated: w.simulated,
                per_attempt: w.ask,
                worst_case: Spend {
                    steps: times(w.ask.steps),
                    llm_calls: times(w.ask.llm_calls),
                    tokens: times(w.ask.tokens),
                    cost_micros: times(w.ask.cost_micros),
                },
                llm: w.llm.as_ref().map(|l| LlmForecast {
                    provider: l.provider.clone(),
                    model: l.model.clone(),
                    prompt_tokens: l.prompt_tokens,
                    max_tokens: l.max_tokens,
                    simulated_provider: l.simulated_provider,
                    prompt_exact: w.unknown.is_empty(),
                }),
                worst_ms,
                unknown_values: w.unknown.clone(),
                problem: w.problem.clone(),
            }
        })
        .collect();
    let mut caps = Vec::with_capacity(5);
    let mut findings = Vec::new();
    for cap in [
        Cap::MaxTokens,
        Cap::MaxLlmCalls,
        Cap::MaxCostUsd,
        Cap::MaxSteps,
    ] {
        let (forecast, finding) = budget_cap(cap, &perimeter.budget, &levels, &steps, &walked);
        caps.push(forecast);
        findings.extend(finding);
    }
    let (runtime, finding) = runtime_cap(&perimeter.budget, &levels, &dag, &steps);
    caps.push(runtime);
    findings.extend(finding);
    let mut unknown_values: Vec<String> = Vec::new();
    for s in &steps {
        for u in &s.unknown_values {
            if !unknown_values.contains(u) {
                unknown_values.push(u.clone());
            }
        }
        if let Some(problem) = s.problem.as_ref().filter(|_| s.unknown_values.is_empty()) {
            findings.push(Finding {
                severity: Severity::Warning,
                cap: None,
                step_id: Some(s.step_id.clone()),
                need: None,
                used: None,
                limit: None,
                set_by: Vec::new(),
                message: format!("`{}` would fail: {problem}", s.step_id),
            });
        }
    }
    let inexact: Vec<&StepForecast> = steps
        .iter()
        .filter(|s| s.llm.as_ref().is_some_and(|l| !l.prompt_exact))
        .collect();
    if !inexact.is_empty() {
        findings.push(Finding {
            severity: Severity::Note,
            cap: Some(Cap::MaxTokens),
            step_id: None,
            need: None,
            used: None,
            limit: None,
            set_by: Vec::new(),
            message: format!(
                "the prompts of {} read values known only once the run goes ({}): counted as empty, their tokens are a lower bound",
                inexact
                    .iter()
                    .map(|s| format!("`{}`", s.step_id))
                    .collect::<Vec<_>>()
                    .join(", "),
                inexact
                    .iter()
                    .flat_map(|s| s.unknown_values.iter())
                    .map(|u| format!("{{{{{u}}}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    findings.sort_by_key(|f| match f.severity {
        Severity::Blocking => 0,
        Severity::Warning => 1,
        Severity::Note => 2,
    });
    Ok(Forecast {
        caps,
        steps,
        findings,
        unknown_values,
    })
}

/// The budget of each level of the merge.
struct Levels {
    global: Budget,
    mission: Budget,
    operator: Budget,
    timeout_seconds: Option<u64>,
}

impl Levels {
    /// The levels whose value of `cap` is the effective `limit`.
    fn set_by(&self, cap: Cap, limit: Option<u64>) -> Vec<Level> {
        let Some(limit) = limit else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (level, budget) in [
            (Level::Global, &self.global),
            (Level::Mission, &self.mission),
            (Level::Operator, &self.operator),
        ] {
            if limit_of(cap, budget) == Some(limit) {
                out.push(level);
            }
        }
        if cap == Cap::MaxRuntimeMinutes
            && self.timeout_seconds.map(|t| t.saturating_mul(1000)) == Some(limit)
            && !out.contains(&Level::Mission)
        {
            out.push(Level::Mission);
        }
        out
    }
}

/// A budget's limit of `cap` in the cap's unit, as the ledger holds it.
fn limit_of(cap: Cap, b: &Budget) -> Option<u64> {
    match cap {
        Cap::MaxTokens => b.max_tokens,
        Cap::MaxLlmCalls => b.max_llm_calls,
        Cap::MaxCostUsd => b.max_cost_usd.map(usd_to_micros_down),
        Cap::MaxSteps => b.max_steps,
        Cap::MaxRuntimeMinutes => b
            .max_runtime_minutes
            .map(|m| (m.max(0.0) * 60_000.0).round() as u64),
    }
}

fn amount(cap: Cap, s: &Spend) -> u64 {
    match cap {
        Cap::MaxTokens => s.tokens,
        Cap::MaxLlmCalls => s.llm_calls,
        Cap::MaxCostUsd => s.cost_micros,
        Cap::MaxSteps => s.steps,
        Cap::MaxRuntimeMinutes => 0,
    }
}

fn budget_cap(
    cap: Cap,
    budget: &Budget,
    levels: &Levels,
    steps: &[StepForecast],
    walked: &walk::WalkResult,
) -> (CapForecast, Option<Finding>) {
    let limit = limit_of(cap, budget);
    let set_by = levels.set_by(cap, limit);
    let worst: u64 = steps
        .iter()
        .map(|s| amount(cap, &s.worst_case))
        .fold(0, u64::saturating_add);
    let mut forecast = CapForecast {
        cap,
        worst_case: Some(worst),
        limit,
        set_by: set_by.clone(),
        verdict: Verdict::Holds,
        culprits: Vec::new(),
    };
    let Some(limit) = limit else {
        return (forecast, None);
    };
    if let Some(stop) = walked
        .stop
        .as_ref()
        .filter(|s| s.refusal.cap == cap.field())
    {
        let step = &steps[stop.step].step_id;
        let a = stop.refusal.amounts;
        forecast.verdict = Verdict::Short;
        forecast.culprits = vec![step.clone()];
        let message = match cap {
            Cap::MaxSteps | Cap::MaxLlmCalls => format!(
                "cannot complete: `{step}` would be {} {} of at most {}",
                if cap == Cap::MaxSteps {
                    "step"
                } else {
                    "LLM call"
                },
                a.used + 1,
                a.limit
            ),
            _ => format!(
                "cannot complete: `{step}` needs up to {}, cap {}{}",
                cap.show(a.needed),
                cap.show(a.limit).trim_end_matches(" tokens"),
                if a.used > 0 {
                    format!(", {} already used or reserved", cap.show(a.used))
                } else {
                    String::new()
                }
            ),
        };
        let finding = Finding {
            severity: Severity::Blocking,
            cap: Some(cap),
            step_id: Some(step.clone()),
            need: Some(a.needed),
            used: Some(a.used),
            limit: Some(a.limit),
            set_by,
            message,
        };
        return (forecast, Some(finding));
    }
    if worst <= limit {
        return (forecast, None);
    }
    forecast.verdict = Verdict::Tight;
    let mut total = 0u64;
    let culprit = walked.order.iter().find(|&&i| {
        total = total.saturating_add(amount(cap, &steps[i].worst_case));
        total > limit
    });
    if let Some(&i) = culprit {
        forecast.culprits = vec![steps[i].step_id.clone()];
    }
    let from = forecast
        .culprits
        .first()
        .map(|s| format!("from `{s}` on, "))
        .unwrap_or_default();
    let message = match cap {
        Cap::MaxSteps | Cap::MaxLlmCalls => format!(
            "may fall short: up to {} with every retry, cap {}: {from}a retry may be refused",
            cap.show(worst),
            limit
        ),
        _ => format!(
            "may fall short: up to {} in the worst case, cap {}: {from}answers may be cut short, or a call refused",
            cap.show(worst),
            cap.show(limit).trim_end_matches(" tokens")
        ),
    };
    let finding = Finding {
        severity: Severity::Warning,
        cap: Some(cap),
        step_id: forecast.culprits.first().cloned(),
        need: Some(worst),
        used: None,
        limit: Some(limit),
        set_by,
        message,
    };
    (forecast, Some(finding))
}

/// The longest path of worst step times; unbounded when a step on any path has no timeout.
fn runtime_cap(
    budget: &Budget,
    levels: &Levels,
    dag: &Dag,
    steps: &[StepForecast],
) -> (CapForecast, Option<Finding>) {
    let cap = Cap::MaxRuntimeMinutes;
    let limit = [
        limit_of(cap, budget),
        levels.timeout_seconds.map(|t| t.saturating_mul(1000)),
    ]
    .into_iter()
    .flatten()
    .min();
    let set_by = levels.set_by(cap, limit);
    let no_timeout: Vec<String> = steps
        .iter()
        .filter(|s| s.worst_ms.is_none())
        .map(|s| s.step_id.clone())
        .collect();
    let mut forecast = CapForecast {
        cap,
        worst_case: None,
        limit,
        set_by: set_by.clone(),
        verdict: Verdict::Holds,
        culprits: Vec::new(),
    };
    if !no_timeout.is_empty() {
        let Some(limit) = limit else {
            return (forecast, None);
        };
        forecast.verdict = Verdict::Unbounded;
        forecast.culprits = no_timeout.clone();
        let finding = Finding {
            severity: Severity::Note,
            cap: Some(cap),
            step_id: None,
            need: None,
            used: None,
            limit: Some(limit),
            set_by,
            message: format!(
                "runtime unbounded: {} declare{} no timeout; the run is stopped after {}",
                no_timeout
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if no_timeout.len() == 1 { "s" } else { "" },
                cap.show(limit)
            ),
        };
        return (forecast, Some(finding));
    }
    // Longest path, in topological order.
    let order = dag.topo_order();
    let mut longest = vec![0u64; steps.len()];
    let mut via: Vec<Option<usize>> = vec![None; steps.len()];
    for &i in &order {
        let i = i as usize;
        let (before, from) = dag
            .dependencies(i)
            .iter()
            .map(|&d| (longest[d as usize], Some(d as usize)))
            .max_by_key(|(t, _)| *t)
            .unwrap_or((0, None));
        longest[i] = before.saturating_add(steps[i].worst_ms.unwrap_or(0));
        via[i] = from;
    }
    let end = (0..steps.len()).max_by_key(|&i| longest[i]);
    let worst = end.map_or(0, |i| longest[i]);
    forecast.worst_case = Some(worst);
    let Some(limit) = limit else {
        return (forecast, None);
    };
    if worst <= limit {
        return (forecast, None);
    }
    let mut path = Vec::new();
    let mut at = end;
    while let Some(i) = at {
        path.push(steps[i].step_id.clone());
        at = via[i];
    }
    path.reverse();
    forecast.verdict = Verdict::Tight;
    forecast.culprits = path.clone();
    let finding = Finding {
        severity: Severity::Warning,
        cap: Some(cap),
        step_id: path.last().cloned(),
        need: Some(worst),
        used: None,
        limit: Some(limit),
        set_by,
        message: format!(
            "may time out: the longest path ({}) may take up to {}, cap {}",
            path.join(" → "),
            cap.show(worst),
            cap.show(limit)
        ),
    };
    (forecast, Some(finding))
}

#[cfg(test)]
mod tests;
