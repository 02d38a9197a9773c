//! The history through the API, as the app and the CLI use it: real runs, a real database and
//! evidence folders in a temporary data folder.

use serde_json::json;
use studio_api::{AppPaths, ErrorCode, RunFilter, StudioApi};
use studio_core::{Mission, RunStatus, StepStatus};
use studio_engine::{CollectingSink, Event, EventType, RunOptions, Usage};
use studio_store::{NewRun, ProcessIdentity, Store, Write};

fn mission(prog: &str) -> Mission {
    serde_json::from_value(json!({
        "name": "Api History",
        "steps": [
            {"id": "a", "step_type": "create_file", "parameters": {"path": "a.txt", "content": "A"}},
            {"id": "b", "step_type": "command", "depends_on": ["a"],
             "parameters": {"command": prog}},
            {"id": "c", "step_type": "read_file", "depends_on": ["b"],
             "parameters": {"path": "a.txt"}}
        ]
    }))
    .unwrap()
}

fn options() -> RunOptions {
    RunOptions::new(std::path::PathBuf::new())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_are_recorded_listed_shown_compared_and_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
    let failed = api
        .run_recorded(&mission("false"), options(), CollectingSink::new())
        .await
        .unwrap();
    assert_eq!(failed.result.status, RunStatus::Failed);
    assert_eq!(failed.history_error, None);

    let listed = api.history(&RunFilter::default()).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].run_id, failed.result.run_id);
    assert_eq!(
        listed[0].evidence_dir.as_deref(),
        Some(failed.evidence_dir.to_str().unwrap())
    );

    let plan = api.prepare_resume(&failed.result.run_id).unwrap();
    assert_eq!(plan.reuse.keys().collect::<Vec<_>>(), ["a"]);
    assert_eq!(plan.rerun_steps(), ["b", "c"]);
    // The resumed run runs `b` again; here it is fixed by editing the stored mission's command.
    let mut fixed = plan.clone();
    fixed.mission.steps[1].parameters = json!({"command": "true"});
    let resumed = api
        .resume_recorded(&fixed, options(), CollectingSink::new())
        .await
        .unwrap();
    assert_eq!(resumed.result.status, RunStatus::Completed);
    assert_eq!(
        resumed.result.step_results["c"].output["content"], "A",
        "the reused step's file was carried over into the new workspace"
    );
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(resumed.evidence_dir.join("meta.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["resumed_from"], failed.result.run_id.as_str());
    assert_eq!(meta["reused_steps"]["a"], failed.result.run_id.as_str());
    let raw: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(resumed.evidence_dir.join("evidence/raw/a.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(raw["reused_from"], failed.result.run_id.as_str());
    let steps_md = std::fs::read_to_string(resumed.evidence_dir.join("evidence/steps.md")).unwrap();
    assert!(steps_md.contains("Reused steps: a"), "{steps_md}");

    let details = api.run_details(&resumed.result.run_id).unwrap();
    assert_eq!(
        details.run.resumed_from.as_deref(),
        Some(&*failed.result.run_id)
    );
    assert_eq!(details.steps.len(), 3);
    assert_eq!(
        details.events.first().unwrap().event_type,
        EventType::Accepted
    );
    assert!(details.events.last().unwrap().event_type.is_final());

    let diff = api
        .diff_runs(&failed.result.run_id, &resumed.result.run_id)
        .unwrap();
    let b = diff.steps.iter().find(|s| s.step_id == "b").unwrap();
    assert_eq!(b.a.as_ref().unwrap().status, StepStatus::Failed);
    assert_eq!(b.b.as_ref().unwrap().status, StepStatus::Success);
    let a = diff.steps.iter().find(|s| s.step_id == "a").unwrap();
    assert!(a.same_output, "a reused output is the same output");

    let newest_first = api.history(&RunFilter::default()).unwrap();
    assert_eq!(newest_first[0].run_id, resumed.result.run_id);
    let only_failed = api
        .history(&RunFilter {
            status: Some(RunStatus::Failed),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(only_failed.len(), 1);

    let err = api.run_details("no-such-run").unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound, "{err}");
    assert_eq!(
        api.prepare_resume("no-such-run").unwrap_err().code,
        ErrorCode::NotFound
    );
}

#[test]
fn the_first_open_recovers_runs_of_dead_processes_and_cleans_their_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let paths = AppPaths::at(dir.path());
    paths.ensure().unwrap();
    // A run whose process is gone: its row says running, its meta.json too, and an atomic
    // write was cut short.
    let evidence = paths.runs_dir().join("20260101-0000__default__crashed");
    std::fs::create_dir_all(evidence.join("evidence/raw")).unwrap();
    std::fs::write(
        evidence.join("meta.json"),
        serde_json::to_string(&json!({
            "run_id": "crashed", "mission_id": "m", "mission_name": "M", "trace_id": "t",
            "logic_hash": "h", "status": "running", "reason": null,
            "started_at": "2026-01-01T00:00:00.000Z", "finished_at": null,
            "total_duration_ms": null, "broker": null, "model": null, "outputs": [],
            "evidence": [], "environment": {"app_version": "0", "os": "linux", "arch": "x",
            "family": "unix"}, "usage": {"runtime_ms": 0, "llm_calls": 0, "tokens": 0,
            "cost_usd": 0.0}, "steps": {}, "state": {}
        }))
        .unwrap(),
    )
    .unwrap();
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = ProcessIdentity {
        pid: child.id(),
        start_ticks: Some(1),
    };
    child.wait().unwrap();
    std::fs::write(
        evidence.join(format!("evidence/raw/.a.json.tmp-{}", dead.pid)),
        "{",
    )
    .unwrap();
    {
        let mut store = Store::open(paths.database_path()).unwrap();
        let accepted = Event {
            event_type: EventType::Accepted,
            mission_id: "m".into(),
            run_id: "crashed".into(),
            trace_id: "t".into(),
            seq: 1,
            idempotency_key: "crashed:-:0:mission.accepted/accepted".into(),
            step_id: None,
            attempt: None,
            status: RunStatus::Running,
            step_status: None,
            summary: "run accepted".into(),
            artifact_refs: vec![],
            usage: Usage::default(),
            emitted_at: "2026-01-01T00:00:00.000Z".into(),
            detail: None,
        };
        let run = NewRun {
            run_id: "crashed".into(),
            mission_id: "m".into(),
            mission_name: "M".into(),
            trace_id: "t".into(),
            logic_hash: "h".into(),
            evidence_dir: Some(evidence.display().to_string()),
            resumed_from: None,
            mission: json!({"name": "M", "steps": [{"id": "a", "step_type": "noop"}]}),
            context: json!({}),
            steps: vec![("a".into(), "noop".into())],
            owner: dead,
        };
        store
            .apply(&[Write::Accept(Box::new(run), accepted)])
            .unwrap();
    }

    let api = StudioApi::open(paths.clone()).unwrap();
    let report = api.recover_interrupted_runs().unwrap();
    assert_eq!(report.interrupted_runs.len(), 1);
    assert_eq!(report.interrupted_runs[0].skipped_steps, ["a"]);
    assert_eq!(report.temp_files_removed, 1);
    let run = &api.history(&RunFilter::default()).unwrap()[0];
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.reason.as_deref(), Some("interrupted"));
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(evidence.join("meta.json")).unwrap())
            .unwrap();
    assert_eq!(meta["status"], "failed", "the evidence folder says so too");
    assert_eq!(meta["reason"], "interrupted");

    let again = StudioApi::open(paths).unwrap();
    assert!(
        again
            .recover_interrupted_runs()
            .unwrap()
            .interrupted_runs
            .is_empty(),
        "nothing left to recover"
    );
}
