//! Errors that stop a run before it starts. Failures of steps are not errors: they are recorded
//! in the [`crate::RunResult`].

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("step id `{0}` is declared more than once")]
    DuplicateStep(String),
    #[error("step `{step}` depends on `{missing}`, which is not a step of this mission")]
    UnknownDependency { step: String, missing: String },
    #[error("the steps form a cycle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
    #[error("step `{step}` has type `{step_type}`, which is not available yet in this build")]
    UnavailableStepType { step: String, step_type: String },
    #[error("the mission needs the input `{0}`: run it with `--var {0}=VALUE` (it is required and has no default)")]
    MissingInput(String),
    #[error("cannot open the run workspace {path}: {source}")]
    Workspace {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
