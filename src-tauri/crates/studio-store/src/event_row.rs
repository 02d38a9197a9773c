//! How an event is stored: the fields that identify it in columns (run, seq, key, type, step,
//! time), the run's constant fields (mission id, trace id) once in `runs`, and the rest as a
//! small JSON body. An event read back is equal to the one written.

use crate::StoreError;
use rusqlite::{OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use studio_core::{RunStatus, StepStatus};
use studio_engine::{Event, EventType, Usage};

/// The columns [`from_row`] reads, for `FROM events e JOIN runs r USING (run_id)`.
pub(crate) const COLUMNS: &str = "e.run_id, e.seq, e.idempotency_key, e.event_type, e.step_id, \
     e.payload, e.emitted_at, r.mission_id, r.trace_id";

#[derive(Serialize)]
struct BodyRef<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    attempt: Option<u32>,
    status: RunStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    step_status: Option<StepStatus>,
    summary: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    artifact_refs: &'a [String],
    usage: &'a Usage,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a serde_json::Value>,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    attempt: Option<u32>,
    status: RunStatus,
    #[serde(default)]
    step_status: Option<StepStatus>,
    summary: String,
    #[serde(default)]
    artifact_refs: Vec<String>,
    usage: Usage,
    #[serde(default)]
    detail: Option<serde_json::Value>,
}

/// Writes the body of `event` (what the columns do not hold) as JSON into `buf`.
pub(crate) fn body(event: &Event, buf: &mut Vec<u8>) -> Result<(), StoreError> {
    buf.clear();
    serde_json::to_writer(
        &mut *buf,
        &BodyRef {
            attempt: event.attempt,
            status: event.status,
            step_status: event.step_status,
            summary: &event.summary,
            artifact_refs: &event.artifact_refs,
            usage: &event.usage,
            detail: event.detail.as_ref(),
        },
    )
    .map_err(|e| StoreError::corrupt("event", e))
}

/// An event from a row of [`COLUMNS`].
pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Event> {
    let bad = |i: usize, e: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    };
    let event_type: String = r.get(3)?;
    let event_type: EventType = serde_json::from_value(serde_json::Value::String(event_type))
        .map_err(|e| bad(3, e.to_string()))?;
    let payload: String = r.get(5)?;
    let body: Body = serde_json::from_str(&payload).map_err(|e| bad(5, e.to_string()))?;
    Ok(Event {
        event_type,
        mission_id: Arc::from(r.get::<_, String>(7)?),
        run_id: Arc::from(r.get::<_, String>(0)?),
        trace_id: Arc::from(r.get::<_, String>(8)?),
        seq: r.get::<_, i64>(1)? as u64,
        idempotency_key: r.get(2)?,
        step_id: r.get::<_, Option<String>>(4)?.map(Arc::from),
        attempt: body.attempt,
        status: body.status,
        step_status: body.step_status,
        summary: body.summary,
        artifact_refs: body.artifact_refs,
        usage: body.usage,
        emitted_at: r.get(6)?,
        detail: body.detail,
    })
}

/// The stored event with this idempotency key, if any.
pub(crate) fn by_key(conn: &rusqlite::Connection, key: &str) -> Result<Option<Event>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events e JOIN runs r USING (run_id) WHERE e.idempotency_key = ?1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([key], from_row)
        .optional()?)
}
