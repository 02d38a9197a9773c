//! `git_status`: a repository's state from `git status --porcelain=v2 -z --branch`.
//!
//! Parameters: `repo_path` (aliases `path`, `repository`, `repo`, `working_dir`; default the
//! workspace), `untracked` (alias `include_untracked`, default true: every untracked file, not
//! just its folder), `ignored` (alias `include_ignored`, default false), `paths` (pathspecs,
//! relative to the repository's top folder).
//!
//! Output: `{branch, commit, upstream, ahead, behind, clean, files, counts}`; each file is
//! `{path, index, worktree, state, staged, unstaged}` plus `orig_path` for renames and copies.
//! `index` and `worktree` are git's letters (`.` for unchanged); `state` sums them up:
//! `conflicted` (an unmerged path), `untracked`, `ignored`, `renamed`, `copied`, `added`,
//! `deleted`, else `modified` (type changes included). Only reads: git takes no optional lock, so
//! the index file is not rewritten.

use super::repo::{check_paths, open, Repo};
use crate::steps::params::{opt_bool, opt_str_list};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Map, Value};

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let untracked = opt_bool(&p, "untracked")?.unwrap_or(true);
    let ignored = opt_bool(&p, "ignored")?.unwrap_or(false);
    let paths = opt_str_list(&p, "paths")?;
    check_paths("paths", &paths)?;
    let (mut repo, _) = open(&p, ctx, None).await?;
    repo.read_only = true;
    Ok(StepOutput::new(
        status(&repo, ctx, untracked, ignored, &paths).await?,
    ))
}

/// The status of `repo` as the step's output (also used by other git steps).
pub(crate) async fn status(
    repo: &Repo,
    ctx: &StepCtx,
    untracked: bool,
    ignored: bool,
    paths: &[String],
) -> Result<Value, Failure> {
    let mut args = vec![
        "status",
        "--porcelain=v2",
        "-z",
        "--branch",
        "--renames",
        if untracked {
            "--untracked-files=all"
        } else {
            "--untracked-files=no"
        },
        if ignored {
            "--ignored=matching"
        } else {
            "--ignored=no"
        },
        "--",
    ];
    args.extend(paths.iter().map(String::as_str));
    let text = repo.output(ctx, &args).await?;
    parse(&text).map_err(|e| Failure::new(format!("cannot read `git status`: {e}")))
}

/// Parses porcelain v2 output (`-z`, with `--branch` headers).
pub(crate) fn parse(text: &str) -> Result<Value, String> {
    let mut branch = Value::Null;
    let mut commit = Value::Null;
    let mut upstream = Value::Null;
    let (mut ahead, mut behind) = (0u64, 0u64);
    let mut files = Vec::new();
    let mut records = text.split('\0').filter(|r| !r.is_empty());
    while let Some(record) = records.next() {
        let (kind, rest) = record.split_once(' ').unwrap_or((record, ""));
        match kind {
            "#" => {
                let (key, value) = rest.split_once(' ').unwrap_or((rest, ""));
                match key {
                    "branch.oid" if value != "(initial)" => commit = json!(value),
                    "branch.head" if value != "(detached)" => branch = json!(value),
                    "branch.upstream" => upstream = json!(value),
                    "branch.ab" => {
                        for part in value.split(' ') {
                            if let Some(n) = part.strip_prefix('+') {
                                ahead = n.parse().unwrap_or(0);
                            } else if let Some(n) = part.strip_prefix('-') {
                                behind = n.parse().unwrap_or(0);
                            }
                        }
                    }
                    _ => {}
                }
            }
            "1" => {
                let fields: Vec<&str> = rest.splitn(8, ' ').collect();
                let [xy, _, _, _, _, _, _, path] = fields[..] else {
                    return Err(format!("unexpected entry `{record}`"));
                };
                files.push(changed(xy, path, None));
            }
            "2" => {
                let fields: Vec<&str> = rest.splitn(9, ' ').collect();
                let [xy, _, _, _, _, _, _, _, path] = fields[..] else {
                    return Err(format!("unexpected entry `{record}`"));
                };
                let orig = records
                    .next()
                    .ok_or_else(|| format!("`{path}` is renamed from nothing"))?;
                files.push(changed(xy, path, Some(orig)));
            }
            "u" => {
                let fields: Vec<&str> = rest.splitn(10, ' ').collect();
                let (Some(xy), Some(path)) = (fields.first(), fields.get(9)) else {
                    return Err(format!("unexpected entry `{record}`"));
                };
                files.push(file(path, xy, "conflicted", None));
            }
            "?" => files.push(file(rest, "??", "untracked", None)),
            "!" => files.push(file(rest, "!!", "ignored", None)),
            _ => return Err(format!("unexpected entry `{record}`")),
        }
    }
    let mut counts = Map::new();
    for key in [
        "modified",
        "added",
        "deleted",
        "renamed",
        "copied",
        "untracked",
        "conflicted",
        "ignored",
    ] {
        let n = files.iter().filter(|f| f["state"] == key).count();
        counts.insert(key.into(), json!(n));
    }
    let listed: Vec<&Value> = files.iter().filter(|f| f["state"] != "ignored").collect();
    let flag = |key: &str| listed.iter().filter(|f| f[key] == true).count();
    counts.insert("staged".into(), json!(flag("staged")));
    counts.insert("unstaged".into(), json!(flag("unstaged")));
    counts.insert("total".into(), json!(listed.len()));
    Ok(json!({
        "branch": branch,
        "commit": commit,
        "upstream": upstream,
        "ahead": ahead,
        "behind": behind,
        "clean": listed.is_empty(),
        "files": files,
        "counts": counts,
    }))
}

