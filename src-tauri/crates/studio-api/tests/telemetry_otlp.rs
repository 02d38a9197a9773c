//! The mission's `telemetry:` block: an `otlp` backend exports each run as one trace (the run's
//! span and one span per step attempt) to an OTLP/HTTP receiver on 127.0.0.1; a collector that
//! is down neither fails nor holds the run, and the spans it missed are counted; a sampling
//! rate of 0 exports nothing; `memory` hands the trace back with the outcome.

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use studio_api::telemetry::AttributeValue;
use studio_api::{AppPaths, RunOutcome, StudioApi};
use studio_core::{Mission, RunStatus};
use studio_engine::{CollectingSink, RunOptions};

type Received = Arc<Mutex<Vec<(String, Value)>>>;

/// An OTLP/HTTP receiver: records each request's path and decoded JSON body.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let app = axum::Router::new()
        .route(
            "/v1/traces",
            post(
                |State(r): State<Received>, headers: axum::http::HeaderMap, body: Bytes| async move {
                    assert_eq!(headers["content-type"], "application/json");
                    let value: Value = serde_json::from_slice(&body).unwrap();
                    r.lock().unwrap().push(("/v1/traces".into(), value));
                    "{}"
                },
            ),
        )
        .with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), received)
}

/// A port nothing listens on.
fn refused_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

fn sh(script: &str) -> Value {
    json!({"command": "sh", "args": ["-c", script]})
}

fn mission(telemetry: Value) -> Mission {
    serde_json::from_value(json!({
        "name": "Traced",
        "id": "com.example.traced",
        "telemetry": telemetry,
        "config": {"retry_delay_ms": 10},
        "steps": [
            {"id": "a", "step_type": "noop"},
            {"id": "flaky", "step_type": "command", "retry_attempts": 1, "depends_on": ["a"],
             "parameters": sh("n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; [ $n -ge 2 ]")},
            {"id": "b", "step_type": "noop", "depends_on": ["flaky"]},
        ],
    }))
    .unwrap()
}

async fn run(api: &StudioApi, m: &Mission, trace_id: Option<&str>) -> RunOutcome {
    let mut options = RunOptions::new(std::path::PathBuf::new());
    if let Some(t) = trace_id {
        options.trace_id = t.to_string();
    }
    let outcome = api
        .run_recorded(m, options, CollectingSink::new())
        .await
        .unwrap();
    assert_eq!(
        outcome.result.status,
        RunStatus::Completed,
        "{:?}",
        outcome.result.reason
    );
    outcome
}

fn api() -> (tempfile::TempDir, StudioApi) {
    let dir = tempfile::tempdir().unwrap();
    let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
    (dir, api)
}

fn attr<'a>(span: &'a Value, key: &str) -> &'a Value {
    span["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == key)
        .map(|a| &a["value"])
        .unwrap_or_else(|| panic!("no {key} in {span:#}"))
}

