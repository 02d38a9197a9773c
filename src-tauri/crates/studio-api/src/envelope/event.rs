//! The lifecycle event on the wire: the seed's minimum payload plus what a follower needs to
//! act on it (`seq`, the run, the step, the reason and, on the final event, the next action).

use serde::{Deserialize, Serialize};
use studio_engine::Usage;

use super::payload::Identity;

/// The eight event types of the seed.
pub const ACCEPTED: &str = "mission.accepted";
pub const PROGRESS: &str = "mission.progress";
pub const BLOCKED: &str = "mission.blocked";
pub const ARTIFACT: &str = "mission.artifact";
pub const COMPLETED: &str = "mission.completed";
pub const FAILED: &str = "mission.failed";
pub const CANCELLED: &str = "mission.cancelled";
pub const TIMED_OUT: &str = "mission.timed_out";

/// What a mission has consumed, in the seed's units.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct WireUsage {
    pub runtime_minutes: f64,
    pub llm_calls: u64,
    pub estimated_cost_usd: f64,
}

impl From<Usage> for WireUsage {
    fn from(u: Usage) -> Self {
        Self {
            runtime_minutes: u.runtime_ms as f64 / 60_000.0,
            llm_calls: u.llm_calls,
            estimated_cost_usd: u.cost_usd,
        }
    }
}

/// One lifecycle event, as published on `envelope.events.<mission_id>` and posted to the
/// callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireEvent {
    pub mission_id: String,
    pub vp_id: String,
    pub vp_session_id: String,
    #[serde(default)]
    pub vp_runtime_id: Option<String>,
    pub event_type: String,
    /// `queued | running | blocked | completed | failed | cancelled | timed_out`.
    pub status: String,
    pub summary: String,
    #[serde(default)]
    pub artifact_refs: Vec<String>,
    pub usage: WireUsage,
    /// The dispatch's trace id.
    pub trace_id: String,
    /// Unique per event, the same when the event is sent again.
    pub idempotency_key: String,
    pub emitted_at: String,
    /// Counts the mission's events from 1, without gaps.
    #[serde(default)]
    pub seq: u64,
    /// The history's run, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    /// Why the mission ended (or is blocked) as it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// On the final event: what the control plane should do next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_action: Option<String>,
    /// On the final event: the run's evidence folder on the worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_dir: Option<String>,
    /// The worker that sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
}

impl WireEvent {
    /// A new event of `event_type` for the mission of `ids` (in session `session`).
    pub fn new(
        ids: &Identity,
        session: &str,
        event_type: &str,
        status: &str,
        summary: impl Into<String>,
        key_suffix: &str,
    ) -> Self {
        Self {
            mission_id: ids.mission_id.clone(),
            vp_id: ids.vp_id.clone(),
            vp_session_id: session.to_string(),
            vp_runtime_id: ids.vp_runtime_id.clone(),
            event_type: event_type.to_string(),
            status: status.to_string(),
            summary: summary.into(),
            artifact_refs: Vec::new(),
            usage: WireUsage::default(),
            trace_id: ids.trace_id.clone(),
            idempotency_key: format!("{}/{key_suffix}", ids.mission_id),
            emitted_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            seq: 0,
            run_id: None,
            step_id: None,
            reason: None,
            next_action: None,
            evidence_dir: None,
            worker_id: None,
        }
    }

    /// Whether it closes the mission.
    pub fn is_final(&self) -> bool {
        is_final(&self.event_type)
    }
}

/// Whether `event_type` closes a mission.
pub fn is_final(event_type: &str) -> bool {
    matches!(event_type, COMPLETED | FAILED | CANCELLED | TIMED_OUT)
}

/// The final event type for a final status (`completed`, `cancelled`, `timed_out`, else failed).
pub fn final_type(status: &str) -> &'static str {
    match status {
        "completed" => COMPLETED,
        "cancelled" => CANCELLED,
        "timed_out" => TIMED_OUT,
        _ => FAILED,
    }
}
