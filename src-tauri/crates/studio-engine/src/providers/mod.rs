//! Model providers: one chat call, three wire formats; embeddings in two of them
//! ([`embed`], see `embeddings.rs`).
//!
//! [`chat`] sends one [`ChatRequest`] (system text, conversation, tools) to an [`Endpoint`] and
//! returns one [`ChatResponse`] (text, tool calls, usage, normalised finish reason). The
//! endpoint's [`WireFormat`] picks how the request is written and the answer read:
//!
//! - [`WireFormat::OpenAi`]: OpenAI-compatible chat completions (`POST {base}/chat/completions`,
//!   `Authorization: Bearer KEY`). The system text is the first message; tool calls carry their
//!   arguments as JSON *text*; tool results are `role: "tool"` messages. Also spoken by vLLM,
//!   llama.cpp's server, LM Studio and Ollama's `/v1`.
//! - [`WireFormat::Anthropic`]: the Messages API (`POST {base}/v1/messages`, `x-api-key` and
//!   `anthropic-version: 2023-06-01`). The system text is a top-level field; messages alternate
//!   user/assistant and hold content blocks: `tool_use` blocks in assistant turns, `tool_result`
//!   blocks (all the results of one turn together) in the next user turn.
//! - [`WireFormat::Ollama`]: Ollama's native `POST {host}/api/chat` with `stream: false`; the
//!   token limit and temperature go in `options`; tool calls carry their arguments as a JSON
//!   *object* and no id (ids `call_0`, `call_1`, … are made up, in order); tool results are
//!   `role: "tool"` messages named by `tool_name`.
//!
//! Every format shares the same transport rules ([`RetryPolicy`]): up to 4 tries when the server
//! answers 429 or 5xx (Anthropic's 529 "overloaded" included), waiting what `Retry-After` says
//! (at most 10 s) or else 200 ms, 400 ms, 800 ms; 300 s per try; a cancellation, during a request
//! or a wait, ends the call at once with [`ProviderError::Cancelled`]. An HTTP error is reported
//! with the provider's own message and error type read from its error body
//! ([`ProviderError::Status`]); a 2xx answer that is not the wire format keeps its raw body
//! ([`ProviderError::Malformed`]). No error's text ever contains the API key: an error body that
//! echoes it is masked.
//!
//! Over 800 lines only with its unit tests (the code itself is under 800).

mod anthropic;
mod embeddings;
mod ollama;
mod openai;
mod probe;
mod table;

pub use embeddings::{
    embed, embed_with_policy, EmbedRequest, EmbedResponse, EmbeddingEndpoint, EmbeddingFormat,
};
pub use probe::{check_endpoint, probe, ProbeError, ProbeMethod, ProbeReport};
pub use table::{ConfiguredProvider, ProviderTable, RemoteRoute, Route, BUILTIN};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Which wire format an endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WireFormat {
    /// `"openai"`: OpenAI-compatible chat completions.
    OpenAi,
    /// `"anthropic"`: the Anthropic Messages API.
    Anthropic,
    /// `"ollama"`: Ollama's native chat API.
    Ollama,
}

impl WireFormat {
    /// The name used in settings and mission files: `openai`, `anthropic`, `ollama`.
    pub fn as_str(self) -> &'static str {
        match self {
            WireFormat::OpenAi => "openai",
            WireFormat::Anthropic => "anthropic",
            WireFormat::Ollama => "ollama",
        }
    }
}

impl fmt::Display for WireFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for WireFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "openai" => Ok(WireFormat::OpenAi),
            "anthropic" => Ok(WireFormat::Anthropic),
            "ollama" => Ok(WireFormat::Ollama),
            other => Err(format!(
                "unknown wire format `{other}` (use `openai`, `anthropic` or `ollama`)"
            )),
        }
    }
}

