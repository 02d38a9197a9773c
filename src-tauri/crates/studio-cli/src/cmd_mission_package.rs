//! `mission package FILE -o X.zip [--include-deps]` (a mission file as a portable zip), and
//! opening such a package for `validate` and `run`.

use std::path::{Path, PathBuf};
use studio_api::spark::{self, OpenedPackage, PackageOptions};

const USAGE: u8 = 2;
const INVALID: u8 = 3;

/// Packs the mission file `file` into `out` (default `<id>.zip`).
pub fn package(
    data_dir: Option<&Path>,
    file: &Path,
    out: Option<&Path>,
    include_deps: bool,
    json: bool,
) -> u8 {
    let options = studio_api::check::CheckOptions::for_data_dir(data_dir, Vec::new(), false);
    let loaded = match crate::cmd_validate::load_and_validate(file, &options) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let out = out.map_or_else(
        || PathBuf::from(format!("{}.zip", loaded.mission.mission_id())),
        Path::to_path_buf,
    );
    let options = PackageOptions {
        include_deps,
        tool_dirs: spark::tool_dirs(data_dir, file),
    };
    match spark::package_mission(&loaded.mission, &out, &options) {
        Ok(manifest) => {
            if json {
                let mut doc = serde_json::to_value(&manifest).unwrap_or_default();
                doc["archive"] = serde_json::json!(out.display().to_string());
                println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            } else {
                println!("{}", out.display());
                eprintln!(
                    "packaged {} ({} files, logic_hash {}) into {}",
                    manifest.id,
                    manifest.files.len() + 1,
                    manifest.logic_hash,
                    out.display()
                );
            }
            0
        }
        Err(e) => {
            eprintln!("error: {}", e.message);
            USAGE
        }
    }
}

/// The file to read for a command given `path`: a package is checked and opened (kept alive
/// in the returned value), any other path is itself. A refused package: exit code 3.
pub fn open_if_package(path: &Path) -> Result<(PathBuf, Option<OpenedPackage>), u8> {
    if !spark::is_package(path) {
        return Ok((path.to_path_buf(), None));
    }
    match spark::open_package(path) {
        Ok(opened) => {
            eprintln!(
                "package {}: {} {} (manifest checked, {} files)",
                path.display(),
                opened.manifest.id,
                opened.manifest.logic_hash,
                opened.manifest.files.len()
            );
            Ok((opened.mission_path.clone(), Some(opened)))
        }
        Err(e) => {
            eprintln!("error: {}", e.message);
            Err(INVALID)
        }
    }
}

/// Whether `mission package ARG` means a mission file (an existing file) rather than a run id.
pub fn is_mission_file(arg: &str) -> bool {
    Path::new(arg).is_file()
}
