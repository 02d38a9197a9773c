//! Live runs through the API: following a run from any point misses nothing, approvals answered
//! from the API, cancellation leaves no child process.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use studio_api::{AppPaths, LiveNotice, LiveRuns, RunSource, StudioApi};
use studio_engine::Event;

fn live(dir: &Path) -> LiveRuns {
    LiveRuns::new(StudioApi::open(AppPaths::at(dir.join("data"))).expect("open the API"))
}

fn write_mission(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Follows a run from `after` to its final event; returns the events seen.
async fn follow_all(runs: &LiveRuns, run_id: &str, after: u64) -> Vec<Event> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    tokio::time::timeout(
        Duration::from_secs(60),
        runs.follow(run_id, after, move |e| {
            sink.lock().unwrap().push(e.clone());
            true
        }),
    )
    .await
    .expect("the run ends within a minute")
    .expect("follow succeeds");
    let out = seen.lock().unwrap().clone();
    out
}

async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the run's thread is done (history rows such as approvals are written last).
async fn wait_finished(runs: &LiveRuns, run_id: &str) {
    wait_until("the run to finish", || {
        runs.list()
            .iter()
            .any(|r| r.run_id == run_id && r.finished_at.is_some())
    })
    .await;
}

fn assert_gapless(events: &[Event], from: u64) {
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, from + 1 + i as u64, "seq {} at position {i}", e.seq);
    }
    assert!(
        events.last().is_some_and(|e| e.event_type.is_final()),
        "ends with the final event"
    );
}

const CHAIN: &str = r#"
version: "1.0"
name: Chain
steps:
  - {id: s1, step_type: command, parameters: {command: sleep, args: ["0.05"]}}
  - {id: s2, step_type: command, depends_on: [s1], parameters: {command: sleep, args: ["0.05"]}}
  - {id: s3, step_type: command, depends_on: [s2], parameters: {command: sleep, args: ["0.05"]}}
  - {id: s4, step_type: command, depends_on: [s3], parameters: {command: sleep, args: ["0.05"]}}
  - {id: s5, step_type: command, depends_on: [s4], parameters: {command: sleep, args: ["0.05"]}}
  - {id: s6, step_type: command, depends_on: [s5], parameters: {command: sleep, args: ["0.05"]}}
  - {id: s7, step_type: noop, depends_on: [s6]}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attaching_after_n_events_misses_nothing_live_or_finished() {
    let dir = tempfile::tempdir().unwrap();
    let runs = live(dir.path());
    let file = write_mission(dir.path(), "chain.yaml", CHAIN);
    let run_id = runs
        .start(RunSource::File(file), BTreeMap::new())
        .expect("the run starts");

    // One follower from the start, one that attaches once a few events went by.
    let from_start = tokio::spawn({
        let runs = runs.clone();
        let id = run_id.clone();
        async move { follow_all(&runs, &id, 0).await }
    });
    wait_until("5 events", || {
        runs.list()
            .iter()
            .any(|r| r.run_id == run_id && r.last_seq >= 5)
    })
    .await;
    let n = runs.list()[0].last_seq;
    assert!(
        runs.list()[0].status == "running",
        "still running after {n} events"
    );
    let later = follow_all(&runs, &run_id, n).await;
    assert_gapless(&later, n);
    let all = from_start.await.unwrap();
    assert_gapless(&all, 0);
    assert_eq!(all.last().unwrap().event_type.as_str(), "mission.completed");
    assert_eq!(
        &all[n as usize..],
        &later[..],
        "the same events, live or replayed"
    );

    // A finished run is replayed from the history, from any point.
    let replay = follow_all(&runs, &run_id, 3).await;
    assert_eq!(&all[3..], &replay[..]);
    wait_finished(&runs, &run_id).await;
    let view = runs.run_view(&run_id).unwrap();
    assert_eq!(view.status, "completed");
    assert!(!view.live);
    assert!(view.steps.iter().all(|s| s.status == "success"));
    assert_eq!(view.steps[1].depends_on, vec!["s1".to_string()]);
}

