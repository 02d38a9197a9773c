//! What the crash tests share: the `mission` binary over a data folder, and the checks that
//! hold for a history after any crash (after the next command recovered it).

#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use studio_core::StepStatus;
use studio_engine::Event;
use studio_store::Store;

/// The real `mission` binary over the data folder `data` (never the caller's).
pub fn mission(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mission"));
    cmd.env_remove("MISSION_STUDIO_DATA_DIR")
        .env_remove(studio_store::CRASH_AFTER_EVENT_ENV)
        .arg("--data-dir")
        .arg(data);
    cmd
}

/// The history database of a data folder.
pub fn database(data: &Path) -> PathBuf {
    data.join("mission-studio.db")
}

pub fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}); stdout: {} stderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The evidence folder of a `--json` result.
pub fn evidence_dir(result: &Value) -> PathBuf {
    PathBuf::from(result["evidence_dir"].as_str().expect("evidence_dir"))
}

/// Every file of a run's `outputs/` folder, name → content.
pub fn outputs_of(result: &Value) -> BTreeMap<String, String> {
    let dir = evidence_dir(result).join("outputs");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap_or_default(),
            )
        })
        .collect()
}

/// Events the child wrote to its `--events` file (a line cut by the kill is ignored).
pub fn reported_events(path: &Path) -> Vec<Event> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The checks that hold after any crash, for every run in the database: integrity, no run
/// left unfinished, gapless `seq` with exactly one final event (the last), everything the
/// child `reported` (its `--events` file only receives committed events) still there with the
/// same step statuses, and no temporary file of an atomic write left. Returns the problems.
pub fn check_history(data: &Path, reported: &[Event]) -> Vec<String> {
    let mut problems = Vec::new();
    let store = Store::open(database(data)).expect("the database opens");
    let integrity = store.integrity_check().unwrap();
    if integrity != ["ok"] {
        problems.push(format!("integrity_check: {integrity:?}"));
    }
    let runs = store.list_runs(&Default::default()).unwrap();
    for run in &runs {
        if !run.status.is_final() {
            problems.push(format!("run {} left {}", run.run_id, run.status.as_str()));
        }
        let events = store.events(&run.run_id, 0).unwrap();
        let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
        if seqs != (1..=events.len() as u64).collect::<Vec<_>>() {
            problems.push(format!("run {}: seq not gapless: {seqs:?}", run.run_id));
        }
        let finals = events.iter().filter(|e| e.event_type.is_final()).count();
        if finals != 1 || !events.last().is_some_and(|e| e.event_type.is_final()) {
            problems.push(format!(
                "run {}: {finals} final events (the last must be the one)",
                run.run_id
            ));
        }
        for step in store.steps(&run.run_id).unwrap() {
            if !step.status.is_final() {
                problems.push(format!(
                    "run {}: step {} left {}",
                    run.run_id,
                    step.step_id,
                    step.status.as_str()
                ));
            }
        }
    }
    for e in reported {
        let stored = store.events(&e.run_id, e.seq - 1).unwrap();
        if stored.first().map(|s| &s.idempotency_key) != Some(&e.idempotency_key) {
            problems.push(format!(
                "reported event {} (seq {}) is not in the database",
                e.idempotency_key, e.seq
            ));
        }
    }
    let mut reported_steps: BTreeMap<(String, String), StepStatus> = BTreeMap::new();
    for e in reported {
        if let (Some(step), Some(status)) = (&e.step_id, e.step_status) {
            if status.is_final() {
                reported_steps.insert((e.run_id.to_string(), step.to_string()), status);
            }
        }
    }
    for ((run_id, step_id), status) in &reported_steps {
        let rows = store.steps(run_id).unwrap();
        match rows.iter().find(|r| &r.step_id == step_id) {
            Some(row) if row.status == *status => {}
            Some(row) => problems.push(format!(
                "step {step_id} was reported {} but is stored {}",
                status.as_str(),
                row.status.as_str()
            )),
            None => problems.push(format!("reported step {step_id} has no row")),
        }
    }
    for run in &runs {
        if let Some(dir) = &run.evidence_dir {
            for name in temp_files(Path::new(dir)) {
                problems.push(format!("temporary file left: {name}"));
            }
        }
    }
    problems
}

/// Temporary files of atomic writes (`.<name>.tmp-<pid>`) in the folders of an evidence
/// folder that atomic writes use.
pub fn temp_files(evidence: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for sub in [".", "outputs", "evidence", "evidence/raw"] {
        for entry in std::fs::read_dir(evidence.join(sub)).into_iter().flatten() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.contains(".tmp-") {
                found.push(format!("{}/{sub}/{name}", evidence.display()));
            }
        }
    }
    found
}
