//! Missions in other formats (Spark MissionSpec, mission pack directory, Mission Envelope v1
//! payload) load through the native entry points, converted, with notes of what was mapped and
//! dropped; a malformed import is refused with a located error.

use std::path::{Path, PathBuf};
use studio_core::Severity;
use studio_core::{
    has_errors, load_file, load_str, validate, Code, ImportKind, ImportReport, LoadedMission,
    NoteKind,
};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../missions/examples/import")
}

fn report(loaded: &LoadedMission) -> &ImportReport {
    loaded.import.as_ref().expect("an import report")
}

fn has_note(report: &ImportReport, kind: NoteKind, field: &str) -> bool {
    report
        .notes
        .iter()
        .any(|n| n.kind == kind && n.field == field)
}

fn assert_valid(loaded: &LoadedMission) {
    let diags = validate(loaded);
    assert!(!has_errors(&diags), "{diags:#?}");
}

#[test]
fn a_spark_mission_spec_becomes_a_native_mission_with_notes() {
    let loaded = load_file(&examples().join("spark-data-pipeline.json")).unwrap();
    assert_valid(&loaded);
    let m = &loaded.mission;
    assert_eq!(m.id.as_deref(), Some("com.example.data-pipeline"));
    assert_eq!(m.name, "data-pipeline");
    let ids: Vec<&str> = m.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["validate", "fetch", "transform", "load", "notify"]);
    let step = |id: &str| m.steps.iter().find(|s| s.id == id).unwrap();
    assert_eq!(step("validate").step_type, "parse_json");
    assert_eq!(
        step("transform").step_type,
        "noop",
        "TransformNode is no step type"
    );
    assert_eq!(
        step("transform").parameters["batch"],
        "{{validate.output.value.batch}}",
        "the node's config is kept as parameters"
    );
    assert_eq!(step("transform").depends_on, ["validate", "fetch"]);
    assert_eq!(step("load").depends_on, ["transform"]);
    assert_eq!(
        step("notify").step_type,
        "noop",
        "a plan step without a node"
    );
    assert_eq!(m.plan.as_ref().unwrap().steps.len(), 5);
    let state = &m.state_schema.as_ref().unwrap().fields;
    assert_eq!(state["processed_count"].field_type, "int");
    assert_eq!(state["last_run"].field_type, "string", "datetime → string");
    assert!(m.simulation.as_ref().unwrap().enabled);

    let r = report(&loaded);
    assert_eq!(r.kind, ImportKind::Spark);
    for dropped in [
        "version",
        "graph.start",
        "graph.edges[2].condition",
        "state_schema.schema_class",
    ] {
        assert!(has_note(r, NoteKind::Dropped, dropped), "{dropped}: {r:#?}");
    }
    for mapped in [
        "graph.nodes[2]",
        "plan.steps[4]",
        "state_schema.fields.last_run.type",
        "strategies[agent1]",
        "deployment",
        "telemetry",
    ] {
        assert!(has_note(r, NoteKind::Mapped, mapped), "{mapped}: {r:#?}");
    }
    let constraints = m.constraints.as_deref().unwrap();
    assert!(constraints.starts_with("## Import notes\nConverted from a Spark MissionSpec"));
    let telemetry = m.telemetry.as_ref().unwrap();
    assert!(telemetry.enabled);
    assert_eq!(telemetry.backend, studio_core::TelemetryBackend::Sqlite);
    assert_eq!(telemetry.sampling_rate, Some(1.0));
    assert!(loaded
        .source
        .name
        .ends_with("spark-data-pipeline.json (converted)"));
}

