//! `redis_get`: `GET key` and `TTL key`, in one round trip.
//!
//! Parameters: `connection` (as for `redis_set`), `key`. Output: `{key, exists, value, json,
//! ttl}`: `value` is the text (bytes that are not UTF-8 replaced), `json` the value parsed when
//! it is JSON (else null), `ttl` the seconds left (null when the key never expires or is
//! missing). A missing key succeeds with `exists: false`; a key holding another type (a list, a
//! hash…) fails with Redis's message.

use super::redis_conn::{connect, exchange};
use super::target::{mask_url, resolve_redis};
use crate::steps::params::{opt_str, str_param};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let key = str_param(&p, "key")?.to_string();
    let connection = ["connection", "url", "redis_url"]
        .iter()
        .find_map(|k| opt_str(&p, k).transpose())
        .transpose()?;
    let url = resolve_redis(connection, ctx)?;

    let mut conn = connect(&url, ctx).await?;
    let mut pipe = redis::pipe();
    pipe.cmd("GET").arg(&key).cmd("TTL").arg(&key);
    let (raw, ttl): (Option<Vec<u8>>, i64) = exchange(
        ctx,
        pipe.query_async(&mut conn),
        &format!("GET `{key}`"),
        &url,
    )
    .await?;
    let value = raw.map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let parsed = value
        .as_deref()
        .and_then(|text| serde_json::from_str::<Value>(text).ok());
    let mut out = StepOutput::new(json!({
        "key": key,
        "exists": value.is_some(),
        "json": parsed,
        "ttl": (ttl >= 0).then_some(ttl),
        "value": value,
    }));
    out.links.push(mask_url(&url));
    Ok(out)
}
