//! What every git step shares: finding the repository inside the workspace, running the system
//! `git` (program + arguments through [`run_program`], never a shell) in a fixed environment,
//! and checking the names and revisions a mission gives before git sees them.
//!
//! **Finding the repository.** `repo_path` (default `.`) is a folder of the workspace (no `..`,
//! not absolute, no symlink leading out). From there the engine itself looks for `.git` upward,
//! never above the workspace; `.git` may be a folder or a `gitdir:` file (linked worktrees), and
//! both it and the shared git folder must resolve inside the workspace. Git is then told exactly
//! where everything is (`GIT_DIR`, `GIT_WORK_TREE`, `GIT_COMMON_DIR`, `GIT_INDEX_FILE`,
//! `GIT_OBJECT_DIRECTORY`), so no inherited variable (a git hook sets some) and no
//! `core.worktree` in the repository's config can point it elsewhere. Git runs in the
//! repository's top folder: every path in and out is relative to it.
//!
//! **A fixed environment.** `GIT_CONFIG_NOSYSTEM=1` and `GIT_CONFIG_GLOBAL=/dev/null` (the
//! machine's and the user's git configuration never apply: a mission behaves the same
//! everywhere), `GIT_TERMINAL_PROMPT=0`, `GIT_EDITOR=:` (never an editor), no pager, `LC_ALL=C`
//! (parseable messages), no inherited `-c` settings, alternates or namespace.
//!
//! **No program of the repository's choosing.** Git can run programs named in a repository's
//! own configuration. Every call sets `core.hooksPath=/dev/null` (no hook runs), turns off
//! `core.fsmonitor`, commit and tag signing, signature checks (merge, log), automatic `gc` and
//! maintenance, `rerere` and submodule recursion, and reads no user-wide attributes or ignore
//! file. Clean/smudge filters (`filter.<name>.clean|smudge|process`) and merge drivers
//! (`merge.<name>.driver`) cannot be switched off that way, so a repository whose configuration
//! defines one is refused with the key named. Diffs never run external diff programs or text
//! conversions (`--no-ext-diff --no-textconv`); merges accept only git's built-in strategies.

use crate::steps::params::opt_str;
use crate::steps::program::{run_program, Finished, Program};
use crate::steps::{Failure, StepCtx};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The identity used when neither the step nor the repository names one.
pub(crate) const DEFAULT_NAME: &str = "Mission Studio";
pub(crate) const DEFAULT_EMAIL: &str = "mission-studio@localhost";

/// Settings given on every git command line (`-c`), after the repository's own.
const FIXED_CONFIG: &[&str] = &[
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.pager=cat",
    "core.attributesFile=/dev/null",
    "core.excludesFile=/dev/null",
    "commit.gpgSign=false",
    "tag.gpgSign=false",
    "merge.verifySignatures=false",
    "log.showSignature=false",
    "gc.auto=0",
    "maintenance.auto=false",
    "rerere.enabled=false",
    "submodule.recurse=false",
    "color.ui=false",
];

/// Where a repository's files live (host paths, all inside the workspace).
#[derive(Debug, Clone)]
struct Layout {
    top: PathBuf,
    git_dir: PathBuf,
    common_dir: PathBuf,
}

/// A repository of the workspace, ready to run git in.
pub(crate) struct Repo {
    layout: Layout,
    /// Its configuration as git reads it (`key`, `value`), keys as git spells them.
    config: Vec<(String, String)>,
    /// Its top folder relative to the workspace (`.` for the workspace itself), for messages.
    pub display: String,
    /// Calls that only read: git takes no optional lock and leaves the index file alone.
    pub read_only: bool,
}

