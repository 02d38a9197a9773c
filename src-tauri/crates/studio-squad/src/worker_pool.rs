//! A department's worker pool: one durable pull consumer per department, shared by all its
//! workers, so that each job goes to exactly one of them.
//!
//! Acks are explicit: a job is removed from the work queue only when a worker acks it. A worker
//! that dies (or stalls) past `ack_wait` leaves the job un-acked and the broker delivers it again
//! to the next fetch of any worker of the department. Heartbeats go to a KV bucket whose entries
//! expire, so the list of live workers needs no cleanup.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::{
    consumer::{pull, AckPolicy, Consumer},
    AckKind, Message,
};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::messages::JobEnvelope;
use crate::subjects::{dept_consumer, jobs_subject, validate_name, worker_subject};
use crate::{Result, Squad, SquadError};

/// The pull consumer of one department.
pub struct DeptConsumer {
    dept: String,
    consumer: Consumer<pull::Config>,
}

/// A job handed to this worker, to be acked when done.
pub struct Delivery {
    pub job: JobEnvelope,
    /// How many times the broker has delivered this job (1 the first time).
    pub delivered: i64,
    message: Message,
}

impl DeptConsumer {
    /// Opens (creating or updating) the department's durable consumer. `ack_wait` is how long a
    /// worker may hold a job without acking before it is given to another one.
    pub async fn open(squad: &Squad, dept: &str, ack_wait: Duration) -> Result<Self> {
        let name = dept_consumer(dept)?;
        let consumer = squad
            .jobs
            .create_consumer(pull::Config {
                durable_name: Some(name.clone()),
                description: Some(format!("workers of department {dept}")),
                filter_subject: jobs_subject(dept)?,
                ack_policy: AckPolicy::Explicit,
                ack_wait,
                ..Default::default()
            })
            .await
            .map_err(SquadError::js(format!("create consumer {name}")))?;
        Ok(Self {
            dept: dept.to_string(),
            consumer,
        })
    }

    /// A continuous pull of jobs, at most `in_flight` asked for at a time: a worker that takes
    /// a permit before each [`Deliveries::next`] never holds more jobs than it can run.
    pub async fn deliveries(&self, in_flight: usize) -> Result<Deliveries> {
        let messages = self
            .consumer
            .stream()
            .max_messages_per_batch(in_flight.max(1))
            .messages()
            .await
            .map_err(SquadError::js(format!(
                "pull jobs of department {}",
                self.dept
            )))?;
        Ok(Deliveries { messages })
    }

    /// The department this consumer serves.
    pub fn dept(&self) -> &str {
        &self.dept
    }

    /// Waits up to `wait` for one job; `None` when there was none.
    ///
    /// A message that is not a job envelope is terminated (never redelivered) and reported as an
    /// error: retrying it could only fail again.
    pub async fn fetch(&self, wait: Duration) -> Result<Option<Delivery>> {
        let action = format!("fetch a job of department {}", self.dept);
        let mut batch = self
            .consumer
            .batch()
            .max_messages(1)
            .expires(wait)
            .messages()
            .await
            .map_err(SquadError::js(action.clone()))?;
        let Some(message) = batch.next().await else {
            return Ok(None);
        };
        let message = message.map_err(|source| SquadError::JetStream { action, source })?;
        let delivered = message.info().map(|i| i.delivered).unwrap_or(1);
        match serde_json::from_slice::<JobEnvelope>(&message.payload) {
            Ok(job) => Ok(Some(Delivery {
                job,
                delivered,
                message,
            })),
            Err(source) => {
                let _ = message.ack_with(AckKind::Term).await;
                Err(SquadError::Codec {
                    action: "decode a job",
                    source,
                })
            }
        }
    }
}

/// Jobs as the broker hands them out (see [`DeptConsumer::deliveries`]).
pub struct Deliveries {
    messages: async_nats::jetstream::consumer::pull::Stream,
}

