//! The Workers page and "Check connection" through the API against a real `nats-server -js`
//! started here: heartbeats of two workers in two departments appear with their jobs, a worker
//! that stops beating turns not live, and a closed port is reported as such, quickly.

#[path = "support/nats.rs"]
mod support_nats;

use std::time::{Duration, Instant};
use studio_api::squad_status::{check_nats, squad_status, LIVE_WITHIN_S};
use studio_api::{AppPaths, ErrorCode, StudioApi};
use studio_squad::{connect, heartbeat, Heartbeat, RunningJob, Squad, SquadConfig};
use support_nats::{free_port, NatsServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_of_two_departments_appear_and_a_silent_worker_turns_not_live() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path());

    // A broker where no worker ever started: reachable, nobody there, nothing created.
    let empty = squad_status(&server.url).await;
    assert!(empty.reachable, "{:?}", empty.error);
    assert!(empty.departments.is_empty());

    let squad = Squad::ensure(connect(&server.url).await.unwrap(), &SquadConfig::default())
        .await
        .unwrap();
    let mut busy = Heartbeat::now("w-ops-1", "ops", 1);
    busy.jobs.push(RunningJob {
        mission_id: "m-1".into(),
        run_id: "run-42".into(),
        step_id: "fetch".into(),
        attempt: 2,
    });
    heartbeat(&squad, &busy).await.unwrap();
    heartbeat(&squad, &Heartbeat::now("w-res-1", "research", 0))
        .await
        .unwrap();

    let status = squad_status(&server.url).await;
    assert!(status.reachable, "{:?}", status.error);
    assert_eq!(status.url.as_deref(), Some(server.url.as_str()));
    let depts: Vec<_> = status.departments.iter().map(|d| d.dept.as_str()).collect();
    assert_eq!(depts, ["ops", "research"]);
    let ops = &status.departments[0].workers[0];
    assert_eq!((ops.worker_id.as_str(), ops.live), ("w-ops-1", true));
    assert_eq!(ops.running, 1);
    assert_eq!(ops.jobs.len(), 1);
    assert_eq!(
        (
            ops.jobs[0].run_id.as_str(),
            ops.jobs[0].step_id.as_str(),
            ops.jobs[0].attempt
        ),
        ("run-42", "fetch", 2)
    );
    assert!(
        ops.last_heartbeat_at.ends_with('Z'),
        "{}",
        ops.last_heartbeat_at
    );
    assert!(ops.seconds_since <= 1);
    let research = &status.departments[1];
    assert_eq!(
        (research.live, research.workers[0].worker_id.as_str()),
        (1, "w-res-1")
    );

    // Through the API: the URL of the settings.
    let api = StudioApi::open(AppPaths::at(dir.path().join("data"))).unwrap();
    assert_eq!(api.squad_status().await.unwrap().url, None);
    api.set_nats_url(Some(&server.url)).unwrap();
    let via_api = api.squad_status().await.unwrap();
    assert_eq!(via_api.departments.len(), 2);

    // The research worker keeps beating, the ops one falls silent.
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        heartbeat(&squad, &Heartbeat::now("w-res-1", "research", 0))
            .await
            .unwrap();
        let status = squad_status(&server.url).await;
        let ops = &status.departments[0].workers[0];
        if !ops.live {
            assert!(ops.seconds_since >= LIVE_WITHIN_S, "{ops:?}");
            assert_eq!(status.departments[0].live, 0);
            assert!(
                status.departments[1].workers[0].live,
                "research still beats"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(LIVE_WITHIN_S + 5),
            "the silent worker never turned not live"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_nats_reports_the_server_and_a_refused_port_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path());
    let ok = check_nats(&server.url).await;
    assert!(ok.ok && ok.jetstream, "{ok:?}");
    let version = ok.server_version.clone().unwrap();
    assert!(version.starts_with('2'), "{version}");
    assert!(ok.message.contains(&version), "{}", ok.message);

    let closed = format!("nats://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let refused = check_nats(&closed).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!refused.ok && refused.server_version.is_none());
    assert_eq!(
        refused.message,
        format!("cannot reach NATS at {closed}: connection refused; start nats-server -js or fix the URL")
    );
    let status = squad_status(&closed).await;
    assert!(!status.reachable);
    assert_eq!(status.error.as_deref(), Some(refused.message.as_str()));

    // Through the API: a URL that is not one is refused before any connection.
    let api = StudioApi::open(AppPaths::at(dir.path().join("data"))).unwrap();
    let err = api
        .check_nats(Some("http://127.0.0.1:4222"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    let err = api.check_nats(None).await.unwrap_err();
    assert!(err.message.contains("no NATS URL"), "{}", err.message);
}
