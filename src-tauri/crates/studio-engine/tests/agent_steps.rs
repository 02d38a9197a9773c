//! `agent` and `chain` (DESIGN §5.2) against a model server on 127.0.0.1 that plays scripted
//! turns in the real wire formats (OpenAI, Anthropic, Ollama), and offline through the
//! simulated provider's scripts: every tool call passes the gate as a sub-step.

#[path = "agent_steps/model_server.rs"]
mod model_server;

use model_server::{Format, ModelServer, Reply};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use studio_core::{Mission, RunStatus, StepStatus};
use studio_engine::approval::{ApprovalDecision, ApproveAll, ChannelApprover};
use studio_engine::audit::{AuditRecord, Check, CollectingAudit, Decision};
use studio_engine::tools::{ToolDef, ToolRegistry};
use studio_engine::{
    run_mission, CollectingSink, Event, EventType, Governance, RunOptions, RunResult,
};
use tokio_util::sync::CancellationToken;

fn mission(v: Value) -> Mission {
    let mut v = v;
    v["name"] = json!("Agent Test");
    serde_json::from_value(v).expect("the test mission parses")
}

struct Ran {
    result: RunResult,
    audit: Vec<AuditRecord>,
    events: Vec<Event>,
    workspace: PathBuf,
    _dir: tempfile::TempDir,
}

/// How the test answers approval requests: by the request's step id.
type Policy = fn(&str) -> bool;

async fn run_with(
    m: &Mission,
    mut governance: Governance,
    policy: Option<Policy>,
    cancel: Option<CancellationToken>,
) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    std::fs::write(workspace.join("notes.txt"), "The launch code is 4217.\n").unwrap();
    let audit = CollectingAudit::new();
    governance.audit.push(Arc::new(audit.clone()));
    let mut answering = None;
    match policy {
        Some(policy) => {
            let (approver, mut rx) = ChannelApprover::new();
            governance.approver = Arc::new(approver);
            answering = Some(tokio::spawn(async move {
                while let Some(pending) = rx.recv().await {
                    let decision = if policy(&pending.request.step_id) {
                        ApprovalDecision::approve(&pending.request, "tester")
                    } else {
                        ApprovalDecision::deny(&pending.request, "tester")
                    };
                    pending.answer(decision);
                }
            }));
        }
        None => governance.approver = Arc::new(ApproveAll),
    }
    let mut options = RunOptions::new(&workspace).with_governance(governance);
    if let Some(c) = cancel {
        options = options.with_cancel(c);
    }
    options.env = Some(BTreeMap::from([(
        "TEST_KEY".to_string(),
        "sk-test".to_string(),
    )]));
    let mut sink = CollectingSink::new();
    let result = run_mission(m, options, &mut sink)
        .await
        .expect("the run starts");
    if let Some(a) = answering {
        a.abort();
    }
    Ran {
        result,
        audit: audit.rows(),
        events: sink.events(),
        workspace,
        _dir: dir,
    }
}

async fn run(m: &Mission, governance: Governance) -> Ran {
    run_with(m, governance, None, None).await
}

fn agent_step(server: &ModelServer, format: Format, tools: Value, extra: Value) -> Value {
    let mut p = json!({
        "objective": "Find the launch code in notes.txt",
        "provider": format.provider(),
        "base_url": server.base_url,
        "model": "test-model",
        "api_key_env": "TEST_KEY",
        "tools": tools,
    });
    if let (Value::Object(p), Value::Object(extra)) = (&mut p, extra) {
        p.extend(extra);
    }
    json!({"id": "research", "step_type": "agent", "parameters": p})
}

fn calls(ran: &Ran) -> Vec<Value> {
    ran.result.step_results["research"].output["calls"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn sub_rows<'a>(ran: &'a Ran, prefix: &str) -> Vec<&'a AuditRecord> {
    ran.audit
        .iter()
        .filter(|r| r.step_id.starts_with(prefix))
        .collect()
}

fn registry_with(yaml: &str) -> Arc<ToolRegistry> {
    let mut registry = ToolRegistry::new();
    let def: ToolDef = serde_saphyr::from_str(yaml).unwrap();
    registry.insert(def);
    Arc::new(registry)
}

