//! `mission package RUN_ID [--out FILE]`: packs a finished run's evidence folder into one
//! portable `.tar.gz` with `manifest.json` (run, mission, status, hashes, and every file's size
//! and SHA-256). Unknown or unfinished runs are refused (exit 2). Prints the archive's path on
//! stdout, or with `--json` the manifest plus `archive`.

use std::path::{Path, PathBuf};
use studio_api::studio_store::{Store, StoreError};

const USAGE: u8 = 2;

/// Runs the command; returns the exit code.
pub fn package(data_dir: Option<&Path>, run_id: &str, out: Option<&Path>, json: bool) -> u8 {
    let paths = match studio_api::AppPaths::resolve(data_dir) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let run = match Store::open(paths.database_path()).and_then(|s| s.run(run_id)) {
        Ok(run) => run,
        Err(StoreError::UnknownRun(_)) => {
            eprintln!("error: no run with id `{run_id}` in the history (see `mission history`)");
            return USAGE;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    if !run.status.is_final() {
        eprintln!(
            "error: run {run_id} is still {}; only a finished run can be packaged",
            run.status.as_str()
        );
        return USAGE;
    }
    let Some(folder) = run.evidence_dir.as_deref().map(PathBuf::from) else {
        eprintln!("error: run {run_id} has no evidence folder to package");
        return USAGE;
    };
    let name = folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| run_id.to_string());
    let out = out.map_or_else(
        || PathBuf::from(format!("{name}.tar.gz")),
        Path::to_path_buf,
    );
    if out.exists() {
        eprintln!(
            "error: {} already exists; it was left as it is (choose another --out)",
            out.display()
        );
        return USAGE;
    }
    match studio_api::studio_pack::package_run(&folder, &out) {
        Ok(manifest) => {
            if json {
                let mut doc = serde_json::to_value(&manifest).unwrap_or_default();
                doc["archive"] = serde_json::json!(out.display().to_string());
                println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            } else {
                println!("{}", out.display());
                eprintln!(
                    "packaged run {} ({}, {} files) into {}",
                    manifest.run_id,
                    manifest.status.as_str(),
                    manifest.files.len(),
                    out.display()
                );
            }
            0
        }
        Err(e @ studio_api::studio_pack::PackageError::Unfinished { .. }) => {
            eprintln!("error: {e}");
            USAGE
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}
