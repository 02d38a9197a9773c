//! One tool call of an agent as a gated sub-step (DESIGN §5.2): the call's step type and
//! parameters pass the same gate as a step — tool, sector, network, sandbox, a budget
//! reservation, approval (the agent waits, blocked, meanwhile) — with its own audit row under
//! the id `<step>#<n>`; then it runs with the step type's own code, bounded by the agent's
//! cancellation. A refused, denied or failed call never runs (or stops where it failed) and
//! goes back to the model as an error it can read.

use super::toolbox::{Offered, Toolbox};
use super::{AgentNote, AgentRuntime, NoteState};
use crate::gate::{GateRequest, RefusalKind, Verdict};
use crate::governance;
use crate::providers::ToolCall;
use crate::steps::{self, FailureKind, StepCtx, StepKind, StepOutput};
use serde_json::{json, Value};
use std::time::Instant;

/// The most characters of a call's result sent back to the model.
const RESULT_CHARS: usize = 8_000;

/// What became of one call: the record kept in the step's output, the evidence and the
/// timeline.
#[derive(Debug, Clone)]
pub(crate) struct CallRecord {
    pub n: usize,
    pub iteration: u32,
    pub call_id: String,
    pub tool: String,
    pub step_type: String,
    pub input: Value,
    /// allowed, approved, refused, denied, failed (ran and failed), invalid (never gated).
    pub decision: &'static str,
    pub reason: Option<String>,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cost_usd: f64,
    pub duration_ms: u64,
    pub simulated: bool,
}

impl CallRecord {
    pub fn to_json(&self) -> Value {
        json!({
            "n": self.n,
            "iteration": self.iteration,
            "call_id": self.call_id,
            "tool": self.tool,
            "step_type": self.step_type,
            "input": self.input,
            "decision": self.decision,
            "reason": self.reason,
            "output": self.output,
            "error": self.error,
            "cost_usd": self.cost_usd,
            "duration_ms": self.duration_ms,
            "simulated": self.simulated,
        })
    }

    /// What the model reads back, and whether it is an error.
    pub fn for_model(&self) -> (String, bool) {
        let text = match (&self.output, &self.error) {
            (Some(out), None) => out.to_string(),
            (_, Some(e)) => format!("error: {e}"),
            (None, None) => "null".into(),
        };
        let text = if text.chars().count() > RESULT_CHARS {
            let cut: String = text.chars().take(RESULT_CHARS).collect();
            format!("{cut}… (cut at {RESULT_CHARS} characters)")
        } else {
            text
        };
        (text, self.error.is_some())
    }
}

/// How a call ended the loop, beyond its own record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallStop {
    Go,
    /// The budget refused the call: the loop stops `budget_exceeded`.
    Budget,
    /// The agent was cancelled or timed out during the call.
    Interrupted,
}

/// What a call hands back to the step: its record, links and artifacts it produced.
pub(crate) struct CallOutcome {
    pub record: CallRecord,
    pub stop: CallStop,
    pub produced: Option<StepOutput>,
}

