//! The squad foundation against a real `nats-server -js` started by each test.

mod support;

use std::time::{Duration, Instant};

use futures_util::StreamExt;

use studio_squad::messages::{publish_event, publish_job};
use studio_squad::subjects::{EVENTS_STREAM, JOBS_STREAM};
use studio_squad::{
    connect, heartbeat, last_heartbeat, mark_started, DeptConsumer, EventEnvelope, Heartbeat,
    JobEnvelope, Squad, SquadConfig, SquadError,
};
use support::nats::{free_port, NatsServer};

fn job(dept: &str, key: &str) -> JobEnvelope {
    JobEnvelope {
        mission_id: "mission-1".into(),
        run_id: format!("run-{key}"),
        trace_id: "trace-1".into(),
        step_id: format!("step-{key}"),
        attempt: 1,
        idempotency_key: key.into(),
        dept: dept.into(),
        idempotent: true,
        payload: serde_json::json!({"type": "noop"}),
    }
}

async fn squad(server: &NatsServer, config: &SquadConfig) -> Squad {
    let js = connect(&server.url).await.expect("connect");
    Squad::ensure(js, config).await.expect("set up the squad")
}

/// A squad with the default configuration, on a connection of its own.
async fn squad_of(server: &NatsServer) -> Squad {
    squad(server, &SquadConfig::default()).await
}

const NO_WAIT: Duration = Duration::from_millis(300);

#[tokio::test]
async fn setup_is_idempotent_and_makes_durable_streams() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path());
    let config = SquadConfig::default();
    let first = squad(&server, &config).await;
    publish_job(&first.js, &job("ops", "k1")).await.unwrap();
    let mut second = squad(&server, &config).await;

    let info = second.jobs.info().await.unwrap().clone();
    use async_nats::jetstream::stream::{RetentionPolicy, StorageType};
    assert_eq!(info.config.name, JOBS_STREAM);
    assert_eq!(info.config.retention, RetentionPolicy::WorkQueue);
    assert_eq!(info.config.storage, StorageType::File);
    assert_eq!(info.config.duplicate_window, config.duplicate_window);
    assert_eq!(
        info.state.messages, 1,
        "the second set-up kept the queued job"
    );
    let events = second.events.info().await.unwrap().clone();
    assert_eq!(events.config.name, EVENTS_STREAM);
    assert_eq!(events.config.storage, StorageType::File);
    let beats = second.heartbeats.status().await.unwrap();
    assert_eq!(beats.max_age(), config.heartbeat_ttl);

    // A later version with another heartbeat TTL brings the bucket to it.
    let shorter = SquadConfig {
        heartbeat_ttl: Duration::from_secs(5),
        ..config
    };
    let third = squad(&server, &shorter).await;
    let beats = third.heartbeats.status().await.unwrap();
    assert_eq!(beats.max_age(), Duration::from_secs(5));
}

#[tokio::test]
async fn a_job_published_twice_with_one_key_is_delivered_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path());
    let squad = squad(&server, &SquadConfig::default()).await;
    let consumer = DeptConsumer::open(&squad, "ops", Duration::from_secs(30))
        .await
        .unwrap();

    let first = publish_job(&squad.js, &job("ops", "same-key"))
        .await
        .unwrap();
    let again = publish_job(&squad.js, &job("ops", "same-key"))
        .await
        .unwrap();
    assert!(!first.duplicate);
    assert!(again.duplicate, "the broker dropped the second publish");
    assert_eq!(again.sequence, first.sequence);

    let delivery = consumer
        .fetch(Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(delivery.job.idempotency_key, "same-key");
    assert_eq!(delivery.delivered, 1);
    delivery.ack().await.unwrap();
    assert!(consumer.fetch(NO_WAIT).await.unwrap().is_none());
    let info = squad
        .js
        .get_stream(JOBS_STREAM)
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .clone();
    assert_eq!(info.state.messages, 0, "an acked job leaves the work queue");
}

#[tokio::test]
async fn an_unacked_job_is_redelivered_after_ack_wait() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path());
    let squad = squad(&server, &SquadConfig::default()).await;
    let ack_wait = Duration::from_secs(1);
    let consumer = DeptConsumer::open(&squad, "ops", ack_wait).await.unwrap();
    publish_job(&squad.js, &job("ops", "crash")).await.unwrap();

    // Another worker of the department, on its own connection.
    let other = squad_of(&server).await;
    let other = DeptConsumer::open(&other, "ops", ack_wait).await.unwrap();

    let first = consumer
        .fetch(Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    let taken = Instant::now();
    // The first worker "dies": the job is never acked. Within ack_wait nobody else gets it.
    drop(first);
    drop(consumer);
    drop(squad);
    assert!(other
        .fetch(Duration::from_millis(200))
        .await
        .unwrap()
        .is_none());

    let again = other.fetch(Duration::from_secs(10)).await.unwrap().unwrap();
    let after = taken.elapsed();
    assert_eq!(again.job.idempotency_key, "crash");
    assert_eq!(again.delivered, 2);
    assert!(after >= ack_wait - Duration::from_millis(100), "{after:?}");
    assert!(after < Duration::from_secs(5), "{after:?}");
    eprintln!("redelivered {after:?} after the first fetch (ack_wait {ack_wait:?})");
    again.ack().await.unwrap();
    assert!(other.fetch(NO_WAIT).await.unwrap().is_none());
}

