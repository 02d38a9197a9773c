//! The agent family (DESIGN §5.2): `agent`, a tool-calling loop whose every call is a gated
//! sub-step, and `chain`, prompts in order, each seeing the previous answer.
//!
//! Both make several model calls in one step, so both reserve each call against the budget
//! before sending it ([`model::Model::turn`]); the step's own pass through the gate covers the
//! step, not its calls. What the executor lends them for this — the gate, the tool registry,
//! the mission's scripts and strategy, a way to report progress — is an [`AgentRuntime`].

mod agent;
mod calls;
mod chain;
mod model;
mod runtime;
mod scripted;
mod toolbox;

pub(crate) use chain::protect_chain_references;
pub(crate) use runtime::{AgentNote, AgentRuntime, NoteState};

use super::{Failure, StepCtx, StepOutput};
use crate::tools::SideEffects;
use serde_json::Value;

/// The step types of this family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Agent,
    Chain,
}

/// Each type's name, as missions write it.
pub(crate) const KINDS: &[(&str, Kind)] = &[("agent", Kind::Agent), ("chain", Kind::Chain)];

/// Neither changes anything by itself: an agent's tool calls pass the gate one by one, each
/// with the side effects of the step type or tool it calls.
pub(crate) fn side_effects(_kind: Kind, _params: &Value) -> SideEffects {
    SideEffects::None
}

pub(crate) async fn run(kind: Kind, params: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let params = super::system::canonical(
        match kind {
            Kind::Agent => "agent",
            Kind::Chain => "chain",
        },
        params,
    );
    let Some(rt) = ctx.agent.clone() else {
        return Err(Failure::new(
            "an agent or chain step runs only inside a run (it needs the run's gate)",
        ));
    };
    match kind {
        Kind::Agent => agent::run(params, ctx, &rt).await,
        Kind::Chain => chain::run(params, ctx, &rt).await,
    }
}
