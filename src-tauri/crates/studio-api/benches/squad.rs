//! Dispatch through NATS JetStream (DESIGN §13): 1,000 no-op steps (no dependencies) run by
//! the engine with every step handed to 2 workers of one department, against
//!
//! - the raw broker, measured in the same process on the same server, with the same number in
//!   flight: one way, 1,000 `async-nats` JetStream publishes (acked) pulled by a consumer and
//!   acked; and the round trip a dispatched step needs at the least, each message pulled, a
//!   reply published (acked) to a second stream, the message acked, and the replies read back
//!   by the sender with an ordered consumer;
//! - the same mission run locally (no broker).
//!
//! Each figure is the best of several rounds (the machine has 2 noisy cores). Targets: per
//! step ≤ 1.5× the raw round trip, ≥ 2,000 steps a second.
//!
//! `cargo bench -p studio-api --bench squad`

#[path = "../tests/support/nats.rs"]
mod nats;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;
use studio_api::squad::{run_worker, SquadDispatcher, WorkerOptions};
use studio_core::Mission;
use studio_engine::remote::WorkerSetup;
use studio_engine::{run_mission, CancellationToken, NullSink, RunOptions};
use studio_squad::async_nats;
use studio_squad::async_nats::jetstream::{self, consumer::pull, stream};

const STEPS: usize = 1_000;
const IN_FLIGHT: usize = 64;
const ROUNDS: usize = 5;

fn mission() -> Mission {
    let steps: Vec<_> = (0..STEPS)
        .map(|i| json!({"id": format!("s{i:04}"), "step_type": "noop"}))
        .collect();
    serde_json::from_value(json!({
        "name": "Squad Bench",
        "required_depts": ["bench"],
        "config": {"max_concurrent_steps": IN_FLIGHT},
        "steps": steps,
    }))
    .unwrap()
}

/// Publish → pull → ack of `STEPS` messages with `IN_FLIGHT` publishes in flight; with
/// `reply`, each pulled message also publishes a reply that the sender reads back.
async fn raw(url: &str, round: usize, reply: bool) -> Duration {
    let client = async_nats::connect(url).await.unwrap();
    let js = jetstream::new(client);
    let name = format!("RAW_{round}_{reply}");
    let subject = format!("raw.{round}.{reply}");
    let stream = js
        .get_or_create_stream(stream::Config {
            name: name.clone(),
            subjects: vec![subject.clone()],
            retention: stream::RetentionPolicy::WorkQueue,
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .unwrap();
    let consumer = stream
        .create_consumer(pull::Config {
            durable_name: Some(format!("raw_{round}")),
            ack_policy: jetstream::consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await
        .unwrap();
    let replies_subject = format!("raw_replies.{round}.{reply}");
    let replies = js
        .get_or_create_stream(stream::Config {
            name: format!("RAW_REPLIES_{round}_{reply}"),
            subjects: vec![replies_subject.clone()],
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut read_back = replies
        .create_consumer(pull::OrderedConfig {
            filter_subject: replies_subject.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .messages()
        .await
        .unwrap();
    let started = Instant::now();
    let worker_js = js.clone();
    let puller = tokio::spawn(async move {
        let mut messages = consumer
            .stream()
            .max_messages_per_batch(IN_FLIGHT)
            .messages()
            .await
            .unwrap();
        let mut acks = Vec::with_capacity(STEPS);
        for i in 0..STEPS {
            let m = messages.next().await.unwrap().unwrap();
            if reply {
                let msg = jetstream::message::PublishMessage::build()
                    .payload(m.payload.clone())
                    .message_id(format!("reply-{round}-{i}"));
                acks.push(
                    worker_js
                        .send_publish(replies_subject.clone(), msg)
                        .await
                        .unwrap(),
                );
            }
            m.ack().await.unwrap();
        }
        for ack in acks {
            ack.await.unwrap();
        }
    });
    let body = json!({"step_type": "noop", "params": {}}).to_string();
    futures_util::stream::iter(0..STEPS)
        .for_each_concurrent(IN_FLIGHT, |i| {
            let js = js.clone();
            let subject = subject.clone();
            let body = body.clone();
            async move {
                let msg = jetstream::message::PublishMessage::build()
                    .payload(body.into_bytes().into())
                    .message_id(format!("raw-{round}-{reply}-{i}"));
                js.send_publish(subject, msg).await.unwrap().await.unwrap();
            }
        })
        .await;
    if reply {
        for _ in 0..STEPS {
            read_back.next().await.unwrap().unwrap();
        }
    }
    puller.await.unwrap();
    started.elapsed()
}

async fn dispatched(url: &str, mission: &Mission) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let mut options = RunOptions::new(dir.path().join("ws"));
    let dispatcher = SquadDispatcher::connect(url, &options.run_id)
        .await
        .unwrap();
    options.dispatcher = Some(Arc::new(dispatcher));
    let started = Instant::now();
    let result = run_mission(mission, options, &mut NullSink).await.unwrap();
    let took = started.elapsed();
    assert_eq!(result.status.as_str(), "completed");
    took
}

async fn local(mission: &Mission) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let options = RunOptions::new(dir.path().join("ws"));
    let started = Instant::now();
    let result = run_mission(mission, options, &mut NullSink).await.unwrap();
    let took = started.elapsed();
    assert_eq!(result.status.as_str(), "completed");
    took
}

fn per_step(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6 / STEPS as f64
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let server = nats::NatsServer::start(&dir.path().join("nats"));
    let stop = CancellationToken::new();
    let mut workers = Vec::new();
    for n in 0..2 {
        let options = WorkerOptions {
            nats_url: server.url.clone(),
            dept: "bench".into(),
            worker_id: format!("bench-{n}"),
            concurrency: IN_FLIGHT / 2,
            ack_wait: Duration::from_secs(30),
            shared_roots: vec![],
            own_workspaces: dir.path().join(format!("w{n}")),
            setup: WorkerSetup::default(),
        };
        let stop = stop.clone();
        workers.push(tokio::spawn(async move {
            run_worker(options, stop, |_| {}).await.unwrap()
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mission = mission();
    // Warm-up of each path.
    let _ = raw(&server.url, 100, true).await;
    let _ = dispatched(&server.url, &mission).await;
    let mut best = [Duration::MAX; 4];
    for round in 0..ROUNDS {
        best[0] = best[0].min(raw(&server.url, round, false).await);
        best[1] = best[1].min(raw(&server.url, round, true).await);
        best[2] = best[2].min(dispatched(&server.url, &mission).await);
        best[3] = best[3].min(local(&mission).await);
    }
    let [one_way, round_trip, remote, here] = best;
    stop.cancel();
    for w in workers {
        let _ = w.await;
    }
    let (one_us, raw_us) = (per_step(one_way), per_step(round_trip));
    let (remote_us, local_us) = (per_step(remote), per_step(here));
    println!(
        "squad dispatch, {STEPS} no-op steps, 2 workers, {IN_FLIGHT} in flight, best of {ROUNDS}"
    );
    println!("  raw one way: publish -> pull -> ack    {one_us:8.1} us/message");
    println!("  raw round trip: + reply, read back     {raw_us:8.1} us/message");
    println!(
        "  dispatched through NATS               {remote_us:8.1} us/step  ({:.2}x the raw round trip, {:.2}x one way, {:.0} steps/s)",
        remote_us / raw_us,
        remote_us / one_us,
        1e6 / remote_us
    );
    println!(
        "  the same mission run locally          {local_us:8.1} us/step  (dispatch costs {:.0}x local)",
        remote_us / local_us
    );
    server.stop();
}
