//! Writing history: a batch of writes in one transaction. The event sink's writer thread
//! calls [`Store::apply`] with whatever accumulated while the previous batch committed.

use crate::model::{rfc3339, NewRun, StepRow};
use crate::{Store, StoreError};
use rusqlite::{params, OptionalExtension, Transaction};
use std::collections::HashSet;
use studio_core::{RunStatus, StepStatus};
use studio_engine::{Event, EventType};

/// One write, applied in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// The run row, inserted together with its first event (`mission.accepted`).
    Accept(Box<NewRun>, Event),
    /// Any other event. A final event also ends the run row (status, times, usage, reason).
    Event(Event),
    /// A step started (or started another attempt).
    StepStarted {
        run_id: String,
        step_id: String,
        position: u32,
        step_type: String,
        attempt: u32,
        started_at: String,
    },
    /// A step reached its final status (output included).
    Step { run_id: String, row: StepRow },
}

/// What a batch did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Events inserted.
    pub inserted: usize,
    /// Events already present with the same payload (no-ops).
    pub duplicates: usize,
}

/// How an event insert went.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Insert {
    New,
    Duplicate,
}

impl Store {
    /// Applies the writes in one transaction: all of them or none. An idempotency conflict (same
    /// key, other payload), a taken `seq` or a second final event fails the whole batch.
    pub fn apply(&mut self, writes: &[Write]) -> Result<Applied, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // A step that starts and ends within one batch is written once, with its end.
        let ended: HashSet<(&str, &str)> = writes
            .iter()
            .filter_map(|w| match w {
                Write::Step { run_id, row } => Some((run_id.as_str(), row.step_id.as_str())),
                _ => None,
            })
            .collect();
        let mut applied = Applied::default();
        // Prepared once per batch, not looked up per write.
        let mut event_insert = tx.prepare_cached(INSERT_EVENT)?;
        let mut step_upsert = tx.prepare_cached(UPSERT_STEP)?;
        let mut step_started = tx.prepare_cached(STEP_STARTED)?;
        let mut payload = Vec::with_capacity(1024);
        for write in writes {
            match write {
                Write::Accept(run, event) => {
                    insert_run(&tx, run, event)?;
                    let outcome = insert_event(&tx, &mut event_insert, &mut payload, event)?;
                    count(&mut applied, outcome);
                }
                Write::Event(event) => {
                    let outcome = insert_event(&tx, &mut event_insert, &mut payload, event)?;
                    if outcome == Insert::New && event.event_type.is_final() {
                        end_run(&tx, event)?;
                    }
                    count(&mut applied, outcome);
                }
                Write::StepStarted {
                    run_id,
                    step_id,
                    position,
                    step_type,
                    attempt,
                    started_at,
                } => {
                    if ended.contains(&(run_id.as_str(), step_id.as_str())) {
                        continue;
                    }
                    step_started.execute(params![
                        run_id, step_id, position, step_type, attempt, started_at
                    ])?;
                }
                Write::Step { run_id, row } => upsert_step(&mut step_upsert, run_id, row)?,
            }
        }
        drop((event_insert, step_upsert, step_started));
        tx.commit()?;
        Ok(applied)
    }
}

fn count(applied: &mut Applied, outcome: Insert) {
    match outcome {
        Insert::New => applied.inserted += 1,
        Insert::Duplicate => applied.duplicates += 1,
    }
}

fn insert_run(tx: &Transaction<'_>, run: &NewRun, accepted: &Event) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO runs (run_id, mission_id, mission_name, trace_id, logic_hash, status,
                           started_at, step_count, evidence_dir, resumed_from, mission_json,
                           context_json, owner_pid, owner_start)
         VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (run_id) DO NOTHING",
    )?
    .execute(params![
        run.run_id,
        run.mission_id,
        run.mission_name,
        run.trace_id,
        run.logic_hash,
        accepted.emitted_at,
        run.steps.len() as i64,
        run.evidence_dir,
        run.resumed_from,
        run.mission.to_string(),
        run.context.to_string(),
        run.owner.pid,
        run.owner.start_ticks.map(|t| t as i64),
    ])?;
    Ok(())
}

const STEP_STARTED: &str = "INSERT INTO step_results
       (run_id, step_id, position, step_type, status, attempts, started_at)
     VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6)
     ON CONFLICT (run_id, step_id) DO UPDATE SET
       status = 'running', attempts = excluded.attempts";

