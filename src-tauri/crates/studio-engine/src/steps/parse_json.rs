//! `parse_json`: parses JSON text.
//! Parameters: `content` (text to parse; a JSON value that is not a string is taken as is) or
//! `path` (a workspace file). Output: `{value}`.

use super::params::str_param;
use super::read_file::read_limited;
use super::workspace::check;
use super::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

const MAX_BYTES: u64 = 64 * 1024 * 1024;

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let (text, origin) = source_text(&p, ctx, "JSON").await?;
    let text = match text {
        Source::Text(t) => t,
        Source::Value(v) => return Ok(StepOutput::new(json!({ "value": v }))),
    };
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::new(format!("{origin} is not valid JSON: {e}")))?;
    Ok(StepOutput::new(json!({ "value": value })))
}

pub(crate) enum Source {
    Text(String),
    Value(Value),
}

/// The text to parse: `content`, or the workspace file named by `path`.
pub(crate) async fn source_text(
    p: &Value,
    ctx: &StepCtx,
    format: &str,
) -> Result<(Source, String), Failure> {
    match p.get("content") {
        Some(Value::String(s)) => Ok((Source::Text(s.clone()), "`content`".into())),
        Some(Value::Null) | None => {
            let raw = str_param(p, "path").map_err(|_| {
                Failure::new(format!(
                    "give the {format} text in `content` or a file in `path`"
                ))
            })?;
            let path = check(raw)?;
            let bytes = read_limited(ctx, path, MAX_BYTES).await?;
            let text = String::from_utf8(bytes)
                .map_err(|_| Failure::new(format!("`{raw}` is not UTF-8 text")))?;
            Ok((Source::Text(text), format!("`{raw}`")))
        }
        Some(other) => Ok((Source::Value(other.clone()), "`content`".into())),
    }
}
