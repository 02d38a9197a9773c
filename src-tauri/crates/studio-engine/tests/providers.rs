//! The model-provider wire layer against local HTTP servers that speak each wire format.
//!
//! Each server listens on 127.0.0.1 (a port picked at run time), checks every request the way
//! the real service would (path, method, headers, body shape: a violation is answered with HTTP
//! 418 and the reason, which fails the test that caused it), records it, and answers from a
//! script. The scenarios run once per format.
//!
//! Longer than 800 lines on purpose: the scenarios run once per wire format against servers that
//! share one checker; split, each file would repeat it.

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use studio_engine::providers::{
    chat, chat_with_policy, ChatMessage, ChatRequest, ChatResponse, Endpoint, ProviderError,
    RetryPolicy, TokenUsage, ToolCall, ToolSpec, WireFormat,
};
use studio_engine::CancellationToken;

const KEY: &str = "sk-test-7f3a9c1e5b2d4680aa";

// ---- the scripted servers ----

/// One scripted answer.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Self::raw(status, body.to_string())
    }

    fn raw(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }

    fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A request as the server received it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: HeaderMap,
    body: Value,
}

#[derive(Clone)]
struct Server {
    format: WireFormat,
    key: Option<String>,
    /// Answers in order; the last one is repeated.
    script: Arc<Mutex<Vec<Reply>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn hits(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

async fn answer(
    State(server): State<Server>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let parsed = serde_json::from_str::<Value>(&body).unwrap_or(Value::Null);
    let verdict = check(
        server.format,
        server.key.as_deref(),
        &method,
        uri.path(),
        &headers,
        &parsed,
    );
    let reply = {
        let mut seen = server.seen.lock().unwrap();
        seen.push(Seen {
            path: uri.path().to_string(),
            headers: headers.clone(),
            body: parsed,
        });
        let script = server.script.lock().unwrap();
        script[(seen.len() - 1).min(script.len() - 1)].clone()
    };
    if let Err(why) = verdict {
        return (
            StatusCode::IM_A_TEAPOT,
            format!("wire violation ({}): {why}", server.format),
        )
            .into_response();
    }
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    response.headers_mut().insert(
        "content-type",
        "application/json".parse().expect("a header value"),
    );
    for (name, value) in reply.headers {
        response
            .headers_mut()
            .insert(name, value.parse().expect("a header value"));
    }
    response
}

/// Starts a server for `format` that expects `key`; returns the endpoint that reaches it.
async fn serve(format: WireFormat, key: Option<&str>, script: Vec<Reply>) -> (Endpoint, Server) {
    assert!(!script.is_empty());
    let server = Server {
        format,
        key: key.map(str::to_string),
        script: Arc::new(Mutex::new(script)),
        seen: Arc::default(),
    };
    let app = Router::new().fallback(answer).with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let base_url = match format {
        WireFormat::OpenAi => format!("http://{addr}/v1"),
        WireFormat::Anthropic => format!("http://{addr}"),
        // OLLAMA_HOST style: no scheme.
        WireFormat::Ollama => addr.to_string(),
    };
    let endpoint = Endpoint {
        format,
        base_url,
        api_key: key.map(str::to_string),
    };
    (endpoint, server)
}

// ---- what each server accepts ----

type Check = Result<(), String>;

fn ensure(ok: bool, why: impl FnOnce() -> String) -> Check {
    if ok {
        Ok(())
    } else {
        Err(why())
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn check(
    format: WireFormat,
    key: Option<&str>,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &Value,
) -> Check {
    ensure(method == Method::POST, || format!("method {method}"))?;
    ensure(
        header(headers, "content-type").is_some_and(|c| c.starts_with("application/json")),
        || "content-type is not application/json".into(),
    )?;
    ensure(body.is_object(), || "the body is not a JSON object".into())?;
    ensure(
        body["model"].as_str().is_some_and(|m| !m.is_empty()),
        || "no model".into(),
    )?;
    let messages = body["messages"]
        .as_array()
        .filter(|m| !m.is_empty())
        .ok_or("no messages")?;
    match format {
        WireFormat::OpenAi => check_openai(key, path, headers, body, messages),
        WireFormat::Anthropic => check_anthropic(key, path, headers, body, messages),
        WireFormat::Ollama => check_ollama(key, path, headers, body, messages),
    }
}

fn check_bearer(key: Option<&str>, headers: &HeaderMap) -> Check {
    let auth = header(headers, "authorization");
    match key {
        Some(key) => ensure(auth == Some(&format!("Bearer {key}")), || {
            format!("authorization header {auth:?}")
        }),
        None => ensure(auth.is_none(), || {
            "an authorization header without a key".into()
        }),
    }
}

/// `[{type: "function", function: {name, description, parameters}}]` (OpenAI and Ollama).
fn check_function_tools(body: &Value) -> Check {
    let Some(tools) = body.get("tools") else {
        return Ok(());
    };
    let tools = tools.as_array().filter(|t| !t.is_empty()).ok_or("tools")?;
    for t in tools {
        ensure(t["type"] == "function", || format!("tool type in {t}"))?;
        ensure(t["function"]["name"].is_string(), || format!("tool {t}"))?;
        ensure(t["function"]["description"].is_string(), || {
            format!("tool {t}")
        })?;
        ensure(t["function"]["parameters"].is_object(), || {
            format!("tool {t}")
        })?;
    }
    Ok(())
}

fn check_openai(
    key: Option<&str>,
    path: &str,
    headers: &HeaderMap,
    body: &Value,
    messages: &[Value],
) -> Check {
    ensure(path == "/v1/chat/completions", || format!("path {path}"))?;
    check_bearer(key, headers)?;
    ensure(headers.get("x-api-key").is_none(), || "x-api-key".into())?;
    ensure(body["max_tokens"].is_u64(), || "max_tokens".into())?;
    for field in ["system", "options", "stream"] {
        ensure(body.get(field).is_none(), || {
            format!("unexpected `{field}`")
        })?;
    }
    if let Some(t) = body.get("temperature") {
        ensure(t.is_number(), || "temperature".into())?;
    }
    let mut call_ids = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        match m["role"].as_str() {
            Some("system") => ensure(i == 0 && m["content"].is_string(), || {
                format!("system message {i}")
            })?,
            Some("user") => ensure(m["content"].is_string(), || format!("user message {i}"))?,
            Some("assistant") => {
                ensure(
                    m.get("content")
                        .is_some_and(|c| c.is_string() || c.is_null()),
                    || format!("assistant content in {m}"),
                )?;
                if let Some(calls) = m.get("tool_calls") {
                    let calls = calls.as_array().filter(|c| !c.is_empty()).ok_or("calls")?;
                    for c in calls {
                        ensure(c["type"] == "function" && c["id"].is_string(), || {
                            format!("tool call {c}")
                        })?;
                        ensure(c["function"]["name"].is_string(), || format!("call {c}"))?;
                        let args = c["function"]["arguments"]
                            .as_str()
                            .ok_or_else(|| format!("arguments are not a JSON string: {c}"))?;
                        serde_json::from_str::<Value>(args)
                            .map_err(|e| format!("arguments {args:?}: {e}"))?;
                        call_ids.push(c["id"].as_str().unwrap_or_default().to_string());
                    }
                }
            }
            Some("tool") => {
                let id = m["tool_call_id"].as_str().ok_or("tool_call_id")?;
                ensure(call_ids.iter().any(|c| c == id), || {
                    format!("tool result for unknown call {id}")
                })?;
                ensure(m["content"].is_string(), || format!("tool message {m}"))?;
            }
            _ => return Err(format!("role in {m}")),
        }
    }
    check_function_tools(body)
}

fn check_anthropic(
    key: Option<&str>,
    path: &str,
    headers: &HeaderMap,
    body: &Value,
    messages: &[Value],
) -> Check {
    ensure(path == "/v1/messages", || format!("path {path}"))?;
    let sent_key = header(headers, "x-api-key");
    ensure(sent_key == key, || format!("x-api-key {sent_key:?}"))?;
    ensure(headers.get("authorization").is_none(), || {
        "an authorization header".into()
    })?;
    ensure(
        header(headers, "anthropic-version") == Some("2023-06-01"),
        || "anthropic-version".into(),
    )?;
    ensure(body["max_tokens"].is_u64(), || "max_tokens".into())?;
    if let Some(system) = body.get("system") {
        ensure(system.is_string(), || "system".into())?;
    }
    let mut previous_uses: Vec<String> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let role = m["role"].as_str().unwrap_or_default();
        let expected = if i % 2 == 0 { "user" } else { "assistant" };
        ensure(role == expected, || {
            format!("message {i} is `{role}`, not `{expected}`: roles must alternate")
        })?;
        let blocks = match &m["content"] {
            Value::String(s) => {
                ensure(!s.is_empty(), || format!("empty content in message {i}"))?;
                ensure(role == "assistant" || previous_uses.is_empty(), || {
                    format!("message {i} does not answer the tool calls {previous_uses:?}")
                })?;
                previous_uses.clear();
                continue;
            }
            Value::Array(blocks) if !blocks.is_empty() => blocks,
            other => return Err(format!("content of message {i}: {other}")),
        };
        let mut uses = Vec::new();
        let mut answered = Vec::new();
        let mut seen_other = false;
        for b in blocks {
            match (role, b["type"].as_str()) {
                (_, Some("text")) => {
                    ensure(b["text"].as_str().is_some_and(|t| !t.is_empty()), || {
                        format!("text block {b}")
                    })?;
                    seen_other = true;
                }
                ("assistant", Some("tool_use")) => {
                    ensure(b["name"].is_string() && b["input"].is_object(), || {
                        format!("tool_use {b}")
                    })?;
                    uses.push(b["id"].as_str().ok_or("tool_use id")?.to_string());
                }
                ("user", Some("tool_result")) => {
                    ensure(!seen_other, || "tool_result after text".into())?;
                    let id = b["tool_use_id"].as_str().ok_or("tool_use_id")?;
                    ensure(previous_uses.iter().any(|u| u == id), || {
                        format!("tool_result for {id}, not a tool_use of the previous message")
                    })?;
                    ensure(
                        b["content"].is_string() && b["is_error"].is_boolean(),
                        || format!("tool_result {b}"),
                    )?;
                    answered.push(id.to_string());
                }
                _ => return Err(format!("block {b} in a `{role}` message")),
            }
        }
        if role == "user" {
            ensure(answered.len() == previous_uses.len(), || {
                format!("message {i} answers {answered:?}, the tool calls were {previous_uses:?}")
            })?;
        }
        previous_uses = uses;
    }
    if let Some(tools) = body.get("tools") {
        for t in tools.as_array().ok_or("tools")? {
            ensure(
                t["name"].is_string()
                    && t["description"].is_string()
                    && t["input_schema"].is_object()
                    && t.get("type").is_none(),
                || format!("tool {t}"),
            )?;
        }
    }
    Ok(())
}

fn check_ollama(
    key: Option<&str>,
    path: &str,
    headers: &HeaderMap,
    body: &Value,
    messages: &[Value],
) -> Check {
    ensure(path == "/api/chat", || format!("path {path}"))?;
    check_bearer(key, headers)?;
    ensure(body["stream"] == false, || "`stream` is not false".into())?;
    ensure(body["options"]["num_predict"].is_u64(), || {
        "options.num_predict".into()
    })?;
    ensure(body.get("max_tokens").is_none(), || "max_tokens".into())?;
    for m in messages {
        ensure(m["content"].is_string(), || format!("content of {m}"))?;
        match m["role"].as_str() {
            Some("system" | "user") => {}
            Some("assistant") => {
                if let Some(calls) = m.get("tool_calls") {
                    for c in calls.as_array().ok_or("tool_calls")? {
                        ensure(
                            c["function"]["name"].is_string()
                                && c["function"]["arguments"].is_object(),
                            || format!("tool call {c}"),
                        )?;
                    }
                }
            }
            Some("tool") => ensure(m["tool_name"].is_string(), || format!("tool {m}"))?,
            _ => return Err(format!("role in {m}")),
        }
    }
    check_function_tools(body)
}

// ---- scripted bodies in each format ----

fn text_answer(format: WireFormat, text: &str, prompt: u64, completion: u64) -> Value {
    match format {
        WireFormat::OpenAi => json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1_700_000_000,
            "model": "gpt-test-0613",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion},
        }),
        WireFormat::Anthropic => json!({
            "id": "msg_01", "type": "message", "role": "assistant",
            "model": "claude-test-20250101",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": prompt, "output_tokens": completion},
        }),
        WireFormat::Ollama => json!({
            "model": "llama-test", "created_at": "2025-01-01T00:00:00.000Z",
            "message": {"role": "assistant", "content": text},
            "done": true, "done_reason": "stop", "total_duration": 1_000_000,
            "prompt_eval_count": prompt, "eval_count": completion,
        }),
    }
}

