//! The engine on tiny graphs, with real processes, files and a local HTTP server: one test per
//! rule of DESIGN §4, plus the security rules.
//!
//! Longer than 800 lines on purpose: one test per rule of DESIGN §4, sharing the builders below.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use studio_core::{Mission, RunStatus, StepStatus};
use studio_engine::{
    run_mission, CancellationToken, CollectingSink, Event, EventType, RunOptions, RunResult,
};

fn mission(v: Value) -> Mission {
    let mut v = v;
    if v.get("name").is_none() {
        v["name"] = json!("Test Mission");
    }
    serde_json::from_value(v).expect("the test mission parses")
}

struct Ran {
    result: RunResult,
    events: Vec<Event>,
    workspace: PathBuf,
    elapsed: Duration,
    _dir: tempfile::TempDir,
}

impl Ran {
    fn step(&self, id: &str) -> &studio_engine::StepResult {
        self.result
            .step_results
            .get(id)
            .unwrap_or_else(|| panic!("no result for step `{id}`"))
    }
    fn status(&self, id: &str) -> StepStatus {
        self.step(id).status
    }
    fn error(&self, id: &str) -> String {
        self.step(id).error.clone().unwrap_or_default()
    }
}

async fn run_with(m: Value, configure: impl FnOnce(RunOptions) -> RunOptions) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    let mut sink = CollectingSink::new();
    let options = configure(RunOptions::new(&workspace));
    let start = Instant::now();
    let result = run_mission(&mission(m), options, &mut sink)
        .await
        .expect("the run starts");
    Ran {
        result,
        events: sink.events(),
        workspace,
        elapsed: start.elapsed(),
        _dir: dir,
    }
}

async fn run(m: Value) -> Ran {
    run_with(m, |o| o).await
}

fn sh(script: &str) -> Value {
    json!({"command": "sh", "args": ["-c", script]})
}

/// True when no live process has this pid (a zombie awaiting its reaper counts as dead).
fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

