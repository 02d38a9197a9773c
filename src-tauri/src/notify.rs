//! Desktop notifications, sent from the Rust side only (the page has no notification
//! permission). Without the notification plugin (the tests' mock app) nothing is shown.

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::Notification;

/// Shows a desktop notification; failures are logged, never raised.
pub fn show<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
    let Some(plugin) = app.try_state::<Notification<R>>() else {
        return;
    };
    if let Err(err) = plugin.builder().title(title).body(body).show() {
        tracing::warn!(%err, "desktop notification not shown");
    }
}
