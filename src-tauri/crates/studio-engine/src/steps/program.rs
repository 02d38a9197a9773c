//! Runs a program for a step: program + argument list (never a shell), in its own process
//! group, confined to the workspace by Landlock under a read-only sandbox, stdout and stderr
//! captured (capped). `command`, the git steps and the code steps all start programs here;
//! `process_start` uses [`spawn`] to start one in the background (its output to a log file).
//!
//! The program runs as the leader of a new process group. When the attempt times out or the run
//! is cancelled, the whole group is killed with SIGKILL and reaped before the step returns; when
//! the program exits, whatever it left running in its group is killed too.

use super::{Failure, StepCtx};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use process_wrap::tokio::{ProcessGroup, TokioChildWrapper, TokioCommandWrap};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// Most bytes of stdout and of stderr kept in the output; the rest is read and dropped.
const MAX_CAPTURE: usize = 4 * 1024 * 1024;
/// How long to wait for the pipes to close after the program and its group are gone.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// What to start.
#[derive(Debug, Clone, Default)]
pub(crate) struct Program {
    /// A name looked up in `PATH`, or a path.
    pub program: String,
    pub args: Vec<String>,
    /// Where it runs (a host path the caller has already confined).
    pub cwd: PathBuf,
    /// Added to the inherited environment.
    pub env: BTreeMap<String, String>,
    /// Text fed to its standard input.
    pub stdin: Option<String>,
}

/// How the program ended.
#[derive(Debug)]
pub(crate) struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// The exit code (`None` when a signal ended it).
    pub fn exit_code(&self) -> Option<i32> {
        self.status.code()
    }
}

/// Starts `spec` and waits for it; a timeout or a cancelled run kills its group and returns
/// [`Failure::interrupted`]. A program that cannot start is a failure naming it; a non-zero
/// exit is not (the caller decides what it means).
pub(crate) async fn run_program(spec: Program, ctx: &StepCtx) -> Result<Finished, Failure> {
    let program = spec.program.clone();
    let has_args = !spec.args.is_empty();
    let stdin_text = spec.stdin.clone();
    let mut child = spawn(&spec, Streams::Captured, ctx)
        .await
        .map_err(|e| spawn_failure(&program, has_args, e))?;
    let program = program.as_str();
    let guard = GroupGuard(child.id().map(|id| Pid::from_raw(id as i32)));

    if let (Some(text), Some(mut stdin)) = (stdin_text, child.stdin().take()) {
        tokio::spawn(async move {
            let _ = stdin.write_all(text.as_bytes()).await;
        });
    }
    let stdout = tokio::spawn(read_capped(child.stdout().take()));
    let stderr = tokio::spawn(read_capped(child.stderr().take()));

    let status = tokio::select! {
        status = Box::into_pin(child.wait()) => Some(status),
        _ = ctx.cancel.cancelled() => None,
    };
    let Some(status) = status else {
        // Timed out or cancelled: kill the whole group, then reap it.
        let _ = child.start_kill();
        let _ = Box::into_pin(child.wait()).await;
        guard.disarm();
        stdout.abort();
        stderr.abort();
        return Err(Failure::interrupted());
    };
    // The program is gone; anything it left behind in its group goes with it.
    guard.kill_group();
    guard.disarm();
    Ok(Finished {
        status: status.map_err(|e| Failure::new(format!("cannot wait for `{program}`: {e}")))?,
        stdout: drain(stdout).await,
        stderr: drain(stderr).await,
    })
}

/// Where a started program's standard streams go.
pub(crate) enum Streams {
    /// stdin from [`Program::stdin`] (or nothing), stdout and stderr piped to the step.
    Captured,
    /// stdin from nothing, stdout and stderr appended to this file (a background program).
    Log(std::fs::File),
}

/// A spawn that did not happen: the program could not start, or the sandbox could not confine
/// it (already worded).
pub(crate) enum SpawnError {
    Io(std::io::Error),
    Refused(Failure),
}

