//! The daily batch in the app: at start-up when overdue, then every 24 hours by wall clock
//! (DESIGN §10). The run-once lock in the database keeps it to one batch at a time, even with the
//! CLI's `mission batch run` beside it. After each batch the Library reloads its figures.

use crate::commands::library::TEMPLATES_CHANGED;
use studio_api::StudioApi;
use tauri::{AppHandle, Emitter, Manager, Runtime};

/// Starts the schedule for the app's lifetime (the handle is kept in the app state).
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let api = app.state::<StudioApi>().inner().clone();
    let handle = app.clone();
    let started = api.start_batch_schedule(move |attempt| match attempt {
        Ok(summary) => {
            tracing::info!(
                job_id = summary.job_id,
                templates = summary.templates,
                runs = summary.runs,
                flags_created = summary.flags_created,
                "the daily batch completed"
            );
            let _ = handle.emit(TEMPLATES_CHANGED, ());
        }
        Err(err) => tracing::warn!(%err, "the daily batch did not complete"),
    });
    match started {
        Ok(scheduler) => {
            app.manage(BatchSchedule {
                _scheduler: std::sync::Mutex::new(Box::new(scheduler)),
            });
        }
        Err(err) => tracing::warn!(%err, "the daily batch is not scheduled"),
    }
}

/// Holds the scheduler for the app's lifetime (dropping it stops the schedule).
struct BatchSchedule {
    _scheduler: std::sync::Mutex<Box<dyn std::any::Any + Send>>,
}
