//! `ssh_execute`: runs one program on a remote host through the system OpenSSH client.
//!
//! **Why the system `ssh` and not `russh`.** OpenSSH is what operators already trust and
//! configure; its host-key checking, key formats (OpenSSH, PEM, every key type) and known_hosts
//! syntax (`[host]:port`, hashed names, `@revoked`) are the reference ones, so a trusted line
//! copied from `ssh-keyscan` or an existing known_hosts file means exactly what it means
//! elsewhere. `ssh` starts through `steps::program` like every other program: its own process
//! group, killed with its children on timeout or cancel. `russh` would add a large dependency
//! tree and our own re-implementation of known_hosts matching, the part that must not be wrong.
//!
//! **The remote command.** OpenSSH sends one string that the remote user's shell parses. That
//! string is built only here, by quoting the program and each argument as a POSIX single-quoted
//! word (`'` becomes `'\''`), so every argument reaches the remote program as one literal
//! argument: `;`, `$(…)`, backquotes, quotes, globs, pipes and newlines are not interpreted. No
//! raw shell line is offered (there is no `shell: true`). The remote login shell must be a POSIX
//! one (sh, bash, dash, ksh, zsh), as it is on any usual server account. `env` is sent the same
//! way, as `'env' 'NAME=value' … 'program' …`.
//!
//! **Host keys.** The only trusted keys are the operator's (`RunSetup::trusted_host_keys`, from
//! `perimeter.network.trusted_host_keys`) and the lines of the step's `known_hosts` workspace
//! file, written to a private temporary known_hosts file; `StrictHostKeyChecking=yes`, no global
//! file, no user configuration (`-F /dev/null`), nothing is ever added. An unknown or changed key
//! fails the step with the fingerprints the server offers (`ssh-keyscan` + `ssh-keygen -l`).
//!
//! **Authentication.** Keys only: `BatchMode=yes`, no password or keyboard-interactive prompt.
//! `private_key_path` is a workspace file (relative path) or an absolute path (for a key the
//! operator keeps outside the workspace, usually given as `{{env.NAME}}`). Its bytes are copied
//! into the private temporary folder (mode 0600, which ssh insists on) and used with
//! `IdentitiesOnly=yes` and no agent; they are never put in the output, an event or a message.
//! Without a key, OpenSSH's default keys and agent of the user running Mission Studio are used.
//!
//! Output: `{host, port, user, command, exit_code, stdout, stderr}` (`command`: the quoted line
//! sent). A non-zero remote exit fails the step with the output kept. ssh's own messages go to
//! a log file (`-E`), so `stderr` is the remote program's only.

use super::super::params::{opt_str, opt_str_list, opt_str_map, opt_u64, str_param};
use super::super::program::{last_line, run_program, Program};
use super::super::{Failure, FailureKind, StepCtx, StepOutput};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

const DEFAULT_CONNECT_TIMEOUT: u64 = 10;