#[test]
fn an_envelope_payload_becomes_a_mission_under_its_perimeter() {
    let loaded = load_file(&examples().join("envelope-research.json")).unwrap();
    assert_valid(&loaded);
    let m = &loaded.mission;
    assert_eq!(m.mission_id(), "msn-2025-12-31-research-0001");
    assert_eq!(m.tags, ["research"]);
    assert!(m.objective.as_deref().unwrap().starts_with("Summarise"));
    assert_eq!(
        m.done_definition.as_deref(),
        Some("Three risks, each with a mitigation\nFits on one page")
    );
    let p = m.perimeter.as_ref().unwrap();
    let tools = p.tools.as_ref().unwrap();
    assert_eq!(tools.allowed, ["llm", "create_file"]);
    assert_eq!(tools.forbidden, ["command", "http"]);
    let approval = p.approval.as_ref().unwrap();
    assert_eq!(approval.required_for, ["http"]);
    let budget = p.budget.as_ref().unwrap();
    assert_eq!(
        (
            budget.max_llm_calls,
            budget.max_cost_usd,
            budget.max_runtime_minutes
        ),
        (Some(3), Some(0.5), Some(10.0))
    );
    assert_eq!(m.outputs, ["risks.md"]);
    assert_eq!(m.steps[0].step_type, "llm");
    let prompt = m.steps[0].parameters["prompt"].as_str().unwrap();
    assert!(prompt.contains("- Fits on one page"), "{prompt}");
    assert_eq!(m.steps[1].parameters["path"], "risks.md");

    let r = report(&loaded);
    assert_eq!(r.kind, ImportKind::Envelope);
    for dropped in ["callback", "trace_id", "idempotency_key", "autonomy_window"] {
        assert!(has_note(r, NoteKind::Dropped, dropped), "{dropped}: {r:#?}");
    }
    assert!(r.notes.iter().any(|n| n.field.starts_with("vp_id")));
}

#[test]
fn an_envelope_budget_of_zero_reads_as_no_cap() {
    let text = r#"{"mission_id": "m-1", "vp_id": "vp.a", "objective": "Do it",
                   "budget": {"max_runtime_minutes": 0, "max_llm_calls": 0, "max_cost_usd": 0}}"#;
    let loaded = load_str(text, "payload.json").unwrap();
    assert!(loaded.mission.perimeter.is_none());
    assert!(has_note(
        report(&loaded),
        NoteKind::Dropped,
        "budget.max_runtime_minutes, budget.max_llm_calls, budget.max_cost_usd"
    ));
    assert_eq!(loaded.mission.outputs, ["answer.md"]);
    assert_valid(&loaded);
}

#[test]
fn a_mission_pack_directory_becomes_a_mission_with_its_markdown() {
    let dir = examples().join("keyword-analysis-pack");
    let loaded = load_file(&dir).unwrap();
    assert_valid(&loaded);
    let m = &loaded.mission;
    assert_eq!(m.name, "Keyword Analysis");
    assert_eq!(m.sector.as_deref(), Some("amazon"));
    assert_eq!(m.tags, ["amazon", "keywords", "research"]);
    let p = m.perimeter.as_ref().unwrap();
    let budget = p.budget.as_ref().unwrap();
    assert_eq!(
        (
            budget.max_steps,
            budget.max_tokens,
            budget.max_runtime_minutes
        ),
        (Some(50), Some(100_000), Some(30.0))
    );
    assert_eq!(p.sandbox, Some(studio_core::Sandbox::ReadOnly));
    assert_eq!(
        p.approval.as_ref().unwrap().mode,
        studio_core::ApprovalMode::Threshold
    );
    let context = m.context.as_deref().unwrap();
    assert!(
        context.starts_with("## Objective"),
        "title removed: {context}"
    );
    let constraints = m.constraints.as_deref().unwrap();
    assert!(constraints.starts_with("## Boundaries"), "{constraints}");
    assert!(constraints.contains("## Import notes"));
    assert_eq!(m.outputs, ["answer.md"]);

    let r = report(&loaded);
    assert_eq!(r.kind, ImportKind::MissionPack);
    assert!(has_note(r, NoteKind::Dropped, "broker, model"));
    assert!(has_note(r, NoteKind::Mapped, "approval"));
    assert!(has_note(r, NoteKind::Mapped, "context.md"));

    // Naming the pack's mission.yaml reads the same directory.
    let same = load_file(&dir.join("mission.yaml")).unwrap();
    assert_eq!(same.mission, loaded.mission);
}

#[test]
fn a_directory_holding_a_native_mission_yaml_loads_it_unconverted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mission.yaml"),
        "name: Native\nsteps:\n  - id: a\n    step_type: noop\n",
    )
    .unwrap();
    let loaded = load_file(dir.path()).unwrap();
    assert!(loaded.import.is_none());
    assert_eq!(loaded.mission.name, "Native");
    assert!(loaded.source.name.ends_with("mission.yaml"));
}

