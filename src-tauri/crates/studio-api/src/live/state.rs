//! The typed state in the run view: the mission's fields, and a person's edit of one while the
//! run waits for an approval (the engine checks the type, applies it, and records an event and
//! an audit row).

use super::LiveRuns;
use crate::{ApiError, ErrorCode};
use serde::Serialize;
use serde_json::Value;
use studio_core::Mission;
use ts_rs::TS;

/// One field of the mission's `state_schema`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "StateFieldDto.ts")]
pub struct StateFieldDto {
    pub name: String,
    /// string, int, float, bool, list or object.
    pub field_type: String,
    pub required: bool,
    #[ts(type = "unknown")]
    pub default: Option<Value>,
}

pub(super) fn fields(mission: &Mission) -> Vec<StateFieldDto> {
    mission
        .state_schema
        .iter()
        .flat_map(|s| s.fields.iter())
        .map(|(name, f)| StateFieldDto {
            name: name.clone(),
            field_type: f.field_type.clone(),
            required: f.required,
            default: f.default.clone(),
        })
        .collect()
}

impl LiveRuns {
    /// Sets a state field of a run started here while it waits for an approval; refused (with
    /// why) at any other moment or when the value does not fit the field's type.
    pub async fn edit_state(
        &self,
        run_id: &str,
        field: &str,
        value: Value,
    ) -> Result<(), ApiError> {
        let run = self.find(run_id).ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("run {run_id} is not running in this window: its state cannot change"),
            )
        })?;
        if !run.is_running() {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!("run {run_id} has ended: its state can no longer change"),
            ));
        }
        let desk = std::sync::Arc::clone(&run.desk);
        desk.propose(field, value, "ui")
            .await
            .map_err(|m| ApiError::new(ErrorCode::InvalidInput, m))
    }
}
