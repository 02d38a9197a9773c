//! The network perimeter (DESIGN §6, check 2b) and `websocket_connect`, against real servers
//! on 127.0.0.1 started by the tests: an HTTP server (axum) and a WebSocket server
//! (tokio-tungstenite's server side).

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use studio_core::{Mission, NetworkRules, Perimeter, RunStatus, StepStatus};
use studio_engine::approval::ApproveAll;
use studio_engine::audit::{AuditRecord, Check, CollectingAudit, Decision};
use studio_engine::tools::ToolRegistry;
use studio_engine::{run_mission, CollectingSink, Governance, RunOptions, RunResult};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

fn mission(v: Value) -> Mission {
    let mut v = v;
    v["name"] = json!("Network Test");
    serde_json::from_value(v).expect("the test mission parses")
}

fn hosts(list: &[&str]) -> Perimeter {
    Perimeter {
        network: Some(NetworkRules {
            allowed_hosts: list.iter().map(|h| h.to_string()).collect(),
            trusted_host_keys: Vec::new(),
        }),
        ..Default::default()
    }
}

struct Ran {
    result: RunResult,
    audit: Vec<AuditRecord>,
    _dir: tempfile::TempDir,
}

async fn run(m: &Mission, mut governance: Governance) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    let audit = CollectingAudit::new();
    governance.audit.push(Arc::new(audit.clone()));
    governance.approver = Arc::new(ApproveAll);
    let mut options = RunOptions::new(&workspace).with_governance(governance);
    options.env = Some(BTreeMap::new());
    let mut sink = CollectingSink::new();
    let result = run_mission(m, options, &mut sink)
        .await
        .expect("the run starts");
    Ran {
        result,
        audit: audit.rows(),
        _dir: dir,
    }
}

fn operator(list: &[&str]) -> Governance {
    Governance {
        operator: hosts(list),
        ..Default::default()
    }
}

/// An HTTP server on 127.0.0.1 that counts the requests it gets.
async fn http_server() -> (u16, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let app = axum::Router::new().route(
        "/ping",
        axum::routing::get(move || {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                "pong"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, hits)
}

/// A port nobody listens on (bound, then released).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn refused_row(ran: &Ran) -> &AuditRecord {
    assert_eq!(ran.audit.len(), 1, "one decision, one row: {:?}", ran.audit);
    let row = &ran.audit[0];
    assert_eq!(row.decision, Decision::Refused);
    assert_eq!(row.check, Check::Network);
    row
}

#[tokio::test]
async fn an_http_step_reaches_an_allowed_host() {
    let (port, hits) = http_server().await;
    let m = mission(json!({"steps": [{"id": "get", "step_type": "http",
        "parameters": {"url": format!("http://127.0.0.1:{port}/ping")}}]}));
    let ran = run(&m, operator(&["127.0.0.1"])).await;
    let step = &ran.result.step_results["get"];
    assert_eq!(step.status, StepStatus::Success, "{:?}", step.error);
    assert_eq!(step.output["body"], "pong");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(ran.audit.len(), 1);
    assert_eq!(ran.audit[0].decision, Decision::Allowed);
}

#[tokio::test]
async fn an_http_step_to_a_host_not_allowed_is_refused_at_the_gate_and_audited() {
    let (port, hits) = http_server().await;
    let m = mission(json!({"steps": [{"id": "get", "step_type": "http",
        "parameters": {"url": format!("http://user:hunter2@127.0.0.1:{port}/ping")}}]}));
    let ran = run(&m, operator(&["api.example.com"])).await;
    let step = &ran.result.step_results["get"];
    assert_eq!(step.status, StepStatus::Failed);
    let error = step.error.clone().unwrap();
    assert!(
        error.contains(&format!("127.0.0.1:{port}")) && error.contains("api.example.com"),
        "{error}"
    );
    assert!(!error.contains("hunter2"), "{error}");
    assert_eq!(ran.result.status, RunStatus::Failed);
    let row = refused_row(&ran);
    assert!(row.reason.contains("api.example.com"), "{}", row.reason);
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the server got no request");
}

#[tokio::test]
async fn the_template_and_the_global_caps_narrow_the_operators_hosts() {
    let (port, hits) = http_server().await;
    let url = format!("http://127.0.0.1:{port}/ping");
    // The operator allows the loopback address; the mission's own perimeter only `*.internal`.
    let m = mission(json!({
        "perimeter": {"network": {"allowed_hosts": ["*.internal"]}},
        "steps": [{"id": "get", "step_type": "http", "parameters": {"url": url}}],
    }));
    let ran = run(&m, operator(&["127.0.0.1", "db.internal"])).await;
    assert_eq!(ran.result.step_results["get"].status, StepStatus::Failed);
    let row = refused_row(&ran);
    assert!(row.reason.contains("db.internal"), "{}", row.reason);
    assert!(!row.reason.contains("127.0.0.1,"), "{}", row.reason);
    // The global caps bound it the same way; a port in the list is the only port allowed.
    let m = mission(json!({"steps": [{"id": "get", "step_type": "http",
        "parameters": {"url": url}}]}));
    let g = Governance {
        global: hosts(&["127.0.0.1:1"]),
        operator: hosts(&["127.0.0.1"]),
        ..Default::default()
    };
    let ran = run(&m, g).await;
    assert_eq!(ran.result.step_results["get"].status, StepStatus::Failed);
    refused_row(&ran);
    let g = Governance {
        global: hosts(&[&format!("127.0.0.1:{port}")]),
        operator: hosts(&["127.0.0.1"]),
        ..Default::default()
    };
    let ran = run(&m, g).await;
    assert_eq!(ran.result.step_results["get"].status, StepStatus::Success);
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "only the allowed run reached it"
    );
}

