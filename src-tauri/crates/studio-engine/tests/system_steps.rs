//! The system step types (`compress`, `process_start`, `process_kill`, `monitor_resources`,
//! `service_health`, `ping_host`) on real archives, real processes and real servers on
//! 127.0.0.1 (ports picked at run time), including their failure modes. Every process a test
//! starts itself is killed by its pid when the test ends.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use studio_core::{Mission, RunStatus, StepStatus};
use studio_engine::{run_mission, CancellationToken, RunOptions, RunResult};

#[path = "system_steps/archives.rs"]
mod archives;
#[path = "system_steps/probes.rs"]
mod probes;

struct Ran {
    result: RunResult,
    workspace: PathBuf,
    dir: tempfile::TempDir,
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

    fn pid(&self, id: &str) -> u32 {
        self.result.step_results[id].output["pid"]
            .as_u64()
            .unwrap_or_else(|| panic!("{id} has a pid: {:?}", self.result.step_results[id]))
            as u32
    }
}

/// Runs `mission` (its `name` filled in) in a fresh workspace holding `files`.
async fn run_with(
    files: &[(&str, &[u8])],
    mut mission: Value,
    configure: impl FnOnce(RunOptions, &Path) -> RunOptions,
) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("workspace");
    std::fs::create_dir_all(&ws).unwrap();
    for (path, bytes) in files {
        let path = ws.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    mission["name"] = json!("System steps");
    let mission: Mission = serde_json::from_value(mission).expect("the test mission parses");
    let options = configure(RunOptions::new(&ws), &ws);
    let result = run_mission(&mission, options, &mut studio_engine::NullSink)
        .await
        .expect("the run starts");
    Ran {
        result,
        workspace: ws,
        dir,
    }
}

async fn run_steps(files: &[(&str, &[u8])], steps: Value) -> Ran {
    let mission =
        json!({"config": {"max_concurrent_steps": 1, "fail_fast": false}, "steps": steps});
    run_with(files, mission, |o, _| o).await
}

/// True when no live process has this pid (a zombie awaiting its reaper counts as dead).
fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