/// Where a chat request goes and how.
///
/// `Debug` never shows the API key.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub format: WireFormat,
    /// OpenAI: the base URL up to `/v1` (`https://api.openai.com/v1`; requests go to
    /// `{base}/chat/completions`). Anthropic: `https://api.anthropic.com` (requests go to
    /// `{base}/v1/messages`; a base that already ends in `/v1` works too). Ollama: the host,
    /// `http://localhost:11434`, or any `OLLAMA_HOST` value (see [`normalize_ollama_host`]);
    /// requests go to `{host}/api/chat`. Empty: [`default_base_url`].
    pub base_url: String,
    pub api_key: Option<String>,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("format", &self.format)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[set]"))
            .finish()
    }
}

impl Endpoint {
    /// The exact URL a chat request goes to.
    pub fn chat_url(&self) -> String {
        let raw = self.base_url.trim();
        let raw = if raw.is_empty() {
            default_base_url(self.format)
        } else {
            raw
        };
        match self.format {
            WireFormat::OpenAi => {
                let base = raw.trim_end_matches('/');
                if base.ends_with("/chat/completions") {
                    base.to_string()
                } else {
                    format!("{base}/chat/completions")
                }
            }
            WireFormat::Anthropic => {
                let base = raw.trim_end_matches('/');
                if base.ends_with("/v1/messages") {
                    base.to_string()
                } else if base.ends_with("/v1") {
                    format!("{base}/messages")
                } else {
                    format!("{base}/v1/messages")
                }
            }
            WireFormat::Ollama => {
                let host = normalize_ollama_host(raw);
                let host = host
                    .strip_suffix("/api/chat")
                    .or_else(|| host.strip_suffix("/api"))
                    .unwrap_or(&host);
                format!("{host}/api/chat")
            }
        }
    }
}

/// The base URL of each format's reference service.
pub fn default_base_url(format: WireFormat) -> &'static str {
    match format {
        WireFormat::OpenAi => "https://api.openai.com/v1",
        WireFormat::Anthropic => "https://api.anthropic.com",
        WireFormat::Ollama => "http://localhost:11434",
    }
}

const OLLAMA_DEFAULT_PORT: u16 = 11434;

/// An Ollama host as a URL without a trailing slash, read the way Ollama reads `OLLAMA_HOST`:
///
/// - without a scheme, `http` and port 11434: `"0.0.0.0"`, `"myhost"`, `"myhost:8080"`,
///   `":8080"`, `"[::1]:11434"`; `"ollama.com"` alone is `https://ollama.com:443`;
/// - with a scheme, its own port or the scheme's (`http://myhost` is port 80,
///   `https://myhost` port 443);
/// - a path is kept (`https://proxy.example/ollama`); empty is `http://127.0.0.1:11434`;
///   surrounding quotes and spaces are ignored; an invalid port becomes the default one.
///
/// Bind-all addresses (`0.0.0.0`, `::`), valid in `OLLAMA_HOST` for a server, are turned into
/// the loopback address: a client cannot connect to them everywhere.
pub fn normalize_ollama_host(raw: &str) -> String {
    let s = raw.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    let (scheme, rest, default_port) = match s.split_once("://") {
        None if s.eq_ignore_ascii_case("ollama.com") => {
            return "https://ollama.com:443".to_string()
        }
        None => ("http".to_string(), s, OLLAMA_DEFAULT_PORT),
        Some((scheme, rest)) => {
            let scheme = scheme.to_ascii_lowercase();
            let port = match scheme.as_str() {
                "http" => 80,
                "https" => 443,
                _ => OLLAMA_DEFAULT_PORT,
            };
            (scheme, rest, port)
        }
    };
    let (hostport, path) = match rest.split_once('/') {
        Some((hostport, path)) => (hostport, path.trim_end_matches('/')),
        None => (rest, ""),
    };
    let (host, port) = match split_host_port(hostport) {
        Some((host, port)) => {
            let host = if host.is_empty() { "127.0.0.1" } else { host };
            (
                host.to_string(),
                port.parse::<u16>().unwrap_or(default_port),
            )
        }
        None => {
            let bare = hostport.trim_start_matches('[').trim_end_matches(']');
            let host = if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
                ip.to_string()
            } else if hostport.is_empty() {
                "127.0.0.1".to_string()
            } else {
                hostport.to_string()
            };
            (host, default_port)
        }
    };
    let host = match host.as_str() {
        "0.0.0.0" => "127.0.0.1".to_string(),
        "::" => "::1".to_string(),
        _ => host,
    };
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host
    };
    if path.is_empty() {
        format!("{scheme}://{host}:{port}")
    } else {
        format!("{scheme}://{host}:{port}/{path}")
    }
}

