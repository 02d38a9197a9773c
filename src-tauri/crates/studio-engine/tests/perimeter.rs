//! The perimeter end to end (DESIGN §6): sector isolation, budgets, approvals, the read-only
//! sandbox, LLM steps against a local OpenAI-compatible server, and secrets.
//!
//! Longer than 800 lines on purpose: every rule of the perimeter is tested here against the same
//! mission builders, approvers and local model server, which split files would each repeat.

use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use studio_core::{Mission, Perimeter, RunStatus, StepStatus};
use studio_engine::approval::{
    ApprovalDecision, ApprovalRequest, ApproveAll, Approver, DecisionFuture, DenyAll,
};
use studio_engine::audit::{AuditRecord, CollectingAudit, Decision};
use studio_engine::tools::{ToolDef, ToolRegistry};
use studio_engine::{run_mission, CollectingSink, Event, Governance, RunOptions, RunResult};

const SECTORS: &[&str] = &[
    "Finance",
    "Wealth",
    "Security",
    "Shadow",
    "Intelligence",
    "Operations",
    "Research",
    "Marketing",
    "Sales",
    "HR",
    "Legal",
    "Engineering",
    "Health",
];

fn mission(v: Value) -> Mission {
    let mut v = v;
    if v.get("name").is_none() {
        v["name"] = json!("Perimeter Test");
    }
    serde_json::from_value(v).expect("the test mission parses")
}

struct Ran {
    result: RunResult,
    events: Vec<Event>,
    audit: Vec<AuditRecord>,
    workspace: PathBuf,
    _dir: tempfile::TempDir,
}

async fn run(m: &Mission, mut governance: Governance, env: BTreeMap<String, String>) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    let audit = CollectingAudit::new();
    governance.audit.push(Arc::new(audit.clone()));
    let mut options = RunOptions::new(&workspace).with_governance(governance);
    options.env = Some(env);
    let mut sink = CollectingSink::new();
    let result = run_mission(m, options, &mut sink)
        .await
        .expect("the run starts");
    Ran {
        result,
        events: sink.events(),
        audit: audit.rows(),
        workspace,
        _dir: dir,
    }
}

/// One tool per sector (plus a common one) that leaves a marker file when it really runs.
fn marker_registry() -> ToolRegistry {
    let mut r = ToolRegistry::new();
    for sector in SECTORS.iter().chain(&["common"]) {
        let tool: ToolDef = serde_json::from_value(json!({
            "name": format!("{}_tool", sector.to_lowercase()),
            "sector": sector,
            "side_effects": "workspace",
            "run": {"command": {"command": "touch", "args": [format!("ran-{}", sector.to_lowercase())]}},
        }))
        .unwrap();
        r.insert(tool);
    }
    r
}

#[tokio::test]
async fn a_security_mission_calling_a_finance_trading_tool_is_refused_at_the_gate() {
    let mut registry = ToolRegistry::new();
    registry.insert(
        serde_json::from_value(json!({
            "name": "place_order", "sector": "Finance", "side_effects": "external",
            "cost_usd": 0.02,
            "input_schema": {"type": "object", "required": ["symbol"]},
            "run": {"http": {"method": "POST", "url": "http://127.0.0.1:9/orders", "body": "{{input}}"}},
        }))
        .unwrap(),
    );
    let m = mission(json!({
        "sector": "Security",
        "steps": [{"id": "trade", "step_type": "tool",
                   "parameters": {"name": "place_order", "input": {"symbol": "ACME"}}}],
    }));
    let g = Governance {
        tools: Arc::new(registry),
        approver: Arc::new(ApproveAll),
        ..Default::default()
    };
    let ran = run(&m, g, BTreeMap::new()).await;
    let step = &ran.result.step_results["trade"];
    assert_eq!(step.status, StepStatus::Failed);
    let error = step.error.clone().unwrap();
    assert!(
        error.contains("sector isolation") && error.contains("Finance"),
        "{error}"
    );
    assert_eq!(ran.result.status, RunStatus::Failed);
    assert_eq!(ran.audit.len(), 1, "one decision, one row");
    let row = &ran.audit[0];
    assert_eq!(row.decision, Decision::Refused);
    assert_eq!(
        (row.tool_sector.as_str(), row.mission_sector.as_str()),
        ("Finance", "Security")
    );
    assert_eq!(row.tool, "place_order");
    assert_eq!(row.trace_id, ran.result.trace_id);
}

