//! The index on real files and a real SQLite database: valid, broken and duplicate templates,
//! unchanged files, deletions, the batch's columns, the real library.

use std::path::{Path, PathBuf};
use studio_registry::{
    Registry, SortKey, TemplateQuery, TemplateRoot, TemplateSource, TOP_PERFORMANCE,
};

pub fn template(id: &str, name: &str, sector: &str, goal: &str) -> String {
    format!(
        r#"version: "1.0"
id: {id}
name: {name}
sector: {sector}
required_depts: [ops, finance]
goal: "{goal}"
tags: [alpha, beta]
risk: medium
est_roi: 3.5
value_usd: 120
steps:
  - id: first
    step_type: noop
  - id: second
    step_type: create_file
    depends_on: [first]
    parameters: {{path: out.txt, content: "done"}}
"#
    )
}

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn repo_templates() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../missions/templates")
}

struct Fixture {
    _dir: tempfile::TempDir,
    builtin: PathBuf,
    user: PathBuf,
    db: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let builtin = dir.path().join("builtin");
    let user = dir.path().join("data/templates");
    std::fs::create_dir_all(&builtin).unwrap();
    Fixture {
        db: dir.path().join("data/mission-studio.db"),
        builtin,
        user,
        _dir: dir,
    }
}

impl Fixture {
    fn registry(&self) -> Registry {
        Registry::open(
            &self.db,
            vec![
                TemplateRoot::builtin(&self.builtin),
                TemplateRoot::user(&self.user),
            ],
        )
        .unwrap()
    }
}

#[test]
fn valid_templates_are_listed_and_broken_ones_reported_with_their_place() {
    let f = fixture();
    write(
        &f.builtin,
        "hr/burnout.yaml",
        &template(
            "t.hr.burnout",
            "Burnout Recruiter",
            "HR",
            "Hire before the team burns out",
        ),
    );
    write(
        &f.builtin,
        "finance/sweep.yaml",
        &template("t.fin.sweep", "Cash Sweep", "Finance", "Sweep idle cash"),
    );
    // No goal: a mission, but not a template.
    let no_goal = template("t.fin.nogoal", "No Goal", "Finance", "x").replace("goal: \"x\"\n", "");
    let no_goal_path = write(&f.user, "nogoal.yaml", &no_goal);
    // Broken YAML.
    let broken_path = write(&f.user, "broken.yaml", "name: [unclosed\nsteps: []\n");
    // An unknown field on line 3.
    let unknown = template("t.x.unknown", "Unknown", "HR", "Unknown field").replacen(
        "name: Unknown\n",
        "name: Unknown\ncolour: blue\n",
        1,
    );
    let unknown_path = write(&f.user, "unknown.yaml", &unknown);
    // Not a template file: ignored.
    write(&f.user, "notes.txt", "not a template");

    let registry = f.registry();
    let report = registry.reindex().unwrap();
    assert_eq!(report.scanned, 5, "{report:?}");
    assert_eq!(
        {
            let mut a = report.added.clone();
            a.sort();
            a
        },
        ["t.fin.sweep", "t.hr.burnout"]
    );
    assert_eq!(report.problems.len(), 3, "{:#?}", report.problems);
    let problem = |p: &Path| {
        report
            .problems
            .iter()
            .find(|x| x.file == p)
            .unwrap_or_else(|| panic!("{} is reported: {:#?}", p.display(), report.problems))
            .clone()
    };
    let nogoal = problem(&no_goal_path);
    assert!(nogoal.reason.contains("goal"), "{nogoal:?}");
    assert!(nogoal.line.is_some() && nogoal.column.is_some());
    let broken = problem(&broken_path);
    assert_eq!(broken.code, "syntax");
    // The unclosed `[` of line 1 is found where the parser meets the next key, on line 2.
    assert_eq!(broken.line, Some(2), "{broken:?}");
    let unknown = problem(&unknown_path);
    assert_eq!(
        unknown.line,
        Some(4),
        "the unknown field is on line 4: {unknown:?}"
    );
    assert!(unknown.reason.contains("colour"), "{unknown:?}");
    assert!(unknown.to_string().contains("unknown.yaml:4:"), "{unknown}");

    let all = registry.list(&TemplateQuery::default());
    let names: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["Burnout Recruiter", "Cash Sweep"],
        "invalid files are left out"
    );
    let burnout = &all[0];
    assert_eq!(burnout.source, TemplateSource::Builtin);
    assert_eq!(burnout.required_depts, ["ops", "finance"]);
    assert_eq!(burnout.est_roi, Some(3.5));
    assert_eq!(burnout.roi, Some(3.5));
    assert!(burnout.roi_is_estimate);
    assert_eq!(burnout.risk_level.as_deref(), Some("medium"));
    assert!(burnout.logic_hash.starts_with("sha256:"));

    // A second pass over the same files changes nothing.
    let again = registry.reindex().unwrap();
    assert!(!again.changed, "{again:?}");
    assert_eq!(again.unchanged, 2);
    assert_eq!(again.problems.len(), 3, "problems are reported every pass");

    // Fixing a file brings it in.
    std::fs::write(
        &no_goal_path,
        template("t.fin.nogoal", "No Goal", "Finance", "Now with a goal"),
    )
    .unwrap();
    let fixed = registry.reindex().unwrap();
    assert_eq!(fixed.added, ["t.fin.nogoal"]);
    assert_eq!(
        registry.summary("t.fin.nogoal").unwrap().source,
        TemplateSource::User
    );
}

