//! The git step types (`git_status`, `git_diff`, `git_commit`, `git_branch`, `git_merge`) run
//! through `run_mission` on real repositories made in temporary workspaces with the system
//! `git`, including their failure modes: conflicts (`git_steps/merge.rs`), refused paths and
//! names, repositories whose configuration would run programs, the read-only sandbox
//! (`git_steps/guards.rs`). The helpers are in `git_steps/support.rs`.

#[path = "git_steps/guards.rs"]
mod guards;
#[path = "git_steps/merge.rs"]
mod merge;
#[path = "git_steps/support.rs"]
mod support;

use serde_json::{json, Value};
use support::*;

#[tokio::test]
async fn git_status_reports_every_state_with_the_branch_and_its_upstream() {
    let (_dir, ws, repo) = workspace_with_repo(&[
        ("keep.txt", "k\n"),
        ("edit.txt", "one\n"),
        ("gone.txt", "g\n"),
        ("old name.txt", "r\n"),
        ("both.txt", "base\n"),
        (".gitignore", "*.log\n"),
    ]);
    commit_on(&repo, "other", &[("both.txt", "theirs\n")], "main");
    write(&repo, "both.txt", "ours\n");
    git(&repo, &["commit", "-qam", "ours"]);
    let merge = git_run(&repo, &["merge", "-q", "other"]);
    assert!(!merge.status.success(), "the merge conflicts");
    write(&repo, "edit.txt", "two\n");
    std::fs::remove_file(repo.join("gone.txt")).unwrap();
    git(&repo, &["mv", "old name.txt", "new name.txt"]);
    write(&repo, "added.txt", "a\n");
    git(&repo, &["add", "added.txt"]);
    write(&repo, "sub/loose.txt", "u\n");
    write(&repo, "debug.log", "ignored\n");

    let (_d2, ws2, clean) = workspace_with_repo(&[("a.txt", "a\n")]);
    git(&clean, &["branch", "base"]);
    commit_on(&clean, "base", &[("b.txt", "b\n")], "main");
    commit_on(&clean, "main", &[("c.txt", "c\n")], "main");
    commit_on(&clean, "main", &[("d.txt", "d\n")], "main");
    git(&clean, &["branch", "--set-upstream-to=base"]);

    let result = run_in(
        &ws,
        json!([
            {"id": "status", "step_type": "git_status", "parameters": {"repo_path": "repo", "ignored": true}},
            {"id": "no_untracked", "step_type": "git_status", "parameters": {"path": "repo/sub", "include_untracked": false}},
        ]),
    )
    .await;
    let status = output(&result, "status");
    assert_eq!(status["branch"], "main");
    assert_eq!(status["commit"], git(&repo, &["rev-parse", "HEAD"]));
    assert_eq!(status["clean"], false);
    let expect = [
        ("edit.txt", "modified", ".", "M"),
        ("gone.txt", "deleted", ".", "D"),
        ("new name.txt", "renamed", "R", "."),
        ("added.txt", "added", "A", "."),
        ("both.txt", "conflicted", "U", "U"),
        ("sub/loose.txt", "untracked", "?", "?"),
        ("debug.log", "ignored", "!", "!"),
    ];
    for (path, state, index, worktree) in expect {
        let f = state_of(status, path);
        assert_eq!(
            (&f["state"], &f["index"], &f["worktree"]),
            (&json!(state), &json!(index), &json!(worktree)),
            "{path}: {f}"
        );
    }
    assert_eq!(
        state_of(status, "new name.txt")["orig_path"],
        "old name.txt"
    );
    assert_eq!(state_of(status, "added.txt")["staged"], true);
    assert_eq!(state_of(status, "edit.txt")["unstaged"], true);
    let counts = &status["counts"];
    assert_eq!(
        [
            &counts["modified"],
            &counts["deleted"],
            &counts["renamed"],
            &counts["added"],
            &counts["conflicted"],
            &counts["untracked"],
            &counts["ignored"],
            &counts["total"]
        ],
        [1, 1, 1, 1, 1, 1, 1, 6].map(|n| json!(n)).each_ref()
    );
    let quiet = output(&result, "no_untracked");
    assert!(
        quiet["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["state"] != "untracked"),
        "a subfolder means its repository; untracked files left out: {quiet}"
    );
    assert_eq!(quiet["counts"]["total"], 5);

    let result = run_in(
        &ws2,
        json!([{"id": "s", "step_type": "git_status", "parameters": {"repository": "repo"}}]),
    )
    .await;
    let s = output(&result, "s");
    assert_eq!(
        (&s["clean"], &s["upstream"], &s["ahead"], &s["behind"]),
        (&json!(true), &json!("base"), &json!(2), &json!(1)),
        "{s}"
    );
    assert_eq!(s["files"], json!([]));
}

#[tokio::test]
async fn git_diff_counts_lines_flags_binaries_and_compares_commits() {
    let (_dir, ws, repo) = workspace_with_repo(&[
        ("notes.txt", "one\ntwo\nthree\n"),
        ("logo.bin", "\0\u{1}\u{2}binary"),
        ("stay.txt", "same\n"),
    ]);
    let first = git(&repo, &["rev-parse", "HEAD"]);
    write(&repo, "notes.txt", "one\nTWO\nthree\nfour\n");
    std::fs::write(repo.join("logo.bin"), b"\0\x05\x06changed").unwrap();
    write(&repo, "staged.txt", "s1\ns2\n");
    git(&repo, &["add", "staged.txt"]);
    let result = run_in(
        &ws,
        json!([
            {"id": "work", "step_type": "git_diff", "parameters": {"repo_path": "repo"}},
            {"id": "staged", "step_type": "git_diff", "parameters": {"repo_path": "repo", "cached": true}},
            {"id": "some", "step_type": "git_diff", "parameters": {"repo_path": "repo", "paths": ["notes.txt"], "context_lines": 0}},
            {"id": "cut", "step_type": "git_diff", "parameters": {"repo_path": "repo", "max_patch_bytes": 40}},
            {"id": "bare", "step_type": "git_diff", "parameters": {"repo_path": "repo", "patch": false}},
        ]),
    )
    .await;
    let work = output(&result, "work");
    assert_eq!(
        work["files"],
        json!([
            {"path": "logo.bin", "status": "modified", "additions": 0, "deletions": 0, "binary": true},
            {"path": "notes.txt", "status": "modified", "additions": 2, "deletions": 1, "binary": false},
        ])
    );
    assert_eq!(
        work["stats"],
        json!({"files_changed": 2, "additions": 2, "deletions": 1})
    );
    let patch = work["patch"].as_str().unwrap();
    assert!(
        patch.contains("+TWO\n") && patch.contains("-two\n") && patch.contains("+four\n"),
        "{patch}"
    );
    assert!(
        patch.contains("Binary files a/logo.bin and b/logo.bin differ"),
        "{patch}"
    );
    assert_eq!(
        (&work["truncated"], &work["from"], &work["to"]),
        (&json!(false), &Value::Null, &Value::Null)
    );

    let staged = output(&result, "staged");
    assert_eq!(
        staged["files"],
        json!([{"path": "staged.txt", "status": "added", "additions": 2, "deletions": 0, "binary": false}])
    );
    assert_eq!(staged["from"], first, "the index is compared with HEAD");
    let some = output(&result, "some");
    assert_eq!(some["stats"]["files_changed"], 1);
    let some_patch = some["patch"].as_str().unwrap();
    assert!(
        !some_patch.lines().any(|l| l.starts_with(' ')),
        "no context lines: {some_patch}"
    );
    let cut = output(&result, "cut");
    assert_eq!(cut["truncated"], true);
    assert_eq!(cut["patch"].as_str().unwrap().len(), 40);
    assert_eq!(output(&result, "bare")["patch"], "");

    git(&repo, &["add", "-A"]);
    git(&repo, &["mv", "stay.txt", "moved.txt"]);
    git(&repo, &["commit", "-qm", "second"]);
    git(&repo, &["tag", "v2"]);
    let result = run_in(
        &ws,
        json!([
            {"id": "range", "step_type": "git_diff", "parameters": {"repo_path": "repo", "from": first, "to": "v2"}},
            {"id": "nothing", "step_type": "git_diff", "parameters": {"repo_path": "repo", "from": "v2"}},
            {"id": "unknown", "step_type": "git_diff", "parameters": {"repo_path": "repo", "from": "no-such-branch"}},
        ]),
    )
    .await;
    let range = output(&result, "range");
    assert_eq!(
        range["stats"],
        json!({"files_changed": 4, "additions": 4, "deletions": 1})
    );
    let moved = state_of(range, "moved.txt");
    assert_eq!(
        (&moved["status"], &moved["old_path"]),
        (&json!("renamed"), &json!("stay.txt"))
    );
    assert_eq!(range["to"], git(&repo, &["rev-parse", "HEAD"]));
    let nothing = output(&result, "nothing");
    assert_eq!(
        (&nothing["files"], &nothing["patch"]),
        (&json!([]), &json!(""))
    );
    let (error, _) = failure(&result, "unknown");
    assert!(
        error.contains("`no-such-branch` is not a commit, branch or tag"),
        "{error}"
    );
}

#[tokio::test]
async fn git_commit_records_the_changes_and_its_id_is_head() {
    let (_dir, ws, repo) = workspace_with_repo(&[("a.txt", "a\n"), ("b.txt", "b\n")]);
    let result = run_in(
        &ws,
        json!([
            {"id": "edit", "step_type": "create_file", "parameters": {"path": "repo/a.txt", "content": "a2\n"}},
            {"id": "new", "step_type": "create_file", "parameters": {"path": "repo/docs/c.md", "content": "c\n"}},
            {"id": "drop", "step_type": "delete_file", "parameters": {"path": "repo/b.txt"}},
            {"id": "commit", "step_type": "git_commit", "depends_on": ["edit", "new", "drop"],
             "parameters": {"repo_path": "repo", "message": "Update a, add c, drop b\n\nWith a body: $(rm -rf /) `x`", "author_name": "Ada", "author_email": "ada@example.com"}},
        ]),
    )
    .await;
    let out = output(&result, "commit");
    let head = git(&repo, &["rev-parse", "HEAD"]);
    assert_eq!(out["commit"], head);
    assert!(head.starts_with(out["short"].as_str().unwrap()));
    assert_eq!(out["branch"], "main");
    assert_eq!(
        out["files_committed"],
        json!(["a.txt", "b.txt", "docs/c.md"])
    );
    assert_eq!(
        out["message"],
        "Update a, add c, drop b\n\nWith a body: $(rm -rf /) `x`"
    );
    assert_eq!(
        (&out["committed"], &out["initialized"]),
        (&json!(true), &json!(false))
    );
    assert_eq!(
        git(&repo, &["log", "-1", "--format=%an <%ae> / %cn"]),
        "Ada <ada@example.com> / Mission Studio"
    );
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");

    // Only the files named; the rest stays as it was.
    write(&repo, "a.txt", "a3\n");
    write(&repo, "docs/c.md", "c2\n");
    git(&repo, &["config", "user.name", "Repo User"]);
    git(&repo, &["config", "user.email", "repo@example.com"]);
    let result = run_in(
        &ws,
        json!([
            {"id": "only", "step_type": "git_commit", "parameters": {"path": "repo", "message": "Only a", "paths": ["a.txt"]}},
            {"id": "staged_only", "step_type": "git_commit", "depends_on": ["only"], "parameters": {"repo_path": "repo", "message": "x", "all": false}},
            {"id": "rest", "step_type": "git_commit", "depends_on": ["staged_only"], "parameters": {"repo_path": "repo", "message": "The rest", "author": "Grace Hopper <grace@example.com>"}},
            {"id": "again", "step_type": "git_commit", "depends_on": ["rest"], "parameters": {"repo_path": "repo", "message": "Nothing"}},
            {"id": "quiet", "step_type": "git_commit", "depends_on": ["again"], "parameters": {"repo_path": "repo", "message": "Nothing", "if_changed": true}},
            {"id": "empty", "step_type": "git_commit", "depends_on": ["quiet"], "parameters": {"repo_path": "repo", "message": "Checkpoint", "allow_empty": true}},
        ]),
    )
    .await;
    assert_eq!(output(&result, "only")["files_committed"], json!(["a.txt"]));
    let (error, _) = failure(&result, "staged_only");
    assert!(
        error.contains("nothing to commit") && error.contains("nothing is staged"),
        "{error}"
    );
    let rest = output(&result, "rest");
    assert_eq!(rest["files_committed"], json!(["docs/c.md"]));
    let log = git(&repo, &["log", "-3", "--format=%s|%an|%cn"]);
    assert_eq!(
        log,
        "Checkpoint|Repo User|Repo User\nThe rest|Grace Hopper|Repo User\nOnly a|Repo User|Repo User"
    );
    let (error, _) = failure(&result, "again");
    assert!(
        error.contains("nothing to commit in the repository at `repo`")
            && error.contains("allow_empty: true"),
        "{error}"
    );
    let quiet = output(&result, "quiet");
    assert_eq!(
        (
            &quiet["committed"],
            &quiet["commit"],
            &quiet["files_committed"]
        ),
        (&json!(false), &rest["commit"], &json!([]))
    );
    let empty = output(&result, "empty");
    assert_eq!(empty["commit"], git(&repo, &["rev-parse", "HEAD"]));
    assert_eq!(empty["files_committed"], json!([]));
}

#[tokio::test]
async fn git_commit_with_init_creates_the_repository_first() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let result = run_in(
        &ws,
        json!([
            {"id": "file", "step_type": "create_file", "parameters": {"path": "book/chapter-1.md", "content": "# One\n"}},
            {"id": "refused", "step_type": "git_status", "depends_on": ["file"], "parameters": {"repo_path": "book"}},
            {"id": "init", "step_type": "git_commit", "depends_on": ["refused"], "parameters": {"repo_path": "book", "message": "Start the book", "init": true}},
            {"id": "fresh", "step_type": "git_commit", "depends_on": ["init"], "parameters": {"repo_path": "notes", "message": "Empty start", "init": true, "initial_branch": "trunk", "allow_empty": true}},
            {"id": "twice", "step_type": "git_commit", "depends_on": ["fresh"], "parameters": {"repo_path": "book", "message": "Again", "init": true, "if_changed": true}},
        ]),
    )
    .await;
    let (error, _) = failure(&result, "refused");
    assert!(
        error.contains("`book` is not inside a git repository") && error.contains("init: true"),
        "{error}"
    );
    let init = output(&result, "init");
    let book = ws.join("book");
    assert_eq!(
        (&init["initialized"], &init["branch"]),
        (&json!(true), &json!("main"))
    );
    assert_eq!(init["commit"], git(&book, &["rev-parse", "HEAD"]));
    assert_eq!(init["files_committed"], json!(["chapter-1.md"]));
    assert_eq!(
        git(&book, &["log", "--format=%an <%ae>"]),
        "Mission Studio <mission-studio@localhost>"
    );
    let fresh = output(&result, "fresh");
    assert_eq!(
        (&fresh["initialized"], &fresh["branch"]),
        (&json!(true), &json!("trunk"))
    );
    assert!(ws.join("notes/.git").is_dir());
    let twice = output(&result, "twice");
    assert_eq!(
        (&twice["initialized"], &twice["committed"]),
        (&json!(false), &json!(false))
    );
}

