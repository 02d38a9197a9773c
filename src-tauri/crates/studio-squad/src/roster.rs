//! Reading who is there: every heartbeat still in the heartbeats bucket, for the app's Workers
//! page. Reading creates nothing: a broker where no worker ever started has no bucket, and that
//! is an empty roster, not an error.

use async_nats::jetstream::context::{Context, GetStreamErrorKind};
use async_nats::jetstream::ErrorCode;
use futures_util::TryStreamExt;

use crate::subjects::HEARTBEATS_BUCKET;
use crate::worker_pool::Heartbeat;
use crate::{Result, SquadError};

/// Every worker's last heartbeat that has not expired yet, ordered by department then worker id.
/// An entry that is not a heartbeat (written by something else) is skipped.
pub async fn heartbeats(js: &Context) -> Result<Vec<Heartbeat>> {
    // Only "no such bucket" is an empty roster; any other failure is the broker's.
    if let Err(e) = js.get_stream(format!("KV_{HEARTBEATS_BUCKET}")).await {
        if let GetStreamErrorKind::JetStream(inner) = e.kind() {
            if inner.error_code() == ErrorCode::STREAM_NOT_FOUND {
                return Ok(Vec::new());
            }
        }
        return Err(SquadError::js("open the heartbeats bucket")(e));
    }
    let store = js
        .get_key_value(HEARTBEATS_BUCKET)
        .await
        .map_err(SquadError::js("open the heartbeats bucket"))?;
    let keys: Vec<String> = store
        .keys()
        .await
        .map_err(SquadError::js("list the heartbeats"))?
        .try_collect()
        .await
        .map_err(SquadError::js("list the heartbeats"))?;
    let mut beats = Vec::with_capacity(keys.len());
    for key in keys {
        let Some(value) = store
            .get(&key)
            .await
            .map_err(SquadError::js("read a heartbeat"))?
        else {
            continue; // expired between the listing and the read
        };
        if let Ok(beat) = serde_json::from_slice::<Heartbeat>(&value) {
            beats.push(beat);
        }
    }
    beats.sort_by(|a, b| (&a.dept, &a.worker_id).cmp(&(&b.dept, &b.worker_id)));
    Ok(beats)
}
