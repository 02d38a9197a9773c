//! `git_diff`: what changed between two states of a repository.
//!
//! Parameters: `repo_path` (as for every git step), `staged` (alias `cached`: the index against
//! HEAD, or against `from`), `from` and `to` (commits, branches or tags, resolved to commit ids
//! first: a name that is not one fails the step, and one starting with `-` is refused), `paths`
//! (alias `files`: pathspecs relative to the repository's top folder), `context_lines`, `patch`
//! (default true), `max_patch_bytes` (default 256 KiB, at most 4 MiB).
//!
//! | given | compares |
//! |---|---|
//! | nothing | the working tree with the index (unstaged changes) |
//! | `staged` | the index with HEAD (what the next commit records) |
//! | `staged` + `from` | the index with `from` |
//! | `from` | the working tree with `from` |
//! | `from` + `to` | `from` with `to` |
//!
//! Output: `{files: [{path, old_path?, status, additions, deletions, binary}], stats:
//! {files_changed, additions, deletions}, patch, truncated, from, to}`. The figures come from
//! `git diff --numstat -z` and the statuses from `--name-status -z` (renames are detected), the
//! patch from a separate call. External diff programs and text conversions never run.

use super::repo::{check_paths, open, strings, Repo};
use crate::steps::params::{opt_bool, opt_str, opt_str_list, opt_u64};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

const DEFAULT_MAX_PATCH: u64 = 256 * 1024;
const MAX_PATCH: u64 = 4 * 1024 * 1024;

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let staged = opt_bool(&p, "staged")?.unwrap_or(false);
    let from = opt_str(&p, "from")?;
    let to = opt_str(&p, "to")?;
    if to.is_some() && from.is_none() {
        return Err(Failure::new(
            "`to` needs `from`: name the commit to compare from",
        ));
    }
    if staged && to.is_some() {
        return Err(Failure::new(
            "`staged` compares the index and cannot take `to`; drop one of them",
        ));
    }
    let paths = opt_str_list(&p, "paths")?;
    check_paths("paths", &paths)?;
    let context = opt_u64(&p, "context_lines")?;
    let with_patch = opt_bool(&p, "patch")?.unwrap_or(true);
    let max_patch = opt_u64(&p, "max_patch_bytes")?
        .unwrap_or(DEFAULT_MAX_PATCH)
        .clamp(1, MAX_PATCH) as usize;

    let (mut repo, _) = open(&p, ctx, None).await?;
    repo.read_only = true;
    let from_id = match from {
        Some(rev) => Some(repo.resolve(ctx, "from", rev).await?),
        None if staged => repo.head(ctx).await?,
        None => None,
    };
    let to_id = match to {
        Some(rev) => Some(repo.resolve(ctx, "to", rev).await?),
        None => None,
    };
    let mut revs = Vec::new();
    if staged {
        revs.push("--cached".to_string());
    }
    revs.extend(from.and(from_id.clone()));
    revs.extend(to_id.clone());

    let numstat = diff(&repo, ctx, &["--numstat", "-z"], &revs, &paths).await?;
    let names = diff(&repo, ctx, &["--name-status", "-z"], &revs, &paths).await?;
    let files = merge_figures(&parse_numstat(&numstat), &parse_name_status(&names));
    let (patch, truncated) = if with_patch {
        let unified = format!("--unified={}", context.unwrap_or(3));
        let text = diff(&repo, ctx, &[&unified], &revs, &paths).await?;
        cut(text, max_patch)
    } else {
        (String::new(), false)
    };
    let sum = |key: &str| files.iter().filter_map(|f| f[key].as_u64()).sum::<u64>();
    let stats = json!({
        "files_changed": files.len(),
        "additions": sum("additions"),
        "deletions": sum("deletions"),
    });
    Ok(StepOutput::new(json!({
        "files": files,
        "stats": stats,
        "patch": patch,
        "truncated": truncated,
        "from": from_id,
        "to": to_id,
    })))
}

