//! The gate's decisions of runs (`mission audit`, the app's audit view), and what a run leaves
//! about its perimeter: `evidence/audit.jsonl` while it runs, the history's `audit_log` once it
//! ends, and the perimeter and sandbox in `meta.json`.

use crate::{ApiError, ErrorCode, StudioApi};
use serde_json::{json, Value};
use std::path::Path;
use studio_core::{Mission, Sandbox};
use studio_engine::audit::{AuditRecord, JsonlAuditFile};
use studio_engine::RunOptions;
use studio_pack::EvidenceFolder;

/// Adds the evidence folder's audit file to the run's audit sinks and records the perimeter
/// and the sandbox in `meta.json`.
pub(crate) fn prepare_run(
    folder: &mut EvidenceFolder,
    mission: &Mission,
    options: &mut RunOptions,
) -> Result<(), ApiError> {
    let file = JsonlAuditFile::open(folder.audit_path())
        .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))?;
    options.governance.audit.push(std::sync::Arc::new(file));
    let perimeter = options.governance.effective_perimeter(mission);
    let read_only = perimeter.sandbox == Sandbox::ReadOnly;
    let support = studio_engine::sandbox::support();
    let sandbox = json!({
        "mode": if read_only { "read-only" } else { "full-access" },
        "landlock_abi": support.abi,
        "landlock_active": read_only && support.enforced,
        "network_confined": read_only && support.network,
        "note": match (read_only, support.enforced) {
            (false, _) => "full-access: commands run unconfined",
            (true, true) => "command steps ran under Landlock: writes only inside the workspace, no TCP",
            (true, false) => "Landlock is not available: command steps were refused",
        },
    });
    let perimeter = serde_json::to_value(perimeter.to_perimeter()).unwrap_or(Value::Null);
    folder
        .set_governance(perimeter, sandbox)
        .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))
}

/// Copies a finished run's audit rows from its evidence folder into the history.
pub(crate) fn record_run(api: &StudioApi, audit_path: &Path) -> Result<usize, ApiError> {
    let rows = match JsonlAuditFile::read(audit_path) {
        Ok(rows) => rows,
        Err(_) if !audit_path.exists() => return Ok(0),
        Err(e) => return Err(ApiError::new(ErrorCode::Io, e.to_string())),
    };
    if rows.is_empty() {
        return Ok(0);
    }
    api.with_store(|s| Ok(s.insert_audit(&rows)?))
}

impl StudioApi {
    /// The gate's decisions of one run, or of every run (newest first): from the history, or,
    /// when it has none, from the evidence folders.
    pub fn audit(&self, run_id: Option<&str>) -> Result<Vec<AuditRecord>, ApiError> {
        let stored = self.with_store(|s| Ok(s.audit_rows(run_id)?));
        if let Ok(rows) = &stored {
            if !rows.is_empty() {
                return stored;
            }
        }
        let mut rows = Vec::new();
        let Ok(entries) = std::fs::read_dir(self.paths.runs_dir()) else {
            return Ok(rows);
        };
        let mut dirs: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        dirs.sort();
        dirs.reverse();
        for dir in dirs {
            let path = dir.join("evidence").join("audit.jsonl");
            if let Ok(found) = JsonlAuditFile::read(&path) {
                rows.extend(
                    found
                        .into_iter()
                        .filter(|r| run_id.is_none_or(|id| r.run_id == id)),
                );
            }
        }
        Ok(rows)
    }
}
