//! What a run is given besides the mission: its ids, workspace, inputs, governance and the
//! outputs it may reuse.

use crate::governance::Governance;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Everything a run needs besides the mission.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub run_id: String,
    pub trace_id: String,
    /// The run's workspace folder (created if missing). File steps are confined to it and
    /// commands start in it.
    pub workspace: PathBuf,
    /// Run inputs, read as `{{context.<name>}}` or `{{<name>}}` (`--var name=value`); they
    /// override the mission's `variables` and declared `parameters` defaults.
    pub context: BTreeMap<String, Value>,
    /// Values for `{{env.NAME}}`; `None` reads the process environment.
    pub env: Option<BTreeMap<String, String>>,
    /// Cancelling it cancels the run (the UI's button, Ctrl-C).
    pub cancel: CancellationToken,
    /// Outputs of an earlier run to reuse, by step id (`mission resume`): such a step does not
    /// run; it succeeds at once with the output (its `state:` writes apply again).
    pub reuse: BTreeMap<String, ReusedOutput>,
    /// The perimeter, tools, approver, audit sinks and prices of the run (DESIGN §6).
    pub governance: Governance,
    /// The knowledge store of the `rag_*` steps: `knowledge.db` in the data folder, so every
    /// run reads what earlier ones added. `None` (a host without a data folder, tests): each
    /// run keeps its own in its workspace, `.knowledge/knowledge.db`.
    pub knowledge_store: Option<PathBuf>,
    /// Hands the run's steps to a squad's workers instead of running them here (`--nats`);
    /// `None` runs every step in this process. See [`crate::remote`].
    pub dispatcher: Option<Arc<dyn crate::remote::StepDispatcher>>,
    /// Where a person's edits of the typed state arrive while the run waits for an approval
    /// (see [`crate::state_desk`]); `None`: nobody edits.
    pub state_desk: Option<Arc<crate::state_desk::StateDesk>>,
}

/// A step output taken over from an earlier run.
#[derive(Debug, Clone, PartialEq)]
pub struct ReusedOutput {
    /// The run that produced the output.
    pub from_run: String,
    pub output: Value,
}

impl RunOptions {
    /// Options with fresh run and trace ids.
    pub fn new(workspace: impl Into<PathBuf>) -> Self {
        Self {
            run_id: crate::new_run_id(),
            trace_id: crate::new_trace_id(),
            workspace: workspace.into(),
            context: BTreeMap::new(),
            env: None,
            cancel: CancellationToken::new(),
            reuse: BTreeMap::new(),
            governance: Governance::default(),
            knowledge_store: None,
            dispatcher: None,
            state_desk: None,
        }
    }

    pub fn with_governance(mut self, governance: Governance) -> Self {
        self.governance = governance;
        self
    }

    /// Reuses an earlier run's output for a step instead of running it.
    pub fn with_reused(mut self, step_id: impl Into<String>, reused: ReusedOutput) -> Self {
        self.reuse.insert(step_id.into(), reused);
        self
    }

    pub fn with_var(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.context.insert(name.into(), value.into());
        self
    }

    pub fn with_cancel(mut self, cancel: CancellationToken) -> Self {
        self.cancel = cancel;
        self
    }
}