#[test]
fn the_first_file_keeps_a_duplicate_id_and_the_other_is_reported() {
    let f = fixture();
    let first = write(
        &f.builtin,
        "a/one.yaml",
        &template("t.dup", "One", "HR", "First goal"),
    );
    let second = write(
        &f.builtin,
        "b/two.yaml",
        &template("t.dup", "Two", "HR", "Second goal"),
    );
    let user = write(
        &f.user,
        "mine.yaml",
        &template("t.dup", "Mine", "HR", "User goal"),
    );
    let registry = f.registry();
    let report = registry.reindex().unwrap();
    assert_eq!(report.added, ["t.dup"]);
    let dup_files: Vec<&Path> = report
        .problems
        .iter()
        .filter(|p| p.code == "duplicate_id")
        .map(|p| p.file.as_path())
        .collect();
    assert_eq!(dup_files, [second.as_path(), user.as_path()]);
    assert!(report.problems[0]
        .reason
        .contains(&first.display().to_string()));
    assert_eq!(registry.summary("t.dup").unwrap().name, "One");

    // The first file goes: the next in order takes the id over.
    std::fs::remove_file(&first).unwrap();
    let report = registry.reindex().unwrap();
    assert_eq!(report.updated, ["t.dup"], "{report:?}");
    assert_eq!(registry.summary("t.dup").unwrap().name, "Two");
    assert_eq!(report.problems.len(), 1);
}

#[test]
fn re_indexing_keeps_the_batch_figures_and_deleting_a_file_removes_its_row() {
    let f = fixture();
    let path = write(
        &f.builtin,
        "t.yaml",
        &template("t.kept", "Kept", "HR", "Keep the stats"),
    );
    let gone = write(
        &f.builtin,
        "gone.yaml",
        &template("t.gone", "Gone", "HR", "Goes away"),
    );
    let registry = f.registry();
    registry.reindex().unwrap();

    // The batch's figures, written the way the batch writes them.
    let conn = rusqlite::Connection::open(&f.db).unwrap();
    let stats = serde_json::json!({
        "runs": 4, "success_rate": 0.75, "avg_cost_usd": 0.2, "avg_profit_usd": 119.8,
        "measured_roi": 599.0, "p50_duration_ms": 100, "p95_duration_ms": 200,
        "derived_risk": "high", "last_run_at": "2026-01-02T03:04:05.000Z",
        "computed_at": "2026-01-03T00:00:00.000Z"
    });
    conn.execute(
        "UPDATE mission_templates SET stats = ?1, badges = ?2, derived_risk = 'high'
         WHERE template_id = 't.kept'",
        rusqlite::params![stats.to_string(), format!("[\"{TOP_PERFORMANCE}\"]")],
    )
    .unwrap();
    registry.refresh().unwrap();
    let kept = registry.summary("t.kept").unwrap();
    assert_eq!(kept.roi, Some(599.0));
    assert!(!kept.roi_is_estimate);
    assert_eq!(kept.risk_level.as_deref(), Some("high"));

    // Edit the file (a new goal) and delete the other one.
    std::fs::write(&path, template("t.kept", "Kept", "HR", "A better goal")).unwrap();
    std::fs::remove_file(&gone).unwrap();
    let report = registry.reindex().unwrap();
    assert_eq!(report.updated, ["t.kept"]);
    assert_eq!(report.removed, ["t.gone"]);
    let kept = registry.summary("t.kept").unwrap();
    assert_eq!(kept.goal.as_deref(), Some("A better goal"));
    assert_eq!(
        kept.stats.as_ref().map(|s| s.runs),
        Some(4),
        "stats survive the edit"
    );
    assert_eq!(kept.badges, [TOP_PERFORMANCE]);
    assert!(registry.summary("t.gone").is_err());
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM mission_templates", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1);

    // A query by the batch's figures.
    let top = registry.list(&TemplateQuery {
        badge: Some(TOP_PERFORMANCE.into()),
        sort: SortKey::Roi,
        ..TemplateQuery::default()
    });
    assert_eq!(top.len(), 1);
}

#[test]
fn a_template_in_full_has_its_steps_levels_and_perimeter() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::open(
        &dir.path().join("h.db"),
        vec![TemplateRoot::builtin(repo_templates())],
    )
    .unwrap();
    registry.reindex().unwrap();
    let hits = registry.list(&TemplateQuery {
        search: Some("burnout recruiter".into()),
        ..TemplateQuery::default()
    });
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let detail = registry.get(&hits[0].id).unwrap();
    assert_eq!(detail.summary.sector.as_deref(), Some("HR"));
    assert!(detail.objective.is_some() && detail.done_definition.is_some());
    assert!(detail.context.is_some() && detail.constraints.is_some());
    assert!(detail.perimeter.is_some());
    assert!(detail.steps.len() >= 3);
    let in_levels: usize = detail.levels.iter().map(Vec::len).sum();
    assert_eq!(in_levels, detail.steps.len(), "every step is in one level");
    let unknown = registry.get("no.such.template").unwrap_err();
    assert!(unknown
        .to_string()
        .contains("mission templates list --search"));
}
