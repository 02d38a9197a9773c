//! Runs started from the app when Settings name a NATS server: their steps run on the
//! departments' workers (here one worker task on a private `nats-server -js`), the run is
//! recorded here as any other; a mission with steps that have no department is refused before
//! it starts.

#[path = "support/nats.rs"]
mod support_nats;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use studio_api::squad::{run_worker, WorkerOptions};
use studio_api::{AppPaths, ErrorCode, LiveRuns, RunSource, StudioApi};
use studio_engine::remote::WorkerSetup;
use studio_engine::{CancellationToken, Event};
use support_nats::NatsServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_run_dispatches_its_steps_to_the_workers_when_settings_name_nats() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(&dir.path().join("nats"));
    let api = StudioApi::open(AppPaths::at(dir.path().join("data"))).unwrap();
    api.set_nats_url(Some(&server.url)).unwrap();
    let stop = CancellationToken::new();
    let worker = tokio::spawn(run_worker(
        WorkerOptions {
            nats_url: server.url.clone(),
            dept: "ops".into(),
            worker_id: "app-ops-1".into(),
            concurrency: 2,
            ack_wait: Duration::from_secs(30),
            shared_roots: vec![api.paths().runs_dir()],
            own_workspaces: dir.path().join("own"),
            setup: WorkerSetup::default(),
        },
        stop.clone(),
        |_| {},
    ));
    // The worker is up (its first heartbeat) before the runs: this test is about dispatch, not
    // about waiting for a worker (the CLI tests cover that).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if worker.is_finished() {
            panic!("the worker stopped: {:?}", worker.await);
        }
        let status = studio_api::squad_status::squad_status(&server.url).await;
        let live = status
            .departments
            .iter()
            .flat_map(|d| d.workers.iter())
            .any(|w| w.worker_id == "app-ops-1" && w.live);
        if live {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the worker never heartbeat: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let runs = LiveRuns::new(api.clone());

    let homeless = dir.path().join("homeless.yaml");
    std::fs::write(
        &homeless,
        "version: \"1.0\"\nname: Homeless\nsteps:\n  - {id: a, step_type: noop}\n",
    )
    .unwrap();
    let refused = runs
        .start(RunSource::File(homeless), Default::default())
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidInput);
    assert!(
        refused.message.contains("no department"),
        "{}",
        refused.message
    );

    let file = dir.path().join("ops.yaml");
    std::fs::write(
        &file,
        "version: \"1.0\"\nname: Ops Pair\nrequired_depts: [ops]\nsteps:\n  - {id: write, step_type: create_file, parameters: {path: a.txt, content: hi}}\n  - {id: read, step_type: read_file, depends_on: [write], parameters: {path: a.txt}}\n",
    )
    .unwrap();
    let run_id = runs
        .start(RunSource::File(file), Default::default())
        .unwrap();
    let events = follow_all(&runs, &run_id).await;
    wait_for_the_end(&runs, &run_id).await;
    let last = events.last().unwrap();
    assert_eq!(last.status.as_str(), "completed", "{}", last.summary);
    let workers: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| {
            let w = e.detail.as_ref()?.get("worker")?;
            Some((
                e.step_id.as_deref()?.to_string(),
                w["worker_id"].as_str()?.to_string(),
            ))
        })
        .collect();
    assert_eq!(
        workers,
        [
            ("write".to_string(), "app-ops-1".to_string()),
            ("read".to_string(), "app-ops-1".to_string())
        ]
    );
    let details = api.run_details(&run_id).unwrap();
    let read = details.steps.iter().find(|s| s.step_id == "read").unwrap();
    assert_eq!(read.output.as_ref().unwrap()["content"], "hi");
    stop.cancel();
    let report = worker.await.unwrap().unwrap();
    assert_eq!(report.jobs_run, 2);
}

/// Settings name a NATS server that does not answer: the run cannot start, and says so. A
/// window that follows it (before or after the end) gets exactly one final event with the
/// reason, and the run view reads `failed`, never a run that waits forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_run_whose_nats_server_does_not_answer_ends_failed_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let api = StudioApi::open(AppPaths::at(dir.path().join("data"))).unwrap();
    // A port nothing listens on: taken from the system, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("nats://127.0.0.1:{port}");
    api.set_nats_url(Some(&url)).unwrap();
    let runs = LiveRuns::new(api.clone());
    let file = dir.path().join("ops.yaml");
    std::fs::write(
        &file,
        "version: \"1.0\"\nname: Ops Alone\nrequired_depts: [ops]\nsteps:\n  - {id: a, step_type: noop}\n",
    )
    .unwrap();
    let run_id = runs
        .start(RunSource::File(file), Default::default())
        .unwrap();
    // Attached while the run starts.
    let early = follow_all(&runs, &run_id).await;
    // Attached once it ended (a window opened later).
    let late = follow_all(&runs, &run_id).await;
    for events in [&early, &late] {
        assert_eq!(events.len(), 1, "{events:?}");
        let end = &events[0];
        assert_eq!(end.seq, 1);
        assert_eq!(end.event_type.as_str(), "mission.failed");
        assert_eq!(end.status.as_str(), "failed");
        assert!(
            end.summary.contains(&url) && end.summary.contains("Settings"),
            "the reason names the server and where it is set: {}",
            end.summary
        );
    }
    wait_for_the_end(&runs, &run_id).await;
    let view = runs.run_view(&run_id).unwrap();
    assert_eq!(view.status, "failed");
    assert!(!view.live);
    assert!(view.reason.unwrap_or_default().contains(&url));
}

/// Every event of the run, followed from the first until the final one (within a minute).
async fn follow_all(runs: &LiveRuns, run_id: &str) -> Vec<Event> {
    let seen = Arc::new(Mutex::new(Vec::<Event>::new()));
    let sink = Arc::clone(&seen);
    tokio::time::timeout(
        Duration::from_secs(60),
        runs.follow(run_id, 0, move |e| {
            sink.lock().unwrap().push(e.clone());
            true
        }),
    )
    .await
    .expect("the follower ends: the run ended within a minute")
    .expect("follow succeeds");
    let events = seen.lock().unwrap().clone();
    events
}

/// Waits until the run's thread has ended (the registry lists it as finished).
async fn wait_for_the_end(runs: &LiveRuns, run_id: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !runs
        .list()
        .iter()
        .any(|r| r.run_id == run_id && r.finished_at.is_some())
    {
        assert!(Instant::now() < deadline, "the run's thread ends");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
