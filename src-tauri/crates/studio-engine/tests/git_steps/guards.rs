//! What the git steps refuse or keep from running: names git would read as options,
//! repositories outside the workspace or missing, programs named by a repository's
//! configuration (hooks, fsmonitor, signing, filters), and the read-only sandbox; and the
//! parameter spellings of the seed and of RustChain.

use super::support::*;
use serde_json::{json, Value};
use std::sync::Arc;
use studio_core::StepStatus;
use studio_engine::approval::{ApproveAll, DenyAll};
use studio_engine::audit::{CollectingAudit, Decision};
use studio_engine::Governance;

#[tokio::test]
async fn names_that_git_would_read_as_options_are_refused() {
    let (dir, ws, repo) = workspace_with_repo(&[("a.txt", "a\n")]);
    let evil = dir.path().join("evil-output");
    let out_opt = format!("--output={}", evil.display());
    let result = run_in(
        &ws,
        json!([
            {"id": "branch", "step_type": "git_branch", "parameters": {"repo_path": "repo", "name": "--upload-pack=evil"}},
            {"id": "merge", "step_type": "git_merge", "parameters": {"repo_path": "repo", "branch": "--upload-pack=evil"}},
            {"id": "into", "step_type": "git_merge", "parameters": {"repo_path": "repo", "branch": "main", "into": "-f"}},
            {"id": "diff", "step_type": "git_diff", "parameters": {"repo_path": "repo", "from": out_opt}},
            {"id": "from", "step_type": "git_branch", "parameters": {"repo_path": "repo", "name": "ok", "from": "--orphan"}},
            {"id": "files", "step_type": "git_commit", "parameters": {"repo_path": "repo", "message": "m", "files": ["../outside.txt"]}},
            {"id": "strategy", "step_type": "git_merge", "parameters": {"repo_path": "repo", "branch": "main", "strategy": "evil"}},
        ]),
    )
    .await;
    for id in ["branch", "merge", "into", "diff", "from", "files"] {
        let (error, _) = failure(&result, id);
        assert!(error.contains("refused"), "{id}: {error}");
    }
    let (error, _) = failure(&result, "strategy");
    assert!(error.contains("built-in strategies"), "{error}");
    assert!(!evil.exists(), "git never saw the option");
    assert_eq!(git(&repo, &["branch", "--format=%(refname:short)"]), "main");
}

#[tokio::test]
async fn repositories_outside_the_workspace_or_missing_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    git(outside.path(), &["init", "-q", "-b", "main"]);
    write(outside.path(), "secret.txt", "outside\n");
    // The workspace lies inside another repository: the steps never climb out to it.
    let ws = outside.path().join("runs/ws");
    std::fs::create_dir_all(ws.join("plain")).unwrap();
    std::fs::create_dir_all(ws.join("linked")).unwrap();
    write(
        &ws,
        "linked/.git",
        &format!("gitdir: {}\n", outside.path().join(".git").display()),
    );
    std::os::unix::fs::symlink(outside.path(), ws.join("escape")).unwrap();
    let result = run_in(
        &ws,
        json!([
            {"id": "plain", "step_type": "git_status", "parameters": {"repo_path": "plain"}},
            {"id": "root", "step_type": "git_commit", "parameters": {"message": "m"}},
            {"id": "linked", "step_type": "git_commit", "parameters": {"repo_path": "linked", "message": "m"}},
            {"id": "escape", "step_type": "git_commit", "parameters": {"repo_path": "escape", "message": "m"}},
            {"id": "parent", "step_type": "git_diff", "parameters": {"repo_path": "../.."}},
            {"id": "absolute", "step_type": "git_branch", "parameters": {"repo_path": outside.path().display().to_string(), "action": "list"}},
            {"id": "missing", "step_type": "git_merge", "parameters": {"repo_path": "nowhere", "branch": "main"}},
        ]),
    )
    .await;
    for id in ["plain", "root"] {
        let (error, _) = failure(&result, id);
        assert!(
            error.contains("is not inside a git repository"),
            "{id}: {error}"
        );
    }
    for id in ["linked", "escape", "parent", "absolute"] {
        let (error, _) = failure(&result, id);
        assert!(error.contains("refused"), "{id}: {error}");
    }
    let (error, _) = failure(&result, "missing");
    assert!(
        error.contains("`repo_path` `nowhere`") && error.contains("create the repository first"),
        "{error}"
    );
    assert_eq!(
        git(outside.path(), &["status", "--porcelain"]),
        "?? runs/\n?? secret.txt"
    );
    assert!(
        git(outside.path(), &["log", "--oneline", "--all"]).is_empty(),
        "nothing was committed outside"
    );
}