#[tokio::test]
async fn git_branch_creates_checks_out_lists_and_deletes() {
    let (_dir, ws, repo) = workspace_with_repo(&[("a.txt", "a\n")]);
    let first = git(&repo, &["rev-parse", "HEAD"]);
    git(&repo, &["tag", "v1"]);
    commit_on(&repo, "main", &[("b.txt", "b\n")], "main");
    let second = git(&repo, &["rev-parse", "HEAD"]);
    let result = run_in(
        &ws,
        json!([
            {"id": "create", "step_type": "git_branch", "parameters": {"repo_path": "repo", "name": "feature/login"}},
            {"id": "switch", "step_type": "git_branch", "depends_on": ["create"], "parameters": {"repo_path": "repo", "operation": "create", "branch_name": "hotfix", "from": "v1", "switch": true}},
            {"id": "work", "step_type": "create_file", "depends_on": ["switch"], "parameters": {"path": "repo/fix.txt", "content": "fix\n"}},
            {"id": "commit", "step_type": "git_commit", "depends_on": ["work"], "parameters": {"repo_path": "repo", "message": "Fix"}},
            {"id": "back", "step_type": "git_branch", "depends_on": ["commit"], "parameters": {"repo_path": "repo", "action": "checkout", "branch": "main"}},
            {"id": "list", "step_type": "git_branch", "depends_on": ["back"], "parameters": {"repo_path": "repo", "action": "list"}},
            {"id": "unmerged", "step_type": "git_branch", "depends_on": ["list"], "parameters": {"repo_path": "repo", "action": "delete", "name": "hotfix"}},
            {"id": "forced", "step_type": "git_branch", "depends_on": ["unmerged"], "parameters": {"repo_path": "repo", "action": "delete", "name": "hotfix", "force": true}},
            {"id": "merged", "step_type": "git_branch", "depends_on": ["forced"], "parameters": {"repo_path": "repo", "action": "delete", "name": "feature/login"}},
            {"id": "current", "step_type": "git_branch", "depends_on": ["merged"], "parameters": {"repo_path": "repo", "action": "delete", "name": "main"}},
            {"id": "exists", "step_type": "git_branch", "depends_on": ["current"], "parameters": {"repo_path": "repo", "name": "main"}},
            {"id": "missing", "step_type": "git_branch", "depends_on": ["exists"], "parameters": {"repo_path": "repo", "action": "checkout", "name": "nope"}},
            {"id": "bad_name", "step_type": "git_branch", "depends_on": ["missing"], "parameters": {"repo_path": "repo", "name": "two words"}},
            {"id": "no_name", "step_type": "git_branch", "depends_on": ["bad_name"], "parameters": {"repo_path": "repo"}},
        ]),
    )
    .await;
    let create = output(&result, "create");
    assert_eq!(
        (
            &create["branch"],
            &create["action"],
            &create["current"],
            &create["commit"]
        ),
        (
            &json!("feature/login"),
            &json!("create"),
            &json!("main"),
            &json!(second)
        )
    );
    let switch = output(&result, "switch");
    assert_eq!(
        (&switch["current"], &switch["commit"]),
        (&json!("hotfix"), &json!(first))
    );
    let fix = output(&result, "commit")["commit"].clone();
    assert_eq!(output(&result, "commit")["branch"], "hotfix");
    assert_eq!(output(&result, "back")["current"], "main");
    assert!(!repo.join("fix.txt").exists(), "main has no fix.txt");
    let list = output(&result, "list");
    assert_eq!(list["branches"], json!(["feature/login", "hotfix", "main"]));
    assert_eq!(
        (&list["branch"], &list["commit"]),
        (&json!("main"), &json!(second))
    );
    let (error, _) = failure(&result, "unmerged");
    assert!(
        error.contains("not merged") && error.contains("force: true"),
        "{error}"
    );
    let forced = output(&result, "forced");
    assert_eq!(
        forced["commit"], fix,
        "the deleted branch's last commit is kept in the output"
    );
    assert_eq!(output(&result, "merged")["branches"], json!(["main"]));
    let (error, _) = failure(&result, "current");
    assert!(error.contains("it is the current branch"), "{error}");
    let (error, _) = failure(&result, "exists");
    assert!(error.contains("already exists"), "{error}");
    let (error, _) = failure(&result, "missing");
    assert!(error.contains("`nope` does not exist"), "{error}");
    let (error, _) = failure(&result, "bad_name");
    assert!(error.contains("not a valid branch name"), "{error}");
    let (error, _) = failure(&result, "no_name");
    assert!(error.contains("needs the branch's `name`"), "{error}");
    assert_eq!(git(&repo, &["branch", "--format=%(refname:short)"]), "main");
}

