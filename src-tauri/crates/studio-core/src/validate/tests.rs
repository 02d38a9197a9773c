//! One tiny mission per rule; each test checks the code, the position and the hint.

use super::validate;
use crate::diagnostic::{has_errors, Code, Diagnostic, Severity};
use crate::load::load_str;

fn check(yaml: &str) -> Vec<Diagnostic> {
    let loaded =
        load_str(yaml, "m.yaml").unwrap_or_else(|e| panic!("the test mission must load: {e}"));
    validate(&loaded)
}

fn only(diags: &[Diagnostic], code: Code) -> Vec<&Diagnostic> {
    diags.iter().filter(|d| d.code == code).collect()
}

fn one(diags: &[Diagnostic], code: Code) -> &Diagnostic {
    let found = only(diags, code);
    assert_eq!(found.len(), 1, "expected one {code:?} in {diags:#?}");
    found[0]
}

fn at(d: &Diagnostic) -> (usize, usize) {
    let loc = d
        .location
        .unwrap_or_else(|| panic!("{d:?} has no location"));
    (loc.line, loc.column)
}

#[test]
fn a_good_mission_has_no_diagnostics() {
    let diags = check(
        "name: ok\nsteps:\n  - id: a\n    step_type: command\n    parameters: {command: echo, args: [hi]}\n  - id: b\n    step_type: create_file\n    depends_on: [a]\n    parameters: {path: out.txt, content: \"{{a.output.stdout}}\"}\n",
    );
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn all_problems_are_reported_at_once() {
    let diags = check(
        "name: many\nsteps:\n  - id: a\n    step_type: teleport\n  - id: a\n    step_type: noop\n    depends_on: [ghost]\n  - id: c\n    step_type: command\n",
    );
    for code in [
        Code::UnknownStepType,
        Code::DuplicateStepId,
        Code::UnknownDependency,
        Code::MissingParameter,
    ] {
        assert_eq!(
            only(&diags, code).len(),
            1,
            "{code:?} missing from {diags:#?}"
        );
    }
    let lines: Vec<usize> = diags.iter().map(|d| at(d).0).collect();
    assert!(
        lines.windows(2).all(|w| w[0] <= w[1]),
        "sorted by position: {lines:?}"
    );
    assert!(diags.iter().all(|d| d.file == "m.yaml" && d.help.is_some()));
}

#[test]
fn duplicate_ids_point_at_the_second_and_name_the_first() {
    let diags =
        check("name: d\nsteps:\n  - id: a\n    step_type: noop\n  - id: a\n    step_type: noop\n");
    let d = one(&diags, Code::DuplicateStepId);
    assert_eq!((at(d), d.field.as_str()), ((5, 9), "steps[1].id"));
    assert!(d.message.contains("step 1 (line 3)"), "{}", d.message);
}

#[test]
fn unknown_dependencies_get_a_suggestion() {
    let diags = check(
        "name: d\nsteps:\n  - id: fetch_data\n    step_type: noop\n  - id: b\n    step_type: noop\n    depends_on: [fetch_dta]\n",
    );
    let d = one(&diags, Code::UnknownDependency);
    assert_eq!(at(d), (7, 18));
    assert_eq!(d.field, "steps[1].depends_on[0]");
    assert_eq!(d.help.as_deref(), Some("did you mean `fetch_data`?"));
}

#[test]
fn cycles_are_reported_with_their_path() {
    let diags = check(
        "name: c\nsteps:\n  - id: a\n    step_type: noop\n    depends_on: [c]\n  - id: b\n    step_type: noop\n    depends_on: [a]\n  - id: c\n    step_type: noop\n    depends_on: [b]\n",
    );
    let d = one(&diags, Code::DependencyCycle);
    assert_eq!(
        d.message,
        "the steps depend on each other in a cycle: a -> c -> b -> a"
    );
    assert_eq!(
        (d.field.as_str(), at(d)),
        ("steps[0].depends_on[0]", (5, 18))
    );
}

#[test]
fn a_step_depending_on_itself_is_a_cycle() {
    let diags = check("name: c\nsteps:\n  - id: a\n    step_type: noop\n    depends_on: [a]\n");
    assert!(one(&diags, Code::DependencyCycle)
        .message
        .ends_with("a -> a"));
}

#[test]
fn unknown_step_types_get_a_suggestion() {
    let diags = check("name: t\nsteps:\n  - id: a\n    step_type: create_fle\n");
    let d = one(&diags, Code::UnknownStepType);
    assert_eq!(
        (at(d), d.help.as_deref()),
        ((4, 16), Some("did you mean `create_file`?"))
    );
}

#[test]
fn known_step_types_not_built_yet_are_refused_clearly() {
    // A type of the catalogue still to come, while one is left.
    let Some(later) = crate::step_types::STEP_TYPES
        .iter()
        .find(|t| t.status() == crate::step_types::StepTypeStatus::NotAvailableYet)
    else {
        return;
    };
    let diags = check(&format!(
        "name: t\nsteps:\n  - id: a\n    step_type: {}\n    parameters: {{anything: 1}}\n",
        later.name
    ));
    assert_eq!(
        diags.len(),
        1,
        "parameters of unavailable types are not checked: {diags:#?}"
    );
    assert_eq!(
        diags[0].message,
        format!("`{}` is not available yet in this version", later.name)
    );
    assert_eq!(diags[0].code, Code::StepTypeNotAvailable);
    assert!(
        diags[0].help.as_deref().unwrap().contains("command"),
        "lists what is available"
    );
}

#[test]
fn missing_and_mistyped_parameters_are_located() {
    let diags = check(
        "name: p\nsteps:\n  - id: a\n    step_type: command\n    parameters:\n      args: \"-l -a\"\n      env: [A]\n  - id: b\n    step_type: http\n    parameters: {url: \"https://x\", method: FETCH, timeout: -1}\n",
    );
    let missing = one(&diags, Code::MissingParameter);
    assert_eq!(
        (missing.field.as_str(), at(missing)),
        ("steps[0].parameters.command", (5, 5))
    );
    assert!(missing.help.as_deref().unwrap().contains("add `command:`"));
    let wrong: Vec<(&str, (usize, usize))> = only(&diags, Code::InvalidParameter)
        .iter()
        .map(|d| (d.field.as_str(), at(d)))
        .collect();
    assert_eq!(
        wrong,
        vec![
            ("steps[0].parameters.args", (6, 13)),
            ("steps[0].parameters.env", (7, 12)),
            ("steps[1].parameters.method", (10, 44)),
            ("steps[1].parameters.timeout", (10, 60)),
        ]
    );
    assert!(wrong.len() == 4 && has_errors(&diags));
}

#[test]
fn unknown_parameters_are_warnings_with_a_suggestion() {
    let diags = check(
        "name: p\nsteps:\n  - id: a\n    step_type: create_file\n    parameters: {path: a, content: b, contnt: c}\n",
    );
    let d = one(&diags, Code::UnknownParameter);
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.help.as_deref(), Some("did you mean `content`?"));
    assert!(!has_errors(&diags));
}

