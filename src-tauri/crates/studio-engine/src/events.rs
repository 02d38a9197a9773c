//! Run events (DESIGN §7, Mission Envelope v1 names) and the sinks that receive them.

use serde::{Deserialize, Serialize};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use studio_core::{RunStatus, StepStatus};

/// The lifecycle event names of Mission Envelope v1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "mission.accepted")]
    Accepted,
    #[serde(rename = "mission.progress")]
    Progress,
    #[serde(rename = "mission.blocked")]
    Blocked,
    #[serde(rename = "mission.artifact")]
    Artifact,
    #[serde(rename = "mission.completed")]
    Completed,
    #[serde(rename = "mission.failed")]
    Failed,
    #[serde(rename = "mission.cancelled")]
    Cancelled,
    #[serde(rename = "mission.timed_out")]
    TimedOut,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "mission.accepted",
            Self::Progress => "mission.progress",
            Self::Blocked => "mission.blocked",
            Self::Artifact => "mission.artifact",
            Self::Completed => "mission.completed",
            Self::Failed => "mission.failed",
            Self::Cancelled => "mission.cancelled",
            Self::TimedOut => "mission.timed_out",
        }
    }

    /// Whether this event closes the run (exactly one per run).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Failed | Self::Cancelled | Self::TimedOut
        )
    }

    /// The final event for a final run status.
    pub fn final_for(status: RunStatus) -> Self {
        match status {
            RunStatus::Completed => Self::Completed,
            RunStatus::Cancelled => Self::Cancelled,
            RunStatus::TimedOut => Self::TimedOut,
            _ => Self::Failed,
        }
    }
}

/// What a run has consumed so far.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// The run's time that counts against its runtime caps (`max_runtime_minutes`, the
    /// mission's `timeout_seconds`): its time so far less [`Usage::approval_wait_ms`].
    pub runtime_ms: u64,
    pub llm_calls: u64,
    pub tokens: u64,
    pub cost_usd: f64,
    /// Time the run spent waiting only for a person (steps blocked on approval and nothing
    /// running): shown apart, never counted against the runtime caps.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub approval_wait_ms: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One event of a run. `seq` counts from 1 without gaps; `idempotency_key` is derived from the
/// run, the step, the attempt and the kind of event, so a replayed event has the same key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub event_type: EventType,
    pub mission_id: Arc<str>,
    pub run_id: Arc<str>,
    pub trace_id: Arc<str>,
    pub seq: u64,
    pub idempotency_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_id: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// The run's status when the event was emitted.
    pub status: RunStatus,
    /// The step's status, for step events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_status: Option<StepStatus>,
    pub summary: String,
    #[serde(default)]
    pub artifact_refs: Vec<String>,
    pub usage: Usage,
    pub emitted_at: String,
    /// A structured record of what the event reports, where there is more than its summary:
    /// an agent's turn or tool call (`{agent: {...}}`), a chain's call (`{chain: {...}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("cannot write events to {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The device holding the file is full; the file keeps only whole lines.
    #[error("disk full: cannot write events to {path}: no space left on its device")]
    DiskFull { path: PathBuf },
    #[error("the event receiver is gone")]
    Closed,
    /// A sink that records history could not store what it was given.
    #[error("cannot record the run: {0}")]
    Store(String),
}

impl SinkError {
    /// An I/O error writing `path`; a full device is [`SinkError::DiskFull`].
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::StorageFull {
            Self::DiskFull {
                path: path.to_path_buf(),
            }
        } else {
            Self::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// The full result of a step that just reached a final status, handed to
/// [`EventSink::step_finished`] right before the step's `finished` (or `skipped`) event.
/// Output and error are already redacted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepRecord<'a> {
    pub step_id: &'a str,
    pub step_type: &'a str,
    pub status: StepStatus,
    pub output: Option<&'a serde_json::Value>,
    pub error: Option<&'a str>,
    pub attempts: u32,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    pub duration_ms: u64,
    /// The run whose output this step reused instead of running (`mission resume`).
    pub reused_from: Option<&'a str>,
}

/// Receives the events of a run, in `seq` order, from one task.
///
/// A sink that fails does not stop the run: the engine logs the error and goes on, so a full
/// disk cannot leave a process tree running.
///
/// A sink may hold events back (e.g. to write them in batches) as long as it keeps their
/// order; `flush` is the barrier: when it returns, everything emitted before is delivered.
pub trait EventSink: Send {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError>;

    /// A step reached a final status; called before the event that says so. Sinks that keep
    /// history (outputs included) use it; the default ignores it.
    fn step_finished(&mut self, _record: &StepRecord<'_>) -> Result<(), SinkError> {
        Ok(())
    }

