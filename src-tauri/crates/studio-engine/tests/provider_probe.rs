//! Connection checks against local servers that speak each wire format: the list of models
//! first (right path, right headers, the key where the service wants it), a 1-token chat when
//! the list does not name the model, and every failure told as the provider tells it, without
//! the key.

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use studio_engine::providers::{
    probe, Endpoint, ProbeError, ProbeMethod, ProviderError, WireFormat,
};

const KEY: &str = "sk-probe-5e1d0c2b7a";
const LIMIT: Duration = Duration::from_secs(5);

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Value,
}

/// Answers by path; a path it has no answer for is a 404 with the service's error body.
#[derive(Clone, Default)]
struct Server {
    answers: Arc<HashMap<String, (u16, Value)>>,
    delay: Duration,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn answer(
    State(server): State<Server>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    server.seen.lock().unwrap().push(Seen {
        method,
        path: uri.path().to_string(),
        headers,
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
    });
    if !server.delay.is_zero() {
        tokio::time::sleep(server.delay).await;
    }
    let (status, body) = server
        .answers
        .get(uri.path())
        .cloned()
        .unwrap_or((404, json!({"error": "404 page not found"})));
    let mut response = (StatusCode::from_u16(status).unwrap(), body.to_string()).into_response();
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    response
}

async fn serve(
    format: WireFormat,
    key: Option<&str>,
    answers: &[(&str, u16, Value)],
    delay: Duration,
) -> (Endpoint, Server) {
    let server = Server {
        answers: Arc::new(
            answers
                .iter()
                .map(|(p, s, b)| (p.to_string(), (*s, b.clone())))
                .collect(),
        ),
        delay,
        seen: Arc::default(),
    };
    let app = Router::new().fallback(answer).with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let base_url = match format {
        WireFormat::OpenAi => format!("http://{addr}/v1"),
        WireFormat::Anthropic => format!("http://{addr}"),
        WireFormat::Ollama => format!("http://{addr}"),
    };
    let endpoint = Endpoint {
        format,
        base_url,
        api_key: key.map(str::to_string),
    };
    (endpoint, server)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn header<'a>(seen: &'a Seen, name: &str) -> Option<&'a str> {
    seen.headers.get(name).and_then(|v| v.to_str().ok())
}

fn openai_chat() -> Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "local-model-q4",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK"}, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10}
    })
}

#[tokio::test]
async fn openai_compatible_lists_the_model_with_the_bearer_key() {
    let (endpoint, server) = serve(
        WireFormat::OpenAi,
        Some(KEY),
        &[(
            "/v1/models",
            200,
            json!({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}, {"id": "o3"}]}),
        )],
        Duration::ZERO,
    )
    .await;
    let report = probe(&client(), &endpoint, "gpt-4o-mini", LIMIT)
        .await
        .unwrap();
    assert_eq!(report.method, ProbeMethod::ListModels);
    assert_eq!(report.model, "gpt-4o-mini");
    assert_eq!(report.models, vec!["gpt-4o-mini", "o3"]);
    assert!(report.url.ends_with("/v1/models"), "{}", report.url);
    assert!(report.note.is_none());
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "one request, no token spent");
    assert_eq!(seen[0].method, Method::GET);
    assert_eq!(
        header(&seen[0], "authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[tokio::test]
async fn a_model_the_list_does_not_name_is_tried_with_a_one_token_chat() {
    let (endpoint, server) = serve(
        WireFormat::OpenAi,
        None,
        &[
            (
                "/v1/models",
                200,
                json!({"data": [{"id": "/models/local-model-q4.gguf"}]}),
            ),
            ("/v1/chat/completions", 200, openai_chat()),
        ],
        Duration::ZERO,
    )
    .await;
    let report = probe(&client(), &endpoint, "default", LIMIT).await.unwrap();
    assert_eq!(report.method, ProbeMethod::Chat);
    assert_eq!(report.model, "local-model-q4", "the model that answered");
    assert!(report.url.ends_with("/v1/chat/completions"));
    let note = report.note.unwrap();
    assert!(
        note.contains("`default` is not among the 1 models"),
        "{note}"
    );
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].method, Method::POST);
    assert_eq!(seen[1].body["model"], "default");
    assert_eq!(seen[1].body["max_tokens"], 1, "{}", seen[1].body);
    assert_eq!(header(&seen[1], "authorization"), None, "no key, no header");
}

#[tokio::test]
async fn a_server_without_a_list_of_models_is_checked_by_chat() {
    let (endpoint, _server) = serve(
        WireFormat::OpenAi,
        None,
        &[("/v1/chat/completions", 200, openai_chat())],
        Duration::ZERO,
    )
    .await;
    let report = probe(&client(), &endpoint, "phi3", LIMIT).await.unwrap();
    assert_eq!(report.method, ProbeMethod::Chat);
    assert!(
        report.note.as_deref().unwrap().contains("HTTP 404"),
        "{:?}",
        report.note
    );
    assert!(report.models.is_empty());
}

