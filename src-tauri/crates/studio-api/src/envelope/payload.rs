//! Reading a Mission Envelope v1 dispatch payload: the checks both sides make (`mission
//! dispatch` before publishing, the worker on receipt), the identifiers derived when absent, and
//! the native mission from the import (`studio_core::import::envelope`).
//!
//! Derived values are the same on both sides: a missing `idempotency_key` is
//! `derived-<sha256 of the payload without it>`, a missing `mission_id` comes from the VP and
//! that key (the import's rule), a missing `trace_id` from the key.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::time::Duration;
use studio_core::import::envelope::{AutonomyWindow, Callback, ReportCadence};
use studio_core::{Mission, Severity};

/// The seed's default heartbeat interval.
pub const DEFAULT_HEARTBEAT_SECONDS: u64 = 300;

/// A payload that cannot be dispatched, and which field says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: `{field}`: {message}")]
pub struct PayloadError {
    /// The file or subject the payload came from.
    pub origin: String,
    /// The payload's field (`vp_id`, `autonomy_window.start_at`...), or `payload` for the whole.
    pub field: String,
    pub message: String,
}

/// Who a mission's events speak for: the identifiers every event carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub mission_id: String,
    pub vp_id: String,
    /// `None` when the dispatch did not name one: the worker allocates it.
    pub vp_session_id: Option<String>,
    pub vp_runtime_id: Option<String>,
    pub trace_id: String,
    pub idempotency_key: String,
}

/// The hours a mission may run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    pub start_at: Option<DateTime<Utc>>,
    pub end_at: Option<DateTime<Utc>>,
}

/// Where each lifecycle event is posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackTarget {
    pub status_url: String,
    /// The name of the environment variable holding the bearer token (`env://NAME`).
    pub token_env: Option<String>,
}

/// A checked dispatch payload.
#[derive(Debug, Clone)]
pub struct Dispatch {
    pub ids: Identity,
    /// The payload as it travels (with the derived idempotency key and trace id written in).
    pub payload: Value,
    /// The native mission the import made of it.
    pub mission: Mission,
    /// `None`: no heartbeats (`heartbeat_interval_seconds: 0`).
    pub heartbeat: Option<Duration>,
    pub cadence: ReportCadence,
    pub window: Window,
    pub callback: Option<CallbackTarget>,
    pub success_criteria: Vec<String>,
    pub required_outputs: Vec<String>,
    /// What the import warned about (unknown keys), one line each.
    pub warnings: Vec<String>,
}

impl Dispatch {
    /// The payload's bytes as they are published.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.payload).unwrap_or_default()
    }
}