pub(super) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let host = str_param(&p, "host")?.trim().to_string();
    check_word("host", &host)?;
    let port = opt_u64(&p, "port")?.unwrap_or(22);
    if port == 0 || port > 65535 {
        return Err(Failure::new(format!(
            "parameter `port` must be between 1 and 65535, not {port}"
        )));
    }
    let user = opt_str(&p, "username")?.map(str::trim).map(str::to_string);
    if let Some(user) = &user {
        check_word("username", user)?;
    }
    let words = remote_words(&p)?;
    let env = opt_str_map(&p, "env")?;
    let line = remote_line(&env, &words)?;
    let connect_timeout = opt_u64(&p, "connect_timeout_seconds")?
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT)
        .max(1);
    let timeout = opt_u64(&p, "timeout_seconds")?.filter(|t| *t > 0);
    let connect_timeout = timeout.map_or(connect_timeout, |t| t.min(connect_timeout));

    // The private folder: trusted keys, the key's copy, ssh's log. Removed when this returns.
    let tmp = tempfile::Builder::new()
        .prefix("mission-ssh-")
        .tempdir()
        .map_err(|e| Failure::new(format!("cannot create a temporary folder for ssh: {e}")))?;
    let known_hosts = tmp.path().join("known_hosts");
    let mut trusted: Vec<String> = ctx.shared.setup.trusted_host_keys.clone();
    if let Some(rel) = opt_str(&p, "known_hosts")? {
        let path = ctx.shared.workspace.host_path(rel)?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Failure::new(format!("cannot read the known_hosts file `{rel}`: {e}")))?;
        trusted.extend(text.lines().map(str::to_string));
    }
    write_private(&known_hosts, trusted.join("\n").as_bytes())?;
    let log = tmp.path().join("ssh.log");

    let key_param = opt_str(&p, "private_key_path")?;
    let key = match key_param {
        Some(given) => Some(copy_key(given, tmp.path(), ctx)?),
        None => None,
    };

    let mut args: Vec<String> = vec!["-F".into(), "/dev/null".into(), "-T".into()];
    let mut option = |o: String| {
        args.push("-o".into());
        args.push(o);
    };
    option("BatchMode=yes".into());
    option("StrictHostKeyChecking=yes".into());
    option(format!("UserKnownHostsFile={}", known_hosts.display()));
    option("GlobalKnownHostsFile=/dev/null".into());
    option("UpdateHostKeys=no".into());
    option("CheckHostIP=no".into());
    option("PasswordAuthentication=no".into());
    option("KbdInteractiveAuthentication=no".into());
    option(format!("ConnectTimeout={connect_timeout}"));
    option("LogLevel=ERROR".into());
    if let Some(key) = &key {
        option(format!("IdentityFile={}", key.display()));
        option("IdentitiesOnly=yes".into());
        option("IdentityAgent=none".into());
    }
    args.push("-E".into());
    args.push(log.display().to_string());
    args.push("-p".into());
    args.push(port.to_string());
    if let Some(user) = &user {
        args.push("-l".into());
        args.push(user.clone());
    }
    args.push("--".into());
    args.push(host.clone());
    args.push(line.clone());

    // The attempt's cancel token, also cancelled after `timeout_seconds`.
    let inner = StepCtx {
        shared: ctx.shared.clone(),
        cancel: ctx.cancel.child_token(),
        agent: None,
    };
    let timer = timeout.map(|seconds| {
        let token = inner.cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            token.cancel();
        })
    });
    let finished = run_program(
        Program {
            program: "ssh".into(),
            args,
            cwd: ctx.shared.workspace_path().clone(),
            env: BTreeMap::new(),
            stdin: None,
        },
        &inner,
    )
    .await;
    if let Some(timer) = timer {
        timer.abort();
    }
    let finished = finished.map_err(|f| match f {
        f if f.kind == FailureKind::Interrupted && !ctx.cancel.is_cancelled() => {
            Failure::new(format!(
                "ssh to {host}:{port} timed out after {}s (`timeout_seconds`); ssh was stopped",
                timeout.unwrap_or_default()
            ))
        }
        f if f.message.starts_with("program `ssh` not found") => Failure::new(format!(
            "cannot run the OpenSSH client `ssh` ({}): install openssh-client",
            f.message
        )),
        f => f,
    })?;
    let ssh_log = std::fs::read_to_string(&log).unwrap_or_default();
    let exit_code = finished.exit_code();
    let mut output = json!({
        "host": host,
        "port": port,
        "user": user,
        "command": line,
        "exit_code": exit_code,
        "stdout": finished.stdout,
        "stderr": finished.stderr,
    });

    // ssh itself failed (it exits with 255 and says why in its log).
    if exit_code == Some(255) && !ssh_log.trim().is_empty() {
        output["exit_code"] = Value::Null;
        output["ssh_error"] = json!(ssh_log.trim());
        let message =
            connection_failure(&ssh_log, &host, port, user.as_deref(), key_param, ctx).await;
        return Err(Failure::new(message).with_output(output));
    }
    match exit_code {
        Some(0) => Ok(StepOutput::new(output)),
        Some(code) => {
            let tail = last_line(&finished.stderr).or_else(|| last_line(&finished.stdout));
            let program = &words[0];
            let message = match tail {
                Some(t) => format!("remote `{program}` on {host} exited with code {code}: {t}"),
                None => format!("remote `{program}` on {host} exited with code {code}"),
            };
            Err(Failure::new(message).with_output(output))
        }
        None => Err(Failure::new(format!(
            "ssh to {host}:{port} was ended by a signal: {}",
            ssh_log.trim()
        ))
        .with_output(output)),
    }
}

