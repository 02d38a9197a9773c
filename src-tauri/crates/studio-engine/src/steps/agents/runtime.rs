//! What the executor lends an `agent` or `chain` step: the run's gate (for its sub-steps and
//! model turns), the tool registry, the mission's script and strategy for the step, and a way
//! to report each turn and call as it happens.

use crate::gate::Gate;
use crate::tools::ToolRegistry;
use serde_json::Value;
use std::sync::Arc;
use studio_core::agents::{SimulatedAgent, Strategy};
use studio_core::mission::SimulatedTool;

pub(crate) struct AgentRuntime {
    pub gate: Arc<Gate>,
    pub tools: Arc<ToolRegistry>,
    /// The agent step's id: its calls are audited as `<id>#<n>`.
    pub step_id: Arc<str>,
    /// The turns the simulated provider plays (`simulation.agents`).
    pub script: Option<SimulatedAgent>,
    /// The strategy a `strategies:` binding gives the step.
    pub strategy: Option<Strategy>,
    /// The enabled `simulation.tools` overrides: a call to one is answered, not run.
    pub overrides: Vec<SimulatedTool>,
    /// Reports a turn or a call to the run (one `mission.progress` event each).
    pub notify: Box<dyn Fn(AgentNote) + Send + Sync>,
}

/// One thing an agent did, for the run's events and the run view's timeline.
#[derive(Debug, Clone)]
pub(crate) struct AgentNote {
    /// Unique within the attempt (it is part of the event's idempotency key), e.g. `agent.2.1`.
    pub phase: String,
    pub summary: String,
    /// The structured record (`{agent: {...}}`) the timeline shows.
    pub detail: Value,
    pub state: NoteState,
}

/// Whether the step is waiting for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoteState {
    Running,
    /// A call waits for approval: the step is `blocked` until [`NoteState::Unblocked`].
    Blocked,
    Unblocked,
}

impl AgentRuntime {
    pub fn note(&self, note: AgentNote) {
        (self.notify)(note);
    }

    /// The override that answers a call to `step_type` (or registry tool `tool`).
    pub fn override_for(&self, step_type: &str, tool: Option<&str>) -> Option<&Value> {
        self.overrides
            .iter()
            .find(|o| o.name == step_type || Some(o.name.as_str()) == tool)
            .map(|o| &o.static_response)
    }
}
