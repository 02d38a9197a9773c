//! `redis_set`: `SET key value [EX ttl] [NX]`.
//!
//! Parameters: `connection` (aliases `url`, `redis_url`; default `REDIS_URL`, else
//! `redis://127.0.0.1:6379`), `key`, `value` (a string as is, any other value as its JSON
//! text), `ttl` (aliases `expire`, `ex`: seconds), `nx` (only when the key is absent).
//! Output: `{key, set, value, ttl}`; `set` is false only when `nx` found the key already there.

use super::redis_conn::{connect, exchange};
use super::target::{mask_url, resolve_redis};
use crate::steps::params::{as_text, opt_bool, opt_str, opt_u64, str_param};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let key = str_param(&p, "key")?.to_string();
    let value =
        match p.get("value") {
            None | Some(Value::Null) => return Err(Failure::new(
                "parameter `value` is required (a string, or any value stored as its JSON text)",
            )),
            Some(v) => as_text(v),
        };
    let ttl = ["ttl", "expire", "ex"]
        .iter()
        .find_map(|k| opt_u64(&p, k).transpose())
        .transpose()?;
    if ttl == Some(0) {
        return Err(Failure::new(
            "`ttl` must be at least 1 second (leave it out for a key that never expires)",
        ));
    }
    let nx = opt_bool(&p, "nx")?.unwrap_or(false);
    let connection = ["connection", "url", "redis_url"]
        .iter()
        .find_map(|k| opt_str(&p, k).transpose())
        .transpose()?;
    let url = resolve_redis(connection, ctx)?;

    let mut conn = connect(&url, ctx).await?;
    let mut cmd = redis::cmd("SET");
    cmd.arg(&key).arg(&value);
    if let Some(ttl) = ttl {
        cmd.arg("EX").arg(ttl);
    }
    if nx {
        cmd.arg("NX");
    }
    let reply: Option<String> = exchange(
        ctx,
        cmd.query_async(&mut conn),
        &format!("SET `{key}`"),
        &url,
    )
    .await?;
    let mut out = StepOutput::new(json!({
        "key": key,
        "set": reply.is_some(),
        "value": value,
        "ttl": ttl,
    }));
    out.links.push(mask_url(&url));
    Ok(out)
}
