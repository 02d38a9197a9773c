//! `mission batch run` and `mission review list|resolve` as a user runs them: real runs of
//! library templates through `mission run --active`, then the batch over that history.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

const GOOD: &str = r#"
version: "1.0"
id: com.example.good
name: Good
sector: Operations
required_depts: [ops]
goal: Write a greeting to a file.
value_usd: 3
steps:
  - id: greet
    step_type: command
    parameters: {command: printf, args: ["hello"]}
  - id: save
    step_type: create_file
    depends_on: [greet]
    parameters: {path: out.txt, content: "{{greet.output.stdout}}"}
"#;

const FLAKY: &str = r#"
version: "1.0"
id: com.example.flaky
name: Flaky
sector: Operations
required_depts: [ops]
goal: Check a service that keeps failing.
value_usd: 10
steps:
  - id: prepare
    step_type: create_file
    parameters: {path: note.txt, content: "checking"}
  - id: check
    step_type: command
    depends_on: [prepare]
    parameters: {command: "false"}
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
        std::fs::write(templates.join("good.yaml"), GOOD).unwrap();
        std::fs::write(templates.join("flaky.yaml"), FLAKY).unwrap();
        Self { dir }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn mission(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_mission"))
            .env_remove("MISSION_STUDIO_DATA_DIR")
            .env(
                "MISSION_STUDIO_TEMPLATES_DIR",
                self.dir.path().join("builtin"),
            )
            .arg("--data-dir")
            .arg(self.data())
            .args(args)
            .output()
            .expect("the mission binary runs")
    }

    fn deploy(&self, template: &str) -> String {
        let out = self.mission(&["deploy", template]);
        assert_eq!(code(&out), 0, "stderr: {}", text(&out.stderr));
        text(&out.stdout).trim().to_string()
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

#[test]
fn the_batch_updates_the_library_and_flags_a_repeated_failure_for_review() {
    let env = Env::new();
    let good = env.deploy("com.example.good");
    let flaky = env.deploy("com.example.flaky");
    for _ in 0..2 {
        let out = env.mission(&["run", "--active", &good]);
        assert_eq!(code(&out), 0, "stderr: {}", text(&out.stderr));
    }
    for _ in 0..3 {
        let out = env.mission(&["run", "--active", &flaky]);
        assert_eq!(code(&out), 1, "the check fails: {}", text(&out.stderr));
    }

    let batch = env.mission(&["batch", "run", "--json"]);
    assert_eq!(code(&batch), 0, "stderr: {}", text(&batch.stderr));
    let summary = json(&batch);
    assert_eq!(summary["trigger"], "manual");
    assert_eq!(summary["templates"], 2);
    assert_eq!(summary["templates_with_runs"], 2);
    assert_eq!(summary["runs"], 5);
    assert_eq!(summary["flags_created"], 1);
    assert_eq!(
        summary["top_performance"],
        Value::Array(vec![]),
        "2 runs are too few for the badge"
    );

    // The library's rows carry the figures.
    let store = studio_store::Store::open(env.data().join("mission-studio.db")).unwrap();
    let good_stats = store.template_row("com.example.good").unwrap().unwrap();
    let stats = good_stats.stats.expect("stats after the batch");
    assert_eq!(stats["runs"], 2);
    assert_eq!(stats["success_rate"], 1.0);
    assert_eq!(stats["measured_roi"], Value::Null, "no cost, no ROI");
    assert_eq!(stats["avg_profit_usd"], 3.0);
    let flaky_row = store.template_row("com.example.flaky").unwrap().unwrap();
    let stats = flaky_row.stats.expect("stats after the batch");
    assert_eq!(stats["success_rate"], 0.0);
    assert_eq!(stats["avg_profit_usd"], 0.0);
    assert_eq!(
        flaky_row.derived_risk.as_deref(),
        Some("high"),
        "always fails"
    );

    let flags = json(&env.mission(&["review", "list", "--json"]));
    let flags = flags.as_array().unwrap();
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0]["template_id"], "com.example.flaky");
    assert_eq!(flags[0]["step_id"], "check");
    assert_eq!(flags[0]["pattern"], "repeated_step_failure");
    assert_eq!(flags[0]["failures"], 3);
    assert_eq!(flags[0]["window_runs"], 3);
    let flag_id = flags[0]["flag_id"].as_i64().unwrap().to_string();

    // A second batch refreshes the flag instead of adding one.
    let again = json(&env.mission(&["batch", "run", "--json"]));
    assert_eq!(
        (
            again["flags_created"].as_u64(),
            again["flags_updated"].as_u64()
        ),
        (Some(0), Some(1))
    );
    let text_list = env.mission(&["review", "list"]);
    assert!(text(&text_list.stdout).contains("step `check` failed in 3 of the last 3 runs"));

    let resolve = env.mission(&["review", "resolve", &flag_id, "--note", "service fixed"]);
    assert_eq!(code(&resolve), 0, "stderr: {}", text(&resolve.stderr));
    let open = json(&env.mission(&["review", "list", "--json"]));
    assert_eq!(open, Value::Array(vec![]));
    let resolved = json(&env.mission(&["review", "list", "--status", "resolved", "--json"]));
    assert_eq!(resolved[0]["note"], "service fixed");
    assert_eq!(resolved[0]["status"], "resolved");
    let all = json(&env.mission(&["review", "list", "--status", "all", "--json"]));
    assert_eq!(all.as_array().unwrap().len(), 1);

    let missing = env.mission(&["review", "resolve", "999"]);
    assert_eq!(code(&missing), 2);
    assert!(text(&missing.stderr).contains("no review flag with id 999"));

    let jobs = store.batch_jobs("template_stats").unwrap();
    assert_eq!(jobs.len(), 2);
    assert!(jobs
        .iter()
        .all(|j| j.status == "completed" && j.trigger == "manual"));
}

#[test]
fn a_batch_on_an_empty_history_leaves_the_estimates_and_prints_a_summary() {
    let env = Env::new();
    let out = env.mission(&["batch", "run"]);
    assert_eq!(code(&out), 0, "stderr: {}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(printed.contains("2 template(s), 0 with runs"), "{printed}");
    assert!(printed.contains("top performance: -"), "{printed}");
    let store = studio_store::Store::open(env.data().join("mission-studio.db")).unwrap();
    let row = store.template_row("com.example.good").unwrap().unwrap();
    assert_eq!(row.stats, None, "no runs: the declared estimates stay");
    assert!(row.badges.is_empty());
}
