//! The simulated provider playing a mission's script for an agent (`simulation.agents`): each
//! model turn is the next scripted turn — tool calls, or the final answer — with token counts
//! and prices computed as the simulated provider computes them, so the budget is exercised.
//! The calls it makes go through the gate exactly as a real model's would.

use super::model::Turn;
use crate::budget::{token_cost_micros, LlmDemand};
use crate::providers::ToolCall;
use crate::steps::llm::{sim_tokens, LlmPlan};
use studio_core::agents::{SimulatedAgent, SimulatedTurn};

pub(crate) struct Script {
    turns: Vec<SimulatedTurn>,
    next: usize,
    pub plan: Vec<String>,
}

impl Script {
    pub fn new(agent: &SimulatedAgent) -> Self {
        Self {
            turns: agent.turns.clone(),
            next: 0,
            plan: agent.plan.clone(),
        }
    }

    /// The next scripted turn; past the end, a final answer that says the script ended.
    pub fn play(&mut self, demand: &LlmDemand, max_tokens: u64, plan: &LlmPlan) -> Turn {
        let turn = self
            .turns
            .get(self.next)
            .cloned()
            .unwrap_or_else(|| SimulatedTurn {
                answer: Some("Simulated answer: the script has no more turns.".into()),
                ..Default::default()
            });
        self.next += 1;
        let index = self.next;
        let tool_calls: Vec<ToolCall> = if turn.answer.is_some() {
            Vec::new()
        } else {
            turn.tool_calls
                .iter()
                .enumerate()
                .map(|(k, c)| ToolCall {
                    id: format!("sim_{index}_{}", k + 1),
                    name: c.tool.clone(),
                    arguments: c.input.clone(),
                })
                .collect()
        };
        let text = turn.answer.or(turn.thought).unwrap_or_default();
        self.priced(text, tool_calls, demand, max_tokens, plan)
    }

    /// A planning turn: the scripted plan as numbered lines.
    pub fn play_plan(&mut self, demand: &LlmDemand, max_tokens: u64, plan: &LlmPlan) -> Turn {
        let items: &[String] = if self.plan.is_empty() {
            &[
                "Gather what the objective needs with the tools".to_string(),
                "Check the results".to_string(),
                "Write the answer".to_string(),
            ]
        } else {
            &self.plan
        };
        let text = items
            .iter()
            .enumerate()
            .map(|(i, item)| format!("{}. {item}", i + 1))
            .collect::<Vec<_>>()
            .join("\n");
        self.priced(text, Vec::new(), demand, max_tokens, plan)
    }

    fn priced(
        &self,
        text: String,
        tool_calls: Vec<ToolCall>,
        demand: &LlmDemand,
        max_tokens: u64,
        plan: &LlmPlan,
    ) -> Turn {
        let calls_text: String = tool_calls
            .iter()
            .map(|c| format!("{}{}", c.name, c.arguments))
            .collect();
        let completion = (sim_tokens(&text) + sim_tokens(&calls_text)).clamp(1, max_tokens.max(1));
        Turn {
            cost_micros: token_cost_micros(
                demand.prompt_tokens,
                completion,
                plan.price.input_per_mtok,
                plan.price.output_per_mtok,
            ),
            text,
            tool_calls,
            model: plan.model.clone(),
            prompt_tokens: demand.prompt_tokens,
            completion_tokens: completion,
            estimated: false,
        }
    }
}
