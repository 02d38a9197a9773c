//! `run_tests`: runs a project's tests with its own toolchain and reads the results test by
//! test.
//!
//! Parameters: `path` / `language` as for `compile_code`; `filter` (cargo's name filter,
//! pytest's `-k`, node's `--test-name-pattern`); `fail_on_failure` (default true); `args`
//! (appended); `env`.
//!
//! - cargo: `cargo test --offline --message-format=json [filter]` into the project's own
//!   `target/`; libtest's `test NAME ... ok|FAILED|ignored` lines give the tests, each failure's
//!   `---- NAME stdout ----` section its message; tests that do not build fail the step with
//!   the first compiler error (also in `diagnostics`).
//! - python: `python3 -m pytest` with a JUnit XML report written inside the project (read,
//!   then removed); when python3 has no pytest module, the `pytest` program is used, with the
//!   project on `PYTHONPATH` as `python3 -m` would put it. pytest's exit code 5 (no tests
//!   collected) counts as success with no tests.
//! - npm: `npm test` (the `test` script must exist); TAP output (`node --test`) is read test
//!   by test, other output only by exit code.
//!
//! Output: `{toolchain, success, passed, failed, ignored, total, failures: [{name, message}],
//! tests: [{name, outcome}], diagnostics, duration_ms, stdout_tail, stderr_tail, command}`. A
//! failing suite fails the step naming the failing tests (output kept), unless
//! `fail_on_failure` is false.

use super::diagnostics::{cargo_messages, Diagnostic};
use super::project::{in_path, run_tool, Project, Ran, Toolchain};
use super::test_reports::{junit, libtest, tap, Report};
use crate::steps::params::{opt_bool, opt_str};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Failing tests named in the step's error message.
const NAMED_FAILURES: usize = 5;

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let project = Project::from_params(&p, ctx)?;
    let filter = opt_str(&p, "filter")?.map(str::to_string);
    let fail_on_failure = opt_bool(&p, "fail_on_failure")?.unwrap_or(true);
    let result = match project.toolchain {
        Toolchain::Cargo => cargo(&project, filter, &p, ctx).await?,
        Toolchain::Python => pytest(&project, filter, &p, ctx).await?,
        Toolchain::Npm => npm(&project, filter, &p, ctx).await?,
    };
    finish(&project, result, fail_on_failure)
}

/// What a run of the tests gave.
struct Suite {
    ran: Ran,
    /// `None`: the output could not be read test by test.
    report: Option<Report>,
    diagnostics: Vec<Diagnostic>,
    /// Why the suite did not run at all (a build error, a crash of the runner).
    broken: Option<String>,
    /// What ran, for messages (`cargo test`).
    what: &'static str,
}

async fn cargo(
    project: &Project,
    filter: Option<String>,
    p: &Value,
    ctx: &StepCtx,
) -> Result<Suite, Failure> {
    let mut args = vec![
        "test".to_string(),
        "--offline".to_string(),
        "--message-format=json".to_string(),
    ];
    args.extend(filter);
    let ran = run_tool(project, "cargo", args, p, BTreeMap::new(), ctx).await?;
    let messages = cargo_messages(&ran.finished.stdout, project);
    let report = libtest(&ran.finished.stdout);
    let build_error = messages.diagnostics.iter().find(|d| d.is_error());
    let broken = if ran.success() {
        None
    } else if let Some(first) = build_error {
        Some(format!("the tests did not build: {}", first.describe()))
    } else if report.failures().is_empty() {
        Some(ran.failed_message("cargo test"))
    } else {
        None
    };
    Ok(Suite {
        ran,
        report: Some(report),
        diagnostics: messages.diagnostics,
        broken,
        what: "cargo test",
    })
}

