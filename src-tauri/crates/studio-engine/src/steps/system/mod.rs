//! The system family: archives, run-owned processes, resources, health checks.
//!
//! Each type is one file; [`Kind`] lists them for the dispatcher in `steps/mod.rs`. The
//! processes `process_start` starts belong to the run ([`RunProcesses`], held by
//! `steps::Shared`) and are stopped when it ends.

mod compress;
mod extract;
mod monitor_resources;
mod owned;
mod ping_host;
mod process_kill;
mod process_start;
mod service_health;

pub(crate) use owned::RunProcesses;

use super::{Failure, StepCtx, StepOutput};
use crate::tools::SideEffects;
use serde_json::Value;

/// The step types of this family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Compress,
    ProcessStart,
    ProcessKill,
    MonitorResources,
    ServiceHealth,
    PingHost,
}

/// Each type's name, as missions write it.
pub(crate) const KINDS: &[(&str, Kind)] = &[
    ("compress", Kind::Compress),
    ("process_start", Kind::ProcessStart),
    ("process_kill", Kind::ProcessKill),
    ("monitor_resources", Kind::MonitorResources),
    ("service_health", Kind::ServiceHealth),
    ("ping_host", Kind::PingHost),
];

/// What a step of this type changes, given its parameters (the gate, the sandbox and approvals
/// read it). Archives are written inside the workspace; the processes a run starts are its own
/// (confined like `command` under a read-only sandbox, stopped when the run ends); measuring
/// and probing only read.
pub(crate) fn side_effects(kind: Kind, _params: &Value) -> SideEffects {
    match kind {
        Kind::Compress | Kind::ProcessStart | Kind::ProcessKill => SideEffects::Workspace,
        Kind::MonitorResources | Kind::ServiceHealth | Kind::PingHost => SideEffects::None,
    }
}

pub(crate) async fn run(kind: Kind, params: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let name = KINDS
        .iter()
        .find(|(_, k)| *k == kind)
        .map_or("", |(n, _)| *n);
    let params = canonical(name, params);
    match kind {
        Kind::Compress => compress::run(params, ctx).await,
        Kind::ProcessStart => process_start::run(params, ctx).await,
        Kind::ProcessKill => process_kill::run(params, ctx).await,
        Kind::MonitorResources => monitor_resources::run(params, ctx).await,
        Kind::ServiceHealth => service_health::run(params, ctx).await,
        Kind::PingHost => ping_host::run(params, ctx).await,
    }
}

/// The parameters under their own names: an alias of the table (`operation` for `action`,
/// RustChain's spellings) is renamed, unless the parameter itself is also given (validation
/// reports that conflict).
pub(crate) fn canonical(step_type: &str, params: Value) -> Value {
    let Some(spec) = studio_core::step_params::params_of(step_type) else {
        return params;
    };
    let Value::Object(map) = params else {
        return params;
    };
    if !map.keys().any(|k| spec.canonical(k) != k) {
        return Value::Object(map);
    }
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

#[cfg(test)]
#[test]
fn aliases_are_read_under_their_parameter_names() {
    let p = canonical(
        "compress",
        serde_json::json!({"operation": "extract", "path": "a.zip", "output": "out"}),
    );
    assert_eq!(
        p,
        serde_json::json!({"action": "extract", "source": "a.zip", "destination": "out"})
    );
    let p = canonical(
        "ping_host",
        serde_json::json!({"host": "a", "address": "b"}),
    );
    assert_eq!(p, serde_json::json!({"host": "a"}));
}
