//! What the daily batch reads and writes: the finished runs of each template, the steps that
//! failed in them, the batch's columns of `mission_templates`, the review queue
//! (`review_flags`) and the batch's own record (`batch_jobs`), whose `running` row is the
//! run-once lock across processes.

use crate::model::rfc3339;
use crate::owner::ProcessIdentity;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A finished run of a template, as the batch counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedRun {
    pub run_id: String,
    /// completed | failed | timed_out
    pub status: String,
    pub cost_usd: f64,
    pub runtime_ms: u64,
    pub started_at: String,
}

/// The batch's figures for one template; `None` fields are written as SQL NULL.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateFigures {
    pub template_id: String,
    /// JSON of the stats, `None` for a template without runs.
    pub stats: Option<Value>,
    pub badges: Vec<String>,
    pub derived_risk: Option<String>,
}

/// A row of the review queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewFlag {
    pub flag_id: i64,
    pub template_id: String,
    pub step_id: Option<String>,
    pub pattern: String,
    /// Runs of the window in which the step failed.
    pub failures: u32,
    /// Runs in the window (at most the window size).
    pub window_runs: u32,
    /// The runs in which the step failed, newest first.
    pub run_ids: Vec<String>,
    /// open | acknowledged | resolved
    pub status: String,
    pub note: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// What [`Store::raise_flag`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagChange {
    /// A new open flag.
    Created(i64),
    /// The open (or acknowledged) flag of the same template, step and pattern, with its
    /// figures refreshed.
    Updated(i64),
}

/// A row of `batch_jobs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchJob {
    pub job_id: i64,
    pub kind: String,
    /// schedule | startup | manual
    pub trigger: String,
    /// running | completed | failed
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub owner_pid: Option<u32>,
    pub summary: Option<Value>,
    pub error: Option<String>,
}

/// The outcome of [`Store::claim_batch`].
#[derive(Debug, Clone, PartialEq)]
pub enum BatchClaim {
    /// This process holds the lock: `job_id` is its `running` row. `taken_over` lists the jobs
    /// left running by processes that are gone, now `failed`.
    Claimed { job_id: i64, taken_over: Vec<i64> },
    /// A live process runs a job of this kind.
    Busy { job: BatchJob },
}

/// The error recorded on a job whose process went away.
pub const BATCH_OWNER_GONE: &str = "the process running the batch stopped before it finished";

const JOB_COLUMNS: &str =
    "job_id, kind, trigger, status, started_at, finished_at, owner_pid, summary, error";

fn batch_job(r: &Row<'_>) -> rusqlite::Result<BatchJob> {
    let summary: Option<String> = r.get(7)?;
    Ok(BatchJob {
        job_id: r.get(0)?,
        kind: r.get(1)?,
        trigger: r.get(2)?,
        status: r.get(3)?,
        started_at: r.get(4)?,
        finished_at: r.get(5)?,
        owner_pid: r.get(6)?,
        summary: summary.and_then(|s| serde_json::from_str(&s).ok()),
        error: r.get(8)?,
    })
}

const FLAG_COLUMNS: &str = "flag_id, template_id, step_id, pattern, failures, window_runs,
    run_ids, status, note, created_at, updated_at";

fn review_flag(r: &Row<'_>) -> rusqlite::Result<ReviewFlag> {
    let run_ids: String = r.get(6)?;
    Ok(ReviewFlag {
        flag_id: r.get(0)?,
        template_id: r.get(1)?,
        step_id: r.get(2)?,
        pattern: r.get(3)?,
        failures: r.get(4)?,
        window_runs: r.get(5)?,
        run_ids: serde_json::from_str(&run_ids).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, e.into())
        })?,
        status: r.get(7)?,
        note: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
    })
}