#[tokio::test]
async fn a_repository_config_never_makes_git_run_its_programs() {
    let (dir, ws, repo) = workspace_with_repo(&[("a.txt", "a\n")]);
    let marker = dir.path().join("ran");
    let script = format!("#!/bin/sh\ntouch '{}'\n", marker.display());
    for hook in [
        ".git/hooks/pre-commit",
        ".git/hooks/commit-msg",
        "hooks/post-commit",
        "hooks/post-merge",
    ] {
        write(&repo, hook, &script);
        let path = repo.join(hook);
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&path, perms).unwrap();
    }
    git(&repo, &["add", "hooks"]);
    git(&repo, &["commit", "-qm", "hooks", "--no-verify"]);
    commit_on(&repo, "feature", &[("f.txt", "f\n")], "main");
    commit_on(&repo, "main", &[("m.txt", "m\n")], "main");
    git(&repo, &["config", "core.hooksPath", "hooks"]);
    git(
        &repo,
        &[
            "config",
            "core.fsmonitor",
            &repo.join("hooks/post-commit").display().to_string(),
        ],
    );
    git(&repo, &["config", "commit.gpgSign", "true"]);
    git(
        &repo,
        &[
            "config",
            "gpg.program",
            &repo.join("hooks/post-commit").display().to_string(),
        ],
    );
    // The setup's own commits ran the hooks; start from no marker.
    std::fs::remove_file(&marker).ok();
    let result = run_in(
        &ws,
        json!([
            {"id": "edit", "step_type": "create_file", "parameters": {"path": "repo/a.txt", "content": "a2\n"}},
            {"id": "status", "step_type": "git_status", "depends_on": ["edit"], "parameters": {"repo_path": "repo"}},
            {"id": "commit", "step_type": "git_commit", "depends_on": ["status"], "parameters": {"repo_path": "repo", "message": "No hooks"}},
            {"id": "merge", "step_type": "git_merge", "depends_on": ["commit"], "parameters": {"repo_path": "repo", "branch": "feature"}},
        ]),
    )
    .await;
    for id in ["status", "commit", "merge"] {
        output(&result, id);
    }
    assert!(
        !marker.exists(),
        "no hook, fsmonitor or signing program ran"
    );

    git(
        &repo,
        &[
            "config",
            "filter.sneaky.clean",
            &format!("touch '{}'", marker.display()),
        ],
    );
    write(&repo, ".gitattributes", "*.txt filter=sneaky\n");
    let result = run_in(
        &ws,
        json!([
            {"id": "status", "step_type": "git_status", "parameters": {"repo_path": "repo"}},
            {"id": "commit", "step_type": "git_commit", "parameters": {"repo_path": "repo", "message": "m"}},
        ]),
    )
    .await;
    for id in ["status", "commit"] {
        let (error, _) = failure(&result, id);
        assert!(
            error.contains("sets `filter.sneaky.clean`")
                && error.contains("never run such programs"),
            "{id}: {error}"
        );
    }
    assert!(!marker.exists(), "the filter never ran");
}

#[tokio::test]
async fn under_the_read_only_sandbox_git_steps_run_confined_to_the_workspace() {
    let (_dir, ws, repo) = workspace_with_repo(&[("a.txt", "a\n")]);
    commit_on(&repo, "feature", &[("f.txt", "f\n")], "main");
    let audit = CollectingAudit::new();
    let governance = Governance {
        audit: vec![Arc::new(audit.clone())],
        ..Governance::default()
    };
    let m = mission(
        json!([
            {"id": "edit", "step_type": "create_file", "parameters": {"path": "repo/a.txt", "content": "a2\n"}},
            {"id": "status", "step_type": "git_status", "depends_on": ["edit"], "parameters": {"repo_path": "repo"}},
            {"id": "diff", "step_type": "git_diff", "depends_on": ["status"], "parameters": {"repo_path": "repo"}},
            {"id": "commit", "step_type": "git_commit", "depends_on": ["diff"], "parameters": {"repo_path": "repo", "message": "Confined"}},
            {"id": "branch", "step_type": "git_branch", "depends_on": ["commit"], "parameters": {"repo_path": "repo", "name": "release"}},
            {"id": "merge", "step_type": "git_merge", "depends_on": ["branch"], "parameters": {"repo_path": "repo", "branch": "feature"}},
        ]),
        json!({"perimeter": {"sandbox": "read-only"}}),
    );
    let result = run_with(&ws, &m, governance).await;
    let git_steps = ["status", "diff", "commit", "branch", "merge"];
    if studio_engine::sandbox::support().enforced {
        // Landlock confines each git process to writing inside the workspace, so they run.
        for id in git_steps {
            output(&result, id);
        }
        assert_eq!(
            output(&result, "commit")["commit"],
            git(&repo, &["rev-parse", "HEAD~1"]),
            "the commit was written, then merged"
        );
        let rows = audit.rows();
        for id in git_steps {
            let row = rows.iter().find(|r| r.step_id == id).unwrap();
            assert_eq!(row.decision, Decision::Allowed, "{id}: {row:?}");
        }
    } else {
        // Without Landlock a read-only run cannot confine a program: every git step is refused.
        for id in git_steps {
            let (error, _) = failure(&result, id);
            assert!(error.contains("Landlock"), "{id}: {error}");
        }
        assert_eq!(git(&repo, &["log", "--oneline"]).lines().count(), 1);
    }
}

