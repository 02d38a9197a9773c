//! The crash test: the real `mission` binary runs a mission in a child process and is killed
//! with SIGKILL at many different moments. After each kill the next `mission` command recovers,
//! and the test checks the history:
//!
//! * no run is left `running`;
//! * every event the child reported (its `--events` file only receives committed events) is in
//!   the database, and every step result it reported is there with the same status;
//! * `PRAGMA integrity_check` is ok;
//! * every run's event `seq` is gapless, with exactly one final event, the last;
//! * no temporary file of an atomic write is left in the evidence folders;
//! * `mission resume` completes the mission, reusing the steps that succeeded, and its report
//!   equals the one of a run that was never killed.
//!
//! 50 kills by default (`MISSION_SOAK_KILLS=500` for a longer soak).

#![cfg(unix)]

mod support;

use serde_json::Value;
use std::process::Stdio;
use std::time::{Duration, Instant};
use studio_core::{RunStatus, StepStatus};
use studio_store::Store;
use support::history::{check_history, evidence_dir, json_of, mission, reported_events};

const STAGES: usize = 6;
const NOOPS_PER_STAGE: usize = 4;

/// Stages of: a `printf`, a file written from its output, a short `sleep` beside them and a few
/// no-ops; then `cat` of all files into `report.txt`. Deterministic output, real processes,
/// ~40 steps, so kills land in every phase (start-up, commands, file writes, the end).
fn mission_yaml() -> String {
    let mut steps = String::new();
    let mut files = Vec::new();
    for k in 1..=STAGES {
        let after = if k == 1 {
            String::new()
        } else {
            format!("depends_on: [f{}, s{}]", k - 1, k - 1)
        };
        steps.push_str(&format!(
            "  - {{id: p{k}, step_type: command, {after}{comma} parameters: {{command: printf, args: [\"part-%s\", \"{k}\"]}}}}\n",
            comma = if after.is_empty() { "" } else { "," },
        ));
        steps.push_str(&format!(
            "  - {{id: f{k}, step_type: create_file, depends_on: [p{k}], parameters: {{path: part{k}.txt, content: \"{{{{p{k}.output.stdout}}}}\\n\"}}}}\n"
        ));
        steps.push_str(&format!(
            "  - {{id: s{k}, step_type: command, depends_on: [p{k}], parameters: {{command: sleep, args: [\"0.01\"]}}}}\n"
        ));
        for n in 1..=NOOPS_PER_STAGE {
            steps.push_str(&format!(
                "  - {{id: n{k}_{n}, step_type: noop, depends_on: [f{k}], parameters: {{stage: {k}, n: {n}}}}}\n"
            ));
        }
        files.push(format!("part{k}.txt"));
    }
    let last = STAGES;
    steps.push_str(&format!(
        "  - {{id: gather, step_type: command, depends_on: [f{last}, s{last}], parameters: {{command: cat, args: [{}]}}}}\n",
        files.join(", ")
    ));
    steps.push_str(
        "  - {id: report, step_type: create_file, depends_on: [gather], parameters: {path: report.txt, content: \"{{gather.output.stdout}}\"}}\n",
    );
    format!(
        "version: \"1.0\"\nname: Crash Drill\nconfig: {{max_concurrent_steps: 3}}\nsteps:\n{steps}outputs: [report.txt]\n"
    )
}

fn report_of(result: &Value) -> String {
    std::fs::read_to_string(evidence_dir(result).join("outputs/report.txt"))
        .expect("outputs/report.txt")
}

/// A low-discrepancy sequence in [0, 1): kills spread evenly over the run, never twice at the
/// same moment.
fn spread(i: usize) -> f64 {
    (i as f64 * 0.618_033_988_749_895).fract()
}

