//! The Mission Envelope v1 on the wire (DESIGN §13): the subjects, the streams and the bucket
//! that carry dispatches, cancels and lifecycle events between a control plane and the VP
//! workers. What a payload means is the API's business; this module only moves bytes.
//!
//! - `envelope.dispatch.<vp_id>`: dispatch payloads, in the work-queue stream
//!   [`DISPATCH_STREAM`] (file storage, duplicate window): a dispatch made while no worker runs
//!   waits there, and a second publish of one idempotency key (`Nats-Msg-Id`) is dropped;
//! - `envelope.cancel.<mission_id>`: cancel requests, in [`CONTROL_STREAM`], kept for a day so
//!   that a cancel sent before the worker looks is still seen;
//! - `envelope.events.<mission_id>`: lifecycle events, in [`EVENTS_STREAM`], so a follower that
//!   comes late (`mission dispatch --wait`, a repeated dispatch) reads them from the start;
//! - [`ACCEPTED_BUCKET`]: create-only markers of the accepted idempotency keys, so a repeat
//!   after the broker's duplicate window is still one mission.
//!
//! A VP id may hold `.` (`vp.coder.primary`): it is then several subject tokens, which an exact
//! filter still tells apart. Wildcards, whitespace and empty tokens are refused. A mission id
//! must be one token.

use std::time::Duration;

