//! Starting a ready step: reuse, parameter resolution, the gate, then inline or as a task;
//! and the messages step tasks send back.

use super::emitter::push_step_summary;
use super::job::{Job, JobGate};
use super::{Action, Launch, Mark, Msg, Run};
use crate::events::EventType;
use crate::result::Link;
use crate::steps::{self, Failure, StepKind, StepOutput};
use crate::vars::{self, Scope, StepLookup};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use studio_core::{RunStatus, StepStatus};

impl<'a> Run<'a> {
    pub(super) fn start(&mut self, i: u32) {
        let idx = i as usize;
        if !self.reuse.is_empty() {
            if let Some(reused) = self.reuse.remove(&*self.specs[idx].id) {
                self.mark_started(idx);
                self.reused_from.insert(i, reused.from_run);
                return self.complete(i, 0, Ok(StepOutput::new(reused.output)));
            }
        }
        let approved = if self.approved_launch.is_empty() {
            None
        } else {
            self.approved_launch.remove(&i)
        };
        let launch = match approved {
            Some(launch) => launch,
            None => {
                let params = match self.resolve_params(idx) {
                    Ok(p) => p,
                    Err(message) => {
                        self.mark_started(idx);
                        self.complete(i, 1, Err(Failure::new(message)));
                        return;
                    }
                };
                match self.govern(i, params) {
                    Some(launch) => launch,
                    None => return,
                }
            }
        };
        let Launch {
            mut prepared,
            reservation,
            preview,
        } = launch;
        // Later attempts pass the gate again with the prepared call; one attempt needs no copy.
        let params = if self.specs[idx].max_attempts > 1 {
            prepared.params.clone()
        } else {
            std::mem::take(&mut prepared.params)
        };
        let now = self.emitter.now();
        let slot = &mut self.slots[idx];
        slot.status = StepStatus::Running;
        slot.started = Mark::of(now.since);
        slot.attempts = 1;
        let spec = &self.specs[idx];
        let step_id = &spec.id;
        self.emitter
            .emit_step(now, (step_id, 1), "started", StepStatus::Running, |s| {
                push_step_summary(s, step_id, " started")
            });
        let step_id = Arc::clone(step_id);
        enum Dispatch {
            Now(Result<StepOutput, Failure>),
            Spawn(StepKind),
        }
        let dispatch = match &spec.action {
            // A simulated registry tool keeps the `tool` output shape.
            Action::Simulated(response) if self.mission.steps[idx].step_type == "tool" => {
                Dispatch::Now(Ok(StepOutput::new(serde_json::json!({
                    "tool": prepared.identity.name,
                    "sector": prepared.identity.sector,
                    "output": response,
                    "simulated": true,
                }))))
            }
            Action::Simulated(response) => Dispatch::Now(Ok(StepOutput::new(response.clone()))),
            Action::Real(kind) if kind.is_inline() => Dispatch::Spawn(*kind),
            Action::Real(kind) => Dispatch::Spawn(*kind),
        };
        let (max_attempts, timeout) = (spec.max_attempts, spec.timeout);
        let kind = match dispatch {
            Dispatch::Now(result) => {
                if let Some(r) = &reservation {
                    self.gate.settle(r, None);
                }
                return self.complete(i, 1, result);
            }
            Dispatch::Spawn(kind) if kind.is_inline() && self.dispatcher.is_none() => {
                let result = steps::run_inline(kind, params);
                if let Some(r) = &reservation {
                    self.gate.settle(r, None);
                }
                // It ran within the same microsecond: one clock reading for both ends.
                return self.complete_at(i, 1, result, Some(now));
            }
            Dispatch::Spawn(kind) => kind,
        };
        if kind == StepKind::Http {
            if let Some(url) = params.get("url").and_then(Value::as_str) {
                self.links.push(Link {
                    step_id: step_id.to_string(),
                    url: self.secrets.text(url),
                });
            }
        }
        let remote = match self.remote_job(i, &step_id, &prepared, &params) {
            Ok(remote) => remote,
            Err(failure) => {
                if let Some(r) = &reservation {
                    self.gate.release(r);
                }
                return self.complete(i, 1, Err(failure));
            }
        };
        self.running += 1;
        let agent = matches!(kind, StepKind::Agents(_)).then(|| self.agent_runtime(i, &step_id));
        let job = Job {
            idx: i,
            kind,
            params,
            max_attempts,
            timeout,
            retry_delay: Duration::from_millis(self.retry_delay_ms),
            run_token: self.run_token.clone(),
            shared: Arc::clone(&self.shared),
            tx: self.tx.clone(),
            governed: reservation.map(|reservation| JobGate {
                gate: Arc::clone(&self.gate),
                reservation,
                prepared,
                preview,
                step_id: Arc::clone(&step_id),
                step_type: self.mission.steps[idx].step_type.clone(),
                step_approval: self.mission.steps[idx].approval,
                simulated: false,
            }),
            agent,
            remote,
        };
        tokio::spawn(job.run());
    }