fn served_model(format: WireFormat) -> &'static str {
    match format {
        WireFormat::OpenAi => "gpt-test-0613",
        WireFormat::Anthropic => "claude-test-20250101",
        WireFormat::Ollama => "llama-test",
    }
}

fn error_reply(format: WireFormat, status: u16, kind: &str, message: &str) -> Reply {
    let body = match format {
        WireFormat::OpenAi => json!({"error": {"message": message, "type": kind,
                                               "param": null, "code": null}}),
        WireFormat::Anthropic => json!({"type": "error",
                                        "error": {"type": kind, "message": message}}),
        WireFormat::Ollama => json!({"error": message}),
    };
    Reply::json(status, body)
}

fn request(text: &str) -> ChatRequest {
    ChatRequest {
        model: "test-model".into(),
        system: Some("You are terse.".into()),
        messages: vec![ChatMessage::user(text)],
        max_tokens: 256,
        temperature: Some(0.2),
        tools: Vec::new(),
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn call(endpoint: &Endpoint, request: &ChatRequest) -> Result<ChatResponse, ProviderError> {
    chat_with_policy(
        &client(),
        endpoint,
        request,
        &CancellationToken::new(),
        &RetryPolicy::fast(),
    )
    .await
}

fn status_of(e: &ProviderError) -> (u16, Option<&str>, &str, &str, u32) {
    match e {
        ProviderError::Status {
            status,
            kind,
            message,
            body,
            tries,
            ..
        } => (*status, kind.as_deref(), message, body, *tries),
        other => panic!("not an HTTP status error: {other}"),
    }
}

/// Runs a scenario once per wire format, as three tests.
macro_rules! per_format {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use super::WireFormat;

            #[tokio::test]
            async fn openai() {
                super::$scenario(WireFormat::OpenAi).await
            }

            #[tokio::test]
            async fn anthropic() {
                super::$scenario(WireFormat::Anthropic).await
            }

            #[tokio::test]
            async fn ollama() {
                super::$scenario(WireFormat::Ollama).await
            }
        }
    )*};
}