/// Polls until the process is gone (no timing is asserted: the bound only ends the wait).
fn wait_gone(pid: u32) -> bool {
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if process_gone(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A process the test starts itself, killed by its pid when the test ends (also on failure).
struct Own(std::process::Child);

impl Drop for Own {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on (bound, then closed).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn files_under(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            out.push(path.strip_prefix(root).unwrap().display().to_string());
            if e.file_type().unwrap().is_dir() {
                pending.push(path);
            }
        }
    }
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------
// process_start, process_kill

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_started_server_is_ready_checked_measured_and_stopped_when_the_run_ends() {
    let ran = run_steps(
        &[("site/index.html", b"<h1>status page</h1>")],
        json!([
            {"id": "srv", "step_type": "process_start", "parameters": {
                "command": "python3", "args": ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", "site"],
                "name": "web", "wait_for": {"log_regex": "port (\\d+)", "timeout_seconds": 60}}},
            {"id": "health", "step_type": "service_health", "depends_on": ["srv"], "parameters": {
                "url": "http://127.0.0.1:{{srv.output.log_match[1]}}/index.html",
                "expect_body_contains": "status page", "service": "status page"}},
            {"id": "ping", "step_type": "ping_host", "depends_on": ["srv"], "parameters": {
                "host": "127.0.0.1", "port": "{{srv.output.log_match[1]}}", "count": 3, "interval_ms": 10}},
            {"id": "ready_port", "step_type": "process_start", "depends_on": ["srv"], "parameters": {
                "program": "sleep", "args": ["300"],
                "wait_for": {"port": "{{srv.output.log_match[1]}}", "timeout_seconds": 60}}},
            {"id": "watch", "step_type": "monitor_resources", "depends_on": ["health", "ready_port"], "parameters": {}},
        ]),
    )
    .await;
    assert_eq!(
        ran.result.status,
        RunStatus::Completed,
        "{:?}",
        ran.result.reason
    );
    let srv = ran.output("srv");
    assert_eq!(srv["name"], "web");
    assert_eq!(srv["ready"], true);
    assert_eq!(srv["log_file"], ".processes/web.log");
    assert_eq!(srv["pid"], srv["pgid"]);
    assert_eq!(srv["command"], "python3");
    let port = srv["log_match"][1]
        .as_str()
        .unwrap()
        .parse::<u16>()
        .unwrap();
    assert!(port > 0);
    let health = ran.output("health");
    assert_eq!(health["healthy"], true);
    assert_eq!(health["status"], 200);
    assert_eq!(health["kind"], "http");
    assert_eq!(health["service"], "status page");
    assert_eq!(health["attempts"], 1);
    let ping = ran.output("ping");
    assert_eq!(
        (ping["sent"].clone(), ping["received"].clone()),
        (json!(3), json!(3))
    );
    assert_eq!(ping["loss_percent"], 0.0);
    let sleeper = ran.output("ready_port");
    assert_eq!(
        sleeper["name"], "sleep",
        "the default handle is the program's name"
    );
    let watched = ran.output("watch")["processes"].as_array().unwrap().clone();
    let names: Vec<&str> = watched
        .iter()
        .filter_map(|p| p["run_name"].as_str())
        .collect();
    assert_eq!(names, ["web", "sleep"]);
    assert!(
        watched
            .iter()
            .all(|p| p["running"] == true && p["source"] == "run"),
        "{watched:?}"
    );
    let log = std::fs::read_to_string(ran.workspace.join(".processes/web.log")).unwrap();
    assert!(log.contains("Serving HTTP"), "{log}");
    assert!(
        log.contains("GET /index.html"),
        "the server logged the check: {log}"
    );
    for id in ["srv", "ready_port"] {
        let pid = ran.pid(id);
        assert!(
            wait_gone(pid),
            "{id}: {pid} is still running after the run ended"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_run_stops_the_groups_it_started() {
    let token = CancellationToken::new();
    let trigger = token.clone();
    let marker = std::sync::Arc::new(std::sync::Mutex::new(None::<PathBuf>));
    let seen = marker.clone();
    // Cancels once the step after the start is running (a file it writes says so).
    let watcher = tokio::spawn(async move {
        loop {
            let path = seen.lock().unwrap().clone();
            if path.is_some_and(|p| p.exists()) {
                trigger.cancel();
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let ran = run_with(
        &[],
        json!({"steps": [
            {"id": "bg", "step_type": "process_start", "parameters": {
                "command": "sh", "args": ["-c", "sleep 300 & echo $! > child.pid; echo up; wait"],
                "wait_for": {"log_line": "up"}}},
            {"id": "work", "step_type": "command", "depends_on": ["bg"],
             "parameters": {"command": "sh", "args": ["-c", "touch working; sleep 60"]}},
        ]}),
        |o, ws| {
            *marker.lock().unwrap() = Some(ws.join("working"));
            o.with_cancel(token)
        },
    )
    .await;
    watcher.abort();
    assert_eq!(ran.result.status, RunStatus::Cancelled);
    assert_eq!(
        ran.result.step_results["work"].status,
        StepStatus::Cancelled
    );
    let leader = ran.pid("bg");
    let child: u32 = std::fs::read_to_string(ran.workspace.join("child.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        wait_gone(leader),
        "the started leader {leader} survived the cancellation"
    );
    assert!(
        wait_gone(child),
        "its child {child} (same group) survived the cancellation"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_stops_what_it_started_too() {
    let ran = run_with(
        &[],
        json!({"steps": [
            {"id": "bg", "step_type": "process_start", "parameters": {"command": "sleep", "args": ["300"]}},
            {"id": "boom", "step_type": "command", "depends_on": ["bg"], "parameters": {"command": "false"}},
        ]}),
        |o, _| o,
    )
    .await;
    assert_eq!(ran.result.status, RunStatus::Failed);
    assert_eq!(ran.output("bg")["ready"], Value::Null);
    assert!(wait_gone(ran.pid("bg")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_run_midway_still_stops_what_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("workspace");
    let mission: Mission = serde_json::from_value(json!({"name": "Dropped", "steps": [
        {"id": "bg", "step_type": "process_start", "parameters": {
            "command": "sh", "args": ["-c", "echo $$ > leader.pid; echo up; exec sleep 300"],
            "wait_for": {"log_line": "up"}}},
        {"id": "hold", "step_type": "command", "depends_on": ["bg"],
         "parameters": {"command": "sh", "args": ["-c", "touch holding; sleep 1"]}},
        {"id": "never", "step_type": "command", "depends_on": ["hold"],
         "parameters": {"command": "sleep", "args": ["60"]}},
    ]}))
    .unwrap();
    let holding = ws.join("holding");
    let mut sink = studio_engine::NullSink;
    let run = run_mission(&mission, RunOptions::new(&ws), &mut sink);
    tokio::select! {
        _ = run => panic!("the run cannot end before `never`"),
        _ = async {
            while !holding.exists() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        } => {}
    }
    // The run's future is gone (as when its task is aborted): what it started goes too, once
    // the last step still holding the run's state lets go of it.
    let pid: u32 = std::fs::read_to_string(ws.join("leader.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(wait_gone(pid), "{pid} outlived its dropped run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_kill_stops_the_runs_own_processes_and_refuses_any_other() {
    let stranger = Own(std::process::Command::new("sleep")
        .arg("300")
        .spawn()
        .unwrap());
    let stranger_pid = stranger.0.id();
    let ran = run_steps(
        &[],
        json!([
            {"id": "a", "step_type": "process_start", "parameters": {"command": "sleep", "args": ["300"], "name": "napper"}},
            {"id": "b", "step_type": "process_start", "parameters": {"command": "sleep", "args": ["300"]}},
            {"id": "stubborn", "step_type": "process_start", "parameters": {
                "command": "sh", "args": ["-c", "trap '' TERM; echo armed; sleep 300"], "wait_for": {"log_line": "armed"}}},
            {"id": "done", "step_type": "process_start", "parameters": {"command": "true", "name": "quick"}},
            {"id": "polite", "step_type": "process_start", "parameters": {
                "command": "sh", "args": ["-c", "trap 'echo bye; exit 0' INT; echo armed; while :; do sleep 0.1; done"],
                "wait_for": {"log_line": "armed"}, "name": "polite"}},
            {"id": "kill_polite", "step_type": "process_kill", "depends_on": ["polite"],
             "parameters": {"name": "polite", "signal": "INT"}},
            {"id": "kill_name", "step_type": "process_kill", "depends_on": ["a"], "parameters": {"name": "napper"}},
            {"id": "kill_pid", "step_type": "process_kill", "depends_on": ["b"],
             "parameters": {"pid": "{{b.output.pid}}", "signal": "KILL"}},
            {"id": "kill_stubborn", "step_type": "process_kill", "depends_on": ["stubborn"],
             "parameters": {"process": "sh", "grace_seconds": 1}},
            {"id": "wait_quick", "step_type": "command", "depends_on": ["done"], "parameters": {"command": "sleep", "args": ["0.3"]}},
            {"id": "kill_quick", "step_type": "process_kill", "depends_on": ["wait_quick"], "parameters": {"name": "quick"}},
            {"id": "stranger", "step_type": "process_kill", "parameters": {"pid": stranger_pid}},
            {"id": "unknown", "step_type": "process_kill", "depends_on": ["a", "b"], "parameters": {"name": "ghost"}},
            {"id": "again", "step_type": "process_start", "depends_on": ["kill_name"],
             "parameters": {"command": "sleep", "args": ["300"], "name": "napper"}},
            {"id": "clash", "step_type": "process_start", "depends_on": ["again"],
             "parameters": {"command": "sleep", "args": ["300"], "name": "napper"}},
        ]),
    )
    .await;
    let k = ran.output("kill_name");
    assert_eq!(k["name"], "napper");
    assert_eq!(k["killed"], true);
    assert_eq!(k["signals_sent"], json!(["TERM"]));
    assert_eq!(k["signal"], "TERM");
    assert_eq!(k["exit_code"], Value::Null);
    assert_eq!(k["pid"], ran.pid("a"));
    let k = ran.output("kill_pid");
    assert_eq!(k["signals_sent"], json!(["KILL"]));
    assert_eq!(k["signal"], "KILL");
    let k = ran.output("kill_stubborn");
    assert_eq!(
        k["signals_sent"],
        json!(["TERM", "KILL"]),
        "TERM was ignored, KILL followed"
    );
    assert_eq!(k["signal"], "KILL");
    let k = ran.output("kill_polite");
    assert_eq!(k["signals_sent"], json!(["INT"]));
    assert_eq!(
        (k["exit_code"].clone(), k["signal"].clone()),
        (json!(0), Value::Null),
        "it handled INT and exited"
    );
    let k = ran.output("kill_quick");
    assert_eq!(k["killed"], false, "it had already ended");
    assert_eq!(k["exit_code"], 0);

    let (error, _) = ran.failure("stranger");
    assert!(
        error.contains(&format!(
            "process {stranger_pid} was not started by this run"
        )),
        "{error}"
    );
    assert!(!process_gone(stranger_pid), "the stranger was left alone");
    let (error, _) = ran.failure("unknown");
    assert!(
        error.contains("no process named `ghost`") && error.contains("`napper`"),
        "{error}"
    );
    assert_eq!(
        ran.output("again")["name"],
        "napper",
        "a stopped handle can be reused"
    );
    let (error, _) = ran.failure("clash");
    assert!(error.contains("already running"), "{error}");
    for id in ["a", "b", "stubborn", "again"] {
        assert!(wait_gone(ran.pid(id)), "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_start_failure_modes_are_clear_and_leave_nothing_running() {
    let closed = free_port();
    let ran = run_steps(
        &[],
        json!([
            {"id": "missing", "step_type": "process_start", "parameters": {"command": "no-such-program-xyz"}},
            {"id": "shell_line", "step_type": "process_start", "parameters": {"command": "sleep 300"}},
            {"id": "detach", "step_type": "process_start", "parameters": {"command": "sleep", "args": ["1"], "detach": true}},
            {"id": "exits", "step_type": "process_start", "parameters": {
                "command": "sh", "args": ["-c", "echo cannot bind >&2; exit 3"], "wait_for": {"port": closed}}},
            {"id": "slow", "step_type": "process_start", "parameters": {
                "command": "sleep", "args": ["300"], "wait_for": {"port": closed, "timeout_seconds": 1}}},
            {"id": "bad_name", "step_type": "process_start", "parameters": {"command": "sleep", "args": ["1"], "name": "../x"}},
            {"id": "bad_wait", "step_type": "process_start", "parameters": {"command": "sleep", "args": ["1"], "wait_for": {"prot": 1}}},
        ]),
    )
    .await;
    let (e, _) = ran.failure("missing");
    assert!(e.contains("program `no-such-program-xyz` not found"), "{e}");
    let (e, _) = ran.failure("shell_line");
    assert!(e.contains("each argument in `args`"), "{e}");
    let (e, _) = ran.failure("detach");
    assert!(e.contains("`detach: true` is refused"), "{e}");
    let (e, out) = ran.failure("exits");
    assert!(
        e.contains("exited with code 3 before it was ready") && e.contains("cannot bind"),
        "{e}"
    );
    assert_eq!(out["ready"], false);
    assert_eq!(out["exit_code"], 3);
    let (e, out) = ran.failure("slow");
    assert!(e.contains("was not ready after 1s"), "{e}");
    let pid = out["pid"].as_u64().unwrap() as u32;
    assert!(
        process_gone(pid),
        "a start that was not ready is stopped before the step ends"
    );
    let (e, _) = ran.failure("bad_name");
    assert!(e.contains("`name: ../x` is refused"), "{e}");
    let (e, _) = ran.failure("bad_wait");
    assert!(e.contains("`wait_for.prot` is not known"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_read_only_sandbox_a_started_program_writes_only_in_the_workspace() {
    let outside = tempfile::tempdir().unwrap();
    let escape = outside.path().join("escape.txt");
    let script = format!(
        "echo inside > inside.txt; echo escape > '{}'; echo ready; exec sleep 300",
        escape.display()
    );
    let ran = run_with(
        &[],
        json!({"perimeter": {"sandbox": "read-only"}, "config": {"fail_fast": false}, "steps": [
            {"id": "bg", "step_type": "process_start",
             "parameters": {"command": "sh", "args": ["-c", script], "wait_for": {"log_line": "ready"}}},
            {"id": "pack", "step_type": "compress", "depends_on": ["bg"],
             "parameters": {"source": ".processes", "destination": "logs.zip"}},
        ]}),
        |o, _| o,
    )
    .await;
    assert!(!escape.exists(), "nothing is written outside the workspace");
    let bg = &ran.result.step_results["bg"];
    if studio_engine::sandbox::support().enforced {
        assert_eq!(bg.status, StepStatus::Success, "{bg:?}");
        assert!(ran.workspace.join("inside.txt").exists());
        assert_eq!(ran.output("pack")["entries"], 1);
        assert!(wait_gone(ran.pid("bg")));
    } else {
        let (e, _) = ran.failure("bg");
        assert!(e.contains("Landlock"), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_that_times_out_while_waiting_is_stopped_at_once() {
    let closed = free_port();
    let ran = run_steps(
        &[],
        json!([
            {"id": "stuck", "step_type": "process_start", "timeout_seconds": 2, "parameters": {
                "command": "sh", "args": ["-c", "echo $$ > stuck.pid; exec sleep 300"],
                "wait_for": {"port": closed, "timeout_seconds": 120}}},
        ]),
    )
    .await;
    let (error, _) = ran.failure("stuck");
    assert!(error.contains("timed out after 2s"), "{error}");
    let pid: u32 = std::fs::read_to_string(ran.workspace.join("stuck.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(wait_gone(pid), "{pid} survived its start's timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_running_at_once_never_share_a_handle() {
    let start = |id: &str, name: Option<&str>| {
        let mut params = json!({"command": "sleep", "args": ["300"]});
        if let Some(n) = name {
            params["name"] = json!(n);
        }
        json!({"id": id, "step_type": "process_start", "parameters": params})
    };
    let ran = run_with(
        &[],
        json!({"config": {"max_concurrent_steps": 5, "fail_fast": false}, "steps": [
            start("a", None), start("b", None), start("c", None),
            start("d", Some("twin")), start("e", Some("twin")),
        ]}),
        |o, _| o,
    )
    .await;
    let mut names: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|id| ran.output(id)["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["sleep", "sleep-2", "sleep-3"]);
    let twins: Vec<StepStatus> = ["d", "e"]
        .iter()
        .map(|id| ran.result.step_results[*id].status)
        .collect();
    assert!(
        twins.contains(&StepStatus::Success) && twins.contains(&StepStatus::Failed),
        "one `twin` starts, the other is refused: {twins:?}"
    );
    for id in ["a", "b", "c"] {
        assert!(wait_gone(ran.pid(id)), "{id}");
    }
}
