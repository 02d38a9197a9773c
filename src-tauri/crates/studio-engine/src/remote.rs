//! Steps run by another process: a squad's workers over NATS (DESIGN §13).
//!
//! The run keeps its graph, gate, approvals and history where it is. When its options name a
//! [`StepDispatcher`], each step that passed the gate is handed over as a [`RemoteStep`]
//! instead of running here, and its attempt ends with the [`StepOutcome`] the dispatcher brings
//! back. Retries, timeouts, cancellation and the events stay the run's. `agent` and `chain`
//! steps always run here: their every model turn and tool call passes this run's gate.
//!
//! On the other side, a worker runs a [`RemoteStepRequest`] with [`run_remote_step`]: the same
//! step code, under the same workspace confinement and read-only sandbox, with the worker's own
//! providers and environment.

use crate::budget::Spend;
use crate::pricing::PriceTable;
use crate::providers::ProviderTable;
use crate::steps::{self, Failure, FailureKind, RunSetup, Shared, StepCtx, StepKind, StepOutput};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// One attempt of a step handed to another process.
#[derive(Debug, Clone)]
pub struct RemoteStep {
    pub mission_id: Arc<str>,
    pub run_id: Arc<str>,
    pub trace_id: Arc<str>,
    pub step_id: Arc<str>,
    pub attempt: u32,
    /// The department whose workers may run it.
    pub dept: String,
    /// False: a second run could repeat an external effect, so a redelivery must not run it.
    pub idempotent: bool,
    pub request: RemoteStepRequest,
}

/// What a worker needs to run the step: the prepared parameters and the run's settings that
/// steps read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteStepRequest {
    pub step_type: String,
    /// Resolved and prepared: what the gate admitted.
    pub params: Value,
    /// The run's workspace on the control plane's machine. A worker uses it when it lies under
    /// the folders it shares with the control plane, else a folder of its own for the run.
    pub workspace: PathBuf,
    /// The attempt's timeout, enforced by the worker too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Commands start confined to the workspace (Landlock), as in a read-only local run.
    #[serde(default)]
    pub read_only_sandbox: bool,
    #[serde(default)]
    pub simulate_llm: bool,
    /// The mission's goal, constraints and perimeter, put first in every LLM system message.
    #[serde(default)]
    pub llm_context: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices: Option<PriceTable>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub granted_roots: Vec<PathBuf>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_host_keys: Vec<String>,
}

/// How a remote attempt ended, as it travels back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum StepOutcome {
    Succeeded {
        value: Value,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        links: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        artifacts: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        usage: Option<Spend>,
    },
    Failed {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        usage: Option<Spend>,
        /// Stopped from outside (cancelled, timed out), not a failure of its own.
        #[serde(default)]
        interrupted: bool,
        /// Its worker was lost mid-run and it is not idempotent: not run again, not retried.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        lost: bool,
    },
}

impl StepOutcome {
    /// A failure of the step itself.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::Failed {
            message: message.into(),
            output: None,
            usage: None,
            interrupted: false,
            lost: false,
        }
    }

    /// The step's worker was lost and it must not run twice; `message` starts with
    /// `interrupted:` and says so.
    pub fn lost(message: impl Into<String>) -> Self {
        Self::Failed {
            message: message.into(),
            output: None,
            usage: None,
            interrupted: false,
            lost: true,
        }
    }

    /// The attempt was stopped from outside; `message` says why.
    pub fn interrupted(message: impl Into<String>) -> Self {
        Self::Failed {
            message: message.into(),
            output: None,
            usage: None,
            interrupted: true,
            lost: false,
        }
    }

    pub fn is_success(&self) -> bool {
        matches!(self, Self::Succeeded { .. })
    }

    pub(crate) fn from_result(result: Result<StepOutput, Failure>) -> Self {
        match result {
            Ok(out) => Self::Succeeded {
                value: out.value,
                links: out.links,
                artifacts: out.artifacts,
                usage: out.usage,
            },
            Err(f) => Self::Failed {
                message: f.message,
                output: f.output,
                usage: f.usage,
                interrupted: f.kind == FailureKind::Interrupted,
                lost: f.kind == FailureKind::Lost,
            },
        }
    }

    pub(crate) fn into_result(self) -> Result<StepOutput, Failure> {
        match self {
            Self::Succeeded {
                value,
                links,
                artifacts,
                usage,
            } => Ok(StepOutput {
                value,
                links,
                artifacts,
                usage,
            }),
            Self::Failed {
                message,
                output,
                usage,
                interrupted,
                lost,
            } => {
                let mut f = Failure::new(message);
                f.output = output;
                f.usage = usage;
                if interrupted {
                    f.kind = FailureKind::Interrupted;
                } else if lost {
                    f.kind = FailureKind::Lost;
                }
                Err(f)
            }
        }
    }
}