per_format!(
    plain_answer_with_usage,
    no_key_no_credentials,
    provider_error_body_is_surfaced_and_not_retried,
    rate_limit_then_success,
    server_errors_three_times_then_success,
    persistent_503_gives_up_after_four_tries,
    malformed_answers_keep_their_body,
    tool_call_round_trip,
    connection_refused_is_transport,
    cancel_during_a_slow_answer,
    cancel_during_the_retry_wait,
    the_key_never_shows_in_errors,
);

// ---- the scenarios ----

async fn plain_answer_with_usage(format: WireFormat) {
    let reply = Reply::json(200, text_answer(format, "Paris.", 21, 2));
    let (endpoint, server) = serve(format, Some(KEY), vec![reply]).await;
    // The entry point with the default policy.
    let r = chat(
        &client(),
        &endpoint,
        &request("Capital of France?"),
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(r.text, "Paris.");
    assert!(r.tool_calls.is_empty());
    assert_eq!(r.model, served_model(format));
    assert_eq!(
        r.usage,
        Some(TokenUsage {
            prompt_tokens: 21,
            completion_tokens: 2
        })
    );
    assert_eq!(r.finish_reason.as_deref(), Some("stop"));
    assert_eq!(r.tries, 1);

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let body = &seen[0].body;
    assert_eq!(body["model"], "test-model");
    match format {
        WireFormat::OpenAi => {
            assert_eq!(seen[0].path, "/v1/chat/completions");
            assert_eq!(
                body["messages"],
                json!([{"role": "system", "content": "You are terse."},
                       {"role": "user", "content": "Capital of France?"}])
            );
            assert_eq!(body["max_tokens"], 256);
            assert_eq!(body["temperature"], 0.2);
            assert!(body.get("tools").is_none());
        }
        WireFormat::Anthropic => {
            assert_eq!(seen[0].path, "/v1/messages");
            assert_eq!(header(&seen[0].headers, "x-api-key"), Some(KEY));
            assert_eq!(body["system"], "You are terse.");
            assert_eq!(
                body["messages"],
                json!([{"role": "user", "content": "Capital of France?"}])
            );
            assert_eq!(body["max_tokens"], 256);
            assert_eq!(body["temperature"], 0.2);
        }
        WireFormat::Ollama => {
            assert_eq!(seen[0].path, "/api/chat");
            assert_eq!(body["stream"], false);
            assert_eq!(
                body["options"],
                json!({"num_predict": 256, "temperature": 0.2})
            );
            assert_eq!(
                body["messages"],
                json!([{"role": "system", "content": "You are terse."},
                       {"role": "user", "content": "Capital of France?"}])
            );
        }
    }
}

async fn no_key_no_credentials(format: WireFormat) {
    // Without a system text or temperature, and without usage in the answer.
    let mut answer = text_answer(format, "Hi.", 0, 0);
    let answer = answer.as_object_mut().unwrap();
    for field in ["usage", "prompt_eval_count", "eval_count", "model"] {
        answer.remove(field);
    }
    let reply = Reply::json(200, Value::Object(answer.clone()));
    let (endpoint, server) = serve(format, None, vec![reply]).await;
    let mut req = request("Hello");
    req.system = None;
    req.temperature = None;
    let r = call(&endpoint, &req).await.unwrap();
    assert_eq!(r.text, "Hi.");
    assert_eq!(r.usage, None);
    assert_eq!(
        r.model, "test-model",
        "the requested model when none is reported"
    );
    let seen = server.seen();
    assert!(seen[0].headers.get("authorization").is_none());
    assert!(seen[0].headers.get("x-api-key").is_none());
    let body = &seen[0].body;
    assert!(body.get("system").is_none());
    assert!(body.get("temperature").is_none());
    assert!(body["options"].get("temperature").is_none());
    assert_eq!(body["messages"].as_array().unwrap().len(), 1);
}

async fn provider_error_body_is_surfaced_and_not_retried(format: WireFormat) {
    let (status, kind, message) = match format {
        WireFormat::OpenAi => (
            400,
            Some("invalid_request_error"),
            "Invalid value for 'max_tokens': must be a positive integer.",
        ),
        WireFormat::Anthropic => (404, Some("not_found_error"), "model: test-model"),
        WireFormat::Ollama => (
            404,
            None,
            "model \"test-model\" not found, try pulling it first",
        ),
    };
    let reply = error_reply(format, status, kind.unwrap_or(""), message);
    let raw = reply.body.clone();
    let (endpoint, server) = serve(format, Some(KEY), vec![reply]).await;
    let e = call(&endpoint, &request("hi")).await.unwrap_err();
    assert_eq!(status_of(&e), (status, kind, message, raw.as_str(), 1));
    assert_eq!(server.hits(), 1, "a 4xx other than 429 is not retried");
    let shown = e.to_string();
    assert!(shown.contains(message), "{shown}");
    assert!(shown.contains(&endpoint.chat_url()), "{shown}");
    assert!(shown.contains(&format!("HTTP {status}")), "{shown}");
}

async fn rate_limit_then_success(format: WireFormat) {
    let limited = error_reply(format, 429, "rate_limit_error", "Rate limit reached")
        .header("retry-after", "0");
    let ok = Reply::json(200, text_answer(format, "Done.", 5, 1));
    let (endpoint, server) = serve(format, Some(KEY), vec![limited, ok]).await;
    let r = call(&endpoint, &request("hi")).await.unwrap();
    assert_eq!((r.text.as_str(), r.tries), ("Done.", 2));
    assert_eq!(server.hits(), 2);
    let seen = server.seen();
    assert_eq!(seen[0].body, seen[1].body, "a retry sends the same request");
}

async fn server_errors_three_times_then_success(format: WireFormat) {
    let statuses: [(u16, &str); 3] = match format {
        WireFormat::OpenAi => [(500, "server_error"), (502, ""), (503, "server_error")],
        WireFormat::Anthropic => [
            (529, "overloaded_error"),
            (529, "overloaded_error"),
            (500, "api_error"),
        ],
        WireFormat::Ollama => [(500, ""), (503, ""), (502, "")],
    };
    let mut script: Vec<Reply> = statuses
        .iter()
        .map(|&(status, kind)| error_reply(format, status, kind, "try again later"))
        .collect();
    script.push(Reply::json(200, text_answer(format, "At last.", 5, 2)));
    let (endpoint, server) = serve(format, Some(KEY), script).await;
    let r = call(&endpoint, &request("hi")).await.unwrap();
    assert_eq!((r.text.as_str(), r.tries), ("At last.", 4));
    assert_eq!(server.hits(), 4);
}

async fn persistent_503_gives_up_after_four_tries(format: WireFormat) {
    let reply = error_reply(format, 503, "overloaded_error", "Service overloaded");
    let (endpoint, server) = serve(format, Some(KEY), vec![reply]).await;
    let e = call(&endpoint, &request("hi")).await.unwrap_err();
    let (status, _, message, _, tries) = status_of(&e);
    assert_eq!((status, message, tries), (503, "Service overloaded", 4));
    assert_eq!(server.hits(), 4);
    assert!(e.to_string().contains("after 4 tries"), "{e}");
}

async fn malformed_answers_keep_their_body(format: WireFormat) {
    let html = "<html><body>502 Bad Gateway</body></html>";
    let no_message = match format {
        WireFormat::OpenAi => json!({"id": "chatcmpl-1", "object": "chat.completion",
                                     "choices": [{"index": 0, "finish_reason": "stop"}]}),
        WireFormat::Anthropic => json!({"id": "msg_01", "type": "message",
                                        "role": "assistant", "model": "claude"}),
        WireFormat::Ollama => json!({"model": "llama-test", "done": true}),
    }
    .to_string();
    let script = vec![Reply::raw(200, html), Reply::raw(200, no_message.clone())];
    let (endpoint, server) = serve(format, Some(KEY), script).await;
    for raw in [html, no_message.as_str()] {
        match call(&endpoint, &request("hi")).await.unwrap_err() {
            ProviderError::Malformed { url, why, body } => {
                assert_eq!(body, raw);
                assert_eq!(url, endpoint.chat_url());
                assert!(!why.is_empty());
            }
            other => panic!("not malformed: {other}"),
        }
    }
    assert_eq!(server.hits(), 2, "a malformed answer is not retried");
}

fn weather_tool() -> ToolSpec {
    ToolSpec {
        name: "get_weather".into(),
        description: "The current weather of a city".into(),
        input_schema: json!({"type": "object", "properties": {"city": {"type": "string"}},
                             "required": ["city"]}),
    }
}

/// The first answer of the round trip: two tool calls (Paris, Lyon).
fn tool_answer(format: WireFormat) -> Value {
    match format {
        WireFormat::OpenAi => json!({
            "id": "chatcmpl-2", "object": "chat.completion", "model": "gpt-test-0613",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_Pa1", "type": "function",
                     "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                    {"id": "call_Ly2", "type": "function",
                     "function": {"name": "get_weather", "arguments": "{\"city\": \"Lyon\"}"}},
                ]}}],
            "usage": {"prompt_tokens": 80, "completion_tokens": 30, "total_tokens": 110},
        }),
        WireFormat::Anthropic => json!({
            "id": "msg_02", "type": "message", "role": "assistant",
            "model": "claude-test-20250101",
            "content": [
                {"type": "text", "text": "Checking both cities."},
                {"type": "tool_use", "id": "toolu_Pa1", "name": "get_weather",
                 "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_Ly2", "name": "get_weather",
                 "input": {"city": "Lyon"}},
            ],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 80, "output_tokens": 30},
        }),
        WireFormat::Ollama => json!({
            "model": "llama-test", "created_at": "2025-01-01T00:00:00.000Z",
            "message": {"role": "assistant", "content": "", "tool_calls": [
                {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                {"function": {"name": "get_weather", "arguments": {"city": "Lyon"}}},
            ]},
            "done": true, "done_reason": "stop", "prompt_eval_count": 80, "eval_count": 30,
        }),
    }
}

