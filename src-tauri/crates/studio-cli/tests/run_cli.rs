//! `mission run` as a user runs it: the real binary, real files, real processes.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn mission_bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mission"));
    cmd.env_remove("MISSION_STUDIO_DATA_DIR");
    cmd
}

fn write(dir: &Path, name: &str, yaml: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, yaml).unwrap();
    path
}

fn run(dir: &Path, file: &Path, extra: &[&str]) -> Output {
    mission_bin()
        .arg("run")
        .arg(file)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(extra)
        .output()
        .expect("the mission binary runs")
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const HELLO: &str = r#"
version: "1.0"
name: Hello Run
config: {max_concurrent_steps: 2}
steps:
  - id: greet
    step_type: command
    parameters: {command: printf, args: ["[%s]", "{{context.who}}"]}
  - id: save
    step_type: create_file
    depends_on: [greet]
    parameters: {path: out.txt, content: "{{greet.output.stdout}}"}
outputs: [out.txt]
"#;

#[test]
fn a_completed_run_exits_0_and_prints_the_result_document() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "hello.yaml", HELLO);
    let events = dir.path().join("events.ndjson");
    let out = run(
        dir.path(),
        &file,
        &[
            "--json",
            "--var",
            "who=; touch pwned",
            "--events",
            events.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    for field in [
        "run_id",
        "mission_id",
        "trace_id",
        "status",
        "reason",
        "started_at",
        "finished_at",
        "total_duration_ms",
        "evidence_dir",
        "usage",
        "step_results",
    ] {
        assert!(
            doc.get(field).is_some(),
            "the result document has `{field}`: {doc}"
        );
    }
    assert_eq!(doc["status"], "completed");
    assert_eq!(doc["mission_id"], "hello-run");
    let greet = &doc["step_results"]["greet"];
    for field in [
        "status",
        "output",
        "error",
        "attempts",
        "started_at",
        "finished_at",
        "duration_ms",
    ] {
        assert!(
            greet.get(field).is_some(),
            "a step result has `{field}`: {greet}"
        );
    }
    assert_eq!(
        greet["output"]["stdout"], "[; touch pwned]",
        "the variable is one literal argument"
    );
    let evidence = Path::new(doc["evidence_dir"].as_str().unwrap());
    assert!(
        evidence.starts_with(dir.path().join("data/runs")),
        "{}",
        evidence.display()
    );
    assert_eq!(
        std::fs::read_to_string(evidence.join("outputs/out.txt")).unwrap(),
        "[; touch pwned]"
    );
    assert!(!evidence.join("workspace/pwned").exists() && !dir.path().join("pwned").exists());
    let lines: Vec<Value> = std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each --events line is JSON"))
        .collect();
    assert_eq!(lines.first().unwrap()["event_type"], "mission.accepted");
    assert_eq!(lines.last().unwrap()["event_type"], "mission.completed");
    assert_eq!(lines.last().unwrap()["seq"], lines.len());
}

#[test]
fn a_failed_run_exits_1_and_an_invalid_mission_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let failing = write(
        dir.path(),
        "failing.yaml",
        "name: Fails\nsteps:\n  - id: a\n    step_type: command\n    parameters: {command: \"false\"}\n",
    );
    let out = run(dir.path(), &failing, &[]);
    assert_eq!(code(&out), 1, "stderr: {}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("failed"));

    let invalid = write(
        dir.path(),
        "invalid.yaml",
        "name: Broken\nsteps:\n  - id: a\n    step_type: noop\n    depends_on: [ghost]\n",
    );
    let out = run(dir.path(), &invalid, &[]);
    assert_eq!(code(&out), 3, "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("ghost"),
        "the diagnostic names the unknown step: {}",
        stderr(&out)
    );
    let folders = std::fs::read_dir(dir.path().join("data/runs"))
        .unwrap()
        .count();
    assert_eq!(
        folders, 1,
        "only the failed run left an evidence folder, not the invalid mission"
    );
}

#[test]
fn a_global_timeout_exits_6_and_a_bad_var_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let slow = write(
        dir.path(),
        "slow.yaml",
        "name: Slow\nconfig: {timeout_seconds: 1}\nsteps:\n  - id: a\n    step_type: command\n    parameters: {command: sleep, args: [\"30\"]}\n",
    );
    let started = Instant::now();
    let out = run(dir.path(), &slow, &["--json"]);
    assert_eq!(code(&out), 6, "stderr: {}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(10));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["status"], "timed_out");
    assert_eq!(doc["step_results"]["a"]["status"], "cancelled");

    let out = run(dir.path(), &slow, &["--var", "no-equals-sign"]);
    assert_eq!(code(&out), 2, "stderr: {}", stderr(&out));
}

#[test]
fn ctrl_c_cancels_the_run_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let slow = write(
        dir.path(),
        "slow.yaml",
        "name: Slow\nsteps:\n  - id: a\n    step_type: command\n    parameters: {command: sleep, args: [\"30\"]}\n",
    );
    let child = mission_bin()
        .arg("run")
        .arg(&slow)
        .arg("--json")
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 130, "stderr: {}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["status"], "cancelled");
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(doc["evidence_dir"].as_str().unwrap()).join("meta.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        meta["status"], "cancelled",
        "meta.json records the end of the run"
    );
}

#[test]
fn dry_run_prints_the_plan_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "hello.yaml", HELLO);
    let out = run(dir.path(), &file, &["--dry-run"]);
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("greet") && text.contains("save"), "{text}");
    assert!(
        !dir.path().join("data/runs").exists(),
        "a dry run leaves no evidence folder"
    );
}
