//! The operator's loop on the command line: the launch forecast of `mission run --dry-run`
//! (exit 5 naming the step, what it needs and the cap), and "fix and retry" with `mission
//! resume` — a raised cap, a fixed mission file. The real binary on temporary folders.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// An http step answered by the simulation block and a model step that reads its body: the
/// model step's prompt (system message included) is well over 60 tokens.
const SUMMARY: &str = r#"
version: "1.0"
id: com.example.summary
name: Feed Summary
sector: Operations
required_depts: [ops]
goal: Summarise what the feed says, in three lines.
tags: [demo]
risk: low
est_roi: 2
value_usd: 3
simulation:
  enabled: true
  tools:
    - name: fetch
      static_response: {status: 200, body: "{\"items\":[\"budget caps per workflow\",\"faster polling\",\"evidence export\"]}"}
steps:
  - id: fetch
    step_type: http
    timeout_seconds: 30
    parameters: {url: "https://feed.example.com/api", method: GET}
  - id: summarise
    step_type: llm
    depends_on: [fetch]
    timeout_seconds: 60
    parameters:
      prompt: "Summarise in three lines: {{fetch.output.body}}"
      max_tokens: 400
  - id: save
    step_type: create_file
    depends_on: [summarise]
    timeout_seconds: 5
    parameters: {path: summary.md, content: "{{summarise.output.text}}"}
outputs: [summary.md]
"#;

/// `check` fails until the file is fixed; `report` depends on it; `side` does not.
const BROKEN: &str = r#"
name: Fix Me
steps:
  - id: fetch
    step_type: command
    timeout_seconds: 10
    parameters: {command: printf, args: ["data-1"]}
  - id: check
    step_type: command
    depends_on: [fetch]
    timeout_seconds: 10
    parameters: {command: "false"}
  - id: report
    step_type: create_file
    depends_on: [check]
    parameters: {path: report.txt, content: "{{fetch.output.stdout}}"}
  - id: side
    step_type: create_file
    parameters: {path: side.txt, content: "side"}