#[tokio::test]
async fn core_worktree_is_overridden_and_linked_worktrees_inside_the_workspace_work() {
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "outside.txt",
        "must stay untracked by the workspace repository\n",
    );
    let (_dir, ws, repo) = workspace_with_repo(&[("a.txt", "a\n")]);
    git(
        &repo,
        &["worktree", "add", "-q", "-b", "hotfix", "../hotfix"],
    );
    git(
        &repo,
        &[
            "config",
            "core.worktree",
            &outside.path().display().to_string(),
        ],
    );
    write(&ws, "hotfix/fix.txt", "fix\n");
    let result = run_in(
        &ws,
        json!([
            {"id": "main", "step_type": "git_status", "parameters": {"repo_path": "repo"}},
            {"id": "linked", "step_type": "git_status", "parameters": {"repo_path": "hotfix"}},
            {"id": "commit", "step_type": "git_commit", "depends_on": ["linked"], "parameters": {"repo_path": "hotfix", "message": "Fix in the linked worktree"}},
        ]),
    )
    .await;
    let main = output(&result, "main");
    assert_eq!(
        (&main["branch"], &main["clean"]),
        (&json!("main"), &json!(true)),
        "the repository's own folder is its work tree, not `core.worktree`: {main}"
    );
    let linked = output(&result, "linked");
    assert_eq!(linked["branch"], "hotfix");
    assert_eq!(state_of(linked, "fix.txt")["state"], "untracked");
    let commit = output(&result, "commit");
    assert_eq!(commit["branch"], "hotfix");
    assert_eq!(commit["commit"], git(&repo, &["rev-parse", "hotfix"]));
    assert_eq!(git(&repo, &["branch", "--show-current"]), "main");
}

#[tokio::test]
async fn strict_approval_asks_before_every_git_step() {
    let (_dir, ws, repo) = workspace_with_repo(&[("a.txt", "a\n")]);
    write(&repo, "a.txt", "a2\n");
    let steps = json!([
        {"id": "status", "step_type": "git_status", "parameters": {"repo_path": "repo"}},
        {"id": "commit", "step_type": "git_commit", "parameters": {"repo_path": "repo", "message": "m"}},
    ]);
    let strict = json!({"perimeter": {"approval": {"mode": "strict"}}});
    let audit = CollectingAudit::new();
    let denied = Governance {
        approver: Arc::new(DenyAll),
        audit: vec![Arc::new(audit.clone())],
        ..Governance::default()
    };
    let result = run_with(&ws, &mission(steps.clone(), strict.clone()), denied).await;
    for id in ["status", "commit"] {
        assert_eq!(result.step_results[id].status, StepStatus::Skipped, "{id}");
        let row = audit.rows().into_iter().find(|r| r.step_id == id).unwrap();
        assert_eq!(row.decision, Decision::Denied, "{id}: {row:?}");
    }
    assert_eq!(
        git(&repo, &["rev-list", "--count", "HEAD"]),
        "1",
        "nothing was committed"
    );
    let approved = Governance {
        approver: Arc::new(ApproveAll),
        ..Governance::default()
    };
    let result = run_with(&ws, &mission(steps, strict), approved).await;
    assert_eq!(
        output(&result, "commit")["commit"],
        git(&repo, &["rev-parse", "HEAD"])
    );
}

