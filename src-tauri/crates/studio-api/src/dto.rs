//! Transport types: what the app's commands return over IPC. TypeScript types are generated from
//! these into `ui/src/gen/` (see the `generated_ts_types_are_up_to_date` test).

use serde::Serialize;
use ts_rs::TS;

/// The About / diagnostics view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "Diagnostics.ts")]
pub struct Diagnostics {
    pub app_version: String,
    pub data_dir: String,
    pub database_path: String,
    pub log_dir: String,
    pub runs_dir: String,
    /// True when the data folder comes from `MISSION_STUDIO_DATA_DIR`.
    pub data_dir_from_env: bool,
    pub os: String,
    pub arch: String,
    pub step_types_available: u32,
    pub step_types_known: u32,
    /// The whole RustChain catalogue, in its order, with what this version runs.
    pub step_types: Vec<StepTypeDto>,
}

/// One step type of the RustChain catalogue and whether this version runs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "StepTypeDto.ts")]
pub struct StepTypeDto {
    pub name: String,
    /// The catalogue's family: file, data, code, git, system, database, network, ai, control
    /// or advanced.
    pub family: String,
    /// True when missions using it validate and run; false when validation refuses them with
    /// a "not available yet in this version" diagnostic naming the step.
    pub available: bool,
}
