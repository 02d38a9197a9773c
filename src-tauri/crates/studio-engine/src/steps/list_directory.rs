//! `list_directory`: lists a folder of the workspace.
//! Parameters: optional `path` (default `.`), `recursive` (default false; symlinks are listed,
//! never followed). Output: `{path, entries: [{name, path, kind, size}]}` sorted by path, where
//! `kind` is `file`, `dir` or `symlink` and `path` is relative to the workspace.

use super::params::{opt_bool, opt_str};
use super::workspace::{check, display, io_failure, refuse_escaping_link, with_dir};
use super::{Failure, StepCtx, StepOutput};
use cap_std::fs::Dir;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const MAX_ENTRIES: usize = 100_000;

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let path = check(opt_str(&p, "path")?.unwrap_or("."))?;
    let recursive = opt_bool(&p, "recursive")?.unwrap_or(false);
    let shown = display(&path);
    let entries = with_dir(ctx, move |dir| {
        refuse_escaping_link(dir, &path)?;
        let mut out = Vec::new();
        walk(dir, &path, recursive, &mut |rel, kind, size| {
            out.push(json!({
                "name": rel.file_name().map(|n| n.to_string_lossy().into_owned()),
                "path": display(rel),
                "kind": kind,
                "size": size,
            }));
        })?;
        out.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
        Ok(out)
    })
    .await?;
    Ok(StepOutput::new(json!({"path": shown, "entries": entries})))
}

/// Visits the entries under `start` (relative to the workspace), never following symlinks.
pub(crate) fn walk(
    dir: &Dir,
    start: &Path,
    recursive: bool,
    visit: &mut dyn FnMut(&Path, &'static str, u64),
) -> Result<(), Failure> {
    let mut pending: Vec<PathBuf> = vec![start.to_path_buf()];
    let mut seen = 0usize;
    while let Some(folder) = pending.pop() {
        let entries = dir
            .read_dir(&folder)
            .map_err(|e| io_failure("list", &folder, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_failure("list", &folder, e))?;
            let rel = if folder.as_os_str() == "." {
                PathBuf::from(entry.file_name())
            } else {
                folder.join(entry.file_name())
            };
            let file_type = entry
                .file_type()
                .map_err(|e| io_failure("inspect", &rel, e))?;
            let (kind, size) = if file_type.is_symlink() {
                ("symlink", 0)
            } else if file_type.is_dir() {
                ("dir", 0)
            } else {
                ("file", entry.metadata().map(|m| m.len()).unwrap_or(0))
            };
            seen += 1;
            if seen > MAX_ENTRIES {
                return Err(Failure::new(format!("more than {MAX_ENTRIES} entries")));
            }
            visit(&rel, kind, size);
            if recursive && kind == "dir" {
                pending.push(rel);
            }
        }
    }
    Ok(())
}
