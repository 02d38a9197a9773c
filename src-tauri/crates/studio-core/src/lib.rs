//! Mission Studio domain types and the mission file format.
//!
//! Nothing here knows about Tauri, SQLite or the UI: the engine, the store, the registry and the
//! API build on these types.

pub mod mission;
pub mod status;
pub mod step_types;

pub use mission::{
    slug, Plan, Risk,
    Approval, ApprovalMode, Budget, Mission, MissionConfig, Perimeter, PlanStep, Sandbox,
    Simulation, SimulatedTool, StateField, StateSchema, Step, StepApproval, ToolRules,
};
pub use status::{RunStatus, StepStatus};
pub use step_types::{StepTypeInfo, StepTypeStatus, STEP_TYPES};

/// The version of Mission Studio, shared by the app, the CLI and the diagnostics view.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
