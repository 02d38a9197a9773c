//! `agent`: the tool-calling loop (DESIGN §5.2).
//!
//! Each iteration is one model turn (reserved against the budget first); a turn that calls
//! tools has each call run as a gated sub-step ([`super::calls`]) and its result, or the
//! error that refused it, sent back; a turn without calls is the answer. The loop stops at
//! the answer, at `max_iterations`, when the budget has no room for a turn or a call
//! (`budget_exceeded`: the run ends so, no cap passed), or when the step is cancelled or times
//! out; the output says which. `plan_and_solve` first asks for a numbered plan (no tools),
//! keeps it in the output and has the loop carry it out.

use super::calls::{run_call, CallStop};
use super::model::{Ask, Model, Totals, TurnError};
use super::scripted::Script;
use super::toolbox::Toolbox;
use super::{AgentNote, AgentRuntime, NoteState};
use crate::budget::micros_to_usd;
use crate::providers::ChatMessage;
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};
use studio_core::agents::StrategyKind;

pub const DEFAULT_MAX_ITERATIONS: u64 = 10;
/// The most plan items kept when the strategy's `planning_steps` says nothing.
const DEFAULT_PLAN_ITEMS: usize = 8;

pub(crate) async fn run(
    params: Value,
    ctx: &StepCtx,
    rt: &AgentRuntime,
) -> Result<StepOutput, Failure> {
    let objective = params
        .get("objective")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            Failure::new("parameter `objective` is required: what the agent must achieve")
        })?
        .to_string();
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("agent")
        .to_string();
    let max_iterations = params
        .get("max_iterations")
        .and_then(studio_core::step_params::whole_number)
        .unwrap_or(DEFAULT_MAX_ITERATIONS)
        .max(1) as u32;
    let tool_names: Vec<String> = match params.get("tools") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect(),
        Some(Value::String(s)) => s.split(',').map(|t| t.trim().to_string()).collect(),
        Some(_) => {
            return Err(Failure::new(
                "parameter `tools` must be a list of tool names",
            ))
        }
    };
    let (strategy, planning_steps) = strategy(&params, rt)?;
    let toolbox = Toolbox::new(&tool_names, &rt.tools).map_err(Failure::new)?;
    let model = Model::new(&params, &ctx.shared.setup)?;
    let mut script = match (&rt.script, model.is_simulated()) {
        (Some(agent), true) => Some(Script::new(agent)),
        _ => None,
    };
    let mut agent = Loop {
        rt,
        ctx,
        model: &model,
        totals: Totals::default(),
        calls: Vec::new(),
        produced: StepOutput::default(),
        plan: Vec::new(),
        iterations: 0,
        answered_by: None,
    };
    let instructions = format!(
        "You are {name}, an agent. Work towards the objective with the tools you are given; \
         each tool's arguments are its parameters. A call the perimeter refuses comes back as an \
         error: do not repeat it, find another way. When you are done, answer without calling \
         a tool."
    );
    let system = model.system(&instructions);
    let mut messages = vec![ChatMessage::user(objective.clone())];

    if strategy == StrategyKind::PlanAndSolve {
        let ask =
            format!(
            "Before acting, write a numbered plan of at most {planning_steps} steps to achieve \
             the objective with these tools: {}. Write only the plan.",
            if toolbox.names().is_empty() { "none".to_string() } else { toolbox.names().join(", ") }
        );
        let planning = vec![ChatMessage::user(format!("{objective}\n\n{ask}"))];
        let turn = match model
            .turn(
                rt,
                Ask {
                    system: &system,
                    messages: &planning,
                    tools: &[],
                    planning: true,
                },
                script.as_mut(),
                ctx,
            )
            .await
        {
            Ok(t) => t,
            Err(e) => return Err(agent.stopped_by(e, strategy)),
        };
        agent.totals.add(&turn);
        agent.plan = numbered_items(&turn.text, planning_steps);
        rt.note(AgentNote {
            phase: "agent.plan".into(),
            summary: format!(
                "step `{}`: the agent's plan has {} steps",
                rt.step_id,
                agent.plan.len()
            ),
            detail: json!({"agent": {"iteration": 0, "plan": agent.plan, "cost_usd": micros_to_usd(turn.cost_micros)}}),
            state: NoteState::Running,
        });
        let plan_text = agent
            .plan
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {s}", i + 1))
            .collect::<Vec<_>>()
            .join("\n");
        messages = vec![ChatMessage::user(format!(
            "{objective}\n\nCarry out this plan step by step with the tools, then give the final answer:\n{plan_text}"
        ))];
    }

    for iteration in 1..=max_iterations {
        if ctx.cancel.is_cancelled() {
            return Err(
                Failure::interrupted().with_output(agent.output(None, "cancelled", strategy).value)
            );
        }
        agent.iterations = iteration;
        let turn = match model
            .turn(
                rt,
                Ask {
                    system: &system,
                    messages: &messages,
                    tools: &toolbox.specs,
                    planning: false,
                },
                script.as_mut(),
                ctx,
            )
            .await
        {
            Ok(t) => t,
            Err(e) => return Err(agent.stopped_by(e, strategy)),
        };
        agent.totals.add(&turn);
        agent.answered_by = Some(turn.model.clone());
        rt.note(AgentNote {
            phase: format!("agent.{iteration}.turn"),
            summary: format!(
                "step `{}` iteration {iteration}: {}",
                rt.step_id,
                if turn.tool_calls.is_empty() {
                    "the model answered".to_string()
                } else {
                    let names: Vec<&str> =
                        turn.tool_calls.iter().map(|c| c.name.as_str()).collect();
                    format!("the model calls {}", names.join(", "))
                }
            ),
            detail: json!({"agent": {
                "iteration": iteration,
                "text": turn.text,
                "tool_calls": turn.tool_calls.len(),
                "cost_usd": micros_to_usd(turn.cost_micros),
                "tokens": turn.prompt_tokens + turn.completion_tokens,
            }}),
            state: NoteState::Running,
        });
        if turn.tool_calls.is_empty() {
            let mut out = agent.output(Some(turn.text), "answer", strategy);
            if let Some(url) = model.url() {
                out.links.push(url);
            }
            return Ok(out);
        }
        messages.push(ChatMessage::Assistant {
            content: (!turn.text.is_empty()).then(|| turn.text.clone()),
            tool_calls: turn.tool_calls.clone(),
        });
        for call in &turn.tool_calls {
            let n = agent.calls.len() + 1;
            let outcome = run_call(rt, &toolbox, ctx, n, iteration, call).await;
            let record = outcome.record;
            rt.note(AgentNote {
                phase: format!("agent.call.{n}"),
                summary: format!(
                    "step `{}` iteration {iteration} call {n}: `{}` {}{}",
                    rt.step_id,
                    record.tool,
                    record.decision,
                    record
                        .error
                        .as_deref()
                        .map(|e| format!(": {}", e.chars().take(200).collect::<String>()))
                        .unwrap_or_default()
                ),
                detail: json!({"agent": record.to_json()}),
                state: NoteState::Running,
            });
            let (content, is_error) = record.for_model();
            messages.push(ChatMessage::ToolResult {
                call_id: record.call_id.clone(),
                name: record.tool.clone(),
                content,
                is_error,
            });
            if let Some(produced) = outcome.produced {
                agent.produced.links.extend(produced.links);
                agent.produced.artifacts.extend(produced.artifacts);
            }
            agent.calls.push(record);
            match outcome.stop {
                CallStop::Go => {}
                CallStop::Budget => {
                    let reason = agent
                        .calls
                        .last()
                        .and_then(|c| c.error.clone())
                        .unwrap_or_default();
                    return Err(agent.stopped_by(TurnError::Budget(reason), strategy));
                }
                CallStop::Interrupted => {
                    return Err(agent.stopped_by(TurnError::Interrupted, strategy));
                }
            }
        }
    }
    let out = agent.output(None, "max_iterations", strategy);
    Err(Failure::new(format!(
        "the agent stopped at max_iterations ({max_iterations}) without an answer; raise `max_iterations` or narrow the objective"
    ))
    .with_output(out.value))
}