async fn allowed_call_runs_and_its_result_reaches_the_next_request(format: Format) {
    let server = ModelServer::start(
        format,
        vec![
            Reply::Calls(vec![("read_file", json!({"path": "notes.txt"}))]),
            Reply::Answer("The launch code is 4217."),
        ],
        false,
    )
    .await;
    let m =
        mission(json!({"steps": [agent_step(&server, format, json!(["read_file"]), json!({}))]}));
    let ran = run(&m, Governance::default()).await;
    assert_eq!(
        ran.result.status,
        RunStatus::Completed,
        "{:?}",
        ran.result.reason
    );
    let out = &ran.result.step_results["research"].output;
    assert_eq!(out["answer"], "The launch code is 4217.");
    assert_eq!(out["stopped_because"], "answer");
    assert_eq!(out["iterations"], 2);
    let calls = calls(&ran);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["decision"], "allowed");
    assert_eq!(calls[0]["output"]["content"], "The launch code is 4217.\n");
    // The tool's result is in the second request, as the wire format carries tool results.
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let second = seen[1].to_string();
    assert!(second.contains("The launch code is 4217."), "{second}");
    let first = &seen[0];
    assert!(
        first.to_string().contains("read_file"),
        "the tool is offered: {first}"
    );
    // One audit row for the step, one for its call.
    let rows = sub_rows(&ran, "research#");
    assert_eq!(rows.len(), 1, "{:?}", ran.audit);
    assert_eq!(rows[0].step_id, "research#1");
    assert_eq!(rows[0].tool, "read_file");
    assert_eq!(rows[0].decision, Decision::Allowed);
    // Two model turns counted; one progress event per turn and per call, with the iteration.
    assert_eq!(ran.result.usage.llm_calls, 2);
    let agent_events: Vec<&Event> = ran
        .events
        .iter()
        .filter(|e| e.detail.as_ref().is_some_and(|d| d.get("agent").is_some()))
        .collect();
    assert_eq!(agent_events.len(), 3, "turn, call, turn");
    assert_eq!(
        agent_events[1].detail.as_ref().unwrap()["agent"]["iteration"],
        1
    );
    assert_eq!(
        agent_events[1].detail.as_ref().unwrap()["agent"]["tool"],
        "read_file"
    );
}

#[tokio::test]
async fn openai_allowed_call_runs_and_its_result_reaches_the_next_request() {
    allowed_call_runs_and_its_result_reaches_the_next_request(Format::OpenAi).await;
}

#[tokio::test]
async fn anthropic_allowed_call_runs_and_its_result_reaches_the_next_request() {
    allowed_call_runs_and_its_result_reaches_the_next_request(Format::Anthropic).await;
}

#[tokio::test]
async fn ollama_allowed_call_runs_and_its_result_reaches_the_next_request() {
    allowed_call_runs_and_its_result_reaches_the_next_request(Format::Ollama).await;
}

const FINANCE_TOOL: &str = r#"
name: place_order
sector: Finance
description: Place a trade order
side_effects: external
cost_usd: 0.0
input_schema: {type: object}
run:
  command: {command: "true"}
"#;

async fn forbidden_and_foreign_sector_calls_are_refused(format: Format) {
    let server = ModelServer::start(
        format,
        vec![
            Reply::Calls(vec![
                ("delete_file", json!({"path": "notes.txt"})),
                ("place_order", json!({"symbol": "ACME", "qty": 1})),
                ("shell", json!({"line": "rm -rf /"})),
            ]),
            Reply::Answer("I could not do it."),
        ],
        false,
    )
    .await;
    let m = mission(json!({
        "sector": "Security",
        "perimeter": {"tools": {"forbidden": ["delete_file"]}},
        "steps": [agent_step(&server, format, json!(["read_file", "delete_file", "place_order"]), json!({}))],
    }));
    let governance = Governance {
        tools: registry_with(FINANCE_TOOL),
        ..Default::default()
    };
    let ran = run(&m, governance).await;
    assert_eq!(
        ran.result.status,
        RunStatus::Completed,
        "{:?}",
        ran.result.reason
    );
    assert!(
        ran.workspace.join("notes.txt").exists(),
        "the refused delete never ran"
    );
    let calls = calls(&ran);
    assert_eq!(calls.len(), 3);
    assert!(
        calls.iter().all(|c| c["decision"] == "refused"),
        "{calls:?}"
    );
    let rows = sub_rows(&ran, "research#");
    assert_eq!(rows.len(), 3, "every refused call is audited: {rows:?}");
    assert!(rows.iter().all(|r| r.decision == Decision::Refused));
    assert_eq!(rows[0].check, Check::Tool);
    assert_eq!(rows[1].check, Check::Sector);
    assert_eq!(rows[1].tool_sector, "Finance");
    assert_eq!(rows[2].check, Check::Tool);
    // The model reads the refusals as errors in its next request.
    let second = server.seen()[1].to_string();
    assert!(second.contains("forbidden"), "{second}");
    assert!(second.contains("Finance"), "{second}");
    assert!(second.contains("not offered"), "{second}");
}