/// The remote program and its arguments. Without `args`, a `command` holding whitespace is
/// split into words (RustChain's `command: "systemctl restart web"`): still each one literal.
fn remote_words(p: &Value) -> Result<Vec<String>, Failure> {
    let command = str_param(p, "command")?;
    if command.trim().is_empty() {
        return Err(Failure::new("parameter `command` is empty"));
    }
    let args = opt_str_list(p, "args")?;
    let has_args = p.get("args").is_some_and(|a| !a.is_null());
    let mut words: Vec<String> = if has_args {
        vec![command.to_string()]
    } else {
        command.split_whitespace().map(str::to_string).collect()
    };
    words.extend(args);
    if words[0].starts_with('-') {
        return Err(Failure::new(format!(
            "the remote program `{}` may not start with `-`",
            words[0]
        )));
    }
    Ok(words)
}

/// The line the remote shell receives: every word single-quoted, nothing else.
fn remote_line(env: &BTreeMap<String, String>, words: &[String]) -> Result<String, Failure> {
    let mut all: Vec<String> = Vec::new();
    if !env.is_empty() {
        if words[0].contains('=') {
            return Err(Failure::new(
                "with `env`, the remote program's name may not hold `=`",
            ));
        }
        all.push("env".into());
        for (name, value) in env {
            let valid = !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(Failure::new(format!(
                    "`env`: `{name}` is not a variable name (letters, digits and `_`, not starting with a digit)"
                )));
            }
            all.push(format!("{name}={value}"));
        }
    }
    all.extend(words.iter().cloned());
    if all.iter().any(|w| w.contains('\0')) {
        return Err(Failure::new("the remote command holds a NUL character"));
    }
    Ok(all.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" "))
}

/// A POSIX shell single-quoted word: literal, whatever it holds.
pub(super) fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// A host or user name that ssh can only read as one: no whitespace or control characters,
/// not starting with `-` (an option).
fn check_word(name: &str, value: &str) -> Result<(), Failure> {
    if value.is_empty() {
        return Err(Failure::new(format!("parameter `{name}` is empty")));
    }
    if value.starts_with('-') || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Failure::new(format!(
            "parameter `{name}` `{value}` is refused: no spaces or control characters, and not starting with `-`"
        )));
    }
    if name == "host" && value.contains('@') {
        return Err(Failure::new(
            "parameter `host` holds `@`: give the user in `username`",
        ));
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| Failure::new(format!("cannot write `{}`: {e}", path.display())))
}

/// Copies the private key into the private folder (mode 0600). Its content is never shown.
fn copy_key(given: &str, dir: &Path, ctx: &StepCtx) -> Result<PathBuf, Failure> {
    let source = if Path::new(given).is_absolute() {
        PathBuf::from(given)
    } else {
        ctx.shared.workspace.host_path(given)?
    };
    let bytes = std::fs::read(&source)
        .map_err(|e| Failure::new(format!("cannot read the private key `{given}`: {e}")))?;
    let copy = dir.join("key");
    write_private(&copy, &bytes)?;
    Ok(copy)
}