/// The strategy: a `strategies:` binding for the step, else the step's `strategy`, else
/// react; and the most plan items kept.
fn strategy(params: &Value, rt: &AgentRuntime) -> Result<(StrategyKind, usize), Failure> {
    let written = params.get("strategy").and_then(Value::as_str);
    let kind = match (&rt.strategy, written) {
        (Some(bound), _) => bound.kind,
        (None, Some(name)) => StrategyKind::parse(name).ok_or_else(|| {
            Failure::new(format!(
                "unknown strategy `{name}`: use react or plan_and_solve"
            ))
        })?,
        (None, None) => StrategyKind::React,
    };
    let planning_steps = rt
        .strategy
        .as_ref()
        .and_then(|s| s.config.as_ref())
        .and_then(|c| c.get("planning_steps"))
        .and_then(studio_core::step_params::whole_number)
        .map_or(DEFAULT_PLAN_ITEMS, |n| (n as usize).max(1));
    Ok((kind, planning_steps))
}

/// The items of a numbered (or bulleted) list, at most `max`; a text without a list is one
/// item.
fn numbered_items(text: &str, max: usize) -> Vec<String> {
    let mut items: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter_map(|line| {
            let rest = line.trim_start_matches(|c: char| c.is_ascii_digit());
            let numbered =
                rest.len() < line.len() && (rest.starts_with('.') || rest.starts_with(')'));
            let bullet = line.starts_with("- ") || line.starts_with("* ");
            if numbered {
                Some(rest[1..].trim().to_string())
            } else if bullet {
                Some(line[2..].trim().to_string())
            } else {
                None
            }
        })
        .filter(|s| !s.is_empty())
        .take(max)
        .collect();
    if items.is_empty() && !text.trim().is_empty() {
        items.push(text.trim().chars().take(500).collect());
    }
    items
}

