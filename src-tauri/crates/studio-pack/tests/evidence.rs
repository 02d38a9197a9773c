//! A real run leaves a complete evidence folder.

use serde_json::{json, Value};
use std::path::Path;
use studio_core::{Mission, RunStatus};
use studio_engine::{CollectingSink, Event, RunOptions};
use studio_pack::{run_with_evidence, Meta};

fn mission(v: Value) -> Mission {
    serde_json::from_value(v).unwrap()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

#[tokio::test]
async fn a_run_leaves_every_file_of_the_layout() {
    let runs = tempfile::tempdir().unwrap();
    let m = mission(json!({
        "name": "Keyword Analysis",
        "sector": "Intelligence",
        "objective": "Rank keywords",
        "context": "Background text",
        "constraints": "Stay polite",
        "outputs": ["report.md", "missing.csv"],
        "state_schema": {"fields": {"rows": {"type": "int", "default": 0}}},
        "steps": [
            {"id": "write", "name": "Write report", "step_type": "create_file",
             "parameters": {"path": "report.md", "content": "# Report"}, "state": {"rows": 3}},
            {"id": "echo", "step_type": "command", "depends_on": ["write"],
             "parameters": {"command": "printf", "args": ["%s", "{{env.PACK_TEST_SECRET}}"]}},
        ]
    }));
    let mut options = RunOptions::new("/nonexistent-replaced");
    options.env = Some([("PACK_TEST_SECRET".to_string(), "hunter2-secret".to_string())].into());
    let sink = CollectingSink::new();
    let (result, root) = run_with_evidence(&m, "sha256:abc", runs.path(), options, sink.clone())
        .await
        .unwrap();
    assert_eq!(result.status, RunStatus::Completed, "{:?}", result.reason);

    let name = root.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with("__intelligence__keyword-analysis"), "{name}");
    for file in [
        "mission.yaml",
        "context.md",
        "constraints.md",
        "workspace/report.md",
        "outputs/answer.md",
        "outputs/report.md",
        "evidence/steps.md",
        "evidence/links.txt",
        "evidence/raw/write.json",
        "evidence/raw/echo.json",
        "events.jsonl",
        "meta.json",
    ] {
        assert!(
            root.join(file).is_file(),
            "{file} is missing from the evidence folder"
        );
    }
    assert!(root.join("evidence/screenshots").is_dir());

    let meta: Meta = serde_json::from_value(read_json(&root.join("meta.json"))).unwrap();
    assert_eq!(meta.status, RunStatus::Completed);
    assert_eq!(meta.run_id, result.run_id);
    assert_eq!(meta.trace_id, result.trace_id);
    assert_eq!(meta.logic_hash, "sha256:abc");
    assert_eq!(meta.outputs, vec!["answer.md", "report.md"]);
    assert_eq!(meta.outputs_missing, vec!["missing.csv"]);
    assert!(meta.evidence.contains(&"raw/echo.json".to_string()));
    assert_eq!(meta.state["rows"], json!(3));
    assert!(meta.finished_at.is_some());
    read_json(&root.join("evidence/raw/write.json"));

    let events: Vec<Event> = std::fs::read_to_string(root.join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line of events.jsonl is an event"))
        .collect();
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=events.len() as u64).collect::<Vec<_>>(),
        "seq is gapless from 1"
    );
    assert_eq!(
        events.iter().filter(|e| e.event_type.is_final()).count(),
        1,
        "one final event"
    );
    assert_eq!(events, sink.events(), "the extra sink saw the same events");

    let answer = std::fs::read_to_string(root.join("outputs/answer.md")).unwrap();
    assert!(answer.contains("| `write` | success |"), "{answer}");
    assert!(
        answer.contains("missing.csv (declared, but the run did not produce it)"),
        "{answer}"
    );
    let yaml = std::fs::read_to_string(root.join("mission.yaml")).unwrap();
    assert!(
        yaml.contains("fail_fast: true"),
        "the resolved mission has its effective config: {yaml}"
    );
    let constraints = std::fs::read_to_string(root.join("constraints.md")).unwrap();
    assert!(
        constraints.contains("Stay polite") && constraints.contains("Sandbox: full-access"),
        "{constraints}"
    );

    // Nothing written outside the workspace holds the secret.
    for file in [
        "events.jsonl",
        "meta.json",
        "outputs/answer.md",
        "evidence/steps.md",
        "evidence/raw/echo.json",
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        assert!(!text.contains("hunter2-secret"), "{file} holds the secret");
    }
}

