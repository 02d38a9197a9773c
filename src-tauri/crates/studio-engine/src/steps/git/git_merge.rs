//! `git_merge`: merges a branch into the current branch (or into `into`).
//!
//! Parameters: `repo_path` (as for every git step), `branch` (aliases `source`,
//! `source_branch`: a branch, tag or commit, resolved first; a name starting with `-` is
//! refused), `into` (aliases `target`, `target_branch`: an existing branch, checked out first;
//! the repository stays on it afterwards), `no_ff` or `ff_only`, `message` (the merge commit's), `abort_on_conflict` (default true),
//! `allow_unrelated_histories`, `strategy` (git's built-in ones only: a custom strategy would
//! be a program), `author` or `author_name`/`author_email` (as for `git_commit`).
//!
//! Results (`status`): `up_to_date` (nothing to do), `fast_forward` (HEAD moved to the branch,
//! no commit made), `merged` (a merge commit). A merge that stops on conflicts fails the step,
//! naming the conflicting paths, and keeps the output (`merged: false`, `commit: null`,
//! `conflicts: [...]`): with `abort_on_conflict` (the default) `git merge --abort` then puts the
//! repository back as it was (`status: aborted`); with `abort_on_conflict: false` the merge is
//! left in progress with conflict markers in the files (`status: conflicted`), for a later step
//! to resolve and conclude with `git_commit`. A merge already in progress is refused. Other
//! refusals (diverged branches with `ff_only`, unrelated histories, local changes in the way)
//! fail the step with git's reason and change nothing.
//!
//! Output: `{merged, status, fast_forward, commit, conflicts, branch, into}`.