/// The loop's state, for its output whatever ends it.
struct Loop<'a> {
    rt: &'a AgentRuntime,
    ctx: &'a StepCtx,
    model: &'a Model,
    totals: Totals,
    calls: Vec<super::calls::CallRecord>,
    produced: StepOutput,
    plan: Vec<String>,
    iterations: u32,
    /// The model the server says answered the last turn.
    answered_by: Option<String>,
}

impl Loop<'_> {
    fn output(
        &mut self,
        answer: Option<String>,
        stopped: &str,
        strategy: StrategyKind,
    ) -> StepOutput {
        let _ = (self.rt, self.ctx);
        let mut value = json!({
            "answer": answer,
            "text": answer,
            "stopped_because": stopped,
            "iterations": self.iterations,
            "strategy": strategy.as_str(),
            "plan": self.plan,
            "calls": self.calls.iter().map(|c| c.to_json()).collect::<Vec<_>>(),
            "usage": self.totals.to_json(),
            "model": self.answered_by.as_deref().unwrap_or(self.model.model_name()),
            "provider": self.model.provider(),
        });
        if self.model.is_simulated() {
            value["simulated"] = json!(true);
            if let Some(asked) = self.model.requested_provider() {
                value["requested_provider"] = json!(asked);
            }
        }
        let mut out = std::mem::take(&mut self.produced);
        out.value = value;
        // The model turns were settled one by one; the step settles nothing more.
        out.usage = None;
        out
    }

    /// The failure that ends the loop early, with the output so far.
    fn stopped_by(&mut self, e: TurnError, strategy: StrategyKind) -> Failure {
        match e {
            TurnError::Budget(reason) => {
                let out = self.output(None, "budget_exceeded", strategy);
                let mut f = Failure::new(reason).with_output(out.value);
                f.budget_exceeded = true;
                f
            }
            TurnError::Interrupted => {
                let out = self.output(None, "cancelled", strategy);
                Failure::interrupted().with_output(out.value)
            }
            TurnError::Failed(message) => {
                let out = self.output(None, "model_error", strategy);
                Failure::new(message).with_output(out.value)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::numbered_items;

    #[test]
    fn plans_are_read_from_numbered_or_bulleted_lines() {
        let text = "Here is the plan:\n1. Read the notes\n2) Count the words\n- Write it up\n";
        assert_eq!(
            numbered_items(text, 8),
            vec!["Read the notes", "Count the words", "Write it up"]
        );
        assert_eq!(numbered_items("1. a\n2. b\n3. c", 2), vec!["a", "b"]);
        assert_eq!(numbered_items("just do it", 8), vec!["just do it"]);
    }
}
