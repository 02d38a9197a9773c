//! The control plane's side: [`SquadDispatcher`] hands each ready step of one run to its
//! department's work queue and brings the worker's outcome back to the engine.
//!
//! - A department without a live worker: the step is `blocked` ("no live worker in department
//!   …") until one heartbeats, or the run's timeout or cancel ends it.
//! - A broker that goes away: publishing is retried (same `Nats-Msg-Id`, so a job lands once)
//!   and the run's events are followed again from the last sequence seen.
//! - A duplicate event (the same idempotency key twice): counted once; an outcome for an
//!   attempt no longer waited for (already settled, cancelled) is ignored.
//! - A cancelled or timed-out attempt: workers are told on `studio.cancel.<run_id>`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use studio_engine::remote::{
    DispatchFuture, DispatchNote, DispatchNotes, RemoteStep, StepDispatcher, StepOutcome,
};
use studio_engine::CancellationToken;
use studio_squad::async_nats;
use studio_squad::{
    messages::publish_job, subjects::cancel_subject, EventEnvelope, JobEnvelope, RunEvents, Squad,
    SquadConfig, SquadError,
};
use tokio::sync::oneshot;

use super::live_workers::LiveWorkers;
use super::{job_key, kinds};

/// Dispatches one run's steps. Made per run ([`SquadDispatcher::connect`]); dropping it stops
/// following the run's events.
pub struct SquadDispatcher {
    inner: Arc<Inner>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

struct Inner {
    squad: Squad,
    client: async_nats::Client,
    run_id: String,
    live: Arc<LiveWorkers>,
    pending: Mutex<HashMap<String, Pending>>,
    /// Idempotency keys of the events already taken into account.
    seen: Mutex<HashSet<String>>,
}

struct Pending {
    notes: DispatchNotes,
    done: Option<oneshot::Sender<StepOutcome>>,
}

impl SquadDispatcher {
    /// Connects to the broker at `url`, makes sure the squad's streams exist, and starts
    /// following `run_id`'s events and the workers' heartbeats.
    pub async fn connect(url: &str, run_id: &str) -> Result<Self, SquadError> {
        let client = async_nats::connect(url)
            .await
            .map_err(|source| SquadError::Unreachable {
                url: url.to_string(),
                source,
            })?;
        let js = async_nats::jetstream::new(client.clone());
        let squad = Squad::ensure(js, &SquadConfig::default()).await?;
        let (live, watch) = LiveWorkers::watch(&squad, client.clone())
            .await
            .map_err(|e| SquadError::JetStream {
                action: "watch worker heartbeats".into(),
                source: e.into(),
            })?;
        let mut events = RunEvents::follow(&squad, run_id)?;
        let inner = Arc::new(Inner {
            squad,
            client,
            run_id: run_id.to_string(),
            live,
            pending: Mutex::default(),
            seen: Mutex::default(),
        });
        let follower = Arc::clone(&inner);
        let follow = tokio::spawn(async move {
            loop {
                if let Ok(event) = events.next().await {
                    follower.take(event);
                }
            }
        });
        Ok(Self {
            inner,
            tasks: vec![watch, follow],
        })
    }
}

impl Drop for SquadDispatcher {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Inner {
    /// One event from a worker.
    fn take(&self, event: EventEnvelope) {
        if event.run_id != self.run_id {
            return;
        }
        if !self
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(event.idempotency_key.clone())
        {
            return; // a duplicate
        }
        let key = job_key(&event.run_id, &event.step_id, event.attempt);
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        match event.kind.as_str() {
            kinds::STARTED => {
                if let Some(p) = pending.get(&key) {
                    let dept = event
                        .payload
                        .get("dept")
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    let delivery = event
                        .payload
                        .get("delivery")
                        .and_then(serde_json::Value::as_u64)
                        .unwrap_or(1);
                    p.notes.send(DispatchNote::Started {
                        worker_id: event.worker_id,
                        dept,
                        delivery,
                    });
                }
            }
            kinds::FINISHED => {
                let outcome =
                    serde_json::from_value::<StepOutcome>(event.payload).unwrap_or_else(|e| {
                        StepOutcome::failed(format!(
                            "worker `{}` sent an outcome this version cannot read: {e}",
                            event.worker_id
                        ))
                    });
                if let Some(mut p) = pending.remove(&key) {
                    if let Some(done) = p.done.take() {
                        let _ = done.send(outcome);
                    }
                }
            }
            _ => {}
        }
    }

    async fn run(
        self: Arc<Self>,
        step: RemoteStep,
        notes: DispatchNotes,
        cancel: CancellationToken,
    ) -> StepOutcome {
        if !self.live.has_live(&step.dept) {
            notes.send(DispatchNote::WaitingForWorker {
                reason: format!(
                    "no live worker in department `{}`; start one with `mission worker --nats \
                     URL --dept {}`",
                    step.dept, step.dept
                ),
            });
            tokio::select! {
                _ = self.live.wait_for(&step.dept) => {}
                _ = cancel.cancelled() => {
                    return StepOutcome::interrupted("stopped while waiting for a worker");
                }
            }
        }
        let key = job_key(&step.run_id, &step.step_id, step.attempt);
        let (done, outcome) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                key.clone(),
                Pending {
                    notes,
                    done: Some(done),
                },
            );
        let job = JobEnvelope {
            mission_id: step.mission_id.to_string(),
            run_id: step.run_id.to_string(),
            trace_id: step.trace_id.to_string(),
            step_id: step.step_id.to_string(),
            attempt: step.attempt,
            idempotency_key: key.clone(),
            dept: step.dept.clone(),
            idempotent: step.idempotent,
            payload: serde_json::to_value(&step.request).unwrap_or_default(),
        };
        // Retried until the broker takes it: the same key lands once.
        loop {
            match publish_job(&self.squad.js, &job).await {
                Ok(_) => break,
                Err(SquadError::InvalidName { .. }) => {
                    self.forget(&key);
                    return StepOutcome::failed(format!(
                        "cannot dispatch step `{}`: invalid department `{}`",
                        step.step_id, step.dept
                    ));
                }
                Err(_) => {
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                        _ = cancel.cancelled() => {
                            self.forget(&key);
                            return StepOutcome::interrupted("stopped before a worker took it");
                        }
                    }
                }
            }
        }
        tokio::select! {
            outcome = outcome => outcome.unwrap_or_else(|_| StepOutcome::interrupted("the dispatcher stopped")),
            _ = cancel.cancelled() => {
                self.forget(&key);
                self.tell_workers_to_stop(&step).await;
                StepOutcome::interrupted("interrupted")
            }
        }
    }

    fn forget(&self, key: &str) {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }

    async fn tell_workers_to_stop(&self, step: &RemoteStep) {
        let Ok(subject) = cancel_subject(&step.run_id) else {
            return;
        };
        let body = serde_json::json!({"step_id": &*step.step_id, "attempt": step.attempt});
        let _ = self
            .client
            .publish(subject, body.to_string().into_bytes().into())
            .await;
        let _ = self.client.flush().await;
    }
}

impl StepDispatcher for SquadDispatcher {
    fn dispatch(
        &self,
        step: RemoteStep,
        notes: DispatchNotes,
        cancel: CancellationToken,
    ) -> DispatchFuture {
        Box::pin(Arc::clone(&self.inner).run(step, notes, cancel))
    }
}
