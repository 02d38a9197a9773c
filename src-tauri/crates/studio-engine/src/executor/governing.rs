//! The gate's side of the scheduler: admission, approvals, refusals and agent notes.

use super::job::refusal_failure;
use super::{Action, Launch, Mark, Msg, Run, Stop};
use crate::events::EventType;
use crate::gate::{GateRequest, PendingAsk, Refusal, RefusalKind, Verdict};
use crate::governance::{self, Prepared};
use crate::steps::{self, Failure};
use crate::wait_clock::WaitClock;
use serde_json::Value;
use std::sync::Arc;
use studio_core::{RunStatus, StepStatus};

/// The gate's side of the scheduler (DESIGN §6): every step passes [`Gate::admit`] before it
/// starts; a step that needs approval is `blocked` while the approver decides.
impl Run<'_> {
    /// Prepares a resolved step and asks the gate. `None`: the step was refused (it is
    /// complete) or waits for approval (a task awaits the decision).
    pub(super) fn govern(&mut self, i: u32, params: Value) -> Option<Launch> {
        let idx = i as usize;
        let step = &self.mission.steps[idx];
        let simulated = matches!(self.specs[idx].action, Action::Simulated(_));
        let mut preview = (!self.secrets.is_empty()).then(|| self.secrets.value(&params));
        let prepared = match governance::prepare(
            &step.step_type,
            params,
            &self.governance.tools,
            &self.shared.setup,
        ) {
            Ok(p) => p,
            Err(message) => {
                self.mark_started(idx);
                self.complete(i, 1, Err(Failure::new(message)));
                return None;
            }
        };
        if !prepared.secrets.is_empty() {
            for (label, value) in &prepared.secrets {
                self.secrets.add_labelled(label, value);
            }
            // The preview shows the parameters, which may hold the secrets just learnt.
            preview = Some(
                self.secrets
                    .value(preview.as_ref().unwrap_or(&prepared.params)),
            );
        }
        let verdict = self.gate.admit(&GateRequest {
            step_id: &step.id,
            step_type: &step.step_type,
            attempt: 1,
            tool: &prepared.identity,
            simulated,
            runs_command: prepared.runs_command,
            step_approval: step.approval,
            llm: prepared.llm.as_ref(),
            params: &prepared.params,
            preview: preview.as_ref().unwrap_or(&prepared.params),
            endpoints: &prepared.endpoints,
        });
        match verdict {
            Verdict::Allow(reservation) if prepared.deferred_error.is_some() && !simulated => {
                self.gate.release(&reservation);
                self.mark_started(idx);
                let message = prepared.deferred_error.unwrap_or_default();
                self.complete(i, 1, Err(Failure::new(message)));
                None
            }
            Verdict::Allow(reservation) => {
                let mut prepared = prepared;
                if let Some(granted) = reservation.granted_max_tokens {
                    prepared.grant_max_tokens(granted);
                }
                Some(Launch {
                    prepared,
                    reservation: Some(reservation),
                    preview,
                })
            }
            Verdict::Refuse(refusal) => {
                self.mark_started(idx);
                self.complete(i, 1, Err(refusal_failure(refusal)));
                None
            }
            Verdict::Ask(ask) => {
                self.block(i, ask, prepared, preview);
                None
            }
        }
    }

    /// What an `agent` or `chain` step gets from the run: the gate, the tools, its script and
    /// strategy, and a way to report to the scheduler.
    pub(super) fn agent_runtime(
        &self,
        i: u32,
        step_id: &Arc<str>,
    ) -> Arc<steps::agents::AgentRuntime> {
        let mission = self.mission;
        let tx = self.tx.clone();
        Arc::new(steps::agents::AgentRuntime {
            gate: Arc::clone(&self.gate),
            tools: Arc::clone(&self.governance.tools),
            step_id: Arc::clone(step_id),
            script: mission.agent_script(step_id).cloned(),
            strategy: mission.strategy_for(step_id).cloned(),
            overrides: mission
                .simulation
                .as_ref()
                .filter(|s| s.enabled)
                .map(|s| s.tools.clone())
                .unwrap_or_default(),
            notify: Box::new(move |note| {
                let _ = tx.send(Msg::Agent { idx: i, note });
            }),
        })
    }

    /// One `mission.progress` event per turn and call of an agent (with the record in the
    /// event's `detail`); a call waiting for approval makes the step `blocked` meanwhile.
    pub(super) fn agent_note(&mut self, i: u32, note: steps::agents::AgentNote) {
        use steps::agents::NoteState;
        let idx = i as usize;
        if self.slots[idx].status.is_final() {
            return;
        }
        let step_id = Arc::clone(&self.specs[idx].id);
        let attempt = self.slots[idx].attempts.max(1);
        let (event_type, run_status, step_status) = match note.state {
            NoteState::Blocked => {
                self.slots[idx].status = StepStatus::Blocked;
                self.blocked += 1;
                (EventType::Blocked, RunStatus::Blocked, StepStatus::Blocked)
            }
            NoteState::Unblocked => {
                self.slots[idx].status = StepStatus::Running;
                self.blocked = self.blocked.saturating_sub(1);
                (EventType::Progress, RunStatus::Running, StepStatus::Running)
            }
            NoteState::Running => (EventType::Progress, RunStatus::Running, StepStatus::Running),
        };
        self.note_waiting();
        let summary = self.secrets.text(&note.summary);
        self.emitter.event.detail = Some(self.secrets.value(&note.detail));
        self.emitter.emit(
            event_type,
            Some((&step_id, attempt)),
            &note.phase,
            run_status,
            Some(step_status),
            summary,
            Vec::new(),
        );
    }

    /// Starts or ends a wait for approval on the run's clock when the run's state says so;
    /// returns whether it changed (the deadline then moves).
    pub(super) fn note_waiting(&mut self) -> bool {
        let waiting = WaitClock::waits_for_a_person(self.blocked, self.running);
        if waiting == self.emitter.wait.is_waiting() {
            return false;
        }
        let now = self.emitter.now().since;
        self.emitter.wait.set(waiting, now)
    }

    /// Why the run timed out: its own timeout, or the perimeter's `max_runtime_minutes`.
    pub(super) fn timeout_reason(&self) -> String {
        let limit = self.global_timeout.unwrap_or_default();
        let secs = limit.as_secs();
        let from_perimeter = self
            .gate
            .perimeter()
            .budget
            .max_runtime_minutes
            .is_some_and(|m| {
                self.mission
                    .config()
                    .timeout_seconds
                    .is_none_or(|t| (m * 60.0) < t as f64)
            });
        if from_perimeter {
            format!(
                "the run timed out after {:.1}s (perimeter: max_runtime_minutes)",
                limit.as_secs_f64()
            )
        } else {
            format!("the run timed out after {secs}s")
        }
    }

    pub(super) fn mark_started(&mut self, idx: usize) {
        self.slots[idx].started = Mark::of(self.started.elapsed());
    }

    /// The step waits for approval: `blocked`, a `mission.blocked` event, and a task that
    /// awaits the approver (the step holds its concurrency slot meanwhile).
    pub(super) fn block(
        &mut self,
        i: u32,
        ask: Box<PendingAsk>,
        prepared: Prepared,
        preview: Option<Value>,
    ) {
        let idx = i as usize;
        self.slots[idx].status = StepStatus::Blocked;
        let step_id = Arc::clone(&self.specs[idx].id);
        let summary = self.secrets.text(&format!(
            "step `{step_id}` is blocked: approval needed ({}) for {} `{}`",
            ask.request.why, ask.request.step_type, ask.request.tool
        ));
        self.emitter.emit(
            EventType::Blocked,
            Some((&step_id, 1)),
            "blocked",
            RunStatus::Blocked,
            Some(StepStatus::Blocked),
            summary,
            Vec::new(),
        );
        self.running += 1;
        self.blocked += 1;
        let gate = Arc::clone(&self.gate);
        let tx = self.tx.clone();
        let cancel = self.run_token.clone();
        tokio::spawn(async move {
            let result = tokio::select! {
                r = gate.decide(ask) => r,
                _ = cancel.cancelled() => Err(Refusal {
                    check: crate::audit::Check::Approval,
                    kind: RefusalKind::Unavailable,
                    reason: "approval_unavailable: the run stopped while the step waited for approval".into(),
                }),
            };
            let launch = Box::new(Launch {
                prepared,
                reservation: None,
                preview,
            });
            let _ = tx.send(Msg::Decided {
                idx: i,
                launch,
                result,
            });
        });
    }

    /// A step whose approval was denied (or could not be asked) is skipped; it fails the run
    /// unless it has `continue_on_error`.
    pub(super) fn deny(&mut self, i: u32, refusal: Refusal) {
        let idx = i as usize;
        let step_id = Arc::clone(&self.specs[idx].id);
        let continue_on_error = self.specs[idx].continue_on_error;
        if self.stop.is_some() && refusal.kind == RefusalKind::Unavailable {
            self.skip(i, "not started: the run stopped".into());
            return self.release(i, false);
        }
        let why = self.secrets.text(&format!("skipped: {}", refusal.reason));
        self.skip(i, why.clone());
        if !continue_on_error {
            self.failed_steps += 1;
            if self.reason.is_none() {
                self.reason = Some(format!("step `{step_id}` {why}"));
            }
            if self.fail_fast {
                let reason = self.reason.clone().unwrap_or_default();
                self.halt(Stop::FailFast, reason);
            }
        }
        self.release(i, false);
    }
}
