//! Opening a mission package for `mission validate X.zip` and `mission run X.zip`: every file
//! is checked against the manifest's SHA-256 (a missing, extra or changed file refuses the
//! package), then the mission is written to a temporary folder laid out as a library
//! (`missions/mission.json`, `missions/tools/`) so its packaged tools are found.

use super::mission_package::{PackageManifest, FORMAT};
use crate::{ApiError, ErrorCode};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Most bytes read from one package (all files together).
const MAX_BYTES: u64 = 64 << 20;

/// A package opened and checked; the folder goes away when this is dropped.
#[derive(Debug)]
pub struct OpenedPackage {
    pub manifest: PackageManifest,
    /// The mission file, inside the temporary folder.
    pub mission_path: PathBuf,
    _dir: tempfile::TempDir,
}

/// Whether a path names a mission package (a `.zip` file).
pub fn is_package(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
        && path.is_file()
}

fn refused(path: &Path, why: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidInput,
        format!("{}: refused mission package: {why}", path.display()),
    )
}

/// Reads and checks the package at `path`.
pub fn open_package(path: &Path) -> Result<OpenedPackage, ApiError> {
    let file = std::fs::File::open(path).map_err(|e| refused(path, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| refused(path, e))?;
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| refused(path, e))?;
        if entry.is_dir() {
            continue;
        }
        let Some(name) = entry
            .enclosed_name()
            .map(|p| p.to_string_lossy().replace('\\', "/"))
        else {
            return Err(refused(
                path,
                format!(
                    "the entry `{}` points outside the package",
                    entry.name().unwrap_or_default()
                ),
            ));
        };
        let mut bytes = Vec::new();
        (&mut entry)
            .take(MAX_BYTES - total + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| refused(path, e))?;
        total += bytes.len() as u64;
        if total > MAX_BYTES {
            return Err(refused(path, "it holds more than 64 MiB"));
        }
        files.insert(name, bytes);
    }
    let manifest: PackageManifest = files
        .remove("manifest.json")
        .ok_or_else(|| refused(path, "it has no manifest.json"))
        .and_then(|b| {
            serde_json::from_slice(&b).map_err(|e| refused(path, format!("manifest.json: {e}")))
        })?;
    if manifest.format != FORMAT {
        return Err(refused(
            path,
            format!("format `{}` is not {FORMAT}", manifest.format),
        ));
    }
    for (name, bytes) in &files {
        match manifest.files.get(name) {
            None => {
                return Err(refused(
                    path,
                    format!("`{name}` is not in the manifest (added after packaging)"),
                ))
            }
            Some(hash) if *hash != studio_pack::sha256_hex(bytes) => {
                return Err(refused(
                    path,
                    format!(
                    "`{name}` does not match its SHA-256 in the manifest (changed after packaging)"
                ),
                ))
            }
            Some(_) => {}
        }
    }
    if let Some(missing) = manifest.files.keys().find(|k| !files.contains_key(*k)) {
        return Err(refused(
            path,
            format!("`{missing}` is in the manifest but not in the package"),
        ));
    }
    let mission_bytes = files
        .get("mission.json")
        .ok_or_else(|| refused(path, "it has no mission.json"))?;
    let mission: studio_core::Mission = serde_json::from_slice(mission_bytes)
        .map_err(|e| refused(path, format!("mission.json: {e}")))?;
    let hash = studio_core::logic_hash(&mission);
    if hash != manifest.logic_hash {
        return Err(refused(
            path,
            format!(
                "mission.json's logic_hash {hash} is not the manifest's {}",
                manifest.logic_hash
            ),
        ));
    }
    let dir = tempfile::Builder::new()
        .prefix("mission-package-")
        .tempdir()
        .map_err(|e| refused(path, e))?;
    let root = dir.path().join("missions");
    let write = |rel: &str, bytes: &[u8]| -> Result<(), ApiError> {
        let target = root.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| refused(path, e))?;
        }
        std::fs::write(&target, bytes).map_err(|e| refused(path, e))
    };
    for (name, bytes) in &files {
        if name == "mission.json" || name.starts_with("tools/") {
            write(name, bytes)?;
        }
    }
    Ok(OpenedPackage {
        manifest,
        mission_path: root.join("mission.json"),
        _dir: dir,
    })
}
