//! The errors of the squad layer, typed so that callers (the CLI, the app) can tell a broker
//! that is down from a bad name or a malformed message, and say what to do about each.

use std::error::Error as StdError;

/// Something the squad layer could not do.
#[derive(Debug, thiserror::Error)]
pub enum SquadError {
    /// A department or worker name that cannot be part of a NATS subject or KV key.
    #[error("invalid {kind} name {name:?}: {reason}")]
    InvalidName {
        /// "department" or "worker".
        kind: &'static str,
        name: String,
        reason: String,
    },
    /// The broker did not answer at the given URL.
    #[error(
        "cannot reach the NATS server at {url}: {source}. Start one with JetStream enabled \
         (`nats-server -js`, Debian package `nats-server`) or give the URL of a running one"
    )]
    Unreachable {
        url: String,
        #[source]
        source: async_nats::ConnectError,
    },
    /// A JetStream call failed (stream, consumer, KV or publish).
    #[error("JetStream could not {action}: {source}")]
    JetStream {
        /// What was being done, e.g. "create the jobs stream".
        action: String,
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    /// A message on the wire that is not a valid envelope.
    #[error("cannot {action}: {source}")]
    Codec {
        action: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

impl SquadError {
    /// A mapper for `map_err`: wraps any broker error with what was being done.
    pub(crate) fn js<E>(action: impl Into<String>) -> impl FnOnce(E) -> SquadError
    where
        E: StdError + Send + Sync + 'static,
    {
        let action = action.into();
        move |e| SquadError::JetStream {
            action,
            source: Box::new(e),
        }
    }
}
