//! The control plane's side: `mission dispatch` and `mission cancel`, and following a
//! mission's events until its final one.

use futures_util::{Stream, StreamExt};
use serde_json::json;

use super::event::WireEvent;
use super::payload::Dispatch;
use super::worker::connect_wire;
use crate::{ApiError, ErrorCode};
use studio_squad::EnvelopeWireConfig;

/// What a dispatch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatched {
    pub mission_id: String,
    pub vp_id: String,
    pub idempotency_key: String,
    /// The broker already had this idempotency key (inside its duplicate window): nothing new
    /// was queued.
    pub duplicate: bool,
}

/// Publishes a checked dispatch (see [`super::parse`]) to `envelope.dispatch.<vp_id>`.
pub async fn dispatch(url: &str, dispatch: &Dispatch) -> Result<Dispatched, ApiError> {
    let wire = connect_wire(url, &EnvelopeWireConfig::default()).await?;
    let published = wire
        .publish_dispatch(
            &dispatch.ids.vp_id,
            &dispatch.ids.idempotency_key,
            dispatch.to_bytes(),
        )
        .await
        .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))?;
    Ok(Dispatched {
        mission_id: dispatch.ids.mission_id.clone(),
        vp_id: dispatch.ids.vp_id.clone(),
        idempotency_key: dispatch.ids.idempotency_key.clone(),
        duplicate: published.duplicate,
    })
}

/// Asks the worker running `mission_id` to cancel it (kept for a day: a mission that has not
/// started yet is cancelled when it does).
pub async fn cancel(url: &str, mission_id: &str) -> Result<(), ApiError> {
    studio_squad::envelope_wire::validate_mission_id(mission_id)
        .map_err(|e| ApiError::new(ErrorCode::InvalidInput, e.to_string()))?;
    let wire = connect_wire(url, &EnvelopeWireConfig::default()).await?;
    let body = json!({
        "mission_id": mission_id,
        "requested_at": chrono::Utc::now().to_rfc3339(),
    });
    wire.publish_cancel(mission_id, serde_json::to_vec(&body).unwrap_or_default())
        .await
        .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))?;
    Ok(())
}

/// A mission's events, from the first, then live.
pub struct Follower {
    stream: std::pin::Pin<Box<dyn Stream<Item = WireEvent> + Send>>,
    // The connection lives as long as the follower.
    _wire: studio_squad::EnvelopeWire,
}

impl Follower {
    /// The next event; `None` when the broker ended the stream.
    pub async fn next(&mut self) -> Option<WireEvent> {
        self.stream.next().await
    }
}

/// Follows every event of `mission_id`, from the first one, then live.
pub async fn follow(url: &str, mission_id: &str) -> Result<Follower, ApiError> {
    let wire = connect_wire(url, &EnvelopeWireConfig::default()).await?;
    let stream = wire
        .follow_events(mission_id)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))?;
    let events =
        stream.filter_map(|bytes| async move { serde_json::from_slice::<WireEvent>(&bytes).ok() });
    Ok(Follower {
        stream: Box::pin(events),
        _wire: wire,
    })
}

/// Checks that `mission_id` can be cancelled (one subject token), before connecting.
pub fn check_mission_id(mission_id: &str) -> Result<(), ApiError> {
    studio_squad::envelope_wire::validate_mission_id(mission_id)
        .map_err(|e| ApiError::new(ErrorCode::InvalidInput, e.to_string()))
}
