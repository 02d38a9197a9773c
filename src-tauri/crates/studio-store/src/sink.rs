//! The event sink that records a run in SQLite.
//!
//! The engine hands events to [`StoreSink`] from its scheduler; a writer thread commits them in
//! batches (whatever accumulated while the previous transaction committed, so a burst of short
//! steps costs one commit, not one per row) and only then passes them on to the `downstream`
//! sink (the evidence folder's `events.jsonl`, the `--events` file, the progress display, the
//! UI channel). So nothing reports a step as done before its result is committed, and `flush`
//! (called by the engine after the final event) returns only when everything is committed and
//! delivered — the run's result is returned after that.

use crate::crash_point::CrashPoint;
use crate::model::{rfc3339, NewRun, StepRow};
use crate::write::Write;
use crate::{Store, StoreError};
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use studio_core::StepStatus;
use studio_engine::{Event, EventSink, EventType, SinkError, StepRecord};

/// The most writes one transaction takes.
const MAX_BATCH: usize = 4096;

/// What the engine's thread sends: as little work as possible happens there (no formatting,
/// no lookups); the writer thread turns it into [`Write`]s.
// Events are by far the most frequent message; boxing them would cost an allocation each.
#[allow(clippy::large_enum_variant)]
enum Msg {
    /// The event and its stored body (JSON), made on the engine's thread.
    Event(Event, Option<String>),
    StepDone(StepDone),
    /// A barrier: answered once everything sent before is committed and passed on.
    Flush(mpsc::Sender<Result<(), String>>),
}

/// A step's final result as the engine reported it.
struct StepDone {
    step_id: String,
    status: StepStatus,
    output: Option<serde_json::Value>,
    error: Option<String>,
    attempts: u32,
    started_at: Option<chrono::DateTime<chrono::Utc>>,
    finished_at: Option<chrono::DateTime<chrono::Utc>>,
    duration_ms: u64,
    reused_from: Option<String>,
    /// The output as stored (JSON text) and the times as stored (RFC 3339), made on the
    /// engine's thread, which is idle while the writer works.
    output_text: Option<String>,
    started_text: Option<String>,
    finished_text: Option<String>,
}

/// Records one run: the run row with `mission.accepted`, step rows as steps start and end,
/// every event. See the module documentation for the ordering guarantee.
pub struct StoreSink {
    tx: Option<mpsc::Sender<Msg>>,
    worker: Option<JoinHandle<()>>,
    run_id: String,
    failure: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for StoreSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSink")
            .field("run_id", &self.run_id)
            .finish_non_exhaustive()
    }
}

impl StoreSink {
    /// Starts the writer thread over its own connection (`store`). Events reach `downstream`
    /// only once committed.
    pub fn start(
        store: Store,
        run: NewRun,
        downstream: impl EventSink + 'static,
    ) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel();
        let failure = Arc::new(Mutex::new(None));
        let run_id = run.run_id.clone();
        let writer = Writer {
            store,
            downstream: Box::new(downstream),
            failure: Arc::clone(&failure),
            run_id: run_id.clone(),
            steps: HashMap::new(),
            run: Some(Box::new(run)),
            crash: CrashPoint::from_env(),
            stopped: false,
        };
        let worker = std::thread::Builder::new()
            .name("history-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| StoreError::WriterStopped(e.to_string()))?;
        Ok(Self {
            tx: Some(tx),
            worker: Some(worker),
            run_id,
            failure,
        })
    }

    /// The first error of the history writer, if any: the run was not recorded in full.
    pub fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn send(&self, msg: Msg) -> Result<(), SinkError> {
        if let Some(message) = self
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            return Err(SinkError::Store(message.clone()));
        }
        self.tx
            .as_ref()
            .and_then(|tx| tx.send(msg).ok())
            .ok_or(SinkError::Closed)
    }
}