/// `host:port` or `[v6]:port` into its parts; `None` when there is no port or too many colons.
fn split_host_port(hostport: &str) -> Option<(&str, &str)> {
    if let Some(rest) = hostport.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        return Some((host, port));
    }
    let (host, port) = hostport.rsplit_once(':')?;
    if host.contains(':') {
        return None;
    }
    Some((host, port))
}

/// One chat call: what the model is asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    pub model: String,
    /// The system text (not sent when `None` or empty).
    #[serde(default)]
    pub system: Option<String>,
    pub messages: Vec<ChatMessage>,
    pub max_tokens: u64,
    /// Sent only when set.
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Tools the model may call (not sent when empty).
    #[serde(default)]
    pub tools: Vec<ToolSpec>,
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum ChatMessage {
    User {
        content: String,
    },
    /// A previous answer of the model, with the tool calls it made.
    Assistant {
        #[serde(default)]
        content: Option<String>,
        #[serde(default)]
        tool_calls: Vec<ToolCall>,
    },
    /// The result of the tool call `call_id` (the [`ToolCall::id`]) of tool `name`. `is_error`
    /// reaches the model only in the Anthropic format (the others have no such field).
    ToolResult {
        call_id: String,
        name: String,
        content: String,
        #[serde(default)]
        is_error: bool,
    },
}

impl ChatMessage {
    /// A user turn.
    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage::User {
            content: content.into(),
        }
    }
}

/// A tool the model may call: `input_schema` is the JSON Schema of its arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub input_schema: Value,
}

/// A tool call made by the model; `arguments` is always parsed JSON (an object, normally).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: Value,
}

/// Tokens as counted by the server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// The model's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The text parts, concatenated (`""` when the answer is only tool calls).
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    /// The model the server says answered, else the one asked for.
    pub model: String,
    /// `None` when the server reported no token counts.
    pub usage: Option<TokenUsage>,
    /// `"stop"`, `"length"`, `"tool_calls"`, or the server's own value for anything else.
    pub finish_reason: Option<String>,
    /// HTTP requests made, retries included (1 when the first one succeeded).
    pub tries: u32,
}

/// Why a chat call failed. The texts name the URL and never contain the API key.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The server answered an HTTP error (after the retries for 429, 5xx and 529). `message` is
    /// the provider's own error message read from its error body, else an excerpt of the body;
    /// `kind` is the provider's error type when it gives one (`rate_limit_error`,
    /// `invalid_request_error`, `not_found_error`, …); `body` is the raw body.
    #[error("the model endpoint `{url}` answered HTTP {status}{}: {message}{}", kind_note(.kind), tries_note(.tries))]
    Status {
        url: String,
        status: u16,
        kind: Option<String>,
        message: String,
        body: String,
        tries: u32,
    },
    /// A 2xx answer that is not the wire format (not JSON, or missing required fields).
    #[error("malformed answer from the model endpoint `{url}`: {why}; body: {}", excerpt(.body))]
    Malformed {
        url: String,
        why: String,
        body: String,
    },
    /// No answer: connection refused, DNS failure, timeout.
    #[error("no answer from the model endpoint `{url}`: {message}")]
    Transport { url: String, message: String },
    #[error("the model request was cancelled")]
    Cancelled,
}

