//! `compile_code`: builds a project with its own toolchain.
//!
//! Parameters: `path` (aliases `project_path`, `working_dir`: the project folder in the
//! workspace, default the workspace), `language` (alias `toolchain`: rust|cargo, python,
//! javascript|typescript|node|npm; default detected from the project's files), cargo's
//! `release` and `features`, `args` (appended), `env`.
//!
//! - cargo: `cargo build --offline --message-format=json` into the project's own `target/`
//!   (never the caller's `CARGO_TARGET_DIR`); compiler messages become `diagnostics`, the
//!   executables built `artifacts`.
//! - python: `python3 -m compileall -q` over the project (virtual environments and build
//!   folders skipped); each file that does not compile is an error with its line and column.
//! - npm: `npm run build` (the `build` script must exist).
//!
//! Output: `{toolchain, success, errors, warnings, diagnostics: [{level, message, file, line,
//! column, code}], artifacts, duration_ms, stdout_tail, stderr_tail, command}`. A failed build
//! fails the step naming its first error (`src/lib.rs:3:5: error[E0308]: …`), output kept.

use super::diagnostics::{cargo_messages, compileall_errors, counts, Diagnostic};
use super::project::{run_tool, Project, Ran, Toolchain};
use crate::steps::params::{opt_bool, opt_str_list};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let project = Project::from_params(&p, ctx)?;
    let (ran, diagnostics, artifacts) = match project.toolchain {
        Toolchain::Cargo => {
            let mut args = vec![
                "build".to_string(),
                "--offline".to_string(),
                "--message-format=json".to_string(),
            ];
            if opt_bool(&p, "release")?.unwrap_or(false) {
                args.push("--release".to_string());
            }
            let features = opt_str_list(&p, "features")?;
            if !features.is_empty() {
                args.push("--features".to_string());
                args.push(features.join(","));
            }
            let ran = run_tool(&project, "cargo", args, &p, BTreeMap::new(), ctx).await?;
            let messages = cargo_messages(&ran.finished.stdout, &project);
            (ran, messages.diagnostics, messages.artifacts)
        }
        Toolchain::Python => {
            let args = vec![
                "-m".to_string(),
                "compileall".to_string(),
                "-q".to_string(),
                "-x".to_string(),
                r"(^|/)(\.venv|venv|\.git|node_modules|target|build|dist)/".to_string(),
                ".".to_string(),
            ];
            let python = project.python();
            let ran = run_tool(&project, &python, args, &p, BTreeMap::new(), ctx).await?;
            let host = project.host.clone();
            let source_line = move |printed: &str, line: u64| {
                let text = std::fs::read_to_string(host.join(printed)).ok()?;
                text.lines()
                    .nth(usize::try_from(line).ok()?.checked_sub(1)?)
                    .map(str::to_string)
            };
            let diagnostics = compileall_errors(&ran.finished.stdout, &project, &source_line);
            (ran, diagnostics, Vec::new())
        }
        Toolchain::Npm => {
            project.require_npm_script("build", "tsc")?;
            let args = vec!["run".to_string(), "build".to_string()];
            let ran = run_tool(&project, "npm", args, &p, BTreeMap::new(), ctx).await?;
            (ran, Vec::new(), Vec::new())
        }
    };
    finish(&project, &ran, diagnostics, artifacts)
}

fn finish(
    project: &Project,
    ran: &Ran,
    diagnostics: Vec<Diagnostic>,
    artifacts: Vec<String>,
) -> Result<StepOutput, Failure> {
    let (errors, warnings) = counts(&diagnostics);
    let success = ran.success() && errors == 0;
    let first_error = diagnostics
        .iter()
        .find(|d| d.is_error())
        .map(Diagnostic::describe);
    let output = json!({
        "toolchain": project.toolchain.name(),
        "success": success,
        "errors": errors,
        "warnings": warnings,
        "diagnostics": diagnostics,
        "artifacts": artifacts,
        "duration_ms": ran.duration_ms,
        "stdout_tail": ran.stdout_tail(),
        "stderr_tail": ran.stderr_tail(),
        "command": ran.command,
    });
    if success {
        return Ok(StepOutput::new(output));
    }
    let what = match project.toolchain {
        Toolchain::Cargo => "cargo build",
        Toolchain::Python => "python3 -m compileall",
        Toolchain::Npm => "npm run build",
    };
    let message = match first_error {
        Some(first) => {
            let more = if errors > 1 {
                format!(" ({errors} errors in all)")
            } else {
                String::new()
            };
            format!("`{what}` failed in `{}`: {first}{more}", project.shown())
        }
        None => format!("{} in `{}`", ran.failed_message(what), project.shown()),
    };
    Err(Failure::new(message).with_output(output))
}