/// An ordinary or renamed entry: its state from the two letters.
fn changed(xy: &str, path: &str, orig: Option<&str>) -> Value {
    let has = |c: char| xy.contains(c);
    let index = xy.chars().next().unwrap_or('.');
    let state = if has('R') {
        "renamed"
    } else if has('C') {
        "copied"
    } else if index == 'A' {
        "added"
    } else if has('D') {
        "deleted"
    } else {
        "modified"
    };
    file(path, xy, state, orig)
}

fn file(path: &str, xy: &str, state: &str, orig: Option<&str>) -> Value {
    let mut letters = xy.chars();
    let index = letters.next().unwrap_or('.');
    let worktree = letters.next().unwrap_or('.');
    let (staged, unstaged) = match state {
        "untracked" | "ignored" => (false, false),
        "conflicted" => (false, true),
        _ => (index != '.', worktree != '.'),
    };
    let mut v = json!({
        "path": path,
        "index": index.to_string(),
        "worktree": worktree.to_string(),
        "state": state,
        "staged": staged,
        "unstaged": unstaged,
    });
    if let Some(orig) = orig {
        v["orig_path"] = json!(orig);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_entry_is_read() {
        let text = concat!(
            "# branch.oid 1111111111111111111111111111111111111111\0",
            "# branch.head feature/x\0",
            "# branch.upstream origin/feature/x\0",
            "# branch.ab +2 -1\0",
            "1 .M N... 100644 100644 100644 aaaa aaaa with space.txt\0",
            "1 A. N... 000000 100644 100644 0000 bbbb new.txt\0",
            "1 D. N... 100644 000000 000000 cccc 0000 gone.txt\0",
            "2 R. N... 100644 100644 100644 dddd dddd R100 to.txt\0from.txt\0",
            "u UU N... 100644 100644 100644 100644 e e e both.txt\0",
            "? loose.txt\0",
            "! build/out.o\0",
        );
        let v = parse(text).unwrap();
        assert_eq!(v["branch"], "feature/x");
        assert_eq!(v["upstream"], "origin/feature/x");
        assert_eq!(
            (v["ahead"].clone(), v["behind"].clone()),
            (json!(2), json!(1))
        );
        let states: Vec<(&str, &str)> = v["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["path"].as_str().unwrap(), f["state"].as_str().unwrap()))
            .collect();
        assert_eq!(
            states,
            vec![
                ("with space.txt", "modified"),
                ("new.txt", "added"),
                ("gone.txt", "deleted"),
                ("to.txt", "renamed"),
                ("both.txt", "conflicted"),
                ("loose.txt", "untracked"),
                ("build/out.o", "ignored"),
            ]
        );
        assert_eq!(v["files"][3]["orig_path"], "from.txt");
        assert_eq!(v["counts"]["total"], 6, "ignored files aside");
        assert_eq!(v["counts"]["staged"], 3);
        assert_eq!(v["clean"], false);
    }

    #[test]
    fn a_fresh_repository_has_no_commit_and_is_clean() {
        let v = parse("# branch.oid (initial)\0# branch.head main\0").unwrap();
        assert_eq!(v["commit"], Value::Null);
        assert_eq!(v["branch"], "main");
        assert_eq!(v["clean"], true);
        let v = parse("# branch.oid 12\0# branch.head (detached)\0").unwrap();
        assert_eq!(v["branch"], Value::Null);
    }
}
