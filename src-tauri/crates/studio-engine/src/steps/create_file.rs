//! `create_file`: writes a file in the workspace.
//! Parameters: `path`, `content` (text; other JSON values are written as JSON), optional
//! `overwrite` (default true). Parent folders are created. Output: `{path, bytes}`.

use super::params::{opt_bool, str_param};
use super::workspace::{check, display, io_failure, refuse_escaping_link, with_dir};
use super::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let path = check(str_param(&p, "path")?)?;
    let content = content_text(&p)?;
    let overwrite = opt_bool(&p, "overwrite")?.unwrap_or(true);
    let shown = display(&path);
    let bytes = content.len();
    with_dir(ctx, move |dir| {
        refuse_escaping_link(dir, &path)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            dir.create_dir_all(parent)
                .map_err(|e| io_failure("create the folder", parent, e))?;
        }
        if !overwrite && dir.symlink_metadata(&path).is_ok() {
            return Err(Failure::new(format!(
                "`{}` exists and `overwrite` is false",
                path.display()
            )));
        }
        dir.write(&path, content.as_bytes())
            .map_err(|e| io_failure("write", &path, e))
    })
    .await?;
    Ok(StepOutput::new(json!({"path": shown, "bytes": bytes})).with_artifact(shown))
}

/// The `content` parameter as text (missing means an empty file).
pub(crate) fn content_text(p: &Value) -> Result<String, Failure> {
    Ok(match p.get("content") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => serde_json::to_string_pretty(other)
            .map_err(|e| Failure::new(format!("cannot write `content` as JSON: {e}")))?,
    })
}
