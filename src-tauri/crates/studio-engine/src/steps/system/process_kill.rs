//! `process_kill`: stops a process that a `process_start` step of this run started.
//!
//! Parameters: `name` (the handle) or `pid`; optional `signal` (`TERM`, default; `INT`; `KILL`;
//! `SIG…` spellings too) and `grace_seconds` (default 5: how long TERM or INT is given before
//! KILL). Output: `{name, pid, killed, signals_sent, exit_code, signal}`.
//!
//! Only the run's own processes can be stopped: a pid or name the run's registry does not hold
//! is refused, so a mission cannot signal anything else on the machine. The signal goes to the
//! process's whole group; the step returns once the process has been reaped. A process that
//! already ended is reported (`killed: false`) without an error.

use super::owned::signal_name;
use crate::steps::params::{opt_str, opt_u64};
use crate::steps::{Failure, StepCtx, StepOutput};
use nix::sys::signal::Signal;
use serde_json::{json, Value};
use std::time::Duration;

const DEFAULT_GRACE_SECONDS: u64 = 5;

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let processes = &ctx.shared.processes;
    let started = processes.names();
    let owned = match (opt_str(&p, "name")?, opt_u64(&p, "pid")?) {
        (Some(name), None) => processes.by_name(name).ok_or_else(|| {
            Failure::new(format!(
                "no process named `{name}` was started by this run; {}",
                known(&started)
            ))
        })?,
        (None, Some(pid)) => u32::try_from(pid)
            .ok()
            .and_then(|pid| processes.by_pid(pid))
            .ok_or_else(|| {
                Failure::new(format!(
                    "process {pid} was not started by this run: `process_kill` only stops what this run's `process_start` steps started; {}",
                    known(&started)
                ))
            })?,
        _ => return Err(Failure::new("give the process's `name` or its `pid` (one of them)")),
    };
    let first = match opt_str(&p, "signal")?.map(|s| s.trim().to_ascii_uppercase()) {
        None => Signal::SIGTERM,
        Some(s) => match s.trim_start_matches("SIG") {
            "TERM" => Signal::SIGTERM,
            "INT" => Signal::SIGINT,
            "KILL" => Signal::SIGKILL,
            other => {
                return Err(Failure::new(format!(
                    "`signal: {other}` is not one of TERM, INT, KILL"
                )))
            }
        },
    };
    let grace = Duration::from_secs(opt_u64(&p, "grace_seconds")?.unwrap_or(DEFAULT_GRACE_SECONDS));

    let already = owned.exit().is_some() && !owned.group_alive();
    let (sent, exit) = if already {
        (Vec::new(), owned.exit())
    } else {
        let stop = owned.stop(first, grace);
        tokio::select! {
            done = stop => done,
            _ = ctx.cancel.cancelled() => {
                // Interrupted: make sure it goes, then report the interruption.
                owned.signal(Signal::SIGKILL);
                return Err(Failure::interrupted());
            }
        }
    };
    let output = json!({
        "name": owned.name,
        "pid": owned.pid,
        "killed": !sent.is_empty(),
        "signals_sent": sent,
        "exit_code": exit.and_then(|e| e.code),
        "signal": exit.and_then(|e| e.signal).map(signal_name),
    });
    match exit {
        Some(_) => Ok(StepOutput::new(output)),
        None => Err(Failure::new(format!(
            "process {} (`{}`) was sent {} but has not ended",
            owned.pid,
            owned.name,
            sent.join(", ")
        ))
        .with_output(output)),
    }
}

fn known(names: &[String]) -> String {
    if names.is_empty() {
        "it has started none".to_string()
    } else {
        format!(
            "it started: {}",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}