#[tokio::test]
async fn a_postgres_connections_host_is_checked_without_connecting() {
    let m = mission(json!({"steps": [{"id": "q", "step_type": "sql_query",
        "parameters": {"connection": "postgres://app:s3cret@db.example.com:1/sales",
                       "query": "select 1"}}]}));
    let ran = run(&m, operator(&["127.0.0.1", "*.internal"])).await;
    let step = &ran.result.step_results["q"];
    assert_eq!(step.status, StepStatus::Failed);
    let error = step.error.clone().unwrap();
    assert!(error.contains("db.example.com:1"), "{error}");
    assert!(!error.contains("s3cret"), "{error}");
    refused_row(&ran);
    // An allowed host passes the gate and the step itself fails to connect (nobody on port 1).
    let m = mission(json!({"steps": [{"id": "q", "step_type": "sql_query",
        "parameters": {"connection": "postgres://app:s3cret@127.0.0.1:1/sales",
                       "query": "select 1"}}]}));
    let ran = run(&m, operator(&["127.0.0.1"])).await;
    assert_eq!(ran.audit[0].decision, Decision::Allowed);
    assert_eq!(ran.result.step_results["q"].status, StepStatus::Failed);
    // A SQLite file reaches no host: the list does not concern it.
    let m = mission(json!({"steps": [{"id": "q", "step_type": "sql_query",
        "parameters": {"connection": "sqlite::memory:", "query": "select 1 as one"}}]}));
    let ran = run(&m, operator(&["api.example.com"])).await;
    assert_eq!(
        ran.result.step_results["q"].status,
        StepStatus::Success,
        "{:?}",
        ran.result.step_results["q"].error
    );
}