pub(crate) async fn run_call(
    rt: &AgentRuntime,
    toolbox: &Toolbox,
    ctx: &StepCtx,
    n: usize,
    iteration: u32,
    call: &ToolCall,
) -> CallOutcome {
    let started = Instant::now();
    let sub_id = format!("{}#{n}", rt.step_id);
    let mut record = CallRecord {
        n,
        iteration,
        call_id: call.id.clone(),
        tool: call.name.clone(),
        step_type: String::new(),
        input: call.arguments.clone(),
        decision: "invalid",
        reason: None,
        output: None,
        error: None,
        cost_usd: 0.0,
        duration_ms: 0,
        simulated: false,
    };
    let outcome = |mut record: CallRecord, stop, produced| {
        record.duration_ms = started.elapsed().as_millis() as u64;
        CallOutcome {
            record,
            stop,
            produced,
        }
    };
    let Some(offered) = toolbox.find(&call.name) else {
        let reason = format!(
            "tool `{}` is not offered to this agent (its tools: {})",
            call.name,
            toolbox.names().join(", ")
        );
        let refusal = rt.gate.refuse_unoffered(&sub_id, &call.name, &reason);
        record.decision = "refused";
        record.error = Some(refusal.reason.clone());
        record.reason = Some(refusal.reason);
        return outcome(record, CallStop::Go, None);
    };
    let (step_type, params) = offered.as_step(&call.arguments);
    record.step_type = step_type.clone();
    if let Offered::StepType(t) = offered {
        if let Some(problem) = invalid_arguments(t, &params) {
            record.error = Some(problem.clone());
            record.reason = Some(problem);
            return outcome(record, CallStop::Go, None);
        }
    }
    let setup = &ctx.shared.setup;
    let mut prepared = match governance::prepare(&step_type, params, &rt.tools, setup) {
        Ok(p) => p,
        Err(message) => {
            record.error = Some(message.clone());
            record.reason = Some(message);
            return outcome(record, CallStop::Go, None);
        }
    };
    // The secrets the call's parameters hold (a password, a key) never show in its record,
    // its events, its evidence or an approval preview.
    let mut mask = crate::redact::Redactor::default();
    for (label, value) in &prepared.secrets {
        mask.add_labelled(label, value);
    }
    let preview = mask.value(&prepared.params);
    record.input = mask.value(&record.input);
    let registry_name = match offered {
        Offered::Registry(name) => Some(name.as_str()),
        Offered::StepType(_) => None,
    };
    let simulated = rt.override_for(&step_type, registry_name).cloned();
    let request = GateRequest {
        step_id: &sub_id,
        step_type: &step_type,
        attempt: 1,
        tool: &prepared.identity,
        simulated: simulated.is_some(),
        runs_command: prepared.runs_command,
        step_approval: None,
        llm: prepared.llm.as_ref(),
        params: &prepared.params,
        preview: &preview,
        endpoints: &prepared.endpoints,
    };
    let verdict = rt.gate.admit(&request);
    let (reservation, decision) = match verdict {
        Verdict::Allow(r) => (r, "allowed"),
        Verdict::Refuse(refusal) => {
            record.decision = "refused";
            record.error = Some(refusal.reason.clone());
            record.reason = Some(refusal.reason);
            let stop = if refusal.kind == RefusalKind::BudgetExceeded {
                CallStop::Budget
            } else {
                CallStop::Go
            };
            return outcome(record, stop, None);
        }
        Verdict::Ask(ask) => {
            let why = ask.request.why.clone();
            rt.note(AgentNote {
                phase: format!("agent.call.{n}.blocked"),
                summary: format!(
                    "step `{}` is blocked: its agent's call {n} (`{}`) needs approval ({why})",
                    rt.step_id, call.name
                ),
                detail: json!({"agent": {"iteration": iteration, "call": n, "tool": call.name, "decision": "blocked", "reason": why, "input": call.arguments}}),
                state: NoteState::Blocked,
            });
            let decided = tokio::select! {
                d = rt.gate.decide(ask) => Some(d),
                _ = ctx.cancel.cancelled() => None,
            };
            rt.note(AgentNote {
                phase: format!("agent.call.{n}.decided"),
                summary: format!(
                    "step `{}`: its agent's call {n} (`{}`) was {}",
                    rt.step_id,
                    call.name,
                    match &decided {
                        Some(Ok(_)) => "approved",
                        Some(Err(_)) => "denied",
                        None => "left undecided: the step stopped",
                    }
                ),
                detail: json!({"agent": {"iteration": iteration, "call": n, "tool": call.name, "decision": match &decided { Some(Ok(_)) => "approved", _ => "denied" }}}),
                state: NoteState::Unblocked,
            });
            match decided {
                Some(Ok(r)) => (r, "approved"),
                Some(Err(refusal)) => {
                    record.decision = "denied";
                    record.error = Some(refusal.reason.clone());
                    record.reason = Some(refusal.reason);
                    return outcome(record, CallStop::Go, None);
                }
                None => {
                    record.decision = "denied";
                    record.error = Some("the agent stopped while the call waited".into());
                    return outcome(record, CallStop::Interrupted, None);
                }
            }
        }
    };
    record.decision = decision;
    if let Some(granted) = reservation.granted_max_tokens {
        prepared.grant_max_tokens(granted);
    }
    if let (Some(error), None) = (&prepared.deferred_error, &simulated) {
        rt.gate.release(&reservation);
        record.decision = "failed";
        record.error = Some(error.clone());
        return outcome(record, CallStop::Go, None);
    }
    record.cost_usd = reservation.amount.cost_usd();
    let result = match simulated {
        Some(response) => {
            record.simulated = true;
            Ok(StepOutput::new(response))
        }
        None => {
            let kind = StepKind::parse(&step_type).expect("offered step types run in this build");
            let sub_ctx = StepCtx {
                shared: ctx.shared.clone(),
                cancel: ctx.cancel.child_token(),
                agent: None,
            };
            // Boxed: a call runs a step, and this step is one (agents are never tools, so the
            // recursion is one level deep).
            Box::pin(steps::run(kind, prepared.params, &sub_ctx)).await
        }
    };
    let used = match &result {
        Ok(out) => out.usage,
        Err(f) => f.usage,
    };
    rt.gate.settle(&reservation, used);
    if let Some(u) = used {
        record.cost_usd = u.cost_usd() + prepared.identity.cost_usd;
    } else if reservation.granted_max_tokens.is_none() {
        record.cost_usd = reservation.amount.cost_usd();
    }
    let result = result
        .map(|mut out| {
            out.value = mask.value(&out.value);
            out
        })
        .map_err(|mut f| {
            f.message = mask.text(&f.message);
            f.output = f.output.map(|o| mask.value(&o));
            f
        });
    match result {
        Ok(mut out) => {
            record.output = Some(std::mem::take(&mut out.value));
            outcome(record, CallStop::Go, Some(out))
        }
        Err(f) => {
            let stop = if f.kind == FailureKind::Interrupted || ctx.cancel.is_cancelled() {
                CallStop::Interrupted
            } else {
                CallStop::Go
            };
            record.decision = "failed";
            record.output = f.output;
            record.error = Some(f.message);
            outcome(record, stop, None)
        }
    }
}

/// The step type's own parameter check, on the model's arguments.
fn invalid_arguments(step_type: &str, params: &Value) -> Option<String> {
    let spec = studio_core::step_params::params_of(step_type)?;
    if !params.is_object() {
        return Some(format!(
            "the arguments of `{step_type}` must be an object of its parameters"
        ));
    }
    let problems = studio_core::step_params::check_parameters(spec, params);
    (!problems.is_empty()).then(|| {
        let list: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
        format!("invalid arguments for `{step_type}`: {}", list.join("; "))
    })
}