#[tokio::test]
async fn a_job_kept_in_progress_is_not_redelivered() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path());
    let squad = squad_of(&server).await;
    let ack_wait = Duration::from_secs(1);
    let worker = DeptConsumer::open(&squad, "ops", ack_wait).await.unwrap();
    let other = DeptConsumer::open(&squad_of(&server).await, "ops", ack_wait)
        .await
        .unwrap();
    publish_job(&squad.js, &job("ops", "long")).await.unwrap();

    let delivery = worker.fetch(Duration::from_secs(5)).await.unwrap().unwrap();
    // A step running 2.5 × ack_wait, telling the broker every half ack_wait.
    for _ in 0..5 {
        tokio::time::sleep(ack_wait / 2).await;
        delivery.in_progress().await.unwrap();
    }
    assert!(other
        .fetch(Duration::from_millis(300))
        .await
        .unwrap()
        .is_none());
    delivery.ack().await.unwrap();
    assert!(other
        .fetch(Duration::from_millis(1500))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_job_given_back_goes_to_another_worker_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path());
    let squad = squad_of(&server).await;
    let ack_wait = Duration::from_secs(30);
    let leaving = DeptConsumer::open(&squad, "ops", ack_wait).await.unwrap();
    let other = DeptConsumer::open(&squad_of(&server).await, "ops", ack_wait)
        .await
        .unwrap();
    publish_job(&squad.js, &job("ops", "handed-back"))
        .await
        .unwrap();

    let delivery = leaving
        .fetch(Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    delivery.give_back().await.unwrap();
    let again = other.fetch(Duration::from_secs(5)).await.unwrap().unwrap();
    assert_eq!(again.job.idempotency_key, "handed-back");
    assert_eq!(again.delivered, 2);
    again.ack().await.unwrap();
}

#[tokio::test]
async fn two_workers_of_a_department_share_the_jobs_without_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path());
    let squad = squad_of(&server).await;
    let keys: Vec<String> = (0..20).map(|i| format!("job-{i}")).collect();
    for key in &keys {
        publish_job(&squad.js, &job("ops", key)).await.unwrap();
    }
    let mut workers = Vec::new();
    for _ in 0..2 {
        let squad = squad_of(&server).await;
        workers.push(tokio::spawn(async move {
            let consumer = DeptConsumer::open(&squad, "ops", Duration::from_secs(30))
                .await
                .unwrap();
            let mut got = Vec::new();
            while let Some(d) = consumer.fetch(Duration::from_millis(500)).await.unwrap() {
                got.push(d.job.idempotency_key.clone());
                d.ack().await.unwrap();
            }
            got
        }));
    }
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    all.sort();
    let mut expected = keys.clone();
    expected.sort();
    assert_eq!(all, expected, "every job once, and only once");
}

#[tokio::test]
async fn departments_never_get_each_others_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path());
    let squad = squad(&server, &SquadConfig::default()).await;
    let ops = DeptConsumer::open(&squad, "ops", Duration::from_secs(30))
        .await
        .unwrap();
    let finance = DeptConsumer::open(&squad, "finance", Duration::from_secs(30))
        .await
        .unwrap();
    publish_job(&squad.js, &job("ops", "o1")).await.unwrap();
    publish_job(&squad.js, &job("ops", "o2")).await.unwrap();

    assert!(finance.fetch(NO_WAIT).await.unwrap().is_none());
    for key in ["o1", "o2"] {
        let d = ops.fetch(Duration::from_secs(5)).await.unwrap().unwrap();
        assert_eq!(d.job.idempotency_key, key);
        assert_eq!(d.job.dept, "ops");
        d.ack().await.unwrap();
    }
    publish_job(&squad.js, &job("finance", "f1")).await.unwrap();
    assert!(ops.fetch(NO_WAIT).await.unwrap().is_none());
    let d = finance
        .fetch(Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.job.idempotency_key, "f1");
    d.ack().await.unwrap();
}

