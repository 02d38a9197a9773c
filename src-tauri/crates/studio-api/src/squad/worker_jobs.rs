//! One job on a worker: the started marker of a step that is not idempotent, the events sent
//! back, the ack deadline kept alive while it runs, and the cancels the control plane sends.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};
use studio_engine::remote::{run_remote_step, RemoteStepRequest, StepOutcome, WorkerSetup};
use studio_engine::CancellationToken;
use studio_squad::messages::publish_event;
use studio_squad::{
    async_nats, mark_started, Delivery, EventEnvelope, JobEnvelope, RunningJob, Squad,
};

use super::worker::{WorkerLog, WorkerReport};
use super::{job_key, kinds};

/// The jobs a worker holds, with the tokens that stop them.
#[derive(Default)]
pub(crate) struct Held {
    jobs: Mutex<HashMap<String, (RunningJob, CancellationToken)>>,
    run: AtomicU64,
    interrupted: AtomicU64,
}

impl Held {
    pub(crate) fn jobs(&self) -> Vec<RunningJob> {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let mut list: Vec<RunningJob> = jobs.values().map(|(j, _)| j.clone()).collect();
        list.sort_by(|a, b| (&a.run_id, &a.step_id).cmp(&(&b.run_id, &b.step_id)));
        list
    }

    pub(crate) fn report(&self) -> WorkerReport {
        WorkerReport {
            jobs_run: self.run.load(Ordering::Relaxed),
            jobs_interrupted: self.interrupted.load(Ordering::Relaxed),
        }
    }

    fn hold(&self, key: &str, job: &JobEnvelope) -> CancellationToken {
        let token = CancellationToken::new();
        let running = RunningJob {
            mission_id: job.mission_id.clone(),
            run_id: job.run_id.clone(),
            step_id: job.step_id.clone(),
            attempt: job.attempt,
        };
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_string(), (running, token.clone()));
        token
    }

    fn release(&self, key: &str) {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }

    /// Stops the held jobs of `run_id` (all of them, or one step's attempt).
    fn cancel(&self, run_id: &str, step: Option<(&str, u32)>) {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        for (job, token) in jobs.values() {
            let matches = job.run_id == run_id
                && step.is_none_or(|(s, a)| job.step_id == s && job.attempt == a);
            if matches {
                token.cancel();
            }
        }
    }
}

/// Listens on `studio.cancel.*` and stops the matching held jobs.
pub(crate) async fn follow_cancels(client: async_nats::Client, subjects: &str, held: Arc<Held>) {
    let Ok(mut cancels) = client.subscribe(subjects.to_string()).await else {
        return;
    };
    while let Some(message) = cancels.next().await {
        let Some(run_id) = message.subject.as_str().rsplit('.').next() else {
            continue;
        };
        let body: Value = serde_json::from_slice(&message.payload).unwrap_or(Value::Null);
        let step = body.get("step_id").and_then(Value::as_str).map(|s| {
            (
                s,
                body.get("attempt").and_then(Value::as_u64).unwrap_or(1) as u32,
            )
        });
        held.cancel(run_id, step);
    }
}

/// Runs the jobs a worker takes.
pub(crate) struct JobRunner {
    pub squad: Squad,
    pub worker_id: String,
    pub dept: String,
    pub ack_wait: Duration,
    pub shared_roots: Vec<PathBuf>,
    pub own_workspaces: PathBuf,
    pub setup: WorkerSetup,
    pub held: Arc<Held>,
    pub log: Arc<dyn Fn(WorkerLog) + Send + Sync>,
}