/// Checks `bytes` as a dispatch payload read from `origin`.
pub fn parse(bytes: &[u8], origin: &str) -> Result<Dispatch, PayloadError> {
    let err = |field: &str, message: String| PayloadError {
        origin: origin.to_string(),
        field: field.to_string(),
        message,
    };
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        err(
            "payload",
            format!("not JSON ({e}); a dispatch payload is one JSON object"),
        )
    })?;
    let Value::Object(mut top) = value else {
        return Err(err("payload", "a dispatch payload is a JSON object".into()));
    };
    let vp_id = required_text(&top, "vp_id").map_err(|m| err("vp_id", m))?;
    studio_squad::envelope_wire::validate_vp_id(&vp_id).map_err(|e| err("vp_id", e.to_string()))?;
    required_text(&top, "objective").map_err(|m| err("objective", m))?;
    for field in [
        "mission_id",
        "vp_session_id",
        "vp_runtime_id",
        "idempotency_key",
        "trace_id",
    ] {
        optional_text(&top, field).map_err(|m| err(field, m))?;
    }
    let idempotency_key = match optional_text(&top, "idempotency_key").ok().flatten() {
        Some(key) => key,
        None => {
            top.remove("idempotency_key");
            let key = derived_key(&top);
            top.insert("idempotency_key".into(), Value::String(key.clone()));
            key
        }
    };
    let trace_id = match optional_text(&top, "trace_id").ok().flatten() {
        Some(t) => t,
        None => {
            let t = studio_core::hash::sha256_of(format!("trace:{idempotency_key}").as_bytes());
            let t: String = t
                .trim_start_matches("sha256:")
                .chars()
                .take(32)
                .collect::<String>();
            top.insert("trace_id".into(), Value::String(t.clone()));
            t
        }
    };
    let window = match top.get("autonomy_window").filter(|v| !v.is_null()) {
        None => Window::default(),
        Some(v) => {
            let w: AutonomyWindow = serde_json::from_value(v.clone())
                .map_err(|e| err("autonomy_window", e.to_string()))?;
            let start_at =
                timestamp(w.start_at.as_deref()).map_err(|m| err("autonomy_window.start_at", m))?;
            let end_at =
                timestamp(w.end_at.as_deref()).map_err(|m| err("autonomy_window.end_at", m))?;
            if let (Some(s), Some(e)) = (start_at, end_at) {
                if e <= s {
                    return Err(err(
                        "autonomy_window.end_at",
                        "it is not after `start_at`: the window is empty".into(),
                    ));
                }
            }
            Window { start_at, end_at }
        }
    };
    let heartbeat = match top
        .get("heartbeat_interval_seconds")
        .filter(|v| !v.is_null())
    {
        None => Some(Duration::from_secs(DEFAULT_HEARTBEAT_SECONDS)),
        Some(v) => match v.as_f64() {
            Some(0.0) => None,
            Some(s) if s > 0.0 && s.is_finite() => Some(Duration::from_secs_f64(s)),
            _ => {
                return Err(err(
                    "heartbeat_interval_seconds",
                    "a number of seconds (0: no heartbeats)".into(),
                ))
            }
        },
    };
    let cadence = match top.get("report_cadence").filter(|v| !v.is_null()) {
        None => ReportCadence::Hybrid,
        Some(v) => serde_json::from_value(v.clone()).map_err(|_| {
            err(
                "report_cadence",
                format!("{v} is not one of milestone, interval, hybrid"),
            )
        })?,
    };
    let callback = match top.get("callback").filter(|v| !v.is_null()) {
        None => None,
        Some(v) => {
            let c: Callback =
                serde_json::from_value(v.clone()).map_err(|e| err("callback", e.to_string()))?;
            callback_target(c).map_err(|(field, m)| err(field, m))?
        }
    };
    let payload = Value::Object(top);
    let text = serde_json::to_string(&payload).unwrap_or_default();
    // Read as JSON whatever the origin is called (a file, a subject).
    let name = if origin.ends_with(".json") {
        origin.to_string()
    } else {
        format!("{origin}.json")
    };
    let loaded = studio_core::load_str(&text, &name).map_err(|e| err("payload", e.to_string()))?;
    let mut warnings = Vec::new();
    let diagnostics = studio_core::validate(&loaded);
    for d in &diagnostics {
        match d.severity {
            Severity::Error => return Err(err(&d.field, d.message.clone())),
            _ => warnings.push(format!("`{}`: {}", d.field, d.message)),
        }
    }
    let mission = loaded.mission;
    let mission_id = mission.id.clone().unwrap_or_else(|| mission.name.clone());
    studio_squad::envelope_wire::validate_mission_id(&mission_id)
        .map_err(|e| err("mission_id", e.to_string()))?;
    let text_list = |field: &str| -> Vec<String> {
        payload
            .pointer(field)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let success_criteria = text_list("/success_criteria");
    let required_outputs = text_list("/artifact_policy/required_outputs");
    let get = |k: &str| payload.get(k).and_then(Value::as_str).map(str::to_string);
    Ok(Dispatch {
        ids: Identity {
            mission_id,
            vp_id,
            vp_session_id: get("vp_session_id").filter(|s| !s.trim().is_empty()),
            vp_runtime_id: get("vp_runtime_id").filter(|s| !s.trim().is_empty()),
            trace_id,
            idempotency_key,
        },
        mission,
        heartbeat,
        cadence,
        window,
        callback,
        success_criteria,
        required_outputs,
        warnings,
        payload,
    })
}