fn kind_note(kind: &Option<String>) -> String {
    kind.as_ref().map(|k| format!(" ({k})")).unwrap_or_default()
}

fn tries_note(tries: &u32) -> String {
    if *tries > 1 {
        format!(" (after {tries} tries)")
    } else {
        String::new()
    }
}

const MASK: &str = "[redacted]";

impl ProviderError {
    /// The HTTP status, for [`ProviderError::Status`].
    pub fn status(&self) -> Option<u16> {
        match self {
            ProviderError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Masks every occurrence of `secret` in the error's texts.
    fn masking(self, secret: &str) -> Self {
        let m = |s: String| {
            if s.contains(secret) {
                s.replace(secret, MASK)
            } else {
                s
            }
        };
        match self {
            ProviderError::Status {
                url,
                status,
                kind,
                message,
                body,
                tries,
            } => ProviderError::Status {
                url: m(url),
                status,
                kind: kind.map(m),
                message: m(message),
                body: m(body),
                tries,
            },
            ProviderError::Malformed { url, why, body } => ProviderError::Malformed {
                url: m(url),
                why: m(why),
                body: m(body),
            },
            ProviderError::Transport { url, message } => ProviderError::Transport {
                url: m(url),
                message: m(message),
            },
            ProviderError::Cancelled => ProviderError::Cancelled,
        }
    }
}

/// How a call retries and how long each try may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all (at least 1) when the server answers 429 or 5xx.
    pub max_tries: u32,
    /// The wait after the first busy answer without `Retry-After`; doubled after each one.
    pub first_backoff: Duration,
    /// The longest wait between tries, `Retry-After` included.
    pub max_wait: Duration,
    /// The limit of one try, from sending the request to reading the whole answer.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    /// 4 tries; 200 ms, 400 ms, 800 ms or `Retry-After` up to 10 s; 300 s per try.
    fn default() -> Self {
        Self {
            max_tries: 4,
            first_backoff: Duration::from_millis(200),
            max_wait: Duration::from_secs(10),
            timeout: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The default's tries and timeout with near-zero waits (1 ms backoff, waits of at most
    /// 20 ms whatever `Retry-After` says): for tests.
    pub fn fast() -> Self {
        Self {
            first_backoff: Duration::from_millis(1),
            max_wait: Duration::from_millis(20),
            ..Self::default()
        }
    }

    /// The wait after the `failed`-th busy answer (1-based), given its `Retry-After`.
    pub fn wait(&self, failed: u32, retry_after: Option<Duration>) -> Duration {
        let wait = retry_after.unwrap_or_else(|| {
            let doublings = failed.saturating_sub(1).min(16);
            self.first_backoff.saturating_mul(1 << doublings)
        });
        wait.min(self.max_wait)
    }
}

/// Sends `request` to `endpoint` with the default [`RetryPolicy`].
pub async fn chat(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    request: &ChatRequest,
    cancel: &CancellationToken,
) -> Result<ChatResponse, ProviderError> {
    chat_with_policy(client, endpoint, request, cancel, &RetryPolicy::default()).await
}

/// [`chat`] with an explicit retry policy.
pub async fn chat_with_policy(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    request: &ChatRequest,
    cancel: &CancellationToken,
    policy: &RetryPolicy,
) -> Result<ChatResponse, ProviderError> {
    let key = endpoint
        .api_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let result = exchange(client, endpoint, key, request, cancel, policy).await;
    match (result, key) {
        (Err(e), Some(key)) => Err(e.masking(key)),
        (result, _) => result,
    }
}

async fn exchange(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    key: Option<&str>,
    request: &ChatRequest,
    cancel: &CancellationToken,
    policy: &RetryPolicy,
) -> Result<ChatResponse, ProviderError> {
    let format = endpoint.format;
    let url = endpoint.chat_url();
    let body = match format {
        WireFormat::OpenAi => openai::request_body(request),
        WireFormat::Anthropic => anthropic::request_body(request),
        WireFormat::Ollama => ollama::request_body(request),
    };
    let (value, text, tries) = post_json(client, format, &url, key, &body, cancel, policy).await?;
    let parsed = match format {
        WireFormat::OpenAi => openai::parse_response(&value, &request.model),
        WireFormat::Anthropic => anthropic::parse_response(&value, &request.model),
        WireFormat::Ollama => ollama::parse_response(&value, &request.model),
    };
    match parsed {
        Ok(response) => Ok(ChatResponse { tries, ..response }),
        Err(why) => Err(ProviderError::Malformed {
            url: shown_url(&url),
            why,
            body: text,
        }),
    }
}

/// Posts `body` as JSON to `url` under the transport rules every call shares ([`RetryPolicy`]:
/// busy answers retried, cancellation at once), authorised as `format` does it. A 2xx answer is
/// returned parsed as JSON, with its raw text and the number of tries; anything else is the
/// matching [`ProviderError`] (the provider's own message read from an error body).
async fn post_json(
    client: &reqwest::Client,
    format: WireFormat,
    url: &str,
    key: Option<&str>,
    body: &Value,
    cancel: &CancellationToken,
    policy: &RetryPolicy,
) -> Result<(Value, String, u32), ProviderError> {
    let shown = shown_url(url);
    let max_tries = policy.max_tries.max(1);
    let mut tries = 0;
    loop {
        if cancel.is_cancelled() {
            return Err(ProviderError::Cancelled);
        }
        tries += 1;
        let builder = client.post(url).timeout(policy.timeout).json(body);
        let builder = match format {
            WireFormat::OpenAi => openai::authorize(builder, key),
            WireFormat::Anthropic => anthropic::authorize(builder, key),
            WireFormat::Ollama => ollama::authorize(builder, key),
        };
        let answer = async {
            let response = builder.send().await?;
            let status = response.status().as_u16();
            let retry_after = retry_after(response.headers());
            let text = response.text().await?;
            Ok::<_, reqwest::Error>((status, retry_after, text))
        };
        let (status, retry_after, text) = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(ProviderError::Cancelled),
            answer = answer => answer.map_err(|e| ProviderError::Transport {
                url: shown.clone(),
                message: describe(&e, policy.timeout),
            })?,
        };
        let busy = status == 429 || (500..=599).contains(&status);
        if busy && tries < max_tries {
            let wait = policy.wait(tries, retry_after);
            tracing::info!(
                url = %shown,
                status,
                tries,
                "model endpoint busy; retrying in {wait:?}"
            );
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(ProviderError::Cancelled),
                _ = tokio::time::sleep(wait) => {}
            }
            continue;
        }
        if !(200..=299).contains(&status) {
            return Err(status_error(format, shown, status, text, tries));
        }
        return match serde_json::from_str::<Value>(&text) {
            Ok(value) => Ok((value, text, tries)),
            Err(e) => Err(ProviderError::Malformed {
                url: shown,
                why: format!("not JSON ({e})"),
                body: text,
            }),
        };
    }
}

/// An HTTP error answer, with the provider's message and error type when its body has them.
fn status_error(
    format: WireFormat,
    url: String,
    status: u16,
    body: String,
    tries: u32,
) -> ProviderError {
    let detail = serde_json::from_str::<Value>(&body).ok().and_then(|v| {
        let exact = match format {
            WireFormat::OpenAi => openai::error_detail(&v),
            WireFormat::Anthropic => anthropic::error_detail(&v),
            WireFormat::Ollama => ollama::error_detail(&v),
        };
        exact.or_else(|| any_error_detail(&v))
    });
    let (kind, message) = match detail {
        Some(d) => (d.kind, d.message),
        None => {
            let reason = reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("error");
            let message = if body.trim().is_empty() {
                format!("{reason} (empty body)")
            } else {
                format!("{reason}: {}", excerpt(&body))
            };
            (None, message)
        }
    };
    ProviderError::Status {
        url,
        status,
        kind,
        message,
        body,
        tries,
    }
}

/// What an error body says.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ErrorDetail {
    kind: Option<String>,
    message: String,
}

