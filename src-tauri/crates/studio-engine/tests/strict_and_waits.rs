//! Strict approval keeps its promise (every step that calls out waits: HTTP and model calls
//! included), and the runtime cap does not count the time a run waits for a person.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use studio_core::{Mission, Perimeter, RunStatus, StepStatus};
use studio_engine::approval::{ApprovalDecision, ApprovalRequest, Approver, DecisionFuture};
use studio_engine::{run_mission, CollectingSink, Event, EventType, Governance, RunOptions};

fn mission(v: Value) -> Mission {
    let mut v = v;
    v["name"] = json!("Strict and waits");
    serde_json::from_value(v).expect("the test mission parses")
}

/// Approves every request after `delay`, and records which steps it was asked about.
struct SlowApprover {
    delay: Duration,
    asked: Mutex<Vec<String>>,
}

impl SlowApprover {
    fn new(delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            delay,
            asked: Mutex::new(Vec::new()),
        })
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

impl Approver for SlowApprover {
    fn decide(&self, request: ApprovalRequest) -> DecisionFuture {
        self.asked.lock().unwrap().push(request.step_id.clone());
        let delay = self.delay;
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            ApprovalDecision::approve(&request, "test")
        })
    }
}

struct Ran {
    status: RunStatus,
    reason: Option<String>,
    steps: BTreeMap<String, StepStatus>,
    usage: studio_engine::Usage,
    events: Vec<Event>,
    _dir: tempfile::TempDir,
}

