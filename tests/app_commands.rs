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
