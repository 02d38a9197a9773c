//! The end of a step: its record, its state writes, and what it releases or skips.

use super::emitter::{push_step_summary, push_u64, Now};
use super::{Mark, Run, Stop, NOT_BLOCKED};
use crate::events::{EventType, StepRecord};
use crate::result::Link;
use crate::steps::{Failure, FailureKind, StepOutput};
use std::cmp::Reverse;
use std::sync::Arc;
use studio_core::{RunStatus, StepStatus};

impl<'a> Run<'a> {
    /// Records the end of a step that started, applies its state writes, and releases its
    /// dependents.
    pub(super) fn complete(&mut self, i: u32, attempts: u32, result: Result<StepOutput, Failure>) {
        self.complete_at(i, attempts, result, None)
    }

    /// [`Self::complete`] at a moment already read (`None`: now).
    pub(super) fn complete_at(
        &mut self,
        i: u32,
        attempts: u32,
        result: Result<StepOutput, Failure>,
        now: Option<Now>,
    ) {
        let idx = i as usize;
        let result = match result {
            Ok(out) if !self.mission.steps[idx].state.is_empty() => {
                // The step's own output is readable by its state writes.
                self.slots[idx].output = Some(out.value.clone());
                self.slots[idx].status = StepStatus::Success;
                match self.write_state(idx) {
                    Ok(()) => Ok(out),
                    Err(message) => Err(Failure::new(message).with_output(out.value)),
                }
            }
            other => other,
        };
        let spec = &self.specs[idx];
        let step_id = Arc::clone(&spec.id);
        let continue_on_error = spec.continue_on_error;
        let mut budget_exceeded = false;
        let now = now.unwrap_or_else(|| self.emitter.now());
        let slot = &mut self.slots[idx];
        slot.attempts = attempts;
        slot.finished = Mark::of(now.since);
        let (status, summary, artifacts) = match result {
            Ok(out) => {
                slot.status = StepStatus::Success;
                slot.output = Some(out.value);
                slot.error = None;
                for link in out.links {
                    if !self
                        .links
                        .iter()
                        .any(|l| l.url == link && *l.step_id == *step_id)
                    {
                        self.links.push(Link {
                            step_id: step_id.to_string(),
                            url: link,
                        });
                    }
                }
                // `None`: the usual summary, written straight into the event.
                let summary = if self.reused_from.is_empty() {
                    None
                } else {
                    self.reused_from
                        .get(&i)
                        .map(|run| format!("step `{step_id}` reused the output of run {run}"))
                };
                (StepStatus::Success, summary, out.artifacts)
            }
            Err(f) if f.kind == FailureKind::Interrupted => {
                slot.status = StepStatus::Cancelled;
                slot.output = f.output;
                let why = match self.stop {
                    Some(Stop::TimedOut) => "the run timed out",
                    Some(Stop::FailFast) => "another step failed (fail-fast)",
                    _ => "the run was cancelled",
                };
                slot.error = Some(format!("cancelled: {why}"));
                (
                    StepStatus::Cancelled,
                    Some(format!("step `{step_id}` cancelled: {why}")),
                    Vec::new(),
                )
            }
            Err(f) => {
                budget_exceeded = f.budget_exceeded;
                slot.status = StepStatus::Failed;
                slot.output = f.output;
                slot.error = Some(f.message.clone());
                let tries = if attempts > 1 {
                    format!(" after {attempts} attempts")
                } else {
                    String::new()
                };
                let mut summary = format!("step `{step_id}` failed{tries}: {}", f.message);
                if continue_on_error {
                    summary.push_str(" (continue_on_error: the run goes on)");
                }
                (StepStatus::Failed, Some(summary), Vec::new())
            }
        };
        let duration_ms = slot.duration_ms();
        let succeeded = |s: &mut String| {
            push_step_summary(s, &step_id, " succeeded in ");
            push_u64(s, duration_ms);
            s.push_str(" ms");
        };
        let summary = match summary {
            None if self.secrets.is_empty() => None,
            None => {
                let mut text = String::new();
                succeeded(&mut text);
                Some(self.secrets.text(&text))
            }
            Some(text) if self.secrets.is_empty() => Some(text),
            Some(text) => Some(self.secrets.text(&text)),
        };
        // A budget breach ends the run, continue_on_error or not.
        let fails_run = status == StepStatus::Failed && (!continue_on_error || budget_exceeded);
        // The first failure's summary becomes the run's reason.
        let reason =
            (fails_run && self.reason.is_none()).then(|| summary.clone().unwrap_or_default());
        self.record_step(idx);
        if status == StepStatus::Success && !self.mission.steps[idx].state.is_empty() {
            self.emitter.event.detail = Some(self.state_written(idx));
        }
        match summary {
            Some(summary) => self.emitter.emit_at(
                now,
                EventType::Progress,
                Some((&step_id, attempts)),
                "finished",
                RunStatus::Running,
                Some(status),
                summary,
                Vec::new(),
            ),
            None => {
                self.emitter
                    .emit_step(now, (&step_id, attempts), "finished", status, succeeded)
            }
        }
        if !artifacts.is_empty() {
            self.emitter.emit(
                EventType::Artifact,
                Some((&step_id, attempts)),
                "artifact",
                RunStatus::Running,
                Some(status),
                format!("step `{step_id}` wrote {}", artifacts.join(", ")),
                artifacts.clone(),
            );
            for a in artifacts {
                if !self.artifacts.contains(&a) {
                    self.artifacts.push(a);
                }
            }
        }
        if fails_run {
            self.failed_steps += 1;
            if reason.is_some() {
                self.reason = reason;
            }
            if budget_exceeded
                && !self
                    .reason
                    .as_deref()
                    .is_some_and(|r| r.contains("budget_exceeded"))
            {
                self.reason = Some(self.secrets.text(&format!(
                    "budget_exceeded: step `{step_id}`: {}",
                    self.slots[idx].error.as_deref().unwrap_or_default()
                )));
            }
            if self.fail_fast || budget_exceeded {
                let reason = self.reason.clone().unwrap_or_default();
                self.halt(Stop::FailFast, reason);
            }
        }
        let satisfies =
            status == StepStatus::Success || (status == StepStatus::Failed && continue_on_error);
        self.release(i, satisfies);
    }

