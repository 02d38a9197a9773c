//! The network family: remote programs over SSH.
//!
//! Each type is one file; [`Kind`] lists them for the dispatcher in `steps/mod.rs`. Every type
//! here reaches another machine, so its side effects are external: the read-only sandbox
//! refuses it at the gate, and `tools::reach` names the network.

mod ssh_execute;

use super::{Failure, StepCtx, StepOutput};
use crate::tools::SideEffects;
use serde_json::Value;

/// The step types of this family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    SshExecute,
}

/// Each type's name, as missions write it.
pub(crate) const KINDS: &[(&str, Kind)] = &[("ssh_execute", Kind::SshExecute)];

/// What a step of this type changes: a remote program can change anything on its host.
pub(crate) fn side_effects(kind: Kind, _params: &Value) -> SideEffects {
    match kind {
        Kind::SshExecute => SideEffects::External,
    }
}

pub(crate) async fn run(kind: Kind, params: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    match kind {
        Kind::SshExecute => ssh_execute::run(canonical("ssh_execute", params), ctx).await,
    }
}

/// The parameters under their own names: an alias of the table (`user` for `username`,
/// RustChain's spellings) is renamed, unless the parameter itself is also given.
fn canonical(step_type: &str, params: Value) -> Value {
    let Some(spec) = studio_core::step_params::params_of(step_type) else {
        return params;
    };
    let Value::Object(map) = params else {
        return params;
    };
    let mut out = serde_json::Map::new();
    for (key, value) in &map {
        let name = spec.canonical(key);
        if name != key && map.get(name).is_some_and(|v| !v.is_null()) {
            continue;
        }
        out.insert(name.to_string(), value.clone());
    }
    Value::Object(out)
}
