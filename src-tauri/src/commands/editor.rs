//! The Editor page: check a mission text as one types, preview it, generate one from a plan,
//! compare it with another, save it, open a file, and run it. Thin adapters over `studio_api`.

use std::path::PathBuf;
use studio_api::{
    ApiError, EditorPreview, ErrorCode, LiveRuns, MissionDiff, MissionReport, RunSource,
    SavedMission, StudioApi,
};
use tauri::{AppHandle, Runtime, State};

/// Every problem of the text, located, as `mission validate` reports it. `file_name`: the file
/// the text came from (none: the text is meant for the library, whose rules apply too).
#[tauri::command]
pub async fn check_mission_text(
    api: State<'_, StudioApi>,
    text: String,
    file_name: Option<String>,
) -> Result<MissionReport, ApiError> {
    Ok(api.check_mission_text(&text, file_name.as_deref()))
}

/// The steps and the approval preview of the text.
#[tauri::command]
pub async fn mission_preview(
    api: State<'_, StudioApi>,
    text: String,
    file_name: Option<String>,
) -> Result<EditorPreview, ApiError> {
    api.mission_preview(&text, file_name.as_deref())
}

/// A mission text from a name and a plan (`a,b|c,d`).
#[tauri::command]
pub fn generate_mission(name: String, plan: String) -> Result<String, ApiError> {
    studio_api::generate_mission(&name, &plan)
}

/// The steps `b_text` adds, removes and changes against `a_text`.
#[tauri::command]
pub fn diff_missions(a_text: String, b_text: String) -> Result<MissionDiff, ApiError> {
    studio_api::diff_missions(&a_text, &b_text)
}

/// Saves the text back to `path`, or into the library when none; refused with errors.
#[tauri::command]
pub async fn save_mission_text(
    api: State<'_, StudioApi>,
    text: String,
    path: Option<String>,
) -> Result<SavedMission, ApiError> {
    api.save_mission_text(&text, path.as_deref().map(std::path::Path::new))
}

/// The text of a mission file the operator opened or dropped.
#[tauri::command]
pub async fn read_mission_file(
    api: State<'_, StudioApi>,
    path: String,
) -> Result<String, ApiError> {
    api.read_mission_file(std::path::Path::new(&path))
}

/// Runs the text as it is (validated first, as any run); returns the run's id at once.
#[tauri::command]
pub async fn run_mission_text<R: Runtime>(
    app: AppHandle<R>,
    api: State<'_, StudioApi>,
    live: State<'_, LiveRuns>,
    text: String,
    path: Option<String>,
) -> Result<String, ApiError> {
    super::runs::listen(&app, &live);
    let report = api.check_mission_text(&text, path.as_deref());
    if report.errors > 0 {
        let first = report
            .items
            .iter()
            .find(|i| i.severity == "error")
            .map(|i| i.message.clone())
            .unwrap_or_default();
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            format!("not run: the mission has errors; first, {first}"),
        ));
    }
    let origin = path.as_deref().unwrap_or(studio_api::editor::EDITOR_ORIGIN);
    let mission = studio_api::editor::parse_mission(&text, origin)?;
    // A text without a file finds registry tools as the bundled library's templates do.
    let origin = path.map(PathBuf::from).or_else(|| {
        api.paths()
            .builtin_templates_dir()
            .map(|d| d.join(studio_api::editor::EDITOR_ORIGIN))
    });
    let source = RunSource::Mission {
        mission: Box::new(mission),
        origin,
    };
    let live = live.inner().clone();
    tauri::async_runtime::spawn_blocking(move || live.start(source, Default::default()))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?
}
