//! Provider embeddings through the engine, against a server on 127.0.0.1 that speaks OpenAI's
//! `/v1/embeddings` and Ollama's `/api/embed` exactly: the requests they get, the vectors in
//! the store, usage charged, the key masked, the network perimeter and simulation.

use super::{floats, mission, run, run_plain};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use studio_core::{NetworkRules, Perimeter};
use studio_engine::audit::{Check, Decision};
use studio_engine::Governance;

/// What the fake provider was sent: the authorization header and the JSON body.
type Seen = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A vector per text, by topic: a cat word, a dog word, a fish word, or none of them; what a
/// semantic model would do with synonyms, in four dimensions.
fn topic_vector(text: &str) -> Vec<f64> {
    let t = text.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    let mut v = vec![0.05; 4];
    if has(&["cat", "feline", "kitten"]) {
        v[0] = 1.0;
    } else if has(&["dog", "canine", "puppy"]) {
        v[1] = 1.0;
    } else if has(&["fish", "trout", "salmon"]) {
        v[2] = 1.0;
    } else {
        v[3] = 1.0;
    }
    v
}

fn inputs(body: &Value) -> Vec<String> {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect()
}

async fn openai_embeddings(
    State(seen): State<Seen>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Json<Value> {
    let auth = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_string());
    seen.lock().unwrap().push((auth, body.clone()));
    let texts = inputs(&body);
    let tokens: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
    let data: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": topic_vector(t)}))
        .collect();
    Json(json!({
        "object": "list",
        "data": data,
        "model": body["model"],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }))
}

async fn ollama_embed(
    State(seen): State<Seen>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Json<Value> {
    let auth = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_string());
    seen.lock().unwrap().push((auth, body.clone()));
    let texts = inputs(&body);
    let embeddings: Vec<Vec<f64>> = texts.iter().map(|t| topic_vector(t)).collect();
    Json(json!({
        "model": body["model"],
        "embeddings": embeddings,
        "total_duration": 14_143_917,
        "load_duration": 1_019_500,
        "prompt_eval_count": texts.len() * 3,
    }))
}

/// A server on 127.0.0.1 with OpenAI's `/v1/embeddings` and Ollama's `/api/embed`.
async fn provider_server() -> (u16, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route("/v1/embeddings", axum::routing::post(openai_embeddings))
        .route("/api/embed", axum::routing::post(ollama_embed))
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, seen)
}

#[tokio::test]
async fn openai_compatible_embeddings_feed_the_store_and_are_charged() {
    let (port, seen) = provider_server().await;
    let base = format!("http://127.0.0.1:{port}/v1");
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("knowledge.db");
    let provider = json!({"provider": "openai", "base_url": base, "model": "text-embedding-3-small", "api_key_env": "EMBED_KEY"});
    let with = |extra: Value| {
        let mut p = provider.clone();
        p.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        p
    };
    let m = mission(json!([
        {"id": "cat", "step_type": "rag_add", "parameters": with(json!({"id": "cat", "content": "Our cat sleeps on the windowsill all afternoon.", "collection": "pets"}))},
        {"id": "dog", "step_type": "rag_add", "parameters": with(json!({"id": "dog", "content": "The dog needs a long walk before breakfast.", "collection": "pets"}))},
        {"id": "q", "step_type": "rag_query", "depends_on": ["cat", "dog"], "parameters": with(json!({"query": "feline companions", "collection": "pets", "keyword_weight": 0}))},
        {"id": "wrong", "step_type": "rag_query", "depends_on": ["cat", "dog"], "parameters": {"query": "feline", "collection": "pets"}},
    ]));
    let ran = run(
        &m,
        Governance::default(),
        Some(&store),
        &[("EMBED_KEY", "sk-embed-secret")],
    )
    .await;
    let q = ran.ok("q");
    assert_eq!(
        q["results"][0]["id"], "cat",
        "no shared word: found by the provider's vectors: {q}"
    );
    assert_eq!(q["results"][0]["bm25"], 0.0);
    assert_eq!(
        (q["lexical"].as_bool(), q["dimensions"].as_u64()),
        (Some(false), Some(4))
    );
    assert_eq!(q["provider"], "openai");
    assert_eq!(q["usage"]["prompt_tokens"], 2, "as the server counted");
    let calls = seen.lock().unwrap().clone();
    assert_eq!(
        calls.len(),
        3,
        "two adds and one query; the mismatched query calls nothing"
    );
    let (auth, body) = &calls[2];
    assert_eq!(auth.as_deref(), Some("Bearer sk-embed-secret"));
    assert_eq!(
        body,
        &json!({"model": "text-embedding-3-small", "input": ["feline companions"], "encoding_format": "float"})
    );
    let url = format!("{base}/embeddings");
    assert_eq!(ran.links("q")[0], url, "the endpoint is in the evidence");
    let e = ran.error("wrong");
    assert!(
        e.contains(
            "collection `pets` holds vectors of `openai/text-embedding-3-small` (4 dimensions)"
        ) && e.contains("`local/local-lexical-v1`"),
        "{e}"
    );
    // Three calls charged: what the server counted (8 + 8 + 2 words).
    assert_eq!(ran.result.usage.llm_calls, 3);
    assert_eq!(ran.result.usage.tokens, 18);
    assert!(ran.result.usage.cost_usd > 0.0);
    let everything = serde_json::to_string(&ran.result).unwrap();
    assert!(
        !everything.contains("sk-embed-secret"),
        "the key never shows"
    );
}

