//! `format_code`: formats a project with its own formatter, or checks that it is formatted.
//!
//! Parameters: `path` / `language` as for `compile_code`; `check` (default false: files are
//! rewritten); `fail_on_change` (with `check`, default true); `args`; `env`.
//!
//! - cargo: `cargo fmt [--check] -- -l` (rustfmt lists the files it changed, or would).
//! - python: `black [--check] .` when `black` is installed (the project's virtual environment
//!   first, then `PATH`); the files come from its `reformatted` / `would reformat` lines.
//! - npm: the `format` script, or with `check` the `format:check` script; the files it
//!   rewrote are found by comparing the project's files before and after (a check cannot name
//!   them: `changed_files` is then empty).
//!
//! Output: `{toolchain, formatter, checked, changed_files, success, stdout_tail, stderr_tail,
//! command}`; `changed_files` are relative to the workspace. A check that finds files to
//! reformat fails the step naming them (output kept) unless `fail_on_change` is false; a
//! formatter that cannot read a file (a syntax error) fails the step.

use super::project::{run_tool, Project, Ran, Toolchain};
use crate::steps::params::{opt_bool, opt_str_list};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let project = Project::from_params(&p, ctx)?;
    let check = opt_bool(&p, "check")?.unwrap_or(false);
    let fail_on_change = opt_bool(&p, "fail_on_change")?.unwrap_or(true);
    let (formatter, ran, changed, broken) = match project.toolchain {
        Toolchain::Cargo => {
            let mut args = vec!["fmt".to_string()];
            if check {
                args.push("--check".to_string());
            }
            // rustfmt's `-l` goes after the `--` that `args` may already hold.
            let user_has_separator = opt_str_list(&p, "args")?.iter().any(|a| a == "--");
            let mut tail_args = Vec::new();
            if !user_has_separator {
                tail_args.push("--".to_string());
            }
            tail_args.push("-l".to_string());
            let mut p_with_tail = p.clone();
            let mut all_args = opt_str_list(&p, "args")?;
            all_args.extend(tail_args);
            p_with_tail["args"] = json!(all_args);
            let ran = run_tool(&project, "cargo", args, &p_with_tail, BTreeMap::new(), ctx).await?;
            if ran.finished.stderr.contains("no such command: `fmt`") {
                return Err(Failure::new(
                    "cargo fmt is not installed: run `rustup component add rustfmt`",
                ));
            }
            let changed: Vec<String> = ran
                .finished
                .stdout
                .lines()
                .map(str::trim)
                .filter(|l| l.ends_with(".rs"))
                .map(|l| project.workspace_path(l))
                .collect();
            let broken = (!ran.success() && (changed.is_empty() || !check))
                .then(|| ran.failed_message("cargo fmt"));
            ("rustfmt", ran, changed, broken)
        }
        Toolchain::Python => {
            let Some(black) = project.find_program("black") else {
                return Err(Failure::new(
                    "black is not installed: install it (`python3 -m pip install black`, or Debian's black package) to format Python code",
                ));
            };
            let mut args = Vec::new();
            if check {
                args.push("--check".to_string());
            }
            args.push(".".to_string());
            let ran = run_tool(&project, &black, args, &p, BTreeMap::new(), ctx).await?;
            let changed: Vec<String> = ran
                .finished
                .stderr
                .lines()
                .filter_map(|l| {
                    l.strip_prefix("would reformat ")
                        .or_else(|| l.strip_prefix("reformatted "))
                })
                .map(|f| project.workspace_path(f))
                .collect();
            // 1: a check found files to reformat; 123: black could not read a file.
            let broken = match ran.finished.exit_code() {
                Some(0) => None,
                Some(1) if check => None,
                _ => Some(black_failure(&ran)),
            };
            ("black", ran, changed, broken)
        }
        Toolchain::Npm => {
            let script = if check { "format:check" } else { "format" };
            let example = if check {
                "prettier --check ."
            } else {
                "prettier --write ."
            };
            project.require_npm_script(script, example)?;
            let before = if check {
                None
            } else {
                Some(snapshot(project.host.clone()).await)
            };
            let args = vec!["run".to_string(), script.to_string()];
            let ran = run_tool(&project, "npm", args, &p, BTreeMap::new(), ctx).await?;
            let changed = match before {
                Some(before) => changed_between(&before, &snapshot(project.host.clone()).await)
                    .into_iter()
                    .map(|rel| project.workspace_path(&rel))
                    .collect(),
                None => Vec::new(),
            };
            let broken = (!ran.success() && !check)
                .then(|| ran.failed_message(&format!("npm run {script}")));
            let formatter = if check {
                "npm run format:check"
            } else {
                "npm run format"
            };
            (formatter, ran, changed, broken)
        }
    };
    let unformatted = check && (!changed.is_empty() || !ran.success());
    let output = json!({
        "toolchain": project.toolchain.name(),
        "formatter": formatter,
        "checked": check,
        "changed_files": changed,
        "success": broken.is_none() && !unformatted,
        "stdout_tail": ran.stdout_tail(),
        "stderr_tail": ran.stderr_tail(),
        "command": ran.command,
    });
    if let Some(why) = broken {
        return Err(Failure::new(format!("{why} (in `{}`)", project.shown())).with_output(output));
    }
    if unformatted && fail_on_change {
        let which = if changed.is_empty() {
            ran.failed_message(formatter)
        } else {
            format!("{} would reformat {}", formatter, list(&changed))
        };
        return Err(Failure::new(format!(
            "`{}` is not formatted: {which}; run format_code without `check` to fix it",
            project.shown()
        ))
        .with_output(output));
    }
    Ok(StepOutput::new(output))
}

