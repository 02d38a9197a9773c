//! The system family: archives, run-owned processes, resources, health checks.
//!
//! Each type is one file; [`Kind`] lists them for the dispatcher in `steps/mod.rs`.

use super::{Failure, StepCtx, StepOutput};
use crate::tools::SideEffects;
use serde_json::Value;

/// The step types of this family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {}

/// Each type's name, as missions write it.
pub(crate) const KINDS: &[(&str, Kind)] = &[];

/// What a step of this type changes, given its parameters (the gate, the sandbox and approvals
/// read it).
pub(crate) fn side_effects(kind: Kind, _params: &Value) -> SideEffects {
    match kind {}
}

pub(crate) async fn run(kind: Kind, _params: Value, _ctx: &StepCtx) -> Result<StepOutput, Failure> {
    match kind {}
}
