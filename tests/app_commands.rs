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
