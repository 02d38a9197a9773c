//! The source files `extract_functions` and `generate_docs` read, and their outlines
//! (`studio-syntax`, tree-sitter).
//!
//! `path` (alias `file`) is a file or a folder of the workspace (default the workspace); a
//! folder is read recursively, without following symlinks and without the folders of
//! dependencies and build outputs. `language` keeps one language's files (otherwise each file's
//! extension decides, and files of other extensions are skipped); `pattern` is a glob on the
//! file name, or on the path relative to `path` when it holds a `/`.

use crate::steps::params::{opt_str, str_param_any};
use crate::steps::workspace::{check, display, io_failure, refuse_escaping_link, with_dir};
use crate::steps::{Failure, StepCtx};
use cap_std::fs::Dir;
use serde_json::Value;
use std::path::{Path, PathBuf};
use studio_syntax::{outline, Language, Outline};

/// Folders never read.
const SKIPPED_DIRS: &[&str] = &[
    "target",
    "node_modules",
    ".git",
    "__pycache__",
    ".venv",
    "venv",
    "vendor",
];
/// Larger files are skipped.
const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;
/// At most this many files are read.
const MAX_FILES: usize = 5_000;

/// One file read.
pub(super) struct Parsed {
    /// Relative to the workspace.
    pub file: String,
    pub language: Language,
    pub outline: Outline,
}

/// Reads the files the parameters name and parses each one.
pub(super) async fn parse(p: &Value, ctx: &StepCtx) -> Result<Vec<Parsed>, Failure> {
    let raw = if ["path", "file", "source"]
        .iter()
        .any(|n| p.get(*n).is_some_and(|v| !v.is_null()))
    {
        str_param_any(p, &["path", "file", "source"])?
    } else {
        "."
    };
    let start = check(raw)?;
    let language = match opt_str(p, "language")? {
        Some(name) => Some(Language::from_name(name).ok_or_else(|| {
            Failure::new(format!(
                "unknown language `{name}`: use {}",
                studio_syntax::LANGUAGE_NAMES.join(", ")
            ))
        })?),
        None => None,
    };
    let pattern =
        match opt_str(p, "pattern")? {
            Some(text) => Some(glob::Pattern::new(text).map_err(|e| {
                Failure::new(format!("`pattern` is not a valid glob (`{text}`): {e}"))
            })?),
            None => None,
        };
    let shown = raw.to_string();
    with_dir(ctx, move |dir| {
        refuse_escaping_link(dir, &start)?;
        let meta = dir
            .metadata(&start)
            .map_err(|e| io_failure("read", &start, e))?;
        let files: Vec<(PathBuf, Language)> = if meta.is_dir() {
            let mut found = Vec::new();
            collect(dir, &start, language, pattern.as_ref(), &mut found)?;
            found.sort_by(|a, b| a.0.cmp(&b.0));
            found
        } else {
            let own = Language::from_path(&start);
            let lang = match (language, own) {
                (Some(asked), Some(own)) if asked.covers(own) => own,
                (Some(asked), _) => asked,
                (None, Some(own)) => own,
                (None, None) => {
                    return Err(Failure::new(format!(
                        "cannot tell the language of `{shown}` from its extension: give `language` ({})",
                        studio_syntax::LANGUAGE_NAMES.join(", ")
                    )))
                }
            };
            vec![(start.clone(), lang)]
        };
        let mut parsed = Vec::with_capacity(files.len());
        for (path, language) in files {
            let bytes = dir.read(&path).map_err(|e| io_failure("read", &path, e))?;
            let text = String::from_utf8_lossy(&bytes);
            parsed.push(Parsed {
                file: display(&path),
                language,
                outline: outline(&text, language),
            });
        }
        Ok(parsed)
    })
    .await
}

/// Walks `folder`, keeping the source files the language and the pattern select.
fn collect(
    dir: &Dir,
    folder: &Path,
    language: Option<Language>,
    pattern: Option<&glob::Pattern>,
    found: &mut Vec<(PathBuf, Language)>,
) -> Result<(), Failure> {
    let base = folder.to_path_buf();
    let mut pending = vec![folder.to_path_buf()];
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    while let Some(current) = pending.pop() {
        let entries = dir
            .read_dir(&current)
            .map_err(|e| io_failure("list", &current, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_failure("list", &current, e))?;
            let name = entry.file_name();
            let name_text = name.to_string_lossy();
            let rel = if current.as_os_str() == "." {
                PathBuf::from(&name)
            } else {
                current.join(&name)
            };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_symlink() {
                continue;
            }
            if kind.is_dir() {
                if !SKIPPED_DIRS.contains(&name_text.as_ref()) {
                    pending.push(rel);
                }
                continue;
            }
            let Some(own) = Language::from_path(&rel) else {
                continue;
            };
            if language.is_some_and(|l| !l.covers(own)) {
                continue;
            }
            if let Some(pattern) = pattern {
                let matched = if pattern.as_str().contains('/') {
                    let inside = rel.strip_prefix(&base).unwrap_or(&rel);
                    pattern.matches_path_with(inside, options)
                } else {
                    pattern.matches_with(&name_text, options)
                };
                if !matched {
                    continue;
                }
            }
            if entry.metadata().is_ok_and(|m| m.len() > MAX_FILE_BYTES) {
                continue;
            }
            if found.len() >= MAX_FILES {
                return Err(Failure::new(format!(
                    "more than {MAX_FILES} source files: narrow `path`, `language` or `pattern`"
                )));
            }
            found.push((rel, own));
        }
    }
    Ok(())
}
