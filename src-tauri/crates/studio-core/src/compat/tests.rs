//! The RustChain shapes, each read as its native form with a note; located diagnostics.

use crate::diagnostic::{Code, Severity};
use crate::import::{ImportKind, NoteKind};
use crate::{load_str, validate, Diagnostic, LoadedMission};
use serde_json::json;

fn load(text: &str, origin: &str) -> LoadedMission {
    load_str(text, origin).unwrap_or_else(|e| panic!("{origin}: {e}"))
}

fn notes(loaded: &LoadedMission) -> Vec<String> {
    loaded
        .import
        .as_ref()
        .map(|r| r.notes.iter().map(|n| n.to_string()).collect())
        .unwrap_or_default()
}

fn has_note(loaded: &LoadedMission, kind: NoteKind, field: &str) -> bool {
    loaded
        .import
        .as_ref()
        .is_some_and(|r| r.notes.iter().any(|n| n.kind == kind && n.field == field))
}

fn errors(diagnostics: &[Diagnostic]) -> Vec<&Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

#[test]
fn upstream_config_keys_map_to_native_ones() {
    let loaded = load(
        "name: m\nconfig:\n  max_parallel_steps: 2\n  timeout: 60\n  retry_count: 1\nsteps:\n  - {id: a, step_type: noop}\n",
        "m.yaml",
    );
    let config = loaded.mission.config.clone().unwrap();
    assert_eq!(config.max_concurrent_steps, Some(2));
    assert_eq!(config.timeout_seconds, Some(60));
    assert_eq!(config.retry_attempts, Some(1));
    assert!(has_note(
        &loaded,
        NoteKind::Mapped,
        "config.max_parallel_steps"
    ));
    assert_eq!(loaded.import.as_ref().unwrap().kind, ImportKind::RustChain);
    assert!(validate(&loaded).is_empty(), "{:?}", validate(&loaded));
}

#[test]
fn a_native_mission_has_no_import_report() {
    let loaded = load("name: m\nsteps:\n  - {id: a, step_type: noop}\n", "m.yaml");
    assert!(loaded.import.is_none());
    assert!(loaded.load_diagnostics.is_empty());
}

#[test]
fn an_edge_list_becomes_depends_on_and_its_errors_point_at_the_edge() {
    let text = "name: m\nsteps:\n  - {id: a, step_type: noop}\n  - {id: b, step_type: noop}\ndependencies:\n  - from: a\n    to: b\n  - from: zz\n    to: a\n  - from: a\n    to: bb\n";
    let loaded = load(text, "m.yaml");
    assert_eq!(loaded.mission.steps[1].depends_on, ["a"]);
    assert_eq!(loaded.mission.steps[0].depends_on, ["zz"]);
    let all = validate(&loaded);
    let errs = errors(&all);
    // `zz` is unknown: reported on `depends_on` but located at the edge's `from`.
    let zz = errs
        .iter()
        .find(|d| d.code == Code::UnknownDependency && d.message.contains("zz"))
        .expect("unknown from");
    assert_eq!(zz.location.unwrap().line, 8, "{zz:?}");
    let bb = errs
        .iter()
        .find(|d| d.message.contains("`bb`"))
        .expect("unknown to");
    assert_eq!(bb.location.unwrap().line, 11, "{bb:?}");
    assert_eq!(bb.help.as_deref(), Some("did you mean `b`?"));
}

#[test]
fn camel_case_types_nulls_and_nameless_steps_load() {
    let text = "version: 1.0\nname: m\nsteps:\n  - id: a\n    step_type: CreateFile\n    depends_on: null\n    parameters: {path: x.txt, content: hi}\n  - id: b\n    step_type: {type: noop}\n    parameters: null\n    depends_on: a\n";
    let loaded = load(text, "m.yaml");
    let m = &loaded.mission;
    assert_eq!(
        m.version.as_deref(),
        Some("1.0"),
        "a YAML number read as the text it is"
    );
    assert_eq!(m.steps[0].step_type, "create_file");
    assert!(m.steps[0].depends_on.is_empty());
    assert_eq!(m.steps[1].step_type, "noop");
    assert_eq!(m.steps[1].parameters, json!({}));
    assert_eq!(m.steps[1].depends_on, ["a"]);
    assert!(has_note(&loaded, NoteKind::Mapped, "steps[0].step_type"));
    assert!(errors(&validate(&loaded)).is_empty());
}

