//! One model, several turns: what `agent` and `chain` send to their provider, each turn
//! reserved against the budget before it is sent and settled with what it used.

use super::scripted::Script;
use super::AgentRuntime;
use crate::budget::{micros_to_usd, token_cost_micros, LlmDemand, Spend};
use crate::providers::{
    self, ChatMessage, ChatRequest, Endpoint, ProviderError, ToolCall, ToolSpec,
};
use crate::steps::llm::{self, LlmPlan, Provider};
use crate::steps::{Failure, RunSetup, StepCtx};
use serde_json::{json, Value};

/// A provider and model resolved once for all the step's turns.
pub(crate) struct Model {
    plan: LlmPlan,
    endpoint: Option<Endpoint>,
    temperature: Option<f64>,
    /// Most tokens per turn, before the budget clamps it.
    pub max_tokens: u64,
}

/// What one turn sends: the system message, the conversation, the tools offered; a planning
/// turn (plan_and_solve's first) asks for a plan and offers no tool.
#[derive(Clone, Copy)]
pub(crate) struct Ask<'a> {
    pub system: &'a str,
    pub messages: &'a [ChatMessage],
    pub tools: &'a [ToolSpec],
    pub planning: bool,
}

/// What one turn gave.
#[derive(Debug, Clone, Default)]
pub(crate) struct Turn {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub model: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cost_micros: u64,
    /// The server reported no usage: the counts are estimates.
    pub estimated: bool,
}

/// Why a turn gave nothing.
#[derive(Debug)]
pub(crate) enum TurnError {
    /// The budget has no room for the turn: the loop stops, the run ends `budget_exceeded`.
    Budget(String),
    /// Cancelled or timed out.
    Interrupted,
    Failed(String),
}

/// Running totals of a step's turns.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Totals {
    pub calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cost_micros: u64,
}

impl Totals {
    pub fn add(&mut self, t: &Turn) {
        self.calls += 1;
        self.prompt_tokens += t.prompt_tokens;
        self.completion_tokens += t.completion_tokens;
        self.cost_micros += t.cost_micros;
    }

    pub fn to_json(self) -> Value {
        json!({
            "model_calls": self.calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": micros_to_usd(self.cost_micros),
        })
    }
}

impl Model {
    /// Resolves the step's `provider`, `model`, `system_message`, `max_tokens` and API key
    /// as an `llm` step does.
    pub fn new(params: &Value, setup: &RunSetup) -> Result<Self, Failure> {
        let mut p = params.clone();
        if let Value::Object(map) = &mut p {
            map.insert("prompt".into(), Value::String(String::new()));
        }
        let plan = llm::plan(&p, setup)?;
        let endpoint = match &plan.provider {
            Provider::Simulated => None,
            Provider::Remote(route) => {
                let api_key = llm::api_key(&p, setup, route)
                    .map_err(Failure::new)?
                    .map(|(_, key)| key);
                Some(Endpoint {
                    format: route.format,
                    base_url: route.base_url.clone(),
                    api_key,
                })
            }
        };
        Ok(Self {
            max_tokens: plan.requested_max_tokens,
            temperature: params.get("temperature").and_then(Value::as_f64),
            plan,
            endpoint,
        })
    }

    pub fn is_simulated(&self) -> bool {
        self.endpoint.is_none()
    }

    /// The provider that answers (`simulated` when the run simulates model calls).
    pub fn provider(&self) -> String {
        match &self.plan.provider {
            Provider::Simulated => "simulated".into(),
            Provider::Remote(r) => r.name.clone(),
        }
    }

    pub fn model_name(&self) -> &str {
        &self.plan.model
    }

    /// The provider the step asked for, when the run's simulation answered instead.
    pub fn requested_provider(&self) -> Option<&str> {
        self.plan
            .forced_simulation
            .then_some(self.plan.asked.as_str())
    }

    /// The chat URL of a real endpoint (for `links.txt`).
    pub fn url(&self) -> Option<String> {
        self.endpoint.as_ref().map(Endpoint::chat_url)
    }

    /// The system message: the mission's context and the step's `system_message`, then
    /// `extra` (the agent's instructions).
    pub fn system(&self, extra: &str) -> String {
        match (self.plan.system.is_empty(), extra.is_empty()) {
            (_, true) => self.plan.system.clone(),
            (true, false) => extra.to_string(),
            (false, false) => format!("{}\n\n{extra}", self.plan.system),
        }
    }

