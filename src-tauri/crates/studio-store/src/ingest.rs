//! Ingesting a run recorded elsewhere (`mission ingest`): its run row, step rows and events,
//! written in one transaction, so it shows in `mission history` and `mission show` like a run
//! of this machine.

use crate::model::{RunSummary, StepRow};
use crate::write::{insert_event, upsert_step, Insert, INSERT_EVENT, UPSERT_STEP};
use crate::{Store, StoreError};
use rusqlite::{params, OptionalExtension};
use serde_json::Value;
use studio_engine::Event;

/// A finished run to add to the history.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestRun {
    /// The run row; `evidence_dir` is where its folder now lives.
    pub run: RunSummary,
    /// The mission as run (JSON).
    pub mission: Value,
    /// The run inputs (`--var`), `{}` when unknown.
    pub context: Value,
    pub steps: Vec<StepRow>,
    pub events: Vec<Event>,
}

/// What ingesting did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    pub steps: usize,
    pub events: usize,
    /// Set when the run resumed one this history does not hold (the link was dropped).
    pub dropped_resumed_from: Option<String>,
}

/// Why a run could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("run {run_id} is already in the history (evidence: {evidence}); nothing was changed")]
    Duplicate { run_id: String, evidence: String },
    #[error("run {run_id} has not ended ({status}); only finished runs can be ingested")]
    Unfinished { run_id: String, status: String },
    #[error("event {seq} belongs to run {found}, not to run {run_id}")]
    ForeignEvent {
        run_id: String,
        found: String,
        seq: u64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for IngestError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

impl Store {
    /// Adds a finished run with its steps and events, all or nothing. A run id already in the
    /// history is refused ([`IngestError::Duplicate`]).
    pub fn ingest_run(&mut self, ingest: &IngestRun) -> Result<Ingested, IngestError> {
        let run = &ingest.run;
        if !run.status.is_final() {
            return Err(IngestError::Unfinished {
                run_id: run.run_id.clone(),
                status: run.status.as_str().to_string(),
            });
        }
        if let Some(e) = ingest.events.iter().find(|e| *e.run_id != *run.run_id) {
            return Err(IngestError::ForeignEvent {
                run_id: run.run_id.clone(),
                found: e.run_id.to_string(),
                seq: e.seq,
            });
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let existing: Option<Option<String>> = tx
            .query_row(
                "SELECT evidence_dir FROM runs WHERE run_id = ?1",
                [&run.run_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(evidence) = existing {
            return Err(IngestError::Duplicate {
                run_id: run.run_id.clone(),
                evidence: evidence.unwrap_or_else(|| "none".into()),
            });
        }
        let resumed_from = match &run.resumed_from {
            Some(from) => {
                let known = tx
                    .query_row("SELECT 1 FROM runs WHERE run_id = ?1", [from], |_| Ok(()))
                    .optional()?
                    .is_some();
                known.then(|| from.clone())
            }
            None => None,
        };
        tx.execute(
            "INSERT INTO runs (run_id, mission_id, mission_name, trace_id, logic_hash, status,
                               reason, started_at, finished_at, runtime_ms, llm_calls, tokens,
                               cost_usd, step_count, evidence_dir, resumed_from, mission_json,
                               context_json, owner_pid, owner_start, owner_host)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                     ?18, 0, NULL, 'ingested')",
            params![
                run.run_id,
                run.mission_id,
                run.mission_name,
                run.trace_id,
                run.logic_hash,
                run.status.as_str(),
                run.reason,
                run.started_at,
                run.finished_at,
                run.usage.runtime_ms as i64,
                run.usage.llm_calls as i64,
                run.usage.tokens as i64,
                run.usage.cost_usd,
                run.step_count,
                run.evidence_dir,
                resumed_from,
                ingest.mission.to_string(),
                ingest.context.to_string(),
            ],
        )?;
        let mut step_upsert = tx.prepare_cached(UPSERT_STEP)?;
        for row in &ingest.steps {
            upsert_step(&mut step_upsert, &run.run_id, row)?;
        }
        let mut event_insert = tx.prepare_cached(INSERT_EVENT)?;
        let mut buf = Vec::with_capacity(1024);
        let mut events = 0;
        for event in &ingest.events {
            if insert_event(&tx, &mut event_insert, &mut buf, event)? == Insert::New {
                events += 1;
            }
        }
        drop((step_upsert, event_insert));
        // A run is findable from the moment it is in the history.
        crate::run_index::index_run(&tx, &run.run_id)?;
        tx.commit()?;
        Ok(Ingested {
            steps: ingest.steps.len(),
            events,
            dropped_resumed_from: match (&run.resumed_from, &resumed_from) {
                (Some(from), None) => Some(from.clone()),
                _ => None,
            },
        })
    }
}
