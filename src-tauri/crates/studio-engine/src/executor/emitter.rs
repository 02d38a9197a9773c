//! Numbering events and handing them to the sink, without allocating per event.

use crate::events::{Event, EventSink, EventType, StepRecord, Usage};
use crate::gate::Gate;
use crate::timefmt;
use crate::wait_clock::WaitClock;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::{Duration, Instant};
use studio_core::{RunStatus, StepStatus};

/// Numbers events and hands them to the sink.
///
/// The emitter owns one [`Event`] that it fills in again for each event: the run's ids are
/// set once, the text fields (idempotency key, summary, timestamp) are rewritten in their own
/// buffers, so an event costs no allocation. Sinks get it by reference and copy what they keep.
pub(super) struct Emitter<'a> {
    pub(super) sink: &'a mut dyn EventSink,
    pub(super) event: Event,
    /// The millisecond that `event.emitted_at` holds the text of.
    pub(super) clock_millis: i64,
    /// When the run started, in nanoseconds since the epoch: a moment's wall-clock millisecond is read
    /// from it without making a date.
    pub(super) started_at_nanos: i64,
    pub(super) started: Instant,
    pub(super) warned: bool,
    /// Where the run's spending is counted (usage of every event).
    pub(super) gate: Arc<Gate>,
    /// Waits for approval, left out of the runtime the caps count.
    pub(super) wait: WaitClock,
}

/// One reading of the clock, shared by a step's record and the event that reports it (so
/// `finished_at` and the event's `emitted_at` agree, and the clock is read once).
///
/// It is the monotonic clock; wall-clock times are derived from it and the run's start (one
/// clock read instead of two; times within a run never go backwards).
#[derive(Debug, Clone, Copy)]
pub(super) struct Now {
    /// Since the run started.
    pub(super) since: Duration,
}

impl Now {
    pub(super) fn read(started: Instant) -> Self {
        Self {
            since: started.elapsed(),
        }
    }
}

/// Appends the decimal digits of `n` (what `write!` does, without the formatting machinery).
pub(super) fn push_u64(out: &mut String, mut n: u64) {
    if n < 10 {
        out.push((b'0' + n as u8) as char);
        return;
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(d as char);
    }
}

/// Writes `step `<id>`<rest>`, the opening of every step summary.
pub(super) fn push_step_summary(out: &mut String, step_id: &str, rest: &str) {
    out.push_str("step `");
    out.push_str(step_id);
    out.push('`');
    out.push_str(rest);
}

impl<'a> Emitter<'a> {
    pub(super) fn new(
        sink: &'a mut dyn EventSink,
        mission_id: Arc<str>,
        run_id: Arc<str>,
        trace_id: Arc<str>,
        gate: Arc<Gate>,
        started_at: DateTime<Utc>,
        started: Instant,
    ) -> Self {
        let key_prefix = format!("{run_id}:");
        Self {
            sink,
            event: Event {
                event_type: EventType::Accepted,
                mission_id,
                run_id,
                trace_id,
                seq: 0,
                idempotency_key: key_prefix,
                step_id: None,
                attempt: None,
                status: RunStatus::Running,
                step_status: None,
                summary: String::new(),
                artifact_refs: Vec::new(),
                usage: Usage::default(),
                emitted_at: String::new(),
                detail: None,
            },
            clock_millis: i64::MIN,
            started_at_nanos: started_at.timestamp_nanos_opt().unwrap_or(0),
            started,
            warned: false,
            gate,
            wait: WaitClock::default(),
        }
    }

    pub(super) fn mission_id(&self) -> &Arc<str> {
        &self.event.mission_id
    }

    pub(super) fn run_id(&self) -> &Arc<str> {
        &self.event.run_id
    }

    pub(super) fn trace_id(&self) -> &Arc<str> {
        &self.event.trace_id
    }

