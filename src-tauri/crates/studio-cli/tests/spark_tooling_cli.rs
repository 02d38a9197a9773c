//! Spark tooling (DESIGN §14) through the real binary: `generate`, `diff` on mission files,
//! `package` of a mission file (and `validate`/`run` of the package), `check`, `show --plan`,
//! on the Spark mission system's own example and fixtures beside it.

use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spark")
}

/// The seed's example MissionSpec (`com.example.data-pipeline`).
fn seed_example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../missions/examples/import/spark-data-pipeline.json")
}

/// `target/spark/` (under CARGO_TARGET_DIR when set), where the HTML diff is kept to look at.
fn target_spark() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../target"),
        PathBuf::from,
    );
    let dir = target.join("spark");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn mission(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_mission"))
            .args(args)
            .arg("--data-dir")
            .arg(self.path("data"))
            .current_dir(self.dir.path())
            .env_remove("SPARK_CHECK_TOKEN")
            .env_remove("SPARK_CHECK_REGION")
            .output()
            .unwrap()
    }
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn generate_writes_a_chain_and_parallel_groups_that_validate_strictly() {
    let env = Env::new();
    let out = env.mission(&[
        "generate",
        "ETL Pipeline",
        "--plan",
        "extract,transform,load",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let file = env.path("etl-pipeline.yaml");
    assert!(file.is_file(), "default name from the slug");
    let out = env.mission(&["validate", "--strict", s(&file)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = env.mission(&["run", s(&file), "--dry-run"]);
    let plan = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        plan.contains("level 1: extract\nlevel 2: transform\nlevel 3: load\n"),
        "{plan}"
    );

    let groups = env.path("groups.yaml");
    let out = env.mission(&["generate", "Fan", "--plan", "a,b|c,d|e", "-o", s(&groups)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = env.mission(&["validate", "--strict", s(&groups)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = env.mission(&["run", s(&groups), "--dry-run"]);
    let plan = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        plan.contains("level 1: a, b\nlevel 2: c, d\nlevel 3: e\n"),
        "{plan}"
    );

    // Refusal to overwrite, the file left as it was.
    let before = std::fs::read(&groups).unwrap();
    let out = env.mission(&["generate", "Other", "--plan", "x", "-o", s(&groups)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("already exists"), "{}", text(&out));
    assert_eq!(std::fs::read(&groups).unwrap(), before);
    // A bad plan is a usage error.
    let out = env.mission(&["generate", "Bad", "--plan", "a,,b"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn generate_from_a_graphspec_and_from_the_seed_example() {
    let env = Env::new();
    let file = env.path("etl.yaml");
    let graph = fixtures().join("graph.json");
    let out = env.mission(&["generate", "ETL", "--graph", s(&graph), "-o", s(&file)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = env.mission(&["validate", "--strict", s(&file)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = env.mission(&["run", s(&file), "--dry-run"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("level 3: load"),
        "{}",
        text(&out)
    );

    let seed = env.path("seed.yaml");
    let out = env.mission(&[
        "generate",
        "Data pipeline",
        "--graph",
        s(&seed_example()),
        "-o",
        s(&seed),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let written = std::fs::read_to_string(&seed).unwrap();
    assert!(
        written.contains("deployment:") && written.contains("\"production\""),
        "{written}"
    );
    let out = env.mission(&["validate", s(&seed)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn diff_of_two_versions_of_one_mission_in_text_json_and_html() {
    let env = Env::new();
    let (v1, v2) = (
        fixtures().join("pipeline-v1.yaml"),
        fixtures().join("pipeline-v2.yaml"),
    );
    let out = env.mission(&["diff", s(&v1), s(&v1)]);
    assert_eq!(out.status.code(), Some(0), "equal: {}", text(&out));

    let out = env.mission(&["diff", s(&v1), s(&v2)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    for needle in [
        "+ report (create_file) after load",
        "+ notify (noop)",
        "- transform (noop)",
        "~ load",
        "parameters.path: \"loaded.json\" -> \"out/loaded.json\"",
        "depends_on: [\"transform\"] -> [\"validate\"]",
        "budget.max_cost_usd: 1.0 -> 2.5",
        "approval.mode: \"threshold\" -> \"strict\"",
        "timeout_seconds: 300 -> 600",
        "fields.last_batch_id.type: (absent) -> \"string\"",
        "target: \"development\" -> \"production\"",
        "report.description: (absent) -> \"Generate report\"",
    ] {
        assert!(t.contains(needle), "{needle}: {t}");
    }

    let out = env.mission(&["diff", s(&v1), s(&v2), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["equal"], false);
    assert_eq!(doc["steps_added"].as_array().unwrap().len(), 2);
    assert_eq!(doc["steps_removed"][0]["id"], "transform");
    let sections: Vec<&str> = doc["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["section"].as_str().unwrap())
        .collect();
    assert_eq!(
        sections,
        ["config", "perimeter", "plan", "state_schema", "deployment"]
    );

    let html = target_spark().join("diff.html");
    let _ = std::fs::remove_file(&html);
    let out = env.mission(&["diff", s(&v1), s(&v2), "--format", "html", "-o", s(&html)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html>") && page.contains("<style>"),
        "self-contained"
    );
    assert!(
        !page.contains("http://") && !page.contains("https://") && !page.contains("<script"),
        "no external asset"
    );
    assert!(page.contains("out/loaded.json") && page.contains("Steps removed"));
    screenshot(&html);

    // Runs keep their meaning: unknown run ids are still a usage error.
    let out = env.mission(&["diff", "run-a", "run-b"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = env.mission(&["diff", s(&v1), "run-b"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("two mission files or two run ids"),
        "{}",
        text(&out)
    );
}

/// A screenshot of the HTML diff next to it, when a headless Chromium is installed.
fn screenshot(html: &Path) {
    let Some(browser) = ["chromium-headless-shell", "chromium"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    else {
        eprintln!("no chromium: no screenshot of {}", html.display());
        return;
    };
    let png = html.with_extension("png");
    let _ = std::fs::remove_file(&png);
    let status = Command::new(browser)
        .arg("--headless")
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1200,900")
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(png.is_file(), "{}: {}", png.display(), text(&status));
}

fn unzip(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (entry.name().unwrap().to_string(), bytes)
        })
        .collect()
}

fn rezip(path: &Path, files: &[(String, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in files {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn a_package_round_trips_through_validate_and_run_and_a_tampered_one_is_refused() {
    let env = Env::new();
    // A registry tool in the data folder, called by the mission, goes into tools/.
    std::fs::create_dir_all(env.path("data/tools")).unwrap();
    std::fs::write(
        env.path("data/tools/echo_note.yaml"),
        "name: echo_note\nsector: common\ndescription: Echo a note\nrun:\n  command:\n    command: echo\n    args: [\"{{input.note}}\"]\n",
    )
    .unwrap();
    let mission = env.path("pkg.yaml");
    let v1 = std::fs::read_to_string(fixtures().join("pipeline-v1.yaml"))
        .unwrap()
        .replace(
            "depends_on: [transform]}\n",
            "depends_on: [transform]}\n    - {id: note, description: Note it, depends_on: [load]}\n",
        );
    std::fs::write(
        &mission,
        format!("{v1}  - id: note\n    step_type: tool\n    depends_on: [load]\n    parameters: {{name: echo_note, input: {{note: done}}}}\n"),
    )
    .unwrap();
    let out = env.mission(&["validate", s(&mission)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let zip_path = env.path("pipeline.zip");
    let out = env.mission(&[
        "package",
        s(&mission),
        "-o",
        s(&zip_path),
        "--include-deps",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let manifest: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(manifest["id"], "com.example.data-pipeline");
    assert!(manifest["logic_hash"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    let files = unzip(&zip_path);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for name in [
        "mission.json",
        "manifest.json",
        "requirements.json",
        "schemas/state.schema.json",
        "tools/echo_note.yaml",
    ] {
        assert!(names.contains(&name), "{name}: {names:?}");
    }
    let requirements: Value = serde_json::from_slice(
        &files
            .iter()
            .find(|(n, _)| n == "requirements.json")
            .unwrap()
            .1,
    )
    .unwrap();
    assert_eq!(requirements["tools"], serde_json::json!(["echo_note"]));
    assert!(requirements["step_types"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "parse_json"));
    let schema: Value = serde_json::from_slice(
        &files
            .iter()
            .find(|(n, _)| n == "schemas/state.schema.json")
            .unwrap()
            .1,
    )
    .unwrap();
    assert_eq!(schema["properties"]["processed_count"]["type"], "integer");

    // Never overwritten.
    let out = env.mission(&["package", s(&mission), "-o", s(&zip_path)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    // The package validates and runs (moved elsewhere: it carries what it needs).
    let out = env.mission(&["validate", "--strict", s(&zip_path)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("pipeline.zip (mission.json)"),
        "reported as the package: {}",
        text(&out)
    );
    let out = env.mission(&["run", s(&zip_path), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(run["status"], "completed", "{run}");

    // Tampered: mission.json changed after packaging.
    let tampered = env.path("tampered.zip");
    let changed: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, b)| {
            let bytes = if n == "mission.json" {
                String::from_utf8_lossy(b)
                    .replace("loaded.json", "../../etc/evil")
                    .into_bytes()
            } else {
                b.clone()
            };
            (n.clone(), bytes)
        })
        .collect();
    rezip(&tampered, &changed);
    for cmd in ["validate", "run"] {
        let out = env.mission(&[cmd, s(&tampered)]);
        assert_eq!(out.status.code(), Some(3), "{cmd}: {}", text(&out));
        let t = text(&out);
        assert!(
            t.contains("refused mission package")
                && t.contains("mission.json")
                && t.contains("SHA-256"),
            "{t}"
        );
    }
    // An extra file is refused too.
    let mut extra = files.clone();
    extra.push(("tools/sneaky.yaml".into(), b"name: sneaky\n".to_vec()));
    rezip(&tampered, &extra);
    let out = env.mission(&["validate", s(&tampered)]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("not in the manifest"), "{}", text(&out));

    // The seed's own example packages and validates as a package.
    let seed_zip = env.path("seed.zip");
    let out = env.mission(&["package", s(&seed_example()), "-o", s(&seed_zip)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = env.mission(&["validate", s(&seed_zip)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

fn check_json(env: &Env, file: &str, target: &str) -> (Option<i32>, Value) {
    let path = fixtures().join(file);
    let out = env.mission(&["check", s(&path), "--target", target, "--json"]);
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    (out.status.code(), doc)
}

fn errors(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["level"] == "error")
        .map(|f| {
            assert!(
                !f["reason"].as_str().unwrap().is_empty() && !f["fix"].as_str().unwrap().is_empty(),
                "{f}"
            );
            format!(
                "{} {}",
                f["check"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn check_names_each_finding_with_documented_exit_codes() {
    let env = Env::new();
    let (code, doc) = check_json(&env, "ready.yaml", "development");
    assert_eq!(code, Some(0), "{doc:#}");
    assert_eq!(doc["ready"], true);
    assert!(errors(&doc).is_empty());

    let (code, doc) = check_json(&env, "missing-env-provider.yaml", "staging");
    assert_eq!(code, Some(1), "{doc:#}");
    let found = errors(&doc);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("env_missing") && f.contains("SPARK_CHECK_TOKEN")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("env_missing") && f.contains("SPARK_CHECK_REGION")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("provider_missing") && f.contains("acme-llm")),
        "{found:#?}"
    );

    let (code, doc) = check_json(&env, "prod-auto.yaml", "production");
    assert_eq!(code, Some(1));
    let found = errors(&doc);
    for check in ["approval_auto", "cost_cap_missing", "runtime_cap_missing"] {
        assert!(
            found.iter().any(|f| f.starts_with(check)),
            "{check}: {found:#?}"
        );
    }
    // The same mission is ready for development (caps and approvals only warn there... or pass).
    let (code, _) = check_json(&env, "prod-auto.yaml", "development");
    assert_eq!(code, Some(0));

    // The text form, the seed example, validate --check-deployment, usage and invalid.
    let out = env.mission(&[
        "check",
        s(&fixtures().join("prod-auto.yaml")),
        "--target",
        "production",
    ]);
    let t = text(&out);
    assert!(
        t.contains("error   [approval_auto]")
            && t.contains("fix: ")
            && t.contains("NOT ready for production"),
        "{t}"
    );
    let out = env.mission(&["check", s(&seed_example()), "--target", "production"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "no caps, auto approvals: {}",
        text(&out)
    );
    let out = env.mission(&[
        "validate",
        "--check-deployment",
        "--target",
        "production",
        s(&fixtures().join("prod-auto.yaml")),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("approval_auto"));
    let out = env.mission(&[
        "validate",
        "--check-deployment",
        s(&fixtures().join("ready.yaml")),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = env.mission(&[
        "check",
        s(&fixtures().join("ready.yaml")),
        "--target",
        "moon",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let broken = env.path("broken.yaml");
    std::fs::write(
        &broken,
        "name: b\nsteps:\n  - {id: a, step_type: noop, depends_on: [zz]}\n",
    )
    .unwrap();
    let out = env.mission(&["check", s(&broken)]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}

#[test]
fn show_plan_prints_the_run_plan_with_status_marks() {
    let env = Env::new();
    let file = fixtures().join("pipeline-v1.yaml");
    let out = env.mission(&["run", s(&file), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run: Value = serde_json::from_slice(&out.stdout).unwrap();
    let run_id = run["run_id"].as_str().unwrap();
    let out = env.mission(&["show", run_id, "--plan"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        t,
        "Mission plan: data-pipeline (3/3 completed)\n\
         [x] validate - Validate input data (completed)\n\
         [x] transform - Transform validated data (completed) [after: validate]\n\
         [x] load - Load transformed data (completed) [after: transform]\n"
    );
    // The run forms of diff and package still work.
    let out = env.mission(&["diff", run_id, run_id, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = env.mission(&["package", run_id, "--out", s(&env.path("ev.tar.gz"))]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
