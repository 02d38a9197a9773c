//! `ssh_execute` against a real OpenSSH server (`sshd` on a loopback port, a host key and a
//! client key generated per test, see `support/sshd.rs`): arguments arrive literally (no remote
//! shell injection), exit codes and stderr, an unknown and a changed host key refused, a failed
//! login, a timeout, the read-only sandbox, an unreachable port.

mod support;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use studio_core::{Mission, StepStatus};
use studio_engine::{run_mission, RunOptions, RunResult};
use support::sshd::{free_port, Sshd};

struct Ran {
    result: RunResult,
    _dir: tempfile::TempDir,
}

impl Ran {
    fn output(&self, id: &str) -> &Value {
        let r = &self.result.step_results[id];
        assert_eq!(r.status, StepStatus::Success, "{id}: {r:?}");
        &r.output
    }

    fn failure(&self, id: &str) -> (String, &Value) {
        let r = &self.result.step_results[id];
        assert_eq!(r.status, StepStatus::Failed, "{id} must fail: {r:?}");
        (r.error.clone().unwrap_or_default(), &r.output)
    }
}

/// Runs one `ssh_execute` step (`extra` fields of the mission merged in) in a fresh workspace
/// holding `files`.
async fn run_one(files: &[(&str, &[u8])], params: Value, extra: Value) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("workspace");
    std::fs::create_dir_all(&ws).unwrap();
    for (path, bytes) in files {
        let path = ws.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let mut mission = json!({
        "name": "SSH steps",
        "config": {"max_concurrent_steps": 1, "fail_fast": false},
        "steps": [{"id": "ssh", "step_type": "ssh_execute", "parameters": params}],
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut mission, extra) {
        m.extend(e);
    }
    let mission: Mission = serde_json::from_value(mission).expect("the test mission parses");
    let result = run_mission(&mission, RunOptions::new(&ws), &mut studio_engine::NullSink)
        .await
        .expect("the run starts");
    Ran { result, _dir: dir }
}

/// The workspace files that trust `server` and hold its authorized client key.
fn trusted_files(server: &Sshd) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "keys/known_hosts",
            format!("{}\n", server.known_hosts_line).into_bytes(),
        ),
        ("keys/id", std::fs::read(&server.client_key).unwrap()),
    ]
}

