//! "Started" markers: how a worker recognises the redelivery of a non-idempotent job.
//!
//! Before running a job with side effects, a worker creates the job's marker in a KV bucket. The
//! create is conditional on the key not existing, and the broker decides it atomically: of two
//! workers that receive the same job (after the first one died or was too slow), only one gets
//! `true`. The other must not run the step again; the control plane turns it into
//! `failed: interrupted`, which can be resumed.

use async_nats::jetstream::kv::CreateErrorKind;

use crate::messages::JobEnvelope;
use crate::{Result, Squad, SquadError};

/// Records that `job` has started. `Ok(true)` the first time; `Ok(false)` when the marker
/// already exists, i.e. this is a redelivery of a job that was already started.
pub async fn mark_started(squad: &Squad, job: &JobEnvelope) -> Result<bool> {
    let key = marker_key(&job.idempotency_key);
    let value = serde_json::to_vec(&job.run_id).map_err(|source| SquadError::Codec {
        action: "encode a started marker",
        source,
    })?;
    match squad.started.create(&key, value.into()).await {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == CreateErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(SquadError::js("create a started marker")(e)),
    }
}

/// Whether `job` was marked started.
pub async fn is_started(squad: &Squad, job: &JobEnvelope) -> Result<bool> {
    let key = marker_key(&job.idempotency_key);
    let value = squad
        .started
        .get(key)
        .await
        .map_err(SquadError::js("read a started marker"))?;
    Ok(value.is_some())
}

/// A KV key for an idempotency key, which may hold characters KV keys refuse (`:`, `/`...):
/// letters, digits, `-` and `_` stay, every other byte becomes `=XX`. The mapping is one to
/// one, so two different jobs never share a marker.
pub fn marker_key(idempotency_key: &str) -> String {
    let mut key = String::with_capacity(idempotency_key.len());
    for b in idempotency_key.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            key.push(b as char);
        } else {
            key.push_str(&format!("={b:02X}"));
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::marker_key;

    #[test]
    fn marker_keys_are_kv_safe_and_distinct() {
        assert_eq!(marker_key("run-1_a"), "run-1_a");
        assert_eq!(marker_key("r:1/s.2"), "r=3A1=2Fs=2E2");
        assert_ne!(marker_key("a=3A"), marker_key("a:"));
    }
}
