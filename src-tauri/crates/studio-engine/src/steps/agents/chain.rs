//! `chain`: prompts in order on one model, each seeing the previous answer (`{{previous}}`)
//! and every earlier one (`{{answers.N}}`, from 1). Each prompt is one model call, reserved
//! against the budget before it is sent: a chain the budget cannot finish stops at the first
//! call it has no room for, `budget_exceeded`, with the answers so far in its output.

use super::model::{Ask, Model, Totals, TurnError};
use super::{AgentNote, AgentRuntime, NoteState};
use crate::budget::micros_to_usd;
use crate::providers::ChatMessage;
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

/// What the run's variable resolution leaves alone in a chain's prompts: the chain fills
/// these in itself, call by call. The references are marked before the run resolves the
/// step's parameters ([`protect_chain_references`]) and read back here.
const MARK: char = '\u{1}';

/// Marks `{{previous}}` and `{{answers.N}}` in a chain step's parameters so that the run's
/// variable resolution passes over them.
pub(crate) fn protect_chain_references(params: &Value) -> Value {
    match params {
        Value::String(s) if s.contains("{{") => Value::String(protect(s)),
        Value::Array(items) => Value::Array(items.iter().map(protect_chain_references).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), protect_chain_references(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn protect(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        let inner = rest[start + 2..start + 2 + len].trim();
        out.push_str(&rest[..start]);
        if studio_core::agents::is_chain_reference(inner) {
            out.push(MARK);
            out.push_str(inner);
            out.push(MARK);
        } else {
            out.push_str(&rest[start..start + 4 + len]);
        }
        rest = &rest[start + 4 + len..];
    }
    out.push_str(rest);
    out
}

/// Fills in the marked references with the answers so far.
fn fill(text: &str, answers: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut parts = text.split(MARK);
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    let mut inside = true;
    for part in parts {
        if inside {
            let value = match part {
                "previous" => answers.last().cloned().unwrap_or_default(),
                other => other
                    .strip_prefix("answers.")
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|n| n.checked_sub(1))
                    .and_then(|i| answers.get(i).cloned())
                    .unwrap_or_default(),
            };
            out.push_str(&value);
        } else {
            out.push_str(part);
        }
        inside = !inside;
    }
    out
}

struct Prompt {
    text: String,
    system: Option<String>,
    max_tokens: Option<u64>,
}

fn prompts(params: &Value) -> Result<Vec<Prompt>, Failure> {
    let list = match params.get("prompts") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(Value::String(s)) => {
            return Ok(vec![Prompt {
                text: s.clone(),
                system: None,
                max_tokens: None,
            }])
        }
        _ => {
            return Err(Failure::new(
                "parameter `prompts` is required: a list of prompts, run in order",
            ))
        }
    };
    list.iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) => Ok(Prompt {
                text: s.clone(),
                system: None,
                max_tokens: None,
            }),
            Value::Object(map) => Ok(Prompt {
                text: map
                    .get("prompt")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Failure::new(format!("prompts[{i}] needs `prompt`")))?
                    .to_string(),
                system: map
                    .get("system_message")
                    .or_else(|| map.get("system"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                max_tokens: map
                    .get("max_tokens")
                    .and_then(studio_core::step_params::whole_number),
            }),
            _ => Err(Failure::new(format!(
                "prompts[{i}] must be a text or a mapping with `prompt`"
            ))),
        })
        .collect()
}

pub(crate) async fn run(
    params: Value,
    ctx: &StepCtx,
    rt: &AgentRuntime,
) -> Result<StepOutput, Failure> {
    let prompts = prompts(&params)?;
    let mut model = Model::new(&params, &ctx.shared.setup)?;
    let default_max = model.max_tokens;
    let mut answers: Vec<String> = Vec::new();
    let mut records: Vec<Value> = Vec::new();
    let mut totals = Totals::default();
    for (i, prompt) in prompts.iter().enumerate() {
        let text = fill(&prompt.text, &answers);
        let system = model.system(prompt.system.as_deref().unwrap_or(""));
        model.max_tokens = prompt.max_tokens.unwrap_or(default_max).max(1);
        let messages = [ChatMessage::user(text.clone())];
        let turn = match model
            .turn(
                rt,
                Ask {
                    system: &system,
                    messages: &messages,
                    tools: &[],
                    planning: false,
                },
                None,
                ctx,
            )
            .await
        {
            Ok(t) => t,
            Err(e) => {
                let output = json!({
                    "text": answers.last(),
                    "answers": records,
                    "model": model.model_name(),
                    "provider": model.provider(),
                    "usage": totals.to_json(),
                    "stopped_at": i + 1,
                });
                return Err(match e {
                    TurnError::Budget(reason) => {
                        let mut f = Failure::new(reason).with_output(output);
                        f.budget_exceeded = true;
                        f
                    }
                    TurnError::Interrupted => Failure::interrupted().with_output(output),
                    TurnError::Failed(m) => {
                        Failure::new(format!("prompt {} of {}: {m}", i + 1, prompts.len()))
                            .with_output(output)
                    }
                });
            }
        };
        totals.add(&turn);
        rt.note(AgentNote {
            phase: format!("chain.{}", i + 1),
            summary: format!(
                "step `{}`: prompt {} of {} answered",
                rt.step_id,
                i + 1,
                prompts.len()
            ),
            detail: json!({"chain": {"prompt": i + 1, "cost_usd": micros_to_usd(turn.cost_micros)}}),
            state: NoteState::Running,
        });
        records.push(json!({
            "prompt": text,
            "text": turn.text,
            "usage": {
                "prompt_tokens": turn.prompt_tokens,
                "completion_tokens": turn.completion_tokens,
                "cost_usd": micros_to_usd(turn.cost_micros),
                "estimated": turn.estimated,
            },
        }));
        answers.push(turn.text);
    }
    let mut value = json!({
        "text": answers.last(),
        "answers": records,
        "model": model.model_name(),
        "provider": model.provider(),
        "usage": totals.to_json(),
    });
    if model.is_simulated() {
        value["simulated"] = json!(true);
        if let Some(asked) = model.requested_provider() {
            value["requested_provider"] = json!(asked);
        }
    }
    let mut out = StepOutput::new(value);
    if let Some(url) = model.url() {
        out.links.push(url);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_references_survive_resolution_and_are_filled_in() {
        let p = protect_chain_references(
            &json!({"prompts": ["a {{ previous }} b {{x.output}}", "{{answers.1}}!"]}),
        );
        let first = p["prompts"][0].as_str().unwrap();
        assert!(first.contains("{{x.output}}"), "{first}");
        assert!(!first.contains("{{ previous }}"));
        assert_eq!(fill(first, &["one".into()]), "a one b {{x.output}}");
        assert_eq!(
            fill(
                p["prompts"][1].as_str().unwrap(),
                &["one".into(), "two".into()]
            ),
            "one!"
        );
    }
}
