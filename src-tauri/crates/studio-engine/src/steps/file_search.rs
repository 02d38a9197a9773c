//! `file_search`: finds text in the workspace's files.
//! Parameters: `pattern` (plain text, required), optional `path` (folder to search, default
//! `.`), `name_contains` (only files whose name holds this text), `case_sensitive` (default
//! true), `max_results` (default 1000). Symlinks are not followed; files over 8 MiB and binary
//! files are skipped. Output: `{matches: [{path, line, text}], files_searched, truncated}`.

use super::list_directory::walk;
use super::params::{opt_bool, opt_str, opt_u64, str_param};
use super::workspace::{check, display, refuse_escaping_link, with_dir};
use super::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};
use std::path::PathBuf;

const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let pattern = str_param(&p, "pattern")?.to_string();
    if pattern.is_empty() {
        return Err(Failure::new("parameter `pattern` is empty"));
    }
    let path = check(opt_str(&p, "path")?.unwrap_or("."))?;
    let name_contains = opt_str(&p, "name_contains")?.map(str::to_string);
    let case_sensitive = opt_bool(&p, "case_sensitive")?.unwrap_or(true);
    let max_results = opt_u64(&p, "max_results")?.unwrap_or(1000) as usize;
    let (matches, files, truncated) = with_dir(ctx, move |dir| {
        refuse_escaping_link(dir, &path)?;
        let mut files: Vec<PathBuf> = Vec::new();
        walk(dir, &path, true, &mut |rel, kind, size| {
            let name_ok = name_contains.as_deref().is_none_or(|n| {
                rel.file_name()
                    .is_some_and(|f| f.to_string_lossy().contains(n))
            });
            if kind == "file" && size <= MAX_FILE_BYTES && name_ok {
                files.push(rel.to_path_buf());
            }
        })?;
        files.sort();
        let needle = if case_sensitive {
            pattern.clone()
        } else {
            pattern.to_lowercase()
        };
        let mut matches = Vec::new();
        let mut truncated = false;
        'files: for file in &files {
            let Ok(bytes) = dir.read(file) else { continue };
            if bytes.contains(&0) {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            for (n, line) in text.lines().enumerate() {
                let hit = if case_sensitive {
                    line.contains(needle.as_str())
                } else {
                    line.to_lowercase().contains(needle.as_str())
                };
                if hit {
                    if matches.len() == max_results {
                        truncated = true;
                        break 'files;
                    }
                    matches.push(json!({"path": display(file), "line": n + 1, "text": line}));
                }
            }
        }
        Ok((matches, files.len(), truncated))
    })
    .await?;
    Ok(StepOutput::new(
        json!({"matches": matches, "files_searched": files, "truncated": truncated}),
    ))
}
