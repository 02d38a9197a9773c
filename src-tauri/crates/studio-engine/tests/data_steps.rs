//! The data step types (`parse_xml`, `validate_schema`, `csv_process`) on real files in a run's
//! workspace, including their failure modes.

use serde_json::{json, Value};
use studio_core::{Mission, RunStatus, StepStatus};
use studio_engine::{run_mission, RunOptions, RunResult};

/// Writes `files` into a fresh workspace, runs the steps there and returns the result.
async fn run_in(files: &[(&str, &str)], steps: Value) -> (RunResult, tempfile::TempDir) {
    run_with(files, json!({}), steps, RunOptions::new).await
}

/// As [`run_in`], with more mission fields (a perimeter) and options made from the workspace.
async fn run_with(
    files: &[(&str, &str)],
    fields: Value,
    steps: Value,
    options: impl FnOnce(std::path::PathBuf) -> RunOptions,
) -> (RunResult, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("workspace");
    for (path, text) in files {
        let path = ws.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let mut mission = json!({
        "name": "Data steps",
        "config": {"max_concurrent_steps": 1, "fail_fast": false},
        "steps": steps,
    });
    for (k, v) in fields.as_object().unwrap() {
        mission[k] = v.clone();
    }
    let mission: Mission = serde_json::from_value(mission).unwrap();
    let result = run_mission(&mission, options(ws), &mut studio_engine::NullSink)
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

const ORDER_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["id", "lines"],
  "properties": {
    "id": {"type": "string"},
    "lines": {"type": "array", "items": {
      "type": "object",
      "required": ["sku", "qty"],
      "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}
    }}
  }
}"#;

#[tokio::test]
async fn validate_schema_checks_json_and_yaml_files_and_values_and_locates_every_violation() {
    let (result, _dir) = run_in(
        &[
            ("schema/order.json", ORDER_SCHEMA),
            ("in/sales.csv", "region,amount\nEU,10\nUS,-3\nEU\nAS,abc\n"),
            (
                "in/good.json",
                r#"{"id": "A1", "lines": [{"sku": "x", "qty": 2}]}"#,
            ),
            (
                "in/bad.yaml",
                "id: 7\nlines:\n  - sku: x\n    qty: 0\n  - qty: 2\n",
            ),
        ],
        json!([
            {"id": "good", "step_type": "validate_schema",
             "parameters": {"path": "in/good.json", "schema_path": "schema/order.json"}},
            {"id": "bad", "step_type": "validate_schema",
             "parameters": {"file": "in/bad.yaml", "schema_file": "schema/order.json"}},
            {"id": "report", "step_type": "validate_schema",
             "parameters": {"data": {"id": "B"}, "schema": {"required": ["id", "lines"]},
                            "fail_on_invalid": false}},
            {"id": "csv", "step_type": "validate_schema",
             "parameters": {"file": "in/sales.csv", "schema_type": "csv", "fail_on_invalid": false,
                            "schema": {"properties": {"amount": {"type": "number", "minimum": 0}}}}},
            {"id": "broken", "step_type": "validate_schema",
             "parameters": {"data": 1, "schema": {"type": 12}}},
        ]),
    )
    .await;
    assert_eq!(
        output(&result, "good"),
        &json!({"valid": true, "error_count": 0, "errors": [], "truncated": false})
    );
    let (error, out) = failure(&result, "bad");
    assert!(
        error.starts_with("`in/bad.yaml` does not match the schema: `/id`:")
            && error.ends_with("(and 2 more)"),
        "{error}"
    );
    assert_eq!(out["valid"], json!(false));
    assert_eq!(out["error_count"], json!(3));
    let located: Vec<(&str, &str)> = out["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["path"].as_str().unwrap(), e["keyword"].as_str().unwrap()))
        .collect();
    assert_eq!(
        located,
        [
            ("/id", "type"),
            ("/lines/0/qty", "minimum"),
            ("/lines/1", "required")
        ]
    );
    let report = output(&result, "report");
    assert_eq!(report["valid"], json!(false));
    assert_eq!(report["errors"][0]["path"], json!(""));
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("lines"),
        "{report}"
    );
    let csv = output(&result, "csv");
    let located: Vec<(&str, &str)> = csv["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["path"].as_str().unwrap(), e["keyword"].as_str().unwrap()))
        .collect();
    assert_eq!(
        located,
        [
            ("/1/amount", "minimum"),
            ("/2", "csv"),
            ("/3/amount", "type")
        ],
        "{csv}"
    );
    assert_eq!(
        csv["errors"][1]["message"],
        json!("line 4: the row has 1 fields, the header has 2")
    );
    let (error, _) = failure(&result, "broken");
    assert!(error.contains("not a valid JSON Schema"), "{error}");
}

/// `csv_process`: every operation, pipelines, malformed tables and the perimeter.
#[path = "data_steps/csv_process.rs"]
mod csv_process;
