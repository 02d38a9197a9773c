//! `edit_file`: changes a file in the workspace.
//! Parameters: `path`; then either `find` + `replace` (replaces every occurrence; fails when
//! `find` is absent), or `content` with `append` (true appends, false (default) replaces the
//! whole file); optional `backup` (copies the old file to `<path>.bak` first).
//! Output: `{path, bytes, replacements, backup}`.

use super::create_file::content_text;
use super::params::{opt_bool, opt_str, str_param};
use super::workspace::{check, display, io_failure, refuse_escaping_link, with_dir};
use super::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let path = check(str_param(&p, "path")?)?;
    let find = opt_str(&p, "find")?.map(str::to_string);
    let replace = opt_str(&p, "replace")?.unwrap_or_default().to_string();
    let append = opt_bool(&p, "append")?.unwrap_or(false);
    let backup = opt_bool(&p, "backup")?.unwrap_or(false);
    let content = content_text(&p)?;
    if find.is_none() && p.get("content").is_none() {
        return Err(Failure::new(
            "give `content` (with optional `append`) or `find` and `replace`",
        ));
    }
    let shown = display(&path);
    let (bytes, replacements, backup_path) = with_dir(ctx, move |dir| {
        refuse_escaping_link(dir, &path)?;
        let old = dir.read(&path).map_err(|e| io_failure("read", &path, e))?;
        let backup_path = if backup {
            let mut name = path.clone().into_os_string();
            name.push(".bak");
            let bak = std::path::PathBuf::from(name);
            dir.write(&bak, &old)
                .map_err(|e| io_failure("write the backup", &bak, e))?;
            Some(display(&bak))
        } else {
            None
        };
        let (new, replacements) = match &find {
            Some(find) => {
                if find.is_empty() {
                    return Err(Failure::new("parameter `find` is empty"));
                }
                let text = String::from_utf8_lossy(&old);
                let n = text.matches(find.as_str()).count();
                if n == 0 {
                    return Err(Failure::new(format!(
                        "`{}` does not contain the text given in `find`",
                        path.display()
                    )));
                }
                (text.replace(find.as_str(), &replace).into_bytes(), n)
            }
            None if append => {
                let mut new = old;
                new.extend_from_slice(content.as_bytes());
                (new, 0)
            }
            None => (content.into_bytes(), 0),
        };
        dir.write(&path, &new)
            .map_err(|e| io_failure("write", &path, e))?;
        Ok((new.len(), replacements, backup_path))
    })
    .await?;
    Ok(StepOutput::new(json!({
        "path": shown, "bytes": bytes, "replacements": replacements, "backup": backup_path
    }))
    .with_artifact(shown))
}