#[test]
fn the_json_shape_maps_onto_the_native_fields() {
    let text = r#"{
  "id": "demo_001",
  "version": "1.0.0",
  "steps": [
    {"id": "greet", "name": "Say hi", "step_type": "Tool",
     "config": {"tool": "echo", "args": ["hi"]},
     "dependencies": [], "timeout": 30, "retry_count": 1, "on_failure": "continue"},
    {"id": "save", "step_type": "create_file", "config": {"path": "out.txt", "content": "x", "bogus": 1},
     "dependencies": ["greet"], "on_failure": "abort"}
  ],
  "metadata": {"name": "Demo", "category": "tutorial", "difficulty": "beginner", "estimated_duration": "1 minute"}
}"#;
    let loaded = load(text, "demo.json");
    let m = &loaded.mission;
    assert_eq!(m.name, "Demo");
    assert_eq!(m.id.as_deref(), Some("demo_001"));
    assert_eq!(m.tags, ["tutorial"]);
    let greet = &m.steps[0];
    assert_eq!(greet.step_type, "command");
    assert_eq!(greet.parameters, json!({"command": "echo", "args": ["hi"]}));
    assert_eq!(greet.timeout_seconds, Some(30));
    assert_eq!(greet.retry_attempts, Some(1));
    assert_eq!(greet.continue_on_error, Some(true));
    assert_eq!(m.steps[1].depends_on, ["greet"]);
    assert_eq!(m.steps[1].continue_on_error, Some(false));
    for field in [
        "steps[0].config",
        "steps[0].timeout",
        "metadata.name",
        "metadata.category",
    ] {
        assert!(
            has_note(&loaded, NoteKind::Mapped, field),
            "{field}: {:?}",
            notes(&loaded)
        );
    }
    assert!(has_note(&loaded, NoteKind::Dropped, "metadata.difficulty"));
    // The unknown parameter is reported where it was written: under `config`.
    let all = validate(&loaded);
    let bogus = all
        .iter()
        .find(|d| d.code == Code::UnknownParameter)
        .expect("bogus parameter");
    assert_eq!(bogus.location.unwrap().line, 8, "{bogus:?}");
}

#[test]
fn unknown_keys_are_warnings_with_line_column_and_a_suggestion() {
    let text = "name: m\nconfig:\n  fail_fast: true\n  security_level: high\nsteps:\n  - id: a\n    step_type: noop\n    paramaters: {}\n";
    let loaded = load(text, "m.yaml");
    let all = validate(&loaded);
    assert!(errors(&all).is_empty(), "{all:?}");
    let typo = all
        .iter()
        .find(|d| d.field == "steps[0].paramaters")
        .expect("the misspelt key");
    assert_eq!(typo.code, Code::UnknownField);
    assert_eq!(typo.severity, Severity::Warning);
    let loc = typo.location.unwrap();
    assert_eq!((loc.line, loc.column), (8, 5));
    assert!(
        typo.help
            .as_deref()
            .unwrap()
            .contains("did you mean `parameters`?"),
        "{typo:?}"
    );
    let config = all
        .iter()
        .find(|d| d.field == "config.security_level")
        .unwrap();
    assert_eq!(config.location.unwrap().line, 4);
    let strict = crate::strict(all);
    assert_eq!(errors(&strict).len(), 2);
}

#[test]
fn a_mission_without_a_name_takes_its_id_or_its_file_name() {
    let loaded = load(
        "id: com.acme.x\nsteps: [{id: a, step_type: noop}]\n",
        "m.yaml",
    );
    assert_eq!(loaded.mission.name, "com.acme.x");
    let loaded = load(
        "steps: [{id: a, step_type: noop}]\n",
        "dir/hello-world.yaml",
    );
    assert_eq!(loaded.mission.name, "hello-world");
    assert!(has_note(&loaded, NoteKind::Mapped, "name"));
}