/// What a dispatcher tells the run while it holds a step.
#[derive(Debug, Clone, PartialEq)]
pub enum DispatchNote {
    /// No live worker can take it yet: the step is `blocked` (a `mission.blocked` event says
    /// why) until one connects or the run's timeout ends it.
    WaitingForWorker { reason: String },
    /// A worker took it (a `mission.progress` event with `detail.worker`); `delivery` counts
    /// the broker's deliveries of the job (2 and more: the job moved to another worker).
    Started {
        worker_id: String,
        dept: String,
        delivery: u64,
    },
}

/// Reports [`DispatchNote`]s to the run that dispatched the step.
#[derive(Clone)]
pub struct DispatchNotes(Arc<dyn Fn(DispatchNote) + Send + Sync>);

impl DispatchNotes {
    pub fn new(f: impl Fn(DispatchNote) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    pub fn send(&self, note: DispatchNote) {
        (self.0)(note)
    }
}

/// The future of one dispatched attempt.
pub type DispatchFuture = Pin<Box<dyn Future<Output = StepOutcome> + Send>>;

/// Hands steps to other processes. The run drops the future when the attempt times out or
/// the run is cancelled; `cancel` is cancelled then too, so the dispatcher can tell the worker.
pub trait StepDispatcher: Send + Sync {
    fn dispatch(
        &self,
        step: RemoteStep,
        notes: DispatchNotes,
        cancel: CancellationToken,
    ) -> DispatchFuture;
}

impl std::fmt::Debug for dyn StepDispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StepDispatcher")
    }
}

/// Whether steps of this type may be handed to a worker: all but `agent` and `chain`, whose
/// turns and tool calls need the run's own gate.
pub fn dispatchable(step_type: &str) -> bool {
    !matches!(StepKind::parse(step_type), Some(StepKind::Agents(_)))
}

/// A step's department when dispatched: its `dept:`, else its tool's sector (unless `common`),
/// else the mission's first `required_depts`; written as a subject token (lower case, `_` for
/// anything but letters, digits, `-` and `_`).
pub fn department(step_dept: Option<&str>, sector: &str, required: &[String]) -> Option<String> {
    let raw = step_dept
        .filter(|d| !d.trim().is_empty())
        .or_else(|| (!sector.eq_ignore_ascii_case(crate::tools::COMMON_SECTOR)).then_some(sector))
        .filter(|d| !d.trim().is_empty())
        .or_else(|| {
            required
                .iter()
                .map(String::as_str)
                .find(|d| !d.trim().is_empty())
        })?;
    Some(subject_token(raw))
}

