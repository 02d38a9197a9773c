//! The Anthropic Messages API format.
//!
//! Request: `POST {base}/v1/messages` with `x-api-key: KEY` (when a key is set),
//! `anthropic-version: 2023-06-01` and `content-type: application/json`; the body is
//! `{model, max_tokens, system?, messages, temperature?, tools?}`. The system text is the
//! top-level `system` string. Messages alternate `user` / `assistant`: consecutive turns of the
//! same role are merged into one message of content blocks. An assistant turn with tool calls is
//! `[{type: "text", text}?, {type: "tool_use", id, name, input}…]`; tool results are `user`
//! content `[{type: "tool_result", tool_use_id, content, is_error}…]`, all the results that
//! follow one another in a single message. A turn made of one text block is sent as a plain
//! string. Tools are `{name, description, input_schema}`.
//!
//! Answer: `{id, type: "message", role: "assistant", content: [{type: "text", text} |
//! {type: "tool_use", id, name, input}], model, stop_reason, usage: {input_tokens,
//! output_tokens}}`; other block types (thinking) are skipped. `stop_reason` is normalised:
//! `end_turn` and `stop_sequence` are `stop`, `max_tokens` is `length`, `tool_use` is
//! `tool_calls`.
//!
//! Error body: `{"type": "error", "error": {"type": "overloaded_error", "message": "..."}}`.

use super::{reported_model, system_text, usage, ChatMessage, ChatRequest, ChatResponse};
use super::{ErrorDetail, ToolCall};
use serde_json::{json, Value};

pub(super) const API_VERSION: &str = "2023-06-01";

pub(super) fn request_body(request: &ChatRequest) -> Value {
    // (role, content blocks), merged so that roles alternate.
    let mut turns: Vec<(&str, Vec<Value>)> = Vec::new();
    let mut push = |role: &'static str, blocks: Vec<Value>| {
        if blocks.is_empty() {
            return;
        }
        match turns.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    };
    for message in &request.messages {
        match message {
            ChatMessage::User { content } => {
                push("user", vec![json!({"type": "text", "text": content})]);
            }
            ChatMessage::Assistant {
                content,
                tool_calls,
            } => {
                let mut blocks = Vec::with_capacity(tool_calls.len() + 1);
                if let Some(text) = content.as_deref().filter(|t| !t.is_empty()) {
                    blocks.push(json!({"type": "text", "text": text}));
                }
                for call in tool_calls {
                    let input = match &call.arguments {
                        Value::Null => json!({}),
                        other => other.clone(),
                    };
                    blocks.push(json!({
                        "type": "tool_use",
                        "id": call.id,
                        "name": call.name,
                        "input": input,
                    }));
                }
                push("assistant", blocks);
            }
            ChatMessage::ToolResult {
                call_id,
                content,
                is_error,
                ..
            } => push(
                "user",
                vec![json!({
                    "type": "tool_result",
                    "tool_use_id": call_id,
                    "content": content,
                    "is_error": is_error,
                })],
            ),
        }
    }
    let messages: Vec<Value> = turns
        .into_iter()
        .map(|(role, mut blocks)| {
            let single_text =
                blocks.len() == 1 && blocks[0].get("type").and_then(Value::as_str) == Some("text");
            let content = if single_text {
                blocks
                    .pop()
                    .and_then(|b| b.get("text").cloned())
                    .unwrap_or_default()
            } else {
                Value::Array(blocks)
            };
            json!({"role": role, "content": content})
        })
        .collect();
    let mut body = json!({
        "model": request.model,
        "max_tokens": request.max_tokens,
        "messages": messages,
    });
    if let Some(system) = system_text(request) {
        body["system"] = json!(system);
    }
    if let Some(t) = request.temperature {
        body["temperature"] = json!(t);
    }
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "name": tool.name,
                    "description": tool.description,
                    "input_schema": tool.input_schema,
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
    let builder = builder.header("anthropic-version", API_VERSION);
    match key {
        Some(key) => builder.header("x-api-key", key),
        None => builder,
    }
}

