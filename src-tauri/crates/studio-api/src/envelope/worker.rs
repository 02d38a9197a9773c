//! `mission worker --envelope --vp VP_ID`: the loop that takes a VP's dispatches.
//!
//! Each dispatch is checked first: a bad payload becomes one `mission.failed` event (on the
//! mission's subject when its id can be read, else on `envelope.events.invalid-<hash>`) and is
//! removed from the queue, never retried. A good one is recorded as accepted (create-only key
//! of its idempotency key) before it is acked: a repeat, inside or after the broker's duplicate
//! window, finds the key and runs nothing (its events are already on the mission's subject).
//! A mission id is accepted once too: a dispatch that reuses one under another key is refused
//! (logged), since its events would mix with the first mission's.
//! Then the mission runs in its own task, up to `concurrency` at once.

use std::sync::Arc;
use std::time::Duration;

use studio_engine::CancellationToken;
use studio_squad::{DispatchConsumer, EnvelopeWire, EnvelopeWireConfig};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::callback::CallbackPolicy;
use super::event::{self, WireEvent};
use super::payload::{self, Identity};
use super::run::{run_dispatch, MissionContext};
use super::Log;
use crate::{ApiError, ErrorCode, StudioApi};

/// How an envelope worker runs.
#[derive(Debug, Clone)]
pub struct EnvelopeWorkerConfig {
    pub nats_url: String,
    pub vp_id: String,
    pub worker_id: String,
    /// Missions run at once.
    pub concurrency: usize,
    /// How long the broker waits for a dispatch's ack before giving it to another worker.
    pub ack_wait: Duration,
    /// How long one fetch waits for a dispatch (also how soon a shutdown is noticed).
    pub fetch_wait: Duration,
    pub callback: CallbackPolicy,
    pub wire: EnvelopeWireConfig,
}

impl EnvelopeWorkerConfig {
    pub fn new(nats_url: &str, vp_id: &str, worker_id: &str) -> Self {
        Self {
            nats_url: nats_url.to_string(),
            vp_id: vp_id.to_string(),
            worker_id: worker_id.to_string(),
            concurrency: 4,
            ack_wait: Duration::from_secs(30),
            fetch_wait: Duration::from_secs(1),
            callback: CallbackPolicy::default(),
            wire: EnvelopeWireConfig::default(),
        }
    }
}

/// Connects to the broker and sets up the envelope streams.
pub async fn connect_wire(
    url: &str,
    config: &EnvelopeWireConfig,
) -> Result<EnvelopeWire, ApiError> {
    let js = studio_squad::connect(url)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))?;
    EnvelopeWire::ensure(js, config)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))
}