async fn tool_call_round_trip(format: WireFormat) {
    let script = vec![
        Reply::json(200, tool_answer(format)),
        Reply::json(
            200,
            text_answer(format, "Paris: sunny, 21 °C. Lyon: unknown.", 120, 12),
        ),
    ];
    let (endpoint, server) = serve(format, Some(KEY), script).await;
    let mut req = request("Weather in Paris and Lyon?");
    req.tools = vec![weather_tool()];

    let first = call(&endpoint, &req).await.unwrap();
    let (ids, text): ([&str; 2], &str) = match format {
        WireFormat::OpenAi => (["call_Pa1", "call_Ly2"], ""),
        WireFormat::Anthropic => (["toolu_Pa1", "toolu_Ly2"], "Checking both cities."),
        WireFormat::Ollama => (["call_0", "call_1"], ""),
    };
    assert_eq!(first.text, text);
    assert_eq!(first.finish_reason.as_deref(), Some("tool_calls"));
    let expected_calls = vec![
        ToolCall {
            id: ids[0].into(),
            name: "get_weather".into(),
            arguments: json!({"city": "Paris"}),
        },
        ToolCall {
            id: ids[1].into(),
            name: "get_weather".into(),
            arguments: json!({"city": "Lyon"}),
        },
    ];
    assert_eq!(first.tool_calls, expected_calls);

    req.messages.push(ChatMessage::Assistant {
        content: (!first.text.is_empty()).then(|| first.text.clone()),
        tool_calls: first.tool_calls.clone(),
    });
    req.messages.push(ChatMessage::ToolResult {
        call_id: ids[0].into(),
        name: "get_weather".into(),
        content: "sunny, 21 °C".into(),
        is_error: false,
    });
    req.messages.push(ChatMessage::ToolResult {
        call_id: ids[1].into(),
        name: "get_weather".into(),
        content: "weather service timed out".into(),
        is_error: true,
    });
    let last = call(&endpoint, &req).await.unwrap();
    assert_eq!(last.text, "Paris: sunny, 21 °C. Lyon: unknown.");
    assert_eq!(last.finish_reason.as_deref(), Some("stop"));
    assert!(last.tool_calls.is_empty());

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let (first_body, second_body) = (&seen[0].body, &seen[1].body);
    assert_eq!(first_body["tools"], second_body["tools"]);
    let schema = weather_tool().input_schema;
    match format {
        WireFormat::OpenAi => {
            assert_eq!(
                first_body["tools"],
                json!([{"type": "function", "function": {"name": "get_weather",
                    "description": "The current weather of a city", "parameters": schema}}])
            );
            let messages = second_body["messages"].as_array().unwrap();
            assert_eq!(messages.len(), 5);
            let assistant = &messages[2];
            assert_eq!(assistant["role"], "assistant");
            assert_eq!(assistant["content"], Value::Null);
            let calls = assistant["tool_calls"].as_array().unwrap();
            for (call, city) in calls.iter().zip(["Paris", "Lyon"]) {
                let args = call["function"]["arguments"].as_str().expect("JSON text");
                assert_eq!(
                    serde_json::from_str::<Value>(args).unwrap(),
                    json!({"city": city})
                );
                assert_eq!(call["type"], "function");
            }
            assert_eq!(
                &messages[3..],
                &[
                    json!({"role": "tool", "tool_call_id": "call_Pa1",
                           "content": "sunny, 21 °C"}),
                    json!({"role": "tool", "tool_call_id": "call_Ly2",
                           "content": "weather service timed out"}),
                ]
            );
        }
        WireFormat::Anthropic => {
            assert_eq!(
                first_body["tools"],
                json!([{"name": "get_weather", "description": "The current weather of a city",
                        "input_schema": schema}])
            );
            assert_eq!(
                second_body["messages"],
                json!([
                    {"role": "user", "content": "Weather in Paris and Lyon?"},
                    {"role": "assistant", "content": [
                        {"type": "text", "text": "Checking both cities."},
                        {"type": "tool_use", "id": "toolu_Pa1", "name": "get_weather",
                         "input": {"city": "Paris"}},
                        {"type": "tool_use", "id": "toolu_Ly2", "name": "get_weather",
                         "input": {"city": "Lyon"}},
                    ]},
                    // Both results in one user message.
                    {"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_Pa1",
                         "content": "sunny, 21 °C", "is_error": false},
                        {"type": "tool_result", "tool_use_id": "toolu_Ly2",
                         "content": "weather service timed out", "is_error": true},
                    ]},
                ])
            );
        }
        WireFormat::Ollama => {
            assert_eq!(
                first_body["tools"],
                json!([{"type": "function", "function": {"name": "get_weather",
                    "description": "The current weather of a city", "parameters": schema}}])
            );
            let messages = second_body["messages"].as_array().unwrap();
            assert_eq!(
                &messages[2..],
                &[
                    json!({"role": "assistant", "content": "", "tool_calls": [
                        {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                        {"function": {"name": "get_weather", "arguments": {"city": "Lyon"}}},
                    ]}),
                    json!({"role": "tool", "content": "sunny, 21 °C",
                           "tool_name": "get_weather"}),
                    json!({"role": "tool", "content": "weather service timed out",
                           "tool_name": "get_weather"}),
                ]
            );
            assert_eq!(second_body["stream"], false);
        }
    }
}

