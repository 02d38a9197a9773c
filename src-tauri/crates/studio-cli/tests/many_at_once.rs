//! Many runs at once on one database: 50 runs started together through one `StudioApi` (as the
//! app starts them) while 4 `mission run` processes write the same history. Checks: no
//! `database is locked` / busy error reaches anyone (every run completes, no history error,
//! nothing said about a lock); every run recorded once, every event once (rows counted per
//! run, `seq` unique and gapless, one final event, as many rows as events were passed on).
//!
//! Measured and printed, never asserted: runs/s, and the latency from an event's `emitted_at`
//! to the moment its row is visible to another connection (a probe following the events table
//! by row id), p50/p95/max. The figures are kept in the studio-store README.

#![cfg(unix)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use studio_api::{AppPaths, StudioApi};
use studio_core::RunStatus;
use studio_engine::{CollectingSink, RunOptions};
use studio_store::{RunFilter, Store};
use support::children::Spawned;
use support::history::{database, mission, reported_events};

const API_RUNS: usize = 50;
const CLI_RUNS: usize = 4;

/// Two commands, two file writes and a fan-out of no-ops: 11 steps.
const MISSION: &str = r#"version: "1.0"
name: Many At Once
config: {max_concurrent_steps: 4}
steps:
  - {id: start, step_type: noop}
  - {id: p1, step_type: command, depends_on: [start], parameters: {command: printf, args: ["one"]}}
  - {id: p2, step_type: command, depends_on: [start], parameters: {command: printf, args: ["two"]}}
  - {id: f1, step_type: create_file, depends_on: [p1], parameters: {path: one.txt, content: "{{p1.output.stdout}}"}}
  - {id: f2, step_type: create_file, depends_on: [p2], parameters: {path: two.txt, content: "{{p2.output.stdout}}"}}
  - {id: n1, step_type: noop, depends_on: [f1, f2], parameters: {n: 1}}
  - {id: n2, step_type: noop, depends_on: [f1, f2], parameters: {n: 2}}
  - {id: n3, step_type: noop, depends_on: [f1, f2], parameters: {n: 3}}
  - {id: n4, step_type: noop, depends_on: [f1, f2], parameters: {n: 4}}
  - {id: n5, step_type: noop, depends_on: [f1, f2], parameters: {n: 5}}
  - {id: end, step_type: noop, depends_on: [n1, n2, n3, n4, n5]}
outputs: [one.txt, two.txt]
"#;

const STEPS: usize = 11;