#[test]
fn the_seed_and_rustchain_spellings_validate() {
    use studio_core::step_params::{check_parameters, params_of, ProblemKind};
    let ok = [
        (
            "git_status",
            json!({"path": ".", "include_untracked": true, "include_ignored": false}),
        ),
        (
            "git_diff",
            json!({"path": ".", "cached": true, "files": ["a"]}),
        ),
        (
            "git_commit",
            json!({"path": ".", "message": "m", "author": "A <a@x>"}),
        ),
        (
            "git_commit",
            json!({"repo_path": "r", "message": "m", "paths": ["a"], "allow_empty": true}),
        ),
        (
            "git_branch",
            json!({"path": ".", "operation": "create", "branch_name": "x", "switch": false}),
        ),
        (
            "git_branch",
            json!({"repository": "r", "branch": "x", "action": "checkout"}),
        ),
        (
            "git_merge",
            json!({"path": ".", "branch": "main", "strategy": "recursive", "allow_unrelated_histories": true}),
        ),
        (
            "git_merge",
            json!({"working_dir": "r", "source": "a", "into": "b", "no_ff": true}),
        ),
    ];
    for (ty, params) in ok {
        let problems = check_parameters(params_of(ty).unwrap(), &params);
        assert!(problems.is_empty(), "{ty} {params}: {problems:?}");
    }
    let kinds = |ty: &str, params: Value| -> Vec<(ProblemKind, String)> {
        check_parameters(params_of(ty).unwrap(), &params)
            .into_iter()
            .map(|p| (p.kind, p.param))
            .collect()
    };
    assert_eq!(
        kinds("git_commit", json!({})),
        vec![(ProblemKind::Missing, "message".into())]
    );
    assert_eq!(
        kinds(
            "git_merge",
            json!({"branch": "a", "no_ff": true, "ff_only": true})
        ),
        vec![(ProblemKind::Conflict, "ff_only".into())]
    );
    assert_eq!(
        kinds("git_diff", json!({"to": "a"})),
        vec![(ProblemKind::Missing, "from".into())]
    );
    assert_eq!(
        kinds("git_merge", json!({"branch": "a", "strategy": "evil"})),
        vec![(ProblemKind::WrongType, "strategy".into())]
    );
    assert_eq!(
        kinds("git_branch", json!({"action": "rename"})),
        vec![(ProblemKind::WrongType, "action".into())]
    );
}

/// A repository outside the workspace is reachable only inside a folder the operator's
/// perimeter grants (`roots`): read there, and changed there only with full access (the
/// read-only sandbox refuses the external change); a folder beside the granted one stays
/// refused, and a mission cannot grant itself one.
#[tokio::test]
async fn a_repository_in_a_folder_the_operator_grants_is_reachable() {
    let outside = tempfile::tempdir().unwrap();
    let granted = outside.path().join("granted");
    let beside = outside.path().join("beside");
    for repo in [&granted, &beside] {
        std::fs::create_dir_all(repo).unwrap();
        git(repo, &["init", "-q", "-b", "main"]);
        write(repo, "README.md", "first\n");
        git(repo, &["add", "-A"]);
        git(repo, &["commit", "-q", "-m", "first"]);
    }
    write(&granted, "notes.md", "a change made outside the run\n");
    let ws_dir = tempfile::tempdir().unwrap();
    let ws = ws_dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    let granted_path = granted.display().to_string();
    let beside_path = beside.display().to_string();
    let operator = studio_core::Perimeter {
        roots: vec![granted_path.clone()],
        ..Default::default()
    };
    let steps = json!([
        {"id": "status", "step_type": "git_status", "parameters": {"repo_path": granted_path}},
        {"id": "commit", "step_type": "git_commit", "parameters": {"repo_path": granted_path, "message": "Notes"}},
        {"id": "beside", "step_type": "git_status", "parameters": {"repo_path": beside_path}},
    ]);

    // Read-only: the status is read, the commit (an external change) is refused by the gate.
    let read_only = mission(
        steps.clone(),
        json!({"perimeter": {"sandbox": "read-only"}}),
    );
    let governance = Governance {
        operator: operator.clone(),
        ..Default::default()
    };
    let result = run_with(&ws, &read_only, governance).await;
    let status = output(&result, "status");
    assert_eq!(status["branch"], "main");
    assert_eq!(state_of(status, "notes.md")["state"], "untracked");
    let (error, _) = failure(&result, "commit");
    assert!(error.contains("read-only sandbox"), "{error}");
    let (error, _) = failure(&result, "beside");
    assert!(
        error.contains("refused") && error.contains(&granted_path),
        "{error}"
    );
    assert_eq!(git(&granted, &["rev-list", "--count", "HEAD"]), "1");

    // Full access: the commit lands in the granted repository.
    let governance = Governance {
        operator: operator.clone(),
        ..Default::default()
    };
    let result = run_with(&ws, &mission(steps.clone(), json!({})), governance).await;
    let commit = output(&result, "commit");
    assert_eq!(commit["commit"], git(&granted, &["rev-parse", "HEAD"]));
    assert_eq!(git(&granted, &["rev-list", "--count", "HEAD"]), "2");

    // The mission's own perimeter cannot grant a root: without the operator's, it is refused.
    let self_granted = mission(
        steps,
        json!({"perimeter": {"roots": [outside.path().display().to_string()]}}),
    );
    let result = run_with(&ws, &self_granted, Governance::default()).await;
    let (error, _) = failure(&result, "status");
    assert!(error.contains("the perimeter grants none"), "{error}");
    assert_eq!(git(&granted, &["rev-list", "--count", "HEAD"]), "2");
}