    /// One turn: reserved, sent (or played from the script, or simulated), settled.
    pub async fn turn(
        &self,
        rt: &AgentRuntime,
        ask: Ask<'_>,
        script: Option<&mut Script>,
        ctx: &StepCtx,
    ) -> Result<Turn, TurnError> {
        let Ask {
            system,
            messages,
            tools,
            planning,
        } = ask;
        let demand = LlmDemand {
            prompt_tokens: self.prompt_tokens(system, messages, tools),
            requested_max_tokens: self.max_tokens,
            input_price_per_mtok: self.plan.price.input_per_mtok,
            output_price_per_mtok: self.plan.price.output_per_mtok,
        };
        let reservation = rt
            .gate
            .reserve_model_turn(&demand)
            .map_err(|r| TurnError::Budget(r.reason))?;
        let max_tokens = reservation.granted_max_tokens.unwrap_or(self.max_tokens);
        let result = match (&self.endpoint, script) {
            (None, Some(script)) if planning => {
                Ok(script.play_plan(&demand, max_tokens, &self.plan))
            }
            (None, Some(script)) => Ok(script.play(&demand, max_tokens, &self.plan)),
            (None, None) => Ok(self.simulated(&demand, messages, max_tokens)),
            (Some(endpoint), _) => {
                self.remote(endpoint, &demand, system, messages, tools, max_tokens, ctx)
                    .await
            }
        };
        let used = match &result {
            Ok(turn) => Spend {
                steps: 0,
                llm_calls: 1,
                tokens: turn.prompt_tokens + turn.completion_tokens,
                cost_micros: turn.cost_micros,
            },
            // Nothing billed: one call, no tokens.
            Err(_) => Spend {
                llm_calls: 1,
                ..Default::default()
            },
        };
        rt.gate.settle(&reservation, Some(used));
        result
    }

    fn prompt_tokens(&self, system: &str, messages: &[ChatMessage], tools: &[ToolSpec]) -> u64 {
        let mut text = String::from(system);
        for m in messages {
            match m {
                ChatMessage::User { content } => text.push_str(content),
                ChatMessage::Assistant {
                    content,
                    tool_calls,
                } => {
                    text.push_str(content.as_deref().unwrap_or(""));
                    for c in tool_calls {
                        text.push_str(&c.name);
                        text.push_str(&c.arguments.to_string());
                    }
                }
                ChatMessage::ToolResult { content, .. } => text.push_str(content),
            }
        }
        if self.is_simulated() {
            llm::sim_tokens(&text) + 8 * messages.len() as u64
        } else {
            let schemas: usize = tools
                .iter()
                .map(|t| t.description.len() + t.input_schema.to_string().len())
                .sum();
            llm::estimate_tokens(&text) + (schemas as u64).div_ceil(3) + 16
        }
    }

    /// The simulated provider without a script: a deterministic answer, no tool calls.
    fn simulated(&self, demand: &LlmDemand, messages: &[ChatMessage], max_tokens: u64) -> Turn {
        let last_user = messages
            .iter()
            .rev()
            .find_map(|m| match m {
                ChatMessage::User { content } => Some(content.as_str()),
                _ => None,
            })
            .unwrap_or("");
        let mut plan = self.plan.clone();
        plan.prompt = last_user.to_string();
        plan.prompt_tokens = demand.prompt_tokens;
        let out = llm::simulated(&plan, max_tokens);
        let usage = out.usage.unwrap_or_default();
        Turn {
            text: out.value["text"].as_str().unwrap_or_default().to_string(),
            tool_calls: Vec::new(),
            model: plan.model,
            prompt_tokens: demand.prompt_tokens,
            completion_tokens: usage.tokens.saturating_sub(demand.prompt_tokens),
            cost_micros: usage.cost_micros,
            estimated: false,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn remote(
        &self,
        endpoint: &Endpoint,
        demand: &LlmDemand,
        system: &str,
        messages: &[ChatMessage],
        tools: &[ToolSpec],
        max_tokens: u64,
        ctx: &StepCtx,
    ) -> Result<Turn, TurnError> {
        let client = ctx
            .shared
            .http_client()
            .map_err(|f| TurnError::Failed(f.message))?;
        let request = ChatRequest {
            model: self.plan.model.clone(),
            system: (!system.is_empty()).then(|| system.to_string()),
            messages: messages.to_vec(),
            max_tokens,
            temperature: self.temperature,
            tools: tools.to_vec(),
        };
        let answer = match providers::chat(client, endpoint, &request, &ctx.cancel).await {
            Ok(a) => a,
            Err(ProviderError::Cancelled) => return Err(TurnError::Interrupted),
            Err(e) => {
                return Err(TurnError::Failed(format!(
                    "{e} (provider `{}`)",
                    self.provider()
                )))
            }
        };
        let (prompt, completion, estimated) = match answer.usage {
            Some(u) => (u.prompt_tokens, u.completion_tokens, false),
            None => (
                demand.prompt_tokens,
                llm::estimate_tokens(&answer.text)
                    + llm::estimate_tokens(
                        &serde_json::to_string(&answer.tool_calls).unwrap_or_default(),
                    ),
                true,
            ),
        };
        Ok(Turn {
            cost_micros: token_cost_micros(
                prompt,
                completion,
                demand.input_price_per_mtok,
                demand.output_price_per_mtok,
            ),
            text: answer.text,
            tool_calls: answer.tool_calls,
            model: answer.model,
            prompt_tokens: prompt,
            completion_tokens: completion,
            estimated,
        })
    }
}
