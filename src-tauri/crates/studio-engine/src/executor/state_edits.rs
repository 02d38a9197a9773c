//! A person's edits of the typed state while the run waits for an approval (see
//! [`crate::state_desk`]), and the record of what each step wrote.

use super::Run;
use crate::audit::{AuditRecord, Check, Decision};
use crate::events::EventType;
use crate::state_desk::{StateDesk, StateEdit};
use serde_json::{json, Value};
use studio_core::RunStatus;

/// Resolves when edits wait on the desk; never without a desk.
pub(super) async fn arrive(desk: Option<&StateDesk>) {
    match desk {
        Some(desk) => desk.ready.notified().await,
        None => std::future::pending().await,
    }
}

impl Run<'_> {
    /// Applies one edit when the run waits for an approval and the value fits the field; a
    /// `mission.progress` event (`detail.state_edit`) and an audit row record it.
    pub(super) fn edit_state(&mut self, edit: StateEdit) {
        let StateEdit {
            field,
            value,
            by,
            reply,
        } = edit;
        if self.blocked == 0 || self.stop.is_some() {
            let _ = reply.send(Err(
                "the run is not waiting for an approval: its state can be edited only while it waits"
                    .into(),
            ));
            return;
        }
        let previous = self
            .state
            .values()
            .get(&field)
            .cloned()
            .unwrap_or(Value::Null);
        if let Err(message) = self.state.write(vec![(field.clone(), value.clone())]) {
            let _ = reply.send(Err(message));
            return;
        }
        let shown = self.secrets.value(&value);
        let was = self.secrets.value(&previous);
        let summary = self.secrets.text(&format!(
            "state `{field}` set to {shown} by {by} while the run waited for approval (was {was})"
        ));
        self.emitter.event.detail = Some(json!({
            "state_edit": {"field": field, "value": shown, "previous": was, "by": by}
        }));
        self.emitter.emit(
            EventType::Progress,
            None,
            &format!("state.edit.{field}.{}", self.emitter.event.seq + 1),
            RunStatus::Blocked,
            None,
            summary.clone(),
            Vec::new(),
        );
        self.gate.record_audit(&AuditRecord {
            run_id: self.emitter.run_id().to_string(),
            mission_id: self.emitter.mission_id().to_string(),
            step_id: format!("state.{field}"),
            attempt: 1,
            tool: "state_edit".into(),
            tool_sector: crate::tools::COMMON_SECTOR.into(),
            mission_sector: self.mission.sector.clone().unwrap_or_default(),
            authorising_sector: None,
            decision: Decision::Allowed,
            check: Check::Approval,
            reason: summary,
            trace_id: self.emitter.trace_id().to_string(),
            at: String::new(),
        });
        let _ = reply.send(Ok(()));
    }

    /// `{state: {field: value}}`: what a step that succeeded wrote to the state.
    pub(super) fn state_written(&self, idx: usize) -> Value {
        let values = self.state.values();
        let written: serde_json::Map<String, Value> = self.mission.steps[idx]
            .state
            .keys()
            .filter_map(|name| {
                values
                    .get(name)
                    .map(|v| (name.clone(), self.secrets.value(v)))
            })
            .collect();
        json!({ "state": written })
    }
}
