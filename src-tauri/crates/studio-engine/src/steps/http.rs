//! `http`: one HTTP request (reqwest, rustls; no proxy).
//! Parameters: `url` (http or https), optional `method` (default GET), `headers` (map), `body`
//! (text as is; any other JSON value is sent as JSON), `timeout` (seconds, default 30),
//! `fail_on_status` (default true: a status ≥ 400 fails the step, the output is kept),
//! `expected_status` (a status or a list of them: any other fails the step, in place of the
//! ≥ 400 rule), `body_file` (a workspace file sent as the body).
//! Output: `{status, headers, body, json}` where `json` is the body parsed as JSON, or null.
//! The URL is recorded for the evidence folder's `links.txt`.

use super::params::{opt_bool, opt_str, opt_str_map, opt_u64, str_param};
use super::{Failure, StepCtx, StepOutput};
use serde_json::{json, Map, Value};
use std::time::Duration;

const MAX_BODY: usize = 32 * 1024 * 1024;

pub(crate) async fn run(p: &Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let url = str_param(p, "url")?;
    let parsed =
        reqwest::Url::parse(url).map_err(|e| Failure::new(format!("`{url}` is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Failure::new(format!(
            "`{url}`: only http and https URLs are allowed"
        )));
    }
    let method = opt_str(p, "method")?.unwrap_or("GET").to_ascii_uppercase();
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| Failure::new(format!("`{method}` is not an HTTP method")))?;
    let headers = opt_str_map(p, "headers")?;
    let timeout = Duration::from_secs(opt_u64(p, "timeout")?.unwrap_or(30).max(1));
    let fail_on_status = opt_bool(p, "fail_on_status")?.unwrap_or(true);

    let mut request = ctx
        .shared
        .http_client()?
        .request(method, parsed)
        .timeout(timeout);
    for (name, value) in &headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let expected = expected_statuses(p)?;
    request = match (p.get("body"), opt_str(p, "body_file")?) {
        (Some(b), Some(_)) if !b.is_null() => {
            return Err(Failure::new("give `body` or `body_file`, not both"))
        }
        (_, Some(file)) => {
            let path = super::workspace::check(file)?;
            let bytes = super::read_file::read_limited(ctx, path, MAX_BODY as u64).await?;
            request.body(bytes)
        }
        (None | Some(Value::Null), None) => request,
        (Some(Value::String(s)), None) => request.body(s.clone()),
        (Some(other), None) => request.json(other),
    };

    let exchange = async {
        let response = request
            .send()
            .await
            .map_err(|e| Failure::new(describe(url, &e)))?;
        let status = response.status().as_u16();
        let mut header_map = Map::new();
        for (name, value) in response.headers() {
            header_map.insert(
                name.as_str().to_string(),
                Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
            );
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Failure::new(describe(url, &e)))?;
        if bytes.len() > MAX_BODY {
            return Err(Failure::new(format!(
                "the response from `{url}` is larger than {MAX_BODY} bytes"
            )));
        }
        let body = String::from_utf8_lossy(&bytes).into_owned();
        let parsed_json = serde_json::from_str::<Value>(&body).unwrap_or(Value::Null);
        Ok((
            status,
            json!({"status": status, "headers": header_map, "body": body, "json": parsed_json}),
        ))
    };
    let (status, output) = tokio::select! {
        r = exchange => r?,
        _ = ctx.cancel.cancelled() => return Err(Failure::interrupted()),
    };
    let mut out = StepOutput::new(Value::Null);
    out.links.push(url.to_string());
    match &expected {
        Some(codes) if !codes.contains(&status) => {
            let want: Vec<String> = codes.iter().map(u16::to_string).collect();
            return Err(Failure::new(format!(
                "`{url}` answered HTTP {status}; expected {}",
                want.join(" or ")
            ))
            .with_output(output));
        }
        None if fail_on_status && status >= 400 => {
            return Err(Failure::new(format!("`{url}` answered HTTP {status}")).with_output(output));
        }
        _ => {}
    }
    out.value = output;
    Ok(out)
}

/// `expected_status`: one status or a list of them.
pub(crate) fn expected_statuses(p: &Value) -> Result<Option<Vec<u16>>, Failure> {
    let one = |v: &Value| {
        v.as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .filter(|n| (100..=599).contains(n))
            .map(|n| n as u16)
    };
    let bad =
        || Failure::new("`expected_status` must be an HTTP status (100-599) or a list of them");
    match p.get("expected_status") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| one(v).ok_or_else(bad))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(v) => one(v).map(|n| Some(vec![n])).ok_or_else(bad),
    }
}

pub(crate) fn describe(url: &str, e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("`{url}` did not answer in time")
    } else if e.is_connect() {
        format!("cannot connect to `{url}`")
    } else {
        let mut text = format!("request to `{url}` failed: {e}");
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text.push_str(&format!(": {s}"));
            source = s.source();
        }
        text
    }
}