async fn connection_refused_is_transport(format: WireFormat) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let base_url = match format {
        WireFormat::OpenAi => format!("http://{addr}/v1"),
        WireFormat::Anthropic => format!("http://{addr}"),
        WireFormat::Ollama => format!("http://{addr}"),
    };
    let endpoint = Endpoint {
        format,
        base_url,
        api_key: Some(KEY.into()),
    };
    match call(&endpoint, &request("hi")).await.unwrap_err() {
        ProviderError::Transport { url, message } => {
            assert_eq!(url, endpoint.chat_url());
            assert!(message.contains("cannot connect"), "{message}");
        }
        other => panic!("not a transport error: {other}"),
    }
}

/// Cancels `cancel` after 100 ms; the call must end with `Cancelled` well before `bound`.
async fn cancelled_call(endpoint: &Endpoint, policy: &RetryPolicy) {
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let result = chat_with_policy(&client(), endpoint, &request("hi"), &cancel, policy).await;
    assert!(
        matches!(result, Err(ProviderError::Cancelled)),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3), "slow to cancel");
}

async fn cancel_during_a_slow_answer(format: WireFormat) {
    let slow =
        Reply::json(200, text_answer(format, "Too late.", 1, 1)).after(Duration::from_secs(30));
    let (endpoint, server) = serve(format, Some(KEY), vec![slow]).await;
    cancelled_call(&endpoint, &RetryPolicy::fast()).await;
    assert_eq!(server.hits(), 1);
}