/// The shapes of error bodies that OpenAI-compatible servers use besides OpenAI's own:
/// `{"error": "text"}`, `{"message": "...", "type": "..."}`, `{"detail": "..."}`.
fn any_error_detail(v: &Value) -> Option<ErrorDetail> {
    fn text(v: &Value) -> Option<&str> {
        v.as_str().map(str::trim).filter(|s| !s.is_empty())
    }
    if let Some(e) = v.get("error") {
        if let Some(message) = text(e) {
            return Some(ErrorDetail {
                kind: None,
                message: message.to_string(),
            });
        }
        if let Some(message) = e.get("message").and_then(text) {
            let kind = e.get("type").or_else(|| e.get("code")).and_then(text);
            return Some(ErrorDetail {
                kind: kind.map(str::to_string),
                message: message.to_string(),
            });
        }
    }
    if let Some(message) = v.get("message").and_then(text) {
        let kind = v.get("type").or_else(|| v.get("code")).and_then(text);
        return Some(ErrorDetail {
            kind: kind.map(str::to_string),
            message: message.to_string(),
        });
    }
    v.get("detail").and_then(text).map(|message| ErrorDetail {
        kind: None,
        message: message.to_string(),
    })
}

/// `Retry-After` in seconds (a date is ignored: the backoff applies).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let raw = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let secs: f64 = raw.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

