//! A model server on 127.0.0.1 that plays scripted turns in the real wire formats: OpenAI
//! `tool_calls`, Anthropic `tool_use`, Ollama `tool_calls`. It records every request body.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    OpenAi,
    Anthropic,
    Ollama,
}

impl Format {
    pub fn provider(self) -> &'static str {
        match self {
            Format::OpenAi => "openai",
            Format::Anthropic => "anthropic",
            Format::Ollama => "ollama",
        }
    }
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Tool calls: (name, arguments).
    Calls(Vec<(&'static str, Value)>),
    Answer(&'static str),
}

struct Inner {
    format: Format,
    replies: Vec<Reply>,
    /// Past the script: the last reply again (a loop that never ends).
    repeat_last: bool,
    seen: Vec<Value>,
}

#[derive(Clone)]
pub struct ModelServer {
    inner: Arc<Mutex<Inner>>,
    pub base_url: String,
}

impl ModelServer {
    pub async fn start(format: Format, replies: Vec<Reply>, repeat_last: bool) -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            format,
            replies,
            repeat_last,
            seen: Vec::new(),
        }));
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let base_url = match format {
            Format::OpenAi => format!("http://127.0.0.1:{port}/v1"),
            Format::Anthropic | Format::Ollama => format!("http://127.0.0.1:{port}"),
        };
        Self { inner, base_url }
    }

    /// The request bodies received so far.
    pub fn seen(&self) -> Vec<Value> {
        self.inner.lock().unwrap().seen.clone()
    }
}

async fn answer(State(inner): State<Arc<Mutex<Inner>>>, Json(body): Json<Value>) -> Json<Value> {
    let mut inner = inner.lock().unwrap();
    let turn = inner.seen.len();
    inner.seen.push(body);
    let reply = match inner.replies.get(turn) {
        Some(r) => r.clone(),
        None if inner.repeat_last => inner.replies.last().cloned().unwrap(),
        None => Reply::Answer("(the script has ended)"),
    };
    Json(wire(inner.format, &reply, turn))
}

fn wire(format: Format, reply: &Reply, turn: usize) -> Value {
    let usage_openai = json!({"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60});
    match (format, reply) {
        (Format::OpenAi, Reply::Answer(text)) => json!({
            "id": format!("chatcmpl-{turn}"), "object": "chat.completion", "model": "gpt-test",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": usage_openai,
        }),
        (Format::OpenAi, Reply::Calls(calls)) => json!({
            "id": format!("chatcmpl-{turn}"), "object": "chat.completion", "model": "gpt-test",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": null,
                "tool_calls": calls.iter().enumerate().map(|(k, (name, args))| json!({
                    "id": format!("call_{turn}_{k}"), "type": "function",
                    "function": {"name": name, "arguments": args.to_string()},
                })).collect::<Vec<_>>(),
            }}],
            "usage": usage_openai,
        }),
        (Format::Anthropic, Reply::Answer(text)) => json!({
            "id": format!("msg_{turn}"), "type": "message", "role": "assistant",
            "model": "claude-test", "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 50, "output_tokens": 10},
        }),
        (Format::Anthropic, Reply::Calls(calls)) => json!({
            "id": format!("msg_{turn}"), "type": "message", "role": "assistant",
            "model": "claude-test",
            "content": calls.iter().enumerate().map(|(k, (name, args))| json!({
                "type": "tool_use", "id": format!("toolu_{turn}_{k}"), "name": name, "input": args,
            })).collect::<Vec<_>>(),
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 50, "output_tokens": 10},
        }),
        (Format::Ollama, Reply::Answer(text)) => json!({
            "model": "llama-test", "created_at": "2026-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": text},
            "done": true, "done_reason": "stop", "prompt_eval_count": 50, "eval_count": 10,
        }),
        (Format::Ollama, Reply::Calls(calls)) => json!({
            "model": "llama-test", "created_at": "2026-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": "",
                "tool_calls": calls.iter().map(|(name, args)| json!({
                    "function": {"name": name, "arguments": args},
                })).collect::<Vec<_>>()},
            "done": true, "done_reason": "stop", "prompt_eval_count": 50, "eval_count": 10,
        }),
    }
}
