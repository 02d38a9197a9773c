//! `ftp_upload` and `ftp_download` against a real FTP server (pyftpdlib on a loopback port,
//! `support/ftpd.rs`): round trips over FTP and explicit FTPS, active mode, a refused login and
//! a missing file with clear messages and no password anywhere, the gate's network check, paths
//! that leave the workspace, a timeout and a cancel that leave no partial file.

mod support;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use studio_core::{Mission, NetworkRules, Perimeter, RunStatus, StepStatus};
use studio_engine::approval::{ApprovalDecision, ApprovalRequest, Approver, DecisionFuture};
use studio_engine::audit::{AuditRecord, Check, CollectingAudit, Decision};
use studio_engine::{run_mission, CollectingSink, Governance, RunOptions, RunResult};
use support::ftpd::{Ftpd, Options, PASSWORD, USER};

/// Approves every request and keeps a copy of each (to look for the password in previews).
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<ApprovalRequest>>>);

impl Approver for Recorder {
    fn decide(&self, request: ApprovalRequest) -> DecisionFuture {
        self.0.lock().unwrap().push(request.clone());
        Box::pin(async move { ApprovalDecision::approve(&request, "test") })
    }
}

struct Ran {
    result: RunResult,
    audit: Vec<AuditRecord>,
    /// Everything the run reported, as text: events, results, audit rows, approval previews.
    record: String,
    workspace: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Ran {
    fn output(&self, id: &str) -> &Value {
        let r = &self.result.step_results[id];
        assert_eq!(r.status, StepStatus::Success, "{id}: {r:?}");
        &r.output
    }

    fn error(&self, id: &str) -> String {
        let r = &self.result.step_results[id];
        assert_eq!(r.status, StepStatus::Failed, "{id} must fail: {r:?}");
        r.error.clone().unwrap_or_default()
    }

    /// The password appears nowhere the run reports.
    fn assert_no_password(&self) {
        assert!(
            !self.record.contains(PASSWORD),
            "the password leaked:\n{}",
            self.record
        );
        assert!(
            !self.record.contains("s3cr3t"),
            "part of the password leaked"
        );
    }

    /// Files under the workspace whose name says they are partial downloads.
    fn partial_files(&self) -> Vec<String> {
        fn walk(dir: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.to_string_lossy().contains(".partial-") {
                    out.push(path.display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.workspace, &mut out);
        out
    }
}

/// Runs `steps` in a fresh workspace holding `files`, with the operator's perimeter and the
/// mission's extra fields.
async fn run(files: &[(&str, &[u8])], steps: Value, operator: Perimeter, extra: Value) -> Ran {
    run_in(
        |workspace| {
            for (path, bytes) in files {
                let path = workspace.join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, bytes).unwrap();
            }
        },
        steps,
        operator,
        extra,
    )
    .await
}

/// [`run`] in a workspace that `prepare` fills.
async fn run_in(
    prepare: impl FnOnce(&Path),
    steps: Value,
    operator: Perimeter,
    extra: Value,
) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    prepare(&workspace);
    let mut mission = json!({
        "name": "FTP steps",
        "config": {"max_concurrent_steps": 1, "fail_fast": false},
        "steps": steps,
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut mission, extra) {
        m.extend(e);
    }
    let mission: Mission = serde_json::from_value(mission).expect("the test mission parses");
    let audit = CollectingAudit::new();
    let recorder = Recorder::default();
    let mut governance = Governance {
        operator,
        ..Default::default()
    };
    governance.audit.push(Arc::new(audit.clone()));
    governance.approver = Arc::new(recorder.clone());
    let mut options = RunOptions::new(&workspace).with_governance(governance);
    options.env = Some(BTreeMap::new());
    let sink = CollectingSink::new();
    let mut events = sink.clone();
    let result = run_mission(&mission, options, &mut events)
        .await
        .expect("the run starts");
    let audit = audit.rows();
    let record = format!(
        "{}\n{}\n{:?}\n{:?}",
        serde_json::to_string(&sink.events()).unwrap(),
        serde_json::to_string(&result).unwrap(),
        audit,
        recorder.0.lock().unwrap()
    );
    Ran {
        result,
        audit,
        record,
        workspace,
        _dir: dir,
    }
}

fn login(server: &Ftpd) -> Value {
    json!({
        "host": "127.0.0.1",
        "port": server.port,
        "username": USER,
        "password": PASSWORD,
    })
}

fn with(mut params: Value, more: Value) -> Value {
    if let (Value::Object(p), Value::Object(m)) = (&mut params, more) {
        p.extend(m);
    }
    params
}

/// Bytes that a text-mode transfer would change: every byte value, CR, LF, CRLF.
fn payload(len: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
    bytes.extend_from_slice(b"line\r\nline\nend\r");
    bytes
}

fn strict() -> Value {
    json!({"perimeter": {"approval": {"mode": "strict"}}})
}

#[tokio::test]
async fn an_upload_then_a_download_give_back_the_same_bytes() {
    let server = Ftpd::start(Options::default());
    let data = payload(100_000);
    let steps = json!([
        {"id": "up", "step_type": "ftp_upload", "parameters": with(login(&server), json!({
            "local_path": "out/data.bin", "remote_path": "incoming/2024/data.bin", "create_dirs": true,
        }))},
        {"id": "down", "step_type": "ftp_download", "depends_on": ["up"], "parameters": with(login(&server), json!({
            "remote_path": "{{up.output.remote_path}}", "local_path": "back/",
        }))},
    ]);
    let ran = run(
        &[("out/data.bin", &data)],
        steps,
        Perimeter::default(),
        strict(),
    )
    .await;
    let up = ran.output("up");
    assert_eq!(
        up,
        &json!({"host": "127.0.0.1", "port": server.port, "secure": false,
                "local_path": "out/data.bin", "remote_path": "incoming/2024/data.bin",
                "bytes": data.len()})
    );
    assert_eq!(
        std::fs::read(server.root.join("incoming/2024/data.bin")).unwrap(),
        data,
        "the server holds the bytes unchanged"
    );
    let down = ran.output("down");
    assert_eq!(down["local_path"], "back/data.bin");
    assert_eq!(down["bytes"], data.len());
    assert_eq!(
        std::fs::read(ran.workspace.join("back/data.bin")).unwrap(),
        data
    );
    assert_eq!(ran.result.artifacts, vec!["back/data.bin".to_string()]);
    let links: Vec<&str> = ran.result.links.iter().map(|l| l.url.as_str()).collect();
    let at = format!("ftp://127.0.0.1:{}/incoming/2024/data.bin", server.port);
    assert_eq!(links, [at.as_str(), at.as_str()]);
    assert!(ran.partial_files().is_empty());
    // Strict approval asked for both, and no preview, event or result shows the password.
    assert!(
        ran.record.contains("[redacted:ftp_upload.password]"),
        "{}",
        ran.record
    );
    ran.assert_no_password();
}

#[tokio::test]
async fn ftps_round_trip_with_the_servers_authority_trusted() {
    let server = Ftpd::start(Options {
        tls: true,
        ..Default::default()
    });
    let ca = std::fs::read(server.ca_pem.as_ref().unwrap()).unwrap();
    let data = payload(70_000);
    let secure = |more: Value| {
        with(
            login(&server),
            with(json!({"secure": true, "ca_cert": "tls/ca.pem"}), more),
        )
    };
    let steps = json!([
        {"id": "up", "step_type": "ftp_upload", "parameters": secure(json!({"local_path": "data.bin"}))},
        {"id": "down", "step_type": "ftp_download", "depends_on": ["up"],
         "parameters": secure(json!({"remote_path": "data.bin", "local_path": "copy.bin"}))},
        // The same server without its authority: the certificate is not trusted.
        {"id": "untrusted", "step_type": "ftp_download", "depends_on": ["up"],
         "parameters": with(login(&server), json!({"ftps": true, "remote_path": "data.bin"}))},
        // Plain FTP to a server that requires TLS: refused by the server before the login.
        {"id": "plain", "step_type": "ftp_download", "depends_on": ["up"],
         "parameters": with(login(&server), json!({"remote_path": "data.bin", "local_path": "plain.bin"}))},
    ]);
    let ran = run(
        &[("data.bin", &data), ("tls/ca.pem", &ca)],
        steps,
        Perimeter::default(),
        json!({}),
    )
    .await;
    assert_eq!(ran.output("up")["secure"], true);
    assert_eq!(std::fs::read(server.root.join("data.bin")).unwrap(), data);
    assert_eq!(ran.output("down")["secure"], true);
    assert_eq!(std::fs::read(ran.workspace.join("copy.bin")).unwrap(), data);
    let error = ran.error("untrusted");
    assert!(
        error.contains("TLS handshake with 127.0.0.1")
            && error.contains("UnknownIssuer")
            && !error.contains("Secure error")
            && error.contains("ca_cert"),
        "{error}"
    );
    let error = ran.error("plain");
    assert!(
        error.contains(&format!("login to 127.0.0.1:{}", server.port))
            && error.contains("set `secure: true`"),
        "{error}"
    );
    assert!(!ran.workspace.join("plain.bin").exists());
    ran.assert_no_password();
    let links: Vec<&str> = ran.result.links.iter().map(|l| l.url.as_str()).collect();
    assert!(links[0].starts_with("ftps://127.0.0.1:"), "{links:?}");
}

#[tokio::test]
async fn a_url_with_credentials_active_mode_and_ascii() {
    let server = Ftpd::start(Options::default());
    std::fs::write(server.root.join("notes.txt"), b"a\r\nb\r\n").unwrap();
    let url = |path: &str| {
        format!(
            "ftp://{USER}:{}@127.0.0.1:{}/{path}",
            PASSWORD
                .replace(':', "%3A")
                .replace(' ', "%20")
                .replace('@', "%40"),
            server.port
        )
    };
    let steps = json!([
        {"id": "get", "step_type": "ftp_download", "parameters": {"url": url("notes.txt"), "passive": false}},
        {"id": "put", "step_type": "ftp_upload", "parameters": {"url": url("up/"), "local_path": "unix.txt",
                                                                "binary": false, "create_dirs": true}},
        {"id": "bad", "step_type": "ftp_upload", "parameters": {
            "url": format!("ftp://{USER}:wrong%20one@127.0.0.1:{}/x", server.port), "file": "unix.txt"}},
    ]);
    let ran = run(
        &[("unix.txt", b"x\ny\n")],
        steps,
        Perimeter::default(),
        json!({}),
    )
    .await;
    assert_eq!(ran.output("get")["local_path"], "notes.txt");
    assert_eq!(
        std::fs::read(ran.workspace.join("notes.txt")).unwrap(),
        b"a\r\nb\r\n"
    );
    assert_eq!(ran.output("put")["remote_path"], "up/unix.txt");
    // ASCII mode: the client sends CRLF line ends, which the server stores as its own (LF).
    assert_eq!(
        std::fs::read(server.root.join("up/unix.txt")).unwrap(),
        b"x\ny\n"
    );
    let error = ran.error("bad");
    assert!(error.contains("login to"), "{error}");
    assert!(
        !error.contains("wrong") && !ran.record.contains("wrong%20one"),
        "{error}"
    );
    ran.assert_no_password();
}

#[tokio::test]
async fn a_refused_login_and_a_missing_file_say_so_without_the_password() {
    let server = Ftpd::start(Options::default());
    let steps = json!([
        {"id": "login", "step_type": "ftp_download", "parameters": with(login(&server), json!({
            "password": "not-the-password-42", "remote_path": "x.txt"}))},
        {"id": "missing", "step_type": "ftp_download", "parameters": with(login(&server), json!({
            "remote_path": "reports/nope.csv", "local_path": "nope.csv"}))},
        {"id": "no_local", "step_type": "ftp_upload", "parameters": with(login(&server), json!({
            "local_path": "absent.txt"}))},
        {"id": "too_big", "step_type": "ftp_download", "parameters": with(login(&server), json!({
            "remote_path": "ten.txt", "max_bytes": 3}))},
        {"id": "kept", "step_type": "ftp_download", "parameters": with(login(&server), json!({
            "remote_path": "ten.txt", "local_path": "mine.txt", "overwrite": false}))},
    ]);
    std::fs::write(server.root.join("ten.txt"), b"0123456789").unwrap();
    let ran = run(
        &[("mine.txt", b"mine")],
        steps,
        Perimeter::default(),
        json!({}),
    )
    .await;
    let error = ran.error("login");
    assert!(
        error.contains(&format!(
            "login to 127.0.0.1:{} as `{USER}` failed",
            server.port
        )) && error.contains("530"),
        "{error}"
    );
    assert!(
        !ran.record.contains("not-the-password-42"),
        "{}",
        ran.record
    );
    let error = ran.error("missing");
    assert!(
        error.contains("no such remote file `reports/nope.csv`") && error.contains("550"),
        "{error}"
    );
    assert!(!ran.workspace.join("nope.csv").exists());
    assert!(ran.partial_files().is_empty(), "{:?}", ran.partial_files());
    let error = ran.error("no_local");
    assert!(error.contains("absent.txt"), "{error}");
    let error = ran.error("too_big");
    assert!(
        error.contains("larger than `max_bytes` (3 bytes)"),
        "{error}"
    );
    assert!(!ran.workspace.join("ten.txt").exists());
    let error = ran.error("kept");
    assert!(error.contains("`mine.txt` exists"), "{error}");
    assert_eq!(
        std::fs::read(ran.workspace.join("mine.txt")).unwrap(),
        b"mine"
    );
    assert!(ran.partial_files().is_empty(), "{:?}", ran.partial_files());
    ran.assert_no_password();
}

#[tokio::test]
async fn a_refused_connection_is_named() {
    let port = support::sshd::free_port();
    let steps = json!([{"id": "up", "step_type": "ftp_upload",
        "parameters": {"host": format!("127.0.0.1:{port}"), "local_path": "a.txt"}}]);
    let ran = run(&[("a.txt", b"a")], steps, Perimeter::default(), json!({})).await;
    let error = ran.error("up");
    assert!(
        error.contains(&format!(
            "cannot connect to 127.0.0.1:{port}: connection refused"
        )),
        "{error}"
    );
}

#[tokio::test]
async fn a_host_the_perimeter_does_not_allow_is_refused_at_the_gate() {
    let server = Ftpd::start(Options::default());
    let operator = Perimeter {
        network: Some(NetworkRules {
            allowed_hosts: vec!["files.internal".to_string()],
            trusted_host_keys: Vec::new(),
        }),
        ..Default::default()
    };
    let steps = json!([{"id": "up", "step_type": "ftp_upload", "parameters": with(login(&server),
        json!({"local_path": "a.txt"}))}]);
    let ran = run(&[("a.txt", b"a")], steps, operator, json!({})).await;
    let error = ran.error("up");
    assert!(
        error.contains(&format!("127.0.0.1:{}", server.port)) && error.contains("files.internal"),
        "{error}"
    );
    assert_eq!(ran.result.status, RunStatus::Failed);
    assert_eq!(ran.audit.len(), 1, "{:?}", ran.audit);
    assert_eq!(ran.audit[0].decision, Decision::Refused);
    assert_eq!(ran.audit[0].check, Check::Network);
    assert!(!server.root.join("a.txt").exists());
    assert!(
        !server.log().contains("USER"),
        "the server was never logged in to"
    );
    ran.assert_no_password();
}

#[tokio::test]
async fn local_paths_stay_inside_the_workspace() {
    let server = Ftpd::start(Options::default());
    std::fs::write(server.root.join("r.txt"), b"remote").unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), b"outside").unwrap();
    let steps = json!([
        {"id": "up_dotdot", "step_type": "ftp_upload", "parameters": with(login(&server), json!({"local_path": "../secret.txt"}))},
        {"id": "up_abs", "step_type": "ftp_upload", "parameters": with(login(&server), json!({
            "local_path": outside.path().join("secret.txt").display().to_string()}))},
        {"id": "up_link", "step_type": "ftp_upload", "parameters": with(login(&server), json!({"local_path": "out/secret.txt"}))},
        {"id": "down_dotdot", "step_type": "ftp_download", "parameters": with(login(&server), json!({
            "remote_path": "r.txt", "local_path": "../r.txt"}))},
        {"id": "down_link", "step_type": "ftp_download", "parameters": with(login(&server), json!({
            "remote_path": "r.txt", "local_path": "out/r.txt"}))},
    ]);
    // `out` is a symlink to a folder outside the workspace.
    let link_target = outside.path().to_path_buf();
    let link = |ws: &Path| std::os::unix::fs::symlink(&link_target, ws.join("out")).unwrap();
    let ran = run_in(link, steps, Perimeter::default(), json!({})).await;
    for id in ["up_dotdot", "down_dotdot"] {
        assert!(ran.error(id).contains("`..`"), "{id}: {}", ran.error(id));
    }
    assert!(
        ran.error("up_abs").contains("not absolute"),
        "{}",
        ran.error("up_abs")
    );
    for id in ["up_link", "down_link"] {
        let error = ran.error(id);
        assert!(
            error.contains("outside the run's workspace"),
            "{id}: {error}"
        );
    }
    assert!(
        !server.root.join("secret.txt").exists(),
        "nothing from outside was sent"
    );
    assert!(
        !outside.path().join("r.txt").exists(),
        "nothing was written outside"
    );
    let leftovers: Vec<_> = std::fs::read_dir(outside.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[tokio::test]
async fn a_timeout_and_a_cancel_stop_the_transfer_and_leave_no_partial_file() {
    // 16 KiB a second: the 400 KB file would take 25 s.
    let server = Ftpd::start(Options {
        throttle: Some(16 * 1024),
        ..Default::default()
    });
    std::fs::write(server.root.join("big.bin"), payload(400_000)).unwrap();
    let steps = json!([
        {"id": "slow", "step_type": "ftp_download", "parameters": with(login(&server), json!({
            "remote_path": "big.bin", "local_path": "big.bin", "timeout_seconds": 2}))},
        // The step's own timeout cancels the attempt from outside.
        {"id": "cancelled", "step_type": "ftp_download", "timeout_seconds": 2,
         "parameters": with(login(&server), json!({"remote_path": "big.bin", "local_path": "dl/big.bin"}))},
    ]);
    let started = std::time::Instant::now();
    let ran = run(
        &[("big.bin", b"old")],
        steps,
        Perimeter::default(),
        json!({}),
    )
    .await;
    assert!(
        started.elapsed().as_secs() < 15,
        "both stopped early: {:?}",
        started.elapsed()
    );
    let error = ran.error("slow");
    assert!(error.contains("timed out after 2s"), "{error}");
    assert_eq!(
        std::fs::read(ran.workspace.join("big.bin")).unwrap(),
        b"old",
        "the destination is untouched"
    );
    let error = ran.error("cancelled");
    assert!(error.contains("timed out"), "{error}");
    assert!(!ran.workspace.join("dl/big.bin").exists());
    assert!(ran.partial_files().is_empty(), "{:?}", ran.partial_files());
}
