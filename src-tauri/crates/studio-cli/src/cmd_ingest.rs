//! `mission ingest PATH`: adds a run made elsewhere to this history (the mission pack
//! lifecycle's INGEST: a run's outputs and evidence become part of the local, searchable
//! history). PATH is a package written by `mission package` (a `.tar.gz` whose files are
//! checked against the SHA-256 of its manifest) or a finished run's evidence folder (copied
//! into the data folder's `runs/`, hashed on the way). The run then shows in `mission history`
//! and `mission show`.
//!
//! Refused (exit 2): a damaged or foreign package, a run that has not ended, a folder that is
//! not an evidence folder (a mission pack that has not run yet is run with `mission run DIR`),
//! and a run already in the history.

use serde_json::Value;
use std::path::{Path, PathBuf};
use studio_api::studio_core::StepStatus;
use studio_api::studio_engine::{Event, StepResult};
use studio_api::studio_pack::{Meta, Package, PackageError};
use studio_api::studio_store::{IngestError, IngestRun, RunSummary, StepRow, Store, StoreError};

const USAGE: u8 = 2;

/// Runs the command; returns the exit code.
pub fn ingest(data_dir: Option<&Path>, path: &Path, json: bool) -> u8 {
    match run(data_dir, path) {
        Ok(done) => {
            if json {
                let doc = serde_json::json!({
                    "run_id": done.run_id,
                    "evidence_dir": done.folder.display().to_string(),
                    "steps": done.steps,
                    "events": done.events,
                    "files": done.files,
                });
                println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            } else {
                println!("{}", done.run_id);
                eprintln!(
                    "ingested run {} ({} files verified, {} steps, {} events) into {}",
                    done.run_id,
                    done.files,
                    done.steps,
                    done.events,
                    done.folder.display()
                );
            }
            if let Some(from) = done.dropped_resumed_from {
                eprintln!(
                    "note: it resumed run {from}, which this history does not hold; the link was \
                     left out"
                );
            }
            0
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            USAGE
        }
        Err(Failure::Other(message)) => {
            eprintln!("error: {message}");
            1
        }
    }
}

enum Failure {
    Usage(String),
    Other(String),
}