use super::repo::{git_said, open, strings, Repo};
use crate::steps::params::{opt_bool, opt_str, str_param};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const STRATEGIES: &[&str] = &["ort", "recursive", "resolve", "ours", "subtree"];

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let branch = str_param(&p, "branch")?;
    super::repo::check_rev("branch", branch)?;
    let into = opt_str(&p, "into")?;
    let no_ff = opt_bool(&p, "no_ff")?.unwrap_or(false);
    let ff_only = opt_bool(&p, "ff_only")?.unwrap_or(false);
    if no_ff && ff_only {
        return Err(Failure::new(
            "`no_ff` and `ff_only` contradict each other; keep one",
        ));
    }
    let message = opt_str(&p, "message")?;
    if message.is_some_and(|m| m.trim().is_empty()) {
        return Err(Failure::new("`message` is empty"));
    }
    let abort = opt_bool(&p, "abort_on_conflict")?.unwrap_or(true);
    let unrelated = opt_bool(&p, "allow_unrelated_histories")?.unwrap_or(false);
    let strategy = opt_str(&p, "strategy")?;
    if let Some(s) = strategy.filter(|s| !STRATEGIES.contains(s)) {
        return Err(Failure::new(format!(
            "`strategy` `{s}` is not one of git's built-in strategies ({})",
            STRATEGIES.join(", ")
        )));
    }

    let (repo, _) = open(&p, ctx, None).await?;
    let identity = repo.identity(&p)?;
    if repo.merging() {
        return Err(Failure::new(format!(
            "a merge is already in progress in the repository at `{}`: conclude it with `git_commit` or abort it (`git merge --abort`) first",
            repo.display
        )));
    }
    let source = repo.resolve(ctx, "branch", branch).await?;
    if let Some(target) = into {
        check_out(&repo, ctx, target).await?;
    }
    let target = repo.current_branch(ctx).await?;
    let before = repo.head(ctx).await?;

    let mut args = strings(&["merge", "--no-edit", "--no-stat", "--no-verify"]);
    if no_ff {
        args.push("--no-ff".into());
    }
    if ff_only {
        args.push("--ff-only".into());
    }
    if let Some(s) = strategy {
        args.push(format!("--strategy={s}"));
    }
    if unrelated {
        args.push("--allow-unrelated-histories".into());
    }
    if let Some(text) = message {
        // The value is the argument after `-m`, whatever it starts with.
        args.extend(["-m".to_string(), text.to_string()]);
    }
    args.extend(strings(&["--end-of-options", branch]));
    let finished = repo.run(ctx, args, None, identity).await?;

    let into_shown = target.as_deref().unwrap_or("HEAD");
    if finished.status.success() {
        let after = repo.head(ctx).await?;
        let (status, fast_forward) = if after == before {
            ("up_to_date", false)
        } else if after.as_deref() == Some(source.as_str()) {
            ("fast_forward", true)
        } else {
            ("merged", false)
        };
        return Ok(StepOutput::new(json!({
            "merged": true,
            "status": status,
            "fast_forward": fast_forward,
            "commit": after,
            "conflicts": [],
            "branch": branch,
            "into": target,
        })));
    }

    let conflicts = unmerged_paths(&repo, ctx).await?;
    if conflicts.is_empty() && !repo.merging() {
        let said = git_said(&finished);
        let advice = if said.contains("Not possible to fast-forward") {
            "; the branches have diverged: drop `ff_only` to record a merge commit"
        } else if said.contains("unrelated histories") {
            "; set `allow_unrelated_histories: true` to merge them anyway"
        } else {
            ""
        };
        return Err(Failure::new(format!(
            "cannot merge `{branch}` into `{into_shown}` in the repository at `{}` (nothing was changed): {said}{advice}",
            repo.display
        )));
    }
    let (status, what) = if abort {
        let aborted = repo
            .run(ctx, strings(&["merge", "--abort"]), None, BTreeMap::new())
            .await?;
        if !aborted.status.success() {
            return Err(Failure::new(format!(
                "merging `{branch}` into `{into_shown}` stopped on conflicts in {}, and `git merge --abort` failed: {}",
                conflicts.join(", "),
                git_said(&aborted)
            )));
        }
        (
            "aborted",
            "the merge was aborted and the repository is as it was before the step (set `abort_on_conflict: false` to keep the conflicts for a later step to resolve)".to_string(),
        )
    } else {
        (
            "conflicted",
            "the merge is left in progress with conflict markers in those files: resolve them and conclude with `git_commit`, or abort it with `git merge --abort`".to_string(),
        )
    };
    let output = json!({
        "merged": false,
        "status": status,
        "fast_forward": false,
        "commit": null,
        "conflicts": conflicts,
        "branch": branch,
        "into": target,
    });
    Err(Failure::new(format!(
        "merging `{branch}` into `{into_shown}` in the repository at `{}` stopped on conflicts in {} file(s): {}; {what}",
        repo.display,
        conflicts.len(),
        conflicts.join(", ")
    ))
    .with_output(output))
}

/// Switches to the existing branch `target` unless it is already the current one.
async fn check_out(repo: &Repo, ctx: &StepCtx, target: &str) -> Result<(), Failure> {
    repo.check_branch_name(ctx, "into", target).await?;
    if !repo.has_branch(ctx, target).await? {
        return Err(Failure::new(format!(
            "`into`: branch `{target}` does not exist in the repository at `{}`",
            repo.display
        )));
    }
    if repo.current_branch(ctx).await?.as_deref() == Some(target) {
        return Ok(());
    }
    let finished = repo
        .run(
            ctx,
            strings(&["switch", "--quiet", "--no-guess", target]),
            None,
            BTreeMap::new(),
        )
        .await?;
    if finished.status.success() {
        Ok(())
    } else {
        Err(Failure::new(format!(
            "cannot check out `{target}` to merge into it (nothing was changed): {}",
            git_said(&finished)
        )))
    }
}

/// The paths with unmerged entries in the index, each once, in git's order.
async fn unmerged_paths(repo: &Repo, ctx: &StepCtx) -> Result<Vec<String>, Failure> {
    let text = repo.output(ctx, &["ls-files", "--unmerged", "-z"]).await?;
    let mut paths: Vec<String> = Vec::new();
    for entry in text.split('\0').filter(|e| !e.is_empty()) {
        if let Some((_, path)) = entry.split_once('\t') {
            if paths.last().map(String::as_str) != Some(path) {
                paths.push(path.to_string());
            }
        }
    }
    Ok(paths)
}
