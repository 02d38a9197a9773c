//! The code family: a project's own toolchain (build, test, format, lint) and tree-sitter parses.
//!
//! Each type is one file; [`Kind`] lists them for the dispatcher in `steps/mod.rs`. The
//! toolchain types share `project.rs` (the project folder, its toolchain, running the tools
//! through `steps/program.rs`), `diagnostics.rs` (compiler and linter messages) and
//! `test_reports.rs` (libtest, JUnit XML, TAP); the parse types share `sources.rs` (the files
//! read and their outlines, from the `studio-syntax` crate).

mod compile_code;
mod diagnostics;
mod extract_functions;
mod format_code;
mod generate_docs;
mod lint_code;
mod project;
mod run_tests;
mod sources;
mod test_reports;

use super::{Failure, StepCtx, StepOutput};
use crate::tools::SideEffects;
use serde_json::Value;

/// The step types of this family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    CompileCode,
    RunTests,
    FormatCode,
    LintCode,
    ExtractFunctions,
    GenerateDocs,
}

/// Each type's name, as missions write it.
pub(crate) const KINDS: &[(&str, Kind)] = &[
    ("compile_code", Kind::CompileCode),
    ("run_tests", Kind::RunTests),
    ("format_code", Kind::FormatCode),
    ("lint_code", Kind::LintCode),
    ("extract_functions", Kind::ExtractFunctions),
    ("generate_docs", Kind::GenerateDocs),
];

/// What a step of this type changes, given its parameters (the gate, the sandbox and approvals
/// read it). Building, testing and linting write build outputs (`target/`, `__pycache__`,
/// whatever the npm script writes) inside the project, so inside the workspace; a format check
/// and the parses only read. A value only known at run time (`{{…}}`) counts as the one that
/// changes more.
pub(crate) fn side_effects(kind: Kind, params: &Value) -> SideEffects {
    match kind {
        Kind::CompileCode | Kind::RunTests | Kind::LintCode => SideEffects::Workspace,
        Kind::FormatCode => {
            let check = matches!(params.get("check"), Some(Value::Bool(true)))
                || params.get("check").and_then(Value::as_str) == Some("true");
            if check {
                SideEffects::None
            } else {
                SideEffects::Workspace
            }
        }
        Kind::ExtractFunctions => SideEffects::None,
        Kind::GenerateDocs => {
            let writes = ["output_file", "output", "output_path"]
                .iter()
                .any(|n| params.get(*n).is_some_and(|v| !v.is_null()));
            if writes {
                SideEffects::Workspace
            } else {
                SideEffects::None
            }
        }
    }
}

pub(crate) async fn run(kind: Kind, params: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    match kind {
        Kind::CompileCode => compile_code::run(params, ctx).await,
        Kind::RunTests => run_tests::run(params, ctx).await,
        Kind::FormatCode => format_code::run(params, ctx).await,
        Kind::LintCode => lint_code::run(params, ctx).await,
        Kind::ExtractFunctions => extract_functions::run(params, ctx).await,
        Kind::GenerateDocs => generate_docs::run(params, ctx).await,
    }
}

#[cfg(test)]
#[test]
fn side_effects_follow_the_parameters() {
    use serde_json::json;
    assert_eq!(
        side_effects(Kind::FormatCode, &json!({"check": true})),
        SideEffects::None
    );
    assert_eq!(
        side_effects(Kind::FormatCode, &json!({"check": "{{x.output.v}}"})),
        SideEffects::Workspace
    );
    assert_eq!(
        side_effects(Kind::FormatCode, &json!({})),
        SideEffects::Workspace
    );
    assert_eq!(
        side_effects(Kind::GenerateDocs, &json!({"path": "src"})),
        SideEffects::None
    );
    assert_eq!(
        side_effects(Kind::GenerateDocs, &json!({"output": "API.md"})),
        SideEffects::Workspace
    );
    assert_eq!(
        side_effects(Kind::ExtractFunctions, &json!({})),
        SideEffects::None
    );
    assert_eq!(
        side_effects(Kind::CompileCode, &json!({})),
        SideEffects::Workspace
    );
}