const APPROVALS: &str = r#"
version: "1.0"
name: Approvals
perimeter:
  approval: {mode: threshold, threshold_usd: 100, required_for: [command]}
steps:
  - id: greet
    step_type: command
    parameters: {command: echo, args: ["hello", "{{mission.id}}"]}
  - {id: after, step_type: noop, depends_on: [greet]}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_and_deny_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let runs = live(dir.path());
    let notices = Arc::new(Mutex::new(Vec::new()));
    let heard = Arc::clone(&notices);
    runs.set_listener(move |n| heard.lock().unwrap().push(n));
    let file = write_mission(dir.path(), "approvals.yaml", APPROVALS);

    // Approve: the step runs and the run completes.
    let run_id = runs
        .start(RunSource::File(file.clone()), BTreeMap::new())
        .unwrap();
    wait_until("an approval request", || {
        !runs.pending_approvals().is_empty()
    })
    .await;
    let pending = runs.pending_approvals();
    assert_eq!(pending.len(), 1);
    let req = &pending[0];
    assert_eq!(
        (req.run_id.as_str(), req.step_id.as_str()),
        (run_id.as_str(), "greet")
    );
    assert_eq!(req.step_type, "command");
    assert_eq!(req.preview["command"], "echo");
    assert_eq!(
        req.preview["args"][1], "approvals",
        "what will run, references resolved"
    );
    assert!(runs
        .answer_approval(&run_id, "nope", true, None)
        .is_err_and(|e| e.code == studio_api::ErrorCode::NotFound));
    runs.answer_approval(&run_id, "greet", true, Some("looks fine".into()))
        .unwrap();
    let events = follow_all(&runs, &run_id, 0).await;
    assert_eq!(
        events.last().unwrap().event_type.as_str(),
        "mission.completed"
    );
    wait_finished(&runs, &run_id).await;
    assert!(runs.pending_approvals().is_empty());
    let detail = runs.step_detail(&run_id, "greet").unwrap();
    assert_eq!(detail.step.status, "success");
    assert_eq!(detail.output.unwrap()["stdout"], "hello approvals\n");
    assert_eq!(detail.resolved_parameters.unwrap()["args"][0], "hello");
    let rows = runs.api().approvals(&run_id).unwrap();
    assert_eq!(rows[0].status, "approved");
    assert_eq!(rows[0].decided_by.as_deref(), Some("ui"));

    // Deny: the step is skipped and the run fails.
    let run_id = runs.start(RunSource::File(file), BTreeMap::new()).unwrap();
    wait_until("an approval request", || {
        !runs.pending_approvals().is_empty()
    })
    .await;
    runs.answer_approval(&run_id, "greet", false, None).unwrap();
    let events = follow_all(&runs, &run_id, 0).await;
    assert_eq!(events.last().unwrap().event_type.as_str(), "mission.failed");
    wait_finished(&runs, &run_id).await;
    let view = runs.run_view(&run_id).unwrap();
    let status: Vec<&str> = view.steps.iter().map(|s| s.status.as_str()).collect();
    assert_eq!(status, ["skipped", "skipped"]);
    assert_eq!(runs.api().approvals(&run_id).unwrap()[0].status, "denied");

    wait_until("both runs reported ended", || {
        notices
            .lock()
            .unwrap()
            .iter()
            .filter(|n| matches!(n, LiveNotice::Ended { .. }))
            .count()
            == 2
    })
    .await;
    let notices = notices.lock().unwrap();
    assert!(notices
        .iter()
        .any(|n| matches!(n, LiveNotice::Blocked { step_id, .. } if step_id == "greet")));
    assert!(notices.contains(&LiveNotice::ApprovalsChanged { pending: 1 }));
    assert!(notices.contains(&LiveNotice::ApprovalsChanged { pending: 0 }));
}

