//! Tauri commands: each converts its arguments, calls one `studio_api` function and maps the
//! error to `{code, message}`.

pub mod history;
pub mod launch;
pub mod library;
pub mod oversight;
pub mod runs;

use studio_api::{ApiError, Diagnostics, Settings, StudioApi, Theme};
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