#[tokio::test]
async fn openai_forbidden_and_foreign_sector_calls_are_refused() {
    forbidden_and_foreign_sector_calls_are_refused(Format::OpenAi).await;
}

#[tokio::test]
async fn anthropic_forbidden_and_foreign_sector_calls_are_refused() {
    forbidden_and_foreign_sector_calls_are_refused(Format::Anthropic).await;
}

#[tokio::test]
async fn ollama_forbidden_and_foreign_sector_calls_are_refused() {
    forbidden_and_foreign_sector_calls_are_refused(Format::Ollama).await;
}

fn writing_agent(server: &ModelServer) -> Mission {
    mission(json!({
        "perimeter": {"approval": {"mode": "strict"}},
        "steps": [agent_step(server, Format::OpenAi, json!(["create_file"]), json!({}))],
    }))
}

fn writing_server_replies() -> Vec<Reply> {
    vec![
        Reply::Calls(vec![(
            "create_file",
            json!({"path": "report.md", "content": "# Report"}),
        )]),
        Reply::Answer("Done."),
    ]
}

#[tokio::test]
async fn a_call_that_needs_approval_blocks_the_agent_until_approved() {
    let server = ModelServer::start(Format::OpenAi, writing_server_replies(), false).await;
    let ran = run_with(
        &writing_agent(&server),
        Governance::default(),
        Some(|_| true),
        None,
    )
    .await;
    assert_eq!(
        ran.result.status,
        RunStatus::Completed,
        "{:?}",
        ran.result.reason
    );
    assert_eq!(
        std::fs::read_to_string(ran.workspace.join("report.md")).unwrap(),
        "# Report"
    );
    assert_eq!(calls(&ran)[0]["decision"], "approved");
    // The step was blocked while the call waited, then ran on.
    let blocked: Vec<&Event> = ran
        .events
        .iter()
        .filter(|e| e.event_type == EventType::Blocked && e.step_id.as_deref() == Some("research"))
        .collect();
    assert_eq!(blocked.len(), 2, "the step itself, then its call");
    assert_eq!(blocked[1].step_status, Some(StepStatus::Blocked));
    assert!(
        blocked[1].summary.contains("call 1"),
        "{}",
        blocked[1].summary
    );
    let row = sub_rows(&ran, "research#")[0];
    assert_eq!(row.decision, Decision::Allowed);
    assert!(row.reason.contains("approved by tester"), "{}", row.reason);
}

#[tokio::test]
async fn a_denied_call_never_runs_and_the_model_is_told() {
    let server = ModelServer::start(Format::OpenAi, writing_server_replies(), false).await;
    let ran = run_with(
        &writing_agent(&server),
        Governance::default(),
        Some(|step| !step.contains('#')),
        None,
    )
    .await;
    assert_eq!(
        ran.result.status,
        RunStatus::Completed,
        "{:?}",
        ran.result.reason
    );
    assert!(
        !ran.workspace.join("report.md").exists(),
        "the denied call never ran"
    );
    assert_eq!(calls(&ran)[0]["decision"], "denied");
    let row = sub_rows(&ran, "research#")[0];
    assert_eq!(row.decision, Decision::Denied);
    assert!(server.seen()[1].to_string().contains("approval_denied"));
}

#[tokio::test]
async fn a_loop_that_never_ends_stops_at_max_iterations() {
    let server = ModelServer::start(
        Format::OpenAi,
        vec![Reply::Calls(vec![("noop", json!({}))])],
        true,
    )
    .await;
    let m = mission(
        json!({"steps": [agent_step(&server, Format::OpenAi, json!(["noop"]), json!({"max_iterations": 3}))]}),
    );
    let ran = run(&m, Governance::default()).await;
    assert_eq!(ran.result.status, RunStatus::Failed);
    let r = &ran.result.step_results["research"];
    assert!(
        r.error.as_deref().unwrap().contains("max_iterations (3)"),
        "{:?}",
        r.error
    );
    assert_eq!(r.output["stopped_because"], "max_iterations");
    assert_eq!(r.output["iterations"], 3);
    assert_eq!(server.seen().len(), 3);
    assert_eq!(calls(&ran).len(), 3);
}

