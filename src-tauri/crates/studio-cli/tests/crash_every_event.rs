//! Crash at every event boundary. Built only with the `crash-points` feature:
//! `cargo test -p studio-cli --features crash-points --test crash_every_event`.
//!
//! A 25-step mission (three parallel branches, a step that fails its first attempt and
//! succeeds on its retry, a step that needs an approval given with `--approve all`) runs once
//! uninterrupted: its event count E and its outputs are the reference. Then for every N in
//! 1..=E the real `mission` binary runs it with `MISSION_CRASH_AFTER_EVENT=N` and aborts right
//! after its N-th event is committed. Each time the next command (`mission history`) recovers
//! and the test checks: nothing left running, `integrity_check` ok, gapless `seq`, exactly one
//! final event per run, every reported event stored, no temporary file left. Then `mission
//! resume` ends with exactly one final state, `completed`, and outputs equal to the reference.

#![cfg(unix)]

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::Instant;
use studio_core::RunStatus;
use studio_engine::EventType;
use studio_store::{Store, CRASH_AFTER_EVENT_ENV};
use support::history::{check_history, database, json_of, mission, outputs_of, reported_events};

/// SIGABRT: what `std::process::abort` ends the process with.
const SIGABRT: i32 = 6;

/// Three branches of four steps after `start`; `flaky` fails its first attempt (it leaves a
/// marker in the workspace) and succeeds on the retry; `approved` needs an approval; four
/// steps fan out after it and join with the branches in `gather`. 25 steps.
const MISSION: &str = r#"version: "1.0"
name: Crash Every Event
config: {max_concurrent_steps: 4, retry_delay_ms: 1}
steps:
  - {id: start, step_type: noop}
  - {id: a1, step_type: command, depends_on: [start], parameters: {command: printf, args: ["alpha-%s", "1"]}}
  - {id: a2, step_type: create_file, depends_on: [a1], parameters: {path: alpha.txt, content: "{{a1.output.stdout}}\n"}}
  - {id: a3, step_type: read_file, depends_on: [a2], parameters: {path: alpha.txt}}
  - {id: a4, step_type: noop, depends_on: [a3], parameters: {branch: a}}
  - {id: b1, step_type: command, depends_on: [start], parameters: {command: printf, args: ["beta-%s", "2"]}}
  - {id: b2, step_type: create_file, depends_on: [b1], parameters: {path: beta.txt, content: "{{b1.output.stdout}}\n"}}
  - {id: b3, step_type: read_file, depends_on: [b2], parameters: {path: beta.txt}}
  - {id: b4, step_type: noop, depends_on: [b3], parameters: {branch: b}}
  - {id: c1, step_type: command, depends_on: [start], parameters: {command: printf, args: ["gamma-%s", "3"]}}
  - {id: c2, step_type: create_file, depends_on: [c1], parameters: {path: gamma.txt, content: "{{c1.output.stdout}}\n"}}
  - {id: c3, step_type: read_file, depends_on: [c2], parameters: {path: gamma.txt}}
  - {id: c4, step_type: noop, depends_on: [c3], parameters: {branch: c}}
  - id: flaky
    step_type: command
    depends_on: [start]
    retry_attempts: 2
    parameters:
      command: sh
      args: ["-c", "if [ -e flaky.marker ]; then printf recovered; else : > flaky.marker; exit 1; fi"]
  - {id: flaky_out, step_type: create_file, depends_on: [flaky], parameters: {path: flaky.txt, content: "{{flaky.output.stdout}}\n"}}
  - {id: approved, step_type: create_file, depends_on: [a4, b4], approval: required, parameters: {path: approved.txt, content: "approved\n"}}
  - {id: d1, step_type: noop, depends_on: [approved], parameters: {n: 1}}
  - {id: d2, step_type: noop, depends_on: [approved], parameters: {n: 2}}
  - {id: d3, step_type: noop, depends_on: [approved], parameters: {n: 3}}
  - {id: d4, step_type: noop, depends_on: [approved], parameters: {n: 4}}
  - {id: gather, step_type: command, depends_on: [d1, d2, d3, d4, c4, flaky_out], parameters: {command: cat, args: [alpha.txt, beta.txt, gamma.txt, flaky.txt, approved.txt]}}
  - {id: report, step_type: create_file, depends_on: [gather], parameters: {path: report.txt, content: "{{gather.output.stdout}}"}}
  - {id: t1, step_type: noop, depends_on: [report]}
  - {id: t2, step_type: noop, depends_on: [report]}
  - {id: finish, step_type: noop, depends_on: [t1, t2]}
outputs: [report.txt, flaky.txt]
"#;

/// `mission run` with the approval given the CLI's way.
fn run_args(file: &Path) -> Vec<String> {
    vec![
        "run".into(),
        file.display().to_string(),
        "--approve".into(),
        "all".into(),
        "--json".into(),
    ]
}

fn outputs_without_answer(result: &Value) -> BTreeMap<String, String> {
    // `answer.md` names the run and its times; the declared outputs are what must match.
    let mut outputs = outputs_of(result);
    outputs.remove("answer.md");
    outputs
}