fn as_refs<'a>(files: &'a [(&'static str, Vec<u8>)]) -> Vec<(&'static str, &'a [u8])> {
    files.iter().map(|(p, b)| (*p, b.as_slice())).collect()
}

fn base(server: &Sshd) -> Value {
    json!({
        "host": "127.0.0.1",
        "port": server.port,
        "username": server.user,
        "private_key_path": "keys/id",
        "known_hosts": "keys/known_hosts",
    })
}

fn with(mut params: Value, more: Value) -> Value {
    if let (Value::Object(p), Value::Object(m)) = (&mut params, more) {
        p.extend(m);
    }
    params
}

fn marker(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

#[tokio::test]
async fn arguments_reach_the_remote_program_as_separate_literal_words() {
    let server = Sshd::start();
    let files = trusted_files(&server);
    let pwned = marker(server.dir(), "pwned");
    let pwned2 = marker(server.dir(), "pwned2");
    let args = vec![
        "two words".to_string(),
        "it's".to_string(),
        "\"double\" quoted".to_string(),
        format!("$(touch {})", pwned.display()),
        format!("; touch {}", pwned2.display()),
        "`id`".to_string(),
        "*".to_string(),
        "$HOME".to_string(),
        "a | b && c".to_string(),
        "'".to_string(),
        String::new(),
    ];
    let mut expected_args = vec!["%s\\n".to_string()];
    expected_args.extend(args.iter().cloned());
    let ran = run_one(
        &as_refs(&files),
        with(
            base(&server),
            json!({"command": "printf", "args": expected_args}),
        ),
        json!({}),
    )
    .await;
    let out = ran.output("ssh");
    let lines: Vec<&str> = out["stdout"].as_str().unwrap().split('\n').collect();
    let mut want: Vec<&str> = args.iter().map(String::as_str).collect();
    want.push(""); // the text ends with a newline
    assert_eq!(lines, want, "each argument arrives as one literal line");
    assert_eq!(out["exit_code"], 0);
    assert_eq!(out["host"], "127.0.0.1");
    assert_eq!(out["port"], server.port);
    assert_eq!(out["user"], server.user.as_str());
    assert!(out["command"]
        .as_str()
        .unwrap()
        .starts_with("'printf' '%s\\n' 'two words' 'it'\\''s'"));
    assert!(!pwned.exists(), "`$(…)` in an argument ran nothing");
    assert!(!pwned2.exists(), "`; touch` in an argument ran nothing");
}

#[tokio::test]
async fn rustchain_spellings_a_split_command_an_absolute_key_and_env() {
    let server = Sshd::start();
    let files = trusted_files(&server);
    let ran = run_one(
        &as_refs(&files),
        json!({
            "host": "127.0.0.1",
            "port": server.port,
            "user": server.user,
            "key_path": server.client_key.display().to_string(),
            "known_hosts": "keys/known_hosts",
            "command": "echo hello   world;",
            "timeout": 60,
        }),
        json!({}),
    )
    .await;
    assert_eq!(ran.output("ssh")["stdout"], "hello world;\n");

    let ran = run_one(
        &as_refs(&files),
        with(
            base(&server),
            json!({"command": "printenv", "args": ["GREETING"], "env": {"GREETING": "hi 'there' $(x)"}}),
        ),
        json!({}),
    )
    .await;
    assert_eq!(ran.output("ssh")["stdout"], "hi 'there' $(x)\n");
}

#[tokio::test]
async fn a_non_zero_exit_fails_the_step_keeping_exit_code_and_stderr() {
    let server = Sshd::start();
    let files = trusted_files(&server);
    let ran = run_one(
        &as_refs(&files),
        with(
            base(&server),
            json!({"command": "sh", "args": ["-c", "echo out; echo oops >&2; exit 3"]}),
        ),
        json!({}),
    )
    .await;
    let (error, out) = ran.failure("ssh");
    assert!(
        error.contains("exited with code 3") && error.contains("oops"),
        "{error}"
    );
    assert_eq!(out["exit_code"], 3);
    assert_eq!(out["stdout"], "out\n");
    assert_eq!(
        out["stderr"], "oops\n",
        "stderr is the remote program's only"
    );
}

#[tokio::test]
async fn an_unknown_host_key_is_refused_with_its_fingerprint() {
    let server = Sshd::start();
    let files = vec![("keys/id", std::fs::read(&server.client_key).unwrap())];
    let pwned = marker(server.dir(), "ran");
    let params = json!({
        "host": "127.0.0.1", "port": server.port, "username": server.user,
        "private_key_path": "keys/id",
        "command": "touch", "args": [pwned.display().to_string()],
    });
    let ran = run_one(&as_refs(&files), params, json!({})).await;
    let (error, _) = ran.failure("ssh");
    assert!(
        error.contains(&format!(
            "host key of 127.0.0.1:{} is not trusted",
            server.port
        )) && error.contains("network.trusted_host_keys")
            && error.contains("`known_hosts`"),
        "{error}"
    );
    assert!(
        error.contains("SHA256:"),
        "the offered key's fingerprint: {error}"
    );
    assert!(!pwned.exists(), "nothing ran");
}

#[tokio::test]
async fn a_changed_host_key_is_refused() {
    let server = Sshd::start();
    let mut files = trusted_files(&server);
    files[0].1 = format!("{}\n", server.wrong_known_hosts_line()).into_bytes();
    let pwned = marker(server.dir(), "ran");
    let ran = run_one(
        &as_refs(&files),
        with(
            base(&server),
            json!({"command": "touch", "args": [pwned.display().to_string()]}),
        ),
        json!({}),
    )
    .await;
    let (error, _) = ran.failure("ssh");
    assert!(
        error.contains("is not trusted") && error.contains("differs from the trusted key"),
        "{error}"
    );
    assert!(!pwned.exists(), "nothing ran");
}

#[tokio::test]
async fn a_key_the_host_does_not_authorize_fails_the_login() {
    let server = Sshd::start();
    let mut files = trusted_files(&server);
    files[1].1 = std::fs::read(server.stranger_key()).unwrap();
    let ran = run_one(
        &as_refs(&files),
        with(base(&server), json!({"command": "true"})),
        json!({}),
    )
    .await;
    let (error, _) = ran.failure("ssh");
    assert!(
        error.contains(&format!("login to 127.0.0.1:{}", server.port))
            && error.contains("authorized_keys")
            && error.contains("Permission denied"),
        "{error}"
    );
    let key = String::from_utf8_lossy(&files[1].1).to_string();
    let body = key.lines().nth(1).unwrap();
    assert!(!error.contains(body), "the key never shows");
}

#[tokio::test]
async fn a_remote_program_that_runs_too_long_is_stopped() {
    let server = Sshd::start();
    let files = trusted_files(&server);
    let ran = run_one(
        &as_refs(&files),
        with(
            base(&server),
            json!({"command": "sleep", "args": ["30"], "timeout_seconds": 2}),
        ),
        json!({}),
    )
    .await;
    let (error, _) = ran.failure("ssh");
    assert!(error.contains("timed out after 2s"), "{error}");
}

#[tokio::test]
async fn the_read_only_sandbox_refuses_it() {
    let server = Sshd::start();
    let files = trusted_files(&server);
    let pwned = marker(server.dir(), "ran");
    let ran = run_one(
        &as_refs(&files),
        with(
            base(&server),
            json!({"command": "touch", "args": [pwned.display().to_string()]}),
        ),
        json!({"perimeter": {"sandbox": "read-only"}}),
    )
    .await;
    let (error, _) = ran.failure("ssh");
    assert!(error.contains("read-only sandbox"), "{error}");
    assert!(!pwned.exists(), "nothing ran");
}

#[tokio::test]
async fn an_unreachable_port_fails_clearly() {
    let port = free_port();
    let ran = run_one(
        &[],
        json!({"host": "127.0.0.1", "port": port, "username": "root", "command": "true"}),
        json!({}),
    )
    .await;
    let (error, _) = ran.failure("ssh");
    assert!(
        error.contains(&format!("cannot reach 127.0.0.1:{port}")) && error.contains("refused"),
        "{error}"
    );
}

#[tokio::test]
async fn host_and_user_cannot_become_ssh_options() {
    let ran = run_one(
        &[],
        json!({"host": "-oProxyCommand=touch /tmp/x", "command": "true"}),
        json!({}),
    )
    .await;
    let (error, _) = ran.failure("ssh");
    assert!(error.contains("parameter `host`"), "{error}");
}
