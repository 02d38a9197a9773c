//! `git_commit`: stages changes and records a commit.
//!
//! Parameters: `repo_path` (as for every git step), `message` (required, not empty; given to git
//! on standard input, so any text is safe), `files` (alias `paths`: exactly these paths are
//! staged, new files and deletions included, and committed, whatever else is staged), `all`
//! (alias `add_all`: `git add -A` first; the default when no `files` are named, as RustChain
//! stages everything; `all: false` commits what is already staged), `allow_empty`,
//! `if_changed`, `author` (`Name <email>`) or `author_name`/`author_email`, `init` (create the
//! repository when `repo_path` is in none, with `initial_branch`, default `main`).
//!
//! Nothing to commit fails the step, saying so, unless `allow_empty` (an empty commit is
//! recorded) or `if_changed` (the step succeeds with `committed: false` and `commit` = HEAD).
//! During a merge stopped on a conflict, committing concludes the merge.
//!
//! The author is the step's, else the repository's `user.name`/`user.email`, else `Mission
//! Studio <mission-studio@localhost>`; the committer the repository's user, else Mission Studio.
//! Hooks (`pre-commit`, `commit-msg`, ...) and signing never run.
//!
//! Output: `{commit, short, branch, files_committed, message, committed, initialized}`.

use super::repo::{check_paths, git_failure, open, strings, Repo};
use crate::steps::params::{opt_bool, opt_str, opt_str_list, str_param};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let message = str_param(&p, "message")?;
    if message.trim().is_empty() {
        return Err(Failure::new("`message` is empty: a commit needs a message"));
    }
    let files = opt_str_list(&p, "files")?;
    check_paths("files", &files)?;
    let all = opt_bool(&p, "all")?;
    if all == Some(true) && !files.is_empty() {
        return Err(Failure::new(
            "`all: true` stages everything and `files` only some paths; keep one of them",
        ));
    }
    let stage_all = files.is_empty() && all.unwrap_or(true);
    let allow_empty = opt_bool(&p, "allow_empty")?.unwrap_or(false);
    let if_changed = opt_bool(&p, "if_changed")?.unwrap_or(false);
    let init = opt_bool(&p, "init")?.unwrap_or(false);
    let initial_branch = opt_str(&p, "initial_branch")?.unwrap_or("main");

    let (repo, initialized) = open(&p, ctx, init.then_some(initial_branch)).await?;
    let identity = repo.identity(&p)?;

    if !files.is_empty() {
        let mut args = strings(&["add", "-A", "--"]);
        args.extend(files.iter().cloned());
        stage(&repo, ctx, args).await?;
    } else if stage_all {
        stage(&repo, ctx, strings(&["add", "-A"])).await?;
    }

    if !allow_empty && !repo.merging() && !has_staged(&repo, ctx, &files).await? {
        if if_changed {
            let mut out = describe(&repo, ctx, false).await?;
            out["initialized"] = json!(initialized);
            return Ok(StepOutput::new(out));
        }
        let what = if !files.is_empty() {
            format!("the files named ({}) have no changes", files.join(", "))
        } else if stage_all {
            "the working tree has no changes since the last commit".to_string()
        } else {
            "nothing is staged (`all: false` commits only what is already staged)".to_string()
        };
        return Err(Failure::new(format!(
            "nothing to commit in the repository at `{}`: {what}; set `allow_empty: true` to record an empty commit, or `if_changed: true` to succeed without one",
            repo.display
        )));
    }

    let mut args = strings(&["commit", "--quiet", "--no-verify", "-F", "-"]);
    if allow_empty {
        args.push("--allow-empty".into());
    }
    if !files.is_empty() {
        args.push("--".into());
        args.extend(files.iter().cloned());
    }
    let finished = repo
        .run(ctx, args, Some(message.to_string()), identity)
        .await?;
    if !finished.status.success() {
        return Err(git_failure("commit", &finished, &repo.display));
    }
    let mut out = describe(&repo, ctx, true).await?;
    out["initialized"] = json!(initialized);
    Ok(StepOutput::new(out))
}

async fn stage(repo: &Repo, ctx: &StepCtx, args: Vec<String>) -> Result<(), Failure> {
    let finished = repo.run(ctx, args, None, BTreeMap::new()).await?;
    if finished.status.success() {
        Ok(())
    } else {
        Err(git_failure("add", &finished, &repo.display))
    }
}

/// Whether the index differs from HEAD (for `files`: at those paths).
async fn has_staged(repo: &Repo, ctx: &StepCtx, files: &[String]) -> Result<bool, Failure> {
    let mut args = strings(&["diff", "--cached", "--quiet", "--no-ext-diff", "--"]);
    args.extend(files.iter().cloned());
    let finished = repo.run(ctx, args, None, BTreeMap::new()).await?;
    match finished.exit_code() {
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        _ => Err(git_failure("diff", &finished, &repo.display)),
    }
}

/// HEAD as the step's output: its id, short id, branch, the paths it changed and its message.
async fn describe(repo: &Repo, ctx: &StepCtx, committed: bool) -> Result<Value, Failure> {
    let branch = repo.current_branch(ctx).await?;
    let Some(head) = repo.head(ctx).await? else {
        return Ok(json!({
            "commit": null, "short": null, "branch": branch, "files_committed": [],
            "message": null, "committed": committed,
        }));
    };
    let short = repo
        .output(ctx, &["rev-parse", "--short", &head])
        .await?
        .trim()
        .to_string();
    let parent = repo.commit_of(ctx, &format!("{head}^1")).await?;
    let mut args = vec!["diff-tree", "--no-commit-id", "--name-only", "-r", "-z"];
    match &parent {
        Some(parent) => args.push(parent),
        None => args.push("--root"),
    }
    args.push(&head);
    let changed: Vec<String> = repo
        .output(ctx, &args)
        .await?
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    let raw = repo.output(ctx, &["cat-file", "commit", &head]).await?;
    let message = raw.split_once("\n\n").map_or("", |(_, m)| m);
    Ok(json!({
        "commit": head,
        "short": short,
        "branch": branch,
        "files_committed": if committed { json!(changed) } else { json!([]) },
        "message": message.trim_end_matches('\n'),
        "committed": committed,
    }))
}
