//! The knowledge store lives in the data folder: what one recorded run adds with `rag_add`, a
//! later run finds with `rag_query`, and the sources it rests on are in its evidence's
//! `links.txt`.

use serde_json::{json, Value};
use studio_api::{AppPaths, RunOutcome, StudioApi};
use studio_core::{Mission, RunStatus};
use studio_engine::{CollectingSink, RunOptions};

async fn run(api: &StudioApi, steps: Value) -> RunOutcome {
    let m: Mission = serde_json::from_value(json!({"name": "Knowledge", "steps": steps})).unwrap();
    let outcome = api
        .run_recorded(
            &m,
            RunOptions::new(std::path::PathBuf::new()),
            CollectingSink::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        outcome.result.status,
        RunStatus::Completed,
        "{:?}",
        outcome.result.reason
    );
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_share_the_store_of_the_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let paths = AppPaths::at(dir.path());
    let store = paths.knowledge_store_path();
    let api = StudioApi::open(paths).unwrap();
    let added = run(
        &api,
        json!([{"id": "add", "step_type": "rag_add", "parameters": {
            "id": "policy", "content": "Badges are renewed every two years at the security office.",
            "source": "https://intranet.example/badges"}}]),
    )
    .await;
    assert_eq!(
        added.result.step_results["add"].output["store"],
        store.display().to_string()
    );
    assert!(store.exists());
    assert!(
        !added.evidence_dir.join("workspace/.knowledge").exists(),
        "not a store of the run's own"
    );

    let asked = run(
        &api,
        json!([{"id": "ask", "step_type": "rag_query", "parameters": {"query": "How often are badges renewed?"}}]),
    )
    .await;
    let output = &asked.result.step_results["ask"].output;
    assert_eq!(output["results"][0]["id"], "policy", "{output}");
    let links = std::fs::read_to_string(asked.evidence_dir.join("evidence/links.txt")).unwrap();
    assert!(
        links
            .lines()
            .any(|l| l == "https://intranet.example/badges"),
        "{links}"
    );
}
