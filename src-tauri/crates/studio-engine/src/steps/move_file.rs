//! `move_file`: moves or renames a file or folder inside the workspace.
//! Parameters: `source` (or `from`), `destination` (or `to`), optional `overwrite` (default
//! false). Parent folders of the destination are created. Output: `{source, destination}`.

use super::params::{opt_bool, str_param_any};
use super::workspace::{check, display, io_failure, refuse_escaping_link, with_dir};
use super::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let source = check(str_param_any(&p, &["source", "from", "src"])?)?;
    let destination = check(str_param_any(&p, &["destination", "to", "dest"])?)?;
    let overwrite = opt_bool(&p, "overwrite")?.unwrap_or(false);
    let (src_shown, dst_shown) = (display(&source), display(&destination));
    with_dir(ctx, move |dir| {
        refuse_escaping_link(dir, &source)?;
        refuse_escaping_link(dir, &destination)?;
        dir.symlink_metadata(&source)
            .map_err(|e| io_failure("move", &source, e))?;
        refuse_escaping_link(dir, &source)?;
        if let Some(parent) = destination.parent().filter(|p| !p.as_os_str().is_empty()) {
            dir.create_dir_all(parent)
                .map_err(|e| io_failure("create the folder", parent, e))?;
        }
        if !overwrite && dir.symlink_metadata(&destination).is_ok() {
            return Err(Failure::new(format!(
                "`{}` exists; set `overwrite: true` to replace it",
                destination.display()
            )));
        }
        dir.rename(&source, dir, &destination)
            .map_err(|e| io_failure("move to", &destination, e))
    })
    .await?;
    Ok(
        StepOutput::new(json!({"source": src_shown, "destination": dst_shown}))
            .with_artifact(dst_shown),
    )
}
