//! The approval decisions of a run as the run view shows them: for each request, whether it was
//! approved or denied, by whom, when, and the note they gave.

use serde::Serialize;
use studio_store::ApprovalRow;
use ts_rs::TS;

/// One approval request of a run and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "ApprovalDecisionDto.ts")]
pub struct ApprovalDecisionDto {
    pub step_id: String,
    /// `expired`: nobody could be asked, or the run stopped before an answer.
    #[ts(type = "\"approved\" | \"denied\" | \"expired\"")]
    pub status: String,
    /// Who answered (`ui` for the window, `cli:--approve all`, …).
    pub decided_by: Option<String>,
    /// The note the person gave with the answer.
    pub note: Option<String>,
    /// RFC 3339.
    pub decided_at: Option<String>,
    /// Why approval was asked (the rule).
    pub why: String,
}

impl From<&ApprovalRow> for ApprovalDecisionDto {
    fn from(row: &ApprovalRow) -> Self {
        Self {
            step_id: row.step_id.clone(),
            status: row.status.clone(),
            decided_by: row.decided_by.clone(),
            note: row.note.clone().filter(|n| !n.trim().is_empty()),
            decided_at: row.decided_at.clone(),
            why: row.reason.clone(),
        }
    }
}
