//! Following one run's events as workers publish them: an ordered consumer over
//! `studio.events.<run_id>` that starts again after the last sequence it saw when the broker
//! goes away (a restart, a lost connection), so nothing is missed and nothing is read twice.

use std::time::Duration;

use async_nats::jetstream::consumer::{pull::OrderedConfig, DeliverPolicy};
use futures_util::StreamExt;

use crate::messages::EventEnvelope;
use crate::subjects::events_subject;
use crate::{Result, Squad, SquadError};

type Messages = async_nats::jetstream::consumer::pull::Ordered;

/// The events of one run, in stream order.
pub struct RunEvents {
    squad: Squad,
    subject: String,
    /// The stream sequence to start from when the consumer is made again.
    next_sequence: u64,
    messages: Option<Messages>,
}

impl RunEvents {
    /// Follows `studio.events.<run_id>` from its first message.
    pub fn follow(squad: &Squad, run_id: &str) -> Result<Self> {
        Ok(Self {
            squad: squad.clone(),
            subject: events_subject(run_id)?,
            next_sequence: 0,
            messages: None,
        })
    }

    /// The next event; waits for one. Broker failures are retried here (every 250 ms); a
    /// message that is not an event is skipped with its decoding error.
    pub async fn next(&mut self) -> std::result::Result<EventEnvelope, SquadError> {
        loop {
            let Some(messages) = self.messages.as_mut() else {
                match open(self.squad.clone(), self.subject.clone(), self.next_sequence).await {
                    Ok(m) => self.messages = Some(m),
                    Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
                }
                continue;
            };
            match messages.next().await {
                Some(Ok(message)) => {
                    if let Ok(info) = message.info() {
                        self.next_sequence = info.stream_sequence + 1;
                    }
                    return serde_json::from_slice(&message.payload).map_err(|source| {
                        SquadError::Codec {
                            action: "decode a worker's event",
                            source,
                        }
                    });
                }
                Some(Err(_)) | None => {
                    self.messages = None;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        }
    }
}

/// An ordered consumer over `subject` from `next_sequence` (0: from the start).
async fn open(squad: Squad, subject: String, next_sequence: u64) -> Result<Messages> {
    let deliver_policy = if next_sequence == 0 {
        DeliverPolicy::All
    } else {
        DeliverPolicy::ByStartSequence {
            start_sequence: next_sequence,
        }
    };
    let action = format!("follow {subject}");
    let consumer = squad
        .events
        .create_consumer(OrderedConfig {
            filter_subject: subject,
            deliver_policy,
            ..Default::default()
        })
        .await
        .map_err(SquadError::js(action.clone()))?;
    consumer.messages().await.map_err(SquadError::js(action))
}
