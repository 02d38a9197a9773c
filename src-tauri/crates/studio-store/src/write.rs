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
        self.apply_encoded(writes, &[])
    }

    /// [`Store::apply`] with the JSON text of each write already made (`texts[i]`: the body of
    /// the event of `writes[i]`, or the output of its step; empty: made here). The event
    /// sink makes them on the engine's thread, so the writer thread only binds them.
    ///
    /// The usual batch (new events, new step rows) goes in multi-row statements. When one of
    /// them inserts fewer rows than given (a duplicate, a conflict, a second final event) or
    /// fails, the transaction is rolled back and the batch applied again write by write,
    /// which tells a duplicate (a no-op) from a conflict (an error).
    pub(crate) fn apply_encoded(
        &mut self,
        writes: &[Write],
        texts: &[Option<String>],
    ) -> Result<Applied, StoreError> {
        if let Ok(Some(applied)) = self.apply_rows(writes, texts) {
            return Ok(applied);
        }
        self.apply_each(writes)
    }

    /// The fast path: `Ok(None)` when a statement inserted fewer rows than it was given.
    fn apply_rows(
        &mut self,
        writes: &[Write],
        texts: &[Option<String>],
    ) -> Result<Option<Applied>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let ended = ended_steps(writes);
        let mut events: Vec<(&Event, &str)> = Vec::with_capacity(CHUNK);
        let mut steps: Vec<(&str, &StepRow, Option<&str>)> = Vec::with_capacity(CHUNK);
        // Texts made here (public `apply`), kept alive for the rows that borrow them.
        let made: Vec<Option<String>> = if texts.len() == writes.len() {
            Vec::new()
        } else {
            writes.iter().map(encode).collect::<Result<_, _>>()?
        };
        let texts = if made.is_empty() { texts } else { &made };
        let mut applied = Applied::default();
        let mut ended_runs: Vec<&str> = Vec::new();
        for (write, text) in writes.iter().zip(texts) {
            match write {
                Write::Accept(run, event) => {
                    if !flush_events(&tx, &mut events)? {
                        return Ok(None);
                    }
                    insert_run(&tx, run, event)?;
                    events.push((event, text.as_deref().unwrap_or_default()));
                }
                Write::Event(event) => {
                    if event.event_type.is_final() {
                        // Only reached when every event of the batch is new (else rolled
                        // back), so the run is ended exactly when its final event goes in.
                        end_run(&tx, event)?;
                        ended_runs.push(&*event.run_id);
                    }
                    events.push((event, text.as_deref().unwrap_or_default()));
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
                    tx.prepare_cached(STEP_STARTED)?.execute(params![
                        run_id, step_id, position, step_type, attempt, started_at
                    ])?;
                }
                Write::Step { run_id, row } => steps.push((run_id, row, text.as_deref())),
            }
            applied.inserted += usize::from(matches!(write, Write::Accept(..) | Write::Event(_)));
            if events.len() == CHUNK && !flush_events(&tx, &mut events)? {
                return Ok(None);
            }
            if steps.len() == CHUNK {
                flush_steps(&tx, &mut steps)?;
            }
        }
        if !flush_events(&tx, &mut events)? {
            return Ok(None);
        }
        flush_steps(&tx, &mut steps)?;
        index_ended(&tx, &ended_runs)?;
        tx.commit()?;
        Ok(Some(applied))
    }

    /// The careful path: one statement per write.
    fn apply_each(&mut self, writes: &[Write]) -> Result<Applied, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let ended = ended_steps(writes);
        let mut applied = Applied::default();
        let mut ended_runs: Vec<&str> = Vec::new();
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
                        ended_runs.push(&*event.run_id);
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
        index_ended(&tx, &ended_runs)?;
        tx.commit()?;
        Ok(applied)
    }
}

/// Indexes the runs a batch ended, once all of the batch's step rows are written: the INDEX
/// commits with the run's end (see [`crate::run_index`]).
fn index_ended(tx: &Transaction<'_>, runs: &[&str]) -> Result<(), StoreError> {
    for run_id in runs {
        crate::run_index::index_run(tx, run_id)?;
    }
    Ok(())
}

/// Rows per multi-row statement; a shorter rest goes in statements of [`TAIL`] rows, then one
/// by one (so at most three statement shapes per table stay in the statement cache).
const CHUNK: usize = 32;
const TAIL: usize = 8;

/// A step that starts and ends within one batch is written once, with its end.
fn ended_steps(writes: &[Write]) -> HashSet<(&str, &str)> {
    writes
        .iter()
        .filter_map(|w| match w {
            Write::Step { run_id, row } => Some((run_id.as_str(), row.step_id.as_str())),
            _ => None,
        })
        .collect()
}

/// The JSON text of a write: an event's body or a step's output.
pub(crate) fn encode(write: &Write) -> Result<Option<String>, StoreError> {
    Ok(match write {
        Write::Accept(_, event) | Write::Event(event) => {
            let mut buf = Vec::with_capacity(256);
            crate::event_row::body(event, &mut buf)?;
            Some(String::from_utf8(buf).map_err(|e| StoreError::corrupt("event", e))?)
        }
        Write::Step { row, .. } => row.output.as_ref().map(|o| o.to_string()),
        Write::StepStarted { .. } => None,
    })
}

