//! `extract_functions`: the functions and methods of a source file or folder, read with
//! tree-sitter (Rust, Python, JavaScript, TypeScript, Go; see `sources.rs` for `path`,
//! `language` and `pattern`).
//!
//! Parameters: `path` (alias `file`), `language`, `pattern`, `include_private` (default true).
//! Output: `{functions: [{name, kind, signature, file, language, start_line, end_line, doc,
//! parent, public}], count, files_parsed, errors: [{file, line, column}]}`. A file with syntax
//! errors is read anyway: what the parser recovered is listed, and its errors too.

use super::sources::{parse, Parsed};
use crate::steps::params::opt_bool;
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let include_private = opt_bool(&p, "include_private")?.unwrap_or(true);
    let parsed = parse(&p, ctx).await?;
    let functions: Vec<Value> = parsed
        .iter()
        .flat_map(|file| {
            file.outline
                .functions
                .iter()
                .filter(|f| include_private || f.public)
                .map(move |f| function_json(file, f))
        })
        .collect();
    let errors = syntax_errors(&parsed);
    Ok(StepOutput::new(json!({
        "count": functions.len(),
        "functions": functions,
        "files_parsed": parsed.len(),
        "errors": errors,
    })))
}

fn function_json(file: &Parsed, f: &studio_syntax::Function) -> Value {
    json!({
        "name": f.name,
        "kind": f.kind.name(),
        "signature": f.signature,
        "file": file.file,
        "language": file.language.name(),
        "start_line": f.start_line,
        "end_line": f.end_line,
        "doc": f.doc,
        "parent": f.parent,
        "public": f.public,
    })
}

/// `[{file, line, column}]` for every syntax error found.
pub(super) fn syntax_errors(parsed: &[Parsed]) -> Vec<Value> {
    parsed
        .iter()
        .flat_map(|file| {
            file.outline
                .errors
                .iter()
                .map(move |e| json!({"file": file.file, "line": e.line, "column": e.column}))
        })
        .collect()
}
