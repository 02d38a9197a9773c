//! What the toolchain steps share: the project folder (inside the workspace) and its toolchain,
//! the tools' environment (offline, no colour, builds inside the project), finding programs,
//! running them through `steps/program.rs`, and the output tails.

use crate::steps::params::{opt_str, opt_str_list, opt_str_map, str_param_any};
use crate::steps::program::{last_line, run_program, Finished, Program};
use crate::steps::workspace::display;
use crate::steps::{Failure, StepCtx};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The toolchains the code steps drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Toolchain {
    Cargo,
    Python,
    Npm,
}

impl Toolchain {
    pub fn name(self) -> &'static str {
        match self {
            Self::Cargo => "cargo",
            Self::Python => "python",
            Self::Npm => "npm",
        }
    }

    fn from_language(language: &str) -> Result<Self, Failure> {
        match language.trim().to_ascii_lowercase().as_str() {
            "rust" | "cargo" => Ok(Self::Cargo),
            "python" | "python3" => Ok(Self::Python),
            "javascript" | "typescript" | "node" | "npm" => Ok(Self::Npm),
            other => Err(Failure::new(format!(
                "unknown language `{other}`: use rust, python, javascript or typescript (or leave `language` out to detect the toolchain from the project's files)"
            ))),
        }
    }
}

/// The project a step works on.
#[derive(Debug)]
pub(super) struct Project {
    /// Relative to the workspace (`.` for the workspace itself), for messages and outputs.
    pub rel: PathBuf,
    /// The folder on the host (inside the workspace).
    pub host: PathBuf,
    /// The workspace on the host.
    pub root: PathBuf,
    pub toolchain: Toolchain,
}

/// Names under which the project folder and the language are accepted.
const PATH_NAMES: &[&str] = &["path", "project_path", "working_dir"];
const LANGUAGE_NAMES: &[&str] = &["language", "toolchain"];

impl Project {
    /// Reads `path` and `language` (or their aliases) and finds the toolchain.
    pub fn from_params(p: &Value, ctx: &StepCtx) -> Result<Self, Failure> {
        let given = PATH_NAMES
            .iter()
            .any(|n| p.get(*n).is_some_and(|v| !v.is_null()));
        let rel_text = if given {
            str_param_any(p, PATH_NAMES)?
        } else {
            "."
        };
        let host = ctx.shared.workspace.host_path(rel_text)?;
        if !host.is_dir() {
            return Err(Failure::new(format!(
                "`{rel_text}` is not a folder: give the project's folder in `path`"
            )));
        }
        let root = ctx.shared.workspace_path().clone();
        let rel = match host.strip_prefix(&root) {
            Ok(r) if !r.as_os_str().is_empty() => r.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let language = LANGUAGE_NAMES
            .iter()
            .find_map(|n| opt_str(p, n).transpose())
            .transpose()?;
        let toolchain = match language {
            Some(language) => Toolchain::from_language(language)?,
            None => detect(&host).ok_or_else(|| {
                Failure::new(format!(
                    "no project found in `{}`: it has no Cargo.toml, package.json, pyproject.toml, setup.py, setup.cfg or .py file; point `path` at the project's folder, or name its toolchain with `language` (rust, python, javascript, typescript)",
                    display(&rel)
                ))
            })?,
        };
        let project = Self {
            rel,
            host,
            root,
            toolchain,
        };
        let manifest = match toolchain {
            Toolchain::Cargo => Some("Cargo.toml"),
            Toolchain::Npm => Some("package.json"),
            Toolchain::Python => None,
        };
        if let Some(file) = manifest.filter(|f| !project.host.join(f).is_file()) {
            return Err(Failure::new(format!(
                "`{}` has no {file}: {} needs one; point `path` at the project's folder",
                project.shown(),
                toolchain.name()
            )));
        }
        Ok(project)
    }

    /// The project folder as shown in messages.
    pub fn shown(&self) -> String {
        display(&self.rel)
    }

    /// A path the tool printed (relative to the project, or absolute) as a workspace-relative
    /// path when it lies inside the workspace.
    pub fn workspace_path(&self, printed: &str) -> String {
        let printed = printed.trim();
        let path = Path::new(printed);
        let abs = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.host.join(path)
        };
        let normal = normalize(&abs);
        match normal.strip_prefix(&self.root) {
            Ok(rel) => display(rel),
            Err(_) => printed.to_string(),
        }
    }

