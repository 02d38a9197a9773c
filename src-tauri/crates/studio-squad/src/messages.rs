//! The job and event envelopes as they travel through JetStream, and how they are published.
//!
//! Every message carries the identifiers that tie it back to the history (mission, run, trace,
//! step, attempt) and an idempotency key. The key is sent as `Nats-Msg-Id`, so the broker drops a
//! second publish of the same key within the stream's duplicate window: a control plane that
//! retries after a lost ack never enqueues a job twice.

use async_nats::jetstream::{context::Context, message::PublishMessage};
use serde::{Deserialize, Serialize};

use crate::subjects::{events_subject, jobs_subject};
use crate::{Result, SquadError};

/// One step to run, sent by the control plane to a department's work queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEnvelope {
    pub mission_id: String,
    /// The job id: one run of one step.
    pub run_id: String,
    pub trace_id: String,
    pub step_id: String,
    /// 1 for the first try; the control plane's retries count up.
    pub attempt: u32,
    /// Unique per job attempt; the broker's de-duplication key.
    pub idempotency_key: String,
    /// The department whose workers may run it.
    pub dept: String,
    /// False for steps with external side effects: a redelivery must not run them again.
    pub idempotent: bool,
    /// The step itself, as the engine describes it.
    #[serde(default)]
    pub payload: serde_json::Value,
}

/// Something a worker reports about a job (started, output, finished...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    pub mission_id: String,
    pub run_id: String,
    pub trace_id: String,
    pub step_id: String,
    pub attempt: u32,
    /// Unique per event; the store ignores a duplicate key, the broker drops a duplicate publish.
    pub idempotency_key: String,
    /// The event's type, e.g. `step.started`.
    pub kind: String,
    /// The worker that sent it.
    pub worker_id: String,
    #[serde(default)]
    pub payload: serde_json::Value,
}

/// What the broker said about a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// The message's sequence in its stream (the first one's, for a duplicate).
    pub sequence: u64,
    /// True when the broker had already seen this idempotency key and dropped the message.
    pub duplicate: bool,
}

/// Sends a job to `studio.jobs.<dept>` and waits for the broker's ack.
pub async fn publish_job(js: &Context, job: &JobEnvelope) -> Result<Published> {
    let subject = jobs_subject(&job.dept)?;
    publish(js, subject, &job.idempotency_key, job, "encode a job").await
}

/// Sends an event to `studio.events.<run_id>` and waits for the broker's ack.
pub async fn publish_event(js: &Context, event: &EventEnvelope) -> Result<Published> {
    let subject = events_subject(&event.run_id)?;
    publish(
        js,
        subject,
        &event.idempotency_key,
        event,
        "encode an event",
    )
    .await
}

/// Sends an event to `studio.events.<run_id>` without waiting for the broker's ack: the
/// returned future waits for it. Events sent so from one connection keep their order.
pub async fn send_event(
    js: &Context,
    event: &EventEnvelope,
) -> Result<impl std::future::Future<Output = Result<Published>>> {
    let subject = events_subject(&event.run_id)?;
    let payload = serde_json::to_vec(event).map_err(|source| SquadError::Codec {
        action: "encode an event",
        source,
    })?;
    let message = PublishMessage::build()
        .payload(payload.into())
        .message_id(event.idempotency_key.as_str());
    let action = format!("publish to {subject}");
    let ack = js
        .send_publish(subject, message)
        .await
        .map_err(SquadError::js(action.clone()))?;
    Ok(async move {
        let ack = ack.await.map_err(SquadError::js(action))?;
        Ok(Published {
            sequence: ack.sequence,
            duplicate: ack.duplicate,
        })
    })
}

async fn publish<T: Serialize>(
    js: &Context,
    subject: String,
    idempotency_key: &str,
    body: &T,
    what: &'static str,
) -> Result<Published> {
    let payload = serde_json::to_vec(body).map_err(|source| SquadError::Codec {
        action: what,
        source,
    })?;
    let message = PublishMessage::build()
        .payload(payload.into())
        .message_id(idempotency_key);
    let action = format!("publish to {subject}");
    let ack = js
        .send_publish(subject, message)
        .await
        .map_err(SquadError::js(action.clone()))?
        .await
        .map_err(SquadError::js(action))?;
    Ok(Published {
        sequence: ack.sequence,
        duplicate: ack.duplicate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_round_trips_through_json() {
        let job = JobEnvelope {
            mission_id: "m".into(),
            run_id: "r".into(),
            trace_id: "t".into(),
            step_id: "s".into(),
            attempt: 1,
            idempotency_key: "k".into(),
            dept: "ops".into(),
            idempotent: false,
            payload: serde_json::json!({"type": "command"}),
        };
        let text = serde_json::to_string(&job).unwrap();
        assert_eq!(serde_json::from_str::<JobEnvelope>(&text).unwrap(), job);
    }
}
