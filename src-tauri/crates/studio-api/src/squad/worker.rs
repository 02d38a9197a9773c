//! The department worker (`mission worker --nats URL --dept DEPT`): pulls the department's
//! jobs, runs each with the engine's step code, sends its events back, heartbeats every
//! second, and on stop takes no new job and finishes the ones it holds.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use studio_engine::remote::WorkerSetup;
use studio_engine::CancellationToken;
use studio_squad::subjects::{validate_name, CANCEL_SUBJECTS};
use studio_squad::{async_nats, DeptConsumer, Heartbeat, Squad, SquadConfig, SquadError};
use tokio::sync::Semaphore;

use super::worker_jobs::{Held, JobRunner};
use super::HEARTBEAT_EVERY;

/// What a worker is and where it works.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub nats_url: String,
    pub dept: String,
    pub worker_id: String,
    /// Jobs run at once.
    pub concurrency: usize,
    /// How long the broker waits for a job's ack before handing it to another worker.
    pub ack_wait: Duration,
    /// Run workspaces under these folders are used in place (the control plane's data folder on
    /// a shared disk); any other run gets a folder of its own under `own_workspaces`.
    pub shared_roots: Vec<PathBuf>,
    pub own_workspaces: PathBuf,
    pub setup: WorkerSetup,
}

/// What a worker did, once it stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerReport {
    pub jobs_run: u64,
    pub jobs_interrupted: u64,
}

/// Something a worker reports as it goes (the CLI prints them).
#[derive(Debug, Clone)]
pub enum WorkerLog {
    Ready,
    Took {
        run_id: String,
        step_id: String,
        attempt: u32,
    },
    Finished {
        run_id: String,
        step_id: String,
        ok: bool,
    },
    Refused {
        run_id: String,
        step_id: String,
        why: String,
    },
    Trouble(String),
}

/// Runs the worker until `stop` is cancelled; then it takes no new job, finishes the ones it
/// holds and returns.
pub async fn run_worker(
    options: WorkerOptions,
    stop: CancellationToken,
    log: impl Fn(WorkerLog) + Send + Sync + 'static,
) -> Result<WorkerReport, SquadError> {
    validate_name("worker", &options.worker_id)?;
    validate_name("department", &options.dept)?;
    let client = async_nats::connect(&options.nats_url)
        .await
        .map_err(|source| SquadError::Unreachable {
            url: options.nats_url.clone(),
            source,
        })?;
    let js = async_nats::jetstream::new(client.clone());
    let squad = Squad::ensure(js, &SquadConfig::default()).await?;
    let consumer = DeptConsumer::open(&squad, &options.dept, options.ack_wait).await?;
    let log: Arc<dyn Fn(WorkerLog) + Send + Sync> = Arc::new(log);
    let held = Arc::new(Held::default());
    let runner = Arc::new(JobRunner {
        squad: squad.clone(),
        worker_id: options.worker_id.clone(),
        dept: options.dept.clone(),
        ack_wait: options.ack_wait,
        shared_roots: options
            .shared_roots
            .iter()
            .filter_map(|r| r.canonicalize().ok())
            .collect(),
        own_workspaces: options.own_workspaces.clone(),
        setup: options.setup.clone(),
        held: Arc::clone(&held),
        log: Arc::clone(&log),
    });

    let beating = CancellationToken::new();
    let heart = tokio::spawn(heartbeats(
        squad.clone(),
        options.worker_id.clone(),
        options.dept.clone(),
        Arc::clone(&held),
        beating.clone(),
    ));
    let cancels = tokio::spawn(super::worker_jobs::follow_cancels(
        client.clone(),
        CANCEL_SUBJECTS,
        Arc::clone(&held),
    ));
    studio_squad::heartbeat(&squad, &beat(&options, &held)).await?;
    log(WorkerLog::Ready);

    let slots = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut deliveries = None;
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&slots).acquire_owned() => p.expect("the semaphore is never closed"),
            _ = stop.cancelled() => break,
        };
        if deliveries.is_none() {
            match consumer.deliveries(options.concurrency).await {
                Ok(d) => deliveries = Some(d),
                Err(e) => {
                    log(WorkerLog::Trouble(e.to_string()));
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(500)) => continue,
                        _ = stop.cancelled() => break,
                    }
                }
            }
        }
        let Some(pull) = deliveries.as_mut() else {
            continue;
        };
        let next = tokio::select! {
            next = pull.next() => next,
            _ = stop.cancelled() => break,
        };
        match next {
            Some(Ok(delivery)) => {
                let runner = Arc::clone(&runner);
                tokio::spawn(async move {
                    runner.run(delivery).await;
                    drop(permit);
                });
            }
            Some(Err(e)) => {
                log(WorkerLog::Trouble(e.to_string()));
                deliveries = None;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            None => {
                deliveries = None;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
    // Stop pulling; finish what is held.
    drop(deliveries);
    let _ = slots.acquire_many(options.concurrency.max(1) as u32).await;
    beating.cancel();
    let _ = heart.await;
    cancels.abort();
    let _ = studio_squad::heartbeat(&squad, &beat(&options, &held)).await;
    let _ = client.flush().await;
    Ok(held.report())
}

fn beat(options: &WorkerOptions, held: &Held) -> Heartbeat {
    let jobs = held.jobs();
    let mut beat = Heartbeat::now(&options.worker_id, &options.dept, jobs.len() as u32);
    beat.jobs = jobs;
    beat
}

async fn heartbeats(
    squad: Squad,
    worker_id: String,
    dept: String,
    held: Arc<Held>,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(HEARTBEAT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => return,
        }
        let jobs = held.jobs();
        let mut beat = Heartbeat::now(&worker_id, &dept, jobs.len() as u32);
        beat.jobs = jobs;
        // A missed beat (the broker restarting) is made up by the next one.
        let _ = studio_squad::heartbeat(&squad, &beat).await;
    }
}