#[tokio::test]
async fn sector_isolation_matrix_has_no_unauthorised_execution() {
    let registry = Arc::new(marker_registry());
    let tools: Vec<String> = registry.names().map(str::to_string).collect();
    let mut decisions = 0;
    for mission_sector in SECTORS {
        for connected in [None, Some("Shadow"), Some("Finance")] {
            let steps: Vec<Value> = tools
                .iter()
                .map(|t| {
                    json!({"id": t, "step_type": "tool", "continue_on_error": true,
                                "parameters": {"name": t}})
                })
                .collect();
            let m = mission(json!({
                "sector": mission_sector,
                "config": {"fail_fast": false},
                "steps": steps,
            }));
            let g = Governance {
                tools: Arc::clone(&registry),
                operator: Perimeter {
                    connected_sectors: connected.into_iter().map(str::to_string).collect(),
                    ..Default::default()
                },
                ..Default::default()
            };
            let ran = run(&m, g, BTreeMap::new()).await;
            assert_eq!(ran.audit.len(), tools.len(), "exactly one row per decision");
            for tool in registry.tools() {
                let sector = tool.sector.as_str();
                let allowed =
                    sector == "common" || sector == *mission_sector || Some(sector) == connected;
                let marker = ran.workspace.join(format!("ran-{}", sector.to_lowercase()));
                let status = ran.result.step_results[&tool.name].status;
                let row = ran.audit.iter().find(|r| r.step_id == tool.name).unwrap();
                assert_eq!(
                    marker.exists(),
                    allowed,
                    "{mission_sector} mission, {sector} tool, connected {connected:?}"
                );
                assert_eq!(status == StepStatus::Success, allowed);
                assert_eq!(row.decision == Decision::Allowed, allowed);
                assert_eq!(row.tool_sector, sector);
                if allowed {
                    let expected = if sector == "common" {
                        "common"
                    } else {
                        mission_sector
                    };
                    assert_eq!(row.authorising_sector.as_deref(), Some(expected));
                } else {
                    assert_eq!(row.authorising_sector, None);
                }
                decisions += 1;
            }
        }
    }
    assert_eq!(decisions, SECTORS.len() * 3 * 14);
}

#[tokio::test]
async fn a_mission_cannot_widen_its_own_permissions() {
    // The mission connects itself to Shadow in its own perimeter: ignored.
    let m = mission(json!({
        "sector": "Wealth",
        "perimeter": {"connected_sectors": ["Shadow"]},
        "steps": [{"id": "scan", "step_type": "tool", "parameters": {"name": "shadow_tool"}}],
    }));
    let g = Governance {
        tools: Arc::new(marker_registry()),
        ..Default::default()
    };
    let ran = run(&m, g, BTreeMap::new()).await;
    assert_eq!(ran.result.step_results["scan"].status, StepStatus::Failed);
    assert!(!ran.workspace.join("ran-shadow").exists());
}

#[tokio::test]
async fn a_budget_breach_ends_the_run_with_budget_exceeded() {
    let m = mission(json!({
        "perimeter": {"budget": {"max_steps": 2}},
        "steps": [
            {"id": "a", "step_type": "noop"},
            {"id": "b", "step_type": "noop", "depends_on": ["a"]},
            {"id": "c", "step_type": "noop", "depends_on": ["b"], "continue_on_error": true},
            {"id": "d", "step_type": "noop", "depends_on": ["c"]},
        ],
    }));
    let ran = run(&m, Governance::default(), BTreeMap::new()).await;
    assert_eq!(ran.result.status, RunStatus::Failed);
    let reason = ran.result.reason.clone().unwrap();
    assert!(reason.contains("budget_exceeded"), "{reason}");
    assert_eq!(ran.result.step_results["c"].status, StepStatus::Failed);
    assert_eq!(ran.result.step_results["d"].status, StepStatus::Skipped);
}

