//! The Mission Studio desktop shell: window, plugins, logging, and thin commands over
//! [`studio_api`]. Nothing here holds product logic.

pub mod commands;
mod logging;
mod notify;
mod painting;
mod schedule;

use studio_api::{AppPaths, StudioApi};
use tauri::{Manager, Runtime};

/// Registers the API state and every command on a builder. The app and the tests (which use
/// Tauri's mock runtime) share this, so a test reaches the real commands.
pub fn with_api<R: Runtime>(builder: tauri::Builder<R>, api: StudioApi) -> tauri::Builder<R> {
    let live = studio_api::LiveRuns::new(api.clone());
    builder
        .manage(api)
        .manage(live)
        .invoke_handler(tauri::generate_handler![
            commands::diagnostics,
            commands::get_settings,
            commands::set_theme,
            commands::set_default_provider,
            commands::set_simulate_llm,
            commands::set_nats_url,
            commands::check_nats,
            commands::squad_status,
            commands::runs::start_run,
            commands::runs::attach_run,
            commands::runs::cancel_run,
            commands::runs::list_live_runs,
            commands::runs::pending_approvals,
            commands::runs::answer_approval,
            commands::runs::edit_state,
            commands::runs::run_view,
            commands::runs::step_detail,
            commands::history::list_runs,
            commands::history::search_runs,
            commands::history::get_run,
            commands::history::diff_runs,
            commands::history::resume_run,
            commands::launch::forecast_template,
            commands::launch::forecast_active,
            commands::launch::forecast_file,
            commands::launch::forecast_resume,
            commands::launch::resume_preview,
            commands::launch::resume_run_with,
            commands::history::evidence_tree,
            commands::history::read_evidence_file,
            commands::history::open_evidence_folder,
            commands::history::watch_evidence,
            commands::history::unwatch_evidence,
            commands::library::list_templates,
            commands::library::get_template,
            commands::library::template_runs,
            commands::library::library_problems,
            commands::library::update_active_mission,
            commands::library::approval_preview,
            commands::library::list_active_missions,
            commands::library::deploy_mission,
            commands::library::delete_active_mission,
            commands::library::run_active_mission,
            commands::library::get_caps,
            commands::library::set_caps,
            commands::library::list_llm_providers,
            commands::library::save_llm_provider,
            commands::library::delete_llm_provider,
            commands::library::test_llm_provider,
            commands::oversight::audit_rows,
            commands::oversight::review_flags,
            commands::oversight::resolve_review_flag,
            commands::editor::check_mission_text,
            commands::editor::mission_preview,
            commands::editor::generate_mission,
            commands::editor::diff_missions,
            commands::editor::save_mission_text,
            commands::editor::read_mission_file,
            commands::editor::run_mission_text,
        ])
}

/// Starts the desktop app.
pub fn run() {
    let direct_painting = painting::choose();
    let api = match AppPaths::resolve(None).and_then(StudioApi::open) {
        Ok(api) => api,
        Err(err) => {
            eprintln!("Mission Studio cannot start: {err}");
            std::process::exit(1);
        }
    };
    let _log_guard = logging::init(&api.paths().log_dir());
    tracing::info!(version = studio_core_version(), data_dir = %api.paths().data_dir().display(), "starting");
    if direct_painting {
        tracing::info!("the page is painted without compositing (no GPU render node, or WEBKIT_DISABLE_COMPOSITING_MODE)");
    }

    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            // A second launch focuses the window that is already open.
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .on_page_load(move |webview, payload| {
            // Painted without compositing, every frame of an animation or a transition is painted
            // on the page's main thread and delays what the app sends it: the page turns them off.
            if direct_painting && payload.event() == tauri::webview::PageLoadEvent::Finished {
                let _ = webview.eval(painting::MARK_PAGE);
            }
        })
        .setup(|app| {
            // The Library follows template file edits live.
            commands::library::watch_templates(app.handle());
            // The daily batch feeds measured figures back into the Library.
            schedule::start(app.handle());
            Ok(())
        });

    if let Err(err) = with_api(builder, api).run(tauri::generate_context!()) {
        tracing::error!(%err, "the app stopped with an error");
        eprintln!("Mission Studio stopped with an error: {err}");
        std::process::exit(1);
    }
}

fn studio_core_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