#[tokio::test]
async fn a_second_run_in_the_same_minute_gets_its_own_folder_and_a_step_answer_is_kept() {
    let runs = tempfile::tempdir().unwrap();
    let m = mission(json!({
        "name": "Same",
        "outputs": ["answer.md"],
        "steps": [{"id": "a", "step_type": "create_file", "parameters": {"path": "answer.md", "content": "mine"}}]
    }));
    let (_, first) = run_with_evidence(
        &m,
        "h",
        runs.path(),
        RunOptions::new("x"),
        studio_engine::NullSink,
    )
    .await
    .unwrap();
    let (_, second) = run_with_evidence(
        &m,
        "h",
        runs.path(),
        RunOptions::new("x"),
        studio_engine::NullSink,
    )
    .await
    .unwrap();
    assert_ne!(first, second);
    assert_eq!(
        std::fs::read_to_string(second.join("outputs/answer.md")).unwrap(),
        "mine"
    );
}

#[tokio::test]
async fn links_of_http_steps_are_listed() {
    let runs = tempfile::tempdir().unwrap();
    let m = mission(json!({
        "name": "Links",
        "simulation": {"enabled": false},
        "config": {"fail_fast": false},
        "steps": [{"id": "call", "step_type": "http", "parameters": {"url": "http://127.0.0.1:9/unreachable", "timeout": 2}}]
    }));
    let (result, root) = run_with_evidence(
        &m,
        "h",
        runs.path(),
        RunOptions::new("x"),
        studio_engine::NullSink,
    )
    .await
    .unwrap();
    assert_eq!(result.status, RunStatus::Failed);
    let links = std::fs::read_to_string(root.join("evidence/links.txt")).unwrap();
    assert!(links.contains("http://127.0.0.1:9/unreachable"), "{links}");
    let steps = std::fs::read_to_string(root.join("evidence/steps.md")).unwrap();
    assert!(
        steps.contains("- Status: failed") && steps.contains("cannot connect"),
        "{steps}"
    );
}

#[tokio::test]
async fn steps_that_produced_nothing_share_one_record_file_and_every_record_reads_back() {
    let runs = tempfile::tempdir().unwrap();
    let mut steps: Vec<Value> = (0..50)
        .map(|i| json!({"id": format!("n{i}"), "step_type": "noop"}))
        .collect();
    steps.push(
        json!({"id": "write", "step_type": "create_file", "depends_on": ["n0"],
        "parameters": {"path": "a.txt", "content": "a"}}),
    );
    steps.push(json!({"id": "big", "step_type": "noop",
        "parameters": {"text": "x".repeat(2000)}}));
    let m = mission(json!({"name": "Many", "steps": steps}));
    let (result, root) = run_with_evidence(
        &m,
        "h",
        runs.path(),
        RunOptions::new("x"),
        studio_engine::NullSink,
    )
    .await
    .unwrap();
    assert_eq!(result.status, RunStatus::Completed, "{:?}", result.reason);
    assert!(root.join("evidence/raw/write.json").is_file());
    assert!(
        root.join("evidence/raw/big.json").is_file(),
        "a large output keeps its own file"
    );
    assert!(!root.join("evidence/raw/n0.json").exists());
    let lines = std::fs::read_to_string(root.join("evidence/raw/steps.jsonl")).unwrap();
    assert_eq!(
        lines.lines().count(),
        51,
        "a header, then one row per step that produced nothing"
    );
    let raw_files = std::fs::read_dir(root.join("evidence/raw"))
        .unwrap()
        .count();
    assert_eq!(raw_files, 3, "write.json, big.json and steps.jsonl");

    let meta: Meta = serde_json::from_value(read_json(&root.join("meta.json"))).unwrap();
    assert!(meta.evidence.contains(&"raw/steps.jsonl".to_string()));
    assert!(!meta.evidence.contains(&"raw/n0.json".to_string()));

    let records = studio_pack::read_records(&root).unwrap();
    let mut ids: Vec<&str> = records
        .iter()
        .map(|r| r.doc["step_id"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut expected: Vec<String> = m.steps.iter().map(|s| s.id.clone()).collect();
    expected.sort();
    assert_eq!(ids, expected, "every step's record reads back once");
    let n7 = records.iter().find(|r| r.doc["step_id"] == "n7").unwrap();
    assert_eq!(n7.doc["result"]["status"], "success");
    assert!(
        n7.source.starts_with("raw/steps.jsonl line "),
        "{}",
        n7.source
    );
    assert!(
        std::fs::read_dir(&root).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(".tmp-")),
        "no temporary file is left"
    );
}
