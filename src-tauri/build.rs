//! Declares the app's own commands to Tauri's ACL, so each one must be granted to a window by a
//! capability in tauri.conf.json (the main window only); a command no capability names is refused.

/// Every `#[tauri::command]` of src-tauri/src/commands.rs.
const APP_COMMANDS: &[&str] = &[
    "diagnostics",
    "get_settings",
    "set_theme",
    "set_default_provider",
    "set_simulate_llm",
    "set_nats_url",
    "check_nats",
    "squad_status",
    "start_run",
    "attach_run",
    "cancel_run",
    "list_live_runs",
    "pending_approvals",
    "answer_approval",
    "edit_state",
    "run_view",
    "step_detail",
    "list_runs",
    "search_runs",
    "get_run",
    "diff_runs",
    "resume_run",
    "forecast_template",
    "forecast_active",
    "forecast_file",
    "forecast_resume",
    "resume_preview",
    "resume_run_with",
    "evidence_tree",
    "read_evidence_file",
    "open_evidence_folder",
    "watch_evidence",
    "unwatch_evidence",
    "list_templates",
    "get_template",
    "template_runs",
    "library_problems",
    "update_active_mission",
    "approval_preview",
    "list_active_missions",
    "deploy_mission",
    "delete_active_mission",
    "run_active_mission",
    "get_caps",
    "set_caps",
    "list_llm_providers",
    "save_llm_provider",
    "delete_llm_provider",
    "test_llm_provider",
    "audit_rows",
    "review_flags",
    "resolve_review_flag",
    "check_mission_text",
    "mission_preview",
    "generate_mission",
    "diff_missions",
    "save_mission_text",
    "read_mission_file",
    "run_mission_text",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(APP_COMMANDS));
    if let Err(err) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {err:#}");
    }
}
