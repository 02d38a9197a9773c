//! Atomic file writes: readers see the old file or the new one, never half of one.
//!
//! A write is a temporary file, then a rename: a process killed at any moment leaves the old
//! file or the new one (and at worst a temporary file, which recovery removes). Most writes are
//! not synced to the disk one by one: the history's commits are what a run's durability rests
//! on, and a run's folder is sealed by one synced write, its final `meta.json`
//! ([`write_json_synced`]), so a run of many steps does not wait on the disk for each file.

use crate::PackError;
use std::io::Write;
use std::path::Path;

/// Whether a write waits until its bytes are on the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// Visible atomically to every reader; on the disk when the system writes it back.
    Atomic,
    /// [`Durability::Atomic`], and synced to the disk before the rename.
    Synced,
}

/// Writes `bytes` to `path` atomically (not synced: see the module documentation).
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), PackError> {
    write_with(path, bytes, Durability::Atomic)
}

pub(crate) fn write_with(
    path: &Path,
    bytes: &[u8],
    durability: Durability,
) -> Result<(), PackError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        if durability == Durability::Synced {
            file.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        PackError::io(path, e)
    })
}

pub(crate) fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), PackError> {
    write(path, &pretty_json(value)?)
}

/// [`write_json`], synced to the disk before the rename.
pub(crate) fn write_json_synced(
    path: &Path,
    value: &impl serde::Serialize,
) -> Result<(), PackError> {
    write_with(path, &pretty_json(value)?, Durability::Synced)
}

fn pretty_json(value: &impl serde::Serialize) -> Result<Vec<u8>, PackError> {
    let mut text = serde_json::to_vec_pretty(value).map_err(|e| PackError::Serialise {
        what: "JSON",
        message: e.to_string(),
    })?;
    text.push(b'\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_write_replaces_the_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta.json");
        super::write(&path, b"one").unwrap();
        super::write(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "only the file itself remains: {names:?}");
    }
}
