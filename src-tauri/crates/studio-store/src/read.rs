//! Reading history: the queries behind `mission history`, `show`, `diff` and `resume`.

use crate::model::{
    rfc3339, run_status, step_status, ResumeSource, RunFilter, RunSummary, StepRow,
};
use crate::{Store, StoreError};
use rusqlite::{params, OptionalExtension, Row};
use serde_json::Value;
use studio_core::StepStatus;
use studio_engine::{Event, Usage};

const RUN_COLUMNS: &str = "run_id, mission_id, mission_name, status, reason, started_at,
    finished_at, runtime_ms, llm_calls, tokens, cost_usd, evidence_dir, resumed_from, trace_id,
    logic_hash, step_count";

fn run_summary(r: &Row<'_>) -> rusqlite::Result<RunSummary> {
    let status: String = r.get(3)?;
    Ok(RunSummary {
        run_id: r.get(0)?,
        mission_id: r.get(1)?,
        mission_name: r.get(2)?,
        status: run_status(&status).ok_or_else(|| bad_text(3, &status))?,
        reason: r.get(4)?,
        started_at: r.get(5)?,
        finished_at: r.get(6)?,
        usage: Usage {
            runtime_ms: r.get::<_, i64>(7)? as u64,
            llm_calls: r.get::<_, i64>(8)? as u64,
            tokens: r.get::<_, i64>(9)? as u64,
            cost_usd: r.get(10)?,
            // Not a column: the run's final event carries it.
            approval_wait_ms: 0,
        },
        evidence_dir: r.get(11)?,
        resumed_from: r.get(12)?,
        trace_id: r.get(13)?,
        logic_hash: r.get(14)?,
        step_count: r.get(15)?,
    })
}

fn bad_text(column: usize, text: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("unknown status `{text}`").into(),
    )
}

fn json_column(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<Value>> {
    let text: Option<String> = r.get(i)?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
        })
    })
    .transpose()
}

impl Store {
    /// Runs, newest first, that pass the filter.
    pub fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunSummary>, StoreError> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs
             WHERE (?1 IS NULL OR status = ?1)
               AND (?2 IS NULL OR mission_id = ?2)
               AND (?3 IS NULL OR started_at >= ?3)
             ORDER BY started_at DESC, run_id DESC
             LIMIT ?4"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![
                filter.status.map(|s| s.as_str()),
                filter.mission_id,
                filter.since.map(rfc3339),
                filter.limit.map_or(-1, i64::from),
            ],
            run_summary,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One run, or [`StoreError::UnknownRun`].
    pub fn run(&self, run_id: &str) -> Result<RunSummary, StoreError> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?1");
        self.conn
            .prepare_cached(&sql)?
            .query_row([run_id], run_summary)
            .optional()?
            .ok_or_else(|| StoreError::UnknownRun(run_id.to_string()))
    }

    /// The step rows of a run, in declaration order.
    pub fn steps(&self, run_id: &str) -> Result<Vec<StepRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT step_id, position, step_type, status, output, error, attempts, started_at,
                    finished_at, duration_ms, reused_from
             FROM step_results WHERE run_id = ?1 ORDER BY position",
        )?;
        let rows = stmt.query_map([run_id], |r| {
            let status: String = r.get(3)?;
            Ok(StepRow {
                step_id: r.get(0)?,
                position: r.get(1)?,
                step_type: r.get(2)?,
                status: step_status(&status).ok_or_else(|| bad_text(3, &status))?,
                output: json_column(r, 4)?,
                error: r.get(5)?,
                attempts: r.get(6)?,
                started_at: r.get(7)?,
                finished_at: r.get(8)?,
                duration_ms: r.get::<_, i64>(9)? as u64,
                reused_from: r.get(10)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The events of a run with `seq > after_seq`, in order (`attach_run` replays from here).
    pub fn events(&self, run_id: &str, after_seq: u64) -> Result<Vec<Event>, StoreError> {
        let sql = format!(
            "SELECT {} FROM events e JOIN runs r USING (run_id)
             WHERE e.run_id = ?1 AND e.seq > ?2 ORDER BY e.seq",
            crate::event_row::COLUMNS
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![run_id, after_seq as i64],
            crate::event_row::from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Everything `mission resume` needs of an earlier run.
    pub fn resume_source(&self, run_id: &str) -> Result<ResumeSource, StoreError> {
        let run = self.run(run_id)?;
        let (mission, context): (String, String) = self.conn.query_row(
            "SELECT mission_json, context_json FROM runs WHERE run_id = ?1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let succeeded = self
            .steps(run_id)?
            .into_iter()
            .filter(|s| s.status == StepStatus::Success)
            .map(|s| (s.step_id, s.output.unwrap_or(Value::Null)))
            .collect();
        Ok(ResumeSource {
            run,
            mission: serde_json::from_str(&mission)
                .map_err(|e| StoreError::corrupt("mission", e))?,
            context: serde_json::from_str(&context)
                .map_err(|e| StoreError::corrupt("inputs", e))?,
            succeeded,
        })
    }
}