impl EventSink for StoreSink {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        let mut body = Vec::with_capacity(256);
        let text = crate::event_row::body(event, &mut body)
            .ok()
            .and_then(|()| String::from_utf8(body).ok());
        self.send(Msg::Event(event.clone(), text))
    }

    fn step_finished(&mut self, record: &StepRecord<'_>) -> Result<(), SinkError> {
        self.send(Msg::StepDone(StepDone {
            step_id: record.step_id.to_string(),
            status: record.status,
            output: record.output.cloned(),
            error: record.error.map(str::to_string),
            attempts: record.attempts,
            started_at: record.started_at,
            finished_at: record.finished_at,
            duration_ms: record.duration_ms,
            reused_from: record.reused_from.map(str::to_string),
            output_text: record.output.map(|o| o.to_string()),
            started_text: record.started_at.map(rfc3339),
            finished_text: record.finished_at.map(rfc3339),
        }))
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        let (ack_tx, ack_rx) = mpsc::channel();
        self.tx
            .as_ref()
            .and_then(|tx| tx.send(Msg::Flush(ack_tx)).ok())
            .ok_or(SinkError::Closed)?;
        match ack_rx.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(SinkError::Store(message)),
            Err(_) => Err(SinkError::Closed),
        }
    }
}

impl Drop for StoreSink {
    /// Waits until everything sent is committed and passed on.
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

struct Writer {
    store: Store,
    downstream: Box<dyn EventSink>,
    failure: Arc<Mutex<Option<String>>>,
    run_id: String,
    /// step id → (position, step type); filled when the run row is written.
    steps: HashMap<String, (u32, String)>,
    /// The run row, until its `mission.accepted` event arrives.
    run: Option<Box<NewRun>>,
    /// Fault injection for tests (a no-op unless built with `crash-points`).
    crash: CrashPoint,
    /// Set when the disk filled up: nothing more of the run is written (see
    /// [`Writer::commit_and_forward`]).
    stopped: bool,
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        let mut batch = Batch::default();
        let mut flushes = Vec::new();
        let max_batch = if self.crash.armed() { 1 } else { MAX_BATCH };
        while let Ok(first) = rx.recv() {
            let mut next = Some(first);
            while let Some(msg) = next.take() {
                match msg {
                    Msg::Event(event, text) => self.add_event(event, text, &mut batch),
                    Msg::StepDone(done) => {
                        let times = (done.started_at, done.finished_at);
                        let (row, text) = self.step_row(done);
                        batch.push(
                            Write::Step {
                                run_id: self.run_id.clone(),
                                row,
                            },
                            text,
                            times,
                        );
                    }
                    Msg::Flush(ack) => flushes.push(ack),
                }
                if batch.writes.len() < max_batch {
                    next = rx.try_recv().ok();
                }
            }
            self.commit_and_forward(&mut batch);
            for ack in flushes.drain(..) {
                let flushed = self.downstream.flush().map_err(|e| e.to_string());
                let result = match self.failed() {
                    Some(message) => Err(message),
                    None => flushed,
                };
                let _ = ack.send(result);
            }
        }
        let _ = self.downstream.flush();
    }

