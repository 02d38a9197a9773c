//! The problems of a mission file as the window shows them (see [`crate::check`]).

use serde::Serialize;
use studio_core::Diagnostic;
use ts_rs::TS;

/// Every problem of one mission file: the list, and the text `mission validate` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "MissionReport.ts")]
pub struct MissionReport {
    /// The file, as named where it was loaded.
    pub file: String,
    /// No error (warnings allowed).
    pub valid: bool,
    pub errors: u32,
    pub warnings: u32,
    pub items: Vec<DiagnosticItem>,
    /// The problems rendered compiler style, exactly as `mission validate` prints them (no
    /// colours): file, line and column, the code frame, the hint.
    pub rendered: String,
}

/// One problem: `{severity, code, message, file, line, column, field, help}` as in
/// `mission validate --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "DiagnosticItem.ts")]
pub struct DiagnosticItem {
    #[ts(type = "\"error\" | \"warning\"")]
    pub severity: String,
    pub code: String,
    pub message: String,
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub field: String,
    pub help: Option<String>,
}

impl From<&Diagnostic> for DiagnosticItem {
    fn from(d: &Diagnostic) -> Self {
        Self {
            severity: d.severity.as_str().to_string(),
            code: d.code.as_str().to_string(),
            message: d.message.clone(),
            file: d.file.clone(),
            line: d.location.map(|l| l.line as u32),
            column: d.location.map(|l| l.column as u32),
            field: d.field.clone(),
            help: d.help.clone(),
        }
    }
}