    /// Tells the dependents of step `i` that it is final; a dependent whose dependencies are all
    /// final becomes ready, or is skipped when one of them did not let it run.
    pub(super) fn release(&mut self, i: u32, satisfies: bool) {
        let mut work = std::mem::take(&mut self.releasing);
        work.push((i, satisfies));
        while let Some((from, ok)) = work.pop() {
            for k in 0..self.dag.dependents(from as usize).len() {
                let d = self.dag.dependents(from as usize)[k];
                let slot = &mut self.slots[d as usize];
                slot.remaining -= 1;
                if !ok && slot.blocked_by == NOT_BLOCKED {
                    slot.blocked_by = from;
                }
                if slot.remaining > 0 || self.stop.is_some() {
                    continue;
                }
                match slot.blocked_by {
                    NOT_BLOCKED => self.ready.push(Reverse(d)),
                    blocker => {
                        let blocker_status = self.slots[blocker as usize].status;
                        let blocker_id = Arc::clone(&self.specs[blocker as usize].id);
                        let why = format!(
                            "skipped: dependency `{blocker_id}` {}",
                            match blocker_status {
                                StepStatus::Failed => "failed",
                                StepStatus::Cancelled => "was cancelled",
                                _ => "was skipped",
                            }
                        );
                        self.skip(d, why);
                        work.push((d, false));
                    }
                }
            }
        }
        self.releasing = work;
    }

    pub(super) fn skip(&mut self, d: u32, why: String) {
        let step_id = Arc::clone(&self.specs[d as usize].id);
        let slot = &mut self.slots[d as usize];
        slot.status = StepStatus::Skipped;
        slot.error = Some(why.clone());
        self.record_step(d as usize);
        self.emitter.emit(
            EventType::Progress,
            Some((&step_id, 0)),
            "skipped",
            RunStatus::Running,
            Some(StepStatus::Skipped),
            format!("step `{step_id}` {why}"),
            Vec::new(),
        );
    }

    /// Hands a step's final result (redacted) to the sink, before the event that reports it.
    pub(super) fn record_step(&mut self, idx: usize) {
        let slot = &self.slots[idx];
        let redacted = (!self.secrets.is_empty()).then(|| {
            (
                slot.output.as_ref().map(|o| self.secrets.value(o)),
                slot.error.as_deref().map(|e| self.secrets.text(e)),
            )
        });
        let (output, error) = match &redacted {
            Some((output, error)) => (output.as_ref(), error.as_deref()),
            None => (slot.output.as_ref(), slot.error.as_deref()),
        };
        let record = StepRecord {
            step_id: &self.specs[idx].id,
            step_type: &self.mission.steps[idx].step_type,
            status: slot.status,
            output,
            error,
            attempts: slot.attempts,
            started_at: slot.started.at(self.started_at),
            finished_at: slot.finished.at(self.started_at),
            duration_ms: slot.duration_ms(),
            reused_from: self.reused_from.get(&(idx as u32)).map(String::as_str),
        };
        self.emitter.step_finished(&record);
    }

    pub(super) fn write_state(&mut self, idx: usize) -> Result<(), String> {
        let writes = &self.mission.steps[idx].state;
        let mut updates = Vec::with_capacity(writes.len());
        for (name, template) in writes {
            let value = self
                .resolve(template)
                .map_err(|e| format!("state `{name}`: {e}"))?;
            updates.push((name.clone(), value));
        }
        self.state.write(updates)
    }
}