#[tokio::test]
async fn a_budget_that_runs_out_mid_loop_stops_it_with_no_cap_exceeded() {
    let server = ModelServer::start(
        Format::OpenAi,
        vec![Reply::Calls(vec![("noop", json!({}))])],
        true,
    )
    .await;
    let m = mission(json!({
        "perimeter": {"budget": {"max_llm_calls": 3}},
        "steps": [agent_step(&server, Format::OpenAi, json!(["noop"]), json!({"max_iterations": 50}))],
    }));
    let ran = run(&m, Governance::default()).await;
    assert_eq!(ran.result.status, RunStatus::Failed);
    let reason = ran.result.reason.clone().unwrap_or_default();
    assert!(reason.contains("budget_exceeded"), "{reason}");
    let out = &ran.result.step_results["research"].output;
    assert_eq!(out["stopped_because"], "budget_exceeded");
    assert_eq!(ran.result.usage.llm_calls, 3, "the cap, never more");
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn cancel_stops_the_agent_and_kills_the_processes_of_its_calls() {
    let server = ModelServer::start(
        Format::OpenAi,
        vec![
            Reply::Calls(vec![(
                "command",
                json!({
                    "command": "sh",
                    "args": ["-c", "echo $$ > child.pid; exec sleep 300"],
                }),
            )]),
            Reply::Answer("never reached"),
        ],
        false,
    )
    .await;
    let m = mission(
        json!({"steps": [agent_step(&server, Format::OpenAi, json!(["command"]), json!({}))]}),
    );
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let handle =
        tokio::spawn(async move { run_with(&m, Governance::default(), None, Some(cancel)).await });
    // Wait for the call's process to start, then cancel the run.
    let pid = loop {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        if let Some(pid) = find_child_pid() {
            break pid;
        }
    };
    trigger.cancel();
    let ran = handle.await.unwrap();
    assert_eq!(ran.result.status, RunStatus::Cancelled);
    assert_eq!(
        ran.result.step_results["research"].status,
        StepStatus::Cancelled
    );
    assert!(!alive(pid), "the call's process {pid} is dead");
    assert_eq!(server.seen().len(), 1, "no turn after the cancel");
}

/// The pid the call wrote, found in any workspace of this test process's temp folders.
fn find_child_pid() -> Option<i32> {
    let tmp = std::env::temp_dir();
    for entry in std::fs::read_dir(tmp).ok()?.flatten() {
        let file = entry.path().join("workspace/child.pid");
        if let Ok(text) = std::fs::read_to_string(&file) {
            if let Ok(pid) = text.trim().parse::<i32>() {
                let _ = std::fs::remove_file(&file);
                return Some(pid);
            }
        }
    }
    None
}

fn alive(pid: i32) -> bool {
    // Reaped or gone: /proc has no entry, or the entry is a zombie.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.contains(") Z "),
        Err(_) => false,
    }
}

#[tokio::test]
async fn offline_scripted_agent_runs_its_calls_through_the_gate() {
    let m = mission(json!({
        "perimeter": {"tools": {"forbidden": ["delete_file"]}},
        "simulation": {"agents": [{"step": "research", "turns": [
            {"thought": "Read the notes first.", "tool_calls": [
                {"tool": "read_file", "input": {"path": "notes.txt"}},
                {"tool": "delete_file", "input": {"path": "notes.txt"}},
            ]},
            {"answer": "The launch code is 4217."},
        ]}]},
        "steps": [{"id": "research", "step_type": "agent", "parameters": {
            "objective": "Find the launch code", "tools": ["read_file", "delete_file"],
        }}],
    }));
    let ran = run(&m, Governance::default()).await;
    assert_eq!(
        ran.result.status,
        RunStatus::Completed,
        "{:?}",
        ran.result.reason
    );
    let out = &ran.result.step_results["research"].output;
    assert_eq!(out["answer"], "The launch code is 4217.");
    assert_eq!(out["simulated"], true);
    assert_eq!(out["provider"], "simulated");
    let calls = calls(&ran);
    assert_eq!(calls[0]["decision"], "allowed");
    assert_eq!(calls[0]["output"]["content"], "The launch code is 4217.\n");
    assert_eq!(calls[1]["decision"], "refused");
    assert!(ran.workspace.join("notes.txt").exists());
    assert_eq!(ran.result.usage.llm_calls, 2);
    assert!(ran.result.usage.tokens > 0);
}

