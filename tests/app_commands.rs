//! The app's Tauri commands, reached through Tauri's real IPC layer on the mock runtime: the
//! request goes through `invoke`, the capability check of `tauri.conf.json` (the real app context),
//! argument conversion, the command and the `studio_api` call.

use serde_json::{json, Value};
use studio_api::{AppPaths, StudioApi};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindowBuilder};

fn app_with_data_dir(dir: &std::path::Path) -> tauri::App<tauri::test::MockRuntime> {
    let api = StudioApi::open(AppPaths::at(dir)).expect("open the API");
    mission_studio_lib::with_api(mock_builder(), api)
        .build(tauri::generate_context!())
        .expect("build the app")
}

fn invoke(
    app: &tauri::App<tauri::test::MockRuntime>,
    cmd: &str,
    body: Value,
) -> Result<Value, Value> {
    // The app context of tauri.conf.json opens the "main" window, the only one with a capability.
    let window = match app.get_webview_window("main") {
        Some(window) => window,
        None => WebviewWindowBuilder::new(app, "main", Default::default())
            .build()
            .expect("open the main window"),
    };
    let response = get_ipc_response(
        &window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    );
    response.map(|body| body.deserialize::<Value>().expect("a JSON response"))
}

#[test]
fn diagnostics_command_reports_the_data_folder_from_studio_api() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_data_dir(dir.path());
    let body = invoke(&app, "diagnostics", json!({})).expect("diagnostics succeeds");
    assert_eq!(body["dataDir"], json!(dir.path().display().to_string()));
    assert_eq!(body["appVersion"], json!(env!("CARGO_PKG_VERSION")));
    let db = body["databasePath"]
        .as_str()
        .expect("databasePath is a string");
    assert!(db.ends_with("mission-studio.db"), "database path: {db}");
}

#[test]
fn set_theme_command_persists_and_bad_values_come_back_as_errors() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_data_dir(dir.path());
    let saved = invoke(&app, "set_theme", json!({"theme": "dark"})).expect("set_theme succeeds");
    assert_eq!(saved["theme"], "dark");
    let read = invoke(&app, "get_settings", json!({})).expect("get_settings succeeds");
    assert_eq!(read["theme"], "dark");
    let on_disk = std::fs::read_to_string(dir.path().join("settings.json")).unwrap();
    assert!(on_disk.contains("\"dark\""), "settings file: {on_disk}");

    let err = invoke(&app, "set_theme", json!({"theme": "purple"})).expect_err("purple is refused");
    assert!(
        err.to_string().contains("purple"),
        "error names the bad value: {err}"
    );
}

#[test]
fn commands_are_refused_to_a_window_without_the_capability() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_data_dir(dir.path());
    let other = WebviewWindowBuilder::new(&app, "other", Default::default())
        .build()
        .expect("open a second window");
    let response = get_ipc_response(
        &other,
        InvokeRequest {
            cmd: "diagnostics".into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(json!({})),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    );
    let err = response.expect_err("only the main window may call diagnostics");
    assert!(
        format!("{err:?}").contains("not allowed"),
        "refusal: {err:?}"
    );
}

/// Records a real run (a failing command after a file write) in the data folder's history.
fn record_failed_run(dir: &std::path::Path) -> String {
    let api = StudioApi::open(AppPaths::at(dir)).expect("open the API");
    let mission: studio_core::Mission = serde_json::from_value(json!({
        "name": "Ipc History",
        "sector": "Operations",
        "steps": [
            {"id": "write", "step_type": "create_file",
             "parameters": {"path": "note.md", "content": "# Note"}},
            {"id": "check", "step_type": "command", "depends_on": ["write"],
             "parameters": {"command": "false"}}
        ]
    }))
    .unwrap();
    let outcome = tauri::async_runtime::block_on(api.run_recorded(
        &mission,
        studio_engine::RunOptions::new(std::path::PathBuf::new()),
        studio_engine::CollectingSink::new(),
    ))
    .expect("the run is recorded");
    outcome.result.run_id
}