/// `derived-<sha256>` of the payload's canonical JSON (keys sorted).
fn derived_key(top: &Map<String, Value>) -> String {
    let canonical = serde_json::to_string(&Value::Object(top.clone())).unwrap_or_default();
    let hash = studio_core::hash::sha256_of(canonical.as_bytes());
    let hex: String = hash
        .trim_start_matches("sha256:")
        .chars()
        .take(32)
        .collect();
    format!("derived-{hex}")
}

fn required_text(top: &Map<String, Value>, field: &str) -> Result<String, String> {
    optional_text(top, field)?.ok_or_else(|| "required, and missing or blank".to_string())
}

fn optional_text(top: &Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    match top.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(other) => Err(format!("expected a string, found {other}")),
    }
}

fn timestamp(text: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map(|d| Some(d.with_timezone(&Utc)))
            .map_err(|e| format!("`{t}` is not an ISO-8601 time ({e}); e.g. 2026-01-31T09:00:00Z")),
    }
}

fn callback_target(c: Callback) -> Result<Option<CallbackTarget>, (&'static str, String)> {
    let Some(url) = c
        .status_url
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
    else {
        return Ok(None);
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err((
            "callback.status_url",
            format!("`{url}` is not an http:// or https:// URL"),
        ));
    }
    if let Some(mode) = c.auth_mode.as_deref().filter(|m| !m.trim().is_empty()) {
        if !mode.eq_ignore_ascii_case("bearer") {
            return Err((
                "callback.auth_mode",
                format!("`{mode}` is not supported; use `bearer`"),
            ));
        }
    }
    let token_env = match c
        .auth_ref
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        None => None,
        Some(r) => match r.strip_prefix("env://") {
            Some(name)
                if !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                Some(name.to_string())
            }
            _ => {
                return Err((
                    "callback.auth_ref",
                    "expected `env://NAME` (an environment variable of the worker)".into(),
                ))
            }
        },
    };
    Ok(Some(CallbackTarget {
        status_url: url,
        token_env,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bytes(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn a_missing_key_is_derived_the_same_way_on_both_sides() {
        let p = json!({"vp_id": "vp.coder", "objective": "Write a haiku"});
        let a = parse(&bytes(p.clone()), "a").unwrap();
        let b = parse(&bytes(p), "b").unwrap();
        assert!(a.ids.idempotency_key.starts_with("derived-"));
        assert_eq!(a.ids.idempotency_key, b.ids.idempotency_key);
        assert_eq!(a.ids.mission_id, b.ids.mission_id);
        // Re-reading the published bytes keeps the key and the mission id.
        let again = parse(&a.to_bytes(), "c").unwrap();
        assert_eq!(again.ids, a.ids);
        assert_eq!(a.cadence, ReportCadence::Hybrid);
        assert_eq!(a.heartbeat, Some(Duration::from_secs(300)));
    }

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (json!({"objective": "x"}), "vp_id"),
            (json!({"vp_id": "v", "objective": " "}), "objective"),
            (json!({"vp_id": "v*", "objective": "x"}), "vp_id"),
            (
                json!({"vp_id": "v", "objective": "x", "mission_id": "a.b"}),
                "mission_id",
            ),
            (
                json!({"vp_id": "v", "objective": "x", "autonomy_window": {"start_at": "soon"}}),
                "autonomy_window.start_at",
            ),
            (
                json!({"vp_id": "v", "objective": "x", "report_cadence": "daily"}),
                "report_cadence",
            ),
            (
                json!({"vp_id": "v", "objective": "x", "callback": {"status_url": "http://h", "auth_ref": "vault://x"}}),
                "callback.auth_ref",
            ),
        ];
        for (payload, field) in cases {
            let e = parse(&bytes(payload.clone()), "f").unwrap_err();
            assert_eq!(e.field, field, "{payload}: {e}");
        }
        let e = parse(b"[1]", "f").unwrap_err();
        assert_eq!(e.field, "payload");
    }
}
