//! Ollama's native chat format.
//!
//! Request: `POST {host}/api/chat` (`Authorization: Bearer KEY` only when a key is set, for
//! hosted or proxied servers) with the body `{model, messages, stream: false, options:
//! {num_predict: max_tokens, temperature?}, tools?}`. Messages are `{role: "system" | "user" |
//! "assistant" | "tool", content}`; an assistant turn with tool calls adds `tool_calls:
//! [{function: {name, arguments: {<object>}}}]` (its content is `""` when it has none); a tool
//! result adds `tool_name`. Tools are `{type: "function", function: {name, description,
//! parameters}}`.
//!
//! Answer: `{model, created_at, message: {role, content, tool_calls?: [{function: {name,
//! arguments: {...}}}]}, done: true, done_reason, prompt_eval_count, eval_count}`. Tool calls
//! carry no id: they are numbered `call_0`, `call_1`, … in order (an id the server does give is
//! kept). `done_reason` (`stop`, `length`) is reported as `tool_calls` when the answer has tool
//! calls.
//!
//! Error body: `{"error": "model \"x\" not found, try pulling it first"}` (no error type).

use super::{reported_model, system_text, usage, ChatMessage, ChatRequest, ChatResponse};
use super::{ErrorDetail, ToolCall};
use serde_json::{json, Value};

pub(super) fn request_body(request: &ChatRequest) -> Value {
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if let Some(system) = system_text(request) {
        messages.push(json!({"role": "system", "content": system}));
    }
    for message in &request.messages {
        messages.push(match message {
            ChatMessage::User { content } => json!({"role": "user", "content": content}),
            ChatMessage::Assistant {
                content,
                tool_calls,
            } => {
                let mut m = json!({
                    "role": "assistant",
                    "content": content.as_deref().unwrap_or(""),
                });
                if !tool_calls.is_empty() {
                    m["tool_calls"] = tool_calls
                        .iter()
                        .map(|call| {
                            let arguments = match &call.arguments {
                                Value::Null => json!({}),
                                other => other.clone(),
                            };
                            json!({"function": {"name": call.name, "arguments": arguments}})
                        })
                        .collect();
                }
                m
            }
            ChatMessage::ToolResult { name, content, .. } => {
                json!({"role": "tool", "content": content, "tool_name": name})
            }
        });
    }
    let mut options = json!({"num_predict": request.max_tokens});
    if let Some(t) = request.temperature {
        options["temperature"] = json!(t);
    }
    let mut body = json!({
        "model": request.model,
        "messages": messages,
        "stream": false,
        "options": options,
    });
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.input_schema,
                    },
                })
            })
            .collect();
    }
    body
}

pub(super) fn authorize(
    builder: reqwest::RequestBuilder,
    key: Option<&str>,
) -> reqwest::RequestBuilder {
    match key {
        Some(key) => builder.bearer_auth(key),
        None => builder,
    }
}

pub(super) fn parse_response(v: &Value, requested_model: &str) -> Result<ChatResponse, String> {
    let message = v
        .get("message")
        .filter(|m| m.is_object())
        .ok_or("no `message` object")?;
    let tool_calls: Vec<ToolCall> = match message.get("tool_calls") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(calls)) => calls
            .iter()
            .enumerate()
            .map(|(i, call)| tool_call(i, call))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("`message.tool_calls` is not an array".into()),
    };
    let text = match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) if !tool_calls.is_empty() => String::new(),
        None | Some(Value::Null) => return Err("no `message.content` and no tool calls".into()),
        Some(_) => return Err("`message.content` is not text".into()),
    };
    let finish_reason = if tool_calls.is_empty() {
        v.get("done_reason")
            .and_then(Value::as_str)
            .filter(|r| !r.is_empty())
            .map(str::to_string)
    } else {
        Some("tool_calls".to_string())
    };
    Ok(ChatResponse {
        text,
        tool_calls,
        model: reported_model(v, requested_model),
        usage: usage(v.get("prompt_eval_count"), v.get("eval_count")),
        finish_reason,
        tries: 0,
    })
}

fn tool_call(i: usize, call: &Value) -> Result<ToolCall, String> {
    let function = call
        .get("function")
        .filter(|f| f.is_object())
        .ok_or_else(|| format!("tool call {i} has no `function` object"))?;
    let name = function
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("tool call {i} has no `function.name`"))?;
    let arguments = match function.get("arguments") {
        Some(Value::Object(o)) => Value::Object(o.clone()),
        None | Some(Value::Null) => json!({}),
        Some(Value::String(text)) if text.trim().is_empty() => json!({}),
        Some(Value::String(text)) => serde_json::from_str(text).map_err(|e| {
            format!("the arguments of tool call {i} (`{name}`) are not JSON ({e}): {text}")
        })?,
        Some(_) => return Err(format!("the arguments of tool call {i} are not an object")),
    };
    let id = match call.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => format!("call_{i}"),
    };
    Ok(ToolCall {
        id,
        name: name.to_string(),
        arguments,
    })
}

/// `{"error": "..."}`.
pub(super) fn error_detail(v: &Value) -> Option<ErrorDetail> {
    let message = v.get("error")?.as_str()?.trim();
    (!message.is_empty()).then(|| ErrorDetail {
        kind: None,
        message: message.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_calls_get_ids_in_order_and_the_finish_reason_says_so() {
        let v = json!({
            "model": "llama3.2", "created_at": "2025-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": "", "tool_calls": [
                {"function": {"name": "a", "arguments": {"x": 1}}},
                {"function": {"name": "b", "arguments": {}}},
            ]},
            "done": true, "done_reason": "stop", "eval_count": 7,
        });
        let r = parse_response(&v, "m").unwrap();
        let ids: Vec<_> = r.tool_calls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["call_0", "call_1"]);
        assert_eq!(r.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(r.model, "llama3.2");
        let usage = r.usage.unwrap();
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (0, 7));
    }

    #[test]
    fn the_body_asks_for_one_answer_with_options() {
        let request = ChatRequest {
            model: "llama3.2".into(),
            system: None,
            messages: vec![ChatMessage::user("hi")],
            max_tokens: 64,
            temperature: Some(0.0),
            tools: vec![],
        };
        assert_eq!(
            request_body(&request),
            json!({"model": "llama3.2", "stream": false,
                   "messages": [{"role": "user", "content": "hi"}],
                   "options": {"num_predict": 64, "temperature": 0.0}})
        );
    }
}