use async_nats::jetstream::{
    consumer::{pull, AckPolicy, Consumer, DeliverPolicy},
    context::Context,
    kv::{self, CreateErrorKind},
    message::PublishMessage,
    stream::{self, RetentionPolicy, StorageType},
    AckKind, Message,
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use crate::started::marker_key;
use crate::{Published, Result, SquadError};

/// The work-queue stream of dispatch payloads.
pub const DISPATCH_STREAM: &str = "ENVELOPE_DISPATCH";
/// The stream of cancel requests.
pub const CONTROL_STREAM: &str = "ENVELOPE_CONTROL";
/// The stream of lifecycle events.
pub const EVENTS_STREAM: &str = "ENVELOPE_EVENTS";
/// The KV bucket of accepted idempotency keys.
pub const ACCEPTED_BUCKET: &str = "envelope_accepted";

/// The tunable parts of the envelope resources.
#[derive(Debug, Clone)]
pub struct EnvelopeWireConfig {
    /// How long the broker remembers a dispatch's or event's idempotency key.
    pub duplicate_window: Duration,
    /// How long events stay readable.
    pub events_max_age: Duration,
    /// How long cancel requests are kept.
    pub control_max_age: Duration,
    /// How long an accepted idempotency key is remembered.
    pub accepted_max_age: Duration,
}

impl Default for EnvelopeWireConfig {
    fn default() -> Self {
        Self {
            duplicate_window: Duration::from_secs(120),
            events_max_age: Duration::from_secs(7 * 24 * 3600),
            control_max_age: Duration::from_secs(24 * 3600),
            accepted_max_age: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// `envelope.dispatch.<vp_id>`.
pub fn dispatch_subject(vp_id: &str) -> Result<String> {
    validate_vp_id(vp_id)?;
    Ok(format!("envelope.dispatch.{vp_id}"))
}

/// `envelope.events.<mission_id>`.
pub fn events_subject(mission_id: &str) -> Result<String> {
    validate_mission_id(mission_id)?;
    Ok(format!("envelope.events.{mission_id}"))
}

/// `envelope.cancel.<mission_id>`.
pub fn cancel_subject(mission_id: &str) -> Result<String> {
    validate_mission_id(mission_id)?;
    Ok(format!("envelope.cancel.{mission_id}"))
}

/// The durable consumer shared by the workers of one VP.
pub fn vp_consumer(vp_id: &str) -> Result<String> {
    validate_vp_id(vp_id)?;
    Ok(format!("vp_{}", marker_key(vp_id)))
}

/// A VP id: tokens separated by `.`, each of printable ASCII without wildcards.
pub fn validate_vp_id(vp_id: &str) -> Result<()> {
    if vp_id.is_empty() {
        return Err(invalid("VP", vp_id, "it is empty".into()));
    }
    for token in vp_id.split('.') {
        if token.is_empty() {
            return Err(invalid(
                "VP",
                vp_id,
                "it has an empty part (a leading, trailing or doubled '.')".into(),
            ));
        }
        check_token("VP", vp_id, token)?;
    }
    Ok(())
}

/// A mission id: one subject token of printable ASCII, without `.` or wildcards.
pub fn validate_mission_id(mission_id: &str) -> Result<()> {
    if mission_id.is_empty() {
        return Err(invalid("mission", mission_id, "it is empty".into()));
    }
    if mission_id.contains('.') {
        return Err(invalid(
            "mission",
            mission_id,
            "it contains '.', the subject separator".into(),
        ));
    }
    check_token("mission", mission_id, mission_id)
}

fn check_token(kind: &'static str, name: &str, token: &str) -> Result<()> {
    for c in token.chars() {
        let reason = match c {
            '*' => "it contains '*', a subject wildcard".to_string(),
            '>' => "it contains '>', a subject wildcard".to_string(),
            c if c.is_whitespace() => format!("it contains whitespace ({c:?})"),
            c if c.is_ascii_graphic() => continue,
            c => format!("it contains {c:?}; use printable ASCII"),
        };
        return Err(invalid(kind, name, reason));
    }
    Ok(())
}

fn invalid(kind: &'static str, name: &str, reason: String) -> SquadError {
    SquadError::InvalidName {
        kind,
        name: name.to_string(),
        reason,
    }
}

/// The envelope resources, all created.
#[derive(Clone)]
pub struct EnvelopeWire {
    pub js: Context,
    pub dispatch: stream::Stream,
    pub control: stream::Stream,
    pub events: stream::Stream,
    pub accepted: kv::Store,
}

impl EnvelopeWire {
    /// Creates what is missing (idempotent) and returns the handles.
    pub async fn ensure(js: Context, config: &EnvelopeWireConfig) -> Result<Self> {
        let dispatch = js
            .get_or_create_stream(stream::Config {
                name: DISPATCH_STREAM.into(),
                description: Some("Mission Envelope v1 dispatches, one subject per VP".into()),
                subjects: vec!["envelope.dispatch.>".into()],
                retention: RetentionPolicy::WorkQueue,
                storage: StorageType::File,
                duplicate_window: config.duplicate_window,
                ..Default::default()
            })
            .await
            .map_err(SquadError::js("create the envelope dispatch stream"))?;
        let control = js
            .get_or_create_stream(stream::Config {
                name: CONTROL_STREAM.into(),
                description: Some("Mission Envelope v1 cancel requests".into()),
                subjects: vec!["envelope.cancel.>".into()],
                storage: StorageType::File,
                max_age: config.control_max_age,
                duplicate_window: config.duplicate_window,
                ..Default::default()
            })
            .await
            .map_err(SquadError::js("create the envelope control stream"))?;
        let events = js
            .get_or_create_stream(stream::Config {
                name: EVENTS_STREAM.into(),
                description: Some("Mission Envelope v1 lifecycle events".into()),
                subjects: vec!["envelope.events.>".into()],
                storage: StorageType::File,
                max_age: config.events_max_age,
                duplicate_window: config.duplicate_window,
                ..Default::default()
            })
            .await
            .map_err(SquadError::js("create the envelope events stream"))?;
        let accepted = crate::setup::bucket(
            &js,
            ACCEPTED_BUCKET,
            config.accepted_max_age,
            "accepted envelope keys",
        )
        .await?;
        Ok(Self {
            js,
            dispatch,
            control,
            events,
            accepted,
        })
    }

    /// Publishes a dispatch payload to `envelope.dispatch.<vp_id>` with `Nats-Msg-Id` =
    /// `idempotency_key`.
    pub async fn publish_dispatch(
        &self,
        vp_id: &str,
        idempotency_key: &str,
        payload: Vec<u8>,
    ) -> Result<Published> {
        publish(&self.js, dispatch_subject(vp_id)?, idempotency_key, payload).await
    }

    /// Publishes a lifecycle event to `envelope.events.<mission_id>`.
    pub async fn publish_event(
        &self,
        mission_id: &str,
        idempotency_key: &str,
        payload: Vec<u8>,
    ) -> Result<Published> {
        publish(
            &self.js,
            events_subject(mission_id)?,
            idempotency_key,
            payload,
        )
        .await
    }

    /// Publishes a cancel request to `envelope.cancel.<mission_id>`.
    pub async fn publish_cancel(&self, mission_id: &str, payload: Vec<u8>) -> Result<Published> {
        let key = format!("cancel/{mission_id}");
        publish(&self.js, cancel_subject(mission_id)?, &key, payload).await
    }

    /// Records that `idempotency_key` was accepted as `mission_id`. `Ok(None)` the first time;
    /// `Ok(Some(mission_id))` (the earlier mission) for a repeat.
    pub async fn mark_accepted(
        &self,
        idempotency_key: &str,
        mission_id: &str,
    ) -> Result<Option<String>> {
        let key = marker_key(idempotency_key);
        match self
            .accepted
            .create(&key, Bytes::from(mission_id.to_string()))
            .await
        {
            Ok(_) => Ok(None),
            Err(e) if e.kind() == CreateErrorKind::AlreadyExists => {
                let earlier = self
                    .accepted
                    .get(&key)
                    .await
                    .map_err(SquadError::js("read an accepted envelope key"))?
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
                    .unwrap_or_default();
                Ok(Some(earlier))
            }
            Err(e) => Err(SquadError::js("record an accepted envelope key")(e)),
        }
    }

    /// Every event of `mission_id`, from the first one, then live.
    pub async fn follow_events(&self, mission_id: &str) -> Result<impl Stream<Item = Bytes>> {
        follow(&self.events, events_subject(mission_id)?, "follow events").await
    }

    /// Every cancel request of `mission_id`, from the first one, then live.
    pub async fn follow_cancels(&self, mission_id: &str) -> Result<impl Stream<Item = Bytes>> {
        follow(&self.control, cancel_subject(mission_id)?, "follow cancels").await
    }
}

/// An ephemeral consumer of one subject that reads it from its first message, without acks.
async fn follow(
    stream: &stream::Stream,
    subject: String,
    what: &str,
) -> Result<impl Stream<Item = Bytes>> {
    let action = format!("{what} on {subject}");
    let consumer: Consumer<pull::Config> = stream
        .create_consumer(pull::Config {
            filter_subject: subject,
            deliver_policy: DeliverPolicy::All,
            ack_policy: AckPolicy::None,
            inactive_threshold: Duration::from_secs(60),
            ..Default::default()
        })
        .await
        .map_err(SquadError::js(action.clone()))?;
    let messages = consumer.messages().await.map_err(SquadError::js(action))?;
    Ok(messages.filter_map(|m| async move { m.ok().map(|m| m.payload.clone()) }))
}

async fn publish(
    js: &Context,
    subject: String,
    idempotency_key: &str,
    payload: Vec<u8>,
) -> Result<Published> {
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

/// The pull consumer of one VP's dispatches, shared by all its workers.
pub struct DispatchConsumer {
    vp_id: String,
    consumer: Consumer<pull::Config>,
}

/// A dispatch handed to this worker.
pub struct DispatchDelivery {
    /// The payload as published (not yet validated).
    pub payload: Bytes,
    /// How many times the broker delivered it (1 the first time).
    pub delivered: i64,
    message: Message,
}

impl DispatchConsumer {
    /// Opens (creating) the VP's durable consumer.
    pub async fn open(wire: &EnvelopeWire, vp_id: &str, ack_wait: Duration) -> Result<Self> {
        let name = vp_consumer(vp_id)?;
        let consumer = wire
            .dispatch
            .create_consumer(pull::Config {
                durable_name: Some(name.clone()),
                description: Some(format!("envelope workers of VP {vp_id}")),
                filter_subject: dispatch_subject(vp_id)?,
                ack_policy: AckPolicy::Explicit,
                ack_wait,
                ..Default::default()
            })
            .await
            .map_err(SquadError::js(format!("create consumer {name}")))?;
        Ok(Self {
            vp_id: vp_id.to_string(),
            consumer,
        })
    }

    /// Waits up to `wait` for one dispatch.
    pub async fn fetch(&self, wait: Duration) -> Result<Option<DispatchDelivery>> {
        let action = format!("fetch a dispatch of VP {}", self.vp_id);
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
        Ok(Some(DispatchDelivery {
            payload: message.payload.clone(),
            delivered,
            message,
        }))
    }
}

impl DispatchDelivery {
    /// Acks the dispatch (it leaves the queue), confirmed by the broker.
    pub async fn ack(&self) -> Result<()> {
        self.message
            .double_ack()
            .await
            .map_err(|source| SquadError::JetStream {
                action: "ack a dispatch".into(),
                source,
            })
    }

    /// Hands the dispatch back un-run, for another worker at once.
    pub async fn give_back(&self) -> Result<()> {
        self.message
            .ack_with(AckKind::Nak(None))
            .await
            .map_err(|source| SquadError::JetStream {
                action: "hand a dispatch back".into(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_subjects_follow_the_design() {
        assert_eq!(
            dispatch_subject("vp.coder.primary").unwrap(),
            "envelope.dispatch.vp.coder.primary"
        );
        assert_eq!(events_subject("m-1").unwrap(), "envelope.events.m-1");
        assert_eq!(cancel_subject("m:1").unwrap(), "envelope.cancel.m:1");
        assert_eq!(vp_consumer("vp.a").unwrap(), "vp_vp=2Ea");
    }

    #[test]
    fn bad_vp_and_mission_ids_are_refused() {
        for bad in ["", "vp..a", ".vp", "vp.", "vp.*", "vp >", "v p"] {
            assert!(dispatch_subject(bad).is_err(), "{bad:?}");
        }
        for bad in ["", "m.1", "m*", "m 1", "m>"] {
            let err = events_subject(bad).unwrap_err().to_string();
            assert!(err.contains("mission"), "{bad:?}: {err}");
        }
    }
}