pub(super) fn parse_response(v: &Value, requested_model: &str) -> Result<ChatResponse, String> {
    if v.get("type").and_then(Value::as_str) == Some("error") {
        let said = error_detail(v).map(|d| d.message).unwrap_or_default();
        return Err(format!("an error object instead of a message: {said}"));
    }
    let blocks = v
        .get("content")
        .and_then(Value::as_array)
        .ok_or("no `content` array")?;
    let mut text = String::new();
    let mut tool_calls = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        match block.get("type").and_then(Value::as_str) {
            Some("text") => text.push_str(
                block
                    .get("text")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("content block {i} has no `text`"))?,
            ),
            Some("tool_use") => {
                let field = |name: &str| {
                    block
                        .get(name)
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .ok_or_else(|| format!("tool_use block {i} has no `{name}`"))
                };
                tool_calls.push(ToolCall {
                    id: field("id")?,
                    name: field("name")?,
                    arguments: block.get("input").cloned().unwrap_or_else(|| json!({})),
                });
            }
            Some(_) => {}
            None => return Err(format!("content block {i} has no `type`")),
        }
    }
    let finish_reason = v
        .get("stop_reason")
        .and_then(Value::as_str)
        .map(|reason| match reason {
            "end_turn" | "stop_sequence" => "stop".to_string(),
            "max_tokens" => "length".to_string(),
            "tool_use" => "tool_calls".to_string(),
            other => other.to_string(),
        });
    let counts = v.get("usage");
    Ok(ChatResponse {
        text,
        tool_calls,
        model: reported_model(v, requested_model),
        usage: usage(
            counts.and_then(|u| u.get("input_tokens")),
            counts.and_then(|u| u.get("output_tokens")),
        ),
        finish_reason,
        tries: 0,
    })
}

/// `{"type": "error", "error": {"type", "message"}}`.
pub(super) fn error_detail(v: &Value) -> Option<ErrorDetail> {
    let error = v.get("error")?;
    let message = error.get("message")?.as_str()?.trim();
    if message.is_empty() {
        return None;
    }
    let kind = error
        .get("type")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty());
    Some(ErrorDetail {
        kind: kind.map(str::to_string),
        message: message.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, content: &str) -> ChatMessage {
        ChatMessage::ToolResult {
            call_id: id.into(),
            name: "t".into(),
            content: content.into(),
            is_error: id == "b",
        }
    }

    #[test]
    fn turns_alternate_and_tool_results_share_one_user_message() {
        let call = |id: &str| ToolCall {
            id: id.into(),
            name: "t".into(),
            arguments: json!({"x": id}),
        };
        let request = ChatRequest {
            model: "claude".into(),
            system: Some("sys".into()),
            messages: vec![
                ChatMessage::user("go"),
                ChatMessage::Assistant {
                    content: Some("Calling.".into()),
                    tool_calls: vec![call("a"), call("b")],
                },
                result("a", "1"),
                result("b", "2"),
                ChatMessage::user("and?"),
                ChatMessage::Assistant {
                    content: Some("Done.".into()),
                    tool_calls: vec![],
                },
            ],
            max_tokens: 50,
            temperature: Some(0.5),
            tools: vec![],
        };
        assert_eq!(
            request_body(&request),
            json!({
                "model": "claude",
                "max_tokens": 50,
                "system": "sys",
                "temperature": 0.5,
                "messages": [
                    {"role": "user", "content": "go"},
                    {"role": "assistant", "content": [
                        {"type": "text", "text": "Calling."},
                        {"type": "tool_use", "id": "a", "name": "t", "input": {"x": "a"}},
                        {"type": "tool_use", "id": "b", "name": "t", "input": {"x": "b"}},
                    ]},
                    {"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "a", "content": "1", "is_error": false},
                        {"type": "tool_result", "tool_use_id": "b", "content": "2", "is_error": true},
                        {"type": "text", "text": "and?"},
                    ]},
                    {"role": "assistant", "content": "Done."},
                ],
            })
        );
    }

    #[test]
    fn stop_reasons_are_normalised() {
        for (raw, want) in [
            ("end_turn", "stop"),
            ("stop_sequence", "stop"),
            ("max_tokens", "length"),
            ("tool_use", "tool_calls"),
            ("refusal", "refusal"),
        ] {
            let v = json!({"type": "message", "content": [], "stop_reason": raw});
            let r = parse_response(&v, "m").unwrap();
            assert_eq!(r.finish_reason.as_deref(), Some(want));
        }
    }
}
