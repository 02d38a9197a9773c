//! The history of runs (SQLite, shared by the app and the CLI): start-up recovery, the queries
//! behind `mission history | show | diff` and the app's History view.

use crate::{ApiError, ErrorCode, StudioApi};
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;
use studio_core::StepStatus;
use studio_engine::Event;
use studio_store::{
    ProcessIdentity, RecoveredRun, RunFilter, RunSummary, StepRow, Store, StoreError,
};

/// What start-up recovery did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecoveryReport {
    /// Runs of processes that are gone, now `failed` with reason `interrupted`.
    pub interrupted_runs: Vec<RecoveredRun>,
    /// Leftover temporary files removed from evidence folders.
    pub temp_files_removed: usize,
}

/// `mission show`: a run with its steps, events and evidence folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunDetails {
    pub run: RunSummary,
    pub steps: Vec<StepRow>,
    pub events: Vec<Event>,
    pub evidence_dir: Option<String>,
}

/// `mission diff`: two runs side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunDiff {
    pub a: RunSummary,
    pub b: RunSummary,
    /// Every step of either run, in the order of run A (then B's extra steps).
    pub steps: Vec<StepDiff>,
}

/// One step in both runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepDiff {
    pub step_id: String,
    pub a: Option<StepSide>,
    pub b: Option<StepSide>,
    pub same_status: bool,
    pub same_output: bool,
}

/// One step of one run, as the diff shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepSide {
    pub status: StepStatus,
    pub duration_ms: u64,
    pub attempts: u32,
    pub output: Option<Value>,
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reused_from: Option<String>,
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let code = match &e {
            StoreError::UnknownRun(_) => ErrorCode::NotFound,
            StoreError::TooNew { .. }
            | StoreError::Setting { .. }
            | StoreError::Open { .. }
            | StoreError::DiskFull
            | StoreError::Busy { .. } => ErrorCode::Io,
            _ => ErrorCode::Internal,
        };
        ApiError::new(code, e.to_string())
    }
}

impl StudioApi {
    /// Opens the history database (`<data dir>/mission-studio.db`) and, the first time in this
    /// process, recovers from crashes: runs left `running` by a process that is gone are ended
    /// (`failed`, reason `interrupted`, a final event) and leftover temporary files of evidence
    /// folders are removed. Every history function goes through here, so nothing reads the
    /// history before recovery ran. The app calls it at start-up; so does the CLI.
    pub fn recover_interrupted_runs(&self) -> Result<RecoveryReport, ApiError> {
        self.with_store(|_| Ok(()))?;
        Ok(self.history.recovery.get().cloned().unwrap_or_default())
    }

    /// Runs the closure on the (lazily opened, recovered) history database.
    pub(crate) fn with_store<T>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut guard = self.history.store.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let mut store = Store::open(self.paths.database_path())?;
            let report = recover(&mut store, &self.paths.runs_dir())?;
            let _ = self.history.recovery.set(report);
            *guard = Some(store);
        }
        f(guard.as_mut().expect("opened above"))
    }

    /// Runs, newest first (`mission history`).
    pub fn history(&self, filter: &RunFilter) -> Result<Vec<RunSummary>, ApiError> {
        self.with_store(|s| Ok(s.list_runs(filter)?))
    }

    /// One run with its steps and events (`mission show`).
    pub fn run_details(&self, run_id: &str) -> Result<RunDetails, ApiError> {
        self.with_store(|s| {
            let run = s.run(run_id)?;
            Ok(RunDetails {
                steps: s.steps(run_id)?,
                events: s.events(run_id, 0)?,
                evidence_dir: run.evidence_dir.clone(),
                run,
            })
        })
    }

    /// Two runs side by side (`mission diff`).
    pub fn diff_runs(&self, a: &str, b: &str) -> Result<RunDiff, ApiError> {
        let (ra, sa) = self.with_store(|s| Ok((s.run(a)?, s.steps(a)?)))?;
        let (rb, sb) = self.with_store(|s| Ok((s.run(b)?, s.steps(b)?)))?;
        Ok(diff(ra, sa, rb, sb))
    }
}

/// The history's state shared by clones of one [`StudioApi`].
#[derive(Debug, Default)]
pub(crate) struct HistoryState {
    store: std::sync::Mutex<Option<Store>>,
    recovery: std::sync::OnceLock<RecoveryReport>,
}

fn recover(store: &mut Store, runs_dir: &std::path::Path) -> Result<RecoveryReport, ApiError> {
    let interrupted_runs = store.recover_interrupted(ProcessIdentity::is_alive)?;
    for run in &interrupted_runs {
        if let Some(dir) = &run.evidence_dir {
            let _ = studio_pack::mark_interrupted(
                &PathBuf::from(dir),
                studio_store::INTERRUPTED,
                &run.finished_at,
            );
        }
    }
    let temp_files_removed = studio_pack::clean_temp_files(runs_dir, |pid| {
        ProcessIdentity {
            pid,
            start_ticks: None,
        }
        .is_alive()
    });
    Ok(RecoveryReport {
        interrupted_runs,
        temp_files_removed,
    })
}

fn side(row: &StepRow) -> StepSide {
    StepSide {
        status: row.status,
        duration_ms: row.duration_ms,
        attempts: row.attempts,
        output: row.output.clone(),
        error: row.error.clone(),
        reused_from: row.reused_from.clone(),
    }
}

fn diff(a: RunSummary, sa: Vec<StepRow>, b: RunSummary, sb: Vec<StepRow>) -> RunDiff {
    let mut order: Vec<&str> = sa.iter().map(|s| s.step_id.as_str()).collect();
    for s in &sb {
        if !order.contains(&s.step_id.as_str()) {
            order.push(&s.step_id);
        }
    }
    let steps = order
        .into_iter()
        .map(|id| {
            let x = sa.iter().find(|s| s.step_id == id).map(side);
            let y = sb.iter().find(|s| s.step_id == id).map(side);
            let same_status = matches!((&x, &y), (Some(x), Some(y)) if x.status == y.status);
            let same_output = matches!((&x, &y), (Some(x), Some(y)) if x.output == y.output);
            StepDiff {
                step_id: id.to_string(),
                a: x,
                b: y,
                same_status,
                same_output,
            }
        })
        .collect();
    RunDiff { a, b, steps }
}
