//! The error shape that crosses the API boundary: `{code, message}`. Callers branch on `code`.

use serde::Serialize;
use std::path::Path;
use ts_rs::TS;

/// Stable error codes; the UI branches on these, never on message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "ErrorCode.ts")]
pub enum ErrorCode {
    Io,
    InvalidInput,
    NotFound,
    Internal,
}

/// An error from the API, with a message that says what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, TS)]
#[error("{message}")]
#[ts(export_to = "ApiError.ts")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// A mission that cannot be loaded or run: every problem of its file, as `mission
    /// validate` reports them.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub report: Option<Box<crate::MissionReport>>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            report: None,
        }
    }

    /// An invalid mission file: `InvalidInput`, with its full report.
    pub fn invalid_mission(report: crate::MissionReport) -> Self {
        let first = report
            .items
            .iter()
            .find(|d| d.severity == "error")
            .map(|d| match (d.line, d.column) {
                (Some(l), Some(c)) => format!(": {}:{l}:{c}: {}", report.file, d.message),
                _ => format!(": {}", d.message),
            })
            .unwrap_or_default();
        Self {
            code: ErrorCode::InvalidInput,
            message: format!(
                "{} is not a valid mission ({} error(s)){first}",
                report.file, report.errors
            ),
            report: Some(Box::new(report)),
        }
    }

    /// An I/O failure on a path, naming the path.
    pub fn io(action: &str, path: &Path, err: std::io::Error) -> Self {
        Self::new(
            ErrorCode::Io,
            format!("could not {action} {}: {err}", path.display()),
        )
    }
}