/// The repository a step works on: `repo_path` (default the workspace), refused when outside.
/// With `init`, a folder that is not in a repository becomes one (`git init`); the flag
/// returned says whether that happened.
pub(crate) async fn open(
    p: &Value,
    ctx: &StepCtx,
    init: Option<&str>,
) -> Result<(Repo, bool), Failure> {
    let rel = opt_str(p, "repo_path")?.unwrap_or(".");
    let (root, start) = if Path::new(rel).is_absolute() {
        granted(rel, ctx)?
    } else {
        let root = ctx.shared.workspace_path().clone();
        let start = match ctx.shared.workspace.host_path(rel) {
            Ok(path) => path,
            Err(f) if f.message.contains("refused") => return Err(f),
            Err(_) if init.is_some() => create_folder(ctx, rel).await?,
            Err(f) => {
                return Err(Failure::new(format!(
                    "`repo_path` `{rel}`: {}; {}",
                    f.message, HOW_TO_CREATE
                )))
            }
        };
        (root, start)
    };
    if !start.is_dir() {
        return Err(Failure::new(format!(
            "`repo_path` `{rel}` is a file, not a folder: name the repository's folder"
        )));
    }
    let (layout, initialized) = match locate(&start, &root)? {
        Some(layout) => (layout, false),
        None => match init {
            Some(branch) => (initialize(&start, branch, ctx).await?, true),
            None => {
                return Err(Failure::new(format!(
                    "`{rel}` is not inside a git repository (looked up to the workspace's top); {HOW_TO_CREATE}"
                )))
            }
        },
    };
    let display = if root == *ctx.shared.workspace_path() {
        relative(&layout.top, &root)
    } else {
        layout.top.display().to_string()
    };
    let mut repo = Repo {
        layout,
        config: Vec::new(),
        display,
        read_only: false,
    };
    repo.config = repo.read_config(ctx).await?;
    repo.refuse_programs()?;
    Ok((repo, initialized))
}

/// An absolute `repo_path`: allowed only inside a folder the operator's perimeter grants
/// (`perimeter.roots`), both resolved (symlinks followed) before they are compared. The granted
/// folder then bounds the repository lookup as the workspace does otherwise.
fn granted(rel: &str, ctx: &StepCtx) -> Result<(PathBuf, PathBuf), Failure> {
    let roots = &ctx.shared.setup.granted_roots;
    let refused = || {
        let granted = if roots.is_empty() {
            "the perimeter grants none".to_string()
        } else {
            format!(
                "the perimeter grants {}",
                roots
                    .iter()
                    .map(|r| format!("`{}`", r.display()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        Failure::new(format!(
            "`repo_path` `{rel}` is refused: it is outside the run's workspace and outside every folder the perimeter grants ({granted}); use a folder of the workspace, or have the operator's perimeter file list its folder under `roots:`"
        ))
    };
    if Path::new(rel)
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(refused());
    }
    let start = std::fs::canonicalize(rel)
        .map_err(|e| Failure::new(format!("`repo_path` `{rel}` cannot be opened: {e}")))?;
    for root in roots {
        let Ok(root) = std::fs::canonicalize(root) else {
            continue;
        };
        if start.starts_with(&root) {
            return Ok((root, start));
        }
    }
    Err(refused())
}

const HOW_TO_CREATE: &str = "create the repository first: `init: true` on a `git_commit` step, or a `command` step running `git init`";

async fn create_folder(ctx: &StepCtx, rel: &str) -> Result<PathBuf, Failure> {
    let clean = crate::steps::workspace::check(rel)?;
    crate::steps::workspace::with_dir(ctx, move |dir| {
        dir.create_dir_all(&clean)
            .map_err(|e| crate::steps::workspace::io_failure("create", &clean, e))
    })
    .await?;
    ctx.shared.workspace.host_path(rel)
}

/// Looks for `.git` from `start` up to `root` (both canonical host paths).
fn locate(start: &Path, root: &Path) -> Result<Option<Layout>, Failure> {
    let mut dir = start.to_path_buf();
    loop {
        let dot = dir.join(".git");
        match std::fs::symlink_metadata(&dot) {
            Ok(_) => return resolve(&dir, &dot, root).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Failure::new(format!(
                    "cannot inspect `{}`: {e}",
                    relative(&dot, root)
                )))
            }
        }
        if dir == root || !dir.pop() || !dir.starts_with(root) {
            return Ok(None);
        }
    }
}

/// The git folder behind `dot` (`<top>/.git`), which must lie inside the workspace.
fn resolve(top: &Path, dot: &Path, root: &Path) -> Result<Layout, Failure> {
    let shown = relative(dot, root);
    let outside = |target: &Path| {
        Failure::new(format!(
            "`{shown}` is refused: it leads outside the run's workspace (to `{}`); git steps work only on repositories whose data is inside the workspace",
            target.display()
        ))
    };
    let target = std::fs::canonicalize(dot)
        .map_err(|e| Failure::new(format!("cannot resolve `{shown}`: {e}")))?;
    let git_dir = if target.is_dir() {
        target
    } else {
        let text = std::fs::read_to_string(&target)
            .map_err(|e| Failure::new(format!("cannot read `{shown}`: {e}")))?;
        let Some(link) = text.trim_end().strip_prefix("gitdir:") else {
            return Err(Failure::new(format!(
                "`{shown}` is neither a git folder nor a `gitdir:` file"
            )));
        };
        let link = top.join(link.trim());
        std::fs::canonicalize(&link).map_err(|e| {
            Failure::new(format!(
                "`{shown}` names `{}`, which cannot be opened: {e}",
                link.display()
            ))
        })?
    };
    if !git_dir.starts_with(root) {
        return Err(outside(&git_dir));
    }
    if !git_dir.join("HEAD").is_file() {
        return Err(Failure::new(format!(
            "`{shown}` is not a git repository (it has no HEAD); {HOW_TO_CREATE}"
        )));
    }
    let common_dir = match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(text) => std::fs::canonicalize(git_dir.join(text.trim())).map_err(|e| {
            Failure::new(format!(
                "cannot resolve the shared git folder of `{shown}`: {e}"
            ))
        })?,
        Err(_) => git_dir.clone(),
    };
    if !common_dir.starts_with(root) {
        return Err(outside(&common_dir));
    }
    Ok(Layout {
        top: top.to_path_buf(),
        git_dir,
        common_dir,
    })
}

