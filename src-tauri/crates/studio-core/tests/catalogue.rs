//! The whole catalogue in one mission: a step of each of the 51 RustChain types, written with the
//! seed's parameter names, validates with no "not available" except the types still to come, and
//! with no other diagnostic at all.

use std::collections::BTreeSet;
use studio_core::{load_str, validate, Code, StepTypeStatus, STEP_TYPES};

/// The types the catalogue still has to build: none, every type runs. (Kept so that the test
/// below says what it checks should a type ever be listed again.)
const STILL_TO_COME: &[&str] = &[];

/// One step per type: (type, parameters as YAML flow mappings).
const STEPS: &[(&str, &str)] = &[
    ("create_file", r#"{path: data.csv, content: "region,amount\nEMEA,10\n"}"#),
    ("edit_file", r#"{path: data.csv, content: "region,amount\nEMEA,12\n"}"#),
    ("delete_file", "{path: old.txt}"),
    ("copy_file", "{source: data.csv, destination: copy.csv}"),
    ("move_file", "{source: copy.csv, destination: moved.csv}"),
    ("read_file", "{path: data.csv}"),
    ("list_directory", "{path: .}"),
    ("file_search", "{pattern: EMEA}"),
    ("parse_json", r#"{content: '{"a": 1}'}"#),
    ("parse_yaml", "{content: 'a: 1'}"),
    ("parse_xml", "{content: '<feed><item id=\"1\"/></feed>'}"),
    ("validate_schema", "{data: {a: 1}, schema: {type: object}}"),
    ("csv_process", "{input_file: data.csv, operation: statistics}"),
    ("compile_code", "{path: project}"),
    ("run_tests", "{path: project}"),
    ("format_code", "{path: project, check: true}"),
    ("lint_code", "{path: project}"),
    ("extract_functions", "{path: project/src}"),
    ("generate_docs", "{path: project/src, output_file: API.md}"),
    ("git_commit", "{repo_path: repo, message: first, init: true}"),
    ("git_branch", "{repo_path: repo, name: feature}"),
    ("git_merge", "{repo_path: repo, branch: feature}"),
    ("git_status", "{repo_path: repo}"),
    ("git_diff", "{repo_path: repo}"),
    ("process_start", "{command: sleep, args: ['30'], name: sleeper}"),
    ("process_kill", "{name: sleeper}"),
    ("monitor_resources", "{}"),
    ("service_health", "{url: 'http://127.0.0.1:8080/health'}"),
    ("compress", "{source: project, output: project.zip}"),
    ("sql_query", "{connection: sales_db, query: 'SELECT * FROM sales WHERE date >= $1', parameters: ['2024-01-01']}"),
    ("redis_set", "{connection: 'redis://127.0.0.1:6379', key: 'session:user:123', value: '{\"user_id\": 123}', ttl: 3600}"),
    ("redis_get", "{connection: 'redis://127.0.0.1:6379', key: 'session:user:123'}"),
    ("db_backup", "{connection: sales_db, destination: backup/sales.db}"),
    ("db_migrate", "{connection: sales_db, migrations_dir: migrations}"),
    ("websocket_connect", "{url: 'ws://127.0.0.1:9000', messages: [ping, {op: subscribe}], receive: 2, until: /pong/, timeout_ms: 2000}"),
    ("ftp_upload", "{host: 127.0.0.1, local_path: data.csv, remote_path: data.csv}"),
    ("ftp_download", "{host: 127.0.0.1, remote_path: data.csv, local_path: got.csv}"),
    ("ssh_execute", "{host: 127.0.0.1, port: 2222, user: deploy, command: systemctl, args: [restart, web], key_path: keys/deploy, known_hosts: keys/known_hosts, timeout: 60}"),
    ("ping_host", "{host: 127.0.0.1, port: 22}"),
    ("generate_embedding", "{text_source: file, file_path: data.csv, model: text-embedding-ada-002}"),
    ("similarity_search", "{query: hello, texts: [hello world, goodbye]}"),
    ("model_inference", "{model: m.onnx}"),
    ("noop", "{}"),
    ("command", "{command: echo, args: [hello]}"),
    ("http", "{url: 'http://127.0.0.1:8080/'}"),
    ("llm", "{prompt: Summarise the sales}"),
    ("tool", "{name: lookup}"),
    ("agent", "{objective: Summarise}"),
    ("chain", "{steps: []}"),
    ("rag_query", "{query: hello, top_k: 3}"),
    ("rag_add", "{id: doc_001, content_file: data.csv, metadata: {summary: sales}}"),
];

fn mission() -> String {
    let mut yaml = String::from("name: Every step type\nversion: \"1.0\"\nsteps:\n");
    for (i, (ty, params)) in STEPS.iter().enumerate() {
        yaml.push_str(&format!(
            "  - id: s{i}\n    name: {ty}\n    step_type: {ty}\n    parameters: {params}\n"
        ));
    }
    yaml
}

#[test]
fn the_mission_has_one_step_of_each_of_the_51_types() {
    let listed: BTreeSet<&str> = STEPS.iter().map(|(t, _)| *t).collect();
    let catalogue: BTreeSet<&str> = STEP_TYPES.iter().map(|t| t.name).collect();
    assert_eq!(STEPS.len(), 51);
    assert_eq!(listed, catalogue);
}

#[test]
fn every_type_of_the_catalogue_validates_but_those_still_to_come() {
    let loaded = load_str(&mission(), "every-type.yaml").expect("the mission loads");
    let diags = validate(&loaded);
    let not_available: BTreeSet<&str> = diags
        .iter()
        .filter(|d| d.code == Code::StepTypeNotAvailable)
        .filter_map(|d| {
            let i: usize = d
                .field
                .strip_prefix("steps[")?
                .split(']')
                .next()?
                .parse()
                .ok()?;
            Some(STEPS[i].0)
        })
        .collect();
    let expected: BTreeSet<&str> = STILL_TO_COME.iter().copied().collect();
    assert_eq!(
        not_available, expected,
        "only the types still to come may be `not available`"
    );
    for name in STILL_TO_COME {
        let info = STEP_TYPES.iter().find(|t| t.name == *name).unwrap();
        assert_eq!(info.status(), StepTypeStatus::NotAvailableYet);
    }
    let others: Vec<_> = diags
        .iter()
        .filter(|d| d.code != Code::StepTypeNotAvailable)
        .collect();
    assert!(
        others.is_empty(),
        "the steps of available types validate clean: {others:#?}"
    );
}

/// The whole RustChain catalogue runs: no step type is left "not available yet" (DESIGN §5).
#[test]
fn all_51_step_types_are_available() {
    assert_eq!(STEP_TYPES.len(), 51);
    let missing: Vec<&str> = STEP_TYPES
        .iter()
        .filter(|t| t.status() != StepTypeStatus::Available)
        .map(|t| t.name)
        .collect();
    assert!(missing.is_empty(), "not available: {missing:?}");
    assert!(STILL_TO_COME.is_empty());
    for info in STEP_TYPES {
        assert!(
            studio_core::params_of(info.name).is_some(),
            "{} has its parameters described",
            info.name
        );
    }
}