#[test]
fn history_and_evidence_commands_read_a_recorded_run() {
    let dir = tempfile::tempdir().unwrap();
    let run_id = record_failed_run(dir.path());
    let app = app_with_data_dir(dir.path());

    let list =
        invoke(&app, "list_runs", json!({"query": {"status": "failed"}})).expect("list_runs");
    assert_eq!(list["runs"][0]["runId"], json!(run_id));
    assert_eq!(list["runs"][0]["sector"], "Operations");
    assert_eq!(list["totalRuns"], 1);
    let none = invoke(&app, "list_runs", json!({"query": {"status": "completed"}})).unwrap();
    assert_eq!(none["runs"], json!([]));
    let err = invoke(&app, "list_runs", json!({"query": {"status": "exploded"}}))
        .expect_err("an unknown status is refused");
    assert_eq!(err["code"], "invalid_input", "{err}");

    let found = invoke(
        &app,
        "search_runs",
        json!({"query": {"text": "check failed"}}),
    )
    .expect("search_runs");
    assert_eq!(found["runs"][0]["runId"], json!(run_id));
    let lines = found["runs"][0]["matches"].as_array().unwrap();
    assert!(
        lines.iter().any(|m| m["parts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["hit"] == true && p["text"] == "check")),
        "the matched word is marked: {found}"
    );
    let err = invoke(&app, "search_runs", json!({"query": {"text": " "}}))
        .expect_err("a blank search is refused");
    assert_eq!(err["code"], "invalid_input", "{err}");

    let run = invoke(&app, "get_run", json!({"runId": run_id})).expect("get_run");
    assert_eq!(run["resumable"], true);
    assert_eq!(run["steps"][1]["dependsOn"], json!(["write"]));
    assert_eq!(run["steps"][1]["status"], "failed");

    let tree = invoke(&app, "evidence_tree", json!({"runId": run_id})).expect("evidence_tree");
    assert!(tree["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "outputs"));
    let answer = invoke(
        &app,
        "read_evidence_file",
        json!({"runId": run_id, "path": "outputs/answer.md"}),
    )
    .expect("read answer.md");
    assert_eq!(answer["kind"], "markdown");
    assert!(
        answer["text"].as_str().unwrap().contains("Ipc History"),
        "{answer}"
    );

    for path in ["../mission-studio.db", "/etc/hostname"] {
        let err = invoke(
            &app,
            "read_evidence_file",
            json!({"runId": run_id, "path": path}),
        )
        .expect_err("reads outside the evidence folder are refused");
        assert_eq!(err["code"], "invalid_input", "{path}: {err}");
    }
}

/// Events a `Channel` argument received, as the page would get them.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(u32, Value)>>>;

fn app_with_channels(dir: &std::path::Path) -> (tauri::App<tauri::test::MockRuntime>, Received) {
    let received: Received = Default::default();
    let sink = received.clone();
    let builder = mock_builder().channel_interceptor(move |_webview, callback, _index, body| {
        if let tauri::ipc::InvokeResponseBody::Json(text) = body {
            let value: Value = serde_json::from_str(text).expect("channel messages are JSON");
            sink.lock().unwrap().push((callback.0, value));
        }
        true
    });
    let api = StudioApi::open(AppPaths::at(dir)).expect("open the API");
    let app = mission_studio_lib::with_api(builder, api)
        .build(tauri::generate_context!())
        .expect("build the app");
    (app, received)
}

/// Waits until the channel `id` received the run's final event; returns its events.
fn events_until_final(received: &Received, id: u32) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let events: Vec<Value> = received
            .lock()
            .unwrap()
            .iter()
            .filter(|(cb, _)| *cb == id)
            .map(|(_, v)| v.clone())
            .collect();
        let done = events.last().is_some_and(|e| {
            e["eventType"]
                .as_str()
                .is_some_and(|t| ["mission.completed", "mission.failed"].contains(&t))
        });
        if done {
            return events;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no final event on channel {id}: {events:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn start_run_and_attach_run_stream_every_event_over_a_channel() {
    let dir = tempfile::tempdir().unwrap();
    let mission = dir.path().join("two-steps.yaml");
    std::fs::write(
        &mission,
        "version: \"1.0\"\nname: Two steps\nsteps:\n  - {id: a, step_type: command, parameters: {command: echo, args: [hi]}}\n  - {id: b, step_type: noop, depends_on: [a]}\n",
    )
    .unwrap();
    let (app, received) = app_with_channels(&dir.path().join("data"));
    let run_id = invoke(
        &app,
        "start_run",
        json!({"request": {"path": mission.display().to_string()}}),
    )
    .expect("start_run succeeds");
    let run_id = run_id.as_str().expect("a run id").to_string();
    invoke(
        &app,
        "attach_run",
        json!({"runId": run_id, "afterSeq": 0, "onEvent": "__CHANNEL__:7"}),
    )
    .expect("attach_run succeeds");
    let events = events_until_final(&received, 7);
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "gapless");
    assert_eq!(events[0]["eventType"], "mission.accepted");
    assert_eq!(events.last().unwrap()["eventType"], "mission.completed");
    assert_eq!(events.last().unwrap()["runId"], json!(run_id));
    assert!(events
        .iter()
        .any(|e| e["stepId"] == "a" && e["stepStatus"] == "success"));

    // A second window attaching later from seq 2 gets the rest, replayed.
    invoke(
        &app,
        "attach_run",
        json!({"runId": run_id, "afterSeq": 2, "onEvent": "__CHANNEL__:8"}),
    )
    .expect("attach_run again");
    let later = events_until_final(&received, 8);
    assert_eq!(&later[..], &events[2..]);

    let view = invoke(&app, "run_view", json!({"runId": run_id})).expect("run_view");
    assert_eq!(view["steps"][1]["dependsOn"], json!(["a"]));
    let err = invoke(
        &app,
        "attach_run",
        json!({"runId": "nope", "afterSeq": 0, "onEvent": "__CHANNEL__:9"}),
    )
    .expect_err("an unknown run is refused");
    assert!(err.to_string().contains("not_found"), "{err}");
}

#[test]
fn list_templates_returns_the_real_library() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_data_dir(dir.path());
    let list = invoke(&app, "list_templates", json!({"query": {}})).expect("list_templates");
    let cards = list.as_array().expect("a list of template cards");
    assert!(
        cards.len() >= 200,
        "the builtin library: {} templates",
        cards.len()
    );
    let burnout = cards
        .iter()
        .find(|t| t["name"] == "Burnout Recruiter")
        .expect("Burnout Recruiter is in the library");
    assert_eq!(burnout["id"], "studio.hr.burnout-recruiter");
    assert_eq!(burnout["sector"], "HR");
}

#[test]
fn set_caps_then_get_caps_round_trips_through_the_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_data_dir(dir.path());
    let empty = invoke(&app, "get_caps", json!({})).expect("get_caps");
    assert_eq!(empty["budget"]["maxCostUsd"], Value::Null);
    let caps = json!({
        "budget": {"maxCostUsd": 3.5, "maxTokens": 120000, "maxLlmCalls": 40,
                   "maxSteps": 25, "maxRuntimeMinutes": 30.0},
        "approvalMode": "threshold", "thresholdUsd": 0.75, "requiredFor": [],
        "sandbox": "read-only", "allowedTools": [], "forbiddenTools": ["shell"],
        "connectedSectors": []
    });
    let saved = invoke(&app, "set_caps", json!({"caps": caps})).expect("set_caps");
    assert_eq!(saved, caps);
    assert_eq!(invoke(&app, "get_caps", json!({})).expect("get_caps"), caps);
    let on_disk = std::fs::read_to_string(dir.path().join("perimeter.yaml")).unwrap();
    assert!(on_disk.contains("3.5"), "perimeter.yaml: {on_disk}");

    let mut bad = caps.clone();
    bad["budget"]["maxSteps"] = json!(0);
    let err = invoke(&app, "set_caps", json!({"caps": bad})).expect_err("0 steps is refused");
    assert_eq!(err["code"], "invalid_input", "{err}");
    assert_eq!(
        invoke(&app, "get_caps", json!({})).unwrap(),
        caps,
        "unchanged"
    );
}

#[test]
fn deploy_mission_above_a_hard_cap_is_refused_with_code_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_data_dir(dir.path());
    let caps = json!({
        "budget": {"maxCostUsd": 1.0, "maxTokens": null, "maxLlmCalls": null,
                   "maxSteps": null, "maxRuntimeMinutes": null},
        "approvalMode": null, "thresholdUsd": null, "requiredFor": [], "sandbox": null,
        "allowedTools": [], "forbiddenTools": [], "connectedSectors": []
    });
    invoke(&app, "set_caps", json!({"caps": caps})).expect("set_caps");
    let mut perimeter = caps.clone();
    perimeter["budget"]["maxCostUsd"] = json!(5.0);
    let err = invoke(
        &app,
        "deploy_mission",
        json!({"templateId": "studio.hr.burnout-recruiter", "perimeter": perimeter}),
    )
    .expect_err("a perimeter above the cost cap is refused");
    assert_eq!(err["code"], "invalid_input", "{err}");
    let message = err["message"].as_str().expect("a message");
    assert!(
        message.contains('5') && message.contains('1'),
        "names value and cap: {message}"
    );
    assert_eq!(
        invoke(&app, "list_active_missions", json!({})).unwrap(),
        json!([]),
        "nothing was saved"
    );

    perimeter["budget"]["maxCostUsd"] = json!(0.5);
    let saved = invoke(
        &app,
        "deploy_mission",
        json!({"templateId": "studio.hr.burnout-recruiter", "perimeter": perimeter}),
    )
    .expect("a perimeter within the caps is saved");
    assert_eq!(saved["templateId"], "studio.hr.burnout-recruiter");
}

#[test]
fn audit_review_and_provider_check_commands_reach_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let run_id = record_failed_run(dir.path());
    let app = app_with_data_dir(dir.path());

    let page = invoke(
        &app,
        "audit_rows",
        json!({"query": {"runId": &run_id[..8], "tool": "command", "limit": 10}}),
    )
    .expect("audit_rows");
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["rows"][0]["runId"], json!(run_id));
    assert_eq!(page["rows"][0]["stepId"], "check");
    assert_eq!(page["rows"][0]["who"], "gate");
    assert_eq!(page["all"], 2);
    let err = invoke(&app, "audit_rows", json!({"query": {"decision": "maybe"}}))
        .expect_err("an unknown decision is refused");
    assert_eq!(err["code"], "invalid_input", "{err}");

    let flags = invoke(&app, "review_flags", json!({"status": "all"})).expect("review_flags");
    assert_eq!(flags, json!([]));
    let err = invoke(
        &app,
        "resolve_review_flag",
        json!({"flagId": 42, "note": "done"}),
    )
    .expect_err("no flag 42");
    assert_eq!(err["code"], "not_found", "{err}");

    let err =
        invoke(&app, "test_llm_provider", json!({"id": "nope"})).expect_err("no provider `nope`");
    assert_eq!(err["code"], "not_found", "{err}");
}