fn meta(outcome: &RunOutcome) -> Value {
    let text = std::fs::read_to_string(outcome.evidence_dir.join("meta.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_run_is_one_trace_with_a_span_per_step_attempt() {
    let (endpoint, received) = receiver().await;
    let (_dir, api) = api();
    // A small buffer: the spans leave in several batches.
    let m = mission(
        json!({"backend": "otlp", "endpoint": format!("{endpoint}/"),
        "buffer_size": 3, "export_interval": 0.05}),
    );
    let outcome = run(&api, &m, None).await;
    let report = outcome.telemetry.clone().unwrap();
    assert_eq!(
        (
            report.spans_built,
            report.spans_exported,
            report.spans_dropped
        ),
        (5, 5, 0),
        "{report:?}"
    );
    assert!(report.warning().is_none());
    assert_eq!(meta(&outcome)["telemetry"]["spans_exported"], 5);

    let requests = received.lock().unwrap().clone();
    assert!(requests.len() >= 2, "batches of at most 3 spans");
    let spans: Vec<Value> = requests
        .iter()
        .flat_map(|(_, body)| {
            let rs = &body["resourceSpans"][0];
            assert_eq!(
                rs["resource"]["attributes"][0]["value"]["stringValue"],
                "mission-studio"
            );
            let spans = rs["scopeSpans"][0]["spans"].as_array().unwrap().clone();
            assert!(spans.len() <= 3);
            spans
        })
        .collect();
    assert_eq!(spans.len(), 5, "the run and 4 attempts: {spans:#?}");
    let trace = &outcome.result.trace_id;
    assert_eq!(trace.len(), 32);
    assert!(spans.iter().all(|s| s["traceId"] == trace.as_str()));

    let root = spans
        .iter()
        .find(|s| s.get("parentSpanId").is_none())
        .unwrap();
    assert_eq!(root["name"], "run com.example.traced");
    assert_eq!(root["status"]["code"], 1);
    assert_eq!(
        attr(root, "mission.id")["stringValue"],
        "com.example.traced"
    );
    assert_eq!(
        attr(root, "mission.run_id")["stringValue"],
        outcome.result.run_id
    );
    assert_eq!(attr(root, "mission.status")["stringValue"], "completed");
    assert!(attr(root, "mission.cost_usd")["doubleValue"].is_number());
    let steps: Vec<&Value> = spans.iter().filter(|s| s != &root).collect();
    assert!(steps.iter().all(|s| s["parentSpanId"] == root["spanId"]));
    let mut ids: Vec<&str> = spans
        .iter()
        .map(|s| s["spanId"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 5, "distinct span ids");
    assert!(ids.iter().all(|id| id.len() == 16));

    let flaky: Vec<&&Value> = steps
        .iter()
        .filter(|s| attr(s, "mission.step.id")["stringValue"] == "flaky")
        .collect();
    assert_eq!(flaky.len(), 2, "a step with a retry gives 2 spans");
    let attempt = |s: &Value| attr(s, "mission.step.attempt")["intValue"].clone();
    let first = flaky.iter().find(|s| attempt(s) == "1").unwrap();
    let second = flaky.iter().find(|s| attempt(s) == "2").unwrap();
    assert_eq!(first["status"]["code"], 2, "{first:#}");
    assert!(first["status"]["message"]
        .as_str()
        .unwrap()
        .contains("attempt 1"));
    assert_eq!(attr(first, "mission.step.status")["stringValue"], "failed");
    assert_eq!(second["status"]["code"], 1);
    assert_eq!(
        attr(second, "mission.step.status")["stringValue"],
        "success"
    );
    assert_eq!(attr(second, "mission.step.type")["stringValue"], "command");
    assert!(attr(second, "mission.tokens")["intValue"].is_string());
    let start = |s: &Value| {
        s["startTimeUnixNano"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let end = |s: &Value| {
        s["endTimeUnixNano"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(start(first) <= end(first) && end(first) <= start(second));
    assert!(start(root) <= start(first) && end(second) <= end(root));

    // Span ids are derived from the trace, the step and the attempt.
    assert_eq!(
        second["spanId"],
        studio_api::telemetry::span_id(trace, Some(("flaky", 2)))
    );

    // A second run is a second trace.
    received.lock().unwrap().clear();
    let again = run(
        &api,
        &mission(json!({"backend": "otlp", "endpoint": endpoint})),
        None,
    )
    .await;
    assert_ne!(again.result.trace_id, outcome.result.trace_id);
    let bodies = received.lock().unwrap().clone();
    let traces: std::collections::BTreeSet<String> = bodies
        .iter()
        .flat_map(|(_, b)| {
            b["resourceSpans"][0]["scopeSpans"][0]["spans"]
                .as_array()
                .unwrap()
                .clone()
        })
        .map(|s| s["traceId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        traces.into_iter().collect::<Vec<_>>(),
        std::slice::from_ref(&again.result.trace_id)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_that_is_down_neither_fails_nor_holds_the_run() {
    let (_dir, api) = api();
    let m =
        mission(json!({"backend": "otlp", "endpoint": refused_endpoint(), "export_interval": 60}));
    let started = Instant::now();
    let outcome = run(&api, &m, None).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    let report = outcome.telemetry.clone().unwrap();
    assert_eq!(report.spans_built, 5);
    assert_eq!(report.spans_dropped, 5, "{report:?}");
    assert_eq!(report.spans_exported, 0);
    let warning = report.warning().unwrap();
    assert!(
        warning.contains("5 of 5 spans were not exported"),
        "{warning}"
    );
    assert!(warning.contains("unreachable"), "{warning}");
    let recorded = &meta(&outcome)["telemetry"];
    assert_eq!(recorded["spans_dropped"], 5);
    assert_eq!(recorded["backend"], "otlp");
    // The run is in the history as usual.
    assert!(outcome.history_error.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_drops_spans_without_waiting() {
    // A collector that never answers, a queue of 1: the spans beyond it are dropped at once.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _hold = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            held.push(socket);
        }
    });
    let (_dir, api) = api();
    let m = mission(
        json!({"backend": "otlp", "endpoint": format!("http://{addr}"),
        "buffer_size": 1, "export_interval": 0.01}),
    );
    let started = Instant::now();
    let outcome = run(&api, &m, None).await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let report = outcome.telemetry.unwrap();
    assert_eq!(report.spans_built, 5);
    assert_eq!(report.spans_exported, 0);
    assert_eq!(report.spans_dropped, 5, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sampling_rate_of_zero_exports_nothing() {
    let (endpoint, received) = receiver().await;
    let (_dir, api) = api();
    let m = mission(json!({"backend": "otlp", "endpoint": endpoint, "sampling_rate": 0.0}));
    let outcome = run(&api, &m, None).await;
    let report = outcome.telemetry.unwrap();
    assert!(!report.sampled);
    assert_eq!((report.spans_built, report.spans_dropped), (0, 0));
    assert!(received.lock().unwrap().is_empty());

    // Sampling is decided by the trace id: the same trace id, the same decision.
    let low = "0123456789abcdef0000000000000001";
    let high = "0123456789abcdef00ffffffffffffff";
    assert!(studio_api::telemetry::is_sampled(low, 0.5));
    assert!(!studio_api::telemetry::is_sampled(high, 0.5));
    let half = mission(json!({"backend": "otlp", "endpoint": endpoint, "sampling_rate": 0.5}));
    let kept = run(&api, &half, Some(low)).await;
    assert!(kept.telemetry.unwrap().sampled);
    assert!(!received.lock().unwrap().is_empty());
    received.lock().unwrap().clear();
    let skipped = run(&api, &half, Some(high)).await;
    assert!(!skipped.telemetry.unwrap().sampled);
    assert!(received.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_backend_hands_the_trace_back_and_keeps_nothing() {
    let (_dir, api) = api();
    let outcome = run(&api, &mission(json!({"backend": "memory"})), None).await;
    let report = outcome.telemetry.clone().unwrap();
    assert_eq!(report.spans.len(), 5);
    assert_eq!(report.spans_dropped, 0);
    let flaky: Vec<_> = report
        .spans
        .iter()
        .filter(|s| s.attribute("mission.step.id") == Some(&AttributeValue::Str("flaky".into())))
        .collect();
    assert_eq!(flaky.len(), 2);
    assert!(flaky.iter().any(|s| s.error.is_some()));
    // The run is still recorded in the history and its evidence folder.
    let details = api.run_details(&outcome.result.run_id).unwrap();
    assert_eq!(details.steps.len(), 3);
    assert!(!details.events.is_empty());
    assert!(outcome.evidence_dir.join("events.jsonl").is_file());
    assert_eq!(meta(&outcome)["telemetry"]["backend"], "memory");

    // `sqlite` (and a disabled block) add nothing to the history.
    let plain = run(&api, &mission(json!({"backend": "sqlite"})), None).await;
    assert!(plain.telemetry.is_none());
    let off = run(
        &api,
        &mission(json!({"enabled": false, "backend": "memory"})),
        None,
    )
    .await;
    assert!(off.telemetry.is_none());
    assert!(meta(&off).get("telemetry").is_none());
}