pub(crate) const INSERT_EVENT: &str = "INSERT INTO events
       (run_id, seq, idempotency_key, event_type, step_id, is_final, payload, emitted_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
     ON CONFLICT DO NOTHING";

/// Inserts an event unless its idempotency key is already there with the same payload.
/// `insert` is [`INSERT_EVENT`] prepared on `tx`; `buf` is reused for the JSON.
pub(crate) fn insert_event(
    tx: &Transaction<'_>,
    insert: &mut rusqlite::Statement<'_>,
    buf: &mut Vec<u8>,
    event: &Event,
) -> Result<Insert, StoreError> {
    crate::event_row::body(event, buf)?;
    let payload = std::str::from_utf8(buf).map_err(|e| StoreError::corrupt("event", e))?;
    let changed = insert.execute(params![
        &*event.run_id,
        event.seq as i64,
        event.idempotency_key,
        event.event_type.as_str(),
        event.step_id.as_deref(),
        event.event_type.is_final(),
        payload,
        event.emitted_at,
    ])?;
    if changed == 1 {
        return Ok(Insert::New);
    }
    // Nothing inserted: find out which rule refused it.
    match crate::event_row::by_key(tx, &event.idempotency_key)? {
        Some(stored) if stored == *event => Ok(Insert::Duplicate),
        Some(_) => Err(StoreError::IdempotencyConflict {
            key: event.idempotency_key.clone(),
        }),
        None if event.event_type.is_final() && !seq_taken(tx, event)? => {
            Err(StoreError::SecondFinal {
                run_id: event.run_id.to_string(),
                key: event.idempotency_key.clone(),
            })
        }
        None => Err(StoreError::SeqConflict {
            run_id: event.run_id.to_string(),
            seq: event.seq,
        }),
    }
}

fn seq_taken(tx: &Transaction<'_>, event: &Event) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM events WHERE run_id = ?1 AND seq = ?2")?
        .query_row(params![&*event.run_id, event.seq as i64], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The final event ends the run row in the same transaction, so the row's status and the
/// events always agree.
fn end_run(tx: &Transaction<'_>, event: &Event) -> Result<(), StoreError> {
    let status = final_status(event.event_type);
    let prefix = format!("run {}: ", status.as_str());
    let reason = (status != RunStatus::Completed).then(|| {
        event
            .summary
            .strip_prefix(&prefix)
            .unwrap_or(&event.summary)
    });
    tx.prepare_cached(
        "UPDATE runs SET status = ?2, reason = ?3, finished_at = ?4, runtime_ms = ?5,
                         llm_calls = ?6, tokens = ?7, cost_usd = ?8
         WHERE run_id = ?1",
    )?
    .execute(params![
        &*event.run_id,
        status.as_str(),
        reason,
        event.emitted_at,
        event.usage.runtime_ms as i64,
        event.usage.llm_calls as i64,
        event.usage.tokens as i64,
        event.usage.cost_usd,
    ])?;
    Ok(())
}

fn final_status(t: EventType) -> RunStatus {
    match t {
        EventType::Completed => RunStatus::Completed,
        EventType::Cancelled => RunStatus::Cancelled,
        EventType::TimedOut => RunStatus::TimedOut,
        _ => RunStatus::Failed,
    }
}

pub(crate) const UPSERT_STEP: &str = "INSERT INTO step_results
       (run_id, step_id, position, step_type, status, output, error, attempts, started_at,
        finished_at, duration_ms, reused_from)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
     ON CONFLICT (run_id, step_id) DO UPDATE SET
       status = excluded.status, output = excluded.output, error = excluded.error,
       attempts = excluded.attempts,
       started_at = COALESCE(excluded.started_at, step_results.started_at),
       finished_at = excluded.finished_at, duration_ms = excluded.duration_ms,
       reused_from = excluded.reused_from";

/// Writes a step's row. `upsert` is [`UPSERT_STEP`] prepared on the transaction.
pub(crate) fn upsert_step(
    upsert: &mut rusqlite::Statement<'_>,
    run_id: &str,
    row: &StepRow,
) -> Result<(), StoreError> {
    let output = row.output.as_ref().map(|o| o.to_string());
    upsert.execute(params![
        run_id,
        row.step_id,
        row.position,
        row.step_type,
        row.status.as_str(),
        output,
        row.error,
        row.attempts,
        row.started_at,
        row.finished_at,
        row.duration_ms as i64,
        row.reused_from,
    ])?;
    Ok(())
}

/// A step row for a step that reached `status` without a record from the engine (recovery).
pub(crate) fn synthetic_step(
    step_id: &str,
    position: u32,
    step_type: &str,
    status: StepStatus,
    error: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> StepRow {
    StepRow {
        step_id: step_id.to_string(),
        position,
        step_type: step_type.to_string(),
        status,
        output: None,
        error: Some(error.to_string()),
        attempts: 0,
        started_at: None,
        finished_at: Some(rfc3339(at)),
        duration_ms: 0,
        reused_from: None,
    }
}