#[test]
fn forecast_and_resume_commands_reach_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let run_id = record_failed_run(dir.path());
    let app = app_with_data_dir(dir.path());
    // Quick Deploy's forecast of a real template under a 300-token cap: it cannot complete.
    let perimeter = json!({
        "budget": {"maxCostUsd": null, "maxTokens": 300, "maxLlmCalls": null, "maxSteps": null,
                   "maxRuntimeMinutes": null},
        "approvalMode": null, "thresholdUsd": null, "sandbox": null, "allowedTools": [],
        "forbiddenTools": [], "requiredFor": [], "connectedSectors": []
    });
    let f = invoke(
        &app,
        "forecast_template",
        json!({"templateId": "studio.intelligence.competitor-release-tracker", "perimeter": perimeter}),
    )
    .expect("forecast_template");
    assert_eq!(f["canComplete"], false);
    assert_eq!(f["caps"][0]["cap"], "max_tokens");
    assert_eq!(f["caps"][0]["verdict"], "short");
    assert_eq!(
        f["findings"][0]["message"],
        "cannot complete: `releases` needs up to 338 tokens, cap 300"
    );
    // The Resume dialog: what a resume would do, its forecast, and the resume itself.
    let preview = invoke(&app, "resume_preview", json!({"runId": run_id})).expect("resume_preview");
    assert_eq!(preview["reusedSteps"], json!(["write"]));
    assert_eq!(preview["rerunReasons"]["check"], "failed");
    let f = invoke(&app, "forecast_resume", json!({"runId": run_id})).expect("forecast_resume");
    assert_eq!(f["canComplete"], true);
    let started = invoke(
        &app,
        "resume_run_with",
        json!({"runId": run_id, "options": {"useCurrentFile": false, "perimeter": null}}),
    )
    .expect("resume_run_with");
    assert_eq!(started["resumedFrom"], run_id.as_str());
    assert_eq!(started["reusedSteps"], json!(["write"]));
    let err = invoke(&app, "resume_preview", json!({"runId": "no-such-run"})).unwrap_err();
    assert_eq!(err["code"], "not_found");
}

