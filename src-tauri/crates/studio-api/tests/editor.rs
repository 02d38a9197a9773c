//! The Editor page through the API: a text checked as one types, its preview, and the save into
//! the library (atomic, then listed) or back to its file.

use studio_api::{AppPaths, ErrorCode, StudioApi, TemplateQuery};

const MINE: &str = r#"version: "1.0"
id: acme.ops.edited
name: Edited Mission
sector: Operations
required_depts: [ops]
goal: "Check the editor's save"
perimeter:
  approval: {mode: strict}
steps:
  - id: collect
    step_type: noop
  - id: write
    step_type: create_file
    depends_on: [collect]
    parameters: {path: out.md, content: "hi"}
"#;

fn api() -> (tempfile::TempDir, StudioApi) {
    let dir = tempfile::tempdir().unwrap();
    let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
    (dir, api)
}

#[test]
fn an_unknown_dependency_is_reported_at_its_line_with_a_hint() {
    let (_dir, api) = api();
    let clean = api.check_mission_text(MINE, None);
    assert!(clean.valid && clean.errors == 0, "{}", clean.rendered);

    let broken = MINE.replace("depends_on: [collect]", "depends_on: [colect]");
    let report = api.check_mission_text(&broken, None);
    assert!(!report.valid);
    let item = report
        .items
        .iter()
        .find(|i| i.severity == "error")
        .expect("an error");
    assert_eq!(item.line, Some(14), "{item:?}");
    assert!(item.column.unwrap() > 1);
    assert!(item.message.contains("colect"), "{}", item.message);
    assert!(report.rendered.contains("colect"));
}

#[test]
fn syntax_errors_and_library_rules_are_located() {
    let (_dir, api) = api();
    let report = api.check_mission_text("name: x\nsteps: [\n", None);
    assert!(!report.valid);
    assert!(report.items[0].line.is_some());

    let no_goal = MINE.replace("goal: \"Check the editor's save\"\n", "");
    let for_library = api.check_mission_text(&no_goal, None);
    assert!(for_library.items.iter().any(|i| i.field == "goal"));
    // A file of one's own is not held to the library's rules.
    let as_file = api.check_mission_text(&no_goal, Some("/tmp/x.yaml"));
    assert!(as_file.valid, "{}", as_file.rendered);
}

#[test]
fn the_preview_follows_the_text() {
    let (_dir, api) = api();
    let p = api.mission_preview(MINE, None).unwrap();
    assert!(p.parsed);
    assert_eq!(p.id.as_deref(), Some("acme.ops.edited"));
    assert_eq!(p.steps.len(), 2);
    assert_eq!(p.steps[1].depends_on, vec!["collect"]);
    assert_eq!(p.approvals.len(), 2);
    // Strict mode: the step with side effects waits for approval.
    assert!(p
        .approvals
        .iter()
        .any(|a| a.step_id == "write" && a.needs_approval));
    let broken = api.mission_preview("steps: [", None).unwrap();
    assert!(!broken.parsed && broken.steps.is_empty());
}

#[test]
fn saving_into_the_library_is_atomic_and_listed() {
    let (dir, api) = api();
    assert!(api
        .list_templates(&TemplateQuery::default())
        .unwrap()
        .iter()
        .all(|t| t.id != "acme.ops.edited"));
    let saved = api.save_mission_text(MINE, None).unwrap();
    assert!(saved.in_library);
    assert_eq!(saved.id, "acme.ops.edited");
    let path = dir.path().join("templates/acme.ops.edited.yaml");
    assert_eq!(std::path::PathBuf::from(&saved.path), path);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), MINE);
    // No temporary file left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path().join("templates"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let listed = api.list_templates(&TemplateQuery::default()).unwrap();
    assert!(listed.iter().any(|t| t.id == "acme.ops.edited"));

    // Saved again with a change: replaced in place.
    let changed = MINE.replace("Edited Mission", "Edited Mission Two");
    api.save_mission_text(&changed, None).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), changed);
    let t = api.get_template("acme.ops.edited").unwrap();
    assert_eq!(t.summary.name, "Edited Mission Two");
}

#[test]
fn a_text_with_errors_is_not_saved_and_says_why() {
    let (dir, api) = api();
    let broken = MINE.replace("depends_on: [collect]", "depends_on: [colect]");
    let err = api.save_mission_text(&broken, None).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert!(err.message.contains("not saved"), "{}", err.message);
    assert!(err.message.contains("line 14"), "{}", err.message);
    assert!(!dir.path().join("templates/acme.ops.edited.yaml").exists());

    // Back to its own file, with a warning allowed (an unknown key is only a warning there).
    let file = dir.path().join("mine.yaml");
    std::fs::write(&file, "old").unwrap();
    let with_warning = MINE.replace("goal:", "colour: blue\ngoal:");
    let report = api.check_mission_text(&with_warning, Some(file.to_str().unwrap()));
    assert!(report.valid && report.warnings > 0, "{}", report.rendered);
    let saved = api.save_mission_text(&with_warning, Some(&file)).unwrap();
    assert!(!saved.in_library && saved.warnings > 0);
    assert_eq!(api.read_mission_file(&file).unwrap(), with_warning);
    assert!(api.read_mission_file(&dir.path().join("x.txt")).is_err());
}