async fn diff(
    repo: &Repo,
    ctx: &StepCtx,
    format: &[&str],
    revs: &[String],
    paths: &[String],
) -> Result<String, Failure> {
    let mut args = strings(&[
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--find-renames",
    ]);
    args.extend(strings(format));
    args.extend(revs.iter().cloned());
    args.push("--".into());
    args.extend(paths.iter().cloned());
    let finished = repo.run(ctx, args, None, BTreeMap::new()).await?;
    if finished.status.success() {
        Ok(finished.stdout)
    } else {
        Err(super::repo::git_failure("diff", &finished, &repo.display))
    }
}

/// One file of `--numstat -z`: `(path, old_path, additions, deletions)`; `None` figures for a
/// binary file.
type Figures = (String, Option<String>, Option<u64>, Option<u64>);

fn parse_numstat(text: &str) -> Vec<Figures> {
    let mut out = Vec::new();
    let mut fields = text.split('\0');
    while let Some(record) = fields.next() {
        let mut parts = record.splitn(3, '\t');
        let (Some(add), Some(del), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let (path, old) = if path.is_empty() {
            // A rename: the old and new paths follow as two fields.
            let old = fields.next().unwrap_or_default().to_string();
            (fields.next().unwrap_or_default().to_string(), Some(old))
        } else {
            (path.to_string(), None)
        };
        out.push((path, old, add.parse().ok(), del.parse().ok()));
    }
    out
}

/// `path → status` from `--name-status -z`.
fn parse_name_status(text: &str) -> HashMap<String, &'static str> {
    let mut out = HashMap::new();
    let mut fields = text.split('\0').filter(|f| !f.is_empty());
    while let Some(code) = fields.next() {
        let status = match code.chars().next() {
            Some('A') => "added",
            Some('D') => "deleted",
            Some('R') => "renamed",
            Some('C') => "copied",
            Some('T') => "type_changed",
            Some('U') => "unmerged",
            _ => "modified",
        };
        if matches!(status, "renamed" | "copied") {
            fields.next();
        }
        if let Some(path) = fields.next() {
            out.insert(path.to_string(), status);
        }
    }
    out
}

fn merge_figures(figures: &[Figures], statuses: &HashMap<String, &'static str>) -> Vec<Value> {
    figures
        .iter()
        .map(|(path, old, add, del)| {
            let binary = add.is_none() && del.is_none();
            let mut v = json!({
                "path": path,
                "status": statuses.get(path).copied().unwrap_or("modified"),
                "additions": add.unwrap_or(0),
                "deletions": del.unwrap_or(0),
                "binary": binary,
            });
            if let Some(old) = old {
                v["old_path"] = json!(old);
            }
            v
        })
        .collect()
}

/// The patch cut to at most `max` bytes (on a character boundary), and whether it was cut.
fn cut(mut text: String, max: usize) -> (String, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    (text, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numstat_and_name_status_are_read_with_renames_and_binaries() {
        let numstat = "3\t1\tsrc/a.rs\0-\t-\tlogo.png\0\
                       0\t0\t\0old name.txt\0new name.txt\0";
        let names = "M\0src/a.rs\0A\0logo.png\0R100\0old name.txt\0new name.txt\0";
        let files = merge_figures(&parse_numstat(numstat), &parse_name_status(names));
        assert_eq!(
            files,
            vec![
                json!({"path": "src/a.rs", "status": "modified", "additions": 3, "deletions": 1, "binary": false}),
                json!({"path": "logo.png", "status": "added", "additions": 0, "deletions": 0, "binary": true}),
                json!({"path": "new name.txt", "old_path": "old name.txt", "status": "renamed", "additions": 0, "deletions": 0, "binary": false}),
            ]
        );
    }

    #[test]
    fn a_long_patch_is_cut_on_a_character_boundary() {
        assert_eq!(cut("abc".into(), 3), ("abc".into(), false));
        assert_eq!(cut("aé".into(), 2), ("a".into(), true));
    }
}