#[test]
fn a_pack_without_its_markdown_files_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mission.yaml"),
        "objective: Count words\ndone_definition: A number\n",
    )
    .unwrap();
    let loaded = load_file(dir.path()).unwrap();
    let r = report(&loaded);
    assert!(has_note(r, NoteKind::Dropped, "context.md"));
    assert!(has_note(r, NoteKind::Dropped, "constraints.md"));
    assert!(loaded.mission.perimeter.is_none());
    assert_valid(&loaded);
}

#[test]
fn native_missions_carry_no_import_report() {
    let native = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../missions/examples");
    for file in ["word-count-report.yaml", "config-digest.json"] {
        let loaded = load_file(&native.join(file)).unwrap();
        assert!(loaded.import.is_none(), "{file}");
        assert!(!loaded.source.name.ends_with("(converted)"));
    }
}

#[test]
fn unknown_keys_of_a_spark_spec_are_warnings_in_the_original_file() {
    let text = "{\n  \"mission_id\": \"com.x.y\",\n  \"version\": \"1.0.0\",\n  \"graph\": {\"nodes\": []},\n  \"telemtry\": {}\n}\n";
    let loaded = load_str(text, "spec.json").unwrap();
    let all = studio_core::validate(&loaded);
    let d = all
        .iter()
        .find(|d| d.code == Code::UnknownField)
        .expect("the misspelt key");
    assert_eq!(d.severity, Severity::Warning);
    assert!(d.message.contains("`telemtry`"), "{}", d.message);
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .contains("did you mean `telemetry`?"),
        "{d:?}"
    );
    assert_eq!(d.file, "spec.json", "located in the original file");
    assert_eq!(d.location.unwrap().line, 5);
    assert_eq!(loaded.original.as_ref().unwrap().name, "spec.json");
    let strict = studio_core::strict(all);
    assert!(studio_core::has_errors(&strict));
}

#[test]
fn a_malformed_spark_spec_is_refused_at_the_field() {
    let text = "{\n  \"mission_id\": \"com.x.y\",\n  \"graph\": {\"nodes\": 3}\n}\n";
    let d = load_str(text, "spec.json").unwrap_err().diagnostic();
    assert_eq!(d.code, Code::Syntax);
    assert!(d.message.contains("invalid type"), "{}", d.message);
    assert_eq!(d.field, "graph.nodes");
    assert_eq!(d.file, "spec.json", "located in the original file");
    assert_eq!(d.location.unwrap().line, 3);
}

#[test]
fn a_bare_graph_spec_imports_like_a_mission_spec_named_after_its_graph() {
    let wrapped = "{\"spark_version\": \"2.0\", \"graph\": {\"name\": \"etl\", \"start_node\": \"load\", \"nodes\": [{\"id\": \"load\", \"type\": \"ProcessingNode\", \"config\": {\"retry\": {\"max_attempts\": 2}}}, {\"id\": \"shape\", \"type\": \"TransformNode\"}], \"edges\": [{\"from_node\": \"load\", \"to_node\": \"shape\", \"condition\": {\"type\": \"simple\", \"key\": \"ok\", \"value\": true}}], \"initial_state\": {\"n\": 0}}}";
    let loaded = load_str(wrapped, "graph.json").unwrap();
    assert_eq!(loaded.mission.id.as_deref(), Some("etl"));
    assert_eq!(loaded.mission.steps[1].depends_on, ["load"]);
    assert!(studio_core::validate(&loaded)
        .iter()
        .all(|d| d.severity != Severity::Error));

    let flat = "{\"spark_version\": \"1.0\", \"id\": \"pipeline.graph\", \"start\": \"a\", \"nodes\": [{\"id\": \"a\", \"type\": \"Node\"}, {\"id\": \"b\", \"type\": \"Agent\", \"inputs\": {}}], \"edges\": [{\"id\": \"e1\", \"from_id\": \"a\", \"to_id\": \"b\", \"priority\": 0}], \"bogus\": 1}";
    let loaded = load_str(flat, "flat.json").unwrap();
    assert_eq!(loaded.mission.id.as_deref(), Some("pipeline.graph"));
    assert_eq!(loaded.mission.steps[1].depends_on, ["a"]);
    let all = studio_core::validate(&loaded);
    let bogus = all
        .iter()
        .find(|d| d.code == Code::UnknownField)
        .expect("bogus");
    assert_eq!(
        bogus.field, "bogus",
        "the path of the flat form, as written"
    );
}

