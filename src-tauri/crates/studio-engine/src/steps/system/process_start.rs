//! `process_start`: starts a program in the background, owned by the run.
//!
//! Parameters: `command` (or `program`; a name looked up in `PATH`, or a path; never a shell
//! line), optional `args`, `name` (the handle; default the program's file name, with `-2`,
//! `-3`… when taken), `working_dir` (inside the workspace), `env`, `wait_for` (readiness:
//! `{port, host}`, `{http}`, `{log_line}` or `{log_regex}`, each with `timeout_seconds`,
//! default 30), `detach` (only `false`: a program never outlives its run).
//! Output: `{name, pid, pgid, command, log_file, ready, log_match}`.
//!
//! The program starts the way `command` starts one (`steps/program.rs`): the leader of a new
//! process group, confined by Landlock under a read-only sandbox. Its stdout and stderr are
//! appended to `.processes/<name>.log` in the workspace. The run's registry
//! ([`super::owned::RunProcesses`]) owns it from the moment it starts: `process_kill` stops it,
//! and the end of the run stops its whole group and reaps it. A program that exits before it is
//! ready, or is not ready in time, fails the step and is stopped; the log's last lines are in
//! the failure's output.

use super::owned::{Owned, SHUTDOWN_GRACE};
use crate::steps::params::{opt_bool, opt_str, opt_str_list, opt_str_map, opt_u64, str_param};
use crate::steps::program::{spawn, spawn_failure, Program, Streams};
use crate::steps::workspace::{check, io_failure, refuse_escaping_link, with_dir};
use crate::steps::{Failure, StepCtx, StepOutput};
use nix::sys::signal::Signal;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The folder of the logs, inside the workspace.
pub(crate) const LOG_DIR: &str = ".processes";
const DEFAULT_READY_SECONDS: u64 = 30;
const POLL: Duration = Duration::from_millis(100);
/// Most bytes of a log read when looking for a line.
const MAX_LOG_SCAN: u64 = 8 * 1024 * 1024;

/// What "ready" means for this start.
enum Ready {
    Port { host: String, port: u16 },
    Http(String),
    Line(String),
    Pattern(regex::Regex),
}

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    if opt_bool(&p, "detach")?.unwrap_or(false) {
        return Err(Failure::new(
            "`detach: true` is refused: a program started by a run is stopped when the run ends, and no perimeter setting lets it outlive the run; remove `detach`",
        ));
    }
    let program = str_param(&p, "command")?.trim().to_string();
    if program.is_empty() {
        return Err(Failure::new("parameter `command` is empty"));
    }
    let args = opt_str_list(&p, "args")?;
    let env = opt_str_map(&p, "env")?;
    let ready = parse_wait_for(p.get("wait_for"))?;
    let cwd = match opt_str(&p, "working_dir")? {
        Some(rel) => ctx.shared.workspace.host_path(rel)?,
        None => ctx.shared.workspace_path().clone(),
    };
    let wanted = opt_str(&p, "name")?;
    if let Some(name) = wanted {
        check_name(name)?;
    }
    let base = base_name(&program);
    let processes = &ctx.shared.processes;
    let reserved = processes.reserve(wanted, &base).map_err(Failure::new)?;
    let name = reserved.name.clone();
    let log_rel = format!("{LOG_DIR}/{name}.log");
    let log = open_log(ctx, &log_rel).await?;

    let spec = Program {
        program: program.clone(),
        args,
        cwd,
        env,
        stdin: None,
    };
    let has_args = !spec.args.is_empty();
    let child = spawn(&spec, Streams::Log(log), ctx)
        .await
        .map_err(|e| spawn_failure(&program, has_args, e))?;
    let owned = processes.adopt(reserved, child);
    let log_host = ctx.shared.workspace_path().join(&log_rel);

    let mut output = json!({
        "name": name,
        "pid": owned.pid,
        "pgid": owned.pid,
        "command": program,
        "log_file": log_rel,
        "ready": Value::Null,
        "log_match": Value::Null,
    });
    if let Some((ready, timeout)) = ready {
        match wait_ready(&ready, timeout, &owned, &log_host, ctx).await {
            Ok(log_match) => {
                output["ready"] = json!(true);
                output["log_match"] = log_match;
            }
            Err(why) => {
                // Not ready: it is stopped now rather than at the end of the run (at once when
                // the step was interrupted, as a timed-out `command` is).
                let (first, grace) = match why {
                    NotReady::Interrupted => (Signal::SIGKILL, Duration::ZERO),
                    NotReady::Failed(_) => (Signal::SIGTERM, SHUTDOWN_GRACE),
                };
                let (_, exit) = owned.stop(first, grace).await;
                output["ready"] = json!(false);
                output["log_tail"] = json!(log_tail(&log_host));
                if let Some(exit) = exit {
                    output["exit_code"] = json!(exit.code);
                }
                return Err(match why {
                    NotReady::Interrupted => Failure::interrupted(),
                    NotReady::Failed(message) => {
                        let tail = last_line(&log_host)
                            .map(|l| format!("; its log ends with: {l}"))
                            .unwrap_or_default();
                        Failure::new(format!("`{program}` (`{name}`) {message}{tail}"))
                    }
                }
                .with_output(output));
            }
        }
    }
    Ok(StepOutput::new(output).with_artifact(log_rel))
}