fn black_failure(ran: &Ran) -> String {
    let cannot = ran
        .finished
        .stderr
        .lines()
        .find(|l| l.starts_with("error: cannot format"));
    match cannot {
        Some(line) => format!(
            "black could not format a file: {}",
            line.trim_start_matches("error: ")
        ),
        None => ran.failed_message("black"),
    }
}

fn list(files: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = files
        .iter()
        .take(SHOWN)
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if files.len() > SHOWN {
        text.push_str(&format!(" and {} more", files.len() - SHOWN));
    }
    text
}

/// Folders never compared (dependencies, build outputs, version control).
const SKIPPED: &[&str] = &[
    "node_modules",
    ".git",
    "target",
    "dist",
    "build",
    ".venv",
    "venv",
];
/// Larger files are not compared.
const MAX_COMPARED_BYTES: u64 = 4 * 1024 * 1024;
/// At most this many files are compared.
const MAX_COMPARED_FILES: usize = 20_000;

/// Each file of the project (relative path) with a hash of its content, read on the blocking
/// pool; symlinks are not followed.
async fn snapshot(root: PathBuf) -> BTreeMap<String, [u8; 32]> {
    tokio::task::spawn_blocking(move || hash_files(&root))
        .await
        .unwrap_or_default()
}

fn hash_files(root: &Path) -> BTreeMap<String, [u8; 32]> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                if !SKIPPED.contains(&entry.file_name().to_string_lossy().as_ref()) {
                    pending.push(path);
                }
            } else if kind.is_file()
                && entry
                    .metadata()
                    .is_ok_and(|m| m.len() <= MAX_COMPARED_BYTES)
                && files.len() < MAX_COMPARED_FILES
            {
                if let (Ok(bytes), Ok(rel)) = (std::fs::read(&path), path.strip_prefix(root)) {
                    files.insert(
                        rel.to_string_lossy().replace('\\', "/"),
                        Sha256::digest(&bytes).into(),
                    );
                }
            }
        }
    }
    files
}

/// Files whose content changed (new files count; removed ones do not).
fn changed_between(
    before: &BTreeMap<String, [u8; 32]>,
    after: &BTreeMap<String, [u8; 32]>,
) -> Vec<String> {
    after
        .iter()
        .filter(|(path, hash)| before.get(*path) != Some(hash))
        .map(|(path, _)| path.clone())
        .collect()
}
