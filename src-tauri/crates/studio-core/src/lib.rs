//! Mission Studio domain types and the mission file format.
//!
//! Nothing here knows about Tauri, SQLite or the UI: the engine, the store, the registry and the
//! API build on these types.
//!
//! The mission file: [`load_file`] / [`load_str`] read it (YAML or JSON, within [`Limits`]),
//! [`validate`] reports every problem at once as located [`Diagnostic`]s, [`levels`] orders the
//! steps into parallel levels, [`logic_hash`] fingerprints what the mission does, and
//! [`schema::mission_schema`] describes the format as JSON Schema.

pub mod agents;
pub mod canonical;
pub mod compat;
pub mod deployment;
pub mod diagnostic;
pub mod graph;
pub mod hash;
pub mod import;
pub mod keys;
pub mod load;
pub mod mission;
pub mod normalize;
pub mod perimeter;
pub mod reference;
pub mod schema;
pub mod source;
pub mod spans;
pub mod state;
pub mod status;
pub mod step_params;
pub mod step_types;
pub mod suggest;
pub mod validate;
pub mod variables;

pub use deployment::{Deployment, DeploymentTarget, Resources};
pub use diagnostic::{has_errors, Code, Diagnostic, Severity};
pub use graph::{levels, topological_order, GraphError, StepGraph};
pub use hash::{logic_hash, step_hash};
pub use import::{ImportKind, ImportNote, ImportReport, NoteKind};
pub use load::{load_file, load_str, Limits, LoadError, LoadedMission};
pub use mission::{
    slug, Approval, ApprovalMode, Budget, InputDecl, Mission, MissionConfig, NetworkRules,
    Perimeter, Plan, PlanStep, Risk, Sandbox, SimulatedTool, Simulation, StateField, StateSchema,
    Step, StepApproval, Telemetry, TelemetryBackend, ToolRules,
};
pub use normalize::{EffectiveConfig, MissionLogic, NormalizedStep};
pub use perimeter::{
    merge as merge_perimeters, parse_perimeter, EffectivePerimeter, PerimeterError,
};
pub use source::{Location, SourceFile, SourceFormat};
pub use status::{RunStatus, StepStatus};
pub use step_params::{params_of, step_params, StepParams};
pub use step_types::{StepTypeInfo, StepTypeStatus, STEP_TYPES};
pub use validate::{strict, validate, validate_mission, validate_with, ValidateOptions};

/// The version of Mission Studio, shared by the app, the CLI and the diagnostics view.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
