//! `git_merge`: fast-forwards, merge commits, `into`, `ff_only`, and conflicts (aborted by
//! default, or kept for a later step that resolves them and concludes with `git_commit`).

use super::support::*;
use serde_json::json;

#[tokio::test]
async fn git_merge_fast_forwards_or_records_a_merge_commit() {
    let (_dir, ws, repo) = workspace_with_repo(&[("a.txt", "a\n")]);
    commit_on(&repo, "feature", &[("f.txt", "f\n")], "main");
    let feature = git(&repo, &["rev-parse", "feature"]);
    commit_on(&repo, "topic", &[("t.txt", "t\n")], "main");
    commit_on(&repo, "side", &[("s.txt", "s\n")], "main");
    let result = run_in(
        &ws,
        json!([
            {"id": "ff", "step_type": "git_merge", "parameters": {"repo_path": "repo", "branch": "feature"}},
            {"id": "again", "step_type": "git_merge", "depends_on": ["ff"], "parameters": {"repo_path": "repo", "source": "feature", "no_ff": true}},
            {"id": "true_merge", "step_type": "git_merge", "depends_on": ["again"], "parameters": {"repo_path": "repo", "branch": "topic", "message": "Bring in topic", "author_name": "Merger", "author_email": "m@example.com"}},
            {"id": "onto_side", "step_type": "git_merge", "depends_on": ["true_merge"], "parameters": {"repo_path": "repo", "branch": "feature", "into": "side", "no_ff": true}},
            {"id": "diverged", "step_type": "git_merge", "depends_on": ["onto_side"], "parameters": {"repo_path": "repo", "branch": "main", "ff_only": true}},
        ]),
    )
    .await;
    let ff = output(&result, "ff");
    assert_eq!(
        (
            &ff["merged"],
            &ff["status"],
            &ff["fast_forward"],
            &ff["commit"],
            &ff["into"]
        ),
        (
            &json!(true),
            &json!("fast_forward"),
            &json!(true),
            &json!(feature),
            &json!("main")
        )
    );
    assert_eq!(output(&result, "again")["status"], "up_to_date");
    let merge = output(&result, "true_merge");
    assert_eq!(
        (&merge["status"], &merge["fast_forward"]),
        (&json!("merged"), &json!(false))
    );
    let head = git(&repo, &["rev-parse", "main"]);
    assert_eq!(merge["commit"], head);
    let parents = git(&repo, &["rev-list", "--parents", "-n1", "main"]);
    assert_eq!(
        parents.split(' ').count(),
        3,
        "a merge commit has two parents: {parents}"
    );
    assert_eq!(
        git(&repo, &["log", "-1", "--format=%s|%an", "main"]),
        "Bring in topic|Merger"
    );
    let side = output(&result, "onto_side");
    assert_eq!(
        (&side["status"], &side["into"]),
        (&json!("merged"), &json!("side"))
    );
    assert_eq!(
        git(&repo, &["branch", "--show-current"]),
        "side",
        "`into` stays checked out"
    );
    let (error, _) = failure(&result, "diverged");
    assert!(
        error.contains("drop `ff_only`") && error.contains("nothing was changed"),
        "{error}"
    );
    assert_eq!(
        git(&repo, &["rev-parse", "side"]),
        side["commit"].as_str().unwrap()
    );
}

#[tokio::test]
async fn a_merge_conflict_fails_naming_the_files_and_is_aborted_by_default() {
    let (_dir, ws, repo) = workspace_with_repo(&[
        ("plan.md", "v1\n"),
        ("budget.csv", "a,1\n"),
        ("ok.txt", "ok\n"),
    ]);
    commit_on(
        &repo,
        "theirs",
        &[
            ("plan.md", "theirs\n"),
            ("budget.csv", "a,2\n"),
            ("new.txt", "n\n"),
        ],
        "main",
    );
    commit_on(
        &repo,
        "main",
        &[("plan.md", "ours\n"), ("budget.csv", "a,3\n")],
        "main",
    );
    let before = git(&repo, &["rev-parse", "HEAD"]);
    let result = run_in(
        &ws,
        json!([
            {"id": "merge", "step_type": "git_merge", "parameters": {"repo_path": "repo", "branch": "theirs"}},
        ]),
    )
    .await;
    let (error, out) = failure(&result, "merge");
    assert!(
        error.contains("stopped on conflicts in 2 file(s): budget.csv, plan.md")
            && error.contains("aborted"),
        "{error}"
    );
    assert_eq!(
        out,
        json!({"merged": false, "status": "aborted", "fast_forward": false, "commit": null,
               "conflicts": ["budget.csv", "plan.md"], "branch": "theirs", "into": "main"})
    );
    assert_eq!(
        git(&repo, &["rev-parse", "HEAD"]),
        before,
        "HEAD did not move"
    );
    assert_eq!(
        git(&repo, &["status", "--porcelain"]),
        "",
        "the repository is as it was"
    );
    assert!(!repo.join(".git/MERGE_HEAD").exists());
    assert_eq!(
        std::fs::read_to_string(repo.join("plan.md")).unwrap(),
        "ours\n"
    );

    // Kept for a later step: the conflicts stay, a status shows them, a commit concludes.
    let result = run_in(
        &ws,
        json!([
            {"id": "merge", "step_type": "git_merge", "parameters": {"repo_path": "repo", "branch": "theirs", "abort_on_conflict": false}},
            {"id": "status", "step_type": "git_status", "depends_on": ["merge"], "parameters": {"repo_path": "repo"}},
            {"id": "again", "step_type": "git_merge", "depends_on": ["status"], "parameters": {"repo_path": "repo", "branch": "theirs"}},
            {"id": "resolve_plan", "step_type": "create_file", "depends_on": ["again"], "parameters": {"path": "repo/plan.md", "content": "merged\n"}},
            {"id": "resolve_budget", "step_type": "create_file", "depends_on": ["again"], "parameters": {"path": "repo/budget.csv", "content": "a,5\n"}},
            {"id": "conclude", "step_type": "git_commit", "depends_on": ["resolve_plan", "resolve_budget"], "parameters": {"repo_path": "repo", "message": "Merge theirs, conflicts resolved"}},
        ]),
    )
    .await;
    let (error, out) = failure(&result, "merge");
    assert!(
        error.contains("left in progress") && error.contains("budget.csv, plan.md"),
        "{error}"
    );
    assert_eq!(
        (&out["status"], &out["conflicts"]),
        (&json!("conflicted"), &json!(["budget.csv", "plan.md"]))
    );
    let status = output(&result, "status");
    assert_eq!(status["counts"]["conflicted"], 2, "{status}");
    assert_eq!(state_of(status, "new.txt")["state"], "added");
    let (error, _) = failure(&result, "again");
    assert!(error.contains("a merge is already in progress"), "{error}");
    let conclude = output(&result, "conclude");
    let parents = git(&repo, &["rev-list", "--parents", "-n1", "HEAD"]);
    assert_eq!(
        parents.split(' ').count(),
        3,
        "the commit concluded the merge: {parents}"
    );
    assert_eq!(conclude["commit"], git(&repo, &["rev-parse", "HEAD"]));
    assert_eq!(
        std::fs::read_to_string(repo.join("plan.md")).unwrap(),
        "merged\n"
    );
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");
}