#[test]
fn references_must_name_an_ancestor() {
    let diags = check(
        "name: r\nsteps:\n  - id: a\n    step_type: noop\n  - id: b\n    step_type: noop\n  - id: c\n    step_type: create_file\n    depends_on: [b]\n    parameters:\n      path: x\n      content: \"{{a.output.x}} {{b.output}}\"\n",
    );
    let d = one(&diags, Code::ReferenceNotAncestor);
    assert_eq!(
        d.message,
        "`{{a.output.x}}` refers to step `a`, which does not run before `c`"
    );
    assert_eq!(
        (d.field.as_str(), at(d)),
        ("steps[2].parameters.content", (12, 16))
    );
    assert!(d
        .help
        .as_deref()
        .unwrap()
        .contains("add `a` to the `depends_on` of `c`"));
}

#[test]
fn transitive_ancestors_and_own_state_writes_are_fine() {
    let diags = check(
        "name: r\nstate_schema: {fields: {n: {type: int}}}\nsteps:\n  - id: a\n    step_type: command\n    parameters: {command: echo}\n    state: {n: \"{{a.output.exit_code}}\"}\n  - id: b\n    step_type: noop\n    depends_on: [a]\n  - id: c\n    step_type: command\n    depends_on: [b]\n    parameters: {command: echo, args: [\"{{a.output.stdout}}\", \"{{state.n}}\"]}\n",
    );
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn a_step_cannot_read_its_own_output_in_its_parameters() {
    let diags = check("name: r\nsteps:\n  - id: a\n    step_type: command\n    parameters: {command: \"{{a.output.stdout}}\"}\n");
    assert!(one(&diags, Code::ReferenceNotAncestor)
        .message
        .contains("its own output"));
}

#[test]
fn malformed_and_unknown_references_are_reported() {
    let diags = check(
        "name: r\nsteps:\n  - id: fetch\n    step_type: noop\n  - id: b\n    step_type: command\n    depends_on: [fetch]\n    parameters:\n      command: echo\n      args:\n        - \"{{fech.output}}\"\n        - \"{{fetch.result}}\"\n        - \"{{fetch}}\"\n        - \"{{config.speed}}\"\n        - \"{{run.owner}}\"\n        - \"{{}}\"\n        - \"{{legacy_var}}\"\n        - \"{{fetch.output.anything}}\"\n",
    );
    let unknown: Vec<(usize, Severity)> = only(&diags, Code::UnknownReference)
        .iter()
        .map(|d| (at(d).0, d.severity))
        .collect();
    assert_eq!(
        unknown,
        vec![
            (11, Severity::Error),   // no step `fech`
            (12, Severity::Error),   // values are under `output`
            (13, Severity::Error),   // names a step, not what to read
            (14, Severity::Error),   // config has no `speed`
            (15, Severity::Error),   // run has no `owner`
            (16, Severity::Error),   // empty
            (17, Severity::Error),   // a bare name (RustChain context variable)
            (18, Severity::Warning), // a noop's output is its parameters: it has none
        ],
        "{diags:#?}"
    );
    let fech = only(&diags, Code::UnknownReference)[0];
    assert_eq!(fech.help.as_deref(), Some("did you mean `fetch`?"));
    assert!(only(&diags, Code::UnknownReference)[6]
        .help
        .as_deref()
        .unwrap()
        .contains("--var legacy_var=VALUE"));
    assert_eq!(diags.len(), 8, "{diags:#?}");
}

#[test]
fn references_in_steps_that_cannot_run_are_not_checked() {
    let diags = check(
        "name: r\nsteps:\n  - id: a\n    step_type: teleport\n    parameters: {objective: \"{{summary_result}}\"}\n",
    );
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].code, Code::UnknownStepType);
}

