//! Crash recovery: at start-up, runs left `running` by a process that is gone are ended.

use crate::model::{rfc3339, RecoveredRun, INTERRUPTED};
use crate::owner::ProcessIdentity;
use crate::write::{insert_event, synthetic_step, upsert_step, INSERT_EVENT, UPSERT_STEP};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use std::collections::HashSet;
use std::sync::Arc;
use studio_core::{RunStatus, StepStatus};
use studio_engine::{Event, EventType, Usage};

/// The error text of a step that was running when its process went away.
pub const STEP_INTERRUPTED: &str = "cancelled: the process running the mission stopped";
/// The error text of a step that had not started when its process went away.
pub const STEP_NOT_STARTED: &str = "not started: the run was interrupted";

impl Store {
    /// Ends every unfinished run whose owner process is gone (as `is_alive` says): the run
    /// becomes `failed` with reason [`INTERRUPTED`], its running steps `cancelled`, the steps
    /// that never started `skipped` (DESIGN §4), and its final `mission.failed` event is written.
    /// One transaction per run; runs of live processes are left alone.
    pub fn recover_interrupted(
        &mut self,
        is_alive: impl Fn(&ProcessIdentity) -> bool,
    ) -> Result<Vec<RecoveredRun>, StoreError> {
        let candidates: Vec<(String, ProcessIdentity)> = self
            .conn
            .prepare(
                "SELECT run_id, owner_pid, owner_start FROM runs
                 WHERE status IN ('queued', 'running', 'blocked')",
            )?
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    ProcessIdentity {
                        pid: r.get(1)?,
                        start_ticks: r.get::<_, Option<i64>>(2)?.map(|t| t as u64),
                    },
                ))
            })?
            .collect::<Result<_, _>>()?;
        let mut recovered = Vec::new();
        for (run_id, owner) in candidates {
            if is_alive(&owner) {
                continue;
            }
            if let Some(done) = self.end_interrupted(&run_id, Utc::now())? {
                recovered.push(done);
            }
        }
        Ok(recovered)
    }

    fn end_interrupted(
        &mut self,
        run_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<RecoveredRun>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have recovered it in the meantime.
        let row: Option<(String, String, String, String, Option<String>)> = tx
            .query_row(
                "SELECT mission_id, trace_id, mission_json, status, evidence_dir FROM runs
                 WHERE run_id = ?1",
                [run_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((mission_id, trace_id, mission_json, status, evidence_dir)) = row else {
            return Ok(None);
        };
        if !matches!(status.as_str(), "queued" | "running" | "blocked") {
            return Ok(None);
        }
        let (last_seq, last_payload): (i64, Option<String>) = tx.query_row(
            "SELECT COALESCE(MAX(seq), 0),
                    (SELECT payload FROM events WHERE run_id = ?1 ORDER BY seq DESC LIMIT 1)
             FROM events WHERE run_id = ?1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let runtime_ms = last_payload
            .and_then(|p| serde_json::from_str::<serde_json::Value>(&p).ok())
            .and_then(|body| body["usage"]["runtime_ms"].as_u64())
            .unwrap_or(0);

        // Steps: running ones are cancelled, the ones never started are skipped.
        let mut cancelled = Vec::new();
        let mut seen = HashSet::new();
        {
            let mut stmt =
                tx.prepare("SELECT step_id, status FROM step_results WHERE run_id = ?1")?;
            let rows = stmt.query_map([run_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            for row in rows {
                let (step_id, status) = row?;
                if matches!(status.as_str(), "running" | "blocked" | "pending") {
                    cancelled.push(step_id.clone());
                }
                seen.insert(step_id);
            }
        }
        let at = rfc3339(now);
        tx.execute(
            "UPDATE step_results SET status = 'cancelled', error = ?2, finished_at = ?3
             WHERE run_id = ?1 AND status IN ('running', 'blocked', 'pending')",
            params![run_id, STEP_INTERRUPTED, at],
        )?;
        let mission: serde_json::Value =
            serde_json::from_str(&mission_json).map_err(|e| StoreError::corrupt("mission", e))?;
        let mut skipped = Vec::new();
        let steps = mission["steps"].as_array().cloned().unwrap_or_default();
        for (position, step) in steps.iter().enumerate() {
            let id = step["id"].as_str().unwrap_or_default();
            if id.is_empty() || seen.contains(id) {
                continue;
            }
            let step_type = step["step_type"].as_str().unwrap_or_default();
            let row = synthetic_step(
                id,
                position as u32,
                step_type,
                StepStatus::Skipped,
                STEP_NOT_STARTED,
                now,
            );
            let mut upsert = tx.prepare_cached(UPSERT_STEP)?;
            upsert_step(&mut upsert, run_id, &row)?;
            skipped.push(id.to_string());
        }

        let summary = format!(
            "run failed: {INTERRUPTED} (the process running it stopped; {} running step(s) \
             cancelled, {} skipped)",
            cancelled.len(),
            skipped.len()
        );
        let event = Event {
            event_type: EventType::Failed,
            mission_id: Arc::from(mission_id.as_str()),
            run_id: Arc::from(run_id),
            trace_id: Arc::from(trace_id.as_str()),
            seq: last_seq as u64 + 1,
            idempotency_key: format!("{run_id}:-:0:{}/final", EventType::Failed.as_str()),
            step_id: None,
            attempt: None,
            status: RunStatus::Failed,
            step_status: None,
            summary,
            artifact_refs: Vec::new(),
            usage: Usage {
                runtime_ms,
                ..Usage::default()
            },
            emitted_at: at.clone(),
            detail: None,
        };
        let mut insert = tx.prepare_cached(INSERT_EVENT)?;
        insert_event(&tx, &mut insert, &mut Vec::new(), &event)?;
        drop(insert);
        tx.execute(
            "UPDATE runs SET status = 'failed', reason = ?2, finished_at = ?3, runtime_ms = ?4
             WHERE run_id = ?1",
            params![run_id, INTERRUPTED, at, runtime_ms as i64],
        )?;
        // Ended runs are findable by what they produced before the process stopped.
        crate::run_index::index_run(&tx, run_id)?;
        tx.commit()?;
        Ok(Some(RecoveredRun {
            run_id: run_id.to_string(),
            evidence_dir,
            cancelled_steps: cancelled,
            skipped_steps: skipped,
            finished_at: at,
        }))
    }
}
