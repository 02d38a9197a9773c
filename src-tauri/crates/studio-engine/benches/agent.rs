//! The agent's own cost per gated tool call (DESIGN §5.2), excluding the tool and the model:
//! an agent whose scripted model (a local OpenAI-compatible server on 127.0.0.1) asks for N
//! `noop` calls in one turn, then answers; the cost per call is the difference between
//! N = 1,000 and N = 1, over 999. Raw baseline in the same process: a mission of 1,000 `noop`
//! steps, each passing the same gate as a step. Target: ≤ 200 µs a call.
//!
//! `cargo bench -p studio-engine --bench agent`

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use studio_core::Mission;
use studio_engine::approval::ApproveAll;
use studio_engine::{run_mission, Governance, NullSink, RunOptions};

const CALLS: usize = 1_000;
const ROUNDS: usize = 7;

/// Answers turn 1 with `calls` noop calls, turn 2 with text; then again for the next run.
async fn server(calls: usize) -> String {
    let turn = Arc::new(Mutex::new(0usize));
    let first = json!({
        "id": "c1", "object": "chat.completion", "model": "bench",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null,
            "tool_calls": (0..calls).map(|k| json!({
                "id": format!("call_{k}"), "type": "function",
                "function": {"name": "noop", "arguments": "{}"},
            })).collect::<Vec<_>>(),
        }}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    });
    let second = json!({
        "id": "c2", "object": "chat.completion", "model": "bench",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "done"}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
    });
    let first = Arc::new(first.to_string());
    let second = Arc::new(second.to_string());
    let app = axum::Router::new().fallback(move || {
        let turn = Arc::clone(&turn);
        let (first, second) = (Arc::clone(&first), Arc::clone(&second));
        async move {
            let mut t = turn.lock().unwrap();
            *t += 1;
            let body = if *t % 2 == 1 { first } else { second };
            ([("content-type", "application/json")], (*body).clone())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://127.0.0.1:{port}/v1")
}

fn agent_mission(base: &str) -> Mission {
    serde_json::from_value(json!({
        "name": "Agent Bench",
        "steps": [{"id": "a", "step_type": "agent", "parameters": {
            "objective": "Call noop", "tools": ["noop"], "provider": "openai",
            "base_url": base, "model": "bench-model", "max_iterations": 3,
        }}],
    }))
    .unwrap()
}

fn noop_mission() -> Mission {
    let steps: Vec<Value> = (0..CALLS)
        .map(|i| json!({"id": format!("n{i:04}"), "step_type": "noop"}))
        .collect();
    serde_json::from_value(json!({"name": "Noop Bench", "steps": steps})).unwrap()
}

async fn time(m: &Mission, ws: &std::path::Path) -> Duration {
    let governance = Governance {
        approver: Arc::new(ApproveAll),
        ..Default::default()
    };
    let mut options = RunOptions::new(ws).with_governance(governance);
    options.env = Some(BTreeMap::new());
    let started = Instant::now();
    let result = run_mission(m, options, &mut NullSink).await.unwrap();
    let took = started.elapsed();
    assert_eq!(
        result.status,
        studio_core::RunStatus::Completed,
        "{:?}",
        result.reason
    );
    took
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let many = agent_mission(&server(CALLS).await);
        let one = agent_mission(&server(1).await);
        let flat = noop_mission();
        // Warm up every path once.
        time(&many, dir.path()).await;
        time(&one, dir.path()).await;
        time(&flat, dir.path()).await;
        let (mut t_many, mut t_one, mut t_flat) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            t_many.push(time(&many, dir.path()).await);
            t_one.push(time(&one, dir.path()).await);
            t_flat.push(time(&flat, dir.path()).await);
        }
        let (many, one, flat) = (median(t_many), median(t_one), median(t_flat));
        let per_call = many.saturating_sub(one).as_secs_f64() * 1e6 / (CALLS - 1) as f64;
        let per_step = flat.as_secs_f64() * 1e6 / CALLS as f64;
        println!("agent: {CALLS} noop calls in one turn: {:.1} ms; 1 call: {:.1} ms (medians of {ROUNDS})",
            many.as_secs_f64() * 1e3, one.as_secs_f64() * 1e3);
        println!("agent overhead per gated call: {per_call:.1} µs (target ≤ 200 µs)");
        println!("raw baseline: a {CALLS}-step noop mission: {:.1} ms, {per_step:.1} µs a step",
            flat.as_secs_f64() * 1e3);
        println!("ratio agent call / engine step: {:.2}", per_call / per_step);
    });
}
