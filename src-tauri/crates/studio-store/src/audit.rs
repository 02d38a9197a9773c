//! The gate's decisions in `audit_log`: one row per decision (DESIGN §6). The engine writes
//! them to the run's evidence folder as it goes; the history takes them over when the run ends,
//! in one transaction, so `mission audit` and the app can list them across runs.

use crate::{Store, StoreError};
use rusqlite::params;
use studio_engine::audit::{AuditRecord, Check, Decision};

fn check_of(name: &str) -> Check {
    match name {
        "tool" => Check::Tool,
        "sector" => Check::Sector,
        "sandbox" => Check::Sandbox,
        "network" => Check::Network,
        "budget" => Check::Budget,
        _ => Check::Approval,
    }
}

impl Store {
    /// Records the gate's decisions of a run (the run must be recorded). Returns how many.
    pub fn insert_audit(&mut self, rows: &[AuditRecord]) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO audit_log (run_id, step_id, attempt, tool, tool_sector, \
                 authorising_sector, check_name, decision, reason, trace_id, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for r in rows {
                let decision = match r.decision {
                    Decision::Allowed => "allow",
                    Decision::Refused | Decision::Denied => "deny",
                };
                insert.execute(params![
                    r.run_id,
                    r.step_id,
                    r.attempt,
                    r.tool,
                    r.tool_sector,
                    r.authorising_sector,
                    r.check.as_str(),
                    decision,
                    r.reason,
                    r.trace_id,
                    r.at,
                ])?;
            }
        }
        tx.commit()?;
        Ok(rows.len())
    }

    /// The decisions of one run (or of every run, newest run first), in the order they were
    /// made. The mission's id and sector come from the run's record.
    pub fn audit_rows(&self, run_id: Option<&str>) -> Result<Vec<AuditRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.run_id, r.mission_id, COALESCE(json_extract(r.mission_json, '$.sector'), 'default'), \
             a.step_id, a.attempt, a.tool, a.tool_sector, a.authorising_sector, a.check_name, \
             a.decision, a.reason, a.trace_id, a.created_at \
             FROM audit_log a JOIN runs r ON r.run_id = a.run_id \
             WHERE ?1 IS NULL OR a.run_id = ?1 \
             ORDER BY r.started_at DESC, a.audit_id",
        )?;
        let rows = stmt.query_map(params![run_id], |row| {
            let check = check_of(&row.get::<_, String>(8)?);
            let decision = match (row.get::<_, String>(9)?.as_str(), check) {
                ("allow", _) => Decision::Allowed,
                (_, Check::Approval) => Decision::Denied,
                _ => Decision::Refused,
            };
            Ok(AuditRecord {
                run_id: row.get(0)?,
                mission_id: row.get(1)?,
                mission_sector: row.get(2)?,
                step_id: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
                attempt: row.get::<_, Option<u32>>(4)?.unwrap_or(0),
                tool: row.get(5)?,
                tool_sector: row.get(6)?,
                authorising_sector: row.get(7)?,
                check,
                decision,
                reason: row.get(10)?,
                trace_id: row.get(11)?,
                at: row.get(12)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// One approval request of a blocked step and its answer (`approvals`).
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRow {
    pub run_id: String,
    pub step_id: String,
    pub tool: String,
    pub estimated_cost_usd: f64,
    /// Why approval was needed.
    pub reason: String,
    /// `approved`, `denied` or `expired` (nobody could be asked).
    pub status: String,
    pub requested_at: String,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    /// The note the person gave with the answer (the approval card's note, …).
    pub note: Option<String>,
}

impl Store {
    /// Records the approval requests of a run and their answers.
    pub fn insert_approvals(&mut self, rows: &[ApprovalRow]) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO approvals (approval_id, run_id, step_id, attempt, tool, \
                 estimated_cost_usd, reason, status, requested_at, decided_at, decided_by, note) \
                 VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for r in rows {
                insert.execute(params![
                    format!("{}:{}", r.run_id, r.step_id),
                    r.run_id,
                    r.step_id,
                    r.tool,
                    r.estimated_cost_usd,
                    r.reason,
                    r.status,
                    r.requested_at,
                    r.decided_at,
                    r.decided_by,
                    r.note,
                ])?;
            }
        }
        tx.commit()?;
        Ok(rows.len())
    }

    /// The approval requests of a run, in the order they were asked.
    pub fn approvals(&self, run_id: &str) -> Result<Vec<ApprovalRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT run_id, step_id, tool, estimated_cost_usd, reason, status, requested_at, \
             decided_at, decided_by, note FROM approvals WHERE run_id = ?1 ORDER BY requested_at",
        )?;
        let rows = stmt.query_map(params![run_id], |row| {
            Ok(ApprovalRow {
                run_id: row.get(0)?,
                step_id: row.get(1)?,
                tool: row.get(2)?,
                estimated_cost_usd: row.get(3)?,
                reason: row.get(4)?,
                status: row.get(5)?,
                requested_at: row.get(6)?,
                decided_at: row.get(7)?,
                decided_by: row.get(8)?,
                note: row.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