#[test]
fn reading_a_field_a_step_type_does_not_output_is_a_warning() {
    let diags = check(
        "name: r\nsteps:\n  - id: a\n    step_type: read_file\n    parameters: {path: x}\n  - id: b\n    step_type: create_file\n    depends_on: [a]\n    parameters: {path: y, content: \"{{a.output.contents}}\"}\n",
    );
    let d = one(&diags, Code::UnknownReference);
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.help.as_deref(), Some("did you mean `content`?"));
}

#[test]
fn bad_config_values_are_refused() {
    let diags = check(
        "name: c\nconfig: {timeout_seconds: 0, max_concurrent_steps: 0}\nsteps:\n  - id: a\n    step_type: noop\n    timeout_seconds: 0\n",
    );
    let fields: Vec<&str> = only(&diags, Code::InvalidConfig)
        .iter()
        .map(|d| d.field.as_str())
        .collect();
    assert_eq!(
        fields,
        vec![
            "config.timeout_seconds",
            "config.max_concurrent_steps",
            "steps[0].timeout_seconds"
        ]
    );
    assert!(diags.iter().all(Diagnostic::is_error));
}

#[test]
fn bad_perimeter_values_are_refused() {
    let diags = check(
        "name: p\nperimeter:\n  budget: {max_cost_usd: -1, max_runtime_minutes: 0, max_steps: 0}\n  approval: {mode: threshold}\n  tools: {allowed: [noop, command], forbidden: [command]}\nsteps:\n  - id: a\n    step_type: command\n    parameters: {command: ls}\n",
    );
    let fields: Vec<&str> = only(&diags, Code::InvalidPerimeter)
        .iter()
        .map(|d| d.field.as_str())
        .collect();
    assert_eq!(
        fields,
        vec![
            "perimeter.budget.max_cost_usd",
            "perimeter.budget.max_runtime_minutes",
            "perimeter.budget.max_steps",
            "perimeter.approval.mode",
            "perimeter.tools.allowed[1]",
            "steps[0].step_type",
        ],
        "{diags:#?}"
    );
    let threshold = only(&diags, Code::InvalidPerimeter)[3];
    assert!(threshold.help.as_deref().unwrap().contains("threshold_usd"));
}