#[tokio::test]
async fn the_runtime_cap_times_the_run_out() {
    let m = mission(json!({
        "steps": [{"id": "slow", "step_type": "command",
                   "parameters": {"command": "sleep", "args": ["30"]}}],
    }));
    let g = Governance {
        operator: Perimeter {
            budget: Some(studio_core::Budget {
                max_runtime_minutes: Some(0.01),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let ran = run(&m, g, BTreeMap::new()).await;
    assert_eq!(ran.result.status, RunStatus::TimedOut);
    let reason = ran.result.reason.unwrap();
    assert!(reason.contains("max_runtime_minutes"), "{reason}");
}

#[tokio::test]
async fn strict_approval_blocks_then_runs_or_skips() {
    let m = mission(json!({
        "perimeter": {"approval": {"mode": "strict"}},
        "steps": [
            {"id": "read", "step_type": "noop"},
            {"id": "write", "step_type": "create_file", "parameters": {"path": "out.txt", "content": "x"}},
        ],
    }));
    let approved = run(
        &m,
        Governance {
            approver: Arc::new(ApproveAll),
            ..Default::default()
        },
        BTreeMap::new(),
    )
    .await;
    assert_eq!(approved.result.status, RunStatus::Completed);
    assert!(approved.workspace.join("out.txt").exists());
    let blocked: Vec<&Event> = approved
        .events
        .iter()
        .filter(|e| e.event_type == studio_engine::EventType::Blocked)
        .collect();
    assert_eq!(blocked.len(), 1);
    assert_eq!(blocked[0].step_id.as_deref(), Some("write"));

    let denied = run(
        &m,
        Governance {
            approver: Arc::new(DenyAll),
            ..Default::default()
        },
        BTreeMap::new(),
    )
    .await;
    assert_eq!(denied.result.status, RunStatus::Failed);
    assert_eq!(
        denied.result.step_results["write"].status,
        StepStatus::Skipped
    );
    assert!(denied
        .result
        .reason
        .clone()
        .unwrap()
        .contains("approval_denied"));
    assert!(
        !denied.workspace.join("out.txt").exists(),
        "a denied step never runs"
    );
}

/// Approves only the steps whose hashes it was given, and records what it was asked.
struct ListApprover {
    hashes: HashSet<String>,
    asked: Mutex<Vec<String>>,
}

impl Approver for ListApprover {
    fn decide(&self, request: ApprovalRequest) -> DecisionFuture {
        self.asked.lock().unwrap().push(request.step_id.clone());
        let ok = self.hashes.contains(&request.step_hash);
        Box::pin(async move {
            if ok {
                ApprovalDecision::approve(&request, "list")
            } else {
                ApprovalDecision::deny(&request, "list")
            }
        })
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;
    use studio_engine::gate::step_hash;

    #[derive(Debug, Clone)]
    struct Case {
        steps: Vec<(u8, u16)>, // (kind: 0 noop, 1 create_file, 2 llm; size)
        approve: Vec<bool>,
        edit_after_approval: Vec<bool>,
        max_steps: Option<u64>,
        max_tokens: Option<u64>,
        max_cost_micros: Option<u64>,
        max_llm_calls: Option<u64>,
        concurrency: usize,
    }

    fn case() -> impl Strategy<Value = Case> {
        (1usize..8).prop_flat_map(|n| {
            (
                prop::collection::vec((0u8..3, 1u16..400), n),
                prop::collection::vec(any::<bool>(), n),
                prop::collection::vec(prop::bool::weighted(0.2), n),
                prop::option::of(1u64..8),
                prop::option::of(50u64..1500),
                prop::option::of(100u64..3000),
                prop::option::of(1u64..5),
                1usize..8,
            )
                .prop_map(|(steps, approve, edit, ms, mt, mc, ml, c)| Case {
                    steps,
                    approve,
                    edit_after_approval: edit,
                    max_steps: ms,
                    max_tokens: mt,
                    max_cost_micros: mc,
                    max_llm_calls: ml,
                    concurrency: c,
                })
        })
    }

    fn params(kind: u8, i: usize, size: u16, edited: bool) -> (String, Value) {
        let text = format!(
            "{}{}",
            "x".repeat(size as usize),
            if edited { "!" } else { "" }
        );
        match kind {
            0 => ("noop".into(), json!({"n": i, "t": text})),
            1 => (
                "create_file".into(),
                json!({"path": format!("f{i}.txt"), "content": text}),
            ),
            _ => ("llm".into(), json!({"prompt": text, "max_tokens": size})),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

        #[test]
        fn caps_hold_and_approvals_bind_to_the_exact_step(c in case()) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            // Approvals are given for the steps as first written; some are then edited.
            let mut hashes = HashSet::new();
            let mut steps = Vec::new();
            for (i, &(kind, size)) in c.steps.iter().enumerate() {
                let id = format!("s{i}");
                let (ty, original) = params(kind, i, size, false);
                if c.approve[i] {
                    hashes.insert(step_hash(&id, &ty, &original));
                }
                let (_, used) = params(kind, i, size, c.edit_after_approval[i]);
                steps.push(json!({"id": id, "step_type": ty, "parameters": used,
                                  "continue_on_error": true, "approval": "required"}));
            }
            let m = mission(json!({
                "config": {"fail_fast": false, "max_concurrent_steps": c.concurrency},
                "steps": steps,
            }));
            let approver = Arc::new(ListApprover { hashes, asked: Mutex::new(Vec::new()) });
            let g = Governance {
                approver: approver.clone(),
                operator: Perimeter {
                    budget: Some(studio_core::Budget {
                        max_steps: c.max_steps,
                        max_tokens: c.max_tokens,
                        max_cost_usd: c.max_cost_micros.map(|m| m as f64 / 1e6),
                        max_llm_calls: c.max_llm_calls,
                        max_runtime_minutes: None,
                    }),
                    ..Default::default()
                },
                ..Default::default()
            };
            let ran = rt.block_on(run(&m, g, BTreeMap::new()));
            let u = ran.result.usage;
            if let Some(cap) = c.max_tokens { prop_assert!(u.tokens <= cap, "tokens {} > {cap}", u.tokens); }
            if let Some(cap) = c.max_llm_calls { prop_assert!(u.llm_calls <= cap); }
            if let Some(cap) = c.max_cost_micros {
                prop_assert!(u.cost_usd <= cap as f64 / 1e6 + 1e-12, "cost {} > {cap}µ", u.cost_usd);
            }
            let attempts: u32 = ran.result.step_results.values()
                .filter(|r| r.status == StepStatus::Success || r.status == StepStatus::Failed)
                .map(|r| r.attempts).sum();
            let ran_steps = ran.audit.iter().filter(|r| r.decision == Decision::Allowed).count();
            if let Some(cap) = c.max_steps { prop_assert!(ran_steps as u64 <= cap); }
            let _ = attempts;
            for (i, &(kind, _)) in c.steps.iter().enumerate() {
                let id = format!("s{i}");
                let r = &ran.result.step_results[&id];
                let may_run = c.approve[i] && !c.edit_after_approval[i];
                if r.status == StepStatus::Success {
                    prop_assert!(may_run, "step {id} ran without an approval for its exact content");
                }
                if kind == 1 && !may_run {
                    prop_assert!(!ran.workspace.join(format!("f{i}.txt")).exists(), "{id} wrote without approval");
                }
                let rows: Vec<_> = ran.audit.iter().filter(|a| a.step_id == id).collect();
                prop_assert!(rows.len() <= 1, "one decision per attempt: {rows:?}");
            }
        }
    }
}

// ---- the openai provider against a local OpenAI-compatible server ----

mod openai {
    use super::*;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use axum::{Json, Router};

    /// The requests a test server received: (Authorization header, body).
    type Seen = Arc<Mutex<Vec<(Option<String>, Value)>>>;

    #[derive(Clone, Default)]
    struct Server {
        script: Arc<Mutex<Vec<(u16, String)>>>,
        seen: Seen,
    }

    async fn chat(
        State(s): State<Server>,
        headers: HeaderMap,
        Json(body): Json<Value>,
    ) -> (StatusCode, String) {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        s.seen.lock().unwrap().push((auth, body));
        let (status, text) = {
            let mut script = s.script.lock().unwrap();
            if script.len() > 1 {
                script.remove(0)
            } else {
                script[0].clone()
            }
        };
        (StatusCode::from_u16(status).unwrap(), text)
    }

    async fn start(script: Vec<(u16, String)>) -> (String, Server) {
        let server = Server {
            script: Arc::new(Mutex::new(script)),
            ..Default::default()
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(server.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{addr}/v1"), server)
    }

    fn ok_body() -> String {
        json!({
            "id": "c1", "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris."},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 42, "completion_tokens": 3, "total_tokens": 45},
        })
        .to_string()
    }

    fn llm_mission(base: &str) -> Mission {
        mission(json!({
            "goal": "Answer geography questions",
            "constraints": "Be brief.",
            "perimeter": {"budget": {"max_tokens": 5000, "max_cost_usd": 1.0}},
            "steps": [{"id": "ask", "step_type": "llm", "parameters": {
                "provider": "openai", "base_url": base, "model": "gpt-4o-mini",
                "prompt": "Capital of France?", "max_tokens": 100000, "api_key_env": "TEST_LLM_KEY"}}],
        }))
    }

    fn env() -> BTreeMap<String, String> {
        BTreeMap::from([(
            "TEST_LLM_KEY".to_string(),
            "sk-canary-0123456789".to_string(),
        )])
    }

    #[tokio::test]
    async fn retries_429_and_500_then_reads_usage_and_cost_from_the_response() {
        let (base, server) = start(vec![
            (429, "slow down".into()),
            (500, "oops".into()),
            (200, ok_body()),
        ])
        .await;
        let ran = run(&llm_mission(&base), Governance::default(), env()).await;
        assert_eq!(
            ran.result.status,
            RunStatus::Completed,
            "{:?}",
            ran.result.reason
        );
        let out = &ran.result.step_results["ask"].output;
        assert_eq!(out["text"], "Paris.");
        assert_eq!(out["usage"]["prompt_tokens"], 42);
        assert_eq!(out["usage"]["estimated"], false);
        assert_eq!(ran.result.usage.tokens, 45);
        assert_eq!(ran.result.usage.llm_calls, 1);
        // gpt-4o-mini: 0.15 and 0.6 USD per million tokens.
        let expected = (42.0 * 0.15 + 3.0 * 0.6) / 1e6;
        assert!(
            (ran.result.usage.cost_usd - expected).abs() < 2e-6,
            "{}",
            ran.result.usage.cost_usd
        );
        let seen = server.seen.lock().unwrap();
        assert_eq!(seen.len(), 3, "two retries");
        let (auth, body) = &seen[2];
        assert_eq!(auth.as_deref(), Some("Bearer sk-canary-0123456789"));
        let max = body["max_tokens"].as_u64().unwrap();
        assert!(max < 5000, "max_tokens clamped to the budget left: {max}");
        let system = body["messages"][0]["content"].as_str().unwrap();
        assert!(system.contains("Answer geography questions") && system.contains("Be brief."));
        assert!(system.contains("Perimeter"), "{system}");
        let text = serde_json::to_string(&ran.result).unwrap()
            + &serde_json::to_string(&ran.events).unwrap();
        assert!(
            !text.contains("sk-canary-0123456789"),
            "the key never shows"
        );
    }

    #[tokio::test]
    async fn a_malformed_response_is_a_clear_error_and_keeps_the_body() {
        let (base, _server) = start(vec![(200, r#"{"object": "chat.completion"}"#.into())]).await;
        let ran = run(&llm_mission(&base), Governance::default(), env()).await;
        let step = &ran.result.step_results["ask"];
        assert_eq!(step.status, StepStatus::Failed);
        let error = step.error.clone().unwrap();
        assert!(
            error.contains("malformed answer") && error.contains("choices"),
            "{error}"
        );
        assert_eq!(step.output["body"], r#"{"object": "chat.completion"}"#);
    }

    /// Every file under `dir`, as text.
    fn all_files(dir: &std::path::Path) -> String {
        let mut text = String::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                text += &all_files(&path);
            } else {
                text += &String::from_utf8_lossy(&std::fs::read(&path).unwrap());
            }
        }
        text
    }

    /// Without a login (containers, CI) the kernel's default keyring for the process is one it
    /// cannot link keys from; a fresh anonymous keyring of its own (keyctl(2) operation 1)
    /// works.
    #[allow(unsafe_code)]
    fn join_own_keyring() {
        #[cfg(target_os = "linux")]
        {
            const JOIN_OWN_KEYRING: libc::c_long = 1;
            // SAFETY: keyctl(1, NULL) joins a new anonymous keyring; no pointer is read.
            let id = unsafe {
                libc::syscall(
                    libc::SYS_keyctl,
                    JOIN_OWN_KEYRING,
                    std::ptr::null::<libc::c_char>(),
                )
            };
            if id < 0 {
                println!(
                    "cannot get a keyring of its own: {}",
                    std::io::Error::last_os_error()
                );
            }
        }
    }

    #[tokio::test]
    async fn the_api_key_comes_from_the_os_keyring_and_never_shows() {
        use studio_engine::os_keyring;
        let user = format!("test-{}", std::process::id());
        let key = "sk-keyring-canary-5e1f0a9b77";
        join_own_keyring();
        if let Err(e) = os_keyring::set(os_keyring::DEFAULT_SERVICE, &user, key) {
            println!("skipped: the OS keyring refuses to store an entry here: {e}");
            return;
        }
        // A server that echoes the key in its answer, as a careless one might.
        let echo = ok_body().replace("Paris.", &format!("Your key is {key}."));
        let (base, server) = start(vec![(200, echo), (200, ok_body())]).await;
        let step = |extra: Value| {
            let mut parameters = json!({
                "provider": "openai", "base_url": base, "model": "gpt-4o-mini",
                "prompt": "Capital of France?", "max_tokens": 50});
            for (k, v) in extra.as_object().unwrap() {
                parameters[k] = v.clone();
            }
            mission(json!({"steps": [{"id": "ask", "step_type": "llm", "parameters": parameters}]}))
        };
        // The keyring entry, even with OPENAI_API_KEY set; an explicit variable that is set wins.
        let env = BTreeMap::from([("OPENAI_API_KEY".to_string(), "sk-default-env-0000".into())]);
        let keyring = step(json!({"api_key_keyring": user}));
        let ran = run(&keyring, Governance::default(), env.clone()).await;
        let explicit = step(json!({"api_key_keyring": user, "api_key_env": "OPENAI_API_KEY"}));
        let ran_env = run(&explicit, Governance::default(), env).await;
        let missing = step(json!({"api_key_keyring": format!("{user}-missing")}));
        let ran_missing = run(&missing, Governance::default(), BTreeMap::new()).await;
        os_keyring::delete(os_keyring::DEFAULT_SERVICE, &user).unwrap();

        assert_eq!(
            ran.result.status,
            RunStatus::Completed,
            "{:?}",
            ran.result.reason
        );
        assert_eq!(ran_env.result.status, RunStatus::Completed);
        let seen = server.seen.lock().unwrap();
        assert_eq!(seen.len(), 2, "the missing entry sends no request");
        assert_eq!(seen[0].0, Some(format!("Bearer {key}")));
        assert_eq!(seen[1].0.as_deref(), Some("Bearer sk-default-env-0000"));
        let error = ran_missing.result.step_results["ask"]
            .error
            .clone()
            .unwrap();
        assert!(
            error.contains("no entry")
                && error.contains("mission keyring set")
                && error.contains("api_key_env"),
            "{error}"
        );
        // The answer carried the key: masked everywhere the run records.
        let everything = format!(
            "{}{}{}{}",
            serde_json::to_string(&ran.result).unwrap(),
            serde_json::to_string(&ran.events).unwrap(),
            serde_json::to_string(&ran.audit).unwrap(),
            all_files(ran._dir.path()),
        );
        assert!(!everything.contains(key), "the keyring key leaked");
        assert!(
            everything.contains(&format!("[redacted:keyring.mission-studio/{user}]")),
            "the key is masked with its keyring label"
        );
    }

    #[tokio::test]
    async fn a_lasting_server_error_fails_after_the_retries() {
        let (base, server) = start(vec![(503, "down".into())]).await;
        let ran = run(&llm_mission(&base), Governance::default(), env()).await;
        let error = ran.result.step_results["ask"].error.clone().unwrap();
        assert!(
            error.contains("HTTP 503") && error.contains("4 tries"),
            "{error}"
        );
        assert_eq!(server.seen.lock().unwrap().len(), 4);
    }
}

#[tokio::test]
async fn planted_secrets_never_leave_the_run() {
    let canaries = [
        ("BROKER_TOKEN", "canary-token-7f3a9c"),
        ("DB_PASSWORD", "canary-password-51be"),
        ("PLAIN_NAME", "canary-declared-c0ffee"),
    ];
    let env: BTreeMap<String, String> = canaries
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let m = mission(json!({
        "perimeter": {"approval": {"mode": "strict"}},
        "steps": [
            {"id": "echo", "step_type": "command", "parameters": {
                "command": "sh", "args": ["-c", "echo $A $B $C; echo $A >&2; exit 3"],
                "env": {"A": "{{env.BROKER_TOKEN}}", "B": "{{env.DB_PASSWORD}}", "C": "{{env.PLAIN_NAME}}"}},
             "continue_on_error": true},
            {"id": "file", "step_type": "create_file", "parameters": {
                "path": "note.txt", "content": "token={{env.BROKER_TOKEN}}"}},
            {"id": "ask", "step_type": "llm", "parameters": {"prompt": "{{env.DB_PASSWORD}}"}},
        ],
    }));
    let g = Governance {
        approver: Arc::new(ApproveAll),
        secret_env: vec!["PLAIN_NAME".into()],
        ..Default::default()
    };
    let ran = run(&m, g, env).await;
    assert!(
        ran.workspace.join("note.txt").exists(),
        "the step itself sees the value"
    );
    let everything = format!(
        "{}{}{}",
        serde_json::to_string(&ran.result).unwrap(),
        serde_json::to_string(&ran.events).unwrap(),
        serde_json::to_string(&ran.audit).unwrap()
    );
    for (_, secret) in canaries {
        assert!(!everything.contains(secret), "{secret} leaked");
    }
    assert!(everything.contains("[redacted:env.BROKER_TOKEN]"));
}

/// Every step type that changes something outside the workspace, across the catalogue's
/// families, is refused by the read-only sandbox at the gate: before it connects anywhere (the
/// targets are closed ports, so a step that slipped through would fail differently), with one
/// refusing audit row each. The same steps are judged external by the gate's identity.
#[tokio::test]
async fn the_read_only_sandbox_refuses_every_type_that_changes_something_outside() {
    let pg = "postgres://mission:secret@127.0.0.1:1/shop";
    let writers = [
        (
            "sql_query",
            json!({"connection": pg, "query": "DELETE FROM orders"}),
        ),
        (
            "sql_query",
            json!({"connection": "shop_db", "query": "DELETE FROM orders"}),
        ),
        (
            "db_migrate",
            json!({"connection": pg, "migrations_dir": "migrations"}),
        ),
        (
            "redis_set",
            json!({"connection": "redis://127.0.0.1:1", "key": "k", "value": "v"}),
        ),
        (
            "http",
            json!({"url": "http://127.0.0.1:1/orders", "method": "POST", "body": "{}"}),
        ),
        // The knowledge store outlives the run.
        ("rag_add", json!({"content": "a note for every later run"})),
    ];
    let mut steps = Vec::new();
    for (i, (ty, params)) in writers.iter().enumerate() {
        let identity = studio_engine::tools::builtin_identity(ty, params);
        assert_eq!(
            identity.side_effects,
            studio_engine::tools::SideEffects::External,
            "{ty} {params} changes something outside"
        );
        steps.push(json!({"id": format!("w{i}"), "step_type": ty, "parameters": params}));
    }
    let m = mission(json!({
        "perimeter": {"sandbox": "read-only"},
        "config": {"fail_fast": false},
        "steps": steps,
    }));
    let ran = run(&m, Governance::default(), BTreeMap::new()).await;
    for (i, (ty, _)) in writers.iter().enumerate() {
        let id = format!("w{i}");
        let step = &ran.result.step_results[&id];
        assert_eq!(step.status, StepStatus::Failed, "{id} ({ty})");
        let error = step.error.as_deref().unwrap_or_default();
        assert!(
            error.contains("read-only sandbox"),
            "{id} ({ty}) is refused by the sandbox: {error}"
        );
        assert!(
            !error.contains("secret"),
            "the password never shows: {error}"
        );
        let rows: Vec<_> = ran.audit.iter().filter(|r| r.step_id == id).collect();
        assert_eq!(rows.len(), 1, "{id}: one audit row");
        assert_eq!(rows[0].decision, Decision::Refused);
    }
}
