//! Approvals (DESIGN §6, check 5): the engine asks an [`Approver`] and awaits its decision while
//! the step is `blocked`. The app implements [`Approver`] with its approval dialog (or uses
//! [`ChannelApprover`]), the CLI with `--approve all|none|prompt`.
//!
//! A decision is bound to the hash of the exact resolved step ([`ApprovalRequest::step_hash`]):
//! a decision that names another hash counts as a denial, so an approval can never carry over
//! to another step or to an edited one.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use tokio::sync::{mpsc, oneshot};

/// What the operator is asked to approve: exactly what will run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    pub run_id: String,
    pub mission_id: String,
    pub step_id: String,
    pub step_type: String,
    pub tool: String,
    pub tool_sector: String,
    /// `none`, `workspace` or `external`.
    pub side_effects: String,
    /// The attempt's worst-case cost in USD (what the budget reserved).
    pub estimated_cost_usd: f64,
    /// Why approval is needed (the rule that asked for it).
    pub why: String,
    /// The resolved parameters (or the prepared tool call), secrets masked.
    pub preview: Value,
    /// `sha256:` of the exact resolved step; the decision must name it.
    pub step_hash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalOutcome {
    Approved,
    Denied,
    /// Nobody could be asked (no terminal, no window): the step does not run.
    Unavailable,
}

/// The answer to one [`ApprovalRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalDecision {
    pub step_hash: String,
    pub outcome: ApprovalOutcome,
    /// Who decided (`operator`, `cli:--approve all`, …).
    pub by: String,
    #[serde(default)]
    pub note: Option<String>,
}

impl ApprovalDecision {
    pub fn approve(request: &ApprovalRequest, by: impl Into<String>) -> Self {
        Self::new(request, ApprovalOutcome::Approved, by)
    }

    pub fn deny(request: &ApprovalRequest, by: impl Into<String>) -> Self {
        Self::new(request, ApprovalOutcome::Denied, by)
    }

    pub fn unavailable(request: &ApprovalRequest, why: impl Into<String>) -> Self {
        Self::new(request, ApprovalOutcome::Unavailable, why)
    }

    fn new(request: &ApprovalRequest, outcome: ApprovalOutcome, by: impl Into<String>) -> Self {
        Self {
            step_hash: request.step_hash.clone(),
            outcome,
            by: by.into(),
            note: None,
        }
    }
}

/// A boxed future, so the trait stays object-safe.
pub type DecisionFuture = Pin<Box<dyn Future<Output = ApprovalDecision> + Send>>;

/// Decides approval requests. Called from the run's tasks; a request is only answered once.
pub trait Approver: Send + Sync {
    fn decide(&self, request: ApprovalRequest) -> DecisionFuture;
}

/// Approves everything (`--approve all`).
#[derive(Debug, Clone, Default)]
pub struct ApproveAll;

impl Approver for ApproveAll {
    fn decide(&self, request: ApprovalRequest) -> DecisionFuture {
        Box::pin(async move { ApprovalDecision::approve(&request, "approve-all") })
    }
}

/// Denies everything (`--approve none`).
#[derive(Debug, Clone, Default)]
pub struct DenyAll;

impl Approver for DenyAll {
    fn decide(&self, request: ApprovalRequest) -> DecisionFuture {
        Box::pin(async move { ApprovalDecision::deny(&request, "approve-none") })
    }
}

/// Nobody to ask: every request is `unavailable` (the default when the host gives no approver).
#[derive(Debug, Clone, Default)]
pub struct NoApprover;

impl Approver for NoApprover {
    fn decide(&self, request: ApprovalRequest) -> DecisionFuture {
        Box::pin(async move {
            ApprovalDecision::unavailable(&request, "no approver: nobody can be asked")
        })
    }
}

/// A pending request as the host receives it from a [`ChannelApprover`].
#[derive(Debug)]
pub struct PendingApproval {
    pub request: ApprovalRequest,
    reply: oneshot::Sender<ApprovalDecision>,
}

impl PendingApproval {
    /// Answers the request (the run resumes or skips the step).
    pub fn answer(self, decision: ApprovalDecision) {
        let _ = self.reply.send(decision);
    }
}

/// Forwards requests to the host over a channel (the app shows them and answers). A host that
/// drops the request or the receiver answers `unavailable`.
#[derive(Debug, Clone)]
pub struct ChannelApprover {
    tx: mpsc::UnboundedSender<PendingApproval>,
}

impl ChannelApprover {
    pub fn new() -> (Self, mpsc::UnboundedReceiver<PendingApproval>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx }, rx)
    }
}

impl Approver for ChannelApprover {
    fn decide(&self, request: ApprovalRequest) -> DecisionFuture {
        let (reply, answer) = oneshot::channel();
        let copy = request.clone();
        let sent = self.tx.send(PendingApproval { request, reply }).is_ok();
        Box::pin(async move {
            if !sent {
                return ApprovalDecision::unavailable(&copy, "the approval receiver is gone");
            }
            answer.await.unwrap_or_else(|_| {
                ApprovalDecision::unavailable(&copy, "the approval request was dropped")
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ApprovalRequest {
        ApprovalRequest {
            run_id: "r".into(),
            mission_id: "m".into(),
            step_id: "s".into(),
            step_type: "http".into(),
            tool: "http".into(),
            tool_sector: "common".into(),
            side_effects: "external".into(),
            estimated_cost_usd: 0.0,
            why: "strict".into(),
            preview: Value::Null,
            step_hash: "sha256:abc".into(),
        }
    }

    #[tokio::test]
    async fn a_channel_approver_relays_the_hosts_answer() {
        let (approver, mut rx) = ChannelApprover::new();
        let host = tokio::spawn(async move {
            let pending = rx.recv().await.unwrap();
            let decision = ApprovalDecision::approve(&pending.request, "operator");
            pending.answer(decision);
            // The next request is dropped unanswered.
            drop(rx.recv().await);
        });
        let d = approver.decide(request()).await;
        assert_eq!(d.outcome, ApprovalOutcome::Approved);
        assert_eq!(d.step_hash, "sha256:abc");
        let d = approver.decide(request()).await;
        assert_eq!(d.outcome, ApprovalOutcome::Unavailable);
        host.await.unwrap();
    }

    #[tokio::test]
    async fn fixed_approvers_answer_at_once() {
        assert_eq!(
            ApproveAll.decide(request()).await.outcome,
            ApprovalOutcome::Approved
        );
        assert_eq!(
            DenyAll.decide(request()).await.outcome,
            ApprovalOutcome::Denied
        );
        assert_eq!(
            NoApprover.decide(request()).await.outcome,
            ApprovalOutcome::Unavailable
        );
    }
}
