//! Imported mission formats through `mission validate` / `mission run`, and the `new`,
//! `package` and `ingest` subcommands, through the real binary with real data folders.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mission(args: &[&str], cwd: &Path, data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mission"))
        .args(args)
        .current_dir(cwd)
        .env("MISSION_STUDIO_DATA_DIR", data)
        .env("NO_COLOR", "1")
        .output()
        .expect("the mission binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn imports() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../missions/examples/import")
}

const EXAMPLES: [&str; 3] = [
    "spark-data-pipeline.json",
    "keyword-analysis-pack",
    "envelope-research.json",
];

#[test]
fn the_import_examples_validate_and_print_their_notes() {
    let data = tempfile::tempdir().unwrap();
    let mut args = vec!["validate"];
    args.extend(EXAMPLES);
    let out = mission(&args, &imports(), data.path());
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok: ")).count(),
        3,
        "{stdout}"
    );
    for (file, label) in [
        ("spark-data-pipeline.json", "Spark MissionSpec"),
        ("keyword-analysis-pack", "mission pack directory"),
        (
            "envelope-research.json",
            "Mission Envelope v1 dispatch payload",
        ),
    ] {
        assert!(
            stderr.contains(&format!("note: {file} was converted from a {label}")),
            "{stderr}"
        );
    }
    assert!(stderr.contains("  - mapped `telemetry`"), "{stderr}");
    assert!(stderr.contains("  - dropped `broker, model`"), "{stderr}");

    let out = mission(
        &["validate", "--json", "envelope-research.json"],
        &imports(),
        data.path(),
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc[0]["valid"], true);
    assert_eq!(doc[0]["import"]["kind"], "envelope");
    assert!(doc[0]["import"]["notes"].as_array().unwrap().len() > 5);
}

#[test]
fn the_import_examples_run_offline_and_record_their_notes_in_the_evidence() {
    let data = tempfile::tempdir().unwrap();
    for example in EXAMPLES {
        let out = mission(&["run", example, "--json"], &imports(), data.path());
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{example}: {stderr}");
        assert!(
            stderr.contains("was converted from a"),
            "{example}: {stderr}"
        );
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["status"], "completed", "{example}");
        let evidence = PathBuf::from(doc["evidence_dir"].as_str().unwrap());
        let constraints = std::fs::read_to_string(evidence.join("constraints.md")).unwrap();
        assert!(
            constraints.contains("## Import notes"),
            "{example}: {constraints}"
        );
        assert!(
            constraints.contains("- dropped `"),
            "{example}: {constraints}"
        );
    }
    let out = mission(&["history", "--json"], data.path(), data.path());
    let runs: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 3);
}

#[test]
fn a_malformed_import_is_refused_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("payload.json"),
        "{\n  \"mission_id\": \"m-1\",\n  \"vp_id\": \"vp.a\",\n  \"objective\": \"x\",\n  \"budgett\": {}\n}\n",
    )
    .unwrap();
    // An unknown key is a warning located in the payload as written ...
    let out = mission(&["validate", "payload.json"], dir.path(), dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("unknown key `budgett`"), "{stderr}");
    assert!(stderr.contains("payload.json:5:"), "{stderr}");
    assert!(stderr.contains("did you mean `budget`?"), "{stderr}");
    let out = mission(
        &["validate", "--strict", "payload.json"],
        dir.path(),
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    // ... a value of the wrong type an error.
    std::fs::write(
        dir.path().join("payload.json"),
        "{\n  \"mission_id\": \"m-1\",\n  \"vp_id\": \"vp.a\",\n  \"objective\": \"x\",\n  \"budget\": {\"max_llm_calls\": \"many\"}\n}\n",
    )
    .unwrap();
    let out = mission(&["validate", "payload.json"], dir.path(), dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("payload.json:5:"), "{stderr}");
}

#[test]
fn new_writes_a_valid_mission_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let out = mission(
        &[
            "new",
            "Quarterly Report",
            "--sector",
            "Finance",
            "--dir",
            "missions",
        ],
        dir.path(),
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let path = dir.path().join("missions/quarterly-report.yaml");
    assert_eq!(text(&out.stdout).trim(), "missions/quarterly-report.yaml");
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("sector: \"Finance\""), "{written}");

    let out = mission(
        &["run", "missions/quarterly-report.yaml"],
        dir.path(),
        &dir.path().join("data"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    std::fs::write(&path, "edited").unwrap();
    let out = mission(
        &["new", "Quarterly Report", "--dir", "missions"],
        dir.path(),
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "edited");
}

/// Runs the pack example in `data` and returns its run id.
fn run_one(data: &Path) -> String {
    let out = mission(
        &["run", "keyword-analysis-pack", "--json"],
        &imports(),
        data,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["run_id"].as_str().unwrap().to_string()
}

#[test]
fn package_then_ingest_moves_a_run_to_another_history() {
    let here = tempfile::tempdir().unwrap();
    let there = tempfile::tempdir().unwrap();
    let run_id = run_one(here.path());
    let out = mission(
        &["package", &run_id, "--out", "run.tar.gz", "--json"],
        here.path(),
        here.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let manifest: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(manifest["run_id"], run_id.as_str());
    let files = manifest["files"].as_array().unwrap();
    assert!(files
        .iter()
        .all(|f| f["sha256"].as_str().unwrap().starts_with("sha256:")));
    assert!(files.iter().any(|f| f["path"] == "outputs/answer.md"));
    let archive = here.path().join("run.tar.gz");
    assert!(archive.is_file());

    let out = mission(
        &["package", &run_id, "--out", "run.tar.gz"],
        here.path(),
        here.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "an existing archive is not overwritten"
    );

    let archive_arg = archive.display().to_string();
    let out = mission(
        &["ingest", &archive_arg, "--json"],
        there.path(),
        there.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let done: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(done["steps"], 2);
    assert!(done["events"].as_u64().unwrap() >= 5);

    let out = mission(&["show", &run_id, "--json"], there.path(), there.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["run"]["status"], "completed");
    let evidence = PathBuf::from(shown["run"]["evidence_dir"].as_str().unwrap());
    assert!(evidence.starts_with(there.path()), "{}", evidence.display());
    assert!(evidence.join("outputs/answer.md").is_file());

    let out = mission(&["ingest", &archive_arg], there.path(), there.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("already in the history"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn ingest_takes_an_evidence_folder_and_refuses_what_is_not_a_finished_run() {
    let here = tempfile::tempdir().unwrap();
    let there = tempfile::tempdir().unwrap();
    let run_id = run_one(here.path());
    let runs: Vec<PathBuf> = std::fs::read_dir(here.path().join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let folder = runs[0].display().to_string();
    let out = mission(&["ingest", &folder], there.path(), there.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), run_id);
    let out = mission(&["history", "--json"], there.path(), there.path());
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed[0]["run_id"], run_id.as_str());

    // A mission pack that has not run, and a damaged archive.
    let pack = imports()
        .join("keyword-analysis-pack")
        .display()
        .to_string();
    let out = mission(&["ingest", &pack], there.path(), there.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("mission run"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(there.path().join("junk.tar.gz"), b"junk").unwrap();
    let out = mission(&["ingest", "junk.tar.gz"], there.path(), there.path());
    assert_ne!(out.status.code(), Some(0));

    let out = mission(&["package", "no-such-run"], here.path(), here.path());
    assert_eq!(out.status.code(), Some(2));
}
