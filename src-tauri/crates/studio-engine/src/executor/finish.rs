//! The end of the run: steps that never started, the final event and the run's result.

use super::{Run, Stop};
use crate::events::{EventType, Usage};
use crate::plan::Plan;
use crate::result::{RunResult, StepResult, StepResults};
use crate::timefmt;
use serde_json::Value;
use std::sync::Arc;
use studio_core::{RunStatus, StepStatus};

impl<'a> Run<'a> {
    pub(super) fn finish(mut self) -> RunResult {
        // Steps that never started: skipped, saying why.
        let why = match self.stop {
            Some(Stop::Cancelled) => Some("not started: the run was cancelled"),
            Some(Stop::TimedOut) => Some("not started: the run timed out"),
            Some(Stop::FailFast) => Some("not started: another step failed (fail-fast)"),
            None => None,
        };
        for d in 0..self.slots.len() as u32 {
            if !self.slots[d as usize].status.is_final() {
                let why = why.unwrap_or("not started").to_string();
                self.skip(d, why);
            }
        }
        let missing = self.state.missing_required();
        let status = match self.stop {
            Some(Stop::Cancelled) => RunStatus::Cancelled,
            Some(Stop::TimedOut) => RunStatus::TimedOut,
            _ if self.failed_steps > 0 => RunStatus::Failed,
            _ if !missing.is_empty() => {
                self.reason = Some(format!(
                    "required state field(s) never written: {}",
                    missing.join(", ")
                ));
                RunStatus::Failed
            }
            _ => RunStatus::Completed,
        };
        if status == RunStatus::Completed {
            self.reason = None;
        } else if status == RunStatus::Failed && self.failed_steps > 1 {
            if let Some(r) = &self.reason {
                self.reason = Some(format!(
                    "{r} (and {} more failed steps)",
                    self.failed_steps - 1
                ));
            }
        }
        let finished_at = timefmt::now();
        let elapsed = self.started.elapsed();
        let waited = self.emitter.wait.waited(elapsed);
        let spent = self.gate.spent();
        let usage = Usage {
            runtime_ms: self.emitter.wait.counted(elapsed).as_millis() as u64,
            llm_calls: spent.llm_calls,
            tokens: spent.tokens,
            cost_usd: spent.cost_usd(),
            approval_wait_ms: waited.as_millis() as u64,
        };
        let succeeded = self
            .slots
            .iter()
            .filter(|s| s.status == StepStatus::Success)
            .count();
        let summary = match &self.reason {
            Some(r) => self.secrets.text(&format!("run {}: {r}", status.as_str())),
            None => format!(
                "run completed: {succeeded} of {} steps succeeded",
                self.slots.len()
            ),
        };
        self.emitter.emit(
            EventType::final_for(status),
            None,
            "final",
            status,
            None,
            summary,
            self.artifacts.clone(),
        );
        self.emitter.flush();

        let steps = &self.mission.steps;
        // A plan derived from the steps lists them in step order (no lookups by id needed) and
        // shares the run's copy of their ids.
        let (mut plan, aligned) = if Plan::is_declared(self.mission) {
            let plan = Plan::from_mission(self.mission);
            let aligned = plan.items.len() == steps.len()
                && plan
                    .items
                    .iter()
                    .zip(steps)
                    .all(|(item, step)| *item.id == *step.id);
            (plan, aligned)
        } else {
            let ids: Vec<&Arc<str>> = self.specs.iter().map(|s| &s.id).collect();
            let dag = self.dag;
            (
                Plan::derived(self.mission, &ids, |i| dag.dependencies(i)),
                true,
            )
        };
        let secrets = &self.secrets;
        let redact = !secrets.is_empty();
        if aligned {
            for (item, slot) in plan.items.iter_mut().zip(&self.slots) {
                match &slot.error {
                    Some(e) if redact => item.set_from_step(slot.status, Some(&secrets.text(e))),
                    e => item.set_from_step(slot.status, e.as_deref()),
                }
            }
        }
        // The results are made one at a time in id order, straight from the slots, into one
        // list: no intermediate list, no tree.
        let by_id = self.by_id;
        let slots = &mut self.slots;
        let specs = self.specs;
        let run_started_at = self.started_at;
        let reused_from = &mut self.reused_from;
        let step_results = StepResults::from_sorted(
            by_id
                .iter()
                .map(|&i| {
                    let (step, slot) = (&steps[i as usize], &mut slots[i as usize]);
                    let result = StepResult {
                        step_type: Arc::clone(&specs[i as usize].step_type),
                        name: step.name.clone(),
                        status: slot.status,
                        output: match slot.output.take() {
                            Some(o) if redact => secrets.value(&o),
                            Some(o) => o,
                            None => Value::Null,
                        },
                        error: slot
                            .error
                            .take()
                            .map(|e| if redact { secrets.text(&e) } else { e }),
                        attempts: slot.attempts,
                        started_at: slot.started.at(run_started_at),
                        finished_at: slot.finished.at(run_started_at),
                        duration_ms: slot.duration_ms(),
                        reused_from: if reused_from.is_empty() {
                            None
                        } else {
                            reused_from.remove(&i)
                        },
                    };
                    (Arc::clone(&specs[i as usize].id), result)
                })
                .collect(),
        );
        if !aligned {
            plan.apply(|id| step_results.get(id).map(|r| (r.status, r.error.clone())));
        }
        RunResult {
            run_id: self.emitter.run_id().to_string(),
            mission_id: self.emitter.mission_id().to_string(),
            trace_id: self.emitter.trace_id().to_string(),
            status,
            reason: self.reason.map(|r| self.secrets.text(&r)),
            started_at: self.started_at,
            finished_at,
            total_duration_ms: elapsed.as_millis() as u64,
            usage,
            step_results,
            state: self
                .state
                .into_values()
                .into_iter()
                .map(|(k, v)| (k, self.secrets.value(&v)))
                .collect(),
            plan,
            links: self.links,
            artifacts: self.artifacts,
        }
    }
}
