//! Tauri commands: each converts its arguments, calls one `studio_api` function and maps the
//! error to `{code, message}`.

pub mod history;
pub mod library;
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