async fn cancel_during_the_retry_wait(format: WireFormat) {
    let busy = error_reply(format, 503, "overloaded_error", "busy").header("retry-after", "10");
    let (endpoint, server) = serve(format, Some(KEY), vec![busy]).await;
    // Waits as long as the server asks (up to 10 s).
    let policy = RetryPolicy {
        max_wait: Duration::from_secs(10),
        ..RetryPolicy::fast()
    };
    cancelled_call(&endpoint, &policy).await;
    assert_eq!(server.hits(), 1);
}

async fn the_key_never_shows_in_errors(format: WireFormat) {
    let echoed = format!("Incorrect API key provided: {KEY}.");
    let script = vec![
        error_reply(format, 401, "authentication_error", &echoed),
        Reply::raw(200, format!("not JSON; you sent {KEY}")),
    ];
    let (endpoint, _server) = serve(format, Some(KEY), script).await;
    let unauthorized = call(&endpoint, &request("hi")).await.unwrap_err();
    let (status, _, message, _, tries) = status_of(&unauthorized);
    assert_eq!((status, tries), (401, 1));
    assert!(
        message.starts_with("Incorrect API key provided: "),
        "{message}"
    );
    let malformed = call(&endpoint, &request("hi")).await.unwrap_err();
    assert!(matches!(malformed, ProviderError::Malformed { .. }));
    let refused = Endpoint {
        base_url: "http://127.0.0.1:1".into(),
        ..endpoint.clone()
    };
    let unreachable = call(&refused, &request("hi")).await.unwrap_err();
    for e in [unauthorized, malformed, unreachable] {
        let shown = e.to_string();
        assert!(!shown.contains(KEY), "the key in {shown}");
        assert!(!format!("{e:?}").contains(KEY), "the key in {e:?}");
        assert!(shown.contains("127.0.0.1:"), "no URL in {shown}");
    }
    assert!(!format!("{endpoint:?}").contains(KEY));
}