impl JobRunner {
    pub(crate) async fn run(&self, delivery: Delivery) {
        let job = delivery.job.clone();
        let key = job_key(&job.run_id, &job.step_id, job.attempt);
        if !job.idempotent {
            match mark_started(&self.squad, &job).await {
                Ok(true) => {}
                Ok(false) => {
                    // Another worker started it and was lost: never run it twice.
                    let why = format!(
                        "interrupted: the worker running step `{}` was lost mid-run (delivery {}); \
                         the step is not idempotent, so it was not run again; resume the run to \
                         retry it",
                        job.step_id, delivery.delivered
                    );
                    self.held.interrupted.fetch_add(1, Ordering::Relaxed);
                    (self.log)(WorkerLog::Refused {
                        run_id: job.run_id.clone(),
                        step_id: job.step_id.clone(),
                        why: why.clone(),
                    });
                    self.finish(&delivery, &key, StepOutcome::lost(why)).await;
                    return;
                }
                Err(e) => {
                    // The broker is away: hand it back to be tried again.
                    (self.log)(WorkerLog::Trouble(e.to_string()));
                    let _ = delivery.give_back().await;
                    return;
                }
            }
        }
        (self.log)(WorkerLog::Took {
            run_id: job.run_id.clone(),
            step_id: job.step_id.clone(),
            attempt: job.attempt,
        });
        let cancel = self.held.hold(&key, &job);
        self.send(
            &job,
            kinds::STARTED,
            format!("{key}:started:{}:{}", self.worker_id, delivery.delivered),
            json!({"dept": self.dept, "delivery": delivery.delivered}),
        )
        .await;
        let outcome = match serde_json::from_value::<RemoteStepRequest>(job.payload.clone()) {
            Ok(request) => {
                let workspace = self.workspace_for(&request.workspace, &job.run_id);
                let run = run_remote_step(request, workspace, &self.setup, cancel);
                tokio::pin!(run);
                let mut keep_alive =
                    tokio::time::interval((self.ack_wait / 3).max(Duration::from_millis(100)));
                keep_alive.tick().await;
                loop {
                    tokio::select! {
                        outcome = &mut run => break outcome,
                        _ = keep_alive.tick() => { let _ = delivery.in_progress().await; }
                    }
                }
            }
            Err(e) => StepOutcome::failed(format!(
                "this worker cannot read the job of step `{}`: {e}",
                job.step_id
            )),
        };
        self.held.release(&key);
        self.held.run.fetch_add(1, Ordering::Relaxed);
        (self.log)(WorkerLog::Finished {
            run_id: job.run_id.clone(),
            step_id: job.step_id.clone(),
            ok: outcome.is_success(),
        });
        self.finish(&delivery, &key, outcome).await;
    }

    /// Sends the outcome (retried until the broker takes it) and acks the job.
    async fn finish(&self, delivery: &Delivery, key: &str, outcome: StepOutcome) {
        let payload = serde_json::to_value(&outcome).unwrap_or(Value::Null);
        self.send(
            &delivery.job,
            kinds::FINISHED,
            format!("{key}:finished"),
            payload,
        )
        .await;
        let _ = delivery.ack_now().await;
    }

    async fn send(&self, job: &JobEnvelope, kind: &str, idempotency_key: String, payload: Value) {
        let event = EventEnvelope {
            mission_id: job.mission_id.clone(),
            run_id: job.run_id.clone(),
            trace_id: job.trace_id.clone(),
            step_id: job.step_id.clone(),
            attempt: job.attempt,
            idempotency_key,
            kind: kind.to_string(),
            worker_id: self.worker_id.clone(),
            payload,
        };
        // Until the broker has it (the same key lands once); bounded by the job's redelivery:
        // past ack_wait another worker has it anyway.
        let deadline = tokio::time::Instant::now() + self.ack_wait.max(Duration::from_secs(30));
        while publish_event(&self.squad.js, &event).await.is_err() {
            if tokio::time::Instant::now() > deadline {
                (self.log)(WorkerLog::Trouble(format!(
                    "could not send `{kind}` of step `{}`",
                    job.step_id
                )));
                return;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The run's own workspace when it lies under a shared root; else a folder of this
    /// worker's for the run.
    fn workspace_for(&self, sent: &Path, run_id: &str) -> PathBuf {
        if let Ok(real) = sent.canonicalize() {
            if self.shared_roots.iter().any(|root| real.starts_with(root)) {
                return real;
            }
        }
        self.own_workspaces.join(run_id).join("workspace")
    }
}