#[test]
fn metadata_keys_map_or_drop_with_notes() {
    let text = "name: m\ncategory: devops\nauthor: someone\ntags: [a]\nsuccess_criteria: [built, tested]\nestimated_duration: 5m\nllm_config: {model: llama3.2, temperature: 0.2, context_window: 8192}\nsteps:\n  - id: ask\n    step_type: llm\n    parameters: {prompt: hi}\n  - id: ask2\n    step_type: llm\n    parameters: {prompt: hi, model: other}\n";
    let loaded = load(text, "m.yaml");
    let m = &loaded.mission;
    assert_eq!(m.tags, ["a", "devops"]);
    assert_eq!(m.done_definition.as_deref(), Some("- built\n- tested"));
    assert_eq!(m.steps[0].parameters["model"], "llama3.2");
    assert_eq!(m.steps[0].parameters["temperature"], 0.2);
    assert_eq!(
        m.steps[1].parameters["model"], "other",
        "a step's own value wins"
    );
    assert!(has_note(&loaded, NoteKind::Dropped, "author"));
    assert!(has_note(
        &loaded,
        NoteKind::Dropped,
        "llm_config.context_window"
    ));
    assert!(has_note(&loaded, NoteKind::Mapped, "llm_config.model"));
    assert!(
        errors(&validate(&loaded)).is_empty(),
        "{:?}",
        validate(&loaded)
    );
}

#[test]
fn parameter_spellings_are_read_as_native_ones() {
    let text = "name: m\nsteps:\n  - id: run\n    step_type: command\n    parameters: {command: ls, args: [], working_directory: ., timeout: 30}\n  - id: add\n    step_type: edit_file\n    parameters: {path: a.txt, content: more, operation: append}\n  - id: get\n    step_type: http\n    parameters: {url: 'http://127.0.0.1/x', timeout_seconds: 5, on_error: continue}\n  - id: call\n    step_type: tool\n    parameters: {tool: create_file, parameters: {path: b.txt, content: x}}\n  - id: lookup\n    step_type: tool\n    parameters: {tool_name: file_reader, path: a.txt}\n";
    let loaded = load(text, "m.yaml");
    let s = &loaded.mission.steps;
    assert_eq!(
        s[0].parameters,
        json!({"command": "ls", "args": [], "working_dir": "."})
    );
    assert_eq!(s[0].timeout_seconds, Some(30));
    assert_eq!(
        s[1].parameters,
        json!({"path": "a.txt", "content": "more", "append": true})
    );
    assert_eq!(
        s[2].parameters,
        json!({"url": "http://127.0.0.1/x", "timeout": 5})
    );
    assert_eq!(s[2].continue_on_error, Some(true));
    assert_eq!(s[3].step_type, "create_file");
    assert_eq!(s[3].parameters, json!({"path": "b.txt", "content": "x"}));
    assert_eq!(
        s[4].parameters,
        json!({"name": "file_reader", "input": {"path": "a.txt"}})
    );
    let all = validate(&loaded);
    assert!(errors(&all).is_empty(), "{all:?}");
}

#[test]
fn single_brace_answers_become_references_and_dependencies() {
    let text = "name: m\nsteps:\n  - id: step1\n    step_type: llm\n    parameters: {prompt: hi}\n  - id: save\n    step_type: create_file\n    parameters:\n      path: out.py\n      content: \"{step1_result}\\nprint(f'{name}')\"\n";
    let loaded = load(text, "m.yaml");
    let save = &loaded.mission.steps[1];
    assert_eq!(
        save.parameters["content"],
        "{{step1.output.text}}\nprint(f'{name}')"
    );
    assert_eq!(save.depends_on, ["step1"]);
    assert!(errors(&validate(&loaded)).is_empty());
}

#[test]
fn a_stack_of_missions_is_refused_with_a_way_out() {
    let err = load_str(
        "name: s\nmissions:\n  - id: one\n    steps: []\n",
        "stack.yaml",
    )
    .unwrap_err();
    let d = err.diagnostic();
    assert_eq!(d.field, "missions");
    assert_eq!(d.location.unwrap().line, 2);
    assert!(d.help.unwrap().contains("file of its own"));
}

#[test]
fn a_wrong_type_is_an_error_at_the_field_even_when_moved() {
    let err = load_str(
        "name: m\nsteps:\n  - id: a\n    step_type: noop\n    timeout: soon\n",
        "m.yaml",
    )
    .unwrap_err();
    let d = err.diagnostic();
    assert_eq!(d.code, Code::Syntax);
    assert_eq!(d.field, "steps[0].timeout_seconds");
    let loc = d.location.unwrap();
    assert_eq!((loc.line, loc.column), (5, 14), "{d:?}");
}
