//! Helpers of the git step tests: repositories made with the system `git` (isolated from the
//! machine's configuration and from any hook's variables) and missions run in their workspace.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use studio_core::{Mission, StepStatus};
use studio_engine::{run_mission, Governance, RunOptions, RunResult};

/// Variables a git hook (or a parent git) may have set; the test's own git calls drop them.
pub const GIT_LOCATION_VARS: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_COMMON_DIR",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_NAMESPACE",
];

/// Runs git for the test's own setup and checks (isolated from the machine's configuration)
/// and returns its trimmed standard output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_run(dir, args);
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn git_run(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new("git");
    cmd.args(args).current_dir(dir);
    for var in GIT_LOCATION_VARS {
        cmd.env_remove(var);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Setup")
        .env("GIT_AUTHOR_EMAIL", "setup@example.com")
        .env("GIT_COMMITTER_NAME", "Setup")
        .env("GIT_COMMITTER_EMAIL", "setup@example.com")
        .env("LC_ALL", "C")
        .output()
        .expect("git runs")
}

pub fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A workspace holding a repository `repo` with one commit of `files` on `main`.
pub fn workspace_with_repo(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let repo = ws.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    for (path, text) in files {
        write(&repo, path, text);
    }
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    (dir, ws, repo)
}

/// Commits `files` on `branch` (created from HEAD when missing), then goes back to `back`.
pub fn commit_on(repo: &Path, branch: &str, files: &[(&str, &str)], back: &str) {
    if git(repo, &["branch", "--list", branch]).is_empty() {
        git(repo, &["branch", branch]);
    }
    git(repo, &["switch", "-q", branch]);
    for (path, text) in files {
        write(repo, path, text);
    }
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", &format!("on {branch}")]);
    git(repo, &["switch", "-q", back]);
}

/// A mission of `steps`; every step has `continue_on_error`, so a step expected to fail does not
/// hold back the ones after it.
pub fn mission(mut steps: Value, extra: Value) -> Mission {
    for step in steps.as_array_mut().unwrap() {
        step["continue_on_error"] = json!(true);
    }
    let mut m = json!({
        "name": "Git steps",
        "config": {"max_concurrent_steps": 1, "fail_fast": false},
        "steps": steps,
    });
    if let Value::Object(more) = extra {
        m.as_object_mut().unwrap().extend(more);
    }
    serde_json::from_value(m).expect("the mission parses")
}

pub async fn run_with(ws: &Path, m: &Mission, governance: Governance) -> RunResult {
    let options = RunOptions::new(ws).with_governance(governance);
    run_mission(m, options, &mut studio_engine::NullSink)
        .await
        .expect("the run starts")
}

pub async fn run_in(ws: &Path, steps: Value) -> RunResult {
    run_with(ws, &mission(steps, json!({})), Governance::default()).await
}

pub fn output<'a>(result: &'a RunResult, id: &str) -> &'a Value {
    let r = &result.step_results[id];
    assert_eq!(r.status, StepStatus::Success, "{id}: {r:?}");
    &r.output
}

pub fn failure(result: &RunResult, id: &str) -> (String, Value) {
    let r = &result.step_results[id];
    assert_eq!(r.status, StepStatus::Failed, "{id} must fail: {r:?}");
    (r.error.clone().unwrap_or_default(), r.output.clone())
}

pub fn state_of<'a>(status: &'a Value, path: &str) -> &'a Value {
    status["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("`{path}` is not listed: {status}"))
}
