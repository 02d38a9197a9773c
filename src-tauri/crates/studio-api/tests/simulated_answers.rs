//! Honest results: a run whose answers were simulated says so, step by step, in the history,
//! the run detail, `meta.json` and `answer.md`; a run whose steps all really ran says nothing.

use serde_json::{json, Value};
use studio_api::{AppPaths, RunListQuery, StudioApi};
use studio_core::Mission;
use studio_engine::{CollectingSink, RunOptions};

fn mission(value: Value) -> Mission {
    serde_json::from_value(value).unwrap()
}

async fn run(api: &StudioApi, m: &Mission) -> String {
    api.run_recorded(
        m,
        RunOptions::new(std::path::PathBuf::new()),
        CollectingSink::new(),
    )
    .await
    .unwrap()
    .result
    .run_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_answers_are_marked_everywhere_and_real_ones_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
    let simulated = run(
        &api,
        &mission(json!({
            "name": "Partly Simulated",
            "simulation": {"enabled": true, "tools": [
                {"name": "http", "static_response": {"status": 200, "body": "canned"}}
            ]},
            "steps": [
                {"id": "fetch", "step_type": "http",
                 "parameters": {"url": "http://127.0.0.1:9/never-called"}},
                {"id": "ask", "step_type": "llm", "depends_on": ["fetch"],
                 "parameters": {"prompt": "Summarise {{fetch.output.body}}"}},
                {"id": "count", "step_type": "command", "parameters": {"command": "true"}}
            ]
        })),
    )
    .await;
    let real = run(
        &api,
        &mission(json!({
            "name": "All Real",
            "steps": [{"id": "count", "step_type": "command", "parameters": {"command": "true"}}]
        })),
    )
    .await;

    let list = api.list_runs(&RunListQuery::default()).unwrap();
    let flag = |id: &str| list.runs.iter().find(|r| r.run_id == id).unwrap().simulated;
    assert!(flag(&simulated), "the history marks the simulated run");
    assert!(!flag(&real), "and not the real one");

    let detail = api.run_detail(&simulated).unwrap();
    assert!(detail.run.simulated);
    let why = |id: &str| {
        detail
            .steps
            .iter()
            .find(|s| s.id == id)
            .unwrap()
            .simulated
            .clone()
    };
    assert_eq!(why("fetch").as_deref(), Some("simulation"));
    assert_eq!(why("ask").as_deref(), Some("model"));
    assert_eq!(why("count"), None, "a command that ran is real");
    assert!(!api.run_detail(&real).unwrap().run.simulated);

    let evidence = std::path::PathBuf::from(detail.run.evidence_dir.as_deref().unwrap());
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(evidence.join("meta.json")).unwrap())
            .unwrap();
    assert_eq!(meta["simulated_steps"], json!(["fetch"]));
    assert_eq!(meta["simulated_llm_steps"], json!(["ask"]));
    let answer = std::fs::read_to_string(evidence.join("outputs/answer.md")).unwrap();
    assert!(answer.contains("**Simulated answers.**"), "{answer}");
    assert!(
        answer.contains("**Simulated steps.** `fetch` did not run"),
        "{answer}"
    );

    let real_dir = api.run_detail(&real).unwrap().run.evidence_dir.unwrap();
    let real_meta =
        std::fs::read_to_string(std::path::Path::new(&real_dir).join("meta.json")).unwrap();
    assert!(!real_meta.contains("simulated"), "{real_meta}");
    let real_answer =
        std::fs::read_to_string(std::path::Path::new(&real_dir).join("outputs/answer.md")).unwrap();
    assert!(!real_answer.contains("Simulated"), "{real_answer}");
}