fn wait_gone(pid: u32) -> bool {
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        if process_gone(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn read_pid(path: &Path) -> u32 {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} should hold a pid: {e}", path.display()))
        .trim()
        .parse()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Scheduling

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_independent_one_second_steps_run_together() {
    let steps: Vec<Value> = (0..4)
        .map(|i| json!({"id": format!("s{i}"), "step_type": "command", "parameters": {"command": "sleep", "args": ["1"]}}))
        .collect();
    let ran = run(json!({"config": {"max_concurrent_steps": 4}, "steps": steps})).await;
    assert_eq!(
        ran.result.status,
        RunStatus::Completed,
        "{:?}",
        ran.result.reason
    );
    assert!(
        ran.elapsed < Duration::from_millis(2500),
        "4 × 1 s in parallel should take about 1 s, took {:?}",
        ran.elapsed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_concurrent_steps_bounds_running_steps() {
    let steps: Vec<Value> = (0..4)
        .map(|i| json!({"id": format!("s{i}"), "step_type": "command", "parameters": {"command": "sleep", "args": ["0.5"]}}))
        .collect();
    let ran = run(json!({"config": {"max_concurrent_steps": 2}, "steps": steps})).await;
    assert_eq!(ran.result.status, RunStatus::Completed);
    assert!(
        ran.elapsed >= Duration::from_millis(950),
        "4 × 0.5 s two at a time needs two rounds (≥ 1 s), took {:?}",
        ran.elapsed
    );
}

#[tokio::test]
async fn ready_steps_start_in_declaration_order() {
    let steps: Vec<Value> = ["z", "b", "y", "a"]
        .iter()
        .map(|id| json!({"id": id, "step_type": "command", "parameters": {"command": "true"}}))
        .collect();
    let ran = run(json!({"config": {"max_concurrent_steps": 1}, "steps": steps})).await;
    let started: Vec<String> = ran
        .events
        .iter()
        .filter(|e| {
            e.step_status == Some(StepStatus::Running) && e.idempotency_key.ends_with("/started")
        })
        .map(|e| e.step_id.as_deref().unwrap().to_string())
        .collect();
    assert_eq!(
        started,
        vec!["z", "b", "y", "a"],
        "steps start in the order they are declared"
    );
}

#[tokio::test]
async fn a_step_waits_for_all_its_dependencies() {
    let ran = run(json!({"config": {"max_concurrent_steps": 4}, "steps": [
        {"id": "slow", "step_type": "command", "parameters": sh("sleep 0.3; echo slow > slow.txt")},
        {"id": "fast", "step_type": "noop"},
        {"id": "join", "step_type": "read_file", "depends_on": ["slow", "fast"], "parameters": {"path": "slow.txt"}}
    ]}))
    .await;
    assert_eq!(
        ran.result.status,
        RunStatus::Completed,
        "{:?}",
        ran.result.reason
    );
    assert_eq!(
        ran.step("join").output["content"],
        "slow\n",
        "join ran after slow wrote its file"
    );
}

// ---------------------------------------------------------------------------------------------
// Failures

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_fast_cancels_a_running_sibling_and_kills_its_processes() {
    let ran = run(json!({"steps": [
        {"id": "sibling", "step_type": "command",
         "parameters": sh("sleep 30 & echo $! > grandchild.pid; echo $$ > leader.pid; wait")},
        {"id": "after_sibling", "step_type": "noop", "depends_on": ["sibling"]},
        {"id": "breaks", "step_type": "command", "parameters": sh("sleep 0.5; echo broken >&2; exit 3")},
    ]}))
    .await;
    assert_eq!(ran.result.status, RunStatus::Failed);
    assert_eq!(ran.status("breaks"), StepStatus::Failed);
    assert!(
        ran.error("breaks").contains("exited with code 3: broken"),
        "{}",
        ran.error("breaks")
    );
    assert_eq!(
        ran.status("sibling"),
        StepStatus::Cancelled,
        "{}",
        ran.error("sibling")
    );
    assert_eq!(ran.status("after_sibling"), StepStatus::Skipped);
    assert!(
        ran.elapsed < Duration::from_secs(10),
        "the run did not wait for `sleep 30`"
    );
    for file in ["leader.pid", "grandchild.pid"] {
        let pid = read_pid(&ran.workspace.join(file));
        assert!(
            wait_gone(pid),
            "process {pid} ({file}) is still alive after fail-fast"
        );
    }
    let reason = ran.result.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("`breaks`"),
        "the reason names the failed step: {reason}"
    );
}

#[tokio::test]
async fn without_fail_fast_independent_branches_go_on_and_the_run_fails_at_the_end() {
    let ran = run(json!({"config": {"fail_fast": false}, "steps": [
        {"id": "a", "step_type": "command", "parameters": {"command": "false"}},
        {"id": "a_child", "step_type": "noop", "depends_on": ["a"]},
        {"id": "a_grandchild", "step_type": "noop", "depends_on": ["a_child"]},
        {"id": "b", "step_type": "command", "parameters": sh("sleep 0.2; echo ok > b.txt")},
        {"id": "b_child", "step_type": "read_file", "depends_on": ["b"], "parameters": {"path": "b.txt"}},
    ]}))
    .await;
    assert_eq!(ran.result.status, RunStatus::Failed);
    assert_eq!(ran.status("b"), StepStatus::Success);
    assert_eq!(
        ran.status("b_child"),
        StepStatus::Success,
        "the independent branch finished"
    );
    assert_eq!(ran.status("a_child"), StepStatus::Skipped);
    assert!(
        ran.error("a_child").contains("dependency `a` failed"),
        "{}",
        ran.error("a_child")
    );
    assert_eq!(ran.status("a_grandchild"), StepStatus::Skipped);
    assert!(
        ran.error("a_grandchild").contains("`a_child` was skipped"),
        "{}",
        ran.error("a_grandchild")
    );
}

#[tokio::test]
async fn continue_on_error_records_the_failure_and_lets_dependents_run() {
    let ran = run(json!({"steps": [
        {"id": "risky", "step_type": "command", "continue_on_error": true,
         "parameters": {"command": "test", "args": ["-f", "nonexistent_file.txt"]}},
        {"id": "fallback", "step_type": "create_file", "depends_on": ["risky"],
         "parameters": {"path": "fallback.txt", "content": "exit was {{risky.output.exit_code}}"}},
    ]}))
    .await;
    assert_eq!(
        ran.result.status,
        RunStatus::Completed,
        "{:?}",
        ran.result.reason
    );
    assert_eq!(ran.status("risky"), StepStatus::Failed);
    assert_eq!(ran.status("fallback"), StepStatus::Success);
    let text = std::fs::read_to_string(ran.workspace.join("fallback.txt")).unwrap();
    assert_eq!(text, "exit was 1", "a failed step's output stays readable");
}

#[tokio::test]
async fn a_step_that_fails_twice_then_succeeds_ends_success_after_three_attempts() {
    let ran = run(json!({"config": {"retry_delay_ms": 50}, "steps": [
        {"id": "flaky", "step_type": "command", "retry_attempts": 2,
         "parameters": sh("n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; [ $n -ge 3 ]")},
    ]}))
    .await;
    assert_eq!(
        ran.status("flaky"),
        StepStatus::Success,
        "{}",
        ran.error("flaky")
    );
    assert_eq!(ran.step("flaky").attempts, 3);
    assert_eq!(ran.result.status, RunStatus::Completed);
    let retries = ran
        .events
        .iter()
        .filter(|e| e.idempotency_key.ends_with("/retry"))
        .count();
    assert_eq!(retries, 2, "each failed attempt is an event");
}

#[tokio::test]
async fn retries_stop_after_the_last_attempt() {
    let started = Instant::now();
    let ran = run(
        json!({"config": {"retry_attempts": 1, "retry_delay_ms": 300}, "steps": [
            {"id": "never", "step_type": "command", "parameters": {"command": "false"}},
        ]}),
    )
    .await;
    assert_eq!(ran.status("never"), StepStatus::Failed);
    assert_eq!(
        ran.step("never").attempts,
        2,
        "retry_attempts from the config: one more attempt"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "attempts are retry_delay_ms apart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_timeout_fails_the_attempt_and_kills_the_process_tree() {
    let ran = run(json!({"steps": [
        {"id": "hangs", "step_type": "command", "timeout_seconds": 1,
         "parameters": sh("sleep 30 & echo $! > grandchild.pid; wait")},
    ]}))
    .await;
    assert_eq!(ran.status("hangs"), StepStatus::Failed);
    assert_eq!(ran.error("hangs"), "timed out after 1s");
    assert_eq!(ran.result.status, RunStatus::Failed);
    assert!(
        ran.elapsed < Duration::from_secs(5),
        "took {:?}",
        ran.elapsed
    );
    let pid = read_pid(&ran.workspace.join("grandchild.pid"));
    assert!(
        wait_gone(pid),
        "the step's child {pid} survived its timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_timeout_ends_the_run_timed_out() {
    let ran = run(json!({"config": {"timeout_seconds": 1}, "steps": [
        {"id": "long", "step_type": "command", "parameters": {"command": "sleep", "args": ["30"]}},
        {"id": "after", "step_type": "noop", "depends_on": ["long"]},
    ]}))
    .await;
    assert_eq!(ran.result.status, RunStatus::TimedOut);
    assert_eq!(ran.status("long"), StepStatus::Cancelled);
    assert_eq!(ran.status("after"), StepStatus::Skipped);
    assert!(
        ran.elapsed < Duration::from_secs(5),
        "took {:?}",
        ran.elapsed
    );
    assert_eq!(ran.events.last().unwrap().event_type, EventType::TimedOut);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_the_token_cancels_the_run_and_its_steps() {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        trigger.cancel();
    });
    let ran = run_with(
        json!({"steps": [
            {"id": "long", "step_type": "command", "parameters": sh("sleep 30 & echo $! > child.pid; wait")},
            {"id": "after", "step_type": "noop", "depends_on": ["long"]},
        ]}),
        |o| o.with_cancel(token),
    )
    .await;
    assert_eq!(ran.result.status, RunStatus::Cancelled);
    assert_eq!(ran.status("long"), StepStatus::Cancelled);
    assert_eq!(ran.status("after"), StepStatus::Skipped);
    assert!(ran.elapsed < Duration::from_secs(5));
    let pid = read_pid(&ran.workspace.join("child.pid"));
    assert!(wait_gone(pid), "child {pid} survived the cancellation");
}

// ---------------------------------------------------------------------------------------------
// Events

#[tokio::test]
async fn events_are_numbered_without_gaps_and_end_with_exactly_one_final_event() {
    let ran = run(json!({"config": {"fail_fast": false}, "steps": [
        {"id": "a", "step_type": "create_file", "parameters": {"path": "x.txt", "content": "x"}},
        {"id": "b", "step_type": "command", "depends_on": ["a"], "parameters": {"command": "false"}},
        {"id": "c", "step_type": "noop", "depends_on": ["b"]},
    ]}))
    .await;
    let seqs: Vec<u64> = ran.events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=ran.events.len() as u64).collect::<Vec<_>>(),
        "seq is gapless from 1"
    );
    assert_eq!(ran.events[0].event_type, EventType::Accepted);
    let finals: Vec<_> = ran
        .events
        .iter()
        .filter(|e| e.event_type.is_final())
        .collect();
    assert_eq!(finals.len(), 1, "exactly one final event");
    assert_eq!(finals[0].event_type, EventType::Failed);
    assert_eq!(
        ran.events.last().unwrap().seq,
        finals[0].seq,
        "the final event is the last one"
    );
    let mut keys: Vec<&str> = ran
        .events
        .iter()
        .map(|e| e.idempotency_key.as_str())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(
        keys.len(),
        ran.events.len(),
        "idempotency keys are unique within a run"
    );
    assert!(ran.events.iter().any(
        |e| e.event_type == EventType::Artifact && e.artifact_refs == vec!["x.txt".to_string()]
    ));
    for e in &ran.events {
        assert_eq!(&*e.run_id, ran.result.run_id);
        assert_eq!(&*e.trace_id, ran.result.trace_id);
        assert!(
            e.emitted_at.ends_with('Z'),
            "RFC 3339 UTC: {}",
            e.emitted_at
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Variables, state, simulation, secrets

#[tokio::test]
async fn variables_resolve_with_their_types_and_unresolved_ones_fail_the_step() {
    let ran = run_with(
        json!({"id": "com.example.vars", "config": {"fail_fast": false, "max_concurrent_steps": 2}, "steps": [
            {"id": "values", "step_type": "noop", "parameters": {"n": 42, "items": [{"name": "first"}]}},
            {"id": "typed", "step_type": "noop", "depends_on": ["values"],
             "parameters": {"n": "{{values.output.n}}", "text": "n={{values.output.n}} {{values.output.items[0].name}}",
                            "who": "{{context.who}}", "mission": "{{mission.id}}", "ff": "{{config.fail_fast}}"}},
            {"id": "broken", "step_type": "noop", "depends_on": ["values"],
             "parameters": {"x": "{{values.output.missing}}"}},
        ]}),
        |o| o.with_var("who", "operator"),
    )
    .await;
    let out = &ran.step("typed").output;
    assert_eq!(out["n"], json!(42), "a lone reference keeps the JSON type");
    assert_eq!(out["text"], json!("n=42 first"));
    assert_eq!(out["who"], json!("operator"));
    assert_eq!(out["mission"], json!("com.example.vars"));
    assert_eq!(out["ff"], json!(false));
    assert_eq!(ran.status("broken"), StepStatus::Failed);
    let err = ran.error("broken");
    assert!(
        err.contains("{{values.output.missing}}") && err.contains("keys: items, n"),
        "{err}"
    );
}

#[tokio::test]
async fn steps_write_typed_state_and_read_it_back() {
    let ran = run(json!({
        "config": {"fail_fast": false},
        "state_schema": {"fields": {
            "processed_count": {"type": "int", "required": true, "default": 0},
            "label": {"type": "string"}
        }},
        "steps": [
            {"id": "count", "step_type": "noop", "parameters": {"count": 7},
             "state": {"processed_count": "{{count.output.count}}"}},
            {"id": "use", "step_type": "noop", "depends_on": ["count"],
             "parameters": {"seen": "{{state.processed_count}}"}},
            {"id": "wrong", "step_type": "noop", "parameters": {"v": [1]},
             "state": {"label": "{{wrong.output.v}}"}},
        ]
    }))
    .await;
    assert_eq!(ran.step("use").output["seen"], json!(7));
    assert_eq!(
        ran.result.state["processed_count"],
        json!(7),
        "final state is in the result"
    );
    assert_eq!(ran.status("wrong"), StepStatus::Failed);
    assert!(
        ran.error("wrong")
            .contains("`label` is declared `string` but the step wrote a list"),
        "{}",
        ran.error("wrong")
    );
    assert!(!ran.result.state.contains_key("label"));
    let plan = ran.result.plan.render_text();
    assert!(
        plan.contains("[x] count") && plan.contains("[!] wrong"),
        "{plan}"
    );
}

#[tokio::test]
async fn simulated_tools_answer_with_their_static_response() {
    let ran = run(json!({
        "simulation": {"enabled": true, "tools": [{"name": "http", "static_response": {"status": 200, "json": {"ok": true}}}]},
        "steps": [
            {"id": "call", "step_type": "http", "parameters": {"url": "https://unreachable.invalid/api"}},
            {"id": "use", "step_type": "noop", "depends_on": ["call"], "parameters": {"ok": "{{call.output.json.ok}}"}},
        ]
    }))
    .await;
    assert_eq!(
        ran.result.status,
        RunStatus::Completed,
        "{:?}",
        ran.result.reason
    );
    assert_eq!(ran.step("use").output["ok"], json!(true));
}

#[tokio::test]
async fn environment_values_never_reach_the_result_or_the_events() {
    let ran = run_with(
        json!({"steps": [
            {"id": "leak", "step_type": "command",
             "parameters": {"command": "printf", "args": ["%s", "token={{env.API_TOKEN}}"]}},
        ]}),
        |mut o| {
            o.env = Some([("API_TOKEN".to_string(), "sk-very-secret-1234".to_string())].into());
            o
        },
    )
    .await;
    assert_eq!(ran.status("leak"), StepStatus::Success);
    let stdout = ran.step("leak").output["stdout"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(stdout, "token=[redacted:env.API_TOKEN]");
    let all =
        serde_json::to_string(&ran.result).unwrap() + &serde_json::to_string(&ran.events).unwrap();
    assert!(
        !all.contains("sk-very-secret-1234"),
        "the secret leaked: {all}"
    );
}

// ---------------------------------------------------------------------------------------------
// Security: no shell, confined files

#[tokio::test]
async fn hostile_inputs_reach_the_program_as_one_literal_argument() {
    for hostile in [
        "; touch pwned",
        "$(touch pwned)",
        "`touch pwned`",
        "a\ntouch pwned",
        "x && touch pwned | cat",
    ] {
        let ran = run_with(
            json!({"steps": [
                {"id": "echo", "step_type": "command",
                 "parameters": {"command": "printf", "args": ["[%s]", "{{context.input}}"]}},
            ]}),
            |o| o.with_var("input", hostile),
        )
        .await;
        assert_eq!(ran.status("echo"), StepStatus::Success);
        assert_eq!(
            ran.step("echo").output["stdout"],
            json!(format!("[{hostile}]")),
            "one literal argument"
        );
        assert!(
            !ran.workspace.join("pwned").exists(),
            "`{hostile}` ran as shell text"
        );
    }
}

#[tokio::test]
async fn every_file_step_refuses_traversal_absolute_paths_and_symlink_escapes() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "outside").unwrap();
    let out_dir = outside.path().display().to_string();
    type Params = Box<dyn Fn(&str) -> Value>;
    let cases: Vec<(&str, Params)> = vec![
        (
            "create_file",
            Box::new(|p| json!({"path": p, "content": "x"})),
        ),
        (
            "edit_file",
            Box::new(|p| json!({"path": p, "content": "x", "append": true})),
        ),
        ("delete_file", Box::new(|p| json!({"path": p}))),
        (
            "copy_file",
            Box::new(|p| json!({"source": p, "destination": "copy.txt"})),
        ),
        (
            "copy_file",
            Box::new(|p| json!({"source": "inside.txt", "destination": p})),
        ),
        (
            "move_file",
            Box::new(|p| json!({"source": p, "destination": "moved.txt"})),
        ),
        (
            "move_file",
            Box::new(|p| json!({"source": "inside.txt", "destination": p})),
        ),
        ("read_file", Box::new(|p| json!({"path": p}))),
        ("list_directory", Box::new(|p| json!({"path": p}))),
        (
            "file_search",
            Box::new(|p| json!({"path": p, "pattern": "outside"})),
        ),
        ("parse_json", Box::new(|p| json!({"path": p}))),
        ("parse_yaml", Box::new(|p| json!({"path": p}))),
        ("parse_xml", Box::new(|p| json!({"path": p}))),
        (
            "validate_schema",
            Box::new(|p| json!({"path": p, "schema": {}})),
        ),
        (
            "validate_schema",
            Box::new(|p| json!({"data": 1, "schema_path": p})),
        ),
        ("csv_process", Box::new(|p| json!({"input_file": p}))),
        (
            "csv_process",
            Box::new(|p| json!({"content": "a\n1\n", "output_file": p})),
        ),
        (
            "command",
            Box::new(|p| json!({"command": "true", "working_dir": p})),
        ),
        ("git_status", Box::new(|p| json!({"repo_path": p}))),
        ("git_diff", Box::new(|p| json!({"repo_path": p}))),
        (
            "git_commit",
            Box::new(|p| json!({"repo_path": p, "message": "m", "init": true})),
        ),
        (
            "git_branch",
            Box::new(|p| json!({"repo_path": p, "name": "b"})),
        ),
        (
            "git_merge",
            Box::new(|p| json!({"repo_path": p, "branch": "main"})),
        ),
        ("compile_code", Box::new(|p| json!({"path": p}))),
        ("run_tests", Box::new(|p| json!({"project_path": p}))),
        (
            "format_code",
            Box::new(|p| json!({"path": p, "check": true})),
        ),
        ("lint_code", Box::new(|p| json!({"working_dir": p}))),
        ("extract_functions", Box::new(|p| json!({"path": p}))),
        ("generate_docs", Box::new(|p| json!({"path": p}))),
        (
            "generate_docs",
            Box::new(|p| json!({"path": ".", "output_file": p})),
        ),
        (
            "sql_query",
            Box::new(|p| json!({"connection": p, "query": "CREATE TABLE t (x INTEGER)"})),
        ),
        (
            "sql_query",
            Box::new(
                |p| json!({"connection": format!("sqlite:{p}"), "query": "SELECT 1", "read_only": true}),
            ),
        ),
        (
            "sql_query",
            Box::new(
                |p| json!({"connection": "sqlite::memory:", "query": "SELECT 1", "output_file": p}),
            ),
        ),
        (
            "db_backup",
            Box::new(|p| json!({"connection": p, "destination": "copy.db"})),
        ),
        (
            "db_backup",
            Box::new(|p| json!({"connection": "sqlite:inside.db", "destination": p})),
        ),
        (
            "db_migrate",
            Box::new(|p| json!({"connection": "sqlite:inside.db", "migrations_dir": p})),
        ),
        (
            "db_migrate",
            Box::new(|p| json!({"connection": format!("sqlite://{p}"), "migrations_dir": "sub"})),
        ),
        (
            "compress",
            Box::new(|p| json!({"source": p, "destination": "packed.zip"})),
        ),
        (
            "compress",
            Box::new(|p| json!({"source": "inside.txt", "destination": p, "format": "zip"})),
        ),
        (
            "compress",
            Box::new(|p| json!({"files": ["inside.txt", p], "destination": "packed.tgz"})),
        ),
        (
            "compress",
            Box::new(|p| json!({"action": "extract", "archive": p, "format": "zip"})),
        ),
        (
            "compress",
            Box::new(
                |p| json!({"action": "extract", "archive": "inside.txt", "format": "zip", "destination": p}),
            ),
        ),
        (
            "process_start",
            Box::new(|p| json!({"command": "true", "working_dir": p})),
        ),
    ];
    for (step_type, params) in &cases {
        for bad in [
            "../secret.txt",
            "sub/../../secret.txt",
            &format!("{out_dir}/secret.txt"),
            "link/secret.txt",
            "filelink",
        ] {
            let dir = tempfile::tempdir().unwrap();
            let ws = dir.path().join("ws");
            std::fs::create_dir_all(ws.join("sub")).unwrap();
            std::fs::write(ws.join("inside.txt"), "inside").unwrap();
            // A database and a migration inside, so that only the path in question is wrong.
            rusqlite::Connection::open(ws.join("inside.db"))
                .and_then(|c| c.execute_batch("CREATE TABLE t (x INTEGER)"))
                .unwrap();
            std::fs::write(ws.join("sub/001_init.sql"), "CREATE TABLE u (x INTEGER);").unwrap();
            std::os::unix::fs::symlink(outside.path(), ws.join("link")).unwrap();
            std::os::unix::fs::symlink(outside.path().join("secret.txt"), ws.join("filelink"))
                .unwrap();
            let m = mission(
                json!({"steps": [{"id": "s", "step_type": step_type, "parameters": params(bad)}]}),
            );
            let result = run_mission(&m, RunOptions::new(&ws), &mut studio_engine::NullSink)
                .await
                .unwrap();
            let r = &result.step_results["s"];
            assert_eq!(
                r.status,
                StepStatus::Failed,
                "{step_type} with `{bad}` must be refused: {r:?}"
            );
            let err = r.error.clone().unwrap_or_default();
            assert!(
                err.contains("refused"),
                "{step_type} with `{bad}`: the error says why: {err}"
            );
            assert_eq!(
                std::fs::read_to_string(outside.path().join("secret.txt")).unwrap(),
                "outside",
                "{step_type} with `{bad}` changed a file outside the workspace"
            );
            assert!(outside.path().join("secret.txt").exists());
        }
    }
}

#[tokio::test]
async fn file_steps_work_inside_the_workspace() {
    let ran = run(json!({"config": {"max_concurrent_steps": 1}, "steps": [
        {"id": "create", "step_type": "create_file", "parameters": {"path": "data/in.json", "content": "{\"a\": [1, 2]}"}},
        {"id": "parse", "step_type": "parse_json", "depends_on": ["create"], "parameters": {"path": "data/in.json"}},
        {"id": "yaml", "step_type": "parse_yaml", "parameters": {"content": "a: 1\nb: [x, y]\n"}},
        {"id": "edit", "step_type": "edit_file", "depends_on": ["parse"],
         "parameters": {"path": "data/in.json", "find": "[1, 2]", "replace": "[3]", "backup": true}},
        {"id": "append", "step_type": "edit_file", "depends_on": ["edit"],
         "parameters": {"path": "data/in.json", "content": "\n// end", "append": true}},
        {"id": "copy", "step_type": "copy_file", "depends_on": ["append"], "parameters": {"source": "data/in.json", "destination": "out/copy.json"}},
        {"id": "move", "step_type": "move_file", "depends_on": ["copy"], "parameters": {"from": "out/copy.json", "to": "out/moved.json"}},
        {"id": "read", "step_type": "read_file", "depends_on": ["move"], "parameters": {"path": "out/moved.json"}},
        {"id": "search", "step_type": "file_search", "depends_on": ["move"], "parameters": {"pattern": "end"}},
        {"id": "list", "step_type": "list_directory", "depends_on": ["move"], "parameters": {"recursive": true}},
        {"id": "delete", "step_type": "delete_file", "depends_on": ["read", "search", "list"], "parameters": {"path": "data/in.json.bak"}},
    ]}))
    .await;
    assert_eq!(
        ran.result.status,
        RunStatus::Completed,
        "{:?} {:#?}",
        ran.result.reason,
        ran.result.step_results
    );
    assert_eq!(ran.step("parse").output["value"]["a"], json!([1, 2]));
    assert_eq!(
        ran.step("yaml").output["value"],
        json!({"a": 1, "b": ["x", "y"]})
    );
    assert_eq!(ran.step("edit").output["replacements"], json!(1));
    assert_eq!(
        ran.step("read").output["content"],
        json!("{\"a\": [3]}\n// end")
    );
    assert_eq!(ran.step("read").output["path"], json!("out/moved.json"));
    assert_eq!(
        ran.step("search").output["matches"][0]["path"],
        json!("data/in.json")
    );
    let listed: Vec<&str> = ran.step("list").output["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(
        listed.contains(&"out/moved.json") && listed.contains(&"data"),
        "{listed:?}"
    );
    assert!(
        !ran.workspace.join("data/in.json.bak").exists(),
        "delete_file removed the backup"
    );
    assert!(
        !ran.workspace.join("out/copy.json").exists(),
        "move_file moved the copy"
    );
}

// ---------------------------------------------------------------------------------------------
// HTTP against a local server

/// A tiny HTTP/1.1 server on 127.0.0.1 that answers a fixed number of requests, then stops.
fn serve(responses: Vec<(u16, &'static str)>) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for (status, body) in responses {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut reader = BufReader::new(stream);
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut request_body = vec![0; length];
            let _ = reader.read_exact(&mut request_body);
            let body = body.replace("ECHO", &String::from_utf8_lossy(&request_body));
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\nx-test: yes\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn http_requests_a_local_server_and_records_the_url() {
    let base = serve(vec![
        (200, r#"{"got": ECHO}"#),
        (500, r#"{"error": "boom"}"#),
    ]);
    let ran = run(json!({"config": {"max_concurrent_steps": 1, "fail_fast": false}, "steps": [
        {"id": "post", "step_type": "http",
         "parameters": {"url": format!("{base}/items"), "method": "post", "body": {"n": 1}, "headers": {"x-a": "b"}}},
        {"id": "fails", "step_type": "http", "depends_on": ["post"], "parameters": {"url": format!("{base}/broken")}},
    ]}))
    .await;
    let out = &ran.step("post").output;
    assert_eq!(
        ran.status("post"),
        StepStatus::Success,
        "{}",
        ran.error("post")
    );
    assert_eq!(out["status"], json!(200));
    assert_eq!(
        out["json"],
        json!({"got": {"n": 1}}),
        "the JSON body went out and came back"
    );
    assert_eq!(out["headers"]["x-test"], json!("yes"));
    assert_eq!(ran.status("fails"), StepStatus::Failed);
    assert!(
        ran.error("fails").contains("HTTP 500"),
        "{}",
        ran.error("fails")
    );
    assert_eq!(
        ran.step("fails").output["json"]["error"],
        json!("boom"),
        "the failed response is kept"
    );
    let urls: Vec<&str> = ran.result.links.iter().map(|l| l.url.as_str()).collect();
    assert_eq!(
        urls,
        vec![format!("{base}/items"), format!("{base}/broken")]
    );
}

// ---------------------------------------------------------------------------------------------
// Refusals before the start

#[tokio::test]
async fn broken_graphs_and_unavailable_step_types_are_refused_before_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let cyclic = mission(json!({"steps": [
        {"id": "a", "step_type": "noop", "depends_on": ["b"]},
        {"id": "b", "step_type": "noop", "depends_on": ["a"]},
    ]}));
    let err = run_mission(
        &cyclic,
        RunOptions::new(dir.path()),
        &mut studio_engine::NullSink,
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("a -> b -> a") || err.to_string().contains("b -> a -> b"),
        "{err}"
    );
    // A type of the catalogue still to come, while one is left.
    let Some(later_type) = studio_core::step_types::STEP_TYPES
        .iter()
        .find(|t| t.status() == studio_core::step_types::StepTypeStatus::NotAvailableYet)
    else {
        return;
    };
    let later = mission(json!({"steps": [{"id": "x", "step_type": later_type.name}]}));
    let err = run_mission(
        &later,
        RunOptions::new(dir.path()),
        &mut studio_engine::NullSink,
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains(&format!("`{}`", later_type.name))
            && err.to_string().contains("not available yet"),
        "{err}"
    );
}
