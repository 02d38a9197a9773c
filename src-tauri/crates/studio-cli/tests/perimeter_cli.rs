//! `mission run` under a perimeter, as an operator runs it: the real binary, the example
//! missions of the library, approvals, budgets, sector isolation, the sandbox, secrets and
//! `mission audit`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn example(name: &str) -> PathBuf {
    repo().join("missions/examples").join(name)
}

fn mission_bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mission"));
    cmd.env_remove("MISSION_STUDIO_DATA_DIR")
        .stdin(Stdio::null());
    cmd
}

fn run(data: &Path, file: &Path, extra: &[&str]) -> Output {
    mission_bin()
        .arg("run")
        .arg(file)
        .arg("--data-dir")
        .arg(data)
        .args(extra)
        .output()
        .expect("the mission binary runs")
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn each_approval_mode_gives_its_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let file = example("perimeter-approvals.yaml");
    let all = run(dir.path(), &file, &["--approve", "all", "--json"]);
    assert_eq!(code(&all), 0, "{}", String::from_utf8_lossy(&all.stderr));
    let doc = json_of(&all);
    assert_eq!(doc["step_results"]["save"]["status"], "success");
    let evidence = PathBuf::from(doc["evidence_dir"].as_str().unwrap());
    assert!(evidence.join("outputs/brief.md").exists());
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(evidence.join("meta.json")).unwrap())
            .unwrap();
    assert_eq!(meta["sandbox"]["mode"], "read-only");
    assert!(meta["sandbox"]["landlock_active"].is_boolean());
    assert!(meta["usage"]["llm_calls"].as_u64() == Some(1));

    let none = run(dir.path(), &file, &["--approve", "none", "--json"]);
    assert_eq!(code(&none), 4, "denied: exit 4");
    let doc = json_of(&none);
    assert_eq!(doc["step_results"]["save"]["status"], "skipped");
    assert!(doc["reason"].as_str().unwrap().contains("approval_denied"));

    // `prompt` with no terminal to ask on: exit 4, nothing written.
    let prompt = run(dir.path(), &file, &["--json"]);
    assert_eq!(code(&prompt), 4);
    let doc = json_of(&prompt);
    assert!(doc["reason"]
        .as_str()
        .unwrap()
        .contains("approval_unavailable"));
    let evidence = PathBuf::from(doc["evidence_dir"].as_str().unwrap());
    assert!(!evidence.join("workspace/brief.md").exists());
}

#[test]
fn a_budget_breach_exits_5_and_flags_tighten_the_mission() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &example("budget-breach.yaml"), &["--json"]);
    assert_eq!(code(&out), 5, "{}", String::from_utf8_lossy(&out.stderr));
    let doc = json_of(&out);
    assert!(doc["reason"].as_str().unwrap().contains("budget_exceeded"));
    assert!(doc["usage"]["llm_calls"].as_u64().unwrap() <= 2);

    // The approvals example fits its own budget; one LLM call more than the flag allows does not.
    let out = run(
        dir.path(),
        &example("perimeter-approvals.yaml"),
        &["--approve", "all", "--max-llm-calls", "0"],
    );
    assert_eq!(code(&out), 5);
    // A flag cannot loosen the mission's cap (max_llm_calls: 2 in the file).
    let out = run(
        dir.path(),
        &example("budget-breach.yaml"),
        &["--max-llm-calls", "99"],
    );
    assert_eq!(code(&out), 5);
    let out = run(
        dir.path(),
        &example("perimeter-approvals.yaml"),
        &["--approve", "all", "--max-cost-usd", "-1"],
    );
    assert_eq!(code(&out), 2, "a negative cap is a usage error");
}

#[test]
fn a_security_mission_is_refused_the_trading_tool_and_the_audit_names_both_sectors() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &example("security-calls-trading.yaml"),
        &["--json"],
    );
    assert_eq!(code(&out), 1);
    let doc = json_of(&out);
    let error = doc["step_results"]["trade"]["error"].as_str().unwrap();
    assert!(error.contains("sector isolation"), "{error}");
    let run_id = doc["run_id"].as_str().unwrap().to_string();
    let audit = mission_bin()
        .args(["audit", &run_id, "--json", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&audit), 0);
    let rows: Value = serde_json::from_slice(&audit.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["tool_sector"], "Finance");
    assert_eq!(rows[0]["mission_sector"], "Security");
    assert_eq!(rows[0]["decision"], "refused");
    assert_eq!(rows[0]["check"], "sector");
    // The evidence folder holds the same row.
    let evidence = PathBuf::from(doc["evidence_dir"].as_str().unwrap());
    let text = std::fs::read_to_string(evidence.join("evidence/audit.jsonl")).unwrap();
    assert_eq!(text.lines().count(), 1);

    // Connected by the operator, the same call passes the sector check.
    let out = run(
        dir.path(),
        &example("security-calls-trading.yaml"),
        &["--json", "--connect-sector", "Finance", "--approve", "none"],
    );
    let doc = json_of(&out);
    let error = doc["step_results"]["trade"]["error"].as_str().unwrap_or("");
    assert!(!error.contains("sector isolation"), "{error}");
}