    pub(super) fn now(&self) -> Now {
        Now::read(self.started)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn emit(
        &mut self,
        event_type: EventType,
        step: Option<(&Arc<str>, u32)>,
        phase: &str,
        status: RunStatus,
        step_status: Option<StepStatus>,
        summary: String,
        artifact_refs: Vec<String>,
    ) {
        let now = self.now();
        self.emit_at(
            now,
            event_type,
            step,
            phase,
            status,
            step_status,
            summary,
            artifact_refs,
        );
    }

    /// [`Self::emit`] at a moment already read.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn emit_at(
        &mut self,
        now: Now,
        event_type: EventType,
        step: Option<(&Arc<str>, u32)>,
        phase: &str,
        status: RunStatus,
        step_status: Option<StepStatus>,
        summary: String,
        artifact_refs: Vec<String>,
    ) {
        self.event.summary = summary;
        self.event.artifact_refs = artifact_refs;
        self.send(now, event_type, step, phase, status, step_status);
    }

    /// A step event whose summary is written straight into the event's buffer.
    pub(super) fn emit_step(
        &mut self,
        now: Now,
        step: (&Arc<str>, u32),
        phase: &str,
        step_status: StepStatus,
        summary: impl FnOnce(&mut String),
    ) {
        self.event.summary.clear();
        summary(&mut self.event.summary);
        if !self.event.artifact_refs.is_empty() {
            self.event.artifact_refs = Vec::new();
        }
        self.send(
            now,
            EventType::Progress,
            Some(step),
            phase,
            RunStatus::Running,
            Some(step_status),
        );
    }

    /// Fills in the rest of the event and hands it to the sink.
    pub(super) fn send(
        &mut self,
        now: Now,
        event_type: EventType,
        step: Option<(&Arc<str>, u32)>,
        phase: &str,
        status: RunStatus,
        step_status: Option<StepStatus>,
    ) {
        let event = &mut self.event;
        event.seq += 1;
        event.event_type = event_type;
        event.status = status;
        event.step_status = step_status;
        match step {
            Some((id, attempt)) => {
                if !event.step_id.as_ref().is_some_and(|s| Arc::ptr_eq(s, id)) {
                    event.step_id = Some(Arc::clone(id));
                }
                event.attempt = Some(attempt);
            }
            None => {
                event.step_id = None;
                event.attempt = None;
            }
        }
        // `<run>:<step or ->:<attempt>:<event type>/<phase>`
        // The key starts with `<run>:`, written when the emitter was made and kept.
        let key = &mut event.idempotency_key;
        key.truncate(event.run_id.len() + 1);
        key.push_str(event.step_id.as_deref().unwrap_or("-"));
        key.push(':');
        push_u64(key, u64::from(event.attempt.unwrap_or(0)));
        key.push(':');
        key.push_str(event_type.as_str());
        key.push('/');
        key.push_str(phase);
        let waited = self.wait.waited(now.since);
        let runtime_ms = now.since.saturating_sub(waited).as_millis() as u64;
        let approval_wait_ms = waited.as_millis() as u64;
        event.usage = match self.gate.spending() {
            None => Usage {
                runtime_ms,
                approval_wait_ms,
                ..Usage::default()
            },
            Some(spent) => Usage {
                runtime_ms,
                llm_calls: spent.llm_calls,
                tokens: spent.tokens,
                cost_usd: spent.cost_usd(),
                approval_wait_ms,
            },
        };
        // The text of a timestamp is made once per millisecond: a burst of events from short
        // steps shares it.
        let nanos = self
            .started_at_nanos
            .saturating_add(i64::try_from(now.since.as_nanos()).unwrap_or(i64::MAX));
        let millis = nanos.div_euclid(1_000_000);
        if millis != self.clock_millis {
            self.clock_millis = millis;
            event.emitted_at = timefmt::rfc3339(DateTime::from_timestamp_nanos(nanos));
        }
        let sent = self.sink.emit(&self.event);
        self.event.detail = None;
        if let Err(e) = sent {
            if !self.warned {
                tracing::warn!("event sink failed (the run goes on): {e}");
                self.warned = true;
            }
        }
    }

    pub(super) fn step_finished(&mut self, record: &StepRecord<'_>) {
        if let Err(e) = self.sink.step_finished(record) {
            if !self.warned {
                tracing::warn!("event sink failed (the run goes on): {e}");
                self.warned = true;
            }
        }
    }

    pub(super) fn flush(&mut self) {
        if let Err(e) = self.sink.flush() {
            tracing::warn!("event sink failed to flush: {e}");
        }
    }
}
