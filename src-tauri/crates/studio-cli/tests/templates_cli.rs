//! `mission templates list|show` and `mission run --template` as a user runs them: the real
//! binary on a temporary data folder and template folders.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mission_bin(templates: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mission"));
    cmd.env_remove("MISSION_STUDIO_DATA_DIR");
    cmd.env("MISSION_STUDIO_TEMPLATES_DIR", templates);
    cmd
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn template(id: &str, name: &str, sector: &str, risk: &str, roi: f64) -> String {
    format!(
        r#"version: "1.0"
id: {id}
name: {name}
sector: {sector}
required_depts: [ops]
goal: "{name}: the goal"
tags: [demo, {sector}]
risk: {risk}
est_roi: {roi}
value_usd: 50
steps:
  - id: greet
    step_type: command
    parameters: {{command: printf, args: ["hello %s", "{{{{context.who}}}}"]}}
  - id: save
    step_type: create_file
    depends_on: [greet]
    parameters: {{path: out.txt, content: "{{{{greet.output.stdout}}}}"}}
outputs: [out.txt]
"#
    )
}

struct Env {
    dir: tempfile::TempDir,
    builtin: PathBuf,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let builtin = dir.path().join("library");
        for (rel, id, name, sector, risk, roi) in [
            (
                "finance/sweep.yaml",
                "t.finance.sweep",
                "Cash Sweep",
                "Finance",
                "low",
                4.0,
            ),
            (
                "finance/audit.yaml",
                "t.finance.audit",
                "Audit Trail",
                "Finance",
                "high",
                9.5,
            ),
            (
                "hr/burnout.yaml",
                "t.hr.burnout",
                "Burnout Recruiter",
                "HR",
                "medium",
                6.5,
            ),
        ] {
            let path = builtin.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, template(id, name, sector, risk, roi)).unwrap();
        }
        Self { dir, builtin }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn mission(&self, args: &[&str]) -> Output {
        mission_bin(&self.builtin)
            .args(args)
            .arg("--data-dir")
            .arg(self.data())
            .output()
            .expect("the mission binary runs")
    }
}

#[test]
fn list_filters_sorts_and_prints_json_with_the_registry_fields() {
    let env = Env::new();
    let out = env.mission(&["templates", "list", "--json", "--sort", "roi"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).expect("a JSON array");
    let ids: Vec<&str> = list.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["t.finance.audit", "t.hr.burnout", "t.finance.sweep"]);
    for field in [
        "id",
        "name",
        "sector",
        "goal",
        "required_depts",
        "risk",
        "est_roi",
        "tags",
        "logic_hash",
        "stats",
        "badges",
        "roi",
        "roi_is_estimate",
    ] {
        assert!(list[0].get(field).is_some(), "`{field}` in {}", list[0]);
    }
    assert_eq!(list[0]["est_roi"], 9.5);
    assert_eq!(list[0]["roi_is_estimate"], true);
    assert!(list[0]["logic_hash"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));

    let out = env.mission(&[
        "templates",
        "list",
        "--json",
        "--sector",
        "finance",
        "--risk",
        "low",
    ]);
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], "t.finance.sweep");

    let out = env.mission(&["templates", "list", "--search", "BURNOUT"]);
    assert_eq!(code(&out), 0);
    let table = text(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("ROI"),
        "{table}"
    );
    assert!(
        lines[1].contains("t.hr.burnout") && lines[1].contains("6.5x (est.)"),
        "{table}"
    );
    assert_eq!(
        lines[0].find("NAME"),
        lines[1].find("Burnout Recruiter"),
        "columns are aligned:\n{table}"
    );

    let out = env.mission(&["templates", "list", "--sort", "price"]);
    assert_eq!(code(&out), 2, "an unknown sort is a usage error");
    assert!(text(&out.stderr).contains("roi, success, cost, recent, name"));
}