/// Follows the events table from another connection and notes, for each row, how long after
/// its `emitted_at` it became visible (ms).
fn probe(db: PathBuf, stop: Arc<AtomicBool>) -> Vec<f64> {
    let store = Store::open(db).expect("the probe opens the database");
    let mut last = 0;
    let mut latencies = Vec::new();
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        let rows = store
            .events_after_id(last, 10_000)
            .expect("the probe reads");
        let seen = chrono::Utc::now();
        for row in &rows {
            let emitted = chrono::DateTime::parse_from_rfc3339(&row.emitted_at)
                .expect("emitted_at is RFC 3339");
            let ms = (seen - emitted.with_timezone(&chrono::Utc))
                .num_microseconds()
                .unwrap_or(0);
            latencies.push((ms as f64 / 1000.0).max(0.0));
            last = row.event_id;
        }
        if stopping && rows.is_empty() {
            return latencies;
        }
        if rows.is_empty() {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// What one run of the API returned.
struct ApiRun {
    run_id: String,
    status: RunStatus,
    passed_on: usize,
    problem: Option<String>,
}

fn api_run(api: &StudioApi, rt: &tokio::runtime::Handle, file: &Path) -> ApiRun {
    let loaded = studio_core::load_file(file).expect("the mission loads");
    let collected = CollectingSink::new();
    let outcome = rt.block_on(api.run_recorded_file(
        &loaded.mission,
        file,
        RunOptions::new(PathBuf::new()),
        collected.clone(),
    ));
    match outcome {
        Ok(done) => ApiRun {
            run_id: done.result.run_id.to_string(),
            status: done.result.status,
            passed_on: collected.events().len(),
            problem: done.history_error,
        },
        Err(e) => ApiRun {
            run_id: String::new(),
            status: RunStatus::Failed,
            passed_on: 0,
            problem: Some(e.to_string()),
        },
    }
}

#[test]
fn fifty_api_runs_and_four_cli_processes_share_one_database() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let file = root.path().join("many-at-once.yaml");
    std::fs::write(&file, MISSION).unwrap();
    let api = StudioApi::open(AppPaths::at(&data)).expect("open the API");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let probe = std::thread::spawn({
        let (db, stop) = (database(&data), Arc::clone(&stop));
        move || probe(db, stop)
    });

    let started = Instant::now();
    let cli: Vec<(Spawned, PathBuf)> = (0..CLI_RUNS)
        .map(|i| {
            let events = root.path().join(format!("cli-{i}.ndjson"));
            let mut cmd = mission(&data);
            cmd.args(["run", "--json", "--events"])
                .arg(&events)
                .arg(&file);
            (
                Spawned::start(cmd, root.path(), &format!("cli-{i}")),
                events,
            )
        })
        .collect();
    let api_runs: Vec<ApiRun> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..API_RUNS)
            .map(|_| s.spawn(|| api_run(&api, rt.handle(), &file)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut problems = Vec::new();
    let mut passed_on: BTreeMap<String, usize> = BTreeMap::new();
    for (child, events) in cli {
        let (status, stdout, stderr) = child.finish();
        let said = stderr.to_lowercase();
        if !status.success() || said.contains("locked") || said.contains("busy") {
            problems.push(format!("mission run exited {status}: {stderr}"));
        }
        let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_default();
        if let Some(id) = doc["run_id"].as_str() {
            passed_on.insert(id.to_string(), reported_events(&events).len());
        } else {
            problems.push(format!("mission run printed no run id: {stdout} {stderr}"));
        }
    }
    let wall = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let mut latencies = probe.join().expect("the probe ends");

    for run in &api_runs {
        if let Some(p) = &run.problem {
            problems.push(format!("API run {}: {p}", run.run_id));
        }
        if run.status != RunStatus::Completed {
            problems.push(format!("API run {} ended {:?}", run.run_id, run.status));
        }
        passed_on.insert(run.run_id.clone(), run.passed_on);
    }

    // Every run and every event exactly once.
    let store = Store::open(database(&data)).unwrap();
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
    let runs = store.list_runs(&RunFilter::default()).unwrap();
    let ids: BTreeSet<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
    if runs.len() != API_RUNS + CLI_RUNS || ids.len() != runs.len() {
        problems.push(format!(
            "{} run rows ({} distinct), expected {}",
            runs.len(),
            ids.len(),
            API_RUNS + CLI_RUNS
        ));
    }
    let mut total_events = 0;
    for run in &runs {
        let events = store.events(&run.run_id, 0).unwrap();
        total_events += events.len();
        let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
        if seqs != (1..=events.len() as u64).collect::<Vec<_>>() {
            problems.push(format!("run {}: seq {seqs:?}", run.run_id));
        }
        let finals = events.iter().filter(|e| e.event_type.is_final()).count();
        if finals != 1 || run.status != RunStatus::Completed {
            problems.push(format!(
                "run {}: {finals} final events, status {}",
                run.run_id,
                run.status.as_str()
            ));
        }
        if passed_on.get(&run.run_id) != Some(&events.len()) {
            problems.push(format!(
                "run {}: {} event rows, {:?} events passed on",
                run.run_id,
                events.len(),
                passed_on.get(&run.run_id)
            ));
        }
        let steps = store.steps(&run.run_id).unwrap();
        if steps.len() != STEPS {
            problems.push(format!("run {}: {} step rows", run.run_id, steps.len()));
        }
    }
    if latencies.len() != total_events {
        problems.push(format!(
            "the probe saw {} event rows, the database holds {total_events}",
            latencies.len()
        ));
    }

    latencies.sort_by(f64::total_cmp);
    let runs_per_s = (API_RUNS + CLI_RUNS) as f64 / wall.as_secs_f64();
    eprintln!(
        "many at once: {} runs ({API_RUNS} API + {CLI_RUNS} CLI processes), {total_events} events \
         in {:.2} s: {runs_per_s:.1} runs/s, {:.0} events/s; event-to-row latency p50 {:.1} ms, \
         p95 {:.1} ms, max {:.1} ms",
        API_RUNS + CLI_RUNS,
        wall.as_secs_f64(),
        total_events as f64 / wall.as_secs_f64(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 95.0),
        percentile(&latencies, 100.0),
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