// ---- single-format details ----

#[tokio::test]
async fn anthropic_persistent_529_reports_overloaded_error() {
    let format = WireFormat::Anthropic;
    let overloaded = error_reply(format, 529, "overloaded_error", "Overloaded");
    let (endpoint, server) = serve(format, Some(KEY), vec![overloaded]).await;
    let e = call(&endpoint, &request("hi")).await.unwrap_err();
    let (status, kind, message, _, tries) = status_of(&e);
    assert_eq!(
        (status, kind, message, tries),
        (529, Some("overloaded_error"), "Overloaded", 4)
    );
    assert_eq!(server.hits(), 4);
}

#[tokio::test]
async fn anthropic_base_url_ending_in_v1_is_accepted() {
    let format = WireFormat::Anthropic;
    let reply = Reply::json(200, text_answer(format, "ok", 1, 1));
    let (mut endpoint, server) = serve(format, Some(KEY), vec![reply]).await;
    endpoint.base_url = format!("{}/v1/", endpoint.base_url);
    assert_eq!(call(&endpoint, &request("hi")).await.unwrap().text, "ok");
    assert_eq!(server.seen()[0].path, "/v1/messages");
}

#[tokio::test]
async fn ollama_length_finish_reason_and_full_url_host() {
    let format = WireFormat::Ollama;
    let mut answer = text_answer(format, "Cut sh", 10, 64);
    answer["done_reason"] = json!("length");
    let (mut endpoint, _server) = serve(format, None, vec![Reply::json(200, answer)]).await;
    endpoint.base_url = format!("http://{}/", endpoint.base_url);
    let r = call(&endpoint, &request("hi")).await.unwrap();
    assert_eq!(r.finish_reason.as_deref(), Some("length"));
}