impl Store {
    /// The ids of the indexed templates (valid or not), sorted.
    pub fn template_ids(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT template_id FROM mission_templates ORDER BY template_id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The finished runs (completed, failed, timed_out) of a mission id, newest first. Cancelled
    /// runs (an operator's decision) and unfinished runs are left out.
    pub fn finished_runs(&self, mission_id: &str) -> Result<Vec<FinishedRun>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT run_id, status, cost_usd, runtime_ms, started_at FROM runs
             WHERE mission_id = ?1 AND status IN ('completed', 'failed', 'timed_out')
             ORDER BY started_at DESC, run_id DESC",
        )?;
        let rows = stmt.query_map([mission_id], |r| {
            Ok(FinishedRun {
                run_id: r.get(0)?,
                status: r.get(1)?,
                cost_usd: r.get(2)?,
                runtime_ms: r.get::<_, i64>(3)?.max(0) as u64,
                started_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The steps that ended `failed` in a run, in declaration order.
    pub fn failed_steps(&self, run_id: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT step_id FROM step_results WHERE run_id = ?1 AND status = 'failed'
             ORDER BY position",
        )?;
        let rows = stmt.query_map([run_id], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The distinct step types recorded in the runs of a mission id (when its file is gone).
    pub fn step_types_of_runs(&self, mission_id: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT s.step_type FROM step_results s JOIN runs r USING (run_id)
             WHERE r.mission_id = ?1 ORDER BY s.step_type",
        )?;
        let rows = stmt.query_map([mission_id], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Writes the batch's columns (`stats`, `badges`, `derived_risk`) of every given template in
    /// one transaction. Rows that are not indexed are skipped; returns the rows written.
    pub fn write_template_figures(
        &mut self,
        figures: &[TemplateFigures],
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let mut written = 0;
        {
            let mut update = tx.prepare_cached(
                "UPDATE mission_templates SET stats = ?2, badges = ?3, derived_risk = ?4
                 WHERE template_id = ?1",
            )?;
            for f in figures {
                let badges = serde_json::to_string(&f.badges)
                    .map_err(|e| StoreError::corrupt("badges", e))?;
                written += update.execute(params![
                    f.template_id,
                    f.stats.as_ref().map(Value::to_string),
                    badges,
                    f.derived_risk,
                ])?;
            }
        }
        tx.commit()?;
        Ok(written)
    }

    /// When the last flag of this template, step and pattern was resolved, if ever.
    pub fn last_resolved_flag_at(
        &self,
        template_id: &str,
        step_id: Option<&str>,
        pattern: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT MAX(updated_at) FROM review_flags
                 WHERE template_id = ?1 AND IFNULL(step_id, '') = IFNULL(?2, '')
                   AND pattern = ?3 AND status = 'resolved'",
            )?
            .query_row(params![template_id, step_id, pattern], |r| r.get(0))?)
    }

    /// Raises a flag: refreshes the open or acknowledged flag of the same template, step and
    /// pattern (figures, run ids, `updated_at`; the status stays), else inserts an open one.
    /// Never two open flags for one template/step/pattern (a unique index also says so).
    #[allow(clippy::too_many_arguments)]
    pub fn raise_flag(
        &mut self,
        template_id: &str,
        step_id: Option<&str>,
        pattern: &str,
        failures: u32,
        window_runs: u32,
        run_ids: &[String],
        now: DateTime<Utc>,
    ) -> Result<FlagChange, StoreError> {
        let at = rfc3339(now);
        let ids = serde_json::to_string(run_ids).map_err(|e| StoreError::corrupt("run ids", e))?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let existing: Option<i64> = tx
            .query_row(
                "SELECT flag_id FROM review_flags
                 WHERE template_id = ?1 AND IFNULL(step_id, '') = IFNULL(?2, '')
                   AND pattern = ?3 AND status IN ('open', 'acknowledged')
                 ORDER BY flag_id DESC LIMIT 1",
                params![template_id, step_id, pattern],
                |r| r.get(0),
            )
            .optional()?;
        let change = match existing {
            Some(flag_id) => {
                tx.execute(
                    "UPDATE review_flags SET failures = ?2, window_runs = ?3, run_ids = ?4,
                         updated_at = ?5
                     WHERE flag_id = ?1",
                    params![flag_id, failures, window_runs, ids, at],
                )?;
                FlagChange::Updated(flag_id)
            }
            None => {
                tx.execute(
                    "INSERT INTO review_flags (template_id, step_id, pattern, failures,
                         window_runs, run_ids, status, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?7)",
                    params![
                        template_id,
                        step_id,
                        pattern,
                        failures,
                        window_runs,
                        ids,
                        at
                    ],
                )?;
                FlagChange::Created(tx.last_insert_rowid())
            }
        };
        tx.commit()?;
        Ok(change)
    }

    /// Review flags with this status (`None`: all), newest first.
    pub fn review_flags(&self, status: Option<&str>) -> Result<Vec<ReviewFlag>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {FLAG_COLUMNS} FROM review_flags WHERE (?1 IS NULL OR status = ?1)
             ORDER BY updated_at DESC, flag_id DESC"
        ))?;
        let rows = stmt.query_map([status], review_flag)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One review flag.
    pub fn review_flag(&self, flag_id: i64) -> Result<Option<ReviewFlag>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {FLAG_COLUMNS} FROM review_flags WHERE flag_id = ?1"
            ))?
            .query_row([flag_id], review_flag)
            .optional()?)
    }

    /// Sets a flag's status (`acknowledged` or `resolved`) and note. Returns the flag as
    /// updated, or `None` when there is no such flag.
    pub fn set_flag_status(
        &mut self,
        flag_id: i64,
        status: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<ReviewFlag>, StoreError> {
        let n = self.conn.execute(
            "UPDATE review_flags SET status = ?2, note = COALESCE(?3, note), updated_at = ?4
             WHERE flag_id = ?1",
            params![flag_id, status, note, rfc3339(now)],
        )?;
        if n == 0 {
            return Ok(None);
        }
        self.review_flag(flag_id)
    }

    /// Takes the run-once lock of a batch kind: in one write transaction, a `running` job of a
    /// live owner (as `is_alive` says) means [`BatchClaim::Busy`]; one whose owner is gone is
    /// marked `failed` ([`BATCH_OWNER_GONE`]) and taken over; then this process's `running`
    /// row is inserted. A unique index allows one `running` row per kind, so two processes can
    /// never both hold it.
    pub fn claim_batch(
        &mut self,
        kind: &str,
        trigger: &str,
        owner: ProcessIdentity,
        now: DateTime<Utc>,
        is_alive: impl Fn(&ProcessIdentity) -> bool,
    ) -> Result<BatchClaim, StoreError> {
        let at = rfc3339(now);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let running: Vec<(BatchJob, Option<i64>)> = {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {JOB_COLUMNS}, owner_start FROM batch_jobs
                 WHERE kind = ?1 AND status = 'running'"
            ))?;
            let rows = stmt.query_map([kind], |r| Ok((batch_job(r)?, r.get(9)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut taken_over = Vec::new();
        for (job, start) in running {
            let holder = ProcessIdentity {
                pid: job.owner_pid.unwrap_or(0),
                start_ticks: start.map(|t| t as u64),
            };
            if job.owner_pid.is_some() && is_alive(&holder) {
                return Ok(BatchClaim::Busy { job });
            }
            tx.execute(
                "UPDATE batch_jobs SET status = 'failed', finished_at = ?2, error = ?3
                 WHERE job_id = ?1",
                params![job.job_id, at, BATCH_OWNER_GONE],
            )?;
            taken_over.push(job.job_id);
        }
        tx.execute(
            "INSERT INTO batch_jobs (kind, trigger, status, started_at, owner_pid, owner_start)
             VALUES (?1, ?2, 'running', ?3, ?4, ?5)",
            params![
                kind,
                trigger,
                at,
                owner.pid,
                owner.start_ticks.map(|t| t as i64)
            ],
        )?;
        let job_id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(BatchClaim::Claimed { job_id, taken_over })
    }

    /// Ends a job: `completed` with its summary, or `failed` with an error.
    pub fn finish_batch(
        &mut self,
        job_id: i64,
        outcome: Result<&Value, &str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (status, summary, error) = match outcome {
            Ok(summary) => ("completed", Some(summary.to_string()), None),
            Err(error) => ("failed", None, Some(error)),
        };
        self.conn.execute(
            "UPDATE batch_jobs SET status = ?2, finished_at = ?3, summary = ?4, error = ?5
             WHERE job_id = ?1",
            params![job_id, status, rfc3339(now), summary, error],
        )?;
        Ok(())
    }

    /// The newest job of a kind with this status (`None`: any), by start time.
    pub fn last_batch(
        &self,
        kind: &str,
        status: Option<&str>,
    ) -> Result<Option<BatchJob>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {JOB_COLUMNS} FROM batch_jobs
                 WHERE kind = ?1 AND (?2 IS NULL OR status = ?2)
                 ORDER BY started_at DESC, job_id DESC LIMIT 1"
            ))?
            .query_row(params![kind, status], batch_job)
            .optional()?)
    }

    /// Jobs of a kind, newest first.
    pub fn batch_jobs(&self, kind: &str) -> Result<Vec<BatchJob>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {JOB_COLUMNS} FROM batch_jobs WHERE kind = ?1
             ORDER BY started_at DESC, job_id DESC"
        ))?;
        let rows = stmt.query_map([kind], batch_job)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_refused_while_a_live_owner_runs_and_taken_over_from_a_dead_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("h.db")).unwrap();
        let me = ProcessIdentity::current();
        let now = Utc::now();
        let BatchClaim::Claimed { job_id, taken_over } = store
            .claim_batch("stats", "manual", me, now, |_| true)
            .unwrap()
        else {
            panic!("a free lock is claimed")
        };
        assert!(taken_over.is_empty());
        match store
            .claim_batch("stats", "manual", me, now, |_| true)
            .unwrap()
        {
            BatchClaim::Busy { job } => assert_eq!(job.job_id, job_id),
            other => panic!("a live owner blocks, got {other:?}"),
        }
        // The same row, its owner now gone.
        let BatchClaim::Claimed {
            job_id: second,
            taken_over,
        } = store
            .claim_batch("stats", "schedule", me, now, |_| false)
            .unwrap()
        else {
            panic!("a dead owner's lock is taken over")
        };
        assert_eq!(taken_over, vec![job_id]);
        let jobs = store.batch_jobs("stats").unwrap();
        let old = jobs.iter().find(|j| j.job_id == job_id).unwrap();
        assert_eq!(old.status, "failed");
        assert_eq!(old.error.as_deref(), Some(BATCH_OWNER_GONE));
        store
            .finish_batch(second, Ok(&serde_json::json!({"templates": 0})), now)
            .unwrap();
        let last = store
            .last_batch("stats", Some("completed"))
            .unwrap()
            .unwrap();
        assert_eq!(last.job_id, second);
        assert_eq!(last.trigger, "schedule");
        assert_eq!(last.summary.unwrap()["templates"], 0);
    }
}
