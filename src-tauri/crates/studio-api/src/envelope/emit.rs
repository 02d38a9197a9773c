//! How a mission's events leave the worker: one task per mission numbers them, publishes each
//! on `envelope.events.<mission_id>` (its idempotency key as `Nats-Msg-Id`) and hands it to the
//! callback queue, in order. The engine's events reach it through [`WireSink`], which maps them
//! to the wire per the report cadence.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use studio_core::import::envelope::ReportCadence;
use studio_engine::{Event, EventSink, EventType, SinkError, Usage};
use studio_squad::EnvelopeWire;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::callback::CallbackQueue;
use super::event::{self, WireEvent};
use super::payload::Identity;
use super::Log;

/// Where a mission is, for heartbeats and the final event.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tracker {
    pub run_id: Option<String>,
    pub usage: Usage,
    pub steps_total: usize,
    pub steps_done: usize,
    pub current_step: Option<String>,
    pub status: String,
    /// When the last event was queued (a `milestone` cadence heartbeats only after a silence).
    pub last_sent: Option<std::time::Instant>,
}

pub(crate) type SharedTracker = Arc<Mutex<Tracker>>;

/// The sending side of a mission's event queue.
#[derive(Clone)]
pub(crate) struct Emitter {
    tx: mpsc::UnboundedSender<WireEvent>,
    tracker: SharedTracker,
    pub ids: Identity,
    pub session: String,
    pub worker_id: String,
}

/// The task behind an [`Emitter`].
pub(crate) struct EmitterTask(JoinHandle<()>);

impl Emitter {
    pub(crate) fn start(
        wire: EnvelopeWire,
        ids: Identity,
        session: String,
        worker_id: String,
        callback: Option<CallbackQueue>,
        tracker: SharedTracker,
        log: Log,
    ) -> (Self, EmitterTask) {
        let (tx, mut rx) = mpsc::unbounded_channel::<WireEvent>();
        let mission_id = ids.mission_id.clone();
        let task = tokio::spawn(async move {
            let mut seq = 0u64;
            while let Some(mut e) = rx.recv().await {
                seq += 1;
                e.seq = seq;
                publish(&wire, &mission_id, &e, &log).await;
                if let Some(queue) = &callback {
                    queue.push(e);
                }
            }
            if let Some(queue) = callback {
                queue.finish().await;
            }
        });
        (
            Self {
                tx,
                tracker,
                ids,
                session,
                worker_id,
            },
            EmitterTask(task),
        )
    }

    /// A new event of this mission (not yet sent).
    pub(crate) fn event(
        &self,
        event_type: &str,
        status: &str,
        summary: impl Into<String>,
        key_suffix: &str,
    ) -> WireEvent {
        let mut e = WireEvent::new(
            &self.ids,
            &self.session,
            event_type,
            status,
            summary,
            key_suffix,
        );
        e.worker_id = Some(self.worker_id.clone());
        e
    }

    /// Queues an event; never waits.
    pub(crate) fn send(&self, e: WireEvent) {
        if let Ok(mut t) = self.tracker.lock() {
            t.last_sent = Some(std::time::Instant::now());
            if !e.is_final() {
                t.status = e.status.clone();
            }
        }
        let _ = self.tx.send(e);
    }
}

impl EmitterTask {
    /// Waits until every event was published and posted (or given up on). Every [`Emitter`]
    /// clone must be dropped first.
    pub(crate) async fn finish(self) {
        let _ = self.0.await;
    }
}

/// Publishes with a few quick retries: the broker may be restarting.
async fn publish(wire: &EnvelopeWire, mission_id: &str, e: &WireEvent, log: &Log) {
    let body = serde_json::to_vec(e).unwrap_or_default();
    let mut last = String::new();
    for n in 0..5u32 {
        match wire
            .publish_event(mission_id, &e.idempotency_key, body.clone())
            .await
        {
            Ok(_) => return,
            Err(err) => last = err.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200 * u64::from(n + 1))).await;
    }
    log(&format!(
        "warning: mission {mission_id}: event {} ({}) could not be published: {last}",
        e.seq, e.event_type
    ));
}

/// The engine's events, mapped to the wire.
pub(crate) struct WireSink {
    pub emitter: Emitter,
    pub tracker: SharedTracker,
    pub cadence: ReportCadence,
}

impl EventSink for WireSink {
    fn emit(&mut self, e: &Event) -> Result<(), SinkError> {
        let finished = e.step_status.is_some_and(|s| s.is_final());
        {
            let mut t = self.tracker.lock().unwrap_or_else(|p| p.into_inner());
            t.run_id = Some(e.run_id.to_string());
            t.usage = e.usage;
            t.status = e.status.as_str().to_string();
            if finished && e.event_type == EventType::Progress {
                t.steps_done += 1;
            } else if let Some(step) = &e.step_id {
                t.current_step = Some(step.to_string());
            }
        }
        let milestones = matches!(
            self.cadence,
            ReportCadence::Milestone | ReportCadence::Hybrid
        );
        let rest = e
            .idempotency_key
            .strip_prefix(&format!("{}:", e.run_id))
            .unwrap_or(&e.idempotency_key);
        let key = format!("run/{rest}");
        let wire_type = match e.event_type {
            EventType::Accepted if milestones => event::PROGRESS,
            EventType::Progress if milestones && finished => event::PROGRESS,
            EventType::Blocked => event::BLOCKED,
            EventType::Artifact => event::ARTIFACT,
            _ => return Ok(()),
        };
        let status = match e.event_type {
            EventType::Blocked => "blocked",
            _ => "running",
        };
        let summary = if e.event_type == EventType::Accepted {
            format!("run {} started", e.run_id)
        } else {
            e.summary.clone()
        };
        let mut w = self.emitter.event(wire_type, status, summary, &key);
        w.run_id = Some(e.run_id.to_string());
        w.step_id = e.step_id.as_deref().map(str::to_string);
        w.artifact_refs = e.artifact_refs.clone();
        w.usage = e.usage.into();
        if e.event_type == EventType::Blocked {
            w.reason = Some("approval_required".into());
        }
        self.emitter.send(w);
        Ok(())
    }
}