async fn run(m: &Mission, governance: Governance) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    let mut options = RunOptions::new(&workspace).with_governance(governance);
    options.env = Some(BTreeMap::new());
    let mut sink = CollectingSink::new();
    let result = run_mission(m, options, &mut sink)
        .await
        .expect("the run starts");
    Ran {
        status: result.status,
        reason: result.reason.clone(),
        steps: result
            .step_results
            .iter()
            .map(|(id, r)| (id.to_string(), r.status))
            .collect(),
        usage: result.usage,
        events: sink.events(),
        _dir: dir,
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1 that answers `n` requests with `{"ok": true}`.
fn serve(n: usize) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for _ in 0..n {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut reader = BufReader::new(stream);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let body = r#"{"ok": true}"#;
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

fn blocked_steps(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.event_type == EventType::Blocked)
        .filter_map(|e| e.step_id.as_deref().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn a_strict_run_blocks_on_http_and_llm_steps_and_not_on_local_ones() {
    let base = serve(1);
    let m = mission(json!({
        "perimeter": {"approval": {"mode": "strict"}},
        "config": {"max_concurrent_steps": 1},
        "steps": [
            {"id": "start", "step_type": "noop"},
            {"id": "parse", "step_type": "parse_json", "depends_on": ["start"],
             "parameters": {"content": "{\"a\": 1}"}},
            {"id": "fetch", "step_type": "http", "depends_on": ["parse"],
             "parameters": {"url": format!("{base}/status")}},
            {"id": "summarise", "step_type": "llm", "depends_on": ["fetch"],
             "parameters": {"provider": "simulated", "prompt": "Summarise {{fetch.output.body}}",
                            "max_tokens": 40}},
        ],
    }));
    let approver = SlowApprover::new(Duration::ZERO);
    let ran = run(
        &m,
        Governance {
            approver: approver.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(ran.status, RunStatus::Completed, "{:?}", ran.reason);
    assert_eq!(approver.asked(), ["fetch", "summarise"]);
    assert_eq!(blocked_steps(&ran.events), ["fetch", "summarise"]);
    let why: Vec<&str> = ran
        .events
        .iter()
        .filter(|e| e.event_type == EventType::Blocked)
        .map(|e| e.summary.as_str())
        .collect();
    assert!(why[0].contains("calls out (the network)"), "{}", why[0]);
    assert!(why[1].contains("calls out (a model)"), "{}", why[1]);
}

#[tokio::test]
async fn a_strict_run_without_anyone_to_ask_runs_no_http_or_llm_step() {
    let m = mission(json!({
        "perimeter": {"approval": {"mode": "strict"}},
        "config": {"fail_fast": false},
        "steps": [
            {"id": "fetch", "step_type": "http", "continue_on_error": true,
             "parameters": {"url": "http://127.0.0.1:9/never"}},
            {"id": "ask", "step_type": "llm", "continue_on_error": true,
             "parameters": {"provider": "simulated", "prompt": "hello"}},
            {"id": "local", "step_type": "noop"},
        ],
    }));
    // The default governance has nobody to ask: steps that need approval are skipped.
    let ran = run(&m, Governance::default()).await;
    assert_eq!(ran.steps["fetch"], StepStatus::Skipped);
    assert_eq!(ran.steps["ask"], StepStatus::Skipped);
    assert_eq!(ran.steps["local"], StepStatus::Success);
    assert_eq!(ran.usage.llm_calls, 0, "no model call was made");
}

fn capped(mut m: Mission, minutes: f64) -> Governance {
    m.perimeter = None;
    Governance {
        operator: Perimeter {
            budget: Some(studio_core::Budget {
                max_runtime_minutes: Some(minutes),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn waiting_for_approval_longer_than_the_runtime_cap_does_not_time_the_run_out() {
    // A 0.6 s runtime cap; the operator takes 1.5 s to approve.
    let m = mission(json!({
        "steps": [
            {"id": "plan", "step_type": "noop"},
            {"id": "write", "step_type": "create_file", "depends_on": ["plan"], "approval": "required",
             "parameters": {"path": "out.txt", "content": "x"}},
            {"id": "check", "step_type": "read_file", "depends_on": ["write"],
             "parameters": {"path": "out.txt"}},
        ],
    }));
    let approver = SlowApprover::new(Duration::from_millis(1500));
    let mut g = capped(m.clone(), 0.01);
    g.approver = approver.clone();
    let ran = run(&m, g).await;
    assert_eq!(ran.status, RunStatus::Completed, "{:?}", ran.reason);
    assert_eq!(approver.asked(), ["write"]);
    let u = ran.usage;
    assert!(
        u.approval_wait_ms >= 1400,
        "the wait is reported apart: {u:?}"
    );
    assert!(u.runtime_ms < 600, "the wait is not counted: {u:?}");
    // Every event says so too: the final one carries the whole wait.
    let last = ran.events.last().unwrap();
    assert!(last.event_type.is_final());
    assert_eq!(last.usage.approval_wait_ms, u.approval_wait_ms);
    let blocked = ran
        .events
        .iter()
        .find(|e| e.event_type == EventType::Blocked)
        .unwrap();
    assert_eq!(blocked.usage.approval_wait_ms, 0, "the wait starts there");
}

#[tokio::test]
async fn the_cap_still_times_out_the_work_done_after_an_approval() {
    // The approval takes 1 s (not counted); the approved command then sleeps past the 0.6 s cap.
    let m = mission(json!({
        "steps": [
            {"id": "slow", "step_type": "command", "approval": "required",
             "parameters": {"command": "sleep", "args": ["5"]}},
        ],
    }));
    let mut g = capped(m.clone(), 0.01);
    g.approver = SlowApprover::new(Duration::from_secs(1));
    let started = std::time::Instant::now();
    let ran = run(&m, g).await;
    let took = started.elapsed();
    assert_eq!(ran.status, RunStatus::TimedOut);
    assert!(
        ran.reason
            .as_deref()
            .unwrap()
            .contains("max_runtime_minutes"),
        "{:?}",
        ran.reason
    );
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(4),
        "the deadline moved by the wait only: {took:?}"
    );
    assert!(ran.usage.approval_wait_ms >= 900, "{:?}", ran.usage);
}

#[tokio::test]
async fn a_wait_while_another_step_works_counts() {
    // `work` runs while `gated` waits for approval: the run is busy, not waiting, so the cap
    // counts that time and the run times out before the approval comes.
    let m = mission(json!({
        "config": {"max_concurrent_steps": 2},
        "steps": [
            {"id": "work", "step_type": "command", "parameters": {"command": "sleep", "args": ["3"]}},
            {"id": "gated", "step_type": "create_file", "approval": "required",
             "parameters": {"path": "x.txt", "content": "x"}},
        ],
    }));
    let mut g = capped(m.clone(), 0.01);
    g.approver = SlowApprover::new(Duration::from_secs(2));
    let started = std::time::Instant::now();
    let ran = run(&m, g).await;
    assert_eq!(ran.status, RunStatus::TimedOut);
    assert!(
        started.elapsed() < Duration::from_millis(1800),
        "timed out at the cap"
    );
    assert_eq!(ran.usage.approval_wait_ms, 0, "{:?}", ran.usage);
}