    fn add_event(&mut self, event: Event, text: Option<String>, batch: &mut Batch) {
        if event.event_type == EventType::Accepted {
            if let Some(run) = self.run.take() {
                self.steps = run
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(i, (id, t))| (id.clone(), (i as u32, t.clone())))
                    .collect();
                batch.push(Write::Accept(run, event), text, NO_TIMES);
                return;
            }
        }
        let started = event.event_type == EventType::Progress
            && event.step_status == Some(StepStatus::Running)
            && event.idempotency_key.ends_with("/started");
        if let (true, Some(step_id)) = (started, &event.step_id) {
            let (position, step_type) = self.position(step_id);
            batch.push(
                Write::StepStarted {
                    run_id: self.run_id.clone(),
                    step_id: step_id.to_string(),
                    position,
                    step_type,
                    attempt: event.attempt.unwrap_or(1),
                    started_at: event.emitted_at.clone(),
                },
                None,
                NO_TIMES,
            );
        }
        batch.push(Write::Event(event), text, NO_TIMES);
    }

    fn step_row(&self, done: StepDone) -> (StepRow, Option<String>) {
        let (position, step_type) = self.position(&done.step_id);
        let row = StepRow {
            step_id: done.step_id,
            position,
            step_type,
            status: done.status,
            output: done.output,
            error: done.error,
            attempts: done.attempts,
            started_at: done.started_text,
            finished_at: done.finished_text,
            duration_ms: done.duration_ms,
            reused_from: done.reused_from,
        };
        (row, done.output_text)
    }

    fn position(&self, step_id: &str) -> (u32, String) {
        self.steps
            .get(step_id)
            .cloned()
            .unwrap_or((u32::MAX, String::new()))
    }

    fn failed(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn fail(&self, e: &StoreError) {
        tracing::error!("cannot record the run in the history: {e}");
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(|| e.to_string());
    }

    /// Commits the batch, then passes its events on. When the batch as a whole is refused,
    /// each write is tried alone, and only those committed are passed on.
    fn commit_and_forward(&mut self, batch: &mut Batch) {
        if batch.writes.is_empty() {
            return;
        }
        if self.stopped {
            batch.writes.clear();
            batch.texts.clear();
            batch.times.clear();
            return;
        }
        // A text the engine's thread could not make is made (or its error reported) here.
        if batch
            .texts
            .iter()
            .zip(&batch.writes)
            .any(|(t, w)| t.is_none() && matches!(w, Write::Accept(..) | Write::Event(_)))
        {
            batch.texts.clear();
        }
        let applied = self.store.apply_encoded(&batch.writes, &batch.texts);
        let committed_events = batch.writes.iter().filter(|w| is_event(w)).count();
        let texts = std::mem::take(&mut batch.texts);
        let writes = batch.writes.drain(..).zip(batch.times.drain(..));
        match applied {
            Ok(_) => {
                self.crash.committed(committed_events);
                for (w, times) in writes {
                    self.forward(w, times);
                }
            }
            // A full disk: writing the rest one by one would record some of it (a final
            // event that fits after a step result that did not), a run that looks ended with
            // steps still running. Nothing more is written: the run stays unfinished, and the
            // next start ends it as interrupted, consistently (its running steps cancelled).
            Err(e @ StoreError::DiskFull) => {
                self.fail(&e);
                self.stopped = true;
            }
            Err(e) => {
                self.fail(&e);
                for (i, (w, times)) in writes.enumerate() {
                    let text = texts.get(i).map(std::slice::from_ref).unwrap_or_default();
                    match self.store.apply_encoded(std::slice::from_ref(&w), text) {
                        Ok(_) => {
                            self.crash.committed(usize::from(is_event(&w)));
                            self.forward(w, times)
                        }
                        Err(e) => self.fail(&e),
                    }
                }
            }
        }
        // Keep the allocation for the next batch.
        batch.texts = texts;
        batch.texts.clear();
    }

    fn forward(&mut self, write: Write, (started_at, finished_at): Times) {
        let result = match &write {
            Write::Accept(_, event) | Write::Event(event) => self.downstream.emit(event),
            Write::Step { row, .. } => self.downstream.step_finished(&StepRecord {
                step_id: &row.step_id,
                step_type: &row.step_type,
                status: row.status,
                output: row.output.as_ref(),
                error: row.error.as_deref(),
                attempts: row.attempts,
                started_at,
                finished_at,
                duration_ms: row.duration_ms,
                reused_from: row.reused_from.as_deref(),
            }),
            Write::StepStarted { .. } => Ok(()),
        };
        if let Err(e) = result {
            tracing::warn!("a sink after the history failed: {e}");
        }
    }
}

/// Whether a write inserts an event.
fn is_event(write: &Write) -> bool {
    matches!(write, Write::Accept(..) | Write::Event(_))
}

/// A step's start and end as the engine reported them (passed on as they came, not parsed
/// back from the stored text).
type Times = (
    Option<chrono::DateTime<chrono::Utc>>,
    Option<chrono::DateTime<chrono::Utc>>,
);
const NO_TIMES: Times = (None, None);

/// The writes of the next transaction, with their JSON texts (see [`Store::apply_encoded`])
/// and, for step results, the engine's times.
#[derive(Default)]
struct Batch {
    writes: Vec<Write>,
    texts: Vec<Option<String>>,
    times: Vec<Times>,
}

impl Batch {
    fn push(&mut self, write: Write, text: Option<String>, times: Times) {
        self.writes.push(write);
        self.texts.push(text);
        self.times.push(times);
    }
}