    /// Called once after the final event.
    fn flush(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl<S: EventSink + ?Sized> EventSink for Box<S> {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        (**self).emit(event)
    }
    fn step_finished(&mut self, record: &StepRecord<'_>) -> Result<(), SinkError> {
        (**self).step_finished(record)
    }
    fn flush(&mut self) -> Result<(), SinkError> {
        (**self).flush()
    }
}

impl<S: EventSink + ?Sized> EventSink for &mut S {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        (**self).emit(event)
    }
    fn step_finished(&mut self, record: &StepRecord<'_>) -> Result<(), SinkError> {
        (**self).step_finished(record)
    }
    fn flush(&mut self) -> Result<(), SinkError> {
        (**self).flush()
    }
}

/// Drops every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl EventSink for NullSink {
    fn emit(&mut self, _event: &Event) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Appends events as JSON lines (NDJSON) to a file; each line is written whole as it happens.
#[derive(Debug)]
pub struct JsonlFileSink {
    path: PathBuf,
    file: std::fs::File,
    /// The length of the file's whole lines: a line that could not be written in full (a
    /// full disk) is cut off again, so the file never holds half a line.
    len: u64,
    line: Vec<u8>,
}

impl JsonlFileSink {
    /// Creates (or truncates) the file.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, SinkError> {
        let path = path.as_ref().to_path_buf();
        let file = std::fs::File::create(&path).map_err(|source| SinkError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(Self {
            path,
            file,
            len: 0,
            line: Vec::with_capacity(512),
        })
    }

    /// Opens the file for appending, creating it if needed.
    pub fn append(path: impl AsRef<Path>) -> Result<Self, SinkError> {
        let path = path.as_ref().to_path_buf();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| SinkError::Io {
                path: path.clone(),
                source,
            })?;
        let len = file
            .metadata()
            .map_err(|source| SinkError::Io {
                path: path.clone(),
                source,
            })?
            .len();
        Ok(Self {
            path,
            file,
            len,
            line: Vec::with_capacity(512),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl EventSink for JsonlFileSink {
    /// Writes the event's line whole (one `write_all`, so a reader can follow the run), or
    /// cuts the file back to its last whole line.
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, event).map_err(|e| SinkError::Io {
            path: self.path.clone(),
            source: e.into(),
        })?;
        self.line.push(b'\n');
        match self.file.write_all(&self.line) {
            Ok(()) => {
                self.len += self.line.len() as u64;
                Ok(())
            }
            Err(source) => {
                // Cut the partial line off and write the next line where it began.
                let _ = self.file.set_len(self.len);
                let _ = self.file.seek(std::io::SeekFrom::Start(self.len));
                Err(SinkError::io(&self.path, source))
            }
        }
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Sends each event to a tokio channel (the app forwards them to the UI).
#[derive(Debug, Clone)]
pub struct ChannelSink(pub tokio::sync::mpsc::UnboundedSender<Event>);

impl EventSink for ChannelSink {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        self.0.send(event.clone()).map_err(|_| SinkError::Closed)
    }
}

/// Keeps every event in memory; clones share the list.
#[derive(Debug, Clone, Default)]
pub struct CollectingSink(Arc<Mutex<Vec<Event>>>);

impl CollectingSink {
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the events received so far.
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl EventSink for CollectingSink {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(event.clone());
        Ok(())
    }
}

/// Hands each event to several sinks in turn; every sink gets every event even if one fails.
#[derive(Default)]
pub struct FanOutSink(pub Vec<Box<dyn EventSink>>);

impl FanOutSink {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, sink: impl EventSink + 'static) -> Self {
        self.0.push(Box::new(sink));
        self
    }

    pub fn push(&mut self, sink: impl EventSink + 'static) {
        self.0.push(Box::new(sink));
    }
}

impl EventSink for FanOutSink {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        let mut first_error = None;
        for sink in &mut self.0 {
            if let Err(e) = sink.emit(event) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn step_finished(&mut self, record: &StepRecord<'_>) -> Result<(), SinkError> {
        let mut first_error = None;
        for sink in &mut self.0 {
            if let Err(e) = sink.step_finished(record) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        let mut first_error = None;
        for sink in &mut self.0 {
            if let Err(e) = sink.flush() {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: u64, event_type: EventType) -> Event {
        Event {
            event_type,
            mission_id: "m".into(),
            run_id: "r".into(),
            trace_id: "t".into(),
            seq,
            idempotency_key: format!("r:-:0:{}", event_type.as_str()),
            step_id: None,
            attempt: None,
            status: RunStatus::Running,
            step_status: None,
            summary: "s".into(),
            artifact_refs: vec![],
            usage: Usage::default(),
            emitted_at: "2025-01-01T00:00:00.000Z".into(),
            detail: None,
        }
    }

    #[test]
    fn events_serialise_with_envelope_names_and_snake_case_fields() {
        let json = serde_json::to_value(event(1, EventType::TimedOut)).unwrap();
        assert_eq!(json["event_type"], "mission.timed_out");
        assert_eq!(json["status"], "running");
        assert_eq!(json["usage"]["runtime_ms"], 0);
        assert!(
            json.get("step_id").is_none(),
            "run events carry no step id: {json}"
        );
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, event(1, EventType::TimedOut));
    }

    #[test]
    fn the_jsonl_sink_writes_one_parsable_line_per_event() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let mut sink = JsonlFileSink::create(&path).unwrap();
        sink.emit(&event(1, EventType::Accepted)).unwrap();
        sink.emit(&event(2, EventType::Completed)).unwrap();
        sink.flush().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let seqs: Vec<u64> = text
            .lines()
            .map(|l| serde_json::from_str::<Event>(l).unwrap().seq)
            .collect();
        assert_eq!(seqs, vec![1, 2]);
    }

    #[test]
    fn fan_out_reaches_every_sink() {
        let a = CollectingSink::new();
        let b = CollectingSink::new();
        let mut fan = FanOutSink::new().with(a.clone()).with(b.clone());
        fan.emit(&event(1, EventType::Accepted)).unwrap();
        assert_eq!(a.events().len(), 1);
        assert_eq!(b.events().len(), 1);
    }
}
