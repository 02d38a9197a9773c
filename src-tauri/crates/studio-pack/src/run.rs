//! A run that leaves its evidence folder: the one call the CLI and the app make.

use crate::folder::{EvidenceFolder, RunIdentity};
use crate::PackError;
use std::path::{Path, PathBuf};
use studio_core::Mission;
use studio_engine::{run_mission, EventSink, FanOutSink, JsonlFileSink, RunOptions, RunResult};

/// Runs `mission` with its workspace inside a new evidence folder under `runs_dir`. Events go to
/// the folder's `events.jsonl` and to `extra_sink`. Returns the result and the folder.
///
/// `options.workspace` is replaced by the folder's `workspace/`.
pub async fn run_with_evidence(
    mission: &Mission,
    logic_hash: &str,
    runs_dir: &Path,
    mut options: RunOptions,
    extra_sink: impl EventSink + 'static,
) -> Result<(RunResult, PathBuf), PackError> {
    let identity = RunIdentity {
        run_id: options.run_id.clone(),
        trace_id: options.trace_id.clone(),
        logic_hash: logic_hash.to_string(),
        started_at: chrono::Utc::now(),
    };
    let mut folder = EvidenceFolder::create(runs_dir, mission, &identity)?;
    options.workspace = folder.workspace();
    let events = JsonlFileSink::create(folder.events_path()).map_err(|e| PackError::Io {
        path: folder.events_path(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let mut sink = FanOutSink::new().with(events).with(extra_sink);
    match run_mission(mission, options, &mut sink).await {
        Ok(result) => {
            folder.finish(mission, &result)?;
            Ok((result, folder.root().to_path_buf()))
        }
        Err(e) => {
            folder.abort(&e.to_string())?;
            Err(PackError::Engine(e))
        }
    }
}
