//! The perimeter preview says what the gate does: under Strict, the steps that call out (an HTTP
//! GET, a model call) wait for approval beside the ones that write; local reads do not, nor a
//! step the mission's simulation answers.

use studio_api::library_dto::{ApprovalModeDto, PerimeterDto};
use studio_api::{AppPaths, StudioApi};

const TEMPLATE: &str = r#"
version: "1.0"
id: acme.ops.supplier-digest
name: Supplier Digest
sector: Operations
required_depts: [ops]
goal: "Summarise the open purchase orders for the buyer"
risk: low
est_roi: 1.5
simulation:
  enabled: true
  tools: [{name: canned, static_response: {status: 200}}]
steps:
  - {id: plan, step_type: noop}
  - {id: fetch, step_type: http, depends_on: [plan], parameters: {url: "http://127.0.0.1:9/orders"}}
  - {id: canned, step_type: http, depends_on: [plan], parameters: {url: "http://127.0.0.1:9/canned"}}
  - {id: parse, step_type: parse_json, depends_on: [fetch], parameters: {content: "{}"}}
  - {id: summarise, step_type: llm, depends_on: [parse], parameters: {prompt: "Summarise"}}
  - {id: save, step_type: create_file, depends_on: [summarise], parameters: {path: d.md, content: x}}
"#;

#[test]
fn strict_preview_asks_for_the_steps_that_call_out_and_the_writes() {
    let dir = tempfile::tempdir().unwrap();
    let paths = AppPaths::at(dir.path());
    std::fs::create_dir_all(paths.user_templates_dir()).unwrap();
    std::fs::write(paths.user_templates_dir().join("digest.yaml"), TEMPLATE).unwrap();
    let api = StudioApi::open(paths).unwrap();
    api.reindex_templates().unwrap();
    let preview = |mode| {
        let operator = PerimeterDto {
            approval_mode: Some(mode),
            ..Default::default()
        };
        api.approval_preview("acme.ops.supplier-digest", &operator)
            .unwrap()
            .into_iter()
            .map(|p| (p.step_id, p.reason))
            .collect::<Vec<_>>()
    };
    let strict = preview(ApprovalModeDto::Strict);
    let waits: Vec<&str> = strict
        .iter()
        .filter(|(_, r)| r.is_some())
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(waits, ["fetch", "summarise", "save"], "{strict:?}");
    let why = |id: &str| {
        strict
            .iter()
            .find(|(s, _)| s == id)
            .unwrap()
            .1
            .clone()
            .unwrap()
    };
    assert!(
        why("fetch").contains("calls out (the network)"),
        "{}",
        why("fetch")
    );
    assert!(
        why("summarise").contains("calls out (a model)"),
        "{}",
        why("summarise")
    );
    assert!(
        why("save").contains("workspace side effects"),
        "{}",
        why("save")
    );
    // Auto asks for nothing.
    let auto = preview(ApprovalModeDto::Auto);
    assert!(auto.iter().all(|(_, r)| r.is_none()), "{auto:?}");
}
