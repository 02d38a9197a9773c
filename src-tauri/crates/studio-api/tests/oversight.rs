//! The Audit and Review pages' functions over real runs: the gate's decisions filtered and
//! paged, with who decided; a failure pattern raised by the batch, listed and resolved.

use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use studio_api::active::Trigger;
use studio_api::oversight::AuditQuery;
use studio_api::{AppPaths, ErrorCode, StudioApi};
use studio_core::Mission;
use studio_engine::approval::{ApproveAll, Approver, DenyAll};
use studio_engine::{CollectingSink, Governance, RunOptions};

fn guarded() -> Mission {
    serde_json::from_value(json!({
        "name": "Guarded Write",
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

async fn run(api: &StudioApi, mission: &Mission, approver: Arc<dyn Approver>) -> String {
    let options = RunOptions::new(std::path::PathBuf::new()).with_governance(Governance {
        approver,
        ..Default::default()
    });
    let outcome = api
        .run_recorded(mission, options, CollectingSink::new())
        .await
        .unwrap();
    assert_eq!(outcome.history_error, None);
    outcome.result.run_id
}

fn query() -> AuditQuery {
    AuditQuery::default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_page_filters_pages_and_names_who_decided() {
    let dir = tempfile::tempdir().unwrap();
    let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
    let approved = run(&api, &guarded(), Arc::new(ApproveAll)).await;
    let denied = run(&api, &guarded(), Arc::new(DenyAll)).await;

    let all = api.audit_page(&query()).unwrap();
    assert_eq!((all.total, all.all, all.rows.len()), (4, 4, 4));
    assert_eq!(all.tools, vec!["create_file", "noop"]);
    assert!(
        all.rows.windows(2).all(|w| w[0].at >= w[1].at),
        "newest first: {:?}",
        all.rows.iter().map(|r| &r.at).collect::<Vec<_>>()
    );
    assert_eq!(all.rows[0].run_id, denied, "the later run first");

    let page = api
        .audit_page(&AuditQuery {
            decision: Some("denied".into()),
            ..query()
        })
        .unwrap();
    assert_eq!(page.total, 1);
    let row = &page.rows[0];
    assert_eq!(
        (row.run_id.as_str(), row.step_id.as_str()),
        (denied.as_str(), "write")
    );
    assert_eq!(
        (row.decision.as_str(), row.check.as_str()),
        ("denied", "approval")
    );
    assert_eq!(row.who, "approve-none", "the approver of the history");
    assert!(
        row.reason.contains("denied by approve-none"),
        "{}",
        row.reason
    );

    let approvals = api
        .audit_page(&AuditQuery {
            decision: Some("approval".into()),
            ..query()
        })
        .unwrap();
    assert_eq!(approvals.total, 2, "the approved and the denied write");
    let allowed = approvals
        .rows
        .iter()
        .find(|r| r.run_id == approved)
        .unwrap();
    assert_eq!(
        (allowed.decision.as_str(), allowed.who.as_str()),
        ("allowed", "approve-all")
    );

    let by_run = api
        .audit_page(&AuditQuery {
            run_id: Some(approved[..8].to_uppercase()),
            tool: Some("noop".into()),
            ..query()
        })
        .unwrap();
    assert_eq!(by_run.total, 1, "a run id's start, any case, and a tool");
    assert_eq!(by_run.rows[0].who, "gate");

    let second = api
        .audit_page(&AuditQuery {
            offset: Some(1),
            limit: Some(2),
            ..query()
        })
        .unwrap();
    assert_eq!((second.total, second.offset, second.rows.len()), (4, 1, 2));
    assert_eq!(second.rows[0], all.rows[1]);

    let future = api
        .audit_page(&AuditQuery {
            after: Some("2999-01-01T00:00:00Z".into()),
            ..query()
        })
        .unwrap();
    assert_eq!(future.total, 0);
    let past = api
        .audit_page(&AuditQuery {
            after: Some("2000-01-01T00:00:00+02:00".into()),
            before: Some("2999-01-01T00:00:00Z".into()),
            ..query()
        })
        .unwrap();
    assert_eq!(past.total, 4);

    let bad = api
        .audit_page(&AuditQuery {
            decision: Some("maybe".into()),
            ..query()
        })
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::InvalidInput);
    let bad = api
        .audit_page(&AuditQuery {
            after: Some("yesterday".into()),
            ..query()
        })
        .unwrap_err();
    assert!(bad.message.contains("`after`"), "{}", bad.message);
}

fn write_failing_template(dir: &Path, flag: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let text = format!(
        r#"version: "1.0"
id: test.review.flaky
name: Flaky Check
sector: Operations
goal: Check that a flag file exists.
required_depts: [operations]
steps:
  - id: prepare
    step_type: noop
  - id: check
    name: Check the flag
    step_type: command
    depends_on: [prepare]
    parameters:
      command: test
      args: ["-f", "{}"]
"#,
        flag.display()
    );
    std::fs::write(dir.join("flaky.yaml"), text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_pattern_is_listed_and_resolved_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates-lib");
    write_failing_template(&templates, &dir.path().join("missing-flag"));
    let paths = AppPaths::at(dir.path().join("data")).with_builtin_templates(&templates);
    let api = StudioApi::open(paths).unwrap();
    let mission = studio_core::load_file(&templates.join("flaky.yaml"))
        .unwrap()
        .mission;
    let mut runs = Vec::new();
    for _ in 0..3 {
        runs.push(run(&api, &mission, Arc::new(ApproveAll)).await);
    }
    assert!(api.review_queue(None).unwrap().is_empty());
    assert_eq!(api.template_problems().unwrap(), vec![]);
    api.run_batch(Trigger::Manual).unwrap();

    let open = api.review_queue(Some("open")).unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    let flag = &open[0];
    assert_eq!(flag.template_id, "test.review.flaky");
    assert_eq!(flag.template_name.as_deref(), Some("Flaky Check"));
    assert_eq!(flag.step_id.as_deref(), Some("check"));
    assert_eq!((flag.failures, flag.window_runs), (3, 3));
    runs.reverse();
    assert_eq!(flag.run_ids, runs, "the failing runs, newest first");
    assert_eq!(flag.status, "open");

    let resolved = api
        .resolve_review_flag(flag.flag_id, Some("  flag file restored  "))
        .unwrap();
    assert_eq!(resolved.status, "resolved");
    assert_eq!(resolved.note.as_deref(), Some("flag file restored"));
    assert!(api.review_queue(Some("open")).unwrap().is_empty());
    assert_eq!(api.review_queue(Some("resolved")).unwrap().len(), 1);
    assert_eq!(api.review_queue(Some("all")).unwrap().len(), 1);

    assert_eq!(
        api.resolve_review_flag(9999, None).unwrap_err().code,
        ErrorCode::NotFound
    );
    assert_eq!(
        api.review_queue(Some("closed")).unwrap_err().code,
        ErrorCode::InvalidInput
    );
}
