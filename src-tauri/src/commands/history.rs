//! History and evidence commands: thin adapters over `studio_api`'s history and evidence
//! functions. The evidence watcher emits `evidence-changed` `{runId}` to the main window while
//! the inspector has it open.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use studio_api::{
    ApiError, EvidenceFile, EvidenceTree, EvidenceWatch, LiveRuns, ResumeStarted, RunCompare,
    RunDetail, RunList, RunListQuery, RunSource, StudioApi,
};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

/// The event the evidence watcher emits.
pub const EVIDENCE_CHANGED: &str = "evidence-changed";

/// Runs in the History, filtered and sorted.
#[tauri::command]
pub async fn list_runs(
    api: State<'_, StudioApi>,
    query: Option<RunListQuery>,
) -> Result<RunList, ApiError> {
    api.list_runs(&query.unwrap_or_default())
}

/// The History's search: runs found by what they produced (or their names), best first
/// unless the query names an order, each with the lines that matched.
#[tauri::command]
pub async fn search_runs(
    api: State<'_, StudioApi>,
    query: RunListQuery,
) -> Result<RunList, ApiError> {
    api.search_runs(&query)
}

/// One run: summary, steps with their final states, and the mission's graph.
#[tauri::command]
pub async fn get_run(api: State<'_, StudioApi>, run_id: String) -> Result<RunDetail, ApiError> {
    api.run_detail(&run_id)
}

/// Two runs side by side.
#[tauri::command]
pub async fn diff_runs(
    api: State<'_, StudioApi>,
    a: String,
    b: String,
) -> Result<RunCompare, ApiError> {
    api.compare_runs(&a, &b)
}

/// "Resume from failure": starts a new live run linked to `run_id` (steps that succeeded are
/// reused) under the app's perimeter, so the Run view can follow it; returns once the new run
/// is in the history.
#[tauri::command]
pub async fn resume_run<R: Runtime>(
    app: AppHandle<R>,
    api: State<'_, StudioApi>,
    live: State<'_, LiveRuns>,
    run_id: String,
) -> Result<ResumeStarted, ApiError> {
    super::runs::listen(&app, &live);
    let (_, _, mut started) = api.prepare_resume_start(&run_id)?;
    started.run_id = live.start(RunSource::Resume(run_id), Default::default())?;
    // The run is recorded before its first step; wait for it so the UI can open it at once.
    let deadline = Instant::now() + Duration::from_secs(5);
    while api.run_detail(&started.run_id).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(25));
    }
    Ok(started)
}

/// The run's evidence folder as a tree.
#[tauri::command]
pub async fn evidence_tree(
    api: State<'_, StudioApi>,
    run_id: String,
) -> Result<EvidenceTree, ApiError> {
    api.evidence_tree(&run_id)
}

/// One file of the run's evidence folder (confined to it, size-limited).
#[tauri::command]
pub async fn read_evidence_file(
    api: State<'_, StudioApi>,
    run_id: String,
    path: String,
) -> Result<EvidenceFile, ApiError> {
    api.read_evidence_file(&run_id, &path)
}

/// Opens the run's evidence folder in the OS file manager; returns its path.
#[tauri::command]
pub fn open_evidence_folder(api: State<'_, StudioApi>, run_id: String) -> Result<String, ApiError> {
    api.open_evidence_folder(&run_id)
        .map(|p| p.display().to_string())
}

/// Watchers of evidence folders, by run id (one per run, however many views watch it).
#[derive(Default)]
struct EvidenceWatchers(Mutex<HashMap<String, (EvidenceWatch, usize)>>);

fn watchers<R: Runtime>(app: &AppHandle<R>) -> State<'_, EvidenceWatchers> {
    if app.try_state::<EvidenceWatchers>().is_none() {
        app.manage(EvidenceWatchers::default());
    }
    app.state::<EvidenceWatchers>()
}

/// Starts watching the run's evidence folder: `evidence-changed` `{runId}` is emitted
/// (debounced) when anything in it changes, until `unwatch_evidence`.
#[tauri::command]
pub fn watch_evidence<R: Runtime>(
    app: AppHandle<R>,
    api: State<'_, StudioApi>,
    run_id: String,
) -> Result<(), ApiError> {
    let state = watchers(&app);
    let mut map = state.0.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, count)) = map.get_mut(&run_id) {
        *count += 1;
        return Ok(());
    }
    let emitter = app.clone();
    let id = run_id.clone();
    let watch = api.watch_evidence(&run_id, move || {
        let _ = emitter.emit_to("main", EVIDENCE_CHANGED, serde_json::json!({ "runId": id }));
    })?;
    map.insert(run_id, (watch, 1));
    Ok(())
}

/// Stops watching the run's evidence folder (when the last view that watches it closes).
#[tauri::command]
pub fn unwatch_evidence<R: Runtime>(app: AppHandle<R>, run_id: String) -> Result<(), ApiError> {
    let state = watchers(&app);
    let mut map = state.0.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, count)) = map.get_mut(&run_id) {
        *count -= 1;
        if *count == 0 {
            map.remove(&run_id);
        }
    }
    Ok(())
}