#[test]
fn user_templates_join_the_library_and_broken_files_are_reported_with_their_line() {
    let env = Env::new();
    let user = env.data().join("templates");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(
        user.join("mine.yaml"),
        template("acme.mine", "My Own", "Operations", "low", 1.0),
    )
    .unwrap();
    std::fs::write(
        user.join("broken.yaml"),
        template("acme.broken", "Broken", "Operations", "low", 1.0)
            .replace("goal: \"Broken: the goal\"\n", ""),
    )
    .unwrap();
    let out = env.mission(&["templates", "list", "--json"]);
    assert_eq!(code(&out), 0);
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mine = list
        .iter()
        .find(|t| t["id"] == "acme.mine")
        .expect("listed");
    assert_eq!(mine["source"], "user");
    assert!(list.iter().all(|t| t["id"] != "acme.broken"), "left out");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("broken.yaml:") && stderr.contains("goal"),
        "the broken file is reported with its place: {stderr}"
    );
}

#[test]
fn show_prints_the_template_in_full_and_an_unknown_id_exits_2() {
    let env = Env::new();
    let out = env.mission(&["templates", "show", "t.hr.burnout", "--json"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["sector"], "HR");
    assert_eq!(doc["levels"], serde_json::json!([["greet"], ["save"]]));
    assert_eq!(doc["steps"][1]["depends_on"], serde_json::json!(["greet"]));

    let out = env.mission(&["templates", "show", "t.hr.burnout"]);
    let shown = text(&out.stdout);
    assert!(
        shown.contains("levels") && shown.contains("1: greet"),
        "{shown}"
    );
    assert!(shown.contains("6.5x (est.)"), "{shown}");

    let out = env.mission(&["templates", "show", "t.hr.burnot"]);
    assert_eq!(code(&out), 2);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("mission templates list --search"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `t.hr.burnout`"), "{stderr}");
}

#[test]
fn run_template_runs_the_indexed_file_with_the_flags_of_run() {
    let env = Env::new();
    let out = env.mission(&[
        "run",
        "--template",
        "t.hr.burnout",
        "--json",
        "--var",
        "who=ops",
    ]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["status"], "completed");
    assert_eq!(doc["mission_id"], "t.hr.burnout");
    let evidence = PathBuf::from(doc["evidence_dir"].as_str().unwrap());
    let saved = std::fs::read_to_string(evidence.join("outputs/out.txt")).unwrap();
    assert_eq!(saved, "hello ops");

    let out = env.mission(&["run", "--template", "t.hr.burnout", "--dry-run"]);
    assert_eq!(code(&out), 0);
    assert!(text(&out.stdout).contains("level 1: greet"));

    let out = env.mission(&["run", "--template", "no.such.template"]);
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("mission templates list --search"));

    let out = env.mission(&["run", "some.yaml", "--template", "t.hr.burnout"]);
    assert_eq!(code(&out), 2, "FILE and --template exclude each other");
}

#[test]
fn without_a_templates_folder_setting_the_repository_library_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mission"))
        .env_remove("MISSION_STUDIO_DATA_DIR")
        .env_remove("MISSION_STUDIO_TEMPLATES_DIR")
        .current_dir(dir.path())
        .args([
            "templates",
            "list",
            "--json",
            "--search",
            "burnout recruiter",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["sector"], "HR");
}

#[test]
fn a_search_lists_the_names_that_start_with_it_first_whatever_the_sort() {
    // The repository's library, where "nda" also occurs inside other names (Mandatory,
    // Calendar) and in goals.
    let dir = tempfile::tempdir().unwrap();
    let list = |extra: &[&str]| -> Vec<String> {
        let out = Command::new(env!("CARGO_BIN_EXE_mission"))
            .env_remove("MISSION_STUDIO_DATA_DIR")
            .env_remove("MISSION_STUDIO_TEMPLATES_DIR")
            .current_dir(dir.path())
            .args(["templates", "list", "--json", "--search", "nda"])
            .args(extra)
            .arg("--data-dir")
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        list.iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    for sort in [&[][..], &["--sort", "roi"], &["--sort", "cost"]] {
        let names = list(sort);
        assert!(names.len() > 2, "{names:?}");
        let starting = names
            .iter()
            .take_while(|n| n.to_lowercase().starts_with("nda"))
            .count();
        assert!(
            starting >= 2 && names.iter().any(|n| n == "NDA Triage"),
            "{sort:?}: the names that start with it come first: {names:?}"
        );
        assert!(
            names[starting..]
                .iter()
                .all(|n| !n.to_lowercase().starts_with("nda")),
            "{sort:?}: {names:?}"
        );
        assert!(
            names.iter().any(|n| n == "Mandatory Training Chaser"),
            "a match inside a word is still listed: {names:?}"
        );
    }
}
