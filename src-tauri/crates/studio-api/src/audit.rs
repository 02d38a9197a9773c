//! The gate's decisions of runs (`mission audit`, the app's audit view), and what a run leaves
//! about its perimeter: `evidence/audit.jsonl` while it runs, the history's `audit_log` once it
//! ends, and the perimeter and sandbox in `meta.json`.

use crate::{ApiError, ErrorCode, StudioApi};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};
use studio_core::{Mission, Sandbox};
use studio_engine::approval::{
    ApprovalDecision, ApprovalOutcome, ApprovalRequest, Approver, DecisionFuture,
};
use studio_engine::audit::{AuditRecord, JsonlAuditFile};
use studio_engine::RunOptions;
use studio_pack::EvidenceFolder;
use studio_store::ApprovalRow;

/// Wraps the host's approver and keeps every request with its answer, for the history's
/// `approvals` table.
pub(crate) struct RecordingApprover {
    inner: Arc<dyn Approver>,
    rows: Arc<Mutex<Vec<ApprovalRow>>>,
}

impl Approver for RecordingApprover {
    fn decide(&self, request: ApprovalRequest) -> DecisionFuture {
        let inner = self.inner.decide(request.clone());
        let rows = Arc::clone(&self.rows);
        let requested_at = now();
        Box::pin(async move {
            let decision: ApprovalDecision = inner.await;
            let status = match decision.outcome {
                ApprovalOutcome::Approved if decision.step_hash == request.step_hash => "approved",
                ApprovalOutcome::Unavailable => "expired",
                _ => "denied",
            };
            rows.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(ApprovalRow {
                    run_id: request.run_id.clone(),
                    step_id: request.step_id.clone(),
                    tool: request.tool.clone(),
                    estimated_cost_usd: request.estimated_cost_usd,
                    reason: request.why.clone(),
                    status: status.to_string(),
                    requested_at,
                    decided_at: Some(now()),
                    decided_by: Some(decision.by.clone()),
                    note: decision.note.clone().filter(|n| !n.trim().is_empty()),
                });
            decision
        })
    }
}

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Adds the evidence folder's audit file to the run's audit sinks, records every approval
/// request, and writes the perimeter and the sandbox to `meta.json`. Returns the approval
/// rows, filled as the run goes.
pub(crate) fn prepare_run(
    folder: &mut EvidenceFolder,
    mission: &Mission,
    options: &mut RunOptions,
) -> Result<Arc<Mutex<Vec<ApprovalRow>>>, ApiError> {
    let file = JsonlAuditFile::open(folder.audit_path())
        .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))?;
    options.governance.audit.push(Arc::new(file));
    let approvals = Arc::new(Mutex::new(Vec::new()));
    options.governance.approver = Arc::new(RecordingApprover {
        inner: Arc::clone(&options.governance.approver),
        rows: Arc::clone(&approvals),
    });
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
    if options.governance.simulate_llm {
        folder
            .set_simulate_llm(true)
            .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))?;
    }
    folder
        .set_governance(perimeter, sandbox)
        .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))?;
    Ok(approvals)
}

/// Copies a finished run's audit rows (from its evidence folder) and approval requests into the
/// history.
pub(crate) fn record_run(
    api: &StudioApi,
    audit_path: &Path,
    approvals: &Mutex<Vec<ApprovalRow>>,
) -> Result<usize, ApiError> {
    let approvals = std::mem::take(&mut *approvals.lock().unwrap_or_else(|e| e.into_inner()));
    if !approvals.is_empty() {
        api.with_store(|s| Ok(s.insert_approvals(&approvals)?))?;
    }
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
    /// The approval requests of a run and their answers.
    pub fn approvals(&self, run_id: &str) -> Result<Vec<ApprovalRow>, ApiError> {
        self.with_store(|s| Ok(s.approvals(run_id)?))
    }

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
