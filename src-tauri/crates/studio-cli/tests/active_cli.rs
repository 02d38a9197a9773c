//! `mission deploy`, `mission active list` and `mission run --active` as a user runs them: the
//! real binary on a temporary data folder holding a template in its user templates folder.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TEMPLATE: &str = r#"
version: "1.0"
id: com.example.greeter
name: Greeter
sector: Operations
required_depts: [ops]
goal: Greet a named person and keep the greeting on file.
tags: [demo]
risk: low
est_roi: 2
value_usd: 3
steps:
  - id: greet
    step_type: command
    parameters: {command: printf, args: ["hello %s", "{{context.who}}"]}
  - id: save
    step_type: create_file
    depends_on: [greet]
    parameters: {path: out.txt, content: "{{greet.output.stdout}}"}
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
        std::fs::write(templates.join("greeter.yaml"), TEMPLATE).unwrap();
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
            // Only this test's templates: an empty builtin library.
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

fn path_arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_perimeter_above_a_global_hard_cap_is_refused_with_exit_2_naming_the_cap() {
    let env = Env::new();
    std::fs::write(
        env.data().join("perimeter.yaml"),
        "budget: {max_cost_usd: 1, max_steps: 20}\n",
    )
    .unwrap();
    let perimeter = env.file("p.yaml", "budget: {max_cost_usd: 5, max_steps: 10}\n");
    let out = env.mission(&[
        "deploy",
        "com.example.greeter",
        "--perimeter",
        path_arg(&perimeter),
    ]);
    assert_eq!(code(&out), 2, "stderr: {}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("`budget.max_cost_usd` is 5, above the global hard cap 1"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    let list = env.mission(&["active", "list", "--json"]);
    assert_eq!(json(&list), Value::Array(vec![]), "nothing was saved");

    let unknown = env.mission(&[
        "deploy",
        "com.example.nope",
        "--perimeter",
        path_arg(&perimeter),
    ]);
    assert_eq!(code(&unknown), 2);
}

#[test]
fn a_deployed_mission_runs_by_id_and_its_run_is_in_the_history() {
    let env = Env::new();
    let perimeter = env.file(
        "p.yaml",
        "budget: {max_cost_usd: 2, max_steps: 10}\napproval: {mode: auto}\n",
    );
    let deploy = env.mission(&[
        "deploy",
        "com.example.greeter",
        "--perimeter",
        path_arg(&perimeter),
        "--var",
        "who=Ada",
        "--name",
        "Greet Ada",
    ]);
    assert_eq!(code(&deploy), 0, "stderr: {}", text(&deploy.stderr));
    let id = text(&deploy.stdout).trim().to_string();
    assert!(id.starts_with("am-"), "prints the id: {id}");

    // The same template, perimeter and inputs: the same active mission.
    let again = env.mission(&[
        "deploy",
        "com.example.greeter",
        "--perimeter",
        path_arg(&perimeter),
        "--var",
        "who=Ada",
        "--json",
    ]);
    assert_eq!(code(&again), 0, "stderr: {}", text(&again.stderr));
    let doc = json(&again);
    assert_eq!(doc["id"], id.as_str());
    assert_eq!(doc["created"], false);
    assert_eq!(doc["name"], "Greet Ada");
    assert_eq!(doc["inputs"]["who"], "Ada");
    assert_eq!(doc["perimeter"]["budget"]["max_cost_usd"], 2.0);

    let list = json(&env.mission(&["active", "list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["template_id"], "com.example.greeter");

    let run = env.mission(&["run", "--active", &id, "--json"]);
    assert_eq!(code(&run), 0, "stderr: {}", text(&run.stderr));
    let result = json(&run);
    assert_eq!(result["status"], "completed");
    assert_eq!(result["active_id"], id.as_str());
    assert_eq!(
        result["step_results"]["greet"]["output"]["stdout"],
        "hello Ada"
    );
    let run_id = result["run_id"].as_str().unwrap().to_string();

    // `--var` overrides a saved input for this run only.
    let other = env.mission(&["run", "--active", &id, "--var", "who=Grace", "--json"]);
    assert_eq!(code(&other), 0, "stderr: {}", text(&other.stderr));
    assert_eq!(
        json(&other)["step_results"]["greet"]["output"]["stdout"],
        "hello Grace"
    );

    let history = json(&env.mission(&["history", "--json"]));
    let runs = history.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    let first = runs
        .iter()
        .find(|r| r["run_id"] == run_id.as_str())
        .unwrap();
    assert_eq!(first["mission_id"], "com.example.greeter");
    assert_eq!(first["status"], "completed");

    let store = studio_store::Store::open(env.data().join("mission-studio.db")).unwrap();
    let linked = store.runs_of_active(&id).unwrap();
    assert_eq!(linked.len(), 2, "both runs carry the active mission's id");
    assert!(linked.contains(&run_id));
}

#[test]
fn a_cap_lowered_after_deploy_refuses_the_run_and_an_unknown_id_is_a_usage_error() {
    let env = Env::new();
    let perimeter = env.file("p.yaml", "budget: {max_cost_usd: 2}\n");
    let deploy = env.mission(&[
        "deploy",
        "com.example.greeter",
        "--perimeter",
        path_arg(&perimeter),
    ]);
    assert_eq!(code(&deploy), 0, "stderr: {}", text(&deploy.stderr));
    let id = text(&deploy.stdout).trim().to_string();
    std::fs::write(
        env.data().join("perimeter.yaml"),
        "budget: {max_cost_usd: 0.5}\n",
    )
    .unwrap();
    let run = env.mission(&["run", "--active", &id]);
    assert_eq!(code(&run), 2);
    assert!(
        text(&run.stderr).contains("`budget.max_cost_usd` is 2, above the global hard cap 0.5"),
        "{}",
        text(&run.stderr)
    );
    let unknown = env.mission(&["run", "--active", "am-0000000000000000"]);
    assert_eq!(code(&unknown), 2);
    assert!(text(&unknown.stderr).contains("mission active list"));
}
