//! `lint_code`: lints a project with its own linter.
//!
//! Parameters: `path` / `language` as for `compile_code`; `fail_on_warnings` (default false);
//! `args`; `env`.
//!
//! - cargo: `cargo clippy --offline --message-format=json` into the project's own `target/`;
//!   its messages (compiler errors included) become `diagnostics`.
//! - python: the first of `ruff check --output-format=concise`, `flake8` and `pyflakes`
//!   installed (the project's virtual environment first, then `PATH`); syntax errors and
//!   undefined names are errors, every other finding a warning.
//! - npm: the `lint` script (its findings are not parsed: exit code only).
//!
//! Output: `{toolchain, linter, success, lints, errors, warnings, diagnostics: [{level,
//! message, file, line, column, code}], duration_ms, stdout_tail, stderr_tail, command}`.
//! Errors fail the step (so do warnings with `fail_on_warnings`), naming the first finding;
//! the output is kept.

use super::diagnostics::{cargo_messages, counts, linter_lines, Diagnostic};
use super::project::{run_tool, Project, Toolchain};
use crate::steps::params::opt_bool;
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Python linters, in the order they are looked for, with their arguments.
const PYTHON_LINTERS: &[(&str, &[&str])] = &[
    (
        "ruff",
        &["check", "--output-format=concise", "--no-cache", "."],
    ),
    (
        "flake8",
        &[
            "--extend-exclude=.venv,venv,node_modules,target,build,dist",
            ".",
        ],
    ),
    ("pyflakes", &["."]),
    ("pyflakes3", &["."]),
];

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let project = Project::from_params(&p, ctx)?;
    let fail_on_warnings = opt_bool(&p, "fail_on_warnings")?.unwrap_or(false);
    let (linter, ran, diagnostics, tool_failed) = match project.toolchain {
        Toolchain::Cargo => {
            let args = vec![
                "clippy".to_string(),
                "--offline".to_string(),
                "--message-format=json".to_string(),
            ];
            let ran = run_tool(&project, "cargo", args, &p, BTreeMap::new(), ctx).await?;
            if ran.finished.stderr.contains("no such command: `clippy`") {
                return Err(Failure::new(
                    "cargo clippy is not installed: run `rustup component add clippy`",
                ));
            }
            let diagnostics = cargo_messages(&ran.finished.stdout, &project).diagnostics;
            let failed = !ran.success() && !diagnostics.iter().any(Diagnostic::is_error);
            ("clippy".to_string(), ran, diagnostics, failed)
        }
        Toolchain::Python => {
            let found = PYTHON_LINTERS
                .iter()
                .find_map(|(name, args)| project.find_program(name).map(|p| (*name, p, *args)));
            let Some((name, program, args)) = found else {
                return Err(Failure::new(
                    "no Python linter is installed: install ruff, flake8 or pyflakes (`python3 -m pip install ruff`, or Debian's flake8 or pyflakes3 package)",
                ));
            };
            let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            if name == "flake8" && ctx.shared.setup.confine_commands_to.is_some() {
                // Confined, its worker processes cannot make their semaphores: one process.
                args.insert(0, "--jobs=1".to_string());
            }
            let ran = run_tool(&project, &program, args, &p, BTreeMap::new(), ctx).await?;
            // pyflakes reports syntax errors on stderr, its other findings on stdout.
            let text = format!("{}\n{}", ran.finished.stdout, ran.finished.stderr);
            let diagnostics = linter_lines(&text, &project);
            // Linters exit 1 when they find something; anything else is the tool failing.
            let failed = match ran.finished.exit_code() {
                Some(0) => false,
                Some(1) => diagnostics.is_empty(),
                _ => true,
            };
            (
                name.trim_end_matches('3').to_string(),
                ran,
                diagnostics,
                failed,
            )
        }
        Toolchain::Npm => {
            project.require_npm_script("lint", "eslint .")?;
            let args = vec!["run".to_string(), "lint".to_string()];
            let ran = run_tool(&project, "npm", args, &p, BTreeMap::new(), ctx).await?;
            let failed = !ran.success();
            ("npm run lint".to_string(), ran, Vec::new(), failed)
        }
    };
    let (errors, warnings) = counts(&diagnostics);
    let lints = errors + warnings;
    let success = !tool_failed && errors == 0 && !(fail_on_warnings && lints > 0);
    let first = diagnostics
        .iter()
        .find(|d| d.is_error())
        .or_else(|| diagnostics.first())
        .map(Diagnostic::describe);
    let output = json!({
        "toolchain": project.toolchain.name(),
        "linter": linter,
        "success": success,
        "lints": lints,
        "errors": errors,
        "warnings": warnings,
        "diagnostics": diagnostics,
        "duration_ms": ran.duration_ms,
        "stdout_tail": ran.stdout_tail(),
        "stderr_tail": ran.stderr_tail(),
        "command": ran.command,
    });
    if success {
        return Ok(StepOutput::new(output));
    }
    let message = match (tool_failed, first) {
        (false, Some(first)) => format!(
            "{linter} found {errors} error(s) and {warnings} warning(s) in `{}`; first: {first}",
            project.shown()
        ),
        _ => format!("{} in `{}`", ran.failed_message(&linter), project.shown()),
    };
    Err(Failure::new(message).with_output(output))
}