/// Handles become file names: keep them plain.
fn check_name(name: &str) -> Result<(), Failure> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Failure::new(format!(
            "`name: {name}` is refused: use 1 to 64 letters, digits, `.`, `_` or `-` (not starting with `.`)"
        )))
    }
}

/// The default handle: the program's file name, made plain.
fn base_name(program: &str) -> String {
    let file = Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let plain: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(48)
        .collect();
    let plain = plain.trim_start_matches('.').to_string();
    if plain.is_empty() {
        "process".to_string()
    } else {
        plain
    }
}

/// Creates `.processes/` and opens the log for appending (inside the workspace only).
async fn open_log(ctx: &StepCtx, rel: &str) -> Result<std::fs::File, Failure> {
    let rel = check(rel)?;
    with_dir(ctx, move |dir| {
        refuse_escaping_link(dir, &rel)?;
        let parent = Path::new(LOG_DIR);
        dir.create_dir_all(parent)
            .map_err(|e| io_failure("create the folder", parent, e))?;
        let mut options = cap_std::fs::OpenOptions::new();
        options.append(true).create(true);
        dir.open_with(&rel, &options)
            .map(|f| f.into_std())
            .map_err(|e| io_failure("open the log", &rel, e))
    })
    .await
}

/// Reads `wait_for` (`None`: no readiness check) with its timeout.
fn parse_wait_for(value: Option<&Value>) -> Result<Option<(Ready, Duration)>, Failure> {
    let map = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(Failure::new(
                "`wait_for` must be a mapping: `{port: 8080}`, `{http: \"http://127.0.0.1:8080/\"}`, `{log_line: \"Listening\"}` or `{log_regex: \"port (\\\\d+)\"}`, with an optional `timeout_seconds`",
            ))
        }
    };
    let known = [
        "port",
        "host",
        "http",
        "url",
        "log_line",
        "log_regex",
        "timeout_seconds",
        "timeout",
    ];
    if let Some(key) = map.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(Failure::new(format!(
            "`wait_for.{key}` is not known; `wait_for` takes one of `port` (with `host`), `http`, `log_line`, `log_regex`, and `timeout_seconds`"
        )));
    }
    let obj = Value::Object(map.clone());
    let seconds = match opt_u64(&obj, "timeout_seconds")? {
        Some(s) => Some(s),
        None => opt_u64(&obj, "timeout")?,
    }
    .unwrap_or(DEFAULT_READY_SECONDS)
    .max(1);
    let http = opt_str(&obj, "http")?.or(opt_str(&obj, "url")?);
    let kinds = [
        map.contains_key("port"),
        http.is_some(),
        map.contains_key("log_line"),
        map.contains_key("log_regex"),
    ];
    if kinds.iter().filter(|k| **k).count() != 1 {
        return Err(Failure::new(
            "`wait_for` needs exactly one of `port`, `http`, `log_line` or `log_regex`",
        ));
    }
    let ready = if map.contains_key("port") {
        let port = opt_u64(&obj, "port")?.unwrap_or(0);
        let port = u16::try_from(port)
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| Failure::new("`wait_for.port` must be a TCP port (1 to 65535)"))?;
        let host = opt_str(&obj, "host")?.unwrap_or("127.0.0.1").to_string();
        Ready::Port { host, port }
    } else if let Some(url) = http {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Failure::new(format!(
                "`wait_for.http` must be an http:// or https:// URL, not `{url}`"
            )));
        }
        Ready::Http(url.to_string())
    } else if let Some(line) = opt_str(&obj, "log_line")? {
        Ready::Line(line.to_string())
    } else {
        let pattern = str_param(&obj, "log_regex")?;
        let re = regex::Regex::new(pattern).map_err(|e| {
            Failure::new(format!("`wait_for.log_regex` is not a valid pattern: {e}"))
        })?;
        Ready::Pattern(re)
    };
    Ok(Some((ready, Duration::from_secs(seconds))))
}

enum NotReady {
    Interrupted,
    Failed(String),
}