fn subject_token(raw: &str) -> String {
    raw.trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// What a worker brings to every step it runs.
#[derive(Debug, Clone, Default)]
pub struct WorkerSetup {
    /// The worker's providers (its own keys and endpoints).
    pub providers: Arc<ProviderTable>,
    /// The knowledge store of `rag_*` steps on this machine.
    pub knowledge_store: Option<PathBuf>,
}

/// Runs one dispatched step here, in `workspace`, until it ends, times out or `cancel` fires.
pub async fn run_remote_step(
    request: RemoteStepRequest,
    workspace: PathBuf,
    setup: &WorkerSetup,
    cancel: CancellationToken,
) -> StepOutcome {
    let Some(kind) = StepKind::parse(&request.step_type) else {
        return StepOutcome::failed(format!(
            "this worker cannot run step type `{}` (version {})",
            request.step_type,
            studio_core::VERSION
        ));
    };
    if !dispatchable(&request.step_type) {
        return StepOutcome::failed(format!(
            "step type `{}` runs on the control plane, not on a worker",
            request.step_type
        ));
    }
    let ws = match crate::steps::Workspace::open(&workspace) {
        Ok(ws) => ws,
        Err(e) => {
            return StepOutcome::failed(format!(
                "cannot open the workspace {}: {e}",
                workspace.display()
            ))
        }
    };
    let confine = request.read_only_sandbox && crate::sandbox::support().enforced;
    let run_setup = RunSetup {
        llm_context: request.llm_context,
        prices: request.prices.unwrap_or_default(),
        env: None,
        confine_commands_to: confine.then(|| ws.root().clone()),
        providers: Arc::clone(&setup.providers),
        simulate_llm: request.simulate_llm,
        granted_roots: request.granted_roots,
        trusted_host_keys: request.trusted_host_keys,
        knowledge_store: setup.knowledge_store.clone(),
    };
    let ctx = StepCtx {
        shared: Arc::new(Shared::with_setup(ws, run_setup)),
        cancel: cancel.child_token(),
        agent: None,
    };
    let params = request.params;
    let fut = steps::run(kind, params, &ctx);
    tokio::pin!(fut);
    let timeout = request.timeout_ms.map(Duration::from_millis);
    let result = tokio::select! {
        result = &mut fut => result,
        _ = sleep_or_never(timeout) => {
            ctx.cancel.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(5), &mut fut).await;
            Err(Failure::new(format!(
                "timed out after {}s",
                timeout.unwrap_or_default().as_secs()
            )))
        }
        _ = cancel.cancelled() => {
            ctx.cancel.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(5), &mut fut).await;
            Err(Failure::interrupted())
        }
    };
    StepOutcome::from_result(result)
}

async fn sleep_or_never(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_step_department_comes_from_its_field_then_the_sector_then_the_mission() {
        let req = vec!["Research Ops".to_string()];
        assert_eq!(
            department(Some("Ops"), "Finance", &req).as_deref(),
            Some("ops")
        );
        assert_eq!(
            department(None, "Finance", &req).as_deref(),
            Some("finance")
        );
        assert_eq!(
            department(None, "common", &req).as_deref(),
            Some("research_ops")
        );
        assert_eq!(department(None, "common", &[]), None);
    }

    #[test]
    fn outcomes_round_trip_through_json() {
        let ok = StepOutcome::Succeeded {
            value: json!({"a": 1}),
            links: vec![],
            artifacts: vec!["x.txt".into()],
            usage: None,
        };
        let text = serde_json::to_string(&ok).unwrap();
        assert_eq!(serde_json::from_str::<StepOutcome>(&text).unwrap(), ok);
        let lost = StepOutcome::interrupted("lost");
        let back = lost.clone().into_result().unwrap_err();
        assert_eq!(back.kind, FailureKind::Interrupted);
        assert_eq!(StepOutcome::from_result(Err(back)), lost);
    }

    #[tokio::test]
    async fn a_worker_runs_a_step_in_the_workspace_it_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let request = RemoteStepRequest {
            step_type: "create_file".into(),
            params: json!({"path": "out/a.txt", "content": "hello"}),
            workspace: dir.path().to_path_buf(),
            timeout_ms: None,
            read_only_sandbox: false,
            simulate_llm: true,
            llm_context: String::new(),
            prices: None,
            granted_roots: vec![],
            trusted_host_keys: vec![],
        };
        let out = run_remote_step(
            request,
            dir.path().to_path_buf(),
            &WorkerSetup::default(),
            CancellationToken::new(),
        )
        .await;
        assert!(out.is_success(), "{out:?}");
        let text = std::fs::read_to_string(dir.path().join("out/a.txt")).unwrap();
        assert_eq!(text, "hello");
    }
}
