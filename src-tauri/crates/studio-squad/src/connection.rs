//! Connecting to the broker. A missing broker is the most likely first failure of a squad
//! set-up, so it gets its own error that names the URL and how to start a server.

use crate::{Result, SquadError};

/// Connects to the NATS server at `url` (e.g. `nats://127.0.0.1:4222`) and returns its
/// JetStream context.
///
/// The first connection is not retried: a wrong URL or a stopped server fails at once with
/// [`SquadError::Unreachable`] instead of hanging. Once connected, the client reconnects on its
/// own when the server restarts.
pub async fn connect(url: &str) -> Result<async_nats::jetstream::Context> {
    let client = async_nats::connect(url)
        .await
        .map_err(|source| SquadError::Unreachable {
            url: url.to_string(),
            source,
        })?;
    Ok(async_nats::jetstream::new(client))
}
