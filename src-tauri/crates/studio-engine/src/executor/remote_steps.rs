//! The run's side of dispatching steps to a squad's workers (see [`crate::remote`]): what a
//! dispatched step carries, and the events of a step a dispatcher holds.

use super::job::RemoteJob;
use super::{Msg, Run};
use crate::events::EventType;
use crate::governance::Prepared;
use crate::remote::RemoteStepRequest;
use crate::remote::{department, dispatchable, DispatchNote, DispatchNotes, RemoteStep};
use crate::steps::Failure;
use crate::tools::SideEffects;
use serde_json::{json, Value};
use std::sync::Arc;
use studio_core::{RunStatus, StepStatus};

impl Run<'_> {
    /// The remote part of a step's job: `None` when the run has no dispatcher or the step
    /// runs here (`agent`, `chain`); an error when it has no department to go to.
    pub(super) fn remote_job(
        &self,
        i: u32,
        step_id: &Arc<str>,
        prepared: &Prepared,
        params: &Value,
    ) -> Result<Option<RemoteJob>, Failure> {
        let Some(dispatcher) = &self.dispatcher else {
            return Ok(None);
        };
        let idx = i as usize;
        let step = &self.mission.steps[idx];
        if !dispatchable(&step.step_type) {
            return Ok(None);
        }
        let identity = &prepared.identity;
        let dept = department(
            step.dept.as_deref(),
            &identity.sector,
            &self.mission.required_depts,
        )
        .ok_or_else(|| {
            Failure::new(format!(
                "step `{step_id}` has no department to run in: set its `dept:` or the mission's \
                 `required_depts`"
            ))
        })?;
        let idempotent = step
            .idempotent
            .unwrap_or(identity.side_effects != SideEffects::External);
        let setup = &self.shared.setup;
        let calls_model = prepared.llm.is_some() || step.step_type == "tool";
        let request = RemoteStepRequest {
            step_type: step.step_type.clone(),
            params: params.clone(),
            workspace: self.shared.workspace_path().clone(),
            timeout_ms: self.specs[idx].timeout.map(|t| t.as_millis() as u64),
            read_only_sandbox: self.gate.perimeter().sandbox == studio_core::Sandbox::ReadOnly,
            simulate_llm: setup.simulate_llm,
            // Only a step that calls a model reads these (and they weigh on every job).
            llm_context: if calls_model {
                setup.llm_context.clone()
            } else {
                String::new()
            },
            prices: calls_model.then(|| setup.prices.clone()),
            granted_roots: setup.granted_roots.clone(),
            trusted_host_keys: setup.trusted_host_keys.clone(),
        };
        let tx = self.tx.clone();
        Ok(Some(RemoteJob {
            dispatcher: Arc::clone(dispatcher),
            step: RemoteStep {
                mission_id: Arc::clone(self.emitter.mission_id()),
                run_id: Arc::clone(self.emitter.run_id()),
                trace_id: Arc::clone(self.emitter.trace_id()),
                step_id: Arc::clone(step_id),
                attempt: 1,
                dept,
                idempotent,
                request,
            },
            notes: DispatchNotes::new(move |note| {
                let _ = tx.send(Msg::Remote { idx: i, note });
            }),
        }))
    }

    /// A dispatched step waits for a worker (`blocked`, with a `mission.blocked` event; the
    /// run's clock keeps running: nobody is asked anything) or was taken by one (a
    /// `mission.progress` event whose `detail.worker` names it).
    pub(super) fn remote_note(&mut self, i: u32, note: DispatchNote) {
        let idx = i as usize;
        if self.slots[idx].status.is_final() {
            return;
        }
        let step_id = Arc::clone(&self.specs[idx].id);
        let attempt = self.slots[idx].attempts.max(1);
        match note {
            DispatchNote::WaitingForWorker { reason } => {
                self.slots[idx].status = StepStatus::Blocked;
                let summary = self
                    .secrets
                    .text(&format!("step `{step_id}` is blocked: {reason}"));
                self.emitter.event.detail = Some(json!({"waiting_for_worker": reason}));
                self.emitter.emit(
                    EventType::Blocked,
                    Some((&step_id, attempt)),
                    "worker.waiting",
                    RunStatus::Blocked,
                    Some(StepStatus::Blocked),
                    summary,
                    Vec::new(),
                );
            }
            DispatchNote::Started {
                worker_id,
                dept,
                delivery,
            } => {
                self.slots[idx].status = StepStatus::Running;
                let summary = format!(
                    "step `{step_id}` attempt {attempt} runs on worker `{worker_id}` (department {dept})"
                );
                self.emitter.event.detail = Some(json!({
                    "worker": {
                        "worker_id": worker_id,
                        "dept": dept,
                        "attempt": attempt,
                        "delivery": delivery,
                    }
                }));
                // One event per delivery: a job taken over by another worker is recorded too.
                let phase = format!("worker.started.{delivery}");
                self.emitter.emit(
                    EventType::Progress,
                    Some((&step_id, attempt)),
                    &phase,
                    RunStatus::Running,
                    Some(StepStatus::Running),
                    summary,
                    Vec::new(),
                );
            }
        }
    }
}