#[test]
fn real_envelope_payloads_are_accepted_leniently() {
    // A bare payload as control planes send it: no mission_id, a kind outside the four.
    let text = "{\n  \"vp_id\": \"vp.coder.primary\",\n  \"objective\": \"Fix the flaky test\",\n  \"mission_type\": \"coding_task\",\n  \"constraints\": {\"target_path\": \"/repo\", \"max_duration_minutes\": 20, \"repo_mutation_allowed\": false},\n  \"budget\": {\"max_minutes\": 30},\n  \"priority\": \"100\",\n  \"reply_mode\": \"async\",\n  \"idempotency_key\": \"k-1\",\n  \"system_prompt_injection\": \"Be terse.\"\n}\n";
    let loaded = load_str(text, "payload.json").unwrap();
    let m = &loaded.mission;
    assert!(m.id.as_deref().unwrap().starts_with("vp-mission-"));
    assert_eq!(m.tags, ["coding_task"]);
    let p = m.perimeter.as_ref().unwrap();
    assert_eq!(p.sandbox, Some(studio_core::Sandbox::ReadOnly));
    assert_eq!(p.budget.as_ref().unwrap().max_runtime_minutes, Some(30.0));
    assert_eq!(m.steps[0].parameters["system_message"], "Be terse.");
    let notes = &loaded.import.as_ref().unwrap().notes;
    assert!(notes
        .iter()
        .any(|n| n.field == "mission_type" && n.message.contains("outside")));
    assert!(notes
        .iter()
        .any(|n| n.field.contains("constraints.target_path")));
    assert!(
        studio_core::validate(&loaded).is_empty(),
        "{:?}",
        studio_core::validate(&loaded)
    );
    // The same dispatch gets the same id.
    assert_eq!(load_str(text, "again.json").unwrap().mission.id, m.id);
}

#[test]
fn a_malformed_envelope_is_refused_at_the_value() {
    let text = "{\n  \"mission_id\": \"m-1\",\n  \"vp_id\": \"vp.a\",\n  \"objective\": \"x\",\n  \"success_criteria\": \"one\"\n}\n";
    let d = load_str(text, "payload.json").unwrap_err().diagnostic();
    assert!(d.message.contains("invalid type"), "{}", d.message);
    assert_eq!(d.field, "success_criteria");
    assert_eq!(d.location.unwrap().line, 5);
}

#[test]
fn a_malformed_pack_is_refused_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mission.yaml"),
        "objective: Count words\ndone_definition: A number\n\napproval: sometimes\n",
    )
    .unwrap();
    let d = load_file(dir.path()).unwrap_err().diagnostic();
    assert_eq!(d.code, Code::Syntax);
    assert!(d.file.ends_with("mission.yaml"), "{}", d.file);
    assert!(d.message.contains("sometimes"), "{}", d.message);
    assert_eq!(d.location.unwrap().line, 4);

    std::fs::write(
        dir.path().join("mission.yaml"),
        "objective: Count words\ndone_definition: A number\nbudget:\n  maxSteps: 5\n  maxCost: 3\n",
    )
    .unwrap();
    let d = load_file(dir.path()).unwrap_err().diagnostic();
    assert!(
        d.message.contains("unknown field `maxCost`"),
        "{}",
        d.message
    );
    assert_eq!(d.location.unwrap().line, 5);
}

#[test]
fn a_directory_without_mission_yaml_is_an_io_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = load_file(dir.path()).unwrap_err().diagnostic();
    assert_eq!(d.code, Code::Io);
    assert!(d.file.ends_with("mission.yaml"), "{}", d.file);
}

#[test]
fn a_text_of_no_known_format_keeps_the_native_error() {
    let d = load_str("{\"mission_id\": \"x\", \"colour\": 1}", "m.json")
        .unwrap_err()
        .diagnostic();
    assert!(d.message.contains("missing field `steps`"), "{}", d.message);
    assert!(d.help.unwrap().contains("add the field"));
}

#[test]
fn a_byte_order_mark_before_a_spark_spec_keeps_locations_right() {
    let text = "\u{feff}{\n  \"mission_id\": \"com.x.y\",\n  \"graph\": {},\n  \"version\": [1]\n}";
    let d = load_str(text, "spec.json").unwrap_err().diagnostic();
    assert!(d.message.contains("invalid type"), "{}", d.message);
    assert_eq!(d.location.unwrap().line, 4);
}
