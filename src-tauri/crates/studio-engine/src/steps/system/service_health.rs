//! `service_health`: whether a service answers, and how fast.
//!
//! Parameters: `url` (an HTTP(S) GET, or HEAD with `method`) or `port` (a TCP connect to
//! `host`, default `localhost`); optional `service` (a name), `headers`, `expected_status`
//! (a status or a list; default any 2xx), `expect_body_contains`, `max_latency_ms`,
//! `timeout_ms` (per attempt, default 5000), `retries` (default 0), `retry_delay_ms` (default
//! 500), `fail_on_unhealthy` (default true).
//! Output: `{healthy, service, kind, target, status, latency_ms, attempts, checks: [{attempt,
//! healthy, status, latency_ms, error}], error}`.
//!
//! Attempts stop at the first healthy one. An unhealthy service fails the step and keeps the
//! output, unless `fail_on_unhealthy` is false. HTTP checks use the run's shared client (no
//! proxy); the URL is recorded for the evidence folder's `links.txt`.

use crate::steps::http::{describe, expected_statuses};
use crate::steps::params::{opt_bool, opt_str, opt_str_map, opt_u64};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const DEFAULT_TIMEOUT_MS: u64 = 5_000;
const DEFAULT_RETRY_DELAY_MS: u64 = 500;
const MAX_RETRIES: u64 = 100;
/// Most bytes of a body read to look for `expect_body_contains`.
const MAX_BODY: usize = 4 * 1024 * 1024;

enum Target {
    Http {
        url: reqwest::Url,
        method: reqwest::Method,
    },
    Tcp {
        host: String,
        port: u16,
    },
}

/// One attempt's result.
struct Check {
    /// Whether it answered at all (connected; an HTTP answer was read).
    healthy: bool,
    status: Option<u16>,
    latency_ms: Option<u64>,
    error: Option<String>,
    /// The HTTP body (read for `expect_body_contains`).
    body: Option<String>,
}

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let target = match (opt_str(&p, "url")?, opt_u64(&p, "port")?) {
        (Some(url), None) => {
            let parsed = reqwest::Url::parse(url)
                .map_err(|e| Failure::new(format!("`{url}` is not a URL: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(Failure::new(format!(
                    "`{url}`: only http and https URLs are checked; for another service give `host` and `port` (a TCP check)"
                )));
            }
            let method = match opt_str(&p, "method")?
                .map(str::to_ascii_uppercase)
                .as_deref()
            {
                None | Some("GET") => reqwest::Method::GET,
                Some("HEAD") => reqwest::Method::HEAD,
                Some(other) => {
                    return Err(Failure::new(format!(
                        "`method: {other}`: a health check only reads (GET or HEAD)"
                    )))
                }
            };
            Target::Http {
                url: parsed,
                method,
            }
        }
        (None, Some(port)) => {
            let port = u16::try_from(port)
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| Failure::new("`port` must be a TCP port (1 to 65535)"))?;
            let host = opt_str(&p, "host")?.unwrap_or("localhost").to_string();
            Target::Tcp { host, port }
        }
        (Some(_), Some(_)) => {
            return Err(Failure::new(
                "give `url` (an HTTP check) or `port` (a TCP check), not both",
            ))
        }
        (None, None) => {
            return Err(Failure::new(
                "give `url` (an HTTP check) or `port` with an optional `host` (a TCP check)",
            ))
        }
    };
    let expected = expected_statuses(&p)?;
    let body_needle = opt_str(&p, "expect_body_contains")?.map(str::to_string);
    let max_latency = opt_u64(&p, "max_latency_ms")?;
    let timeout = Duration::from_millis(
        opt_u64(&p, "timeout_ms")?
            .unwrap_or(DEFAULT_TIMEOUT_MS)
            .max(1),
    );
    let retries = opt_u64(&p, "retries")?.unwrap_or(0).min(MAX_RETRIES);
    let delay =
        Duration::from_millis(opt_u64(&p, "retry_delay_ms")?.unwrap_or(DEFAULT_RETRY_DELAY_MS));
    let fail_on_unhealthy = opt_bool(&p, "fail_on_unhealthy")?.unwrap_or(true);
    let headers = opt_str_map(&p, "headers")?;

    let (kind, target_text) = match &target {
        Target::Http { url, .. } => ("http", url.to_string()),
        Target::Tcp { host, port } => ("tcp", format!("{host}:{port}")),
    };
    let service = opt_str(&p, "service")?
        .map(str::to_string)
        .unwrap_or_else(|| target_text.clone());

    let mut checks: Vec<Check> = Vec::new();
    for attempt in 0..=retries {
        if attempt > 0 {
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = ctx.cancel.cancelled() => return Err(Failure::interrupted()),
            }
        }
        let once = check_once(&target, &headers, timeout, ctx);
        let mut check = tokio::select! {
            c = once => c?,
            _ = ctx.cancel.cancelled() => return Err(Failure::interrupted()),
        };
        judge(
            &mut check,
            expected.as_deref(),
            body_needle.as_deref(),
            max_latency,
        );
        let healthy = check.healthy;
        checks.push(check);
        if healthy {
            break;
        }
    }
    let last = checks.last().expect("at least one attempt");
    let output = json!({
        "healthy": last.healthy,
        "service": service,
        "kind": kind,
        "target": target_text,
        "status": last.status,
        "latency_ms": last.latency_ms,
        "attempts": checks.len(),
        "checks": checks.iter().enumerate().map(|(i, c)| json!({
            "attempt": i + 1,
            "healthy": c.healthy,
            "status": c.status,
            "latency_ms": c.latency_ms,
            "error": c.error,
        })).collect::<Vec<_>>(),
        "error": last.error,
    });
    let healthy = last.healthy;
    let why = last.error.clone().unwrap_or_default();
    let mut out = StepOutput::new(Value::Null);
    if kind == "http" {
        out.links.push(target_text.clone());
    }
    if !healthy && fail_on_unhealthy {
        let tries = if checks.len() == 1 {
            "1 attempt".to_string()
        } else {
            format!("{} attempts", checks.len())
        };
        return Err(
            Failure::new(format!("`{service}` is unhealthy after {tries}: {why}"))
                .with_output(output),
        );
    }
    out.value = output;
    Ok(out)
}