/// Words why ssh could not run the program, from its log.
async fn connection_failure(
    log: &str,
    host: &str,
    port: u64,
    user: Option<&str>,
    key: Option<&str>,
    ctx: &StepCtx,
) -> String {
    let said = log
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with('@'))
        .unwrap_or("")
        .to_string();
    let changed = log.contains("IDENTIFICATION HAS CHANGED");
    if changed || log.contains("Host key verification failed") || log.contains("host key is known")
    {
        let offered = offered_fingerprints(host, port, ctx).await;
        let offered = if offered.is_empty() {
            String::new()
        } else {
            format!(" (the server offers {})", offered.join(", "))
        };
        let how = if changed {
            " (it differs from the trusted key: the key changed, or another machine answers)"
        } else {
            ""
        };
        return format!(
            "host key of {host}:{port} is not trusted{how}: add it to the perimeter's `network.trusted_host_keys` or the step's `known_hosts`{offered}"
        );
    }
    if log.contains("Permission denied") || log.contains("Too many authentication failures") {
        let who = user.map_or_else(|| "the local user's name".to_string(), |u| format!("`{u}`"));
        let with = key.map_or_else(
            || "OpenSSH's default keys (no `private_key_path` given)".to_string(),
            |k| format!("the key `{k}`"),
        );
        return format!(
            "login to {host}:{port} as {who} with {with} failed ({said}): check the user name and that this key's public half is in that user's authorized_keys on the host (a key with a passphrase cannot be used)"
        );
    }
    if log.contains("Load key") || log.contains("invalid format") {
        return format!(
            "the private key `{}` cannot be used ({said}): give an unencrypted OpenSSH or PEM private key",
            key.unwrap_or("")
        );
    }
    format!("cannot reach {host}:{port} over ssh: {said}")
}

/// `SHA256:… (ED25519)` for each host key the server offers, or nothing when it cannot be asked.
async fn offered_fingerprints(host: &str, port: u64, ctx: &StepCtx) -> Vec<String> {
    let cwd = ctx.shared.workspace_path().clone();
    let scan = run_program(
        Program {
            program: "ssh-keyscan".into(),
            args: vec![
                "-T".into(),
                "5".into(),
                "-p".into(),
                port.to_string(),
                "--".into(),
                host.into(),
            ],
            cwd: cwd.clone(),
            env: BTreeMap::new(),
            stdin: None,
        },
        ctx,
    )
    .await;
    let Ok(scan) = scan else { return Vec::new() };
    if scan.stdout.trim().is_empty() {
        return Vec::new();
    }
    let listed = run_program(
        Program {
            program: "ssh-keygen".into(),
            args: vec!["-l".into(), "-f".into(), "-".into()],
            cwd,
            env: BTreeMap::new(),
            stdin: Some(scan.stdout),
        },
        ctx,
    )
    .await;
    let Ok(listed) = listed else {
        return Vec::new();
    };
    // `256 SHA256:abc… [127.0.0.1]:2222 (ED25519)`
    listed
        .stdout
        .lines()
        .filter_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            let fp = parts.iter().find(|p| p.starts_with("SHA256:"))?;
            let kind = parts.last().filter(|k| k.starts_with('('))?;
            Some(format!("{fp} {kind}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_is_single_quoted() {
        let words = vec![
            "printf".to_string(),
            "%s\\n".to_string(),
            "it's".to_string(),
            "$(id); rm -rf /".to_string(),
        ];
        let line = remote_line(&BTreeMap::new(), &words).unwrap();
        assert_eq!(line, r"'printf' '%s\n' 'it'\''s' '$(id); rm -rf /'");
        let env = BTreeMap::from([("A_1".to_string(), "x y".to_string())]);
        assert_eq!(
            remote_line(&env, &["ls".to_string()]).unwrap(),
            "'env' 'A_1=x y' 'ls'"
        );
        let bad = BTreeMap::from([("A;B".to_string(), String::new())]);
        assert!(remote_line(&bad, &["ls".to_string()]).is_err());
    }

    #[test]
    fn a_command_without_args_is_split_into_literal_words() {
        let p = json!({"command": "systemctl restart web"});
        assert_eq!(remote_words(&p).unwrap(), ["systemctl", "restart", "web"]);
        let p = json!({"command": "/opt/my tool", "args": ["a b"]});
        assert_eq!(remote_words(&p).unwrap(), ["/opt/my tool", "a b"]);
        assert!(remote_words(&json!({"command": "-oProxyCommand=x"})).is_err());
    }

    #[test]
    fn hosts_and_users_cannot_be_options() {
        assert!(check_word("host", "-oProxyCommand=x").is_err());
        assert!(check_word("host", "a b").is_err());
        assert!(check_word("host", "root@h").is_err());
        assert!(check_word("host", "127.0.0.1").is_ok());
        assert!(check_word("username", "deploy").is_ok());
    }
}