/// `INSERT ... VALUES (...), (...)` with `rows` groups of `row`, then `tail`.
fn multi_row(head: &str, row: &str, rows: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(head.len() + rows * (row.len() + 2) + tail.len());
    sql.push_str(head);
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(row);
    }
    sql.push_str(tail);
    sql
}

/// Splits `n` rows into statements of [`CHUNK`], [`TAIL`] and 1 rows.
fn shapes(mut n: usize) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let size = [CHUNK, TAIL, 1].into_iter().find(|&s| s <= n)?;
        n -= size;
        Some(size)
    })
}

const EVENT_HEAD: &str = "INSERT INTO events
       (run_id, seq, idempotency_key, event_type, step_id, is_final, payload, emitted_at)
     VALUES ";

/// Inserts the pending events in multi-row statements; `false` when some were not inserted
/// (already there, or refused by a unique rule).
fn flush_events(
    tx: &Transaction<'_>,
    events: &mut Vec<(&Event, &str)>,
) -> Result<bool, StoreError> {
    let mut rest = &events[..];
    for size in shapes(events.len()) {
        let (rows, next) = rest.split_at(size);
        rest = next;
        let sql = multi_row(
            EVENT_HEAD,
            "(?, ?, ?, ?, ?, ?, ?, ?)",
            size,
            " ON CONFLICT DO NOTHING",
        );
        let mut stmt = tx.prepare_cached(&sql)?;
        let mut i = 0;
        for (event, payload) in rows {
            stmt.raw_bind_parameter(i + 1, &*event.run_id)?;
            stmt.raw_bind_parameter(i + 2, event.seq as i64)?;
            stmt.raw_bind_parameter(i + 3, &event.idempotency_key)?;
            stmt.raw_bind_parameter(i + 4, event.event_type.as_str())?;
            stmt.raw_bind_parameter(i + 5, event.step_id.as_deref())?;
            stmt.raw_bind_parameter(i + 6, event.event_type.is_final())?;
            stmt.raw_bind_parameter(i + 7, *payload)?;
            stmt.raw_bind_parameter(i + 8, &event.emitted_at)?;
            i += 8;
        }
        if stmt.raw_execute()? != size {
            return Ok(false);
        }
    }
    events.clear();
    Ok(true)
}

const STEP_HEAD: &str = "INSERT INTO step_results
       (run_id, step_id, position, step_type, status, output, error, attempts, started_at,
        finished_at, duration_ms, reused_from)
     VALUES ";
const STEP_TAIL: &str = " ON CONFLICT (run_id, step_id) DO UPDATE SET
       status = excluded.status, output = excluded.output, error = excluded.error,
       attempts = excluded.attempts,
       started_at = COALESCE(excluded.started_at, step_results.started_at),
       finished_at = excluded.finished_at, duration_ms = excluded.duration_ms,
       reused_from = excluded.reused_from";

/// Writes the pending step rows (as [`UPSERT_STEP`]) in multi-row statements.
fn flush_steps(
    tx: &Transaction<'_>,
    steps: &mut Vec<(&str, &StepRow, Option<&str>)>,
) -> Result<(), StoreError> {
    let mut rest = &steps[..];
    for size in shapes(steps.len()) {
        let (rows, next) = rest.split_at(size);
        rest = next;
        let sql = multi_row(
            STEP_HEAD,
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            size,
            STEP_TAIL,
        );
        let mut stmt = tx.prepare_cached(&sql)?;
        let mut i = 0;
        for (run_id, row, output) in rows {
            stmt.raw_bind_parameter(i + 1, *run_id)?;
            stmt.raw_bind_parameter(i + 2, &row.step_id)?;
            stmt.raw_bind_parameter(i + 3, row.position)?;
            stmt.raw_bind_parameter(i + 4, &row.step_type)?;
            stmt.raw_bind_parameter(i + 5, row.status.as_str())?;
            stmt.raw_bind_parameter(i + 6, *output)?;
            stmt.raw_bind_parameter(i + 7, &row.error)?;
            stmt.raw_bind_parameter(i + 8, row.attempts)?;
            stmt.raw_bind_parameter(i + 9, &row.started_at)?;
            stmt.raw_bind_parameter(i + 10, &row.finished_at)?;
            stmt.raw_bind_parameter(i + 11, row.duration_ms as i64)?;
            stmt.raw_bind_parameter(i + 12, &row.reused_from)?;
            i += 12;
        }
        stmt.raw_execute()?;
    }
    steps.clear();
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_split_into_the_three_statement_shapes() {
        assert_eq!(shapes(0).count(), 0);
        assert_eq!(shapes(45).collect::<Vec<_>>(), [32, 8, 1, 1, 1, 1, 1]);
        assert_eq!(shapes(72).collect::<Vec<_>>(), [32, 32, 8]);
        assert_eq!(
            multi_row("V ", "(?)", 3, ";"),
            "V (?), (?), (?);",
            "rows separated by commas"
        );
    }
}
