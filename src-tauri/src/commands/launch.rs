//! The launch forecast and "fix and retry": thin adapters over `studio_api`. Quick Deploy asks
//! for a template's forecast under the perimeter being edited; the Resume dialog asks what a
//! resume would do (the perimeter it starts from, whether the mission file changed, the
//! forecast) and starts it with the operator's choices.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use studio_api::forecast::LaunchForecast;
use studio_api::library_dto::PerimeterDto;
use studio_api::resume::{ResumeOptions, ResumePreview};
use studio_api::{ApiError, ErrorCode, LiveRuns, ResumeStarted, RunSource, StudioApi};
use tauri::{AppHandle, Runtime, State};

/// The forecast of a template of the library under the operator's perimeter (Quick Deploy).
#[tauri::command]
pub async fn forecast_template(
    api: State<'_, StudioApi>,
    template_id: String,
    perimeter: PerimeterDto,
) -> Result<LaunchForecast, ApiError> {
    api.forecast_template(&template_id, &perimeter)
}

/// The forecast of an active mission, under `perimeter` when the operator is editing it.
#[tauri::command]
pub async fn forecast_active(
    api: State<'_, StudioApi>,
    id: String,
    perimeter: Option<PerimeterDto>,
) -> Result<LaunchForecast, ApiError> {
    api.forecast_active(&id, perimeter.as_ref())
}

/// The forecast of a mission file (validated first), with run inputs.
#[tauri::command]
pub async fn forecast_file(
    api: State<'_, StudioApi>,
    path: String,
    perimeter: Option<PerimeterDto>,
    vars: Option<BTreeMap<String, String>>,
) -> Result<LaunchForecast, ApiError> {
    let inputs = vars
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    api.forecast_file(std::path::Path::new(&path), perimeter.as_ref(), inputs)
}

/// The forecast of a resume with the Resume dialog's choices.
#[tauri::command]
pub async fn forecast_resume(
    api: State<'_, StudioApi>,
    run_id: String,
    options: Option<ResumeOptions>,
) -> Result<LaunchForecast, ApiError> {
    api.forecast_resume(&run_id, &options.unwrap_or_default())
}

/// What a resume would do: the perimeter it starts from, whether the run's mission file
/// changed since, the steps reused and why the others run again.
#[tauri::command]
pub async fn resume_preview(
    api: State<'_, StudioApi>,
    run_id: String,
    options: Option<ResumeOptions>,
) -> Result<ResumePreview, ApiError> {
    api.resume_preview(&run_id, &options.unwrap_or_default())
}

/// Starts a resume with the Resume dialog's choices (a raised cap, the current mission file);
/// returns once the new run is in the history, as `resume_run` does.
#[tauri::command]
pub async fn resume_run_with<R: Runtime>(
    app: AppHandle<R>,
    api: State<'_, StudioApi>,
    live: State<'_, LiveRuns>,
    run_id: String,
    options: ResumeOptions,
) -> Result<ResumeStarted, ApiError> {
    super::runs::listen(&app, &live);
    let plan = api.prepare_resume_options(&run_id, &options)?;
    let source = RunSource::ResumeWith {
        run_id: run_id.clone(),
        options,
    };
    let live = live.inner().clone();
    let new_run =
        tauri::async_runtime::spawn_blocking(move || live.start(source, Default::default()))
            .await
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))??;
    // The run is recorded before its first step; wait for it so the UI can open it at once.
    let deadline = Instant::now() + Duration::from_secs(5);
    while api.run_detail(&new_run).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(25));
    }
    Ok(ResumeStarted {
        run_id: new_run,
        resumed_from: run_id,
        reused_steps: plan.reuse.keys().cloned().collect(),
        rerun_steps: plan.rerun_steps(),
    })
}