#[test]
fn a_crash_after_any_committed_event_is_recovered_and_resumed_to_the_same_outputs() {
    let started = Instant::now();
    let root = tempfile::tempdir().unwrap();
    let file = root.path().join("crash-every-event.yaml");
    std::fs::write(&file, MISSION).unwrap();

    // The uninterrupted run: the number of events and the outputs to expect.
    let reference_data = root.path().join("reference");
    let out = mission(&reference_data)
        .args(run_args(&file))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the reference run completes: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference = json_of(&out);
    assert_eq!(reference["step_results"].as_object().unwrap().len(), 25);
    assert_eq!(reference["step_results"]["flaky"]["attempts"], 2);
    let expected = outputs_without_answer(&reference);
    assert_eq!(
        expected.get("report.txt").map(String::as_str),
        Some("alpha-1\nbeta-2\ngamma-3\nrecovered\napproved\n")
    );
    let run_id = reference["run_id"].as_str().unwrap();
    let reference_events = Store::open(database(&reference_data))
        .unwrap()
        .events(run_id, 0)
        .unwrap();
    let total = reference_events.len();
    assert!(
        reference_events
            .iter()
            .any(|e| e.event_type == EventType::Blocked && e.step_id.as_deref() == Some("approved")),
        "the approval was asked for"
    );
    assert!(
        reference_events
            .iter()
            .any(|e| e.idempotency_key.ends_with("/retry")),
        "the flaky step was retried"
    );
    assert!(check_history(&reference_data, &[]).is_empty());

    let mut violations: Vec<String> = Vec::new();
    let mut crashed = 0;
    for n in 1..=total {
        let data = root.path().join(format!("crash-{n}"));
        let events = root.path().join(format!("crash-{n}.ndjson"));
        let out = mission(&data)
            .env(CRASH_AFTER_EVENT_ENV, n.to_string())
            .args(run_args(&file))
            .arg("--events")
            .arg(&events)
            .output()
            .unwrap();
        if out.status.signal() != Some(SIGABRT) {
            violations.push(format!(
                "crash at {n}: the run did not abort ({:?}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        crashed += 1;
        let reported = reported_events(&events);
        if reported.len() >= n {
            violations.push(format!(
                "crash at {n}: {} events were passed on, but the crash came before event {n} was",
                reported.len()
            ));
        }

        // The next command recovers before it reads the history.
        let out = mission(&data).args(["history", "--json"]).output().unwrap();
        if out.status.code() != Some(0) {
            violations.push(format!(
                "crash at {n}: history exited {:?}: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let listed = json_of(&out);
        let runs = listed.as_array().expect("an array of runs");
        for p in check_history(&data, &reported) {
            violations.push(format!("crash at {n}: {p}"));
        }
        let [crashed_run] = runs.as_slice() else {
            violations.push(format!("crash at {n}: {} runs recorded", runs.len()));
            continue;
        };
        let crashed_id = crashed_run["run_id"].as_str().unwrap().to_string();
        let stored_events = Store::open(database(&data))
            .unwrap()
            .events(&crashed_id, 0)
            .unwrap()
            .len();
        // Every committed event survived; recovery adds at most the final one.
        let expected_events = if n == total { n } else { n + 1 };
        if stored_events != expected_events {
            violations.push(format!(
                "crash at {n}: {stored_events} events stored after recovery, expected {expected_events}"
            ));
        }

        let out = mission(&data)
            .args(["resume", &crashed_id, "--approve", "all", "--json"])
            .output()
            .unwrap();
        if out.status.code() != Some(0) {
            violations.push(format!(
                "crash at {n}: resume exited {:?}: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let resumed = json_of(&out);
        if resumed["status"] != "completed" || resumed["resumed_from"] != crashed_id.as_str() {
            violations.push(format!(
                "crash at {n}: resume ended {} (resumed_from {})",
                resumed["status"], resumed["resumed_from"]
            ));
        }
        if outputs_without_answer(&resumed) != expected {
            violations.push(format!(
                "crash at {n}: resumed outputs {:?} differ from {expected:?}",
                outputs_without_answer(&resumed)
            ));
        }
        for p in check_history(&data, &[]) {
            violations.push(format!("crash at {n} after resume: {p}"));
        }
        let store = Store::open(database(&data)).unwrap();
        let resumed_id = resumed["run_id"].as_str().unwrap();
        let finals = store
            .events(resumed_id, 0)
            .unwrap()
            .iter()
            .filter(|e| e.event_type.is_final())
            .count();
        let status = store.run(resumed_id).ok().map(|r| r.status);
        if finals != 1 || status != Some(RunStatus::Completed) {
            violations.push(format!(
                "crash at {n}: the resumed run has {finals} final events and status {status:?}"
            ));
        }
        drop(store);
        let _ = std::fs::remove_dir_all(&data);
        let _ = std::fs::remove_file(&events);
    }
    eprintln!(
        "crash at every event: {crashed} crash points of {total} events, {} violations, {:.1?}",
        violations.len(),
        started.elapsed()
    );
    assert!(
        violations.is_empty(),
        "{} violations:\n{}",
        violations.len(),
        violations.join("\n")
    );
    assert_eq!(crashed, total, "every event boundary was a crash point");
}
