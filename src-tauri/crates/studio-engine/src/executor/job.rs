//! One step's attempts, run as a tokio task, and its re-admission by the gate between
//! attempts.

use super::{Msg, INTERRUPT_GRACE};
use crate::budget::Reservation;
use crate::gate::{Gate, GateRequest, Refusal, RefusalKind, Verdict};
use crate::governance::Prepared;
use crate::steps::{self, Failure, FailureKind, Shared, StepCtx, StepKind, StepOutput};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// One step's attempts, run as a tokio task.
pub(super) struct Job {
    pub(super) idx: u32,
    pub(super) kind: StepKind,
    pub(super) params: Value,
    pub(super) max_attempts: u32,
    pub(super) timeout: Option<Duration>,
    pub(super) retry_delay: Duration,
    pub(super) run_token: CancellationToken,
    pub(super) shared: Arc<Shared>,
    pub(super) tx: mpsc::UnboundedSender<Msg>,
    /// The gate's part: the first attempt's reservation, and what later attempts ask with.
    pub(super) governed: Option<JobGate>,
    /// What an `agent` or `chain` step gets from the run.
    pub(super) agent: Option<Arc<steps::agents::AgentRuntime>>,
    /// Set when a worker runs the step (the run has a dispatcher).
    pub(super) remote: Option<RemoteJob>,
}

/// A step handed to a squad's worker: the dispatcher, the step as sent (its attempt and
/// parameters set per attempt) and the way back to the scheduler.
pub(super) struct RemoteJob {
    pub(super) dispatcher: Arc<dyn crate::remote::StepDispatcher>,
    pub(super) step: crate::remote::RemoteStep,
    pub(super) notes: crate::remote::DispatchNotes,
}

pub(super) struct JobGate {
    pub(super) gate: Arc<Gate>,
    pub(super) reservation: Reservation,
    pub(super) prepared: Prepared,
    pub(super) preview: Option<Value>,
    pub(super) step_id: Arc<str>,
    pub(super) step_type: String,
    pub(super) step_approval: Option<studio_core::StepApproval>,
    pub(super) simulated: bool,
}

impl JobGate {
    /// Passes the gate again for a retry; the approval of the same exact step carries over.
    pub(super) fn readmit(&mut self, attempt: u32) -> Result<Value, Failure> {
        let request = GateRequest {
            step_id: &self.step_id,
            step_type: &self.step_type,
            attempt,
            tool: &self.prepared.identity,
            simulated: self.simulated,
            runs_command: self.prepared.runs_command,
            step_approval: self.step_approval,
            llm: self.prepared.llm.as_ref(),
            params: &self.prepared.params,
            preview: self.preview.as_ref().unwrap_or(&self.prepared.params),
            endpoints: &self.prepared.endpoints,
        };
        match self.gate.admit(&request) {
            Verdict::Allow(r) => {
                let mut prepared = self.prepared.clone();
                if let Some(granted) = r.granted_max_tokens {
                    prepared.grant_max_tokens(granted);
                }
                self.reservation = r;
                Ok(prepared.params)
            }
            Verdict::Refuse(refusal) => Err(refusal_failure(refusal)),
            Verdict::Ask(ask) => {
                self.gate.release(&ask.reservation);
                Err(Failure::new(format!(
                    "approval_denied: attempt {attempt} needs a new approval ({})",
                    ask.request.why
                )))
            }
        }
    }
}

pub(super) fn refusal_failure(refusal: Refusal) -> Failure {
    let mut f = Failure::new(refusal.reason);
    f.budget_exceeded = refusal.kind == RefusalKind::BudgetExceeded;
    f
}

impl Job {
    pub(super) async fn run(mut self) {
        let mut attempt = 1;
        loop {
            let last = attempt >= self.max_attempts;
            let params = match (&mut self.governed, attempt) {
                (Some(g), n) if n > 1 => match g.readmit(n) {
                    Ok(params) => params,
                    Err(failure) => {
                        let _ = self.tx.send(Msg::Done {
                            idx: self.idx,
                            attempts: attempt,
                            result: Err(failure),
                        });
                        return;
                    }
                },
                _ => self.params.clone(),
            };
            let result = self.attempt(attempt, params).await;
            if let Some(g) = &self.governed {
                let used = match &result {
                    Ok(out) => out.usage,
                    Err(f) => f.usage,
                };
                g.gate.settle(&g.reservation, used);
            }
            match result {
                Err(f)
                    if f.kind == FailureKind::Error && !last && !self.run_token.is_cancelled() =>
                {
                    let _ = self.tx.send(Msg::Retry {
                        idx: self.idx,
                        attempt,
                        error: f.message,
                        delay_ms: self.retry_delay.as_millis() as u64,
                    });
                    tokio::select! {
                        _ = tokio::time::sleep(self.retry_delay) => {}
                        _ = self.run_token.cancelled() => {
                            let _ = self.tx.send(Msg::Done {
                                idx: self.idx,
                                attempts: attempt,
                                result: Err(Failure::interrupted()),
                            });
                            return;
                        }
                    }
                    attempt += 1;
                }
                result => {
                    let _ = self.tx.send(Msg::Done {
                        idx: self.idx,
                        attempts: attempt,
                        result,
                    });
                    return;
                }
            }
        }
    }

    /// One attempt, bounded by the step timeout and the run's cancellation. An interrupted step
    /// gets a grace period to kill and reap its processes before it is dropped.
    pub(super) async fn attempt(&self, attempt: u32, params: Value) -> Result<StepOutput, Failure> {
        let ctx = StepCtx {
            shared: Arc::clone(&self.shared),
            cancel: self.run_token.child_token(),
            agent: self.agent.clone(),
        };
        let fut: std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send + '_>> =
            match &self.remote {
                Some(remote) => {
                    let mut step = remote.step.clone();
                    step.attempt = attempt;
                    step.request.params = params;
                    let sent =
                        remote
                            .dispatcher
                            .dispatch(step, remote.notes.clone(), ctx.cancel.clone());
                    Box::pin(async move { sent.await.into_result() })
                }
                None => Box::pin(steps::run(self.kind, params, &ctx)),
            };
        tokio::pin!(fut);
        let timeout = self.timeout.unwrap_or(Duration::from_secs(86_400 * 365));
        let has_timeout = self.timeout.is_some();
        tokio::select! {
            result = &mut fut => result,
            _ = tokio::time::sleep(timeout), if has_timeout => {
                ctx.cancel.cancel();
                let _ = tokio::time::timeout(INTERRUPT_GRACE, &mut fut).await;
                Err(Failure::new(format!("timed out after {}s", timeout.as_secs())))
            }
            _ = self.run_token.cancelled() => {
                let _ = tokio::time::timeout(INTERRUPT_GRACE, &mut fut).await;
                Err(Failure::interrupted())
            }
        }
    }
}