#[tokio::test]
async fn a_registry_tool_that_runs_http_is_held_to_the_same_hosts() {
    let (port, hits) = http_server().await;
    let mut registry = ToolRegistry::new();
    registry.insert(
        serde_json::from_value(json!({
            "name": "pinger", "sector": "common", "side_effects": "none",
            "run": {"http": {"method": "GET", "url": format!("http://127.0.0.1:{port}/ping")}},
        }))
        .unwrap(),
    );
    let m = mission(json!({"steps": [{"id": "t", "step_type": "tool",
        "parameters": {"name": "pinger"}}]}));
    let g = Governance {
        tools: Arc::new(registry),
        operator: hosts(&["*.example.com"]),
        ..Default::default()
    };
    let ran = run(&m, g).await;
    assert_eq!(ran.result.step_results["t"].status, StepStatus::Failed);
    refused_row(&ran);
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

/// A WebSocket server on 127.0.0.1: echoes each text; `burst N` answers `m1`…`mN`; `close`
/// closes with code 4000; `quiet` answers nothing. It records the handshake's `x-token` and
/// counts connections.
struct WsServer {
    port: u16,
    connections: Arc<AtomicUsize>,
    token: Arc<Mutex<Option<String>>>,
}

async fn ws_server() -> WsServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let token = Arc::new(Mutex::new(None));
    let (count, seen) = (Arc::clone(&connections), Arc::clone(&token));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                // The handshake callback's error type is the library's.
                #[allow(clippy::result_large_err)]
                let callback =
                    |req: &tokio_tungstenite::tungstenite::handshake::server::Request, res| {
                        if let Some(v) = req.headers().get("x-token") {
                            *seen.lock().unwrap() = Some(v.to_str().unwrap_or("").to_string());
                        }
                        Ok(res)
                    };
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
                    return;
                };
                while let Some(Ok(msg)) = ws.next().await {
                    let Message::Text(text) = msg else { continue };
                    let text = text.as_str().to_string();
                    if let Some(n) = text.strip_prefix("burst ") {
                        for i in 1..=n.parse::<u32>().unwrap() {
                            let _ = ws.send(Message::text(format!("m{i}"))).await;
                        }
                    } else if text == "close" {
                        let frame = CloseFrame {
                            code: CloseCode::from(4000),
                            reason: "bye".into(),
                        };
                        let _ = ws.send(Message::Close(Some(frame))).await;
                        break;
                    } else if text != "quiet" {
                        let _ = ws.send(Message::text(text)).await;
                    }
                }
            });
        }
    });
    WsServer {
        port,
        connections,
        token,
    }
}

async fn ws_step(params: Value, governance: Governance) -> (Ran, StepStatus, Value, String) {
    let m = mission(
        json!({"steps": [{"id": "ws", "step_type": "websocket_connect",
        "parameters": params}]}),
    );
    let ran = run(&m, governance).await;
    let step = &ran.result.step_results["ws"];
    let (status, output, error) = (
        step.status,
        step.output.clone(),
        step.error.clone().unwrap_or_default(),
    );
    (ran, status, output, error)
}

#[tokio::test]
async fn websocket_sends_messages_and_receives_n_answers() {
    let server = ws_server().await;
    let (ran, status, out, error) = ws_step(
        json!({"url": format!("ws://127.0.0.1:{}/echo", server.port),
               "messages": ["hello", {"op": "subscribe", "n": 1}],
               "headers": {"X-Token": "t-123"},
               "receive": 2}),
        operator(&["127.0.0.1"]),
    )
    .await;
    assert_eq!(status, StepStatus::Success, "{error}");
    assert_eq!(out["sent"], 2);
    assert_eq!(out["received"][0], json!({"text": "hello", "json": null}));
    assert_eq!(
        out["received"][1]["json"],
        json!({"op": "subscribe", "n": 1})
    );
    assert_eq!(out["received"].as_array().unwrap().len(), 2);
    assert_eq!(out["matched"], false);
    assert_eq!(out["closed"], false);
    assert_eq!(out["close_code"], Value::Null);
    assert_eq!(server.token.lock().unwrap().as_deref(), Some("t-123"));
    assert_eq!(ran.audit[0].decision, Decision::Allowed);
    // One `message` is one message; the default is to wait for one answer.
    let (_, status, out, error) = ws_step(
        json!({"url": format!("ws://127.0.0.1:{}", server.port), "message": "one"}),
        Governance::default(),
    )
    .await;
    assert_eq!(status, StepStatus::Success, "{error}");
    assert_eq!(
        (out["sent"].clone(), out["received"][0]["text"].clone()),
        (json!(1), json!("one"))
    );
}