/// One attempt: connects (TCP) or sends the request and reads the body (HTTP).
async fn check_once(
    target: &Target,
    headers: &std::collections::BTreeMap<String, String>,
    timeout: Duration,
    ctx: &StepCtx,
) -> Result<Check, Failure> {
    let started = Instant::now();
    let elapsed = |s: Instant| Some(s.elapsed().as_millis() as u64);
    match target {
        Target::Tcp { host, port } => {
            let connect = tokio::net::TcpStream::connect((host.as_str(), *port));
            let result = tokio::time::timeout(timeout, connect).await;
            Ok(match result {
                Ok(Ok(_stream)) => Check::answered(None, elapsed(started), None),
                Ok(Err(e)) => Check::failed(format!("cannot connect to {host}:{port}: {e}")),
                Err(_) => Check::failed(format!(
                    "{host}:{port} did not accept a connection within {} ms",
                    timeout.as_millis()
                )),
            })
        }
        Target::Http { url, method } => {
            let mut request = ctx
                .shared
                .http_client()?
                .request(method.clone(), url.clone())
                .timeout(timeout);
            for (name, value) in headers {
                request = request.header(name.as_str(), value.as_str());
            }
            let text = url.as_str();
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => return Ok(Check::failed(describe(text, &e))),
            };
            let latency_ms = elapsed(started);
            let status = response.status().as_u16();
            Ok(match read_body(response).await {
                Ok(body) => Check::answered(Some(status), latency_ms, Some(body)),
                Err(why) => Check {
                    error: Some(why),
                    healthy: false,
                    ..Check::answered(Some(status), latency_ms, None)
                },
            })
        }
    }
}

impl Check {
    fn answered(status: Option<u16>, latency_ms: Option<u64>, body: Option<String>) -> Self {
        Self {
            healthy: true,
            status,
            latency_ms,
            error: None,
            body,
        }
    }

    fn failed(error: String) -> Self {
        Self {
            healthy: false,
            status: None,
            latency_ms: None,
            error: Some(error),
            body: None,
        }
    }
}

/// Reads at most [`MAX_BODY`] bytes of the body (the rest is left unread).
async fn read_body(mut response: reqwest::Response) -> Result<String, String> {
    let mut kept: Vec<u8> = Vec::new();
    while kept.len() < MAX_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_BODY - kept.len();
                kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) => break,
            Err(e) => return Err(format!("the body could not be read: {e}")),
        }
    }
    Ok(String::from_utf8_lossy(&kept).into_owned())
}

/// Applies the expectations to an attempt that got an answer: the status, the body, the latency.
fn judge(
    check: &mut Check,
    expected: Option<&[u16]>,
    needle: Option<&str>,
    max_latency: Option<u64>,
) {
    if !check.healthy {
        return;
    }
    if let Some(status) = check.status {
        let ok = match expected {
            Some(codes) => codes.contains(&status),
            None => (200..300).contains(&status),
        };
        if !ok {
            let want = match expected {
                Some(codes) => codes
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(" or "),
                None => "2xx".to_string(),
            };
            check.healthy = false;
            check.error = Some(format!("answered HTTP {status}; expected {want}"));
            return;
        }
    }
    if let (Some(needle), Some(body)) = (needle, &check.body) {
        if !body.contains(needle) {
            check.healthy = false;
            check.error = Some(format!("the body does not hold `{needle}`"));
            return;
        }
    }
    if let (Some(max), Some(took)) = (max_latency, check.latency_ms) {
        if took > max {
            check.healthy = false;
            check.error = Some(format!("answered in {took} ms, over max_latency_ms {max}"));
        }
    }
}
