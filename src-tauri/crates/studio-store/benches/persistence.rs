//! `cargo bench -p studio-store --bench persistence`: the cost of recording a run in SQLite.
//! The same 10,000-step run (a layered DAG of no-op steps, as in the engine bench) with
//! persistence off (`NullSink`) and on (`StoreSink`: run row, step rows, every event, batched
//! transactions, events passed on only once committed), in one process; prints the added cost
//! per step and the ratio. Target: ≤ 30 µs added per step.

use serde_json::json;
use std::time::{Duration, Instant};
use studio_core::{Mission, RunStatus, Step};
use studio_engine::{run_mission, NullSink, RunOptions};
use studio_store::{NewRun, ProcessIdentity, Store, StoreSink};

const LAYERS: usize = 100;
const WIDTH: usize = 100;
const RUNS: usize = 5;

fn layered() -> Mission {
    let mut steps: Vec<Step> = Vec::with_capacity(LAYERS * WIDTH);
    for l in 0..LAYERS {
        for w in 0..WIDTH {
            let deps: Vec<String> = if l == 0 {
                vec![]
            } else {
                vec![
                    format!("s{}_{}", l - 1, w),
                    format!("s{}_{}", l - 1, (w + 1) % WIDTH),
                ]
            };
            steps.push(
                serde_json::from_value(json!({
                    "id": format!("s{l}_{w}"), "step_type": "noop", "depends_on": deps,
                    "parameters": {"layer": l, "lane": w}
                }))
                .unwrap(),
            );
        }
    }
    let mut m: Mission = serde_json::from_value(
        json!({"name": "bench", "config": {"max_concurrent_steps": 64}, "steps": []}),
    )
    .unwrap();
    m.steps = steps;
    m
}

fn new_run(m: &Mission, logic_hash: &str, options: &RunOptions) -> NewRun {
    NewRun {
        run_id: options.run_id.clone(),
        mission_id: m.mission_id(),
        mission_name: m.name.clone(),
        trace_id: options.trace_id.clone(),
        logic_hash: logic_hash.to_string(),
        evidence_dir: None,
        resumed_from: None,
        mission: serde_json::to_value(m).unwrap(),
        context: json!({}),
        steps: m
            .steps
            .iter()
            .map(|s| (s.id.clone(), s.step_type.clone()))
            .collect(),
        owner: ProcessIdentity::current(),
    }
}

/// CPU time of this process so far (all threads, finished ones included), from
/// `/proc/self/stat` (utime + stime, in clock ticks of 10 ms); zero where there is no `/proc`.
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    let after = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    // The database exists and the process holds a connection to it while it runs missions, as
    // the app and the CLI do (`StudioApi` opens it for recovery at start-up and keeps it). So
    // the writer's connection is not the last one: closing it copies nothing back; the WAL is
    // checkpointed as it grows (every 32 MB, inside the runs measured) and once more when the
    // last connection closes, measured below.
    let held = Store::open(&db).unwrap();
    let m = layered();
    let n = m.steps.len() as u32;
    // Computed once per run for the evidence folder anyway, not a cost of persistence.
    let hash = studio_core::logic_hash(&m);

    let mut off = Vec::new();
    let mut on = Vec::new();
    let (mut cpu_off, mut cpu_on) = (Duration::ZERO, Duration::ZERO);
    // Interleaved, so both see the same machine state; best of RUNS each.
    for _ in 0..RUNS {
        let (t, cpu) = (Instant::now(), cpu_time());
        let r = rt
            .block_on(run_mission(&m, RunOptions::new(dir.path()), &mut NullSink))
            .unwrap();
        assert_eq!(r.status, RunStatus::Completed);
        off.push(t.elapsed());
        cpu_off += cpu_time() - cpu;
        drop(r);

        let (t, cpu) = (Instant::now(), cpu_time());
        let options = RunOptions::new(dir.path());
        let record = new_run(&m, &hash, &options);
        let mut sink = StoreSink::start(Store::open(&db).unwrap(), record, NullSink).unwrap();
        let r = rt.block_on(run_mission(&m, options, &mut sink)).unwrap();
        assert!(sink.failure().is_none(), "{:?}", sink.failure());
        drop(sink); // everything committed
        assert_eq!(r.status, RunStatus::Completed);
        on.push(t.elapsed());
        cpu_on += cpu_time() - cpu;
    }
    let best = |v: &[Duration]| *v.iter().min().unwrap();
    let median = |v: &[Duration]| {
        let mut v = v.to_vec();
        v.sort();
        v[v.len() / 2]
    };
    let us = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(n);
    let (off_best, on_best) = (best(&off), best(&on));
    let added = us(on_best) - us(off_best);

    let t = Instant::now();
    drop(held);
    let close = t.elapsed();
    let store = Store::open(&db).unwrap();
    let runs = store.list_runs(&Default::default()).unwrap();
    assert_eq!(runs.len(), RUNS);
    let steps = store.steps(&runs[0].run_id).unwrap().len();
    let events = store.events(&runs[0].run_id, 0).unwrap().len();
    assert_eq!(steps, n as usize, "every step has its row");

    println!("| 10k-step run (layered no-op DAG) | per step | run |");
    println!("|---|---|---|");
    println!(
        "| persistence off | {:.2} µs | {:.1} ms (median {:.1} ms) |",
        us(off_best),
        off_best.as_secs_f64() * 1e3,
        median(&off).as_secs_f64() * 1e3
    );
    println!(
        "| persistence on | {:.2} µs | {:.1} ms (median {:.1} ms) |",
        us(on_best),
        on_best.as_secs_f64() * 1e3,
        median(&on).as_secs_f64() * 1e3
    );
    println!(
        "| added by persistence | {added:.2} µs (target ≤ 30 µs) | ratio on/off {:.1}× |",
        on_best.as_secs_f64() / off_best.as_secs_f64()
    );
    let cpu_added = us((cpu_on.saturating_sub(cpu_off)) / RUNS as u32);
    println!(
        "| CPU time added (all threads, mean of {RUNS}) | {cpu_added:.2} µs | on {:.0} ms, off {:.0} ms per run |",
        cpu_on.as_secs_f64() * 1e3 / RUNS as f64,
        cpu_off.as_secs_f64() * 1e3 / RUNS as f64
    );
    println!(
        "closing the last connection (checkpoint of what the WAL still holds, {RUNS} runs): {:.1} ms, {:.2} µs per step recorded",
        close.as_secs_f64() * 1e3,
        us(close) / RUNS as f64
    );
    let t = Instant::now();
    let v = serde_json::to_value(&m).unwrap();
    let text = v.to_string();
    println!(
        "mission JSON (to_value + to_string, per run): {:.1} ms, {} bytes",
        t.elapsed().as_secs_f64() * 1e3,
        text.len()
    );
    println!("recorded per run: {steps} step rows, {events} events");
}
