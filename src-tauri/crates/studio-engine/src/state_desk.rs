//! Edits of a run's typed state by a person (DESIGN §14): while the run waits for an approval,
//! the host may set a state field; the run checks the value against the field's type, applies
//! it, and records it as an event and an audit row. At any other moment the edit is refused:
//! steps may be reading the state.

use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::{oneshot, Notify};

/// The host's side: hand it to the run in `RunOptions::state_desk`, keep a clone to propose
/// edits.
#[derive(Debug, Default)]
pub struct StateDesk {
    queue: Mutex<VecDeque<StateEdit>>,
    pub(crate) ready: Notify,
}

/// One proposed edit, answered by the run.
#[derive(Debug)]
pub(crate) struct StateEdit {
    pub field: String,
    pub value: Value,
    /// Who asked (shown in the event and the audit row).
    pub by: String,
    pub reply: oneshot::Sender<Result<(), String>>,
}

impl StateDesk {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Proposes `field = value`; resolves once the run applied it, or with why it did not
    /// (the run is not waiting for an approval, the value does not fit the field's type, the
    /// run has ended).
    pub async fn propose(&self, field: &str, value: Value, by: &str) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(StateEdit {
                field: field.to_string(),
                value,
                by: by.to_string(),
                reply,
            });
        self.ready.notify_one();
        answer
            .await
            .unwrap_or_else(|_| Err("the run has ended: its state can no longer change".into()))
    }

    pub(crate) fn take(&self) -> Vec<StateEdit> {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect()
    }
}
