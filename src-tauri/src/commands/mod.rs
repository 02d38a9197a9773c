//! Tauri commands: each converts its arguments, calls one `studio_api` function and maps the
//! error to `{code, message}`.

pub mod editor;
pub mod history;
pub mod launch;
pub mod library;
pub mod oversight;
pub mod runs;

use studio_api::{ApiError, Diagnostics, NatsCheck, Settings, SquadStatus, StudioApi, Theme};
use tauri::State;

/// Version and folders, for the About / diagnostics view.
#[tauri::command]
pub fn diagnostics(api: State<'_, StudioApi>) -> Result<Diagnostics, ApiError> {
    Ok(api.diagnostics())
}

/// The operator's settings (a readable JSON file in the data folder).
#[tauri::command]
pub fn get_settings(api: State<'_, StudioApi>) -> Result<Settings, ApiError> {
    api.settings()
}

/// Chooses the theme: system, light or dark.
#[tauri::command]
pub fn set_theme(api: State<'_, StudioApi>, theme: Theme) -> Result<Settings, ApiError> {
    api.set_theme(theme)
}

/// Chooses the provider `llm` steps use when they name none (`None`: the simulated one).
#[tauri::command]
pub fn set_default_provider(
    api: State<'_, StudioApi>,
    name: Option<String>,
) -> Result<Settings, ApiError> {
    api.set_default_provider(name.as_deref())
}

/// Turns "simulate every model call" on or off for runs started from the app.
#[tauri::command]
pub fn set_simulate_llm(api: State<'_, StudioApi>, on: bool) -> Result<Settings, ApiError> {
    api.set_simulate_llm(on)
}

/// Sets (or clears, with `None` or blank) the NATS URL of a squad; none: the local engine.
#[tauri::command]
pub fn set_nats_url(api: State<'_, StudioApi>, url: Option<String>) -> Result<Settings, ApiError> {
    api.set_nats_url(url.as_deref())
}

/// "Check connection": the server's version and JetStream, or why it cannot be reached. Checks
/// `url` when given, else the URL of the settings.
#[tauri::command]
pub async fn check_nats(
    api: State<'_, StudioApi>,
    url: Option<String>,
) -> Result<NatsCheck, ApiError> {
    api.check_nats(url.as_deref()).await
}

/// The Workers page: the workers at the NATS URL of the settings, by department.
#[tauri::command]
pub async fn squad_status(api: State<'_, StudioApi>) -> Result<SquadStatus, ApiError> {
    api.squad_status().await
}
