//! `read_file`: reads a text file from the workspace.
//! Parameters: `path`, optional `max_bytes` (default 16 MiB; larger files fail).
//! Output: `{path, content, size}` (invalid UTF-8 is replaced by U+FFFD).

use super::params::{opt_u64, str_param};
use super::workspace::{check, display, io_failure, refuse_escaping_link, with_dir};
use super::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

const DEFAULT_MAX_BYTES: u64 = 16 * 1024 * 1024;

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let path = check(str_param(&p, "path")?)?;
    let max = opt_u64(&p, "max_bytes")?.unwrap_or(DEFAULT_MAX_BYTES);
    let shown = display(&path);
    let bytes = read_limited(ctx, path, max).await?;
    let size = bytes.len();
    let content = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Ok(StepOutput::new(
        json!({"path": shown, "content": content, "size": size}),
    ))
}

/// Reads a workspace file, refusing files larger than `max` bytes.
pub(crate) async fn read_limited(
    ctx: &StepCtx,
    path: std::path::PathBuf,
    max: u64,
) -> Result<Vec<u8>, Failure> {
    with_dir(ctx, move |dir| {
        refuse_escaping_link(dir, &path)?;
        let meta = dir
            .metadata(&path)
            .map_err(|e| io_failure("read", &path, e))?;
        if meta.is_dir() {
            return Err(Failure::new(format!(
                "`{}` is a folder, not a file",
                path.display()
            )));
        }
        if meta.len() > max {
            return Err(Failure::new(format!(
                "`{}` is {} bytes, more than the limit of {max}",
                path.display(),
                meta.len()
            )));
        }
        dir.read(&path).map_err(|e| io_failure("read", &path, e))
    })
    .await
}
