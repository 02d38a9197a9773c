//! Squads over NATS, end to end with real processes: a private `nats-server -js`, `mission
//! worker` processes in departments, and `mission run --nats` as the control plane. Each test
//! checks the run's final state in SQLite and in its event stream: one final event, gapless
//! seq, one row per step.

#[path = "support/nats.rs"]
mod nats;

use nats::NatsServer;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use studio_engine::{Event, EventType};
use studio_store::{StepRow, Store};

fn mission(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mission"));
    cmd.env_remove("MISSION_STUDIO_DATA_DIR")
        .arg("--data-dir")
        .arg(data);
    cmd
}

/// Worker processes, killed (by pid) when dropped.
struct Workers {
    children: Vec<(String, Child)>,
    logs: PathBuf,
}

impl Workers {
    fn new(logs: &Path) -> Self {
        Self {
            children: Vec::new(),
            logs: logs.to_path_buf(),
        }
    }

    /// Starts `mission worker` and waits until it says it is ready.
    fn start(&mut self, data: &Path, url: &str, dept: &str, id: &str, ack_wait: f64) {
        let log = self.logs.join(format!("{id}.log"));
        let child = mission(data)
            .args(["worker", "--nats", url, "--dept", dept, "--id", id])
            .args(["--concurrency", "4", "--ack-wait", &ack_wait.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("mission worker starts");
        self.children.push((id.to_string(), child));
        wait_for(
            Duration::from_secs(60),
            &format!("worker {id} ready"),
            || std::fs::read_to_string(&log).is_ok_and(|t| t.contains("ready")),
        );
    }

    /// kill -9 one worker.
    fn kill(&mut self, id: &str) {
        let (_, child) = self
            .children
            .iter_mut()
            .find(|(w, _)| w == id)
            .expect("a worker of that id");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    fn log(&self, id: &str) -> String {
        std::fs::read_to_string(self.logs.join(format!("{id}.log"))).unwrap_or_default()
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_for(limit: Duration, what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}); stdout: {} stderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The run's history, checked: integrity, one row per step, gapless seq, exactly one final
/// event and it last.
fn history(data: &Path, run_id: &str, steps: usize) -> (Vec<StepRow>, Vec<Event>) {
    let store = Store::open(data.join("mission-studio.db")).unwrap();
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
    let rows = store.steps(run_id).unwrap();
    let ids: BTreeSet<&str> = rows.iter().map(|r| r.step_id.as_str()).collect();
    assert_eq!((rows.len(), ids.len()), (steps, steps), "one row per step");
    let events = store.events(run_id, 0).unwrap();
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=events.len() as u64).collect::<Vec<_>>(),
        "gapless seq"
    );
    let keys: BTreeSet<&str> = events.iter().map(|e| e.idempotency_key.as_str()).collect();
    assert_eq!(keys.len(), events.len(), "no event recorded twice");
    let finals = events.iter().filter(|e| e.event_type.is_final()).count();
    assert_eq!(
        finals,
        1,
        "exactly one final event: {:#?}",
        events
            .iter()
            .map(|e| format!("{} {:?} {}", e.seq, e.event_type, e.summary))
            .collect::<Vec<_>>()
    );
    assert!(events.last().unwrap().event_type.is_final());
    (rows, events)
}

/// Which worker (and department) each step's attempts ran on, from the events.
fn workers_of(events: &[Event]) -> BTreeMap<String, Vec<(String, String)>> {
    let mut by_step: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for e in events {
        let Some(worker) = e.detail.as_ref().and_then(|d| d.get("worker")) else {
            continue;
        };
        by_step
            .entry(e.step_id.as_deref().unwrap_or_default().to_string())
            .or_default()
            .push((
                worker["worker_id"].as_str().unwrap().to_string(),
                worker["dept"].as_str().unwrap().to_string(),
            ));
    }
    by_step
}

/// 30 steps over two departments: commands, files written by one department and read by the
/// other, no-ops; three parallel lanes.
fn thirty_steps() -> (String, BTreeMap<String, String>) {
    let mut yaml = String::from(
        "version: \"1.0\"\nname: Squad Thirty\nrequired_depts: [research]\nconfig: {max_concurrent_steps: 6}\nsteps:\n",
    );
    let mut depts = BTreeMap::new();
    for i in 0..30 {
        let dept = if i % 2 == 0 { "research" } else { "ops" };
        depts.insert(format!("s{i:02}"), dept.to_string());
        let deps = match i {
            0..=2 => String::new(),
            _ => format!(", depends_on: [s{:02}]", i - 3),
        };
        let dept_field = if dept == "ops" { ", dept: ops" } else { "" };
        let body = match i % 3 {
            0 => {
                format!("step_type: command, parameters: {{command: echo, args: [step, \"{i}\"]}}")
            }
            1 => format!(
                "step_type: create_file, parameters: {{path: f{i:02}.txt, content: \"value {i}\"}}"
            ),
            _ => "step_type: noop".to_string(),
        };
        yaml.push_str(&format!("  - {{id: s{i:02}, {body}{deps}{dept_field}}}\n"));
    }
    // Read back files written by the other department.
    yaml.push_str(
        "  - {id: r1, step_type: read_file, dept: ops, depends_on: [s28], parameters: {path: f28.txt}}\n",
    );
    depts.insert("r1".into(), "ops".into());
    (yaml, depts)
}

/// Statuses and outputs, with the run's own folders taken out.
fn comparable(rows: &[StepRow], evidence_dir: &str) -> BTreeMap<String, (String, String)> {
    rows.iter()
        .map(|r| {
            let output = r
                .output
                .as_ref()
                .map(|o| o.to_string().replace(evidence_dir, "<run>"))
                .unwrap_or_default();
            (r.step_id.clone(), (r.status.as_str().to_string(), output))
        })
        .collect()
}

#[test]
fn a_two_department_mission_runs_on_its_workers_as_it_runs_locally() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(&dir.path().join("nats"));
    let data = dir.path().join("data");
    let mut workers = Workers::new(dir.path());
    workers.start(&data, &server.url, "research", "research-1", 30.0);
    workers.start(&data, &server.url, "research", "research-2", 30.0);
    workers.start(&data, &server.url, "ops", "ops-1", 30.0);
    let (yaml, depts) = thirty_steps();
    let file = dir.path().join("thirty.yaml");
    std::fs::write(&file, yaml).unwrap();

    let out = mission(&data)
        .args(["run", "--json", "--nats", &server.url])
        .arg(&file)
        .output()
        .unwrap();
    let remote = json_of(&out);
    assert_eq!(remote["status"], "completed", "{remote:#}");
    let run_id = remote["run_id"].as_str().unwrap();
    let (rows, events) = history(&data, run_id, 31);

    // Every step ran on a worker of its department, exactly once.
    let ran = workers_of(&events);
    let members: BTreeMap<&str, &str> = [
        ("research-1", "research"),
        ("research-2", "research"),
        ("ops-1", "ops"),
    ]
    .into();
    for (step, dept) in &depts {
        let on = ran
            .get(step)
            .unwrap_or_else(|| panic!("step {step} ran on no worker"));
        assert_eq!(on.len(), 1, "step {step} ran once: {on:?}");
        assert_eq!(&on[0].1, dept, "step {step} ran in its department");
        assert_eq!(
            members[on[0].0.as_str()],
            dept,
            "worker {} is of {dept}",
            on[0].0
        );
    }

    // The same mission run locally has the same history.
    let local_data = dir.path().join("local");
    let out = mission(&local_data)
        .args(["run", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    let local = json_of(&out);
    assert_eq!(local["status"], "completed");
    let (local_rows, _) = history(&local_data, local["run_id"].as_str().unwrap(), 31);
    assert_eq!(
        comparable(&rows, remote["evidence_dir"].as_str().unwrap()),
        comparable(&local_rows, local["evidence_dir"].as_str().unwrap())
    );
    assert!(
        rows.iter()
            .any(|r| r.step_id == "r1" && r.output.as_ref().unwrap()["content"] == "value 28"),
        "ops read what research wrote: {:?}",
        rows.iter().find(|r| r.step_id == "r1")
    );
    drop(workers);
    server.stop();
}

/// A mission of one slow step in department `ops` (and a quick one before it), run in the
/// background with its events written as they go.
fn slow_step(dir: &Path, idempotent: bool) -> PathBuf {
    let yaml = format!(
        "version: \"1.0\"\nname: Slow Step\nrequired_depts: [ops]\nsteps:\n  - {{id: first, step_type: noop}}\n  - id: slow\n    depends_on: [first]\n    idempotent: {idempotent}\n    step_type: command\n    parameters:\n      shell: true\n      command: \"echo ran >> runs.txt; sleep 3; echo done\"\n"
    );
    let file = dir.join(format!("slow-{idempotent}.yaml"));
    std::fs::write(&file, yaml).unwrap();
    file
}

fn events_file(path: &Path) -> Vec<Event> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Runs `slow` on one of two workers, kills that worker mid-step and returns the finished
/// run's JSON, the data folder and the worker that was killed.
fn kill_mid_step(dir: &Path, idempotent: bool) -> (Value, PathBuf, String, Workers, NatsServer) {
    let server = NatsServer::start(&dir.join("nats"));
    let data = dir.join("data");
    let mut workers = Workers::new(dir);
    workers.start(&data, &server.url, "ops", "ops-a", 1.0);
    workers.start(&data, &server.url, "ops", "ops-b", 1.0);
    let file = slow_step(dir, idempotent);
    let events = dir.join("events.jsonl");
    let run = mission(&data)
        .args(["run", "--json", "--nats", &server.url, "--events"])
        .arg(&events)
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut victim = String::new();
    wait_for(Duration::from_secs(30), "the slow step to start", || {
        let started = workers_of(&events_file(&events));
        match started.get("slow").and_then(|w| w.first()) {
            Some((worker, _)) => {
                victim = worker.clone();
                true
            }
            None => false,
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    workers.kill(&victim);
    let out = run.wait_with_output().unwrap();
    (json_of(&out), data, victim, workers, server)
}

#[test]
fn a_killed_workers_idempotent_step_runs_again_on_another_worker() {
    let dir = tempfile::tempdir().unwrap();
    let (result, data, victim, workers, _server) = kill_mid_step(dir.path(), true);
    assert_eq!(result["status"], "completed", "{result:#}");
    let (rows, events) = history(&data, result["run_id"].as_str().unwrap(), 2);
    let ran = &workers_of(&events)["slow"];
    assert_eq!(
        ran.len(),
        2,
        "taken by the killed worker, then another: {ran:?}"
    );
    assert_eq!(ran[0].0, victim);
    assert_ne!(ran[1].0, victim);
    let slow = rows.iter().find(|r| r.step_id == "slow").unwrap();
    assert_eq!(slow.status.as_str(), "success");
    assert_eq!(slow.output.as_ref().unwrap()["stdout"], "done\n");
    let workspace = PathBuf::from(result["evidence_dir"].as_str().unwrap()).join("workspace");
    let runs = std::fs::read_to_string(workspace.join("runs.txt")).unwrap();
    assert_eq!(runs.lines().count(), 2, "it ran again once");
    drop(workers);
}

#[test]
fn a_killed_workers_non_idempotent_step_is_interrupted_never_run_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (result, data, victim, workers, _server) = kill_mid_step(dir.path(), false);
    assert_eq!(result["status"], "failed", "{result:#}");
    let (rows, events) = history(&data, result["run_id"].as_str().unwrap(), 2);
    let ran = &workers_of(&events)["slow"];
    assert_eq!(ran.len(), 1, "only the killed worker started it: {ran:?}");
    assert_eq!(ran[0].0, victim);
    let slow = rows.iter().find(|r| r.step_id == "slow").unwrap();
    assert_eq!(slow.status.as_str(), "failed");
    let error = slow.error.as_deref().unwrap_or_default();
    assert!(
        error.contains("interrupted") && error.contains("not idempotent"),
        "{error}"
    );
    let workspace = PathBuf::from(result["evidence_dir"].as_str().unwrap()).join("workspace");
    let runs = std::fs::read_to_string(workspace.join("runs.txt")).unwrap();
    assert_eq!(runs.lines().count(), 1, "never run twice");
    let other = if victim == "ops-a" { "ops-b" } else { "ops-a" };
    assert!(
        workers.log(other).contains("not idempotent"),
        "{}",
        workers.log(other)
    );
}

#[test]
fn a_department_without_a_worker_blocks_its_step_until_one_connects() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(&dir.path().join("nats"));
    let data = dir.path().join("data");
    let file = dir.path().join("late.yaml");
    std::fs::write(
        &file,
        "version: \"1.0\"\nname: Late Worker\nsteps:\n  - {id: hello, dept: late, step_type: command, parameters: {command: echo, args: [hi]}}\n",
    )
    .unwrap();
    let run = mission(&data)
        .args(["run", "--json", "--nats", &server.url])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let mut workers = Workers::new(dir.path());
    workers.start(&data, &server.url, "late", "late-1", 30.0);
    let result = json_of(&run.wait_with_output().unwrap());
    assert_eq!(result["status"], "completed", "{result:#}");
    let (_, events) = history(&data, result["run_id"].as_str().unwrap(), 1);
    let blocked: Vec<&Event> = events
        .iter()
        .filter(|e| e.event_type == EventType::Blocked)
        .collect();
    assert_eq!(blocked.len(), 1, "one mission.blocked event");
    assert!(
        blocked[0]
            .summary
            .contains("no live worker in department `late`"),
        "{}",
        blocked[0].summary
    );
    let blocked_at = blocked[0].seq;
    let started = events
        .iter()
        .find(|e| e.detail.as_ref().is_some_and(|d| d.get("worker").is_some()))
        .expect("a worker took it");
    assert!(started.seq > blocked_at);
    drop(workers);
}

#[test]
fn a_broker_restart_mid_run_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let nats_dir = dir.path().join("nats");
    let server = NatsServer::start(&nats_dir);
    let (url, port) = (server.url.clone(), server.port);
    let data = dir.path().join("data");
    let mut workers = Workers::new(dir.path());
    workers.start(&data, &url, "ops", "ops-1", 5.0);
    let mut yaml = String::from("version: \"1.0\"\nname: Restart\nrequired_depts: [ops]\nsteps:\n");
    for i in 0..6 {
        let deps = if i == 0 {
            String::new()
        } else {
            format!(", depends_on: [s{}]", i - 1)
        };
        yaml.push_str(&format!(
            "  - {{id: s{i}, step_type: command, parameters: {{command: sleep, args: [\"0.5\"]}}{deps}}}\n"
        ));
    }
    let file = dir.path().join("restart.yaml");
    std::fs::write(&file, yaml).unwrap();
    let events = dir.path().join("events.jsonl");
    let run = mission(&data)
        .args(["run", "--json", "--nats", &url, "--events"])
        .arg(&events)
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(Duration::from_secs(30), "a step to succeed", || {
        events_file(&events)
            .iter()
            .any(|e| e.step_status.is_some_and(|s| s.as_str() == "success"))
    });
    server.stop();
    std::thread::sleep(Duration::from_millis(1500));
    let _server = NatsServer::start_on(&nats_dir, port);
    let result = json_of(&run.wait_with_output().unwrap());
    assert_eq!(result["status"], "completed", "{result:#}");
    let (rows, _) = history(&data, result["run_id"].as_str().unwrap(), 6);
    assert!(
        rows.iter().all(|r| r.status.as_str() == "success"),
        "{rows:?}"
    );
    drop(workers);
}

#[test]
fn every_event_published_twice_is_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(&dir.path().join("nats"));
    let data = dir.path().join("data");
    let mut workers = Workers::new(dir.path());
    workers.start(&data, &server.url, "ops", "ops-1", 30.0);
    let mirror = Mirror::start(&server.url);
    let mut yaml = String::from("version: \"1.0\"\nname: Twice\nrequired_depts: [ops]\nsteps:\n");
    for i in 0..8 {
        yaml.push_str(&format!(
            "  - {{id: s{i}, step_type: command, parameters: {{command: echo, args: [\"{i}\"]}}}}\n"
        ));
    }
    let file = dir.path().join("twice.yaml");
    std::fs::write(&file, yaml).unwrap();
    let out = mission(&data)
        .args(["run", "--json", "--nats", &server.url])
        .arg(&file)
        .output()
        .unwrap();
    let result = json_of(&out);
    assert_eq!(result["status"], "completed", "{result:#}");
    let copies = mirror.stop();
    assert!(
        copies >= 16,
        "every worker event was sent again ({copies} copies)"
    );
    let (rows, events) = history(&data, result["run_id"].as_str().unwrap(), 8);
    for (step, ran) in workers_of(&events) {
        assert_eq!(ran.len(), 1, "step {step}: its worker recorded once");
    }
    for r in &rows {
        assert_eq!(r.attempts, 1, "{}", r.step_id);
        assert_eq!(
            r.output.as_ref().unwrap()["stdout"],
            format!("{}\n", &r.step_id[1..])
        );
    }
}

/// Publishes every worker event a second time, with a broker de-duplication id of its own so
/// the broker keeps both: what a retry after a lost ack beyond the duplicate window looks like.
struct Mirror {
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<u64>,
}

impl Mirror {
    fn start(url: &str) -> Self {
        use studio_squad::async_nats;
        let url = url.to_string();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                use futures_util::StreamExt;
                let client = async_nats::connect(&url).await.unwrap();
                let js = async_nats::jetstream::new(client.clone());
                let mut events = client.subscribe("studio.events.>").await.unwrap();
                client.flush().await.unwrap();
                ready_tx.send(()).unwrap();
                let mut copies = 0;
                tokio::pin!(stopped);
                loop {
                    let message = tokio::select! {
                        m = events.next() => m,
                        _ = &mut stopped => return copies,
                    };
                    let Some(message) = message else {
                        return copies;
                    };
                    let again = message
                        .headers
                        .as_ref()
                        .and_then(|h| h.get("Studio-Copy"))
                        .is_some();
                    if again {
                        continue;
                    }
                    let mut headers = async_nats::HeaderMap::new();
                    headers.insert("Studio-Copy", "1");
                    headers.insert(
                        "Nats-Msg-Id",
                        format!("copy-{copies}-{}", message.subject).as_str(),
                    );
                    js.publish_with_headers(
                        message.subject.clone(),
                        headers,
                        message.payload.clone(),
                    )
                    .await
                    .unwrap()
                    .await
                    .unwrap();
                    copies += 1;
                }
            })
        });
        ready.recv().unwrap();
        Self { stop, thread }
    }

    fn stop(self) -> u64 {
        let _ = self.stop.send(());
        self.thread.join().unwrap()
    }
}