    /// The `scripts` of `package.json`.
    pub fn npm_scripts(&self) -> Result<BTreeMap<String, String>, Failure> {
        let text = std::fs::read_to_string(self.host.join("package.json")).map_err(|e| {
            Failure::new(format!(
                "cannot read `{}`: {e}",
                display(&self.rel.join("package.json"))
            ))
        })?;
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            Failure::new(format!(
                "`{}` is not valid JSON: {e}",
                display(&self.rel.join("package.json"))
            ))
        })?;
        Ok(value
            .get("scripts")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Refuses an npm project without the script `name`.
    pub fn require_npm_script(&self, name: &str, example: &str) -> Result<(), Failure> {
        if self.npm_scripts()?.contains_key(name) {
            return Ok(());
        }
        Err(Failure::new(format!(
            "`{}` has no `{name}` script: add one under \"scripts\" (for example \"{name}\": \"{example}\")",
            display(&self.rel.join("package.json"))
        )))
    }

    /// A program of the project's virtual environment (`.venv/bin`, `venv/bin`), else one found
    /// in `PATH`.
    pub fn find_program(&self, name: &str) -> Option<String> {
        for venv in [".venv", "venv"] {
            let candidate = self.host.join(venv).join("bin").join(name);
            if candidate.is_file() {
                return Some(candidate.display().to_string());
            }
        }
        in_path(name).map(|p| p.display().to_string())
    }

    /// The Python interpreter: the project's virtual environment's, else `python3`.
    pub fn python(&self) -> String {
        for venv in [".venv", "venv"] {
            let candidate = self.host.join(venv).join("bin").join("python");
            if candidate.is_file() {
                return candidate.display().to_string();
            }
        }
        "python3".to_string()
    }
}

/// The toolchain a folder's files call for.
fn detect(dir: &Path) -> Option<Toolchain> {
    if dir.join("Cargo.toml").is_file() {
        return Some(Toolchain::Cargo);
    }
    if dir.join("package.json").is_file() {
        return Some(Toolchain::Npm);
    }
    if ["pyproject.toml", "setup.py", "setup.cfg"]
        .iter()
        .any(|f| dir.join(f).is_file())
    {
        return Some(Toolchain::Python);
    }
    // Loose Python files at the top or one folder down (`src/`, `tests/`, a package).
    let has_py = |d: &Path| {
        std::fs::read_dir(d).ok().is_some_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "py"))
        })
    };
    if has_py(dir) {
        return Some(Toolchain::Python);
    }
    let subdirs = std::fs::read_dir(dir).ok()?;
    subdirs
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .any(|e| has_py(&e.path()))
        .then_some(Toolchain::Python)
}

/// A program found in `PATH`.
pub(super) fn in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Lexically removes `.` and `..` components.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The workspace folder that holds confined tools' temporary files while they run.
const SCRATCH: &str = ".mission-tmp";

/// A tool run: how it ended, how long it took, and what ran.
pub(super) struct Ran {
    pub finished: Finished,
    pub duration_ms: u64,
    pub command: Vec<String>,
}

impl Ran {
    pub fn success(&self) -> bool {
        self.finished.status.success()
    }

    /// "exited with code 1" / "was killed by signal 9".
    pub fn how(&self) -> String {
        match self.finished.exit_code() {
            Some(code) => format!("exited with code {code}"),
            None => "was killed by a signal".to_string(),
        }
    }

    /// The last meaningful line the tool wrote (stderr first).
    pub fn last_line(&self) -> Option<String> {
        last_line(&self.finished.stderr).or_else(|| last_line(&self.finished.stdout))
    }

    /// "`npm run build` exited with code 2: <last line>".
    pub fn failed_message(&self, what: &str) -> String {
        match self.last_line() {
            Some(line) => format!("`{what}` {}: {line}", self.how()),
            None => format!("`{what}` {}", self.how()),
        }
    }

    pub fn stdout_tail(&self) -> String {
        tail(&self.finished.stdout)
    }

    pub fn stderr_tail(&self) -> String {
        tail(&self.finished.stderr)
    }
}