impl From<PackageError> for Failure {
    fn from(e: PackageError) -> Self {
        match e {
            PackageError::Io { .. } => Self::Other(e.to_string()),
            _ => Self::Usage(e.to_string()),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Self::Other(e.to_string())
    }
}

struct Done {
    run_id: String,
    folder: PathBuf,
    files: usize,
    steps: usize,
    events: usize,
    dropped_resumed_from: Option<String>,
}

fn run(data_dir: Option<&Path>, path: &Path) -> Result<Done, Failure> {
    let paths =
        studio_api::AppPaths::resolve(data_dir).map_err(|e| Failure::Other(e.to_string()))?;
    let package = if path.is_dir() {
        from_folder(path)?
    } else if path.is_file() {
        studio_api::studio_pack::read_package(path)?
    } else {
        return Err(Failure::Usage(format!(
            "{}: no such file or folder",
            path.display()
        )));
    };
    let run_id = package.manifest.run_id.clone();
    let mut store = Store::open(paths.database_path())?;
    match store.run(&run_id) {
        Ok(existing) => {
            return Err(Failure::Usage(format!(
                "run {run_id} is already in the history (evidence: {}); nothing was changed",
                existing.evidence_dir.as_deref().unwrap_or("none")
            )))
        }
        Err(StoreError::UnknownRun(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let runs_dir = paths.runs_dir();
    let folder = unpack_or_reuse(&package, path, &runs_dir)?;
    let record = match record_of(&folder) {
        Ok(r) => r,
        Err(message) => {
            cleanup(&folder, path);
            return Err(Failure::Usage(message));
        }
    };
    match store.ingest_run(&record) {
        Ok(done) => Ok(Done {
            run_id,
            folder,
            files: package.files.len(),
            steps: done.steps,
            events: done.events,
            dropped_resumed_from: done.dropped_resumed_from,
        }),
        Err(e) => {
            cleanup(&folder, path);
            Err(match e {
                IngestError::Store(s) => Failure::Other(s.to_string()),
                other => Failure::Usage(other.to_string()),
            })
        }
    }
}

/// A finished run's evidence folder as a package (its manifest built by hashing every file).
fn from_folder(dir: &Path) -> Result<Package, Failure> {
    if !dir.join("meta.json").exists() {
        let hint = if dir.join("mission.yaml").exists() {
            format!(
                "; it looks like a mission pack that has not run: run it with `mission run {}`",
                dir.display()
            )
        } else {
            String::new()
        };
        return Err(Failure::Usage(format!(
            "{} is not a run's evidence folder or a package (no meta.json){hint}",
            dir.display()
        )));
    }
    let manifest = studio_api::studio_pack::manifest_of(dir)?;
    let mut files = Vec::with_capacity(manifest.files.len());
    for f in &manifest.files {
        let file = dir.join(&f.path);
        let bytes =
            std::fs::read(&file).map_err(|e| Failure::Other(format!("{}: {e}", file.display())))?;
        if studio_api::studio_pack::sha256_hex(&bytes) != f.sha256 {
            return Err(Failure::Usage(format!(
                "{} changed while it was read",
                file.display()
            )));
        }
        files.push((f.path.clone(), bytes));
    }
    Ok(Package { manifest, files })
}

/// Where the run's folder lives in this data folder: a folder already under `runs/` stays
/// where it is; anything else is written there.
fn unpack_or_reuse(package: &Package, source: &Path, runs_dir: &Path) -> Result<PathBuf, Failure> {
    if source.is_dir() {
        let here = runs_dir.join(&package.manifest.folder);
        let same = match (source.canonicalize(), here.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if same {
            return Ok(here);
        }
    }
    Ok(studio_api::studio_pack::unpack(package, runs_dir)?)
}

/// Removes a folder this command wrote (never the source folder itself).
fn cleanup(folder: &Path, source: &Path) {
    let is_source = match (folder.canonicalize(), source.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => true,
    };
    if !is_source {
        let _ = std::fs::remove_dir_all(folder);
    }
}

/// The history record of an evidence folder: meta.json, mission.yaml, the step records
/// (`evidence/raw/*.json` and `evidence/raw/steps.jsonl`), events.jsonl.
fn record_of(folder: &Path) -> Result<IngestRun, String> {
    let meta: Meta = studio_api::studio_pack::read_meta(folder).map_err(|e| e.to_string())?;
    let loaded = studio_api::studio_core::load_file(&folder.join("mission.yaml"))
        .map_err(|e| e.to_string())?;
    let mission = loaded.mission;
    let mut steps = Vec::new();
    let records = studio_api::studio_pack::read_records(folder).map_err(|e| e.to_string())?;
    let positions: std::collections::HashMap<&str, usize> = mission
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    for record in records {
        let source = || format!("{}: {}", folder.display(), record.source);
        let doc = record.doc;
        let step_id = doc["step_id"].as_str().unwrap_or_default().to_string();
        let result: StepResult = serde_json::from_value(doc["result"].clone())
            .map_err(|e| format!("{}: {e}", source()))?;
        let position = *positions
            .get(step_id.as_str())
            .ok_or_else(|| format!("{}: step `{step_id}` is not in mission.yaml", source()))?;
        steps.push(step_row(step_id, position as u32, result));
    }
    steps.sort_by_key(|s| s.position);
    let mut events = Vec::new();
    let events_path = folder.join("events.jsonl");
    if events_path.exists() {
        let text = std::fs::read_to_string(&events_path)
            .map_err(|e| format!("{}: {e}", events_path.display()))?;
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let event: Event = serde_json::from_str(line)
                .map_err(|e| format!("{} line {}: {e}", events_path.display(), i + 1))?;
            events.push(event);
        }
    }
    let run = RunSummary {
        run_id: meta.run_id,
        mission_id: meta.mission_id,
        mission_name: meta.mission_name,
        status: meta.status,
        reason: meta.reason,
        started_at: meta.started_at,
        finished_at: meta.finished_at,
        usage: meta.usage,
        evidence_dir: Some(folder.display().to_string()),
        resumed_from: meta.resumed_from,
        trace_id: meta.trace_id,
        logic_hash: meta.logic_hash,
        step_count: mission.steps.len() as u32,
    };
    Ok(IngestRun {
        run,
        mission: serde_json::to_value(&mission).map_err(|e| e.to_string())?,
        context: Value::Object(Default::default()),
        steps,
        events,
    })
}

fn step_row(step_id: String, position: u32, r: StepResult) -> StepRow {
    let at = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    };
    StepRow {
        step_id,
        position,
        step_type: r.step_type.to_string(),
        status: r.status,
        output: (r.status != StepStatus::Skipped || !r.output.is_null()).then_some(r.output),
        error: r.error,
        attempts: r.attempts,
        started_at: at(r.started_at),
        finished_at: at(r.finished_at),
        duration_ms: r.duration_ms,
        reused_from: r.reused_from,
    }
}