/// `git init` in `top` (a folder of the workspace that is in no repository).
async fn initialize(top: &Path, branch: &str, ctx: &StepCtx) -> Result<Layout, Failure> {
    check_rev("initial_branch", branch)?;
    let git_dir = top.join(".git");
    let layout = Layout {
        top: top.to_path_buf(),
        common_dir: git_dir.clone(),
        git_dir,
    };
    let args = vec![
        "init".to_string(),
        "--quiet".to_string(),
        format!("--initial-branch={branch}"),
    ];
    let finished = run_git(&layout, false, args, None, BTreeMap::new(), ctx).await?;
    if !finished.status.success() {
        return Err(git_failure(
            "init",
            &finished,
            &relative(top, ctx.shared.workspace_path()),
        ));
    }
    Ok(layout)
}

/// The environment of every git call for `layout`.
fn environment(layout: &Layout, read_only: bool) -> BTreeMap<String, String> {
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let mut env: BTreeMap<String, String> = [
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("GIT_CONFIG_GLOBAL", "/dev/null"),
        ("GIT_CONFIG_PARAMETERS", ""),
        ("GIT_CONFIG_COUNT", "0"),
        ("GIT_TERMINAL_PROMPT", "0"),
        ("GIT_EDITOR", ":"),
        ("GIT_SEQUENCE_EDITOR", ":"),
        ("GIT_PAGER", "cat"),
        ("PAGER", "cat"),
        ("GIT_NAMESPACE", ""),
        ("GIT_ALTERNATE_OBJECT_DIRECTORIES", ""),
        ("LC_ALL", "C"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    env.insert("GIT_DIR".into(), path(&layout.git_dir));
    env.insert("GIT_WORK_TREE".into(), path(&layout.top));
    env.insert("GIT_COMMON_DIR".into(), path(&layout.common_dir));
    env.insert("GIT_INDEX_FILE".into(), path(&layout.git_dir.join("index")));
    env.insert(
        "GIT_OBJECT_DIRECTORY".into(),
        path(&layout.common_dir.join("objects")),
    );
    env.insert(
        "GIT_OPTIONAL_LOCKS".into(),
        if read_only { "0" } else { "1" }.into(),
    );
    env
}

async fn run_git(
    layout: &Layout,
    read_only: bool,
    args: Vec<String>,
    stdin: Option<String>,
    extra_env: BTreeMap<String, String>,
    ctx: &StepCtx,
) -> Result<Finished, Failure> {
    let mut all = vec!["--no-pager".to_string()];
    for setting in FIXED_CONFIG {
        all.push("-c".into());
        all.push((*setting).into());
    }
    all.extend(args);
    let mut env = environment(layout, read_only);
    env.extend(extra_env);
    run_program(
        Program {
            program: "git".into(),
            args: all,
            cwd: layout.top.clone(),
            env,
            stdin,
        },
        ctx,
    )
    .await
    .map_err(|f| {
        if f.message.contains("program `git` not found") {
            Failure::new("the git steps need the `git` program (2.32 or later) on the PATH; install git and run again")
        } else {
            f
        }
    })
}

impl Repo {
    /// Whether a merge is in progress (stopped on a conflict, not yet committed or aborted).
    pub fn merging(&self) -> bool {
        self.layout.git_dir.join("MERGE_HEAD").exists()
    }

    /// Runs `git <args>`; a non-zero exit is returned, not a failure.
    pub async fn run(
        &self,
        ctx: &StepCtx,
        args: Vec<String>,
        stdin: Option<String>,
        env: BTreeMap<String, String>,
    ) -> Result<Finished, Failure> {
        run_git(&self.layout, self.read_only, args, stdin, env, ctx).await
    }

    /// Runs `git <args>` and returns its standard output; a non-zero exit fails with git's
    /// last line of error.
    pub async fn output(&self, ctx: &StepCtx, args: &[&str]) -> Result<String, Failure> {
        let finished = self.run(ctx, strings(args), None, BTreeMap::new()).await?;
        if finished.status.success() {
            Ok(finished.stdout)
        } else {
            Err(git_failure(args[0], &finished, &self.display))
        }
    }

    async fn read_config(&self, ctx: &StepCtx) -> Result<Vec<(String, String)>, Failure> {
        let text = self
            .output(ctx, &["config", "--list", "-z", "--includes"])
            .await?;
        Ok(text
            .split('\0')
            .filter(|entry| !entry.is_empty())
            .map(|entry| match entry.split_once('\n') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (entry.to_string(), String::new()),
            })
            .collect())
    }

    /// The last value of a configuration key (keys as git lists them: section and name in
    /// lower case).
    pub fn config(&self, key: &str) -> Option<&str> {
        self.config
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn refuse_programs(&self) -> Result<(), Failure> {
        for (key, value) in &self.config {
            let (Some((section, rest)), Some((_, name))) =
                (key.split_once('.'), key.rsplit_once('.'))
            else {
                continue;
            };
            let has_subsection = rest.contains('.');
            let runs = has_subsection
                && !value.is_empty()
                && match section {
                    "filter" => matches!(name, "clean" | "smudge" | "process"),
                    "merge" => name == "driver",
                    _ => false,
                };
            if runs {
                return Err(Failure::new(format!(
                    "the repository at `{}` sets `{key}` in its configuration, which would make git run a program of the repository's choosing (`{value}`); git steps never run such programs: remove the setting (`git config --unset {key}`) or run git from a `command` step instead",
                    self.display
                )));
            }
        }
        Ok(())
    }

    /// The full id of a commit, branch or tag, or `None` when it names nothing.
    pub async fn commit_of(&self, ctx: &StepCtx, rev: &str) -> Result<Option<String>, Failure> {
        let spec = format!("{rev}^{{commit}}");
        let finished = self
            .run(
                ctx,
                strings(&[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    "--end-of-options",
                    &spec,
                ]),
                None,
                BTreeMap::new(),
            )
            .await?;
        Ok(finished
            .status
            .success()
            .then(|| finished.stdout.trim().to_string())
            .filter(|id| !id.is_empty()))
    }

    /// Like [`Repo::commit_of`] for a parameter: a value naming nothing fails the step.
    pub async fn resolve(&self, ctx: &StepCtx, param: &str, rev: &str) -> Result<String, Failure> {
        check_rev(param, rev)?;
        self.commit_of(ctx, rev).await?.ok_or_else(|| {
            Failure::new(format!(
                "`{param}`: `{rev}` is not a commit, branch or tag of the repository at `{}`",
                self.display
            ))
        })
    }

    /// HEAD's full id, or `None` before the first commit.
    pub async fn head(&self, ctx: &StepCtx) -> Result<Option<String>, Failure> {
        self.commit_of(ctx, "HEAD").await
    }

    /// The current branch, or `None` when HEAD is detached.
    pub async fn current_branch(&self, ctx: &StepCtx) -> Result<Option<String>, Failure> {
        let finished = self
            .run(
                ctx,
                strings(&["symbolic-ref", "--quiet", "--short", "HEAD"]),
                None,
                BTreeMap::new(),
            )
            .await?;
        Ok(finished
            .status
            .success()
            .then(|| finished.stdout.trim().to_string()))
    }

    /// Every local branch, sorted by name.
    pub async fn branches(&self, ctx: &StepCtx) -> Result<Vec<String>, Failure> {
        let text = self
            .output(
                ctx,
                &[
                    "for-each-ref",
                    "--sort=refname",
                    "--format=%(refname:lstrip=2)",
                    "refs/heads/",
                ],
            )
            .await?;
        Ok(text.lines().map(str::to_string).collect())
    }

    /// Whether a local branch of that name exists.
    pub async fn has_branch(&self, ctx: &StepCtx, name: &str) -> Result<bool, Failure> {
        let full = format!("refs/heads/{name}");
        let finished = self
            .run(
                ctx,
                strings(&["show-ref", "--verify", "--quiet", &full]),
                None,
                BTreeMap::new(),
            )
            .await?;
        Ok(finished.status.success())
    }

    /// Refuses a branch name git would not accept (or would read as an option).
    pub async fn check_branch_name(
        &self,
        ctx: &StepCtx,
        param: &str,
        name: &str,
    ) -> Result<(), Failure> {
        check_rev(param, name)?;
        let full = format!("refs/heads/{name}");
        let finished = self
            .run(
                ctx,
                strings(&["check-ref-format", &full]),
                None,
                BTreeMap::new(),
            )
            .await?;
        if finished.status.success() && name != "HEAD" {
            Ok(())
        } else {
            Err(Failure::new(format!(
                "`{param}` `{name}` is not a valid branch name (no spaces, `~`, `^`, `:`, `?`, `*`, `[`, `..`, `@{{`, or a trailing `.lock` or `/`)"
            )))
        }
    }

    /// The environment that sets the author and committer of a commit: the step's author
    /// (`author`, or `author_name`/`author_email`), else the repository's `user.name` and
    /// `user.email`, else Mission Studio; the committer is the repository's user, else
    /// Mission Studio.
    pub fn identity(&self, p: &Value) -> Result<BTreeMap<String, String>, Failure> {
        let repo_name = self.config("user.name").filter(|s| !s.trim().is_empty());
        let repo_email = self.config("user.email").filter(|s| !s.trim().is_empty());
        let (mut name, mut email) = (opt_str(p, "author_name")?, opt_str(p, "author_email")?);
        if let Some(author) = opt_str(p, "author")? {
            let (n, e) = split_author(author)?;
            name = Some(n);
            email = Some(e);
        }
        let author_name = name.or(repo_name).unwrap_or(DEFAULT_NAME);
        let author_email = email.or(repo_email).unwrap_or(DEFAULT_EMAIL);
        check_ident("author_name", author_name)?;
        check_ident("author_email", author_email)?;
        Ok([
            ("GIT_AUTHOR_NAME", author_name),
            ("GIT_AUTHOR_EMAIL", author_email),
            ("GIT_COMMITTER_NAME", repo_name.unwrap_or(DEFAULT_NAME)),
            ("GIT_COMMITTER_EMAIL", repo_email.unwrap_or(DEFAULT_EMAIL)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect())
    }
}

/// `Name <email>` split in two.
fn split_author(author: &str) -> Result<(&str, &str), Failure> {
    let bad = || {
        Failure::new(format!(
            "`author` `{author}` must read `Name <email>`; or give `author_name` and `author_email`"
        ))
    };
    let (name, rest) = author.split_once('<').ok_or_else(bad)?;
    let email = rest.strip_suffix('>').ok_or_else(bad)?;
    Ok((name.trim(), email.trim()))
}

fn check_ident(param: &str, value: &str) -> Result<(), Failure> {
    if value.trim().is_empty() {
        return Err(Failure::new(format!("`{param}` is empty")));
    }
    if value
        .chars()
        .any(|c| c.is_control() || c == '<' || c == '>')
    {
        return Err(Failure::new(format!(
            "`{param}` `{value}` is refused: it may not hold `<`, `>` or control characters"
        )));
    }
    Ok(())
}

/// Refuses a branch, tag or revision that git could read as an option, or that holds control
/// characters. Checked before any git command sees it.
pub(crate) fn check_rev(param: &str, value: &str) -> Result<(), Failure> {
    if value.trim().is_empty() {
        return Err(Failure::new(format!("`{param}` is empty")));
    }
    if value.starts_with('-') {
        return Err(Failure::new(format!(
            "`{param}` `{value}` is refused: a name starting with `-` would be read by git as an option"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Failure::new(format!(
            "`{param}` is refused: it holds control characters"
        )));
    }
    Ok(())
}

/// Checks paths given to git (`files`, `paths`): relative to the repository's top folder,
/// without `..`; globs are allowed. Returned as given.
pub(crate) fn check_paths(param: &str, paths: &[String]) -> Result<(), Failure> {
    for path in paths {
        crate::steps::workspace::check(path)
            .map_err(|f| Failure::new(format!("`{param}`: {}", f.message)))?;
    }
    Ok(())
}

/// The failure for a git command that exited non-zero: what git said on standard error (its
/// lines joined, `hint:` lines left out), else on standard output.
pub(crate) fn git_failure(command: &str, finished: &Finished, display: &str) -> Failure {
    Failure::new(format!(
        "`git {command}` failed in the repository at `{display}`: {}",
        git_said(finished)
    ))
}

/// Git's message of a failed call, on one line (at most 600 characters).
pub(crate) fn git_said(finished: &Finished) -> String {
    let join = |text: &str| {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("hint:"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut said = join(&finished.stderr);
    if said.is_empty() {
        said = join(&finished.stdout);
    }
    if said.is_empty() {
        return format!("exit status {:?}", finished.exit_code());
    }
    if said.chars().count() > 600 {
        said = format!("{}…", said.chars().take(600).collect::<String>());
    }
    said
}

pub(crate) fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// `path` relative to the workspace root, `.` for the root itself.
fn relative(path: &Path, root: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".into(),
        Ok(rel) => crate::steps::workspace::display(rel),
        Err(_) => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_and_control_characters_are_refused_before_git_sees_them() {
        assert!(check_rev("branch", "feature/x").is_ok());
        assert!(check_rev("branch", "HEAD~2").is_ok());
        for bad in ["--upload-pack=evil", "-b", "", "  ", "a\nb", "a\0b"] {
            assert!(check_rev("branch", bad).is_err(), "{bad:?}");
        }
        assert!(check_paths("files", &["a/b.txt".into(), "*.md".into()]).is_ok());
        for bad in ["../x", "/etc/passwd", "a/../../x"] {
            let err = check_paths("files", &[bad.into()]).unwrap_err().message;
            assert!(err.contains("refused"), "{bad}: {err}");
        }
    }

    #[test]
    fn an_author_reads_name_and_email() {
        assert_eq!(
            split_author("Ada Lovelace <ada@example.com>").unwrap(),
            ("Ada Lovelace", "ada@example.com")
        );
        assert!(split_author("Ada").is_err());
        assert!(check_ident("author_name", "A <b>").is_err());
    }
}