#[test]
fn dry_runs_show_simulated_steps_and_simulated_tools_act_on_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = example("simulated-order.yaml");
    let dry = mission_bin()
        .args(["run", "--dry-run", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(json_of(&dry)["simulated"], serde_json::json!(["order"]));
    let out = run(dir.path(), &file, &["--json"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let doc = json_of(&out);
    assert_eq!(
        doc["step_results"]["order"]["output"]["output"]["order_id"],
        "SIM-1"
    );
}

#[test]
fn the_read_only_sandbox_confines_commands_to_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside.txt");
    let file = dir.path().join("escape.yaml");
    std::fs::write(
        &file,
        format!(
            r#"name: Escape
steps:
  - id: inside
    step_type: command
    parameters: {{command: sh, args: ["-c", "echo ok > inside.txt"]}}
  - id: escape
    step_type: command
    depends_on: [inside]
    parameters: {{command: sh, args: ["-c", "echo x > {}"]}}
"#,
            outside.display()
        ),
    )
    .unwrap();
    let out = run(dir.path(), &file, &["--sandbox", "read-only", "--json"]);
    let doc = json_of(&out);
    let evidence = PathBuf::from(doc["evidence_dir"].as_str().unwrap());
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(evidence.join("meta.json")).unwrap())
            .unwrap();
    assert!(
        !outside.exists(),
        "nothing is written outside the workspace"
    );
    if meta["sandbox"]["landlock_active"] == true {
        assert_eq!(doc["step_results"]["inside"]["status"], "success");
        assert_eq!(doc["step_results"]["escape"]["status"], "failed");
        assert!(evidence.join("workspace/inside.txt").exists());
    } else {
        let error = doc["step_results"]["inside"]["error"].as_str().unwrap();
        assert!(error.contains("Landlock"), "{error}");
    }
}

#[test]
fn planted_secrets_never_reach_the_evidence_the_history_or_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("canary.yaml");
    std::fs::write(
        &file,
        r#"name: Canary
steps:
  - id: leak
    step_type: command
    continue_on_error: true
    parameters:
      command: sh
      args: ["-c", "echo $CANARY_API_KEY; echo {{env.CANARY_DB_PASSWORD}}; echo $CANARY_PLAIN >&2; exit 1"]
  - id: note
    step_type: create_file
    parameters: {path: note.txt, content: "pw={{env.CANARY_DB_PASSWORD}} tok={{env.CANARY_SESSION_TOKEN}}"}
  - id: ask
    step_type: llm
    parameters: {prompt: "{{env.CANARY_SESSION_TOKEN}}"}
"#,
    )
    .unwrap();
    let secrets = [
        ("CANARY_API_KEY", "canary-api-key-8d1e55"),
        ("CANARY_DB_PASSWORD", "canary-password-77aa01"),
        ("CANARY_SESSION_TOKEN", "canary-token-4b2c90"),
        ("CANARY_PLAIN", "canary-declared-9e9e9e"),
    ];
    let events = dir.path().join("events.ndjson");
    let mut cmd = mission_bin();
    cmd.arg("run")
        .arg(&file)
        .arg("--data-dir")
        .arg(&data)
        .arg("--events")
        .arg(&events)
        .args(["--json", "--secret-env", "CANARY_PLAIN"]);
    for (k, v) in secrets {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let doc = json_of(&out);
    let evidence = PathBuf::from(doc["evidence_dir"].as_str().unwrap());
    let audit = mission_bin()
        .args(["audit", "--json", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let mut seen = String::new();
    seen.push_str(&String::from_utf8_lossy(&out.stdout));
    seen.push_str(&String::from_utf8_lossy(&out.stderr));
    seen.push_str(&String::from_utf8_lossy(&audit.stdout));
    seen.push_str(&std::fs::read_to_string(&events).unwrap());
    let workspace = evidence.join("workspace");
    for path in walk(&data) {
        // The workspace holds what the steps themselves wrote (a step sees the real value).
        // The database is read as bytes: SQLite pages hold the rows' text as is.
        if !path.starts_with(&workspace) {
            seen.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    for (name, value) in secrets {
        assert!(!seen.contains(value), "{name} leaked");
    }
    assert!(
        seen.contains("[redacted:env.CANARY_API_KEY]"),
        "the mask shows where it was"
    );
    assert!(workspace.join("note.txt").exists());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// `--approve prompt` on a real terminal (a pseudo-terminal from util-linux `script`): the
/// request shows exactly what will run, `y` runs the step, anything else denies it.
#[test]
fn prompt_mode_asks_on_the_terminal_and_shows_what_will_run() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("`script` is not installed; the terminal prompt is not exercised here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = example("perimeter-approvals.yaml");
    // Strict asks for the model call (it calls out), then for the file write; a `n` to the
    // first stops the run.
    for (answer, expected, shown) in [("y\ny\n", 0, "brief.md"), ("n\n", 4, "one-paragraph brief")]
    {
        let command = format!(
            "{} run {} --data-dir {} --approve prompt",
            env!("CARGO_BIN_EXE_mission"),
            file.display(),
            dir.path().display()
        );
        let mut child = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env_remove("MISSION_STUDIO_DATA_DIR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answer.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("approval needed: strict approval"), "{text}");
        assert!(text.contains("calls out (a model)"), "{text}");
        assert!(
            text.contains("will run with:") && text.contains(shown),
            "{text}"
        );
        assert!(text.contains("step hash:    sha256:"), "{text}");
        assert_eq!(code(&out), expected, "answer {answer:?}: {text}");
    }
}