/// Runs a tool of the project: `program` with `args` then the step's own `args`, in the
/// project folder, with the tools' environment and the step's `env`.
pub(super) async fn run_tool(
    project: &Project,
    program: &str,
    mut args: Vec<String>,
    p: &Value,
    extra_env: BTreeMap<String, String>,
    ctx: &StepCtx,
) -> Result<Ran, Failure> {
    args.extend(opt_str_list(p, "args")?);
    let mut env = tool_env(project);
    env.extend(extra_env);
    env.extend(opt_str_map(p, "env")?);
    let mut command = vec![program.to_string()];
    command.extend(args.iter().cloned());
    // Confined (read-only sandbox), a tool may write only inside the workspace: its temporary
    // files (the linker's, for one) go to a scratch folder there, removed afterwards.
    let scratch = ctx.shared.setup.confine_commands_to.as_ref().map(|root| {
        root.join(SCRATCH)
            .join(uuid::Uuid::new_v4().simple().to_string())
    });
    if let Some(dir) = &scratch {
        std::fs::create_dir_all(dir).map_err(|e| {
            Failure::new(format!(
                "cannot make a temporary folder in the workspace: {e}"
            ))
        })?;
        for name in ["TMPDIR", "TMP", "TEMP"] {
            env.insert(name.to_string(), dir.display().to_string());
        }
    }
    let started = Instant::now();
    let finished = run_program(
        Program {
            program: program.to_string(),
            args,
            cwd: project.host.clone(),
            env,
            stdin: None,
        },
        ctx,
    )
    .await
    .map_err(|f| install_hint(f, program));
    if let Some(dir) = &scratch {
        let _ = std::fs::remove_dir_all(dir);
        if let Some(parent) = dir.parent() {
            // Only when no other step's scratch folder is left in it.
            let _ = std::fs::remove_dir(parent);
        }
    }
    let finished = finished?;
    Ok(Ran {
        finished,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        command,
    })
}

/// The environment every tool gets: offline, no colours, no prompts, builds inside the project.
fn tool_env(project: &Project) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for (k, v) in [
        ("CARGO_NET_OFFLINE", "true"),
        ("CARGO_TERM_COLOR", "never"),
        ("CARGO_TERM_PROGRESS_WHEN", "never"),
        ("NO_COLOR", "1"),
        ("PY_COLORS", "0"),
        ("PIP_NO_INPUT", "1"),
        ("npm_config_offline", "true"),
        ("npm_config_update_notifier", "false"),
        ("npm_config_fund", "false"),
        ("npm_config_audit", "false"),
        ("npm_config_color", "false"),
    ] {
        env.insert(k.to_string(), v.to_string());
    }
    // Never the caller's shared build folder: the project builds in its own `target/`.
    env.insert(
        "CARGO_TARGET_DIR".to_string(),
        project.host.join("target").display().to_string(),
    );
    env
}

/// Turns "program `x` not found" into what to install.
fn install_hint(f: Failure, program: &str) -> Failure {
    if !f.message.contains("not found") {
        return f;
    }
    let name = Path::new(program)
        .file_name()
        .map_or(program.to_string(), |n| n.to_string_lossy().into_owned());
    let hint = match name.as_str() {
        "cargo" => "install Rust (https://rustup.rs)",
        "npm" | "node" => "install Node.js with npm",
        "python3" | "python" => "install Python 3",
        _ => "install it, or name another toolchain with `language`",
    };
    Failure::new(format!(
        "`{name}` is not installed (not found in PATH): {hint}"
    ))
}

/// Most bytes kept by [`tail`].
const TAIL_BYTES: usize = 4096;

/// The last lines of `text` that fit in 4 KiB, JSON message lines (cargo's) left out.
pub(super) fn tail(text: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut size = 0;
    for line in text
        .lines()
        .rev()
        .filter(|l| !l.starts_with("{\"reason\":"))
    {
        if size + line.len() + 1 > TAIL_BYTES {
            break;
        }
        size += line.len() + 1;
        kept.push(line);
    }
    kept.reverse();
    kept.join("\n").trim_matches('\n').to_string()
}

/// Shortens a message to `max` characters.
pub(super) fn clip(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    format!("{}…", text.chars().take(max).collect::<String>())
}