#[tokio::test]
async fn a_repository_without_commits_has_a_status_a_staged_diff_and_a_first_branch() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    git(&ws, &["init", "-q", "-b", "main"]);
    write(&ws, "draft.md", "line 1\nline 2\n");
    git(&ws, &["add", "draft.md"]);
    let result = run_in(
        &ws,
        json!([
            {"id": "status", "step_type": "git_status", "parameters": {}},
            {"id": "staged", "step_type": "git_diff", "parameters": {"staged": true}},
            {"id": "list", "step_type": "git_branch", "parameters": {"action": "list"}},
            {"id": "plain", "step_type": "git_branch", "parameters": {"name": "topic"}},
            {"id": "switch", "step_type": "git_branch", "depends_on": ["plain"], "parameters": {"name": "topic", "checkout": true}},
            {"id": "commit", "step_type": "git_commit", "depends_on": ["switch"], "parameters": {"message": "First"}},
        ]),
    )
    .await;
    let status = output(&result, "status");
    assert_eq!(
        (&status["branch"], &status["commit"], &status["clean"]),
        (&json!("main"), &Value::Null, &json!(false))
    );
    assert_eq!(state_of(status, "draft.md")["state"], "added");
    let staged = output(&result, "staged");
    assert_eq!(staged["from"], Value::Null);
    assert_eq!(
        staged["stats"],
        json!({"files_changed": 1, "additions": 2, "deletions": 0})
    );
    let list = output(&result, "list");
    assert_eq!(
        (&list["branches"], &list["current"], &list["commit"]),
        (&json!([]), &json!("main"), &Value::Null)
    );
    let (error, _) = failure(&result, "plain");
    assert!(
        error.contains("has no commit yet") && error.contains("checkout: true"),
        "{error}"
    );
    assert_eq!(output(&result, "switch")["current"], "topic");
    let commit = output(&result, "commit");
    assert_eq!(
        (&commit["branch"], &commit["files_committed"]),
        (&json!("topic"), &json!(["draft.md"]))
    );
    assert_eq!(git(&ws, &["branch", "--format=%(refname:short)"]), "topic");
}