"#;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let templates = dir.path().join("data/templates");
        std::fs::create_dir_all(&templates).unwrap();
        std::fs::create_dir_all(dir.path().join("builtin")).unwrap();
        std::fs::write(templates.join("summary.yaml"), SUMMARY).unwrap();
        Self { dir }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn mission(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_mission"))
            .env_remove("MISSION_STUDIO_DATA_DIR")
            .env(
                "MISSION_STUDIO_TEMPLATES_DIR",
                self.dir.path().join("builtin"),
            )
            .current_dir(self.dir.path())
            .arg("--data-dir")
            .arg(self.data())
            .args(args)
            .output()
            .expect("the mission binary runs")
    }
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is JSON ({e}): {}", text(&out.stdout)))
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The `summarise` prompt the gate reserves under `caps`, as the forecast reports it (the
/// perimeter is part of the system message).
fn summarise_prompt(env: &Env, file: &Path, caps: &[&str]) -> u64 {
    let mut args = vec!["run", arg(file), "--dry-run", "--json"];
    args.extend_from_slice(caps);
    let out = env.mission(&args);
    let doc = json(&out);
    doc["forecast"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step_id"] == "summarise")
        .unwrap()["prompt_tokens"]
        .as_u64()
        .unwrap()
}

#[test]
fn a_dry_run_forecast_names_the_shortfall_and_exits_5_as_the_run_then_does() {
    let env = Env::new();
    let file = env.file("summary.yaml", SUMMARY);
    let prompt = summarise_prompt(&env, &file, &["--max-tokens", "5000"]);

    // Caps that hold: exit 0, the table says so.
    let out = env.mission(&["run", arg(&file), "--dry-run", "--max-tokens", "5000"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("level 2: summarise"),
        "the plan first: {stdout}"
    );
    assert!(stdout.contains("launch forecast"), "{stdout}");
    let tokens = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("tokens"))
        .unwrap();
    assert!(
        tokens.contains(&format!("{} tokens", prompt + 400))
            && tokens.contains("5000 tokens")
            && tokens.contains("ok"),
        "{tokens}"
    );
    assert!(!dir_has_runs(&env), "a dry run runs nothing");

    // A cap below the prompt: exit 5, the step, what it needs and the cap are named.
    let prompt = summarise_prompt(&env, &file, &["--max-tokens", "60"]);
    assert!(prompt > 60, "{prompt}");
    let out = env.mission(&["run", arg(&file), "--dry-run", "--max-tokens", "60"]);
    assert_eq!(code(&out), 5, "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let tokens = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("tokens"))
        .unwrap();
    assert!(
        tokens.contains("short") && tokens.contains("`summarise`"),
        "{tokens}"
    );
    let shortfall = format!(
        "cannot complete: `summarise` needs up to {} tokens, cap 60",
        prompt + 1
    );
    assert!(
        text(&out.stderr).contains(&format!("error: {shortfall}")),
        "{}",
        text(&out.stderr)
    );
    assert!(stdout.contains(&shortfall), "{stdout}");

    // `--json` carries the forecast.
    let out = env.mission(&[
        "run",
        arg(&file),
        "--dry-run",
        "--json",
        "--max-tokens",
        "60",
    ]);
    assert_eq!(code(&out), 5);
    let f = &json(&out)["forecast"];
    assert_eq!(f["can_complete"], false);
    let cap = &f["caps"][0];
    assert_eq!(cap["cap"], "max_tokens");
    assert_eq!(cap["verdict"], "short");
    assert_eq!(cap["limit"], 60);
    assert_eq!(cap["worst_case"], prompt + 400);
    assert_eq!(cap["culprits"], serde_json::json!(["summarise"]));
    assert_eq!(cap["set_by"], serde_json::json!(["operator"]));
    let finding = &f["findings"][0];
    assert_eq!(finding["severity"], "blocking");
    assert_eq!(finding["step_id"], "summarise");
    assert_eq!(finding["need"], prompt + 1);
    assert_eq!(finding["limit"], 60);

    // The run itself is refused at the same step with the same figures.
    let out = env.mission(&["run", arg(&file), "--json", "--max-tokens", "60"]);
    assert_eq!(code(&out), 5, "{}", text(&out.stderr));
    let error = json(&out)["step_results"]["summarise"]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        error,
        format!(
            "budget_exceeded: max_tokens is 60; 0 used or reserved, this attempt needs up to {}",
            prompt + 1
        )
    );
}

fn dir_has_runs(env: &Env) -> bool {
    std::fs::read_dir(env.data().join("runs")).is_ok_and(|mut d| d.next().is_some())
}

#[test]
fn a_global_hard_cap_is_named_by_its_settings_field_and_its_file() {
    let env = Env::new();
    let file = env.file("summary.yaml", SUMMARY);
    std::fs::create_dir_all(env.data()).unwrap();
    std::fs::write(
        env.data().join("perimeter.yaml"),
        "budget: {max_tokens: 60}\n",
    )
    .unwrap();
    let out = env.mission(&["run", arg(&file), "--dry-run"]);
    assert_eq!(code(&out), 5);
    let err = text(&out.stderr);
    assert!(
        err.contains("raise Settings → Global hard caps → Tokens")
            && err.contains("perimeter.yaml in the data folder"),
        "{err}"
    );
    // A flag cannot go above it: said before the forecast.
    let out = env.mission(&["run", arg(&file), "--dry-run", "--max-tokens", "9000"]);
    assert_eq!(code(&out), 5);
    let err = text(&out.stderr);
    assert!(
        err.contains("note: --max-tokens 9000 is above what the run is held to: 60 tokens"),
        "{err}"
    );
}

#[test]
fn template_and_active_dry_runs_carry_the_forecast_of_their_perimeter() {
    let env = Env::new();
    let out = env.mission(&[
        "run",
        "--template",
        "com.example.summary",
        "--dry-run",
        "--json",
        "--max-tokens",
        "60",
    ]);
    assert_eq!(code(&out), 5, "{}", text(&out.stderr));
    assert_eq!(json(&out)["forecast"]["caps"][0]["verdict"], "short");

    let perimeter = env.file("p.yaml", "budget: {max_tokens: 60}\n");
    let deploy = env.mission(&[
        "deploy",
        "com.example.summary",
        "--perimeter",
        arg(&perimeter),
    ]);
    assert_eq!(code(&deploy), 0, "{}", text(&deploy.stderr));
    let id = text(&deploy.stdout).trim().to_string();
    let out = env.mission(&["run", "--active", &id, "--dry-run"]);
    assert_eq!(code(&out), 5, "the active mission's cap is forecast");
    assert!(text(&out.stderr).contains("cannot complete: `summarise`"));
    let out = env.mission(&["run", "--active", &id, "--dry-run", "--max-tokens", "40"]);
    assert!(
        text(&out.stderr).contains("cap 40"),
        "a flag tightens the active mission's cap: {}",
        text(&out.stderr)
    );
}

#[test]
fn resume_with_a_raised_cap_runs_what_the_earlier_cap_refused() {
    let env = Env::new();
    let file = env.file("summary.yaml", SUMMARY);
    let out = env.mission(&["run", arg(&file), "--json", "--max-tokens", "60"]);
    assert_eq!(code(&out), 5, "{}", text(&out.stderr));
    let first = json(&out)["run_id"].as_str().unwrap().to_string();

    // Without flags the resume keeps the earlier run's cap: it still cannot complete.
    let out = env.mission(&["resume", &first, "--dry-run"]);
    assert_eq!(code(&out), 5, "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("reused (1): fetch"));
    assert!(text(&out.stdout).contains("summarise (failed)"));

    // Raised on resume: the run completes, reusing `fetch`.
    let out = env.mission(&["resume", &first, "--json", "--max-tokens", "5000"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let doc = json(&out);
    assert_eq!(doc["status"], "completed");
    assert_eq!(doc["resumed_from"], first.as_str());
    assert_eq!(doc["step_results"]["fetch"]["reused_from"], first.as_str());
    assert!(doc["step_results"]["summarise"]["reused_from"].is_null());
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(doc["evidence_dir"].as_str().unwrap()).join("meta.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(meta["operator_perimeter"]["budget"]["max_tokens"], 5000);
    assert_eq!(meta["perimeter"]["budget"]["max_tokens"], 5000);

    // Never above the mission's own perimeter: a cap it sets stays.
    let capped = env.file(
        "capped.yaml",
        &SUMMARY.replace(
            "risk: low",
            "risk: low\nperimeter: {budget: {max_tokens: 70}}",
        ),
    );
    let out = env.mission(&["run", arg(&capped), "--json"]);
    assert_eq!(code(&out), 5);
    let run = json(&out)["run_id"].as_str().unwrap().to_string();
    let out = env.mission(&["resume", &run, "--dry-run", "--max-tokens", "5000"]);
    assert_eq!(code(&out), 5);
    assert!(
        text(&out.stderr)
            .contains("above what the run is held to: 70 tokens (the mission's own perimeter)"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn resume_with_a_fixed_file_reruns_the_fixed_step_and_reuses_the_unchanged_ones() {
    let env = Env::new();
    let file = env.file("fix-me.yaml", BROKEN);
    let out = env.mission(&["run", arg(&file), "--json"]);
    assert_eq!(code(&out), 1, "{}", text(&out.stderr));
    let first = json(&out)["run_id"].as_str().unwrap().to_string();

    // Fixed on disk; resumed without --file: the recorded mission, and a hint.
    std::fs::write(
        &file,
        BROKEN.replace("command: \"false\"", "command: \"true\""),
    )
    .unwrap();
    let out = env.mission(&["resume", &first, "--dry-run"]);
    assert_eq!(code(&out), 0);
    assert!(
        text(&out.stderr).contains(
            "hint: the mission file changed since this run: resume with --file to use it"
        ),
        "{}",
        text(&out.stderr)
    );

    // With --file: what changed, and what comes after it, runs again.
    let out = env.mission(&[
        "resume",
        &first,
        "--file",
        arg(&file),
        "--dry-run",
        "--json",
    ]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let plan = json(&out);
    assert_eq!(plan["reused_steps"], serde_json::json!(["fetch", "side"]));
    assert_eq!(plan["rerun_steps"], serde_json::json!(["check", "report"]));
    assert_eq!(plan["rerun_reasons"]["check"], "failed, changed");
    assert_eq!(plan["rerun_reasons"]["report"], "skipped");
    assert_eq!(plan["forecast"]["can_complete"], true);

    let out = env.mission(&["resume", &first, "--file", arg(&file), "--json"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let doc = json(&out);
    assert_eq!(doc["status"], "completed");
    let steps = &doc["step_results"];
    assert_eq!(steps["fetch"]["reused_from"], first.as_str());
    assert_eq!(steps["side"]["reused_from"], first.as_str());
    for rerun in ["check", "report"] {
        assert_eq!(steps[rerun]["status"], "success", "{rerun}");
        assert!(steps[rerun]["reused_from"].is_null(), "{rerun} ran again");
    }
    let report = Path::new(doc["evidence_dir"].as_str().unwrap()).join("workspace/report.txt");
    assert_eq!(std::fs::read_to_string(report).unwrap(), "data-1");
    let second = doc["run_id"].as_str().unwrap().to_string();

    // A changed step that had succeeded runs again, and so does every step after it.
    std::fs::write(
        &file,
        BROKEN
            .replace("data-1", "data-2")
            .replace("command: \"false\"", "command: \"true\""),
    )
    .unwrap();
    let out = env.mission(&[
        "resume",
        &second,
        "--file",
        arg(&file),
        "--dry-run",
        "--json",
    ]);
    let plan = json(&out);
    assert_eq!(plan["reused_steps"], serde_json::json!(["side"]));
    assert_eq!(plan["rerun_reasons"]["fetch"], "changed");
    assert_eq!(plan["rerun_reasons"]["check"], "after `fetch`");
    assert_eq!(plan["rerun_reasons"]["report"], "after `check`");
}

#[test]
fn resume_with_an_invalid_file_shows_its_located_diagnostics_and_exits_3() {
    let env = Env::new();
    let file = env.file("fix-me.yaml", BROKEN);
    let out = env.mission(&["run", arg(&file), "--json"]);
    let first = json(&out)["run_id"].as_str().unwrap().to_string();
    std::fs::write(
        &file,
        BROKEN.replace("depends_on: [fetch]", "depends_on: [fecth]"),
    )
    .unwrap();
    let out = env.mission(&["resume", &first, "--file", arg(&file)]);
    assert_eq!(code(&out), 3, "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("fecth") && err.contains("fetch"), "{err}");
    assert!(err.contains("fix-me.yaml:"), "located: {err}");
    assert!(!env.mission(&["history", "--json"]).stdout.is_empty());
}
