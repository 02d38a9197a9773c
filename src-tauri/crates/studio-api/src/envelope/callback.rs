//! Posting each lifecycle event to the dispatch's `callback.status_url`.
//!
//! One delivery queue per mission keeps the events in order; the mission pushes into it and
//! never waits. Each event is tried up to [`CallbackPolicy::tries`] times, each request bounded
//! by [`CallbackPolicy::request_timeout`], with exponential backoff between tries (from
//! [`CallbackPolicy::first_backoff`], doubling, capped at [`CallbackPolicy::max_backoff`]).
//! Retried: connection errors, timeouts, 5xx, 408 and 429; any other answer ends the event's
//! delivery (a 4xx will not get better by asking again). An event that could not be delivered
//! is logged and the queue goes on with the next one: the events stay on NATS either way.
//!
//! The bearer token is read from the worker's environment (`auth_ref: env://NAME`) when the
//! mission starts. It is only ever put in the `Authorization` header: never logged, stored or
//! placed in an event.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::event::WireEvent;
use super::payload::CallbackTarget;
use super::Log;

/// The retry bounds of callback deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackPolicy {
    /// Tries per event, the first included.
    pub tries: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// How long one request may take.
    pub request_timeout: Duration,
}

impl Default for CallbackPolicy {
    fn default() -> Self {
        Self {
            tries: 5,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            request_timeout: Duration::from_secs(2),
        }
    }
}

impl CallbackPolicy {
    /// The wait before try `n + 1` (n from 1).
    pub fn backoff(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1));
        self.first_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// A token that does not show itself in `Debug`.
#[derive(Clone)]
struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// The delivery queue of one mission.
pub(crate) struct CallbackQueue {
    tx: mpsc::UnboundedSender<WireEvent>,
    task: JoinHandle<()>,
}

impl CallbackQueue {
    /// Starts the queue, or `None` when the events cannot be posted (the reason is logged).
    pub(crate) fn start(
        target: &CallbackTarget,
        policy: CallbackPolicy,
        mission_id: &str,
        log: Log,
    ) -> Option<Self> {
        let token = match &target.token_env {
            None => None,
            Some(name) => match std::env::var(name) {
                Ok(value) if !value.is_empty() => Some(Token(value)),
                _ => {
                    log(&format!(
                        "warning: mission {mission_id}: the callback's token variable `{name}` \
                         (callback.auth_ref) is not set in this worker's environment; its events \
                         are published on NATS but not posted to the callback"
                    ));
                    return None;
                }
            },
        };
        let client = match reqwest::Client::builder()
            .timeout(policy.request_timeout)
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                log(&format!(
                    "warning: mission {mission_id}: no HTTP client for the callback ({e}); \
                     its events are published on NATS only"
                ));
                return None;
            }
        };
        let (tx, mut rx) = mpsc::unbounded_channel::<WireEvent>();
        let url = target.status_url.clone();
        let task = tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                deliver(&client, &url, token.as_ref(), &event, policy, &log).await;
            }
        });
        Some(Self { tx, task })
    }

    /// Queues an event; never waits.
    pub(crate) fn push(&self, event: WireEvent) {
        let _ = self.tx.send(event);
    }

    /// Waits until every queued event was delivered or given up on.
    pub(crate) async fn finish(self) {
        drop(self.tx);
        let _ = self.task.await;
    }
}

async fn deliver(
    client: &reqwest::Client,
    url: &str,
    token: Option<&Token>,
    event: &WireEvent,
    policy: CallbackPolicy,
    log: &Log,
) {
    let tries = policy.tries.max(1);
    let mut last = String::new();
    for n in 1..=tries {
        let mut request = client
            .post(url)
            .header("Idempotency-Key", &event.idempotency_key)
            .json(event);
        if let Some(Token(t)) = token {
            request = request.bearer_auth(t);
        }
        match request.send().await {
            Ok(response) if response.status().is_success() => return,
            Ok(response) => {
                let status = response.status();
                last = format!("HTTP {}", status.as_u16());
                let retry = status.is_server_error() || matches!(status.as_u16(), 408 | 429);
                if !retry {
                    break;
                }
            }
            Err(e) if e.is_timeout() => {
                last = format!("no answer within {:?}", policy.request_timeout)
            }
            Err(e) if e.is_connect() => last = "connection refused or failed".into(),
            Err(e) => last = format!("request failed ({})", without_url(&e)),
        }
        if n < tries {
            tokio::time::sleep(policy.backoff(n)).await;
        }
    }
    log(&format!(
        "warning: mission {}: event {} ({}) was not delivered to the callback: {last}",
        event.mission_id, event.seq, event.event_type
    ));
}

/// A reqwest error's text without its URL (which could carry credentials in its query).
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "<callback>");
    }
    text
}

/// A log that goes nowhere, for tests that do not look.
pub fn quiet_log() -> Log {
    Arc::new(|_: &str| {})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = CallbackPolicy {
            tries: 5,
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            request_timeout: Duration::from_secs(1),
        };
        let waits: Vec<u128> = (1..5).map(|n| p.backoff(n).as_millis()).collect();
        assert_eq!(waits, vec![100, 200, 350, 350]);
        assert_eq!(format!("{:?}", Token("secret".into())), "Token(***)");
    }
}
