//! Telemetry's cost to a run (the mission's `telemetry:` block): a 1,000-step mission run
//! through the API (history, evidence folder, events file) without telemetry, with an `otlp`
//! backend whose collector is down (a refused port: every batch fails and is counted), and with
//! the `memory` backend. Each figure is the best of several rounds, the variants interleaved
//! (the machine is shared and noisy). Target: collector down ≤ 1.05× without telemetry.
//!
//! `cargo bench -p studio-api --bench telemetry`

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use studio_api::{AppPaths, StudioApi};
use studio_core::{Mission, RunStatus};
use studio_engine::{NullSink, RunOptions};

const STEPS: usize = 1_000;
const ROUNDS: usize = 7;

fn mission(telemetry: Option<Value>) -> Mission {
    let steps: Vec<_> = (0..STEPS)
        .map(|i| json!({"id": format!("s{i:04}"), "step_type": "noop"}))
        .collect();
    let mut m = json!({"name": "Telemetry Bench", "steps": steps});
    if let Some(t) = telemetry {
        m["telemetry"] = t;
    }
    serde_json::from_value(m).unwrap()
}

async fn timed(api: &StudioApi, m: &Mission) -> (Duration, Option<u64>) {
    let started = Instant::now();
    let outcome = api
        .run_recorded(m, RunOptions::new(std::path::PathBuf::new()), NullSink)
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(outcome.result.status, RunStatus::Completed);
    (took, outcome.telemetry.map(|t| t.spans_dropped))
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
        let refused = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let variants = [
            ("no telemetry", mission(None)),
            (
                "otlp, collector down",
                mission(Some(
                    json!({"backend": "otlp", "endpoint": format!("http://{refused}")}),
                )),
            ),
            ("memory", mission(Some(json!({"backend": "memory"})))),
        ];
        // Warm-up: one run of each.
        for (_, m) in &variants {
            timed(&api, m).await;
        }
        let mut best = vec![Duration::MAX; variants.len()];
        let mut dropped = vec![None; variants.len()];
        for _ in 0..ROUNDS {
            for (i, (_, m)) in variants.iter().enumerate() {
                let (took, d) = timed(&api, m).await;
                best[i] = best[i].min(took);
                dropped[i] = d;
            }
        }
        let base = best[0].as_secs_f64();
        println!("{STEPS} no-op steps, best of {ROUNDS} rounds");
        for (i, (name, _)) in variants.iter().enumerate() {
            let ms = best[i].as_secs_f64() * 1e3;
            let ratio = best[i].as_secs_f64() / base;
            let note = dropped[i].map_or(String::new(), |d| format!(", {d} spans dropped"));
            println!("{name:<22} {ms:>9.1} ms  {ratio:>5.3}x{note}");
        }
        let ratio = best[1].as_secs_f64() / base;
        println!(
            "collector down / no telemetry: {ratio:.3} ({})",
            if ratio < 1.05 {
                "within 5 %"
            } else {
                "OVER 5 %"
            }
        );
    });
}