/// Processes whose command line holds `needle`.
fn processes_with(needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if text.contains(needle) {
                out.push(pid);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_kills_the_process_tree_and_leaves_no_child() {
    let dir = tempfile::tempdir().unwrap();
    let runs = live(dir.path());
    // A shell that starts a grandchild: the whole tree must go.
    let file = write_mission(
        dir.path(),
        "long.yaml",
        r#"
version: "1.0"
name: Long
steps:
  - id: wait
    step_type: command
    parameters: {command: sh, args: ["-c", "sleep 37.125; echo never"]}
  - {id: after, step_type: noop, depends_on: [wait]}
"#,
    );
    let run_id = runs.start(RunSource::File(file), BTreeMap::new()).unwrap();
    wait_until("the sleep to start", || {
        !processes_with("sleep 37.125").is_empty()
    })
    .await;
    runs.cancel(&run_id).unwrap();
    let events = follow_all(&runs, &run_id, 0).await;
    assert_eq!(
        events.last().unwrap().event_type.as_str(),
        "mission.cancelled"
    );
    let left = processes_with("37.125");
    assert!(left.is_empty(), "processes left after cancel: {left:?}");
    let view = runs.run_view(&run_id).unwrap();
    let status: Vec<&str> = view.steps.iter().map(|s| s.status.as_str()).collect();
    assert_eq!(status, ["cancelled", "skipped"]);
    assert!(runs
        .cancel("no-such-run")
        .is_err_and(|e| e.code == studio_api::ErrorCode::NotFound));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_mission_is_refused_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let runs = live(dir.path());
    let file = write_mission(
        dir.path(),
        "bad.yaml",
        "version: \"1.0\"\nname: Bad\nsteps:\n  - {id: a, step_type: noop, depends_on: [ghost]}\n",
    );
    let err = runs
        .start(RunSource::File(file), BTreeMap::new())
        .unwrap_err();
    assert_eq!(err.code, studio_api::ErrorCode::InvalidInput);
    assert!(err.message.contains("ghost"), "{}", err.message);
    assert!(runs.list().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_resumes_live_reusing_what_succeeded() {
    let dir = tempfile::tempdir().unwrap();
    let api = StudioApi::open(AppPaths::at(dir.path().join("data"))).expect("open the API");
    let runs = LiveRuns::new(api.clone());
    let flag = dir.path().join("ready.flag");
    let text = format!(
        r#"
version: "1.0"
name: Needs a flag
steps:
  - {{id: prepare, step_type: command, parameters: {{command: echo, args: ["prepared"]}}}}
  - {{id: check, step_type: command, depends_on: [prepare], parameters: {{command: test, args: ["-f", "{}"]}}}}
  - {{id: report, step_type: noop, depends_on: [check]}}
"#,
        flag.display()
    );
    let file = write_mission(dir.path(), "flag.yaml", &text);
    let first = runs
        .start(RunSource::File(file), BTreeMap::new())
        .expect("the run starts");
    let events = follow_all(&runs, &first, 0).await;
    assert_eq!(events.last().unwrap().event_type.as_str(), "mission.failed");
    wait_finished(&runs, &first).await;

    // The operator fixes the cause, then resumes from the failure.
    std::fs::write(&flag, "ok").unwrap();
    let second = runs
        .start(RunSource::Resume(first.clone()), BTreeMap::new())
        .expect("the resume starts");
    assert_ne!(second, first);
    let events = follow_all(&runs, &second, 0).await;
    assert_gapless(&events, 0);
    assert_eq!(
        events.last().unwrap().event_type.as_str(),
        "mission.completed"
    );
    wait_finished(&runs, &second).await;

    let details = api
        .run_details(&second)
        .expect("the resumed run is recorded");
    assert_eq!(details.run.resumed_from.as_deref(), Some(first.as_str()));
    let step = |id: &str| details.steps.iter().find(|s| s.step_id == id).unwrap();
    assert_eq!(step("prepare").reused_from.as_deref(), Some(first.as_str()));
    assert_eq!(step("check").reused_from, None);
    assert_eq!(step("check").status.as_str(), "success");
    assert_eq!(step("report").status.as_str(), "success");
}