/// Starts `spec` as the leader of a new process group; under the read-only sandbox, from a
/// thread that Landlock confines to the workspace. Its streams go where `streams` says. The
/// child is killed (its leader) if the handle is dropped.
pub(crate) async fn spawn(
    spec: &Program,
    streams: Streams,
    ctx: &StepCtx,
) -> Result<Box<dyn TokioChildWrapper>, SpawnError> {
    let (program, args, cwd, env) = (
        spec.program.clone(),
        spec.args.clone(),
        spec.cwd.clone(),
        spec.env.clone(),
    );
    let piped_stdin = spec.stdin.is_some();
    let spawn = move || -> std::io::Result<Box<dyn TokioChildWrapper>> {
        let (stdin, stdout, stderr) = match streams {
            Streams::Captured => (
                if piped_stdin {
                    Stdio::piped()
                } else {
                    Stdio::null()
                },
                Stdio::piped(),
                Stdio::piped(),
            ),
            Streams::Log(file) => {
                let err = file.try_clone()?;
                (Stdio::null(), Stdio::from(file), Stdio::from(err))
            }
        };
        let mut cmd = TokioCommandWrap::with_new(&program, |c| {
            c.args(&args)
                .current_dir(&cwd)
                .envs(&env)
                .stdin(stdin)
                .stdout(stdout)
                .stderr(stderr)
                .kill_on_drop(true);
        });
        cmd.wrap(ProcessGroup::leader());
        cmd.spawn()
    };
    let spawned = match &ctx.shared.setup.confine_commands_to {
        // Read-only sandbox: spawned from a thread that Landlock confines to the workspace.
        Some(root) => {
            let handle = tokio::runtime::Handle::current();
            crate::sandbox::run_confined(root.clone(), move || {
                let _runtime = handle.enter();
                spawn()
            })
            .await
            .map_err(|e| SpawnError::Refused(Failure::new(format!("read-only sandbox: {e}"))))?
        }
        None => spawn(),
    };
    spawned.map_err(SpawnError::Io)
}

/// Kills the process group if the step is dropped before it could reap it (e.g. the whole run
/// is dropped): no process outlives its step.
struct GroupGuard(Option<Pid>);

impl GroupGuard {
    fn kill_group(&self) {
        if let Some(pgid) = self.0 {
            let _ = killpg(pgid, Signal::SIGKILL);
        }
    }

    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill_group();
    }
}

pub(crate) fn spawn_failure(program: &str, has_args: bool, e: SpawnError) -> Failure {
    let e = match e {
        SpawnError::Io(e) => e,
        SpawnError::Refused(failure) => return failure,
    };
    if e.kind() == std::io::ErrorKind::NotFound {
        let hint = if program.contains(' ') && !has_args {
            "; give the program in `command` and each argument in `args` (no shell is used)"
        } else {
            ""
        };
        Failure::new(format!("program `{program}` not found{hint}"))
    } else {
        Failure::new(format!("cannot start `{program}`: {e}"))
    }
}

async fn read_capped<R: AsyncRead + Unpin>(reader: Option<R>) -> String {
    let Some(mut reader) = reader else {
        return String::new();
    };
    let mut kept = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let mut dropped = 0usize;
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_CAPTURE.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                dropped += n.saturating_sub(room);
            }
        }
    }
    let mut text = String::from_utf8(kept)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    if dropped > 0 {
        text.push_str(&format!("\n[{dropped} more bytes not kept]"));
    }
    text
}

async fn drain(task: tokio::task::JoinHandle<String>) -> String {
    match tokio::time::timeout(DRAIN_GRACE, task).await {
        Ok(Ok(text)) => text,
        _ => String::new(),
    }
}

pub(crate) fn last_line(text: &str) -> Option<String> {
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| {
            if l.chars().count() > 200 {
                format!("{}…", l.chars().take(200).collect::<String>())
            } else {
                l.to_string()
            }
        })
}