#[tokio::test]
async fn ollama_embeddings_speak_the_native_format() {
    let (port, seen) = provider_server().await;
    let m = mission(json!([
        {"id": "e", "step_type": "generate_embedding", "parameters": {
            "provider": "ollama", "base_url": format!("127.0.0.1:{port}"), "texts": ["a trout", "a puppy"]}},
    ]));
    let ran = run_plain(&m, None).await;
    let e = ran.ok("e");
    assert_eq!(floats(&e["embeddings"][1]), vec![0.05, 1.0, 0.05, 0.05]);
    assert_eq!(e["model"], "nomic-embed-text");
    assert_eq!(
        e["usage"],
        json!({"prompt_tokens": 6, "cost_usd": 0.0, "estimated": false})
    );
    let calls = seen.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, None, "no key, no authorization header");
    assert_eq!(
        calls[0].1,
        json!({"model": "nomic-embed-text", "input": ["a trout", "a puppy"]})
    );
    assert_eq!(
        ran.links("e"),
        vec![format!("http://127.0.0.1:{port}/api/embed")]
    );
}

#[tokio::test]
async fn the_network_perimeter_sees_the_provider_host() {
    let (port, seen) = provider_server().await;
    let governance = Governance {
        operator: Perimeter {
            network: Some(NetworkRules {
                allowed_hosts: vec!["api.example.com".into()],
                trusted_host_keys: Vec::new(),
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let m = mission(json!([
        {"id": "remote", "step_type": "generate_embedding", "parameters": {
            "provider": "openai", "base_url": format!("http://127.0.0.1:{port}/v1"), "text": "x"}},
        {"id": "local", "step_type": "generate_embedding", "parameters": {"text": "x"}},
    ]));
    let ran = run(&m, governance, None, &[]).await;
    let e = ran.error("remote");
    assert!(e.contains("network") && e.contains("127.0.0.1"), "{e}");
    let row = ran.audit.iter().find(|r| r.step_id == "remote").unwrap();
    assert_eq!(
        (row.decision, row.check),
        (Decision::Refused, Check::Network)
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "refused before any request"
    );
    ran.ok("local");
}

#[tokio::test]
async fn simulated_model_calls_use_the_local_embedder_and_the_budget() {
    let governance = Governance {
        simulate_llm: true,
        ..Default::default()
    };
    let m = mission(json!([
        {"id": "e", "step_type": "generate_embedding", "parameters": {
            "provider": "openai", "base_url": "http://127.0.0.1:1/v1", "model": "text-embedding-3-small", "text": "twelve chars"}},
    ]));
    let ran = run(&m, governance, None, &[]).await;
    let e = ran.ok("e");
    assert_eq!(
        (e["simulated"].as_bool(), e["provider"].as_str()),
        (Some(true), Some("simulated"))
    );
    assert_eq!(e["requested_provider"], "openai");
    assert_eq!(e["lexical"], true);
    assert_eq!(e["usage"]["prompt_tokens"], 3);
    assert_eq!(ran.result.usage.llm_calls, 1);
    assert!(ran.links("e").is_empty(), "nothing was called");
}

/// An agent may use the knowledge steps as tools: each call is a gated sub-step, so an
/// embedding call to a provider host the perimeter does not allow is refused there too, and
/// the model reads the refusal.
#[tokio::test]
async fn an_agents_knowledge_calls_pass_the_gate_with_their_provider_host() {
    let (port, seen) = provider_server().await;
    let governance = Governance {
        operator: Perimeter {
            network: Some(NetworkRules {
                allowed_hosts: vec!["api.example.com".into()],
                trusted_host_keys: Vec::new(),
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let base = format!("http://127.0.0.1:{port}/v1");
    let m: studio_core::Mission = serde_json::from_value(json!({
        "name": "Knowledge agent",
        "simulation": {"agents": [{"step": "research", "turns": [
            {"tool_calls": [
                {"tool": "rag_add", "input": {"id": "rota", "content": "The on-call rota changes every Monday at nine."}},
            ]},
            {"tool_calls": [
                {"tool": "rag_query", "input": {"query": "When does the on-call rota change?"}},
                {"tool": "generate_embedding", "input": {"text": "rota", "provider": "openai", "base_url": base}},
            ]},
            {"answer": "Every Monday at nine."},
        ]}]},
        "steps": [{"id": "research", "step_type": "agent", "parameters": {
            "objective": "Find when the rota changes",
            "tools": ["rag_add", "rag_query", "generate_embedding"],
        }}],
    }))
    .unwrap();
    let ran = run(&m, governance, None, &[]).await;
    let out = ran.ok("research");
    let calls = out["calls"].as_array().expect("the agent's calls");
    assert_eq!(calls.len(), 3, "{out}");
    assert_eq!(calls[0]["decision"], "allowed");
    assert_eq!(calls[1]["decision"], "allowed");
    assert_eq!(calls[1]["output"]["results"][0]["id"], "rota");
    assert_eq!(calls[2]["decision"], "refused");
    let reason = calls[2]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("network") && reason.contains("127.0.0.1"),
        "{reason}"
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "the refused call sent nothing"
    );
}
