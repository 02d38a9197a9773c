//! Audit and Review commands: thin adapters over `studio_api::oversight`.

use studio_api::oversight::{AuditPage, AuditQuery, ReviewFlagDto};
use studio_api::{ApiError, StudioApi};
use tauri::State;

/// A page of the gate's decisions across runs, newest first, filtered.
#[tauri::command]
pub async fn audit_rows(
    api: State<'_, StudioApi>,
    query: Option<AuditQuery>,
) -> Result<AuditPage, ApiError> {
    api.audit_page(&query.unwrap_or_default())
}

/// The review queue: `open`, `acknowledged`, `resolved` or `all` (the default).
#[tauri::command]
pub async fn review_flags(
    api: State<'_, StudioApi>,
    status: Option<String>,
) -> Result<Vec<ReviewFlagDto>, ApiError> {
    api.review_queue(status.as_deref())
}

/// Resolves a flag of the review queue, with an optional note.
#[tauri::command]
pub async fn resolve_review_flag(
    api: State<'_, StudioApi>,
    flag_id: i64,
    note: Option<String>,
) -> Result<ReviewFlagDto, ApiError> {
    api.resolve_review_flag(flag_id, note.as_deref())
}
