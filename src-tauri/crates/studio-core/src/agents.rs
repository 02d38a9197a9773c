//! What a mission says about its `agent` steps beyond their parameters: the reasoning strategy
//! bound to each (Spark's `strategies:`) and the scripted turns the simulated provider plays
//! for them (`simulation.agents`), so agent missions run offline.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How an agent reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum StrategyKind {
    /// Think, call tools, read their results, repeat until an answer (the default).
    #[default]
    React,
    /// Ask for a numbered plan first, then carry it out with the tools.
    PlanAndSolve,
}

impl StrategyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::React => "react",
            Self::PlanAndSolve => "plan_and_solve",
        }
    }

    /// Reads a strategy's name as missions write it.
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "react" => Some(Self::React),
            "plan_and_solve" | "plan_solve" | "plan" => Some(Self::PlanAndSolve),
            _ => None,
        }
    }
}

/// A strategy bound to an agent step (Spark `MissionStrategyBindingSpec`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StrategyBinding {
    /// The id of the `agent` step the strategy applies to.
    pub target: String,
    /// Spark's reference to the agent (`agents.<name>`), kept for the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub strategy: Strategy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A reasoning strategy and its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Strategy {
    #[serde(rename = "type")]
    pub kind: StrategyKind,
    /// Settings of the strategy: `planning_steps` (plan_and_solve: the most plan items kept),
    /// `verbose` (accepted, for the record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
}

/// The turns the simulated provider plays for one agent step, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulatedAgent {
    /// The id of the `agent` step.
    pub step: String,
    /// The plan a `plan_and_solve` agent is given by its first call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plan: Vec<String>,
    #[serde(default)]
    pub turns: Vec<SimulatedTurn>,
}

/// One answer of the simulated model: tool calls to make, or the final answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SimulatedTurn {
    /// Text that comes with the calls (the model's reasoning, shown in the timeline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<SimulatedCall>,
    /// The final answer; a turn with an answer ends the loop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

/// One scripted tool call: a step type or registry tool offered to the agent, and its input
/// (the step's parameters, or the registry tool's `input`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulatedCall {
    #[serde(alias = "name")]
    pub tool: String,
    #[serde(default, alias = "arguments", alias = "parameters")]
    pub input: Value,
}

/// Whether `inner` (the text between `{{` and `}}`) is one of the references a `chain` step
/// fills in itself: `previous` (the last answer) or `answers.N` (the N-th, from 1).
pub fn is_chain_reference(inner: &str) -> bool {
    let inner = inner.trim();
    inner == "previous"
        || inner
            .strip_prefix("answers.")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}
