//! Library, perimeter and settings commands: thin adapters over `studio_api`. The template
//! watcher emits `templates-changed` to the window whenever the library changes on disk.

use studio_api::library_dto::{
    ActiveMissionDto, LibraryTemplate, LibraryTemplateDetail, PerimeterDto, StepApprovalPreview,
    TemplateRun,
};
use studio_api::provider_check::ProviderCheck;
use studio_api::providers::{LlmProvider, LlmProviderInput};
use studio_api::{ApiError, ErrorCode, LiveRuns, StudioApi, TemplateQuery};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

/// The broadcast sent when template files change.
pub const TEMPLATES_CHANGED: &str = "templates-changed";

/// The library's templates, as cards.
#[tauri::command]
pub async fn list_templates(
    api: State<'_, StudioApi>,
    query: Option<TemplateQuery>,
) -> Result<Vec<LibraryTemplate>, ApiError> {
    api.library_templates(&query.unwrap_or_default())
}

/// One template in full.
#[tauri::command]
pub async fn get_template(
    api: State<'_, StudioApi>,
    id: String,
) -> Result<LibraryTemplateDetail, ApiError> {
    api.library_template(&id)
}

/// The template files left out of the library, each with its full report.
#[tauri::command]
pub async fn library_problems(
    api: State<'_, StudioApi>,
) -> Result<Vec<studio_api::MissionReport>, ApiError> {
    api.library_problems()
}

/// A template's newest runs, for its history chart.
#[tauri::command]
pub async fn template_runs(
    api: State<'_, StudioApi>,
    id: String,
) -> Result<Vec<TemplateRun>, ApiError> {
    api.template_runs(&id)
}

/// Which steps of a template will wait for approval under a perimeter.
#[tauri::command]
pub async fn approval_preview(
    api: State<'_, StudioApi>,
    template_id: String,
    perimeter: PerimeterDto,
) -> Result<Vec<StepApprovalPreview>, ApiError> {
    api.approval_preview(&template_id, &perimeter)
}

/// Saved active missions, newest first.
#[tauri::command]
pub async fn list_active_missions(
    api: State<'_, StudioApi>,
) -> Result<Vec<ActiveMissionDto>, ApiError> {
    api.active_missions()
}

/// Saves a template under a perimeter as an active mission (refused above the hard caps).
#[tauri::command]
pub async fn deploy_mission(
    api: State<'_, StudioApi>,
    template_id: String,
    perimeter: PerimeterDto,
    name: Option<String>,
) -> Result<ActiveMissionDto, ApiError> {
    api.deploy_from_app(&template_id, &perimeter, name.as_deref())
}

/// Edits an active mission in place: name, perimeter (refused above the hard caps) and, when
/// given, its inputs.
#[tauri::command]
pub async fn update_active_mission(
    api: State<'_, StudioApi>,
    id: String,
    perimeter: PerimeterDto,
    name: Option<String>,
    inputs: Option<std::collections::BTreeMap<String, serde_json::Value>>,
) -> Result<ActiveMissionDto, ApiError> {
    api.update_active_from_app(&id, &perimeter, name.as_deref(), inputs.as_ref())
}

/// Deletes an active mission; its runs stay in the history.
#[tauri::command]
pub async fn delete_active_mission(api: State<'_, StudioApi>, id: String) -> Result<(), ApiError> {
    api.delete_active(&id)
}

/// Starts a run of an active mission in the background (followed live by the Runs page):
/// the template as its file is now, under the active mission's perimeter.
#[tauri::command]
pub async fn run_active_mission(
    api: State<'_, StudioApi>,
    live: State<'_, LiveRuns>,
    id: String,
) -> Result<RunStarted, ApiError> {
    let (source, inputs) = api.active_run_source(&id)?;
    let live = live.inner().clone();
    let run_id = tauri::async_runtime::spawn_blocking(move || live.start(source, inputs))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))??;
    Ok(RunStarted { run_id })
}

/// The run a command started.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunStarted {
    pub run_id: String,
}

/// The global hard caps.
#[tauri::command]
pub async fn get_caps(api: State<'_, StudioApi>) -> Result<PerimeterDto, ApiError> {
    api.caps()
}

/// Replaces the global hard caps.
#[tauri::command]
pub async fn set_caps(
    api: State<'_, StudioApi>,
    caps: PerimeterDto,
) -> Result<PerimeterDto, ApiError> {
    api.set_caps(&caps)
}

/// The OpenAI-compatible providers (never their keys).
#[tauri::command]
pub async fn list_llm_providers(api: State<'_, StudioApi>) -> Result<Vec<LlmProvider>, ApiError> {
    api.llm_providers()
}

/// Adds or replaces a provider; its key goes to the OS keyring or the settings file.
#[tauri::command]
pub async fn save_llm_provider(
    api: State<'_, StudioApi>,
    provider: LlmProviderInput,
) -> Result<Vec<LlmProvider>, ApiError> {
    api.save_llm_provider(&provider)
}

/// Removes a provider and its key.
#[tauri::command]
pub async fn delete_llm_provider(
    api: State<'_, StudioApi>,
    id: String,
) -> Result<Vec<LlmProvider>, ApiError> {
    api.delete_llm_provider(&id)
}

/// "Test connection": one real request to a provider's endpoint (never shows its key).
#[tauri::command]
pub async fn test_llm_provider(
    api: State<'_, StudioApi>,
    id: String,
) -> Result<ProviderCheck, ApiError> {
    api.check_llm_provider(&id).await
}

/// Keeps the library in step with its folders and tells the window (`templates-changed`).
/// The watcher lives as long as the app.
pub fn watch_templates<R: Runtime>(app: &AppHandle<R>) {
    let api = app.state::<StudioApi>().inner().clone();
    let handle = app.clone();
    match api.watch_templates(move |_report| {
        let _ = handle.emit(TEMPLATES_CHANGED, ());
    }) {
        Ok(watcher) => {
            app.manage(TemplateWatcherState {
                _watcher: std::sync::Mutex::new(watcher),
            });
        }
        Err(err) => tracing::warn!(%err, "the template folders are not watched"),
    }
}

/// Holds the watcher for the app's lifetime (dropping it stops watching).
struct TemplateWatcherState {
    _watcher: std::sync::Mutex<studio_api::library::TemplateWatcher>,
}