/// Polls until ready; returns the log match (for `log_regex`) or null.
async fn wait_ready(
    ready: &Ready,
    timeout: Duration,
    owned: &Arc<Owned>,
    log: &Path,
    ctx: &StepCtx,
) -> Result<Value, NotReady> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(found) = probe(ready, log, ctx).await {
            return Ok(found);
        }
        if let Some(exit) = owned.exit() {
            return Err(NotReady::Failed(format!(
                "{} before it was ready",
                exit.describe()
            )));
        }
        if Instant::now() >= deadline {
            let what = match ready {
                Ready::Port { host, port } => format!("{host}:{port} did not accept a connection"),
                Ready::Http(url) => format!("{url} did not answer below 500"),
                Ready::Line(line) => format!("no log line held `{line}`"),
                Ready::Pattern(re) => format!("no log line matched `{}`", re.as_str()),
            };
            return Err(NotReady::Failed(format!(
                "was not ready after {}s: {what}",
                timeout.as_secs()
            )));
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = ctx.cancel.cancelled() => return Err(NotReady::Interrupted),
        }
    }
}

/// One readiness probe: `Some(log_match or null)` when ready.
async fn probe(ready: &Ready, log: &Path, ctx: &StepCtx) -> Option<Value> {
    match ready {
        Ready::Port { host, port } => {
            let connect = tokio::net::TcpStream::connect((host.as_str(), *port));
            match tokio::time::timeout(Duration::from_secs(1), connect).await {
                Ok(Ok(_)) => Some(Value::Null),
                _ => None,
            }
        }
        Ready::Http(url) => {
            let client = ctx.shared.http_client().ok()?;
            let answer = client.get(url).timeout(Duration::from_secs(2)).send().await;
            match answer {
                Ok(r) if r.status().as_u16() < 500 => Some(Value::Null),
                _ => None,
            }
        }
        Ready::Line(text) => scan_log(log, |line| {
            line.contains(text.as_str()).then_some(Value::Null)
        }),
        Ready::Pattern(re) => scan_log(log, |line| {
            re.captures(line).map(|caps| {
                Value::Array(
                    caps.iter()
                        .map(|m| m.map_or(Value::Null, |m| json!(m.as_str())))
                        .collect(),
                )
            })
        }),
    }
}

/// The first log line for which `hit` gives a value.
fn scan_log(log: &Path, hit: impl Fn(&str) -> Option<Value>) -> Option<Value> {
    use std::io::Read;
    let file = std::fs::File::open(log).ok()?;
    let mut text = String::new();
    let mut bytes = Vec::new();
    file.take(MAX_LOG_SCAN).read_to_end(&mut bytes).ok()?;
    text.push_str(&String::from_utf8_lossy(&bytes));
    text.lines().find_map(hit)
}

/// The log's last lines (at most 20), for a failure's output.
fn log_tail(log: &Path) -> Vec<String> {
    let text = std::fs::read(log)
        .map(|b| String::from_utf8_lossy(&b[b.len().saturating_sub(64 * 1024)..]).into_owned())
        .unwrap_or_default();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[lines.len().saturating_sub(20)..].to_vec()
}

fn last_line(log: &Path) -> Option<String> {
    let tail = log_tail(log);
    crate::steps::program::last_line(&tail.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_plain_and_default_to_the_program_name() {
        assert_eq!(base_name("/usr/bin/python3"), "python3");
        assert_eq!(base_name("my server"), "my_server");
        assert_eq!(base_name(".hidden"), "hidden");
        assert!(check_name("web-1.api_x").is_ok());
        for bad in ["", "../x", "a/b", ".log", "a b"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wait_for_takes_exactly_one_readiness_check() {
        let parse = |v: Value| parse_wait_for(Some(&v));
        assert!(matches!(
            parse(json!({"port": 8080})).unwrap(),
            Some((Ready::Port { port: 8080, .. }, d)) if d == Duration::from_secs(30)
        ));
        assert!(parse(json!({"log_line": "up", "timeout_seconds": 5}))
            .unwrap()
            .is_some());
        assert!(parse(json!({"port": 1, "log_line": "x"})).is_err());
        assert!(parse(json!({"timeout_seconds": 5})).is_err());
        assert!(parse(json!({"port": 70000})).is_err());
        assert!(parse(json!({"log_regex": "("})).is_err());
        assert!(parse(json!({"http": "ftp://x"})).is_err());
        let err = parse(json!({"prot": 1})).err().unwrap();
        assert!(
            err.message.contains("`wait_for.prot` is not known"),
            "{}",
            err.message
        );
        assert!(parse(json!("8080")).is_err());
        assert!(parse_wait_for(None).unwrap().is_none());
    }

    #[test]
    fn a_log_is_scanned_line_by_line() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("x.log");
        std::fs::write(
            &log,
            "booting\nServing HTTP on 127.0.0.1 port 43121 (http://127.0.0.1:43121/) ...\n",
        )
        .unwrap();
        let re = regex::Regex::new(r"port (\d+)").unwrap();
        let found = scan_log(&log, |l| {
            re.captures(l).map(|c| json!(c.get(1).map(|m| m.as_str())))
        });
        assert_eq!(found, Some(json!("43121")));
        assert_eq!(log_tail(&log).len(), 2);
    }
}