#[tokio::test]
async fn websocket_receiving_ends_at_the_message_that_matches_until() {
    let server = ws_server().await;
    let url = format!("ws://127.0.0.1:{}", server.port);
    let (_, status, out, error) = ws_step(
        json!({"url": url, "messages": ["burst 6"], "until": "/^m[3-4]$/"}),
        Governance::default(),
    )
    .await;
    assert_eq!(status, StepStatus::Success, "{error}");
    let texts: Vec<&str> = out["received"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["m1", "m2", "m3"]);
    assert_eq!(out["matched"], true);
    // A substring; `receive` caps how many are read while waiting: no match within it fails.
    let (_, status, out, error) = ws_step(
        json!({"url": url, "messages": ["burst 6"], "until": "m5", "receive": 2}),
        Governance::default(),
    )
    .await;
    assert_eq!(status, StepStatus::Failed);
    assert!(error.contains("matched `until`"), "{error}");
    assert_eq!(out["received"].as_array().unwrap().len(), 2);
    assert_eq!(out["matched"], false);
}

#[tokio::test]
async fn a_websocket_timeout_fails_the_step_and_keeps_what_was_received() {
    let server = ws_server().await;
    let started = std::time::Instant::now();
    let (_, status, out, error) = ws_step(
        json!({"url": format!("ws://127.0.0.1:{}", server.port),
               "messages": ["first", "quiet"], "receive": 3, "timeout_ms": 400}),
        Governance::default(),
    )
    .await;
    assert_eq!(status, StepStatus::Failed);
    assert!(
        error.contains("400 ms") && error.contains("3 message"),
        "{error}"
    );
    assert_eq!(out["sent"], 2);
    assert_eq!(out["received"], json!([{"text": "first", "json": null}]));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn a_server_that_closes_early_fails_the_step_with_its_close_code() {
    let server = ws_server().await;
    let (_, status, out, error) = ws_step(
        json!({"url": format!("ws://127.0.0.1:{}", server.port),
               "messages": ["a", "close"], "receive": 2}),
        Governance::default(),
    )
    .await;
    assert_eq!(status, StepStatus::Failed);
    assert!(
        error.contains("closed the connection after 1 of 2"),
        "{error}"
    );
    assert_eq!(out["closed"], true);
    assert_eq!(out["close_code"], 4000);
    // Listening only (`receive: 0`, nothing sent) is fine too.
    let (_, status, out, error) = ws_step(
        json!({"url": format!("ws://127.0.0.1:{}", server.port), "receive": 0}),
        Governance::default(),
    )
    .await;
    assert_eq!(status, StepStatus::Success, "{error}");
    assert_eq!(out["sent"], 0);
}

#[tokio::test]
async fn a_refused_websocket_connection_is_a_clear_error() {
    let port = closed_port();
    let (_, status, _, error) = ws_step(
        json!({"url": format!("ws://127.0.0.1:{port}"), "message": "x"}),
        Governance::default(),
    )
    .await;
    assert_eq!(status, StepStatus::Failed);
    assert!(error.contains("connection refused"), "{error}");
    let (_, status, _, error) =
        ws_step(json!({"url": "http://127.0.0.1:1/"}), Governance::default()).await;
    assert_eq!(status, StepStatus::Failed);
    assert!(error.contains("not a WebSocket URL"), "{error}");
}

#[tokio::test]
async fn a_websocket_to_a_host_not_allowed_never_connects() {
    let server = ws_server().await;
    let (ran, status, _, error) = ws_step(
        json!({"url": format!("ws://127.0.0.1:{}", server.port), "message": "x"}),
        operator(&["*.internal"]),
    )
    .await;
    assert_eq!(status, StepStatus::Failed);
    assert!(
        error.contains("*.internal") && error.contains("127.0.0.1"),
        "{error}"
    );
    refused_row(&ran);
    assert_eq!(server.connections.load(Ordering::SeqCst), 0);
}