impl Deliveries {
    /// The next job; `None` when the pull ended (the connection is gone: open a new one). A
    /// message that is not a job is terminated (never redelivered) and reported as an error.
    pub async fn next(&mut self) -> Option<Result<Delivery>> {
        let message = match self.messages.next().await? {
            Ok(message) => message,
            Err(source) => {
                return Some(Err(SquadError::JetStream {
                    action: "pull a job".into(),
                    source: Box::new(source),
                }))
            }
        };
        let delivered = message.info().map(|i| i.delivered).unwrap_or(1);
        Some(
            match serde_json::from_slice::<JobEnvelope>(&message.payload) {
                Ok(job) => Ok(Delivery {
                    job,
                    delivered,
                    message,
                }),
                Err(source) => {
                    let _ = message.ack_with(AckKind::Term).await;
                    Err(SquadError::Codec {
                        action: "decode a job",
                        source,
                    })
                }
            },
        )
    }
}

impl Delivery {
    /// Acknowledges the job without waiting for the broker's confirmation (the fast path: a
    /// lost ack means one redelivery, which the control plane ignores once it has the outcome).
    pub async fn ack_now(&self) -> Result<()> {
        self.message.ack().await.map_err(|e| SquadError::JetStream {
            action: "ack a job".into(),
            source: e,
        })
    }

    /// Acks the job and waits for the broker to confirm, after which it is gone from the queue.
    pub async fn ack(&self) -> Result<()> {
        self.message
            .double_ack()
            .await
            .map_err(|e| SquadError::JetStream {
                action: "ack a job".into(),
                source: e,
            })
    }

    /// Tells the broker the job is still being worked on, restarting its `ack_wait`: a step that
    /// runs longer than `ack_wait` is not handed to another worker while this one is alive.
    pub async fn in_progress(&self) -> Result<()> {
        self.message
            .ack_with(AckKind::Progress)
            .await
            .map_err(|source| SquadError::JetStream {
                action: "extend a job's ack_wait".into(),
                source,
            })
    }

    /// Hands the job back un-run (a worker shutting down), so that another worker gets it at
    /// once instead of after `ack_wait`.
    pub async fn give_back(&self) -> Result<()> {
        self.message
            .ack_with(AckKind::Nak(None))
            .await
            .map_err(|source| SquadError::JetStream {
                action: "hand a job back".into(),
                source,
            })
    }
}

/// What a worker says about itself in its heartbeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    pub worker_id: String,
    pub dept: String,
    /// Jobs it is running now.
    pub running: u32,
    /// Seconds since the Unix epoch, when the heartbeat was sent.
    pub at_unix_s: u64,
    /// The jobs it holds right now.
    #[serde(default)]
    pub jobs: Vec<RunningJob>,
}

/// A job a worker holds, as its heartbeat lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningJob {
    pub mission_id: String,
    pub run_id: String,
    pub step_id: String,
    pub attempt: u32,
}

impl Heartbeat {
    /// A heartbeat stamped now.
    pub fn now(worker_id: &str, dept: &str, running: u32) -> Self {
        let at_unix_s = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Self {
            worker_id: worker_id.into(),
            dept: dept.into(),
            running,
            at_unix_s,
            jobs: Vec::new(),
        }
    }
}

/// Records the worker as alive: its KV entry (which expires after the bucket's TTL unless
/// renewed) and a message on `studio.workers.<id>` for whoever watches live.
pub async fn heartbeat(squad: &Squad, beat: &Heartbeat) -> Result<()> {
    let subject = worker_subject(&beat.worker_id)?;
    validate_name("department", &beat.dept)?;
    let value = serde_json::to_vec(beat).map_err(|source| SquadError::Codec {
        action: "encode a heartbeat",
        source,
    })?;
    squad
        .heartbeats
        .put(&beat.worker_id, value.clone().into())
        .await
        .map_err(SquadError::js("record a heartbeat"))?;
    squad
        .js
        .publish(subject, value.into())
        .await
        .map_err(SquadError::js("announce a heartbeat"))?;
    Ok(())
}

/// The last heartbeat of `worker_id`, or `None` when it has expired (or never came).
pub async fn last_heartbeat(squad: &Squad, worker_id: &str) -> Result<Option<Heartbeat>> {
    validate_name("worker", worker_id)?;
    let Some(value) = squad
        .heartbeats
        .get(worker_id)
        .await
        .map_err(SquadError::js("read a heartbeat"))?
    else {
        return Ok(None);
    };
    serde_json::from_slice(&value)
        .map(Some)
        .map_err(|source| SquadError::Codec {
            action: "decode a heartbeat",
            source,
        })
}
