//! The window's diagnostics are the CLI's: a mission file that cannot run is refused with every
//! problem (line, column, code frame, hint, "did you mean"), rendered exactly as `mission
//! validate` prints them; broken template files are listed with theirs.

use std::collections::BTreeMap;
use studio_api::check::{check_file, render_diagnostics, CheckOptions, ReportStyle};
use studio_api::{AppPaths, ErrorCode, LiveRuns, RunSource, StudioApi, TemplateQuery};

const TYPO: &str = "name: Typo\nsteps:\n  - id: hello\n    step_type: noop\n  - id: bye\n    step_type: noop\n    depends_on: [helo]\n  - id: third\n    step_type: nope\n";

#[test]
fn a_mission_file_with_errors_is_refused_with_the_cli_report() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("typo.yaml");
    std::fs::write(&file, TYPO).unwrap();
    let runs = LiveRuns::new(StudioApi::open(AppPaths::at(dir.path().join("data"))).unwrap());

    let err = runs
        .start(RunSource::File(file.clone()), BTreeMap::new())
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    let report = err.report.expect("the refusal carries the file's report");
    assert_eq!((report.errors, report.valid), (2, false), "{report:?}");
    let typo = &report.items[0];
    assert_eq!((typo.line, typo.column), (Some(7), Some(18)));
    assert_eq!(typo.code, "unknown_dependency");
    assert!(
        typo.help
            .as_deref()
            .unwrap()
            .contains("did you mean `hello`"),
        "{typo:?}"
    );
    assert_eq!(
        report.items[1].code, "unknown_step_type",
        "every error, not only the first"
    );
    assert!(
        err.message.contains(":7:18:"),
        "the one-line message names the place: {}",
        err.message
    );

    // Exactly the text of `mission validate` without colours, code frame included.
    let mut cli = Vec::new();
    render_diagnostics(
        &mut cli,
        &check_file(&file, &CheckOptions::default()),
        ReportStyle { color: false },
    )
    .unwrap();
    assert_eq!(report.rendered, String::from_utf8(cli).unwrap());
    assert!(
        report.rendered.contains("    depends_on: [helo]"),
        "{}",
        report.rendered
    );
}

#[test]
fn broken_template_files_are_listed_with_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let paths = AppPaths::at(dir.path().join("data"));
    std::fs::create_dir_all(paths.user_templates_dir()).unwrap();
    let broken = paths.user_templates_dir().join("broken.yaml");
    std::fs::write(
        &broken,
        "name: Broken\ngoal: g\nsector: Operations\nsteps:\n  - id: a\n    step_type: noop\n    depends_on: [b]\n    colour: red\n",
    )
    .unwrap();
    let api = StudioApi::open(paths).unwrap();
    assert!(api
        .library_templates(&TemplateQuery::default())
        .unwrap()
        .iter()
        .all(|t| t.name != "Broken"));

    let problems = api.library_problems().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let report = &problems[0];
    assert!(report.file.ends_with("broken.yaml"), "{}", report.file);
    let codes: Vec<&str> = report.items.iter().map(|d| d.code.as_str()).collect();
    assert!(codes.contains(&"unknown_dependency"), "{codes:?}");
    assert!(
        codes.contains(&"unknown_field"),
        "a template's unknown key keeps it out: {codes:?}"
    );
    assert!(
        report.rendered.contains("broken.yaml:7:"),
        "{}",
        report.rendered
    );
}
