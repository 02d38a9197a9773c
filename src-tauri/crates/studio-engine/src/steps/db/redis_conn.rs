//! Redis for `redis_set` and `redis_get` (the redis crate on tokio): connecting with timeouts
//! and a clear message when the server cannot be reached, and errors with the password masked.

use super::target::{mask_text, mask_url};
use crate::steps::{Failure, StepCtx};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, RedisError};
use std::future::Future;
use std::time::Duration;

/// How long connecting, and then each command, may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

/// Connects to `url` (a checked `redis://` URL), as the step's cancellation allows.
pub(crate) async fn connect(url: &str, ctx: &StepCtx) -> Result<MultiplexedConnection, Failure> {
    let client = redis::Client::open(url).map_err(|e| {
        Failure::new(format!(
            "`{}` is not a valid Redis URL: {}; write `redis://[:password@]host[:port][/db]`",
            mask_url(url),
            mask_text(&e.to_string(), url)
        ))
    })?;
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT));
    let connecting = client.get_multiplexed_async_connection_with_config(&config);
    tokio::select! {
        c = connecting => c.map_err(|e| {
            let why = if e.is_connection_refusal() {
                "the connection was refused; check that Redis runs there".to_string()
            } else if e.is_timeout() {
                format!("no answer within {}s", CONNECT_TIMEOUT.as_secs())
            } else {
                e.to_string()
            };
            Failure::new(format!(
                "cannot connect to Redis at {}: {}",
                mask_url(url),
                mask_text(&why, url)
            ))
        }),
        _ = ctx.cancel.cancelled() => Err(Failure::interrupted()),
    }
}

/// Runs one exchange with the server, as the step's cancellation allows.
pub(crate) async fn exchange<T>(
    ctx: &StepCtx,
    work: impl Future<Output = Result<T, RedisError>>,
    what: &str,
    url: &str,
) -> Result<T, Failure> {
    tokio::select! {
        r = work => r.map_err(|e| {
            let text = match (e.code(), e.detail()) {
                (Some(code), Some(detail)) => format!("{code} {detail}"),
                _ => e.to_string(),
            };
            Failure::new(format!("Redis: {what}: {}", mask_text(&text, url)))
        }),
        _ = ctx.cancel.cancelled() => Err(Failure::interrupted()),
    }
}
