//! `mission validate` and `mission run --dry-run`, through the real binary on files in a
//! temporary folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mission(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mission"))
        .args(args)
        .current_dir(dir)
        .env("MISSION_STUDIO_DATA_DIR", dir.join("data"))
        .env_remove("NO_COLOR")
        .output()
        .expect("the mission binary runs")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const GOOD: &str = "name: Good\nsteps:\n  - id: a\n    step_type: noop\n  - id: b\n    step_type: noop\n  - id: c\n    step_type: noop\n    depends_on: [a, b]\n";
const BROKEN: &str = "name: Broken\nsteps:\n  - id: a\n    step_type: noop\n    depends_on: [missing]\n  - id: b\n    step_type: rag_querry\n";

#[test]
fn a_valid_file_prints_ok_with_its_step_count_and_hash() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.yaml", GOOD);
    let out = mission(&["validate", "good.yaml"], dir.path());
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert!(
        stdout.starts_with("ok: good.yaml (3 steps, logic_hash sha256:"),
        "{stdout}"
    );
    assert!(
        !dir.path().join("data").exists(),
        "validation needs no data folder"
    );
}

#[test]
fn a_broken_file_shows_file_line_and_column_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "broken.yaml", BROKEN);
    let out = mission(&["validate", "broken.yaml"], dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("broken.yaml:5:18"),
        "the unknown dependency is located: {stderr}"
    );
    assert!(
        stderr.contains("broken.yaml:7:16"),
        "the unknown step type is located: {stderr}"
    );
    assert!(
        stderr.contains("unknown step type `rag_querry`")
            && stderr.contains("did you mean `rag_query`?"),
        "{stderr}"
    );
    assert!(
        stderr.contains("invalid: broken.yaml (2 error(s))"),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "no colours when stderr is not a terminal"
    );
    assert!(text(&out.stdout).is_empty());
}

#[test]
fn a_syntax_error_is_located_too() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "typo.yaml",
        "name: T\nsteps:\n  - id: a\n    step_typ: noop\n",
    );
    // `step_typ` is an unknown key (a warning), so the step has no `step_type` (an error).
    let out = mission(&["validate", "typo.yaml"], dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr.contains("typo.yaml:3:5"), "{stderr}");
    assert!(stderr.contains("missing field `step_type`"), "{stderr}");
}

#[test]
fn unknown_keys_are_warnings_and_strict_makes_them_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "extra.yaml",
        "name: T
config:
  max_parallel_steps: 2
  enterprise_mode: true
steps:
  - id: a
    step_type: noop
",
    );
    let out = mission(&["validate", "extra.yaml"], dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("extra.yaml:4:3"), "{stderr}");
    assert!(stderr.contains("unknown key `enterprise_mode`"), "{stderr}");
    assert!(
        stderr.contains("mapped `config.max_parallel_steps` to `max_concurrent_steps`"),
        "the RustChain spelling is a note: {stderr}"
    );
    assert!(text(&out.stdout).contains("ok: extra.yaml"));

    let out = mission(
        &["validate", "--strict", "--json", "extra.yaml"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &doc[0]["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "unknown_field");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(4), Some(3))
    );
    assert_eq!(doc[0]["valid"], false);
}

#[test]
fn all_files_are_checked_and_json_describes_each() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.yaml", GOOD);
    write(dir.path(), "broken.yaml", BROKEN);
    let out = mission(
        &[
            "validate",
            "--json",
            "good.yaml",
            "broken.yaml",
            "absent.yaml",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let files = doc.as_array().unwrap();
    assert_eq!(files.len(), 3);
    assert_eq!(
        (files[0]["file"].as_str(), files[0]["valid"].as_bool()),
        (Some("good.yaml"), Some(true))
    );
    assert!(files[0]["logic_hash"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert_eq!(files[0]["diagnostics"], serde_json::json!([]));
    let broken = &files[1]["diagnostics"];
    assert_eq!(broken.as_array().unwrap().len(), 2);
    let first = &broken[0];
    for key in [
        "severity", "message", "file", "line", "column", "field", "help",
    ] {
        assert!(first.get(key).is_some(), "diagnostic has `{key}`: {first}");
    }
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(5), Some(18))
    );
    assert_eq!(first["field"], "steps[0].depends_on[0]");
    assert_eq!(
        (
            files[2]["valid"].as_bool(),
            files[2]["diagnostics"][0]["code"].as_str()
        ),
        (Some(false), Some("io"))
    );
    assert!(files[2]["logic_hash"].is_null());
}

#[test]
fn validate_without_files_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = mission(&["validate"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_example_missions_of_the_repository_validate() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../missions/examples");
    let out = mission(
        &[
            "validate",
            "word-count-report.yaml",
            "config-digest.json",
            "status-check.yaml",
            "rustchain/seed/robust-error-handling.yaml",
        ],
        &examples,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("ok: "))
            .count(),
        4
    );
}

#[test]
fn dry_run_prints_the_parallel_levels() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.yaml", GOOD);
    let out = mission(&["run", "good.yaml", "--dry-run"], dir.path());
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains("level 1: a, b\nlevel 2: c\n"), "{stdout}");
    assert!(stdout.contains("logic_hash: sha256:"), "{stdout}");

    let out = mission(&["run", "good.yaml", "--dry-run", "--json"], dir.path());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(doc["levels"], serde_json::json!([["a", "b"], ["c"]]));
    assert_eq!(doc["mission_id"], "good");
}

#[test]
fn dry_run_of_an_invalid_mission_shows_the_diagnostics_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "cycle.yaml",
        "name: C\nsteps:\n  - id: a\n    step_type: noop\n    depends_on: [b]\n  - id: b\n    step_type: noop\n    depends_on: [a]\n",
    );
    let out = mission(&["run", "cycle.yaml", "--dry-run"], dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("a -> b -> a"),
        "the cycle's path is printed: {stderr}"
    );
    assert!(stderr.contains("cycle.yaml:5:18"), "{stderr}");
    assert!(
        text(&out.stdout).is_empty(),
        "no plan for an invalid mission"
    );
}
