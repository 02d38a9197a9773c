//! `git_branch`: creates, checks out, deletes or lists local branches.
//!
//! Parameters: `repo_path` (as for every git step), `name` (aliases `branch`, `branch_name`;
//! required except for `list`; a name starting with `-` or that git would not accept as a branch
//! is refused before git runs), `action` (alias `operation`: `create` (default), `checkout`,
//! `delete`, `list`), `checkout` (alias `switch`: with `create`, switch to the new branch),
//! `from` (alias `start_point`: with `create`, the commit, branch or tag to start at, resolved
//! first; default HEAD), `force` (with `delete`: delete a branch that is not merged).
//!
//! - `create` fails when the branch exists. Before the first commit a branch can only be
//!   created by switching to it (`checkout: true`).
//! - `checkout` switches to an existing branch (never creating one, never guessing a remote
//!   one); local changes that would be overwritten fail the step and stay as they were.
//! - `delete` refuses the current branch, and one not merged into HEAD unless `force`.
//!
//! Output: `{branch, action, current, commit, branches}`: the branch acted on (for `list`: the
//! current one), the current branch afterwards (null when HEAD is detached), the commit the
//! branch points at (for `delete`: before it was deleted; for `list`: HEAD), and every local
//! branch afterwards, sorted.

use super::repo::{git_failure, git_said, open, strings, Repo};
use crate::steps::params::{opt_bool, opt_str};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let action = opt_str(&p, "action")?.unwrap_or("create");
    let name = opt_str(&p, "name")?;
    let checkout = opt_bool(&p, "checkout")?;
    let from = opt_str(&p, "from")?;
    let force = opt_bool(&p, "force")?;
    if action != "create" {
        for (given, param) in [(checkout.is_some(), "checkout"), (from.is_some(), "from")] {
            if given {
                return Err(Failure::new(format!(
                    "`{param}` is only used with `action: create`, not `{action}`"
                )));
            }
        }
    }
    if action != "delete" && force.is_some() {
        return Err(Failure::new(format!(
            "`force` is only used with `action: delete`, not `{action}`"
        )));
    }
    let (repo, _) = open(&p, ctx, None).await?;
    let commit = match (action, name) {
        ("list", _) => repo.head(ctx).await?,
        ("create" | "checkout" | "delete", None) => {
            return Err(Failure::new(format!(
                "`action: {action}` needs the branch's `name`"
            )))
        }
        ("create", Some(name)) => create(&repo, ctx, name, from, checkout.unwrap_or(false)).await?,
        ("checkout", Some(name)) => switch(&repo, ctx, name).await?,
        ("delete", Some(name)) => delete(&repo, ctx, name, force.unwrap_or(false)).await?,
        (other, _) => {
            return Err(Failure::new(format!(
                "`action` `{other}` is not one of create, checkout, delete, list"
            )))
        }
    };
    let current = repo.current_branch(ctx).await?;
    let branch = match action {
        "list" => json!(current),
        _ => json!(name),
    };
    Ok(StepOutput::new(json!({
        "branch": branch,
        "action": action,
        "current": current,
        "commit": commit,
        "branches": repo.branches(ctx).await?,
    })))
}

async fn create(
    repo: &Repo,
    ctx: &StepCtx,
    name: &str,
    from: Option<&str>,
    checkout: bool,
) -> Result<Option<String>, Failure> {
    repo.check_branch_name(ctx, "name", name).await?;
    if repo.has_branch(ctx, name).await? {
        return Err(Failure::new(format!(
            "branch `{name}` already exists in the repository at `{}`; use `action: checkout` to switch to it",
            repo.display
        )));
    }
    let start = match from {
        Some(rev) => Some(repo.resolve(ctx, "from", rev).await?),
        None => None,
    };
    if start.is_none() && !checkout && repo.head(ctx).await?.is_none() {
        return Err(Failure::new(format!(
            "the repository at `{}` has no commit yet, so `{name}` has nothing to start at; commit first (`git_commit`), or set `checkout: true` to make it the branch the first commit goes to",
            repo.display
        )));
    }
    let mut args = if checkout {
        strings(&["switch", "--quiet", "--no-guess", "--no-track", "-c", name])
    } else {
        strings(&["branch", "--no-track", name])
    };
    args.extend(start);
    let finished = repo.run(ctx, args, None, BTreeMap::new()).await?;
    if !finished.status.success() {
        return Err(Failure::new(format!(
            "cannot create branch `{name}` in the repository at `{}`: {}",
            repo.display,
            git_said(&finished)
        )));
    }
    repo.commit_of(ctx, &format!("refs/heads/{name}")).await
}

async fn switch(repo: &Repo, ctx: &StepCtx, name: &str) -> Result<Option<String>, Failure> {
    repo.check_branch_name(ctx, "name", name).await?;
    if !repo.has_branch(ctx, name).await? {
        return Err(Failure::new(format!(
            "branch `{name}` does not exist in the repository at `{}`; create it with `action: create` (and `checkout: true` to switch to it)",
            repo.display
        )));
    }
    let args = strings(&["switch", "--quiet", "--no-guess", name]);
    let finished = repo.run(ctx, args, None, BTreeMap::new()).await?;
    if !finished.status.success() {
        return Err(Failure::new(format!(
            "cannot check out `{name}` in the repository at `{}` (nothing was changed): {}",
            repo.display,
            git_said(&finished)
        )));
    }
    repo.head(ctx).await
}

async fn delete(
    repo: &Repo,
    ctx: &StepCtx,
    name: &str,
    force: bool,
) -> Result<Option<String>, Failure> {
    repo.check_branch_name(ctx, "name", name).await?;
    let Some(commit) = repo.commit_of(ctx, &format!("refs/heads/{name}")).await? else {
        return Err(Failure::new(format!(
            "branch `{name}` does not exist in the repository at `{}`",
            repo.display
        )));
    };
    if repo.current_branch(ctx).await?.as_deref() == Some(name) {
        return Err(Failure::new(format!(
            "cannot delete `{name}`: it is the current branch; check out another branch first (`action: checkout`)"
        )));
    }
    let args = strings(&["branch", if force { "-D" } else { "-d" }, name]);
    let finished = repo.run(ctx, args, None, BTreeMap::new()).await?;
    if finished.status.success() {
        return Ok(Some(commit));
    }
    if finished.stderr.contains("not fully merged") {
        return Err(Failure::new(format!(
            "branch `{name}` is not merged into the current branch, so deleting it would lose commits; merge it first, or set `force: true` to delete it anyway"
        )));
    }
    Err(git_failure("branch", &finished, &repo.display))
}
