//! Tidying evidence folders after a crash: temporary files of interrupted atomic writes, and
//! the `meta.json` of a run whose process went away.

use crate::atomic;
use crate::meta::Meta;
use crate::PackError;
use std::path::Path;
use studio_core::RunStatus;

/// The folders of an evidence folder where atomic writes put their temporary files.
const WRITTEN_FOLDERS: &[&str] = &[".", "outputs", "evidence", "evidence/raw"];

/// Removes leftover temporary files (`.<name>.tmp-<pid>`) of atomic writes in every evidence
/// folder under `runs_dir`, when `is_alive(pid)` says the writing process is gone. The
/// workspaces are not touched (they hold what the steps wrote). Returns how many were removed.
pub fn clean_temp_files(runs_dir: &Path, is_alive: impl Fn(u32) -> bool) -> usize {
    let Ok(runs) = std::fs::read_dir(runs_dir) else {
        return 0;
    };
    let mut removed = 0;
    for run in runs.flatten() {
        if !run.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        for sub in WRITTEN_FOLDERS {
            let Ok(entries) = std::fs::read_dir(run.path().join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(pid) = temp_file_owner(&name.to_string_lossy()) else {
                    continue;
                };
                if !is_alive(pid) && std::fs::remove_file(entry.path()).is_ok() {
                    removed += 1;
                }
            }
        }
    }
    removed
}

/// The pid in a temporary file name of [`atomic::write`], or `None` for any other name.
fn temp_file_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (_, pid) = rest.rsplit_once(".tmp-")?;
    pid.parse().ok()
}

/// Records in the folder's `meta.json` that the run was interrupted (status `failed`, the
/// reason, the time). A folder without a readable `meta.json` is left alone.
pub fn mark_interrupted(folder: &Path, reason: &str, finished_at: &str) -> Result<(), PackError> {
    let path = folder.join("meta.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let Ok(mut meta) = serde_json::from_str::<Meta>(&text) else {
        return Ok(());
    };
    if meta.status.is_final() {
        return Ok(());
    }
    meta.status = RunStatus::Failed;
    meta.reason = Some(reason.to_string());
    meta.finished_at = Some(finished_at.to_string());
    atomic::write_json_synced(&path, &meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_temporary_files_of_dead_writers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("20260101-0000__default__x");
        std::fs::create_dir_all(run.join("evidence/raw")).unwrap();
        std::fs::create_dir_all(run.join("workspace")).unwrap();
        for (path, _) in [
            ("meta.json", ()),
            (".meta.json.tmp-111", ()),
            ("evidence/raw/.a.json.tmp-111", ()),
            ("evidence/.steps.md.tmp-222", ()),
            ("workspace/.notes.tmp-111", ()),
        ] {
            std::fs::write(run.join(path), "x").unwrap();
        }
        let removed = clean_temp_files(dir.path(), |pid| pid == 222);
        assert_eq!(
            removed, 2,
            "the two files of dead process 111 outside the workspace"
        );
        assert!(run.join("meta.json").exists());
        assert!(
            run.join("evidence/.steps.md.tmp-222").exists(),
            "a live writer's file stays"
        );
        assert!(
            run.join("workspace/.notes.tmp-111").exists(),
            "workspaces are not touched"
        );
        assert_eq!(temp_file_owner(".meta.json.tmp-42"), Some(42));
        assert_eq!(temp_file_owner("meta.json"), None);
    }
}
