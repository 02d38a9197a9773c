//! A person edits the typed state while the run waits for an approval: the value is checked
//! against the field's type, used by the next step, and recorded as an event and an audit row;
//! at any other moment, or with a value of the wrong type, the edit is refused.

use serde_json::json;
use std::sync::{Arc, Mutex};
use studio_core::{Mission, RunStatus};
use studio_engine::approval::{ApprovalDecision, ApprovalRequest, Approver, DecisionFuture};
use studio_engine::audit::CollectingAudit;
use studio_engine::state_desk::StateDesk;
use studio_engine::{run_mission, CollectingSink, Governance, RunOptions};

/// Before approving, tries a wrong-typed value, then the right one.
struct EditThenApprove {
    desk: Arc<StateDesk>,
    answers: Arc<Mutex<Vec<Result<(), String>>>>,
}

impl Approver for EditThenApprove {
    fn decide(&self, request: ApprovalRequest) -> DecisionFuture {
        let desk = Arc::clone(&self.desk);
        let answers = Arc::clone(&self.answers);
        Box::pin(async move {
            let wrong = desk.propose("reviewer", json!(42), "tester").await;
            let right = desk.propose("reviewer", json!("Ada"), "tester").await;
            answers.lock().unwrap().extend([wrong, right]);
            ApprovalDecision::approve(&request, "tester")
        })
    }
}

#[tokio::test]
async fn a_state_field_edited_while_waiting_for_approval_is_used_by_the_next_step() {
    let mission: Mission = serde_json::from_value(json!({
        "name": "Edit State",
        "state_schema": {"fields": {"reviewer": {"type": "string", "default": "nobody"}}},
        "steps": [
            {"id": "gate", "step_type": "noop", "approval": "required"},
            {"id": "use", "step_type": "noop", "depends_on": ["gate"],
             "parameters": {"reviewed_by": "{{state.reviewer}}"},
             "state": {"reviewer": "{{state.reviewer}} (checked)"}},
        ]
    }))
    .unwrap();
    let desk = StateDesk::new();
    let answers = Arc::new(Mutex::new(Vec::new()));
    let audit = CollectingAudit::new();
    let dir = tempfile::tempdir().unwrap();
    let mut options = RunOptions::new(dir.path()).with_governance(Governance {
        approver: Arc::new(EditThenApprove {
            desk: Arc::clone(&desk),
            answers: Arc::clone(&answers),
        }),
        audit: vec![Arc::new(audit.clone())],
        ..Default::default()
    });
    options.state_desk = Some(Arc::clone(&desk));
    let mut sink = CollectingSink::default();
    let result = run_mission(&mission, options, &mut sink).await.unwrap();
    assert_eq!(result.status, RunStatus::Completed);

    let answers = answers.lock().unwrap().clone();
    assert!(
        answers[0].as_ref().unwrap_err().contains("string"),
        "{answers:?}"
    );
    assert_eq!(answers[1], Ok(()));
    assert_eq!(
        result.step_results["use"].output["reviewed_by"],
        json!("Ada")
    );
    assert_eq!(result.state["reviewer"], json!("Ada (checked)"));

    let edits: Vec<_> = sink
        .events()
        .iter()
        .filter_map(|e| e.detail.as_ref()?.get("state_edit").cloned())
        .collect();
    assert_eq!(
        edits,
        [json!({"field": "reviewer", "value": "Ada", "previous": "nobody", "by": "tester"})]
    );
    let written: Vec<_> = sink
        .events()
        .iter()
        .filter_map(|e| Some((e.step_id.clone()?, e.detail.as_ref()?.get("state")?.clone())))
        .collect();
    assert_eq!(written.len(), 1);
    assert_eq!(&*written[0].0, "use");
    assert_eq!(written[0].1, json!({"reviewer": "Ada (checked)"}));
    let rows = audit.rows();
    let row = rows
        .iter()
        .find(|r| r.tool == "state_edit")
        .expect("an audit row");
    assert!(
        row.reason.contains("`reviewer` set to \"Ada\" by tester"),
        "{}",
        row.reason
    );
    assert!(!row.at.is_empty());
}

#[tokio::test]
async fn an_edit_while_nothing_waits_for_approval_is_refused() {
    let mission: Mission = serde_json::from_value(json!({
        "name": "No Wait",
        "state_schema": {"fields": {"n": {"type": "int", "default": 1}}},
        "steps": [{"id": "slow", "step_type": "command",
                   "parameters": {"command": "sleep", "args": ["1"]}}]
    }))
    .unwrap();
    let desk = StateDesk::new();
    let dir = tempfile::tempdir().unwrap();
    let mut options = RunOptions::new(dir.path());
    options.state_desk = Some(Arc::clone(&desk));
    let edit = {
        let desk = Arc::clone(&desk);
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            desk.propose("n", json!(5), "tester").await
        })
    };
    let mut sink = CollectingSink::default();
    let result = run_mission(&mission, options, &mut sink).await.unwrap();
    let answer = edit.await.unwrap();
    assert!(
        answer
            .as_ref()
            .unwrap_err()
            .contains("not waiting for an approval"),
        "{answer:?}"
    );
    assert_eq!(result.state["n"], json!(1));
}