impl StudioApi {
    /// Takes the VP's dispatches until `shutdown`, then lets the running missions finish.
    pub async fn envelope_worker(
        &self,
        config: &EnvelopeWorkerConfig,
        shutdown: CancellationToken,
        log: Log,
    ) -> Result<(), ApiError> {
        studio_squad::envelope_wire::validate_vp_id(&config.vp_id)
            .map_err(|e| ApiError::new(ErrorCode::InvalidInput, e.to_string()))?;
        let wire = connect_wire(&config.nats_url, &config.wire).await?;
        let consumer = DispatchConsumer::open(&wire, &config.vp_id, config.ack_wait)
            .await
            .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))?;
        let ctx = MissionContext {
            api: self.clone(),
            wire: wire.clone(),
            worker_id: config.worker_id.clone(),
            callback: config.callback,
            log: Arc::clone(&log),
        };
        let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
        let mut running = JoinSet::new();
        log(&format!(
            "worker {} takes the dispatches of VP {} (envelope.dispatch.{})",
            config.worker_id, config.vp_id, config.vp_id
        ));
        while !shutdown.is_cancelled() {
            while running.try_join_next().is_some() {}
            let permit = tokio::select! {
                p = Arc::clone(&slots).acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
                _ = shutdown.cancelled() => break,
            };
            let delivery = tokio::select! {
                d = consumer.fetch(config.fetch_wait) => d,
                _ = shutdown.cancelled() => break,
            };
            let delivery = match delivery {
                Ok(Some(d)) => d,
                Ok(None) => continue,
                Err(e) => {
                    log(&format!("warning: {e}; trying again"));
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            let origin = format!("dispatch to {}", config.vp_id);
            let dispatch = match payload::parse(&delivery.payload, &origin) {
                Ok(d) => d,
                Err(e) => {
                    log(&format!("warning: refused a dispatch: {e}"));
                    reject(&wire, config, &delivery.payload, &e, &log).await;
                    let _ = delivery.ack().await;
                    continue;
                }
            };
            if dispatch.ids.vp_id != config.vp_id {
                log(&format!(
                    "warning: mission {} names VP {} but came on {}'s subject; its events say {}",
                    dispatch.ids.mission_id, dispatch.ids.vp_id, config.vp_id, dispatch.ids.vp_id
                ));
            }
            match wire
                .mark_accepted(&dispatch.ids.idempotency_key, &dispatch.ids.mission_id)
                .await
            {
                Ok(None) => {}
                Ok(Some(earlier)) => {
                    log(&format!(
                        "note: a repeated dispatch (idempotency_key {}) is mission {earlier}, \
                         already accepted: nothing new is run",
                        dispatch.ids.idempotency_key
                    ));
                    let _ = delivery.ack().await;
                    continue;
                }
                Err(e) => {
                    log(&format!("warning: {e}; the dispatch is handed back"));
                    let _ = delivery.give_back().await;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            }
            // A mission id is run once: another dispatch reusing it (with another key) would
            // mix its events with the first one's.
            let mission_key = format!("mission-id/{}", dispatch.ids.mission_id);
            if let Ok(Some(_)) = wire
                .mark_accepted(&mission_key, &dispatch.ids.idempotency_key)
                .await
            {
                log(&format!(
                    "warning: refused a dispatch (idempotency_key {}): mission id {} was already \
                     accepted for another dispatch; give each mission its own mission_id",
                    dispatch.ids.idempotency_key, dispatch.ids.mission_id
                ));
                let _ = delivery.ack().await;
                continue;
            }
            if let Err(e) = delivery.ack().await {
                log(&format!("warning: {e}"));
            }
            log(&format!(
                "mission {} accepted (trace {})",
                dispatch.ids.mission_id, dispatch.ids.trace_id
            ));
            let ctx = ctx.clone();
            running.spawn(async move {
                run_dispatch(ctx, dispatch).await;
                drop(permit);
            });
        }
        while running.join_next().await.is_some() {}
        Ok(())
    }
}

/// The one event of a refused dispatch: `mission.failed`, saying which field is wrong.
async fn reject(
    wire: &EnvelopeWire,
    config: &EnvelopeWorkerConfig,
    bytes: &[u8],
    error: &payload::PayloadError,
    log: &Log,
) {
    let raw: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    let text = |k: &str| {
        raw.get(k)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let hash = studio_core::hash::sha256_of(bytes);
    let hex: String = hash
        .trim_start_matches("sha256:")
        .chars()
        .take(16)
        .collect();
    let mission_id = text("mission_id")
        .filter(|m| studio_squad::envelope_wire::validate_mission_id(m).is_ok())
        .unwrap_or_else(|| format!("invalid-{hex}"));
    let vp_id = text("vp_id").unwrap_or_else(|| config.vp_id.clone());
    let ids = Identity {
        mission_id: mission_id.clone(),
        vp_session_id: text("vp_session_id"),
        vp_runtime_id: text("vp_runtime_id"),
        trace_id: text("trace_id").unwrap_or_default(),
        idempotency_key: text("idempotency_key").unwrap_or_else(|| format!("invalid-{hex}")),
        vp_id: vp_id.clone(),
    };
    let session = super::session::session_id(&vp_id, ids.vp_session_id.as_deref());
    let mut e = WireEvent::new(
        &ids,
        &session,
        event::FAILED,
        "failed",
        format!("refused: invalid dispatch payload: {error}"),
        "final",
    );
    e.seq = 1;
    e.reason = Some(format!("invalid_payload: `{}`", error.field));
    e.next_action = Some(format!(
        "fix `{}` in the payload and dispatch again",
        error.field
    ));
    e.worker_id = Some(config.worker_id.clone());
    let body = serde_json::to_vec(&e).unwrap_or_default();
    if let Err(err) = wire
        .publish_event(&mission_id, &e.idempotency_key, body)
        .await
    {
        log(&format!(
            "warning: the refusal of {mission_id} could not be published: {err}"
        ));
    }
}