#[test]
fn a_step_type_outside_the_allowed_tools_is_refused() {
    let diags = check(
        "name: p\nperimeter: {tools: {allowed: [noop]}}\nsteps:\n  - id: a\n    step_type: noop\n  - id: b\n    step_type: read_file\n    parameters: {path: x}\n",
    );
    let d = one(&diags, Code::InvalidPerimeter);
    assert_eq!((d.field.as_str(), at(d)), ("steps[1].step_type", (7, 16)));
}

#[test]
fn state_writes_must_match_the_schema() {
    let diags = check(
        "name: s\nstate_schema:\n  fields:\n    count: {type: int, default: zero}\n    label: {type: text}\n    total: {type: int, required: true}\nsteps:\n  - id: a\n    step_type: noop\n    state: {count: \"many\", cuont: 1}\n",
    );
    let schema: Vec<&str> = only(&diags, Code::InvalidStateSchema)
        .iter()
        .map(|d| d.field.as_str())
        .collect();
    assert_eq!(
        schema,
        vec![
            "state_schema.fields.count.default",
            "state_schema.fields.label.type",
            "state_schema.fields.total"
        ]
    );
    let unknown = one(&diags, Code::UnknownStateField);
    assert_eq!(
        (unknown.field.as_str(), at(unknown)),
        ("steps[0].state.cuont", (10, 28))
    );
    assert!(unknown
        .help
        .as_deref()
        .unwrap()
        .starts_with("did you mean `count`?"));
    let value = one(&diags, Code::InvalidStateValue);
    assert_eq!(value.field, "steps[0].state.count");
}

#[test]
fn state_reads_need_a_declared_field() {
    let diags = check(
        "name: s\nsteps:\n  - id: a\n    step_type: command\n    parameters: {command: echo, args: [\"{{state.count}}\"]}\n",
    );
    assert!(one(&diags, Code::UnknownStateField)
        .message
        .contains("no `state_schema`"));
}

#[test]
fn the_plan_must_follow_the_steps() {
    let diags = check(
        "name: p\nplan:\n  steps:\n    - {id: a}\n    - {id: a}\n    - {id: zz, depends_on: [nope]}\nsteps:\n  - id: a\n    step_type: noop\n  - id: b\n    step_type: noop\n",
    );
    let plan: Vec<(&str, Severity)> = only(&diags, Code::InvalidPlan)
        .iter()
        .map(|d| (d.field.as_str(), d.severity))
        .collect();
    assert_eq!(
        plan,
        vec![
            ("plan.steps", Severity::Warning),
            ("plan.steps[1].id", Severity::Error),
            ("plan.steps[2].id", Severity::Error),
            ("plan.steps[2].depends_on[0]", Severity::Error),
        ],
        "{diags:#?}"
    );
}