/// The URL as errors show it: without user name or password.
fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// A transport failure in words, with its root cause.
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    let what = if e.is_timeout() {
        format!("no complete answer within {timeout:?}")
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else if e.is_builder() {
        "invalid request URL".to_string()
    } else if e.is_body() || e.is_decode() {
        "the answer broke off".to_string()
    } else {
        "request failed".to_string()
    };
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let cause = cause.to_string();
    if cause.is_empty() || e.is_timeout() {
        what
    } else {
        format!("{what} ({cause})")
    }
}

/// The first 300 characters of a body, for messages.
fn excerpt(text: &str) -> String {
    let t = text.trim();
    if t.is_empty() {
        return "(empty)".to_string();
    }
    let cut: String = t.chars().take(300).collect();
    if cut.len() < t.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// Token counts from two optional fields: `None` when neither is there.
fn usage(prompt: Option<&Value>, completion: Option<&Value>) -> Option<TokenUsage> {
    let prompt = prompt.and_then(Value::as_u64);
    let completion = completion.and_then(Value::as_u64);
    if prompt.is_none() && completion.is_none() {
        return None;
    }
    Some(TokenUsage {
        prompt_tokens: prompt.unwrap_or(0),
        completion_tokens: completion.unwrap_or(0),
    })
}

/// The model the server names, else the requested one.
fn reported_model(v: &Value, requested: &str) -> String {
    v.get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .unwrap_or(requested)
        .to_string()
}

/// The system text when there is one to send.
fn system_text(request: &ChatRequest) -> Option<&str> {
    request.system.as_deref().filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn endpoint(format: WireFormat, base: &str) -> Endpoint {
        Endpoint {
            format,
            base_url: base.to_string(),
            api_key: None,
        }
    }

    #[test]
    fn ollama_hosts_read_like_ollama_host() {
        let cases = [
            ("", "http://127.0.0.1:11434"),
            ("  ", "http://127.0.0.1:11434"),
            ("0.0.0.0", "http://127.0.0.1:11434"),
            ("0.0.0.0:11434", "http://127.0.0.1:11434"),
            ("127.0.0.1:11434", "http://127.0.0.1:11434"),
            ("localhost", "http://localhost:11434"),
            ("gpu-box:8080", "http://gpu-box:8080"),
            (":8080", "http://127.0.0.1:8080"),
            ("\"gpu-box:8080\"", "http://gpu-box:8080"),
            ("http://localhost:11434", "http://localhost:11434"),
            ("http://localhost:11434/", "http://localhost:11434"),
            ("http://gpu-box", "http://gpu-box:80"),
            ("https://gpu-box", "https://gpu-box:443"),
            (
                "https://proxy.example/ollama/",
                "https://proxy.example:443/ollama",
            ),
            ("HTTP://gpu-box:9000", "http://gpu-box:9000"),
            ("ollama.com", "https://ollama.com:443"),
            ("::1", "http://[::1]:11434"),
            ("[::1]", "http://[::1]:11434"),
            ("[::1]:9000", "http://[::1]:9000"),
            ("::", "http://[::1]:11434"),
            ("[::]:9000", "http://[::1]:9000"),
            ("gpu-box:notaport", "http://gpu-box:11434"),
            ("gpu-box:99999", "http://gpu-box:11434"),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_ollama_host(raw), want, "OLLAMA_HOST={raw:?}");
        }
    }

    #[test]
    fn chat_urls_follow_each_format() {
        use WireFormat::*;
        let cases = [
            (OpenAi, "", "https://api.openai.com/v1/chat/completions"),
            (
                OpenAi,
                "https://api.openai.com/v1",
                "https://api.openai.com/v1/chat/completions",
            ),
            (
                OpenAi,
                "http://127.0.0.1:8000/v1/",
                "http://127.0.0.1:8000/v1/chat/completions",
            ),
            (
                OpenAi,
                "http://h/v1/chat/completions",
                "http://h/v1/chat/completions",
            ),
            (Anthropic, "", "https://api.anthropic.com/v1/messages"),
            (
                Anthropic,
                "https://api.anthropic.com",
                "https://api.anthropic.com/v1/messages",
            ),
            (
                Anthropic,
                "https://api.anthropic.com/",
                "https://api.anthropic.com/v1/messages",
            ),
            (
                Anthropic,
                "https://api.anthropic.com/v1",
                "https://api.anthropic.com/v1/messages",
            ),
            (
                Anthropic,
                "https://api.anthropic.com/v1/messages",
                "https://api.anthropic.com/v1/messages",
            ),
            (Ollama, "", "http://localhost:11434/api/chat"),
            (
                Ollama,
                "http://localhost:11434",
                "http://localhost:11434/api/chat",
            ),
            (Ollama, "127.0.0.1:11434", "http://127.0.0.1:11434/api/chat"),
            (Ollama, "0.0.0.0", "http://127.0.0.1:11434/api/chat"),
            (
                Ollama,
                "http://localhost:11434/api",
                "http://localhost:11434/api/chat",
            ),
            (
                Ollama,
                "https://proxy.example/ollama",
                "https://proxy.example:443/ollama/api/chat",
            ),
        ];
        for (format, base, want) in cases {
            assert_eq!(
                endpoint(format, base).chat_url(),
                want,
                "{format} base {base:?}"
            );
        }
    }

    #[test]
    fn default_base_urls() {
        assert_eq!(
            default_base_url(WireFormat::OpenAi),
            "https://api.openai.com/v1"
        );
        assert_eq!(
            default_base_url(WireFormat::Anthropic),
            "https://api.anthropic.com"
        );
        assert_eq!(
            default_base_url(WireFormat::Ollama),
            "http://localhost:11434"
        );
    }

    #[test]
    fn wire_format_names_round_trip() {
        for f in [
            WireFormat::OpenAi,
            WireFormat::Anthropic,
            WireFormat::Ollama,
        ] {
            assert_eq!(serde_json::to_value(f).unwrap(), json!(f.as_str()));
            assert_eq!(f.as_str().parse::<WireFormat>().unwrap(), f);
        }
        assert!("gemini".parse::<WireFormat>().is_err());
    }

    #[test]
    fn the_backoff_doubles_and_retry_after_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.wait(1, None), Duration::from_millis(200));
        assert_eq!(p.wait(2, None), Duration::from_millis(400));
        assert_eq!(p.wait(3, None), Duration::from_millis(800));
        assert_eq!(
            p.wait(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            p.wait(1, Some(Duration::from_secs(120))),
            Duration::from_secs(10)
        );
        assert_eq!(p.wait(1, Some(Duration::ZERO)), Duration::ZERO);
        assert_eq!(p.wait(40, None), Duration::from_secs(10));
        let fast = RetryPolicy::fast();
        assert_eq!(fast.max_tries, 4);
        assert!(fast.wait(1, Some(Duration::from_secs(1))) <= Duration::from_millis(20));
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after", "0.5".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(500)));
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", "-1".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn error_bodies_of_compatible_servers_are_read() {
        let d = any_error_detail(&json!({"error": "boom"})).unwrap();
        assert_eq!((d.kind, d.message.as_str()), (None, "boom"));
        let d = any_error_detail(
            &json!({"object": "error", "message": "bad model", "type": "NotFoundError"}),
        )
        .unwrap();
        assert_eq!(d.kind.as_deref(), Some("NotFoundError"));
        assert_eq!(d.message, "bad model");
        let d = any_error_detail(&json!({"detail": "Not Found"})).unwrap();
        assert_eq!(d.message, "Not Found");
        assert!(any_error_detail(&json!({"ok": true})).is_none());
    }

    #[test]
    fn errors_mask_the_key_and_name_the_url() {
        let e = ProviderError::Status {
            url: "http://h/v1/chat/completions".into(),
            status: 401,
            kind: Some("invalid_request_error".into()),
            message: "Incorrect API key provided: sk-123456".into(),
            body: "{\"key\":\"sk-123456\"}".into(),
            tries: 1,
        }
        .masking("sk-123456");
        let shown = e.to_string();
        assert!(!shown.contains("sk-123456"), "{shown}");
        assert!(!format!("{e:?}").contains("sk-123456"));
        assert_eq!(
            shown,
            "the model endpoint `http://h/v1/chat/completions` answered HTTP 401 \
             (invalid_request_error): Incorrect API key provided: [redacted]"
        );
        let e = status_error(
            WireFormat::Ollama,
            "http://h/api/chat".into(),
            503,
            String::new(),
            4,
        );
        assert_eq!(
            e.to_string(),
            "the model endpoint `http://h/api/chat` answered HTTP 503: Service Unavailable \
             (empty body) (after 4 tries)"
        );
    }

    #[test]
    fn endpoint_debug_hides_the_key() {
        let e = Endpoint {
            format: WireFormat::OpenAi,
            base_url: "http://h/v1".into(),
            api_key: Some("sk-secret-value".into()),
        };
        let shown = format!("{e:?}");
        assert!(!shown.contains("sk-secret-value"), "{shown}");
        assert!(shown.contains("[set]"));
    }

    #[test]
    fn shown_urls_drop_credentials() {
        assert_eq!(
            shown_url("http://user:pw@h:8080/v1/chat/completions"),
            "http://h:8080/v1/chat/completions"
        );
        assert_eq!(shown_url("http://h/api/chat"), "http://h/api/chat");
    }

    #[test]
    fn messages_serialize_with_a_role_tag() {
        let m = ChatMessage::ToolResult {
            call_id: "c1".into(),
            name: "t".into(),
            content: "ok".into(),
            is_error: false,
        };
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["role"], "tool_result");
        assert_eq!(serde_json::from_value::<ChatMessage>(v).unwrap(), m);
        let v = json!({"role": "assistant", "content": "hi"});
        assert_eq!(
            serde_json::from_value::<ChatMessage>(v).unwrap(),
            ChatMessage::Assistant {
                content: Some("hi".into()),
                tool_calls: vec![]
            }
        );
    }
}
