//! `mission dispatch`, `mission cancel` and `mission worker --envelope` as an operator runs
//! them: the real binary, a private `nats-server -js`, a data folder in a temporary folder.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use support::nats::NatsServer;

fn mission_bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mission"));
    cmd.env_remove("MISSION_STUDIO_DATA_DIR");
    cmd
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A worker process of one VP, interrupted (Ctrl-C) on drop.
struct Worker(Child);

impl Worker {
    fn start(nats: &NatsServer, data: &Path, vp: &str) -> Self {
        let child = mission_bin()
            .args([
                "worker",
                "--nats",
                &nats.url,
                "--envelope",
                "--vp",
                vp,
                "--id",
                "cli-test",
            ])
            .arg("--data-dir")
            .arg(data)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the worker starts");
        Worker(child)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        use nix::sys::signal::{kill, Signal};
        use nix::unistd::Pid;
        let _ = kill(Pid::from_raw(self.0.id() as i32), Signal::SIGINT);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn write(dir: &Path, name: &str, payload: &serde_json::Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(payload).unwrap()).unwrap();
    path
}

fn dispatch_wait(nats: &NatsServer, file: &Path) -> Output {
    let mut child = mission_bin()
        .arg("dispatch")
        .arg(file)
        .args(["--nats", &nats.url, "--wait"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    panic!(
        "dispatch --wait did not end within 20 s; stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn server(dir: &Path) -> NatsServer {
    let nats_dir = dir.join("nats");
    std::fs::create_dir_all(&nats_dir).unwrap();
    NatsServer::start(&nats_dir)
}

#[test]
fn an_invalid_payload_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bad.json",
        &json!({"vp_id": "vp.a", "objective": "x", "report_cadence": "weekly"}),
    );
    // No server at this URL: the payload is refused first.
    let out = mission_bin()
        .arg("dispatch")
        .arg(&file)
        .args(["--nats", "nats://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 3, "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("report_cadence"),
        "{err}"
    );
    let out = mission_bin()
        .arg("dispatch")
        .arg(dir.path().join("missing.json"))
        .args(["--nats", "nats://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
}

#[test]
fn dispatch_wait_follows_a_mission_to_completion_and_an_unapproved_one_to_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let nats = server(dir.path());
    let data = dir.path().join("data");
    let _worker = Worker::start(&nats, &data, "vp.cli");
    let file = write(
        dir.path(),
        "ok.json",
        &json!({
            "mission_id": "m-cli-ok",
            "vp_id": "vp.cli",
            "objective": "List three colours",
            "artifact_policy": {"required_outputs": ["colours.md"]},
            "heartbeat_interval_seconds": 0
        }),
    );
    let out = dispatch_wait(&nats, &file);
    let stdout = text(&out.stdout);
    assert_eq!(code(&out), 0, "{stdout}\n{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "m-cli-ok", "the mission id first");
    assert!(lines[1].starts_with("mission.accepted queued "), "{stdout}");
    assert!(stdout.contains("mission.artifact running"), "{stdout}");
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("mission.completed completed"),
        "{stdout}"
    );

    // `approval_required` for the model call, and nobody on the worker to approve it.
    let file = write(
        dir.path(),
        "approval.json",
        &json!({
            "mission_id": "m-cli-approval",
            "vp_id": "vp.cli",
            "objective": "List three colours",
            "constraints": {"approval_required": ["llm"]},
            "heartbeat_interval_seconds": 0
        }),
    );
    let out = dispatch_wait(&nats, &file);
    let stdout = text(&out.stdout);
    assert_eq!(code(&out), 4, "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("mission.blocked blocked"), "{stdout}");
    assert!(lines_end_with(&stdout, "mission.failed failed"), "{stdout}");
}

fn lines_end_with(stdout: &str, prefix: &str) -> bool {
    stdout.lines().last().is_some_and(|l| l.starts_with(prefix))
}

#[test]
fn mission_cancel_ends_a_waiting_mission_with_exit_130() {
    let dir = tempfile::tempdir().unwrap();
    let nats = server(dir.path());
    let data = dir.path().join("data");
    let _worker = Worker::start(&nats, &data, "vp-cli-cancel");
    let later = chrono::Utc::now() + chrono::Duration::hours(3);
    let file = write(
        dir.path(),
        "later.json",
        &json!({
            "mission_id": "m-cli-cancel",
            "vp_id": "vp-cli-cancel",
            "objective": "Wait for the window",
            "autonomy_window": {"start_at": later.to_rfc3339()},
            "heartbeat_interval_seconds": 1
        }),
    );
    let waiting = std::thread::spawn({
        let url = nats.url.clone();
        let file = file.clone();
        move || {
            mission_bin()
                .arg("dispatch")
                .arg(&file)
                .args(["--nats", &url, "--wait"])
                .output()
                .unwrap()
        }
    });
    std::thread::sleep(Duration::from_secs(2));
    let out = mission_bin()
        .args(["cancel", "m-cli-cancel", "--nats", &nats.url])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = waiting.join().unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(code(&out), 130, "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("mission.blocked blocked"), "{stdout}");
    assert!(
        lines_end_with(&stdout, "mission.cancelled cancelled"),
        "{stdout}"
    );
    let out = mission_bin()
        .args(["cancel", "bad.id", "--nats", &nats.url])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "a mission id with '.' is a usage error");
}