#[tokio::test]
async fn a_heartbeat_is_visible_then_expires() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path());
    let config = SquadConfig {
        heartbeat_ttl: Duration::from_secs(1),
        ..SquadConfig::default()
    };
    let squad = squad(&server, &config).await;
    let mut live = squad
        .js
        .client()
        .subscribe("studio.workers.>")
        .await
        .unwrap();
    squad.js.client().flush().await.unwrap();
    let beat = Heartbeat::now("worker-1", "ops", 2);
    heartbeat(&squad, &beat).await.unwrap();
    let announced = tokio::time::timeout(Duration::from_secs(5), live.next())
        .await
        .expect("a heartbeat on studio.workers.<id>")
        .unwrap();
    assert_eq!(announced.subject.as_str(), "studio.workers.worker-1");
    let sent = Instant::now();
    assert_eq!(
        last_heartbeat(&squad, "worker-1").await.unwrap(),
        Some(beat)
    );
    assert_eq!(last_heartbeat(&squad, "worker-2").await.unwrap(), None);

    while last_heartbeat(&squad, "worker-1").await.unwrap().is_some() {
        assert!(
            sent.elapsed() < Duration::from_secs(15),
            "the heartbeat never expired"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "heartbeat gone {:?} after it was sent (TTL 1 s)",
        sent.elapsed()
    );
    assert!(sent.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn the_started_marker_is_create_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path());
    let squad = squad(&server, &SquadConfig::default()).await;
    let mut side_effect = job("ops", "run-9:step/send-mail");
    side_effect.idempotent = false;

    assert!(!studio_squad::is_started(&squad, &side_effect)
        .await
        .unwrap());
    assert!(
        mark_started(&squad, &side_effect).await.unwrap(),
        "first start"
    );
    assert!(
        !mark_started(&squad, &side_effect).await.unwrap(),
        "a redelivery finds it already started"
    );
    assert!(studio_squad::is_started(&squad, &side_effect)
        .await
        .unwrap());
    let other = job("ops", "run-9:step/other");
    assert!(mark_started(&squad, &other).await.unwrap());
}

#[tokio::test]
async fn a_broker_restart_loses_no_published_job() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path());
    let port = server.port;
    {
        let squad = squad(&server, &SquadConfig::default()).await;
        for key in ["a", "b", "c"] {
            publish_job(&squad.js, &job("ops", key)).await.unwrap();
        }
        let event = EventEnvelope {
            mission_id: "mission-1".into(),
            run_id: "run-a".into(),
            trace_id: "trace-1".into(),
            step_id: "step-a".into(),
            attempt: 1,
            idempotency_key: "run-a:started".into(),
            kind: "step.started".into(),
            worker_id: "worker-1".into(),
            payload: serde_json::Value::Null,
        };
        publish_event(&squad.js, &event).await.unwrap();
    }
    server.stop();

    let server = NatsServer::start_on(dir.path(), port);
    let mut squad = squad(&server, &SquadConfig::default()).await;
    let events = squad.events.info().await.unwrap().state.messages;
    assert_eq!(events, 1, "the event survived the restart");
    let consumer = DeptConsumer::open(&squad, "ops", Duration::from_secs(30))
        .await
        .unwrap();
    for key in ["a", "b", "c"] {
        let d = consumer
            .fetch(Duration::from_secs(5))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(d.job.idempotency_key, key);
        d.ack().await.unwrap();
    }
    assert!(consumer.fetch(NO_WAIT).await.unwrap().is_none());
}

#[tokio::test]
async fn an_unreachable_server_says_where_and_what_to_do() {
    let url = format!("nats://127.0.0.1:{}", free_port());
    let err = connect(&url).await.expect_err("nobody listens there");
    assert!(matches!(err, SquadError::Unreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&url), "{text}");
    assert!(text.contains("nats-server -js"), "{text}");
}

#[tokio::test]
async fn a_job_for_a_bad_department_is_refused_before_the_broker() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path());
    let squad = squad(&server, &SquadConfig::default()).await;
    let err = publish_job(&squad.js, &job("ops.*", "x"))
        .await
        .unwrap_err();
    assert!(matches!(err, SquadError::InvalidName { .. }), "{err:?}");
    assert!(err.to_string().contains("'.'"), "{err}");
    let err = DeptConsumer::open(&squad, "a>", Duration::from_secs(1))
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("'>'"), "{err}");
}

#[test]
fn the_test_server_is_stopped_when_a_test_panics() {
    let dir = tempfile::tempdir().unwrap();
    let pid = std::sync::Mutex::new(0);
    let outcome = std::panic::catch_unwind(|| {
        let server = NatsServer::start(dir.path());
        *pid.lock().unwrap() = server.pid();
        panic!("a failing test");
    });
    assert!(outcome.is_err());
    let pid = *pid.lock().unwrap();
    assert!(pid > 0);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "nats-server {pid} still runs after the panic"
    );
}