#[test]
fn mission_fields_are_checked() {
    let diags = check(
        "name: \" \"\nversion: \"2.0\"\nest_roi: -1\noutputs: [../secret, /etc/passwd, ok.md]\nsteps: []\n",
    );
    let fields: Vec<&str> = diags.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "name",
            "version",
            "est_roi",
            "outputs[0]",
            "outputs[1]",
            "steps"
        ]
    );
    assert_eq!(one(&diags, Code::EmptyMission).severity, Severity::Warning);
}

#[test]
fn json_missions_are_located_too() {
    let text = "{\n  \"name\": \"j\",\n  \"steps\": [\n    {\"id\": \"a\", \"step_type\": \"noop\", \"depends_on\": [\"b\"]}\n  ]\n}\n";
    let loaded = load_str(text, "m.json").unwrap();
    let diags = validate(&loaded);
    let d = one(&diags, Code::UnknownDependency);
    assert_eq!(at(d), (4, 53));
}

#[test]
fn missions_built_in_memory_validate_too() {
    let loaded = load_str(
        "name: m\nsteps:\n  - id: a\n    step_type: nope\n",
        "m.yaml",
    )
    .unwrap();
    let diags = super::validate_mission(&loaded.mission, "<memory>");
    let d = one(&diags, Code::UnknownStepType);
    assert_eq!(d.file, "<memory>");
    assert!(d.location.is_some(), "located in the JSON rendering");
}

#[test]
fn agent_scripts_and_strategies_must_name_agent_steps() {
    let diags = check(
        "name: A\nsimulation:\n  agents:\n    - step: reserch\n      turns: []\nstrategies:\n  - target: fetch\n    strategy: {type: plan_and_solve}\nsteps:\n  - id: research\n    step_type: agent\n    parameters: {objective: x}\n  - id: fetch\n    step_type: noop\n",
    );
    let warn: Vec<_> = diags
        .iter()
        .filter(|d| d.field.starts_with("simulation") || d.field.starts_with("strategies"))
        .collect();
    assert_eq!(warn.len(), 2, "{diags:#?}");
    assert!(
        warn[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("did you mean `research`"),
        "{:?}",
        warn[0]
    );
    assert!(
        warn[1].message.contains("`fetch` is not an `agent` step"),
        "{:?}",
        warn[1]
    );
}

#[test]
fn telemetry_settings_are_checked_where_they_are_written() {
    let diags = check(
        "name: t\ntelemetry:\n  backend: otlp\n  endpoint: ftp://collector\n  sampling_rate: 1.5\n  buffer_size: 0\n  export_interval: 0\nsteps:\n  - id: a\n    step_type: noop\n",
    );
    let found = only(&diags, Code::InvalidConfig);
    let fields: Vec<&str> = found.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "telemetry.endpoint",
            "telemetry.sampling_rate",
            "telemetry.buffer_size",
            "telemetry.export_interval"
        ],
        "{diags:#?}"
    );
    assert!(found.iter().all(|d| d.severity == Severity::Error));
    assert_eq!(at(found[0]), (4, 13));
    assert_eq!(at(found[1]), (5, 18));

    let missing =
        check("name: t\ntelemetry: {backend: otlp}\nsteps:\n  - id: a\n    step_type: noop\n");
    let d = one(&missing, Code::InvalidConfig);
    assert_eq!(d.field, "telemetry.backend");
    assert!(d.message.contains("endpoint"), "{d:?}");

    let fine = check(
        "name: t\ntelemetry: {backend: otlp, endpoint: 'http://127.0.0.1:4318', sampling_rate: 0}\nsteps:\n  - id: a\n    step_type: noop\n",
    );
    assert!(fine.is_empty(), "{fine:#?}");
    let unused = check(
        "name: t\ntelemetry: {backend: memory, endpoint: 'https://c.example'}\nsteps:\n  - id: a\n    step_type: noop\n",
    );
    assert!(!has_errors(&unused), "{unused:#?}");
    assert_eq!(
        one(&unused, Code::InvalidConfig).severity,
        Severity::Warning
    );
}
