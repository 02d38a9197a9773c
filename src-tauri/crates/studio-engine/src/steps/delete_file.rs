//! `delete_file`: removes a file (or, with `recursive: true`, a folder) from the workspace.
//! Parameters: `path`, optional `missing_ok` (default false), `recursive` (default false).
//! A symlink is removed itself, but only when it points inside the workspace.
//! Output: `{path, deleted}`.

use super::params::{opt_bool, str_param};
use super::workspace::{check, display, io_failure, refuse_escaping_link, with_dir};
use super::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let path = check(str_param(&p, "path")?)?;
    let missing_ok = opt_bool(&p, "missing_ok")?.unwrap_or(false);
    let recursive = opt_bool(&p, "recursive")?.unwrap_or(false);
    if path.as_os_str() == "." {
        return Err(Failure::new("the workspace itself cannot be deleted"));
    }
    let shown = display(&path);
    let deleted = with_dir(ctx, move |dir| {
        refuse_escaping_link(dir, &path)?;
        let meta = match dir.symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && missing_ok => return Ok(false),
            Err(e) => return Err(io_failure("delete", &path, e)),
        };
        refuse_escaping_link(dir, &path)?;
        if meta.is_dir() {
            if !recursive {
                return Err(Failure::new(format!(
                    "`{}` is a folder; set `recursive: true` to delete it",
                    path.display()
                )));
            }
            dir.remove_dir_all(&path)
                .map_err(|e| io_failure("delete", &path, e))?;
        } else {
            dir.remove_file(&path)
                .map_err(|e| io_failure("delete", &path, e))?;
        }
        Ok(true)
    })
    .await?;
    Ok(StepOutput::new(json!({"path": shown, "deleted": deleted})))
}
