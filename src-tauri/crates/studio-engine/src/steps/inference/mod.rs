//! The inference family: `model_inference`, an ONNX model of the workspace run in-process by
//! tract, or a model served over the Open Inference Protocol (KServe v2).
//!
//! One file per concern: the step (`model_inference.rs`), the tensors as JSON shared by both
//! back ends (`tensors.rs`), tract and the run's model cache (`onnx.rs`), the protocol client
//! (`oip.rs`). An endpoint's host is checked by the gate against
//! `perimeter.network.allowed_hosts` ([`crate::hosts`]); a workspace file reaches no host.

mod model_inference;
mod oip;
mod onnx;
mod tensors;

use super::{Failure, StepCtx, StepOutput};
use crate::tools::SideEffects;
use serde_json::Value;

pub(crate) use onnx::ModelCache;

/// The step types of this family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    ModelInference,
}

/// Each type's name, as missions write it.
pub(crate) const KINDS: &[(&str, Kind)] = &[("model_inference", Kind::ModelInference)];

/// Inference reads its inputs and answers; it changes nothing, here or on a server.
pub(crate) fn side_effects(_kind: Kind, _params: &Value) -> SideEffects {
    SideEffects::None
}

pub(crate) async fn run(kind: Kind, params: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let params = super::system::canonical("model_inference", params);
    match kind {
        Kind::ModelInference => model_inference::run(params, ctx).await,
    }
}