#[tokio::test]
async fn a_missing_model_names_the_list_and_the_providers_refusal() {
    let (endpoint, _server) = serve(
        WireFormat::OpenAi,
        None,
        &[
            ("/v1/models", 200, json!({"data": [{"id": "gpt-4o"}]})),
            (
                "/v1/chat/completions",
                404,
                json!({"error": {"message": "The model `gpt-5-nano` does not exist", "type": "invalid_request_error", "code": "model_not_found"}}),
            ),
        ],
        Duration::ZERO,
    )
    .await;
    let err = probe(&client(), &endpoint, "gpt-5-nano", LIMIT)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let text = err.to_string();
    assert!(matches!(err, ProbeError::ModelMissing { .. }));
    assert!(
        text.contains("`gpt-5-nano` is not among the 1 models"),
        "{text}"
    );
    assert!(text.contains("(gpt-4o)"), "{text}");
    assert!(
        text.contains("The model `gpt-5-nano` does not exist"),
        "{text}"
    );
}

#[tokio::test]
async fn a_rejected_key_is_the_providers_message_without_the_key() {
    let (endpoint, server) = serve(
        WireFormat::OpenAi,
        Some(KEY),
        &[(
            "/v1/models",
            401,
            json!({"error": {"message": format!("Incorrect API key provided: {KEY}."), "type": "invalid_request_error", "code": "invalid_api_key"}}),
        )],
        Duration::ZERO,
    )
    .await;
    let err = probe(&client(), &endpoint, "gpt-4o-mini", LIMIT)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    let text = err.to_string();
    assert!(text.contains("HTTP 401"), "{text}");
    assert!(text.contains("Incorrect API key provided"), "{text}");
    assert!(!text.contains(KEY), "the key is masked: {text}");
    assert!(!format!("{err:?}").contains(KEY), "not even in Debug");
    assert_eq!(
        server.seen.lock().unwrap().len(),
        1,
        "no chat after a refusal"
    );
}

#[tokio::test]
async fn anthropic_lists_models_with_its_headers_and_an_alias_goes_to_messages() {
    let (endpoint, server) = serve(
        WireFormat::Anthropic,
        Some(KEY),
        &[
            (
                "/v1/models",
                200,
                json!({"data": [{"type": "model", "id": "claude-3-5-haiku-20241022", "display_name": "Claude Haiku 3.5"}], "has_more": false}),
            ),
            (
                "/v1/messages",
                200,
                json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-3-5-haiku-20241022",
                       "content": [{"type": "text", "text": "OK"}], "stop_reason": "max_tokens",
                       "usage": {"input_tokens": 10, "output_tokens": 1}}),
            ),
        ],
        Duration::ZERO,
    )
    .await;
    let report = probe(&client(), &endpoint, "claude-3-5-haiku-latest", LIMIT)
        .await
        .unwrap();
    assert_eq!(report.method, ProbeMethod::Chat);
    assert_eq!(report.model, "claude-3-5-haiku-20241022");
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen[0].path, "/v1/models");
    for s in &seen {
        assert_eq!(header(s, "x-api-key"), Some(KEY), "{}", s.path);
        assert_eq!(header(s, "anthropic-version"), Some("2023-06-01"));
    }
    assert_eq!(seen[1].path, "/v1/messages");
    assert_eq!(seen[1].body["max_tokens"], 1);
}

#[tokio::test]
async fn ollama_lists_its_tags_and_a_bare_name_matches_latest() {
    let (endpoint, server) = serve(
        WireFormat::Ollama,
        None,
        &[(
            "/api/tags",
            200,
            json!({"models": [{"name": "llama3.2:latest", "model": "llama3.2:latest", "size": 2019393189}]}),
        )],
        Duration::ZERO,
    )
    .await;
    let report = probe(&client(), &endpoint, "llama3.2", LIMIT)
        .await
        .unwrap();
    assert_eq!(report.method, ProbeMethod::ListModels);
    assert_eq!(report.model, "llama3.2:latest");
    assert_eq!(server.seen.lock().unwrap()[0].path, "/api/tags");
}

#[tokio::test]
async fn a_closed_port_is_a_refused_connection_at_the_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let endpoint = Endpoint {
        format: WireFormat::OpenAi,
        base_url: format!("http://127.0.0.1:{port}/v1"),
        api_key: Some(KEY.into()),
    };
    let err = probe(&client(), &endpoint, "m", LIMIT).await.unwrap_err();
    let ProbeError::Provider(ProviderError::Transport { url, message }) = &err else {
        panic!("a transport error: {err:?}");
    };
    assert_eq!(url, &format!("http://127.0.0.1:{port}/v1/models"));
    assert!(message.contains("cannot connect"), "{message}");
    assert!(
        message.to_lowercase().contains("connection refused"),
        "{message}"
    );
    assert_eq!(err.status(), None);
}

#[tokio::test]
async fn a_slow_server_fails_at_the_time_limit() {
    let (endpoint, _server) = serve(
        WireFormat::OpenAi,
        None,
        &[("/v1/models", 200, json!({"data": []}))],
        Duration::from_secs(3),
    )
    .await;
    let started = std::time::Instant::now();
    let err = probe(&client(), &endpoint, "m", Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let text = err.to_string();
    assert!(text.contains("no complete answer within 300ms"), "{text}");
}