    pub(super) fn resolve_params(&mut self, idx: usize) -> Result<Value, String> {
        let step = &self.mission.steps[idx];
        let params = &step.parameters;
        if step.step_type == "command" {
            crate::steps::check_shell_line(params)?;
        }
        if step.step_type == "chain" {
            // `{{previous}}` and `{{answers.N}}` are the chain's own, filled in call by call.
            let protected = steps::agents::protect_chain_references(params);
            return if vars::has_templates(&protected) {
                self.resolve(&protected)
            } else {
                Ok(protected)
            };
        }
        if !vars::has_templates(params) {
            return Ok(params.clone());
        }
        self.resolve(params)
    }

    /// Resolves references against the run as it is now.
    pub(super) fn resolve(&mut self, v: &Value) -> Result<Value, String> {
        let env_map = self.env.as_ref();
        let env = |name: &str| match env_map {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        let mission = self.mission;
        let index = &*self
            .index
            .get_or_insert_with(|| crate::graph::id_index(&mission.steps));
        let slots = &self.slots;
        let step = |id: &str| match index.get(id) {
            Some(&i) => {
                let slot = &slots[i as usize];
                match (&slot.output, slot.status) {
                    (Some(out), StepStatus::Success | StepStatus::Failed) => {
                        StepLookup::Output(out)
                    }
                    (_, status) => StepLookup::NoOutput(status),
                }
            }
            None => StepLookup::Unknown,
        };
        let steps = &self.mission.steps;
        let finished = || {
            steps
                .iter()
                .zip(slots.iter())
                .filter(|(_, s)| s.output.is_some())
                .map(|(st, _)| st.id.clone())
                .collect::<Vec<_>>()
        };
        let mission_id = self.emitter.mission_id().clone();
        let run_id = self.emitter.run_id().clone();
        let started_at = crate::timefmt::rfc3339(self.started_at);
        let scope = Scope {
            env: &env,
            context: &self.context,
            started_at: &started_at,
            config: &self.config_value,
            state: self.state.values(),
            mission_id: &mission_id,
            run_id: &run_id,
            workspace: &self.workspace_text,
            step: &step,
            finished_steps: &finished,
        };
        vars::resolve(v, &scope, &mut self.secrets).map_err(|e| e.to_string())
    }

    pub(super) fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Retry {
                idx,
                attempt,
                error,
                delay_ms,
            } => {
                let spec = &self.specs[idx as usize];
                let step_id = Arc::clone(&spec.id);
                let max = spec.max_attempts;
                self.slots[idx as usize].attempts = attempt + 1;
                let summary = self.secrets.text(&format!(
                    "step `{step_id}` attempt {attempt} of {max} failed: {error}; retrying in {delay_ms} ms"
                ));
                self.emitter.emit(
                    EventType::Progress,
                    Some((&step_id, attempt)),
                    "retry",
                    RunStatus::Running,
                    Some(StepStatus::Running),
                    summary,
                    Vec::new(),
                );
            }
            Msg::Done {
                idx,
                attempts,
                result,
            } => {
                self.running -= 1;
                self.complete(idx, attempts, result);
            }
            Msg::Agent { idx, note } => self.agent_note(idx, note),
            Msg::Remote { idx, note } => self.remote_note(idx, note),
            Msg::Decided {
                idx,
                mut launch,
                result,
            } => {
                self.running -= 1;
                self.blocked -= 1;
                match result {
                    Ok(reservation) if self.stop.is_none() => {
                        if let Some(granted) = reservation.granted_max_tokens {
                            launch.prepared.grant_max_tokens(granted);
                        }
                        launch.reservation = Some(reservation);
                        self.approved_launch.insert(idx, *launch);
                        self.start(idx);
                    }
                    Ok(reservation) => {
                        // The run stopped while the step waited.
                        self.gate.release(&reservation);
                        self.complete(idx, 0, Err(Failure::interrupted()));
                    }
                    Err(refusal) => self.deny(idx, refusal),
                }
            }
        }
    }
}