#[tokio::test]
async fn a_strategy_binding_makes_the_agent_plan_first() {
    let m = mission(json!({
        "strategies": [{"target": "research", "strategy": {"type": "plan_and_solve", "config": {"planning_steps": 2}}}],
        "simulation": {"agents": [{"step": "research",
            "plan": ["Read the notes", "Report the code", "Celebrate"],
            "turns": [
                {"tool_calls": [{"tool": "read_file", "input": {"path": "notes.txt"}}]},
                {"answer": "4217"},
            ]}]},
        "steps": [{"id": "research", "step_type": "agent", "parameters": {
            "objective": "Find the launch code", "tools": ["read_file"], "strategy": "react",
        }}],
    }));
    let ran = run(&m, Governance::default()).await;
    assert_eq!(
        ran.result.status,
        RunStatus::Completed,
        "{:?}",
        ran.result.reason
    );
    let out = &ran.result.step_results["research"].output;
    assert_eq!(out["strategy"], "plan_and_solve");
    assert_eq!(out["plan"], json!(["Read the notes", "Report the code"]));
    assert_eq!(ran.result.usage.llm_calls, 3, "the plan, then two turns");
    assert!(ran.events.iter().any(|e| e
        .detail
        .as_ref()
        .is_some_and(|d| d["agent"]["plan"].is_array())));
}

#[tokio::test]
async fn an_agent_offered_an_unknown_tool_fails_before_any_model_call() {
    let m = mission(
        json!({"steps": [{"id": "research", "step_type": "agent", "parameters": {
            "objective": "x", "tools": ["read_file", "teleport"],
        }}]}),
    );
    let ran = run(&m, Governance::default()).await;
    let r = &ran.result.step_results["research"];
    assert_eq!(r.status, StepStatus::Failed);
    assert!(
        r.error.as_deref().unwrap().contains("`teleport`"),
        "{:?}",
        r.error
    );
    assert_eq!(ran.result.usage.llm_calls, 0);
}

#[tokio::test]
async fn chain_prompts_see_the_previous_answer() {
    let server = ModelServer::start(
        Format::OpenAi,
        vec![
            Reply::Answer("Paris"),
            Reply::Answer("About 2.1 million people."),
        ],
        false,
    )
    .await;
    let m = mission(json!({
        "variables": {"country": "France"},
        "steps": [{"id": "qa", "step_type": "chain", "parameters": {
            "provider": "openai", "base_url": server.base_url, "api_key_env": "TEST_KEY",
            "prompts": ["Capital of {{country}}?", "How many people live in {{previous}}? (after {{answers.1}})"],
        }}],
    }));
    let ran = run(&m, Governance::default()).await;
    assert_eq!(
        ran.result.status,
        RunStatus::Completed,
        "{:?}",
        ran.result.reason
    );
    let out = &ran.result.step_results["qa"].output;
    assert_eq!(out["text"], "About 2.1 million people.");
    assert_eq!(out["answers"].as_array().unwrap().len(), 2);
    let seen = server.seen();
    assert!(seen[0].to_string().contains("Capital of France?"));
    assert!(
        seen[1]
            .to_string()
            .contains("How many people live in Paris? (after Paris)"),
        "{}",
        seen[1]
    );
    assert_eq!(ran.result.usage.llm_calls, 2);
}

#[tokio::test]
async fn a_chain_the_budget_cannot_finish_stops_at_the_cap() {
    let m = mission(json!({
        "perimeter": {"budget": {"max_llm_calls": 2}},
        "steps": [{"id": "qa", "step_type": "chain", "parameters": {
            "prompts": ["one", "two {{previous}}", "three {{previous}}"],
        }}],
    }));
    let ran = run(&m, Governance::default()).await;
    assert_eq!(ran.result.status, RunStatus::Failed);
    assert!(ran
        .result
        .reason
        .clone()
        .unwrap_or_default()
        .contains("budget_exceeded"));
    assert_eq!(ran.result.usage.llm_calls, 2);
    let out = &ran.result.step_results["qa"].output;
    assert_eq!(out["answers"].as_array().unwrap().len(), 2);
    assert_eq!(out["stopped_at"], 3);
}
