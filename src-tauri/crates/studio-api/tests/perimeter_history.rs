//! The perimeter's records in the history: audit rows and approval requests, through the API.

use serde_json::json;
use std::sync::Arc;
use studio_api::{AppPaths, StudioApi};
use studio_core::{Mission, RunStatus};
use studio_engine::approval::{ApproveAll, DenyAll};
use studio_engine::audit::Decision;
use studio_engine::{CollectingSink, Governance, RunOptions};

fn mission() -> Mission {
    serde_json::from_value(json!({
        "name": "Approvals In History",
        "sector": "Operations",
        "perimeter": {"approval": {"mode": "strict"}},
        "steps": [
            {"id": "look", "step_type": "noop"},
            {"id": "write", "step_type": "create_file", "depends_on": ["look"],
             "parameters": {"path": "a.txt", "content": "A"}}
        ]
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_rows_and_approvals_reach_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
    for (approver, status) in [
        (
            Arc::new(ApproveAll) as Arc<dyn studio_engine::approval::Approver>,
            "approved",
        ),
        (Arc::new(DenyAll), "denied"),
    ] {
        let options = RunOptions::new(std::path::PathBuf::new()).with_governance(Governance {
            approver,
            ..Default::default()
        });
        let outcome = api
            .run_recorded(&mission(), options, CollectingSink::new())
            .await
            .unwrap();
        assert_eq!(outcome.history_error, None);
        let run_id = outcome.result.run_id.clone();
        let rows = api.audit(Some(&run_id)).unwrap();
        assert_eq!(rows.len(), 2, "one row per decision: {rows:?}");
        assert_eq!(rows[0].step_id, "look");
        assert_eq!(rows[0].mission_sector, "Operations");
        let approvals = api.approvals(&run_id).unwrap();
        assert_eq!(approvals.len(), 1);
        assert_eq!(approvals[0].step_id, "write");
        assert_eq!(approvals[0].status, status);
        assert_eq!(approvals[0].note, None, "no note was given");
        if status == "denied" {
            assert_eq!(outcome.result.status, RunStatus::Failed);
            assert_eq!(rows[1].decision, Decision::Denied);
        } else {
            assert_eq!(rows[1].decision, Decision::Allowed);
        }
        let evidence = outcome.evidence_dir.join("evidence/audit.jsonl");
        assert_eq!(
            std::fs::read_to_string(evidence).unwrap().lines().count(),
            2
        );
    }
    assert_eq!(api.audit(None).unwrap().len(), 4, "every run, newest first");
}