async fn pytest(
    project: &Project,
    filter: Option<String>,
    p: &Value,
    ctx: &StepCtx,
) -> Result<Suite, Failure> {
    let report_name = format!(".mission-pytest-{}.xml", uuid::Uuid::new_v4().simple());
    let report_path = project.host.join(&report_name);
    let mut pytest_args = vec![
        "-p".to_string(),
        "no:cacheprovider".to_string(),
        "-o".to_string(),
        "junit_family=xunit1".to_string(),
        format!("--junitxml={report_name}"),
    ];
    if let Some(f) = filter {
        pytest_args.push("-k".to_string());
        pytest_args.push(f);
    }
    let python = project.python();
    let mut args = vec!["-m".to_string(), "pytest".to_string()];
    args.extend(pytest_args.iter().cloned());
    let mut ran = run_tool(project, &python, args, p, BTreeMap::new(), ctx).await?;
    if ran.finished.exit_code() == Some(1) && ran.finished.stderr.contains("No module named pytest")
    {
        // python3 has no pytest; a `pytest` program (e.g. Debian's python3-pytest) may.
        let Some(program) = project
            .find_program("pytest")
            .or_else(|| in_path("pytest-3").map(|p| p.display().to_string()))
        else {
            return Err(Failure::new(format!(
                "pytest is not installed for `{python}`: install it (`{python} -m pip install pytest`, or Debian's python3-pytest package)"
            )));
        };
        let mut path = project.host.display().to_string();
        if let Some(existing) = std::env::var_os("PYTHONPATH").filter(|v| !v.is_empty()) {
            path = format!("{path}:{}", existing.to_string_lossy());
        }
        let env = BTreeMap::from([("PYTHONPATH".to_string(), path)]);
        ran = run_tool(project, &program, pytest_args, p, env, ctx).await?;
    }
    let xml = std::fs::read_to_string(&report_path).ok();
    let _ = std::fs::remove_file(&report_path);
    let report = match xml {
        Some(xml) => Some(
            junit(&xml).map_err(|e| Failure::new(format!("cannot read pytest's report: {e}")))?,
        ),
        None => None,
    };
    let code = ran.finished.exit_code();
    let failures = report.as_ref().map_or(0, |r| r.failures().len());
    let broken = match code {
        Some(0) | Some(5) => None,
        Some(1) | Some(2) if failures > 0 => None,
        _ => Some(ran.failed_message("pytest")),
    };
    Ok(Suite {
        ran,
        report,
        diagnostics: Vec::new(),
        broken,
        what: "pytest",
    })
}

async fn npm(
    project: &Project,
    filter: Option<String>,
    p: &Value,
    ctx: &StepCtx,
) -> Result<Suite, Failure> {
    project.require_npm_script("test", "node --test")?;
    let mut args = vec!["test".to_string()];
    if let Some(f) = filter {
        args.push("--".to_string());
        args.push(format!("--test-name-pattern={f}"));
    }
    let ran = run_tool(project, "npm", args, p, BTreeMap::new(), ctx).await?;
    let report = tap(&ran.finished.stdout);
    let broken = match &report {
        _ if ran.success() => None,
        Some(r) if !r.failures().is_empty() => None,
        Some(_) => Some(ran.failed_message("npm test")),
        None => Some(format!(
            "{} (its output is not TAP, so the failing tests cannot be named)",
            ran.failed_message("npm test")
        )),
    };
    Ok(Suite {
        ran,
        report,
        diagnostics: Vec::new(),
        broken,
        what: "npm test",
    })
}

fn finish(project: &Project, suite: Suite, fail_on_failure: bool) -> Result<StepOutput, Failure> {
    let report = suite.report.unwrap_or_default();
    let failed = report.failures().len();
    let success = suite.broken.is_none() && failed == 0 && suite.ran.success();
    let mut output = json!({
        "toolchain": project.toolchain.name(),
        "success": success,
        "diagnostics": suite.diagnostics,
        "duration_ms": suite.ran.duration_ms,
        "stdout_tail": suite.ran.stdout_tail(),
        "stderr_tail": suite.ran.stderr_tail(),
        "command": suite.ran.command,
    });
    if let (Some(map), Value::Object(fields)) = (output.as_object_mut(), report.output_fields()) {
        map.extend(fields);
    }
    if let Some(why) = suite.broken {
        return Err(Failure::new(format!("{why} (in `{}`)", project.shown())).with_output(output));
    }
    if success || !fail_on_failure {
        return Ok(StepOutput::new(output));
    }
    let total = report.tests.len();
    let message = if failed > 0 {
        format!(
            "{failed} of {total} tests failed in `{}` ({}): {}",
            project.shown(),
            suite.what,
            report.failing_names(NAMED_FAILURES)
        )
    } else {
        format!(
            "{} in `{}`",
            suite.ran.failed_message(suite.what),
            project.shown()
        )
    };
    Err(Failure::new(message).with_output(output))
}
