//! Live runs: start a mission, follow its events over a `Channel`, cancel it, answer its
//! approvals. Each command converts its arguments and calls one `studio_api::LiveRuns` function.
//!
//! The window hears `approvals-changed` (the number waiting) for the navigation badge; a desktop
//! notification says when a run blocks or ends while the window is not focused (sent from here:
//! the page itself has no notification permission).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use studio_api::live::{ApprovalDto, LiveRunDto, RunEventDto, RunViewDto, StepDetailDto};
use studio_api::{ApiError, ErrorCode, LiveNotice, LiveRuns, RunSource};
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

/// The window event that carries the number of approval requests waiting.
pub const APPROVALS_CHANGED: &str = "approvals-changed";

/// What to run: exactly one of a mission file, a template id of the library.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartRunRequest {
    pub path: Option<String>,
    pub template_id: Option<String>,
    /// Run inputs (`{{context.<name>}}`).
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
}

/// Hooks the registry's notices to the window once (the first command that needs it).
pub(crate) fn listen<R: Runtime>(app: &AppHandle<R>, live: &LiveRuns) {
    let handle = app.clone();
    live.set_listener_once(move |notice| on_notice(&handle, notice));
}

fn on_notice<R: Runtime>(app: &AppHandle<R>, notice: LiveNotice) {
    match notice {
        LiveNotice::ApprovalsChanged { pending } => {
            let _ = app.emit(APPROVALS_CHANGED, pending);
        }
        LiveNotice::Blocked {
            mission_name,
            step_id,
            ..
        } => notify_unfocused(
            app,
            "Approval needed",
            &format!("{mission_name}: step {step_id} waits for your approval"),
        ),
        LiveNotice::Ended {
            mission_name,
            status,
            ..
        } => notify_unfocused(
            app,
            "Run finished",
            &format!("{mission_name}: {}", status.replace('_', " ")),
        ),
    }
}

/// A desktop notification, only when the main window is not focused.
fn notify_unfocused<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
    let focused = app
        .get_webview_window("main")
        .and_then(|w| w.is_focused().ok())
        .unwrap_or(false);
    if focused {
        return;
    }
    crate::notify::show(app, title, body);
}

/// Starts a run in the background; returns its id at once.
#[tauri::command]
pub async fn start_run<R: Runtime>(
    app: AppHandle<R>,
    live: State<'_, LiveRuns>,
    request: StartRunRequest,
) -> Result<String, ApiError> {
    listen(&app, &live);
    let source = match (request.path, request.template_id) {
        (Some(path), None) => RunSource::File(PathBuf::from(path)),
        (None, Some(id)) => RunSource::Template(id),
        _ => {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                "give exactly one of a mission file path or a template id",
            ))
        }
    };
    let context = request
        .vars
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    let live = live.inner().clone();
    tauri::async_runtime::spawn_blocking(move || live.start(source, context))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?
}

/// How long a batch of events waits for more before it is sent.
const BATCH_WINDOW: Duration = Duration::from_millis(16);
/// The most events in one message.
const BATCH_MAX: usize = 1024;

/// One message of `attach_run`: an event, or with `batch`, the events of up to one frame.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(untagged)]
pub enum RunEvents {
    One(Box<RunEventDto>),
    Many(Vec<RunEventDto>),
}

/// Sends the run's events with `seq > after_seq` on `on_event`: the history's first, then the
/// live ones, until the final event. Returns once following started. With `batch`, each message
/// is an array of the events of up to 16 ms (a burst of a large run, or a replay, costs the
/// window a few messages, not one per event); without it, each message is one event.
#[tauri::command]
pub async fn attach_run<R: Runtime>(
    app: AppHandle<R>,
    live: State<'_, LiveRuns>,
    run_id: String,
    after_seq: u64,
    batch: Option<bool>,
    on_event: Channel<RunEvents>,
) -> Result<(), ApiError> {
    listen(&app, &live);
    live.check_known(&run_id)?;
    let live = live.inner().clone();
    if !batch.unwrap_or(false) {
        tauri::async_runtime::spawn(async move {
            let followed = live
                .follow(&run_id, after_seq, |e| {
                    on_event
                        .send(RunEvents::One(Box::new(RunEventDto::from(e))))
                        .is_ok()
                })
                .await;
            if let Err(e) = followed {
                tracing::warn!(run_id, error = %e, "following a run stopped");
            }
        });
        return Ok(());
    }
    let (tx, rx) = mpsc::channel::<RunEventDto>();
    std::thread::Builder::new()
        .name("run-events".into())
        .spawn(move || send_batches(&rx, &on_event))
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    tauri::async_runtime::spawn(async move {
        let followed = live
            .follow(&run_id, after_seq, |e| {
                tx.send(RunEventDto::from(e)).is_ok()
            })
            .await;
        if let Err(e) = followed {
            tracing::warn!(run_id, error = %e, "following a run stopped");
        }
    });
    Ok(())
}

/// Sends what `rx` receives in batches: the first event waits at most [`BATCH_WINDOW`] for
/// others. Ends when the follower ends or the window is gone.
fn send_batches(rx: &mpsc::Receiver<RunEventDto>, on_event: &Channel<RunEvents>) {
    while let Ok(first) = rx.recv() {
        let until = Instant::now() + BATCH_WINDOW;
        let mut batch = vec![first];
        while batch.len() < BATCH_MAX {
            match rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        if on_event.send(RunEvents::Many(batch)).is_err() {
            return;
        }
    }
}

/// Cancels a run: running steps stop and their process trees are killed.
#[tauri::command]
pub fn cancel_run(live: State<'_, LiveRuns>, run_id: String) -> Result<(), ApiError> {
    live.cancel(&run_id)
}

/// The runs started from this window, newest first.
#[tauri::command]
pub fn list_live_runs<R: Runtime>(
    app: AppHandle<R>,
    live: State<'_, LiveRuns>,
) -> Result<Vec<LiveRunDto>, ApiError> {
    listen(&app, &live);
    Ok(live.list())
}

/// Every approval request waiting, oldest first.
#[tauri::command]
pub fn pending_approvals<R: Runtime>(
    app: AppHandle<R>,
    live: State<'_, LiveRuns>,
) -> Result<Vec<ApprovalDto>, ApiError> {
    listen(&app, &live);
    Ok(live.pending_approvals())
}

/// Approves or denies a waiting step.
#[tauri::command]
pub fn answer_approval(
    live: State<'_, LiveRuns>,
    run_id: String,
    step_id: String,
    approve: bool,
    note: Option<String>,
) -> Result<(), ApiError> {
    live.answer_approval(&run_id, &step_id, approve, note)
}

/// Sets a typed state field while the run waits for an approval (checked against its type).
#[tauri::command]
pub async fn edit_state(
    live: State<'_, LiveRuns>,
    run_id: String,
    field: String,
    value: serde_json::Value,
) -> Result<(), ApiError> {
    let live = live.inner().clone();
    live.edit_state(&run_id, &field, value).await
}

/// A run's graph and its state now.
#[tauri::command]
pub async fn run_view(live: State<'_, LiveRuns>, run_id: String) -> Result<RunViewDto, ApiError> {
    let live = live.inner().clone();
    tauri::async_runtime::spawn_blocking(move || live.run_view(&run_id))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?
}

/// One step in full, for the step drawer.
#[tauri::command]
pub async fn step_detail(
    live: State<'_, LiveRuns>,
    run_id: String,
    step_id: String,
) -> Result<StepDetailDto, ApiError> {
    let live = live.inner().clone();
    tauri::async_runtime::spawn_blocking(move || live.step_detail(&run_id, &step_id))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?
}
