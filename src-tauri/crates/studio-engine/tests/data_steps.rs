//! The data step types (`parse_xml`, `validate_schema`, `csv_process`) on real files in a run's
//! workspace, including their failure modes.

use serde_json::{json, Value};
use studio_core::{Mission, RunStatus, StepStatus};
use studio_engine::{run_mission, RunOptions, RunResult};

/// Writes `files` into a fresh workspace, runs the steps there and returns the result.
async fn run_in(files: &[(&str, &str)], steps: Value) -> (RunResult, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("workspace");
    for (path, text) in files {
        let path = ws.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let mission: Mission = serde_json::from_value(json!({
        "name": "Data steps",
        "config": {"max_concurrent_steps": 1},
        "steps": steps,
    }))
    .unwrap();
    let result = run_mission(&mission, RunOptions::new(&ws), &mut studio_engine::NullSink)
        .await
        .expect("the run starts");
    (result, dir)
}

fn output<'a>(result: &'a RunResult, id: &str) -> &'a Value {
    let r = &result.step_results[id];
    assert_eq!(r.status, StepStatus::Success, "{id}: {r:?}");
    &r.output
}

fn failure(result: &RunResult, id: &str) -> (String, Value) {
    let r = &result.step_results[id];
    assert_eq!(r.status, StepStatus::Failed, "{id} must fail: {r:?}");
    (r.error.clone().unwrap_or_default(), r.output.clone())
}

#[tokio::test]
async fn parse_xml_reads_a_workspace_file_and_reports_malformed_xml_with_its_position() {
    let (result, _dir) = run_in(
        &[
            (
                "data/orders.xml",
                "<?xml version=\"1.0\"?>\n<orders region=\"EU\">\n  <order id=\"1\"><total>12.50</total></order>\n  <order id=\"2\"><total>7</total></order>\n</orders>\n",
            ),
            ("data/broken.xml", "<orders>\n  <order id=\"1\">\n  </orders>\n"),
        ],
        json!([
            {"id": "good", "step_type": "parse_xml", "parameters": {"path": "data/orders.xml"}},
            {"id": "text", "step_type": "parse_xml", "parameters": {"content": "<a b=\"1\">x</a>"}},
            {"id": "broken", "step_type": "parse_xml", "parameters": {"path": "data/broken.xml"}},
        ]),
    )
    .await;
    assert_eq!(result.status, RunStatus::Failed);
    let good = output(&result, "good");
    assert_eq!(good["root"], json!("orders"));
    assert_eq!(
        good["value"],
        json!({"orders": {"@region": "EU", "order": [
            {"@id": "1", "total": "12.50"},
            {"@id": "2", "total": "7"},
        ]}})
    );
    assert_eq!(
        output(&result, "text")["value"],
        json!({"a": {"@b": "1", "#text": "x"}})
    );
    let (error, out) = failure(&result, "broken");
    assert!(
        error.contains("`data/broken.xml` is not well-formed XML (line 3, column 3)"),
        "{error}"
    );
    assert_eq!(out, json!({"line": 3, "column": 3}));
}