#[test]
fn killed_runs_are_recovered_consistent_and_resumable() {
    let target_kills: usize = std::env::var("MISSION_SOAK_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let root = tempfile::tempdir().unwrap();
    let file = root.path().join("crash-drill.yaml");
    std::fs::write(&file, mission_yaml()).unwrap();

    // The run that is never killed: its report is the reference, its time the kill window.
    let reference_data = root.path().join("reference");
    let started = Instant::now();
    let out = mission(&reference_data)
        .arg("run")
        .arg(&file)
        .arg("--json")
        .output()
        .unwrap();
    let window = started.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the reference run completes: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected_report = report_of(&json_of(&out));
    assert!(
        expected_report.contains("part-1") && expected_report.contains(&format!("part-{STAGES}"))
    );

    let mut kills = 0;
    let mut violations: Vec<String> = Vec::new();
    let mut resumed = 0;
    let mut before_accept = 0;
    let mut attempt = 0;
    while kills < target_kills && attempt < target_kills * 3 {
        attempt += 1;
        let data = root.path().join(format!("kill-{attempt}"));
        let events = root.path().join(format!("kill-{attempt}.ndjson"));
        let mut child = mission(&data)
            .arg("run")
            .arg(&file)
            .arg("--events")
            .arg(&events)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let delay = window.mul_f64(spread(attempt) * 1.1);
        std::thread::sleep(delay);
        let still_running = child.try_wait().unwrap().is_none();
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        if !still_running {
            let _ = std::fs::remove_dir_all(&data);
            continue; // it finished before the kill: not a kill
        }
        kills += 1;
        let reported = reported_events(&events);

        // The next command recovers before it reads the history.
        let out = mission(&data).args(["history", "--json"]).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "history after kill {kills}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listed = json_of(&out);
        let runs = listed.as_array().expect("an array of runs");
        for run in runs {
            if run["status"] == "running" {
                violations.push(format!("kill {kills}: run {} still running", run["run_id"]));
            }
        }
        for p in check_history(&data, &reported) {
            violations.push(format!("kill {kills} (after {delay:?}): {p}"));
        }

        let Some(killed) = runs.first() else {
            before_accept += 1; // killed before the run was accepted: nothing to resume
            let _ = std::fs::remove_dir_all(&data);
            continue;
        };
        let killed_id = killed["run_id"].as_str().unwrap().to_string();
        let succeeded_before = {
            let store = Store::open(data.join("mission-studio.db")).unwrap();
            store
                .steps(&killed_id)
                .unwrap()
                .iter()
                .filter(|s| s.status == StepStatus::Success)
                .count()
        };
        let out = mission(&data)
            .args(["resume", &killed_id, "--json"])
            .output()
            .unwrap();
        if out.status.code() != Some(0) {
            violations.push(format!(
                "kill {kills}: resume of {killed_id} exited {:?}: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let result = json_of(&out);
        resumed += 1;
        if result["status"] != "completed" || result["resumed_from"] != killed_id.as_str() {
            violations.push(format!(
                "kill {kills}: resume ended {} (resumed_from {})",
                result["status"], result["resumed_from"]
            ));
        }
        if report_of(&result) != expected_report {
            violations.push(format!(
                "kill {kills}: the resumed report differs from the reference"
            ));
        }
        let reused = result["step_results"]
            .as_object()
            .unwrap()
            .values()
            .filter(|s| s.get("reused_from").is_some())
            .count();
        if reused != succeeded_before {
            violations.push(format!(
                "kill {kills}: {reused} steps reused, {succeeded_before} had succeeded"
            ));
        }
        for p in check_history(&data, &[]) {
            violations.push(format!("kill {kills} after resume: {p}"));
        }
        let store = Store::open(data.join("mission-studio.db")).unwrap();
        let statuses: Vec<RunStatus> = store
            .list_runs(&Default::default())
            .unwrap()
            .iter()
            .map(|r| r.status)
            .collect();
        if statuses.first() != Some(&RunStatus::Completed) {
            violations.push(format!("kill {kills}: the newest run is {statuses:?}"));
        }
        drop(store);
        let _ = std::fs::remove_dir_all(&data);
    }
    eprintln!(
        "crash test: {kills} kills ({before_accept} before the run was accepted, {resumed} \
         resumed), {} violations, kill window {window:?}",
        violations.len()
    );
    assert!(
        kills >= target_kills,
        "only {kills} of {target_kills} kills landed while the child ran (window {window:?})"
    );
    assert!(
        violations.is_empty(),
        "{} violations:\n{}",
        violations.len(),
        violations.join("\n")
    );
    assert!(
        resumed * 2 >= kills,
        "most kills land after the run was accepted and are resumed ({resumed} of {kills})"
    );
    let _: Duration = window;
}
