//! `command`: runs a program with an argument list. No shell is involved: each argument reaches
//! the program as one string, whatever it holds.
//!
//! Parameters: `command` (the program: a name looked up in `PATH`, or a path), optional `args`
//! (list), `working_dir` (inside the workspace; default the workspace), `env` (map added to the
//! inherited environment), `stdin` (text fed to the program), `shell` (`true`: `command` is a
//! whole line run by `sh -c`; the executor has checked that the mission wrote it literally,
//! without `{{…}}`, so no variable reaches the shell).
//! Output: `{exit_code, stdout, stderr}`; a non-zero exit fails the step (the output is kept).
//!
//! The program runs as the leader of a new process group. When the attempt times out or the run
//! is cancelled, the whole group is killed with SIGKILL and reaped before the step returns; when
//! the program exits, whatever it left running in its group is killed too.

use super::params::{opt_bool, opt_str, opt_str_list, opt_str_map, str_param};
use super::program::{last_line, run_program, Program};
use super::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

pub(crate) async fn run(p: &Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let program = str_param(p, "command")?;
    if program.trim().is_empty() {
        return Err(Failure::new("parameter `command` is empty"));
    }
    let mut args = opt_str_list(p, "args")?;
    let shell = opt_bool(p, "shell")?.unwrap_or(false);
    let program = if shell {
        if !args.is_empty() {
            return Err(Failure::new(
                "with `shell: true` the whole line is in `command`; `args` would be ignored",
            ));
        }
        args = vec!["-c".to_string(), program.to_string()];
        "sh"
    } else {
        program
    };
    let env = opt_str_map(p, "env")?;
    let stdin_text = opt_str(p, "stdin")?.map(str::to_string);
    let cwd = match opt_str(p, "working_dir")? {
        Some(rel) => ctx.shared.workspace.host_path(rel)?,
        None => ctx.shared.workspace_path().clone(),
    };

    let finished = run_program(
        Program {
            program: program.to_string(),
            args,
            cwd,
            env,
            stdin: stdin_text,
        },
        ctx,
    )
    .await?;
    let exit_code = finished.exit_code();
    let (status, stdout, stderr) = (finished.status, finished.stdout, finished.stderr);
    let output = json!({"exit_code": exit_code, "stdout": stdout, "stderr": stderr});
    if status.success() {
        return Ok(StepOutput::new(output));
    }
    let how = match exit_code {
        Some(code) => format!("exited with code {code}"),
        None => {
            use std::os::unix::process::ExitStatusExt;
            format!("was killed by signal {}", status.signal().unwrap_or(0))
        }
    };
    let tail = last_line(&stderr).or_else(|| last_line(&stdout));
    let message = match tail {
        Some(line) => format!("`{program}` {how}: {line}"),
        None => format!("`{program}` {how}"),
    };
    Err(Failure::new(message).with_output(output))
}