#[tokio::test]
async fn openai_arguments_that_are_not_json_are_malformed() {
    let format = WireFormat::OpenAi;
    let body = json!({
        "id": "c", "model": "gpt-test-0613",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null, "tool_calls": [{"id": "call_1",
            "type": "function", "function": {"name": "get_weather", "arguments": "{city: Paris"}}]}}],
    })
    .to_string();
    let (endpoint, _server) = serve(format, None, vec![Reply::raw(200, body.clone())]).await;
    match call(&endpoint, &request("hi")).await.unwrap_err() {
        ProviderError::Malformed {
            why, body: kept, ..
        } => {
            assert_eq!(kept, body);
            assert!(why.contains("get_weather"), "{why}");
        }
        other => panic!("not malformed: {other}"),
    }
}

#[tokio::test]
async fn openai_finish_reason_length_and_text_with_tool_calls() {
    let format = WireFormat::OpenAi;
    let mut answer = text_answer(format, "Partial", 3, 256);
    answer["choices"][0]["finish_reason"] = json!("length");
    let (endpoint, _server) = serve(format, None, vec![Reply::json(200, answer)]).await;
    let r = call(&endpoint, &request("hi")).await.unwrap();
    assert_eq!(
        (r.text.as_str(), r.finish_reason.as_deref()),
        ("Partial", Some("length"))
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let format = WireFormat::OpenAi;
    let limited =
        error_reply(format, 429, "rate_limit_error", "slow down").header("retry-after", "1");
    let ok = Reply::json(200, text_answer(format, "ok", 1, 1));
    let (endpoint, _server) = serve(format, None, vec![limited, ok]).await;
    let policy = RetryPolicy {
        max_wait: Duration::from_secs(10),
        ..RetryPolicy::fast()
    };
    let started = Instant::now();
    let r = chat_with_policy(
        &client(),
        &endpoint,
        &request("hi"),
        &CancellationToken::new(),
        &policy,
    )
    .await
    .unwrap();
    assert_eq!(r.tries, 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_try_that_outlives_the_timeout_is_transport() {
    let format = WireFormat::Ollama;
    let slow = Reply::json(200, text_answer(format, "late", 1, 1)).after(Duration::from_secs(30));
    let (endpoint, _server) = serve(format, None, vec![slow]).await;
    let policy = RetryPolicy {
        timeout: Duration::from_millis(200),
        ..RetryPolicy::fast()
    };
    let e = chat_with_policy(
        &client(),
        &endpoint,
        &request("hi"),
        &CancellationToken::new(),
        &policy,
    )
    .await
    .unwrap_err();
    match e {
        ProviderError::Transport { message, .. } => {
            assert!(message.contains("within"), "{message}")
        }
        other => panic!("not a transport error: {other}"),
    }
}

#[tokio::test]
async fn the_servers_reject_what_the_real_services_would() {
    // The checks above are only worth something if they catch mistakes.
    let headers = |pairs: &[(&'static str, &str)]| {
        let mut h = HeaderMap::new();
        h.insert("content-type", "application/json".parse().unwrap());
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    };
    let post = Method::POST;
    let user = json!([{"role": "user", "content": "hi"}]);
    // Anthropic: two separate user messages of tool results break the alternation.
    let split_results = json!({"model": "m", "max_tokens": 5, "messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "a", "name": "t", "input": {}},
            {"type": "tool_use", "id": "b", "name": "t", "input": {}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "a", "content": "1", "is_error": false}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "b", "content": "2", "is_error": false}]},
    ]});
    let anthropic_headers = headers(&[("anthropic-version", "2023-06-01")]);
    assert!(check(
        WireFormat::Anthropic,
        None,
        &post,
        "/v1/messages",
        &anthropic_headers,
        &split_results
    )
    .is_err());
    // Anthropic: no version header.
    let plain = json!({"model": "m", "max_tokens": 5, "messages": user});
    assert!(check(
        WireFormat::Anthropic,
        None,
        &post,
        "/v1/messages",
        &headers(&[]),
        &plain
    )
    .is_err());
    assert!(check(
        WireFormat::Anthropic,
        None,
        &post,
        "/v1/messages",
        &anthropic_headers,
        &plain
    )
    .is_ok());
    // OpenAI: arguments as an object.
    let object_args = json!({"model": "m", "max_tokens": 5, "messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "a", "type": "function",
            "function": {"name": "t", "arguments": {}}}]},
    ]});
    assert!(check(
        WireFormat::OpenAi,
        None,
        &post,
        "/v1/chat/completions",
        &headers(&[]),
        &object_args
    )
    .is_err());
    // OpenAI: a bearer token without a key configured.
    let plain = json!({"model": "m", "max_tokens": 5, "messages": user});
    assert!(check(
        WireFormat::OpenAi,
        None,
        &post,
        "/v1/chat/completions",
        &headers(&[("authorization", "Bearer x")]),
        &plain
    )
    .is_err());
    // Ollama: streaming left on.
    let streaming = json!({"model": "m", "messages": user, "options": {"num_predict": 5}});
    assert!(check(
        WireFormat::Ollama,
        None,
        &post,
        "/api/chat",
        &headers(&[]),
        &streaming
    )
    .is_err());
}