#[test]
fn nats_url_check_and_squad_status_commands_reach_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_data_dir(dir.path());
    // No URL: the Workers page's empty state.
    let status = invoke(&app, "squad_status", json!({})).expect("squad_status succeeds");
    assert_eq!(status["url"], Value::Null);

    let err = invoke(&app, "set_nats_url", json!({"url": "127.0.0.1:4222"}))
        .expect_err("a URL without nats:// is refused");
    assert_eq!(err["code"], "invalid_input", "{err}");

    // A port nobody listens on: saved, then reported as refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("nats://127.0.0.1:{port}");
    let saved = invoke(&app, "set_nats_url", json!({"url": url})).expect("set_nats_url succeeds");
    assert_eq!(saved["natsUrl"], json!(url));
    let check = invoke(&app, "check_nats", json!({"url": null})).expect("check_nats answers");
    assert_eq!(check["ok"], false);
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{check}"
    );
    let status = invoke(&app, "squad_status", json!({})).expect("squad_status answers");
    assert_eq!(status["reachable"], false);
    assert_eq!(status["error"], check["message"]);

    let cleared = invoke(&app, "set_nats_url", json!({"url": ""})).expect("a blank URL clears");
    assert_eq!(cleared.get("natsUrl"), None);
}

#[test]
fn editor_commands_check_generate_diff_save_and_read_through_ipc() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_data_dir(dir.path());
    let text = invoke(
        &app,
        "generate_mission",
        json!({"name": "Weekly Report", "plan": "fetch,parse|score,report"}),
    )
    .expect("generate_mission succeeds");
    let text = text.as_str().expect("a text").to_string();

    let report = invoke(&app, "check_mission_text", json!({"text": text}))
        .expect("check_mission_text succeeds");
    assert_eq!(report["valid"], json!(true), "{report}");
    let broken = text.replace("depends_on: [fetch]", "depends_on: [fetc]");
    let report = invoke(
        &app,
        "check_mission_text",
        json!({"text": broken, "fileName": null}),
    )
    .unwrap();
    // Both steps of the parallel group depended on `fetch`.
    assert_eq!(report["errors"], json!(2), "{report}");
    let item = &report["items"][0];
    assert_eq!(item["code"], json!("unknown_dependency"));
    assert!(item["line"].as_u64().unwrap() > 1 && item["column"].as_u64().unwrap() > 1);
    assert!(item["help"].as_str().unwrap().contains("fetch"), "{item}");

    let preview = invoke(&app, "mission_preview", json!({"text": text})).unwrap();
    assert_eq!(preview["steps"].as_array().unwrap().len(), 4);

    let diff = invoke(
        &app,
        "diff_missions",
        json!({"aText": text, "bText": broken}),
    )
    .unwrap();
    assert_eq!(
        diff["changed"][0]["fields"][0]["field"],
        json!("depends_on")
    );

    let err = invoke(&app, "save_mission_text", json!({"text": broken})).expect_err("refused");
    assert!(err.to_string().contains("not saved"), "{err}");
    let saved = invoke(&app, "save_mission_text", json!({"text": text})).unwrap();
    assert_eq!(saved["inLibrary"], json!(true));
    let path = saved["path"].as_str().unwrap();
    assert!(path.ends_with("templates/weekly-report.yaml"), "{path}");
    let listed = invoke(&app, "list_templates", json!({})).unwrap();
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == json!("weekly-report")));
    let read = invoke(&app, "read_mission_file", json!({"path": path})).unwrap();
    assert_eq!(read, json!(text));
}
