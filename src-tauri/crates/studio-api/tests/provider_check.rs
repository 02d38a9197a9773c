//! "Test connection" through the API against a local OpenAI-compatible server started here: the
//! saved provider's key reaches the server and never the answer; a refusal, a missing model
//! and a closed port come back as the provider said them.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use studio_api::providers::{KeyStorage, LlmProviderInput, ProviderKind};
use studio_api::{AppPaths, ErrorCode, StudioApi};

const KEY: &str = "sk-check-3b9e71d0aa";

/// A request as the server read it: method, path, lower-case headers.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: HashMap<String, String>,
}

/// Serves `answers` (path → status, JSON body) on 127.0.0.1 from a thread; other paths are 404.
fn serve(answers: Vec<(&'static str, u16, &'static str)>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                continue;
            }
            let mut parts = line.split_whitespace();
            let method = parts.next().unwrap_or_default().to_string();
            let path = parts.next().unwrap_or_default().to_string();
            let mut headers = HashMap::new();
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            let length: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            log.lock().unwrap().push(Seen {
                method,
                path: path.clone(),
                headers,
            });
            let (status, body) = answers
                .iter()
                .find(|(p, _, _)| *p == path)
                .map(|(_, s, b)| (*s, *b))
                .unwrap_or((404, r#"{"error":"not found"}"#));
            let reply = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (format!("http://{addr}/v1"), seen)
}

fn api_with(base_url: &str, model: &str) -> (tempfile::TempDir, StudioApi) {
    let dir = tempfile::tempdir().unwrap();
    let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
    api.save_llm_provider(&LlmProviderInput {
        id: "local".into(),
        kind: Some(ProviderKind::Openai),
        base_url: base_url.into(),
        model: model.into(),
        api_key: Some(KEY.into()),
        key_storage: KeyStorage::Settings,
    })
    .unwrap();
    (dir, api)
}

#[tokio::test]
async fn a_reachable_provider_is_ok_with_its_latency_and_model() {
    let (base, seen) = serve(vec![(
        "/v1/models",
        200,
        r#"{"object":"list","data":[{"id":"e2e-model"},{"id":"other"}]}"#,
    )]);
    let (_dir, api) = api_with(&base, "e2e-model");
    let check = api.check_llm_provider("local").await.unwrap();
    assert!(check.ok, "{check:?}");
    assert_eq!(check.provider, "local");
    assert_eq!(check.method.as_deref(), Some("listModels"));
    assert_eq!(check.model.as_deref(), Some("e2e-model"));
    assert_eq!(check.url, format!("{base}/models"));
    assert_eq!((check.models_total, check.models.len()), (2, 2));
    assert!(check.latency_ms < 10_000);
    assert_eq!(check.timeout_ms, 10_000);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("GET", "/v1/models")
    );
    assert_eq!(
        seen[0].headers.get("authorization").map(String::as_str),
        Some(format!("Bearer {KEY}").as_str()),
        "the saved key reaches the endpoint"
    );
    assert!(!serde_json::to_string(&check).unwrap().contains(KEY));
}

#[tokio::test]
async fn a_refused_key_is_the_status_and_the_providers_message() {
    let (base, _seen) = serve(vec![(
        "/v1/models",
        401,
        r#"{"error":{"message":"Incorrect API key provided: sk-check-3b9e71d0aa","type":"invalid_request_error","code":"invalid_api_key"}}"#,
    )]);
    let (_dir, api) = api_with(&base, "e2e-model");
    let check = api.check_llm_provider("local").await.unwrap();
    assert!(!check.ok);
    assert_eq!(check.status, Some(401));
    let error = check.error.clone().unwrap();
    assert!(error.contains("HTTP 401"), "{error}");
    assert!(error.contains("Incorrect API key provided"), "{error}");
    assert!(error.contains("invalid_request_error"), "{error}");
    assert!(
        !serde_json::to_string(&check).unwrap().contains(KEY),
        "the key is masked in the answer: {error}"
    );
    assert_eq!(check.url, format!("{base}/models"));
}

#[tokio::test]
async fn a_model_the_server_lacks_names_what_it_has() {
    let (base, seen) = serve(vec![
        ("/v1/models", 200, r#"{"data":[{"id":"e2e-model"}]}"#),
        (
            "/v1/chat/completions",
            404,
            r#"{"error":{"message":"model 'gpt-9' not found","type":"not_found_error"}}"#,
        ),
    ]);
    let (_dir, api) = api_with(&base, "gpt-9");
    let check = api.check_llm_provider("local").await.unwrap();
    assert!(!check.ok);
    assert_eq!(check.status, Some(404));
    assert_eq!(check.models, vec!["e2e-model"]);
    let error = check.error.unwrap();
    assert!(
        error.contains("`gpt-9` is not among the 1 models"),
        "{error}"
    );
    assert!(error.contains("model 'gpt-9' not found"), "{error}");
    assert_eq!(check.url, format!("{base}/chat/completions"));
    assert_eq!(seen.lock().unwrap().len(), 2, "the list, then one chat");
}

#[tokio::test]
async fn a_closed_port_is_a_refused_connection() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}/v1");
    let (_dir, api) = api_with(&base, "m");
    let check = api
        .check_llm_provider_within("local", Duration::from_secs(3))
        .await
        .unwrap();
    assert!(!check.ok);
    assert_eq!(check.status, None);
    assert_eq!(check.timeout_ms, 3000);
    let error = check.error.unwrap();
    assert!(
        error.to_lowercase().contains("connection refused"),
        "{error}"
    );
    assert!(
        error.contains(&format!("127.0.0.1:{port}/v1/models")),
        "{error}"
    );
}

#[tokio::test]
async fn an_unknown_provider_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
    let err = api.check_llm_provider("nope").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(
        err.message.contains("Settings → Providers"),
        "{}",
        err.message
    );
}
