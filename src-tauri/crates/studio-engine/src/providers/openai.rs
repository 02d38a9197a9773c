//! The OpenAI-compatible chat completions format.
//!
//! Request: `POST {base}/chat/completions` with `Authorization: Bearer KEY` when a key is set and
//! the body `{model, messages, max_tokens, temperature?, tools?}`. The messages are
//! `{role: "system", content}` first (when there is a system text), then `{role: "user",
//! content}`, `{role: "assistant", content: text | null, tool_calls?: [{id, type: "function",
//! function: {name, arguments: "<JSON text>"}}]}` and `{role: "tool", tool_call_id, content}`.
//! Tools are `{type: "function", function: {name, description, parameters: <schema>}}`.
//!
//! Answer: `choices[0].message.content` (text or null) and `.tool_calls` (whose `arguments` is
//! JSON text, parsed here: text that is not JSON makes the answer malformed; empty text is `{}`),
//! `choices[0].finish_reason`, `usage.prompt_tokens` / `usage.completion_tokens`, `model`.
//!
//! Error body: `{"error": {"message", "type", "code"}}`; the kind is `type`, else `code`.

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
                let mut m = json!({"role": "assistant", "content": content});
                if !tool_calls.is_empty() {
                    m["tool_calls"] = tool_calls
                        .iter()
                        .map(|call| {
                            json!({
                                "id": call.id,
                                "type": "function",
                                "function": {
                                    "name": call.name,
                                    "arguments": call.arguments.to_string(),
                                },
                            })
                        })
                        .collect();
                }
                m
            }
            ChatMessage::ToolResult {
                call_id, content, ..
            } => json!({"role": "tool", "tool_call_id": call_id, "content": content}),
        });
    }
    let mut body = json!({
        "model": request.model,
        "messages": messages,
        "max_tokens": request.max_tokens,
    });
    if let Some(t) = request.temperature {
        body["temperature"] = json!(t);
    }
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
    let choice = v
        .get("choices")
        .and_then(Value::as_array)
        .ok_or("no `choices` array")?
        .first()
        .ok_or("`choices` is empty")?;
    let message = choice
        .get("message")
        .filter(|m| m.is_object())
        .ok_or("no `choices[0].message` object")?;
    let tool_calls = match message.get("tool_calls") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(calls)) => calls
            .iter()
            .enumerate()
            .map(|(i, call)| tool_call(i, call))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("`choices[0].message.tool_calls` is not an array".into()),
    };
    let text = match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        // Some compatible servers send content parts.
        Some(Value::Array(parts)) => parts
            .iter()
            .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect(),
        Some(Value::Null) | None => {
            let refusal = message.get("refusal").and_then(Value::as_str);
            if let Some(refusal) = refusal {
                refusal.to_string()
            } else if message.get("content").is_none() && tool_calls.is_empty() {
                return Err("no `choices[0].message.content` and no tool calls".into());
            } else {
                String::new()
            }
        }
        Some(_) => return Err("`choices[0].message.content` is neither text nor null".into()),
    };
    let finish_reason = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .map(str::to_string);
    let counts = v.get("usage");
    Ok(ChatResponse {
        text,
        tool_calls,
        model: reported_model(v, requested_model),
        usage: usage(
            counts.and_then(|u| u.get("prompt_tokens")),
            counts.and_then(|u| u.get("completion_tokens")),
        ),
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
        Some(Value::String(text)) if text.trim().is_empty() => json!({}),
        Some(Value::String(text)) => serde_json::from_str(text).map_err(|e| {
            format!("the arguments of tool call {i} (`{name}`) are not JSON ({e}): {text}")
        })?,
        // Lenient: a few compatible servers send the object itself.
        Some(Value::Object(o)) => Value::Object(o.clone()),
        None | Some(Value::Null) => json!({}),
        Some(_) => return Err(format!("the arguments of tool call {i} are not JSON text")),
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

/// `{"error": {"message", "type", "code"}}`.
pub(super) fn error_detail(v: &Value) -> Option<ErrorDetail> {
    let error = v.get("error")?;
    let message = error.get("message")?.as_str()?.trim();
    if message.is_empty() {
        return None;
    }
    let kind = [error.get("type"), error.get("code")]
        .into_iter()
        .flatten()
        .find_map(|k| k.as_str().filter(|k| !k.is_empty()));
    Some(ErrorDetail {
        kind: kind.map(str::to_string),
        message: message.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::ToolSpec;
    use super::*;

    #[test]
    fn the_body_follows_chat_completions() {
        let request = ChatRequest {
            model: "gpt-4o-mini".into(),
            system: Some("Be brief.".into()),
            messages: vec![
                ChatMessage::user("Weather?"),
                ChatMessage::Assistant {
                    content: None,
                    tool_calls: vec![ToolCall {
                        id: "call_1".into(),
                        name: "weather".into(),
                        arguments: json!({"city": "Paris"}),
                    }],
                },
                ChatMessage::ToolResult {
                    call_id: "call_1".into(),
                    name: "weather".into(),
                    content: "sunny".into(),
                    is_error: false,
                },
            ],
            max_tokens: 100,
            temperature: None,
            tools: vec![ToolSpec {
                name: "weather".into(),
                description: "The weather".into(),
                input_schema: json!({"type": "object"}),
            }],
        };
        assert_eq!(
            request_body(&request),
            json!({
                "model": "gpt-4o-mini",
                "max_tokens": 100,
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Weather?"},
                    {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1",
                        "type": "function",
                        "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}}]},
                    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
                ],
                "tools": [{"type": "function", "function": {"name": "weather",
                    "description": "The weather", "parameters": {"type": "object"}}}],
            })
        );
    }

    #[test]
    fn error_bodies_give_message_and_type() {
        let d = error_detail(&json!({"error": {"message": "m", "type": "t", "code": "c"}}));
        assert_eq!(d.unwrap().kind.as_deref(), Some("t"));
        let d = error_detail(&json!({"error": {"message": "m", "type": null, "code": "c"}}));
        assert_eq!(d.unwrap().kind.as_deref(), Some("c"));
        assert!(error_detail(&json!({"error": "m"})).is_none());
    }

    #[test]
    fn empty_argument_text_is_an_empty_object() {
        let v = json!({"choices": [{"message": {"content": null, "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "now", "arguments": ""}}]},
            "finish_reason": "tool_calls"}]});
        let r = parse_response(&v, "m").unwrap();
        assert_eq!(r.tool_calls[0].arguments, json!({}));
        assert_eq!(r.model, "m");
        assert_eq!(r.usage, None);
    }
}
