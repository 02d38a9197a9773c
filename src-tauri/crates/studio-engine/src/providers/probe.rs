//! Connection checks ("Test connection" in the app's settings): one cheap, real request to an
//! endpoint in its own wire format, with its key, under one time limit and without retries.
//!
//! First the endpoint's list of models: `GET {base}/models` (OpenAI-compatible), `GET
//! {base}/v1/models` (Anthropic, `x-api-key` and `anthropic-version`) or `GET {host}/api/tags`
//! (Ollama). When it lists the configured model (a name without a tag also matches its
//! `:latest`), the check is done and costs no token. When it does not list it (a model alias,
//! a server that names its one model after a file), or does not list models at all (HTTP 404 or
//! 405, or an answer that is not a list), a 1-token chat with the model decides ([`chat`] with
//! `max_tokens: 1`). Any other failure (connection refused, timeout, 401, 403, 5xx) is the
//! answer: the provider's own error message and type, read from its error body, the URL, and
//! never the key.

use super::{
    chat_with_policy, describe, shown_url, status_error, ChatMessage, ChatRequest, Endpoint,
    ProviderError, RetryPolicy, WireFormat,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Which request proved that the endpoint serves the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeMethod {
    /// The list of models named it.
    ListModels,
    /// A 1-token chat with it answered.
    Chat,
}

/// A successful check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeReport {
    pub method: ProbeMethod,
    /// The URL of the request that decided (without user name or password).
    pub url: String,
    /// Time from the first request sent to the last answer read, every request included.
    pub latency_ms: u64,
    /// The model as the endpoint names it: its entry in the list, or the model that answered.
    pub model: String,
    /// The models the endpoint lists (empty when it lists none or the list failed).
    pub models: Vec<String>,
    /// What was learnt on the way, e.g. that the list does not name the model.
    pub note: Option<String>,
}

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The endpoint could not be reached or refused the request.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The endpoint answers, does not list the model, and a chat with it failed.
    #[error("`{model}` is not among the {count} models `{url}` lists ({listed}), and a 1-token chat with it failed: {chat}", count = .models.len(), listed = list_excerpt(.models))]
    ModelMissing {
        model: String,
        url: String,
        models: Vec<String>,
        chat: ProviderError,
    },
}

impl ProbeError {
    /// The HTTP status of the failing answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ProbeError::Provider(e) => e.status(),
            ProbeError::ModelMissing { chat, .. } => chat.status(),
        }
    }
}

fn list_excerpt(models: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut text = models
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if models.len() > SHOWN {
        text.push_str(&format!(", … {} more", models.len() - SHOWN));
    }
    if text.is_empty() {
        text.push_str("none");
    }
    text
}

impl Endpoint {
    /// The URL that lists the endpoint's models.
    pub fn models_url(&self) -> String {
        let chat = self.chat_url();
        let (suffix, list) = match self.format {
            WireFormat::OpenAi => ("/chat/completions", "/models"),
            WireFormat::Anthropic => ("/messages", "/models"),
            WireFormat::Ollama => ("/api/chat", "/api/tags"),
        };
        match chat.strip_suffix(suffix) {
            Some(base) => format!("{base}{list}"),
            None => format!("{chat}{list}"),
        }
    }
}

/// [`probe`] with a client of its own, set up as runs set theirs (no proxy, the app's user
/// agent).
pub async fn check_endpoint(
    endpoint: &Endpoint,
    model: &str,
    timeout: Duration,
) -> Result<ProbeReport, ProbeError> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .user_agent(concat!("mission-studio/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ProviderError::Transport {
            url: shown_url(&endpoint.models_url()),
            message: format!("cannot set up the HTTP client: {e}"),
        })?;
    probe(&client, endpoint, model, timeout).await
}

/// Checks that `endpoint` answers and serves `model`, within `timeout` per request.
pub async fn probe(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    model: &str,
    timeout: Duration,
) -> Result<ProbeReport, ProbeError> {
    let key = endpoint
        .api_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let started = Instant::now();
    let elapsed = |at: Instant| at.elapsed().as_millis().min(u64::MAX as u128) as u64;
    let listing = list_models(client, endpoint, key, timeout)
        .await
        .map_err(|e| match key {
            Some(key) => e.masking(key),
            None => e,
        });
    let (list_url, models, why_chat) = match listing {
        Ok((url, models)) => {
            if let Some(found) = find_model(&models, model) {
                return Ok(ProbeReport {
                    method: ProbeMethod::ListModels,
                    url,
                    latency_ms: elapsed(started),
                    model: found.to_string(),
                    models,
                    note: None,
                });
            }
            let why = format!(
                "`{model}` is not among the {} models the endpoint lists; a 1-token chat answered",
                models.len()
            );
            (url, models, why)
        }
        Err(e @ (ProviderError::Status { .. } | ProviderError::Malformed { .. }))
            if lists_nothing(&e) =>
        {
            let why = match e.status() {
                Some(status) => {
                    format!("the endpoint lists no models (HTTP {status}); a 1-token chat answered")
                }
                None => {
                    "the endpoint's list of models is not one; a 1-token chat answered".to_string()
                }
            };
            (String::new(), Vec::new(), why)
        }
        Err(e) => return Err(e.into()),
    };
    let request = ChatRequest {
        model: model.to_string(),
        system: None,
        messages: vec![ChatMessage::user("Reply with OK.")],
        max_tokens: 1,
        temperature: None,
        tools: Vec::new(),
    };
    let policy = RetryPolicy {
        max_tries: 1,
        timeout,
        ..RetryPolicy::default()
    };
    let never = CancellationToken::new();
    match chat_with_policy(client, endpoint, &request, &never, &policy).await {
        Ok(answer) => Ok(ProbeReport {
            method: ProbeMethod::Chat,
            url: shown_url(&endpoint.chat_url()),
            latency_ms: elapsed(started),
            model: answer.model,
            models,
            note: Some(why_chat),
        }),
        Err(chat) if !list_url.is_empty() => Err(ProbeError::ModelMissing {
            model: model.to_string(),
            url: list_url,
            models,
            chat,
        }),
        Err(chat) => Err(chat.into()),
    }
}

/// An answer that means "no list here" rather than "no access": 404, 405, 501, or a 2xx that is
/// not a list of models.
fn lists_nothing(e: &ProviderError) -> bool {
    match e {
        ProviderError::Status { status, .. } => matches!(status, 404 | 405 | 501),
        ProviderError::Malformed { .. } => true,
        _ => false,
    }
}

/// The listed model that is `model`: the same name, or `name:latest` for a name without a tag.
fn find_model<'a>(models: &'a [String], model: &str) -> Option<&'a str> {
    let model = model.trim();
    models
        .iter()
        .find(|m| *m == model)
        .or_else(|| {
            (!model.contains(':'))
                .then(|| models.iter().find(|m| **m == format!("{model}:latest")))
                .flatten()
        })
        .map(String::as_str)
}

/// `GET` of the list of models: its URL and the names it lists.
async fn list_models(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    key: Option<&str>,
    timeout: Duration,
) -> Result<(String, Vec<String>), ProviderError> {
    let url = endpoint.models_url();
    let shown = shown_url(&url);
    let builder = client.get(&url).timeout(timeout);
    let builder = match endpoint.format {
        WireFormat::OpenAi => super::openai::authorize(builder, key),
        WireFormat::Anthropic => super::anthropic::authorize(builder, key),
        WireFormat::Ollama => super::ollama::authorize(builder, key),
    };
    let answer = async {
        let response = builder.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok::<_, reqwest::Error>((status, text))
    };
    let (status, text) = answer.await.map_err(|e| ProviderError::Transport {
        url: shown.clone(),
        message: describe(&e, timeout),
    })?;
    if !(200..=299).contains(&status) {
        return Err(status_error(endpoint.format, shown, status, text, 1));
    }
    let malformed = |why: String, body: String| ProviderError::Malformed {
        url: shown.clone(),
        why,
        body,
    };
    let value: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return Err(malformed(format!("not JSON ({e})"), text)),
    };
    match model_names(&value) {
        Some(names) => Ok((shown, names)),
        None => Err(malformed(
            "no `data` or `models` array of models".to_string(),
            text,
        )),
    }
}

/// The names in a list of models: `{"data": [{"id"}]}` (OpenAI, Anthropic) or `{"models":
/// [{"name"}]}` (Ollama); `None` when it is neither.
fn model_names(v: &Value) -> Option<Vec<String>> {
    let items = v
        .get("data")
        .and_then(Value::as_array)
        .or_else(|| v.get("models").and_then(Value::as_array))?;
    Some(
        items
            .iter()
            .filter_map(|item| {
                ["id", "name", "model"]
                    .iter()
                    .find_map(|k| item.get(*k).and_then(Value::as_str))
                    .or_else(|| item.as_str())
                    .map(str::to_string)
            })
            .collect(),
    )
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
    fn each_format_lists_its_models_where_its_service_does() {
        let cases = [
            (
                WireFormat::OpenAi,
                "http://h:8080/v1",
                "http://h:8080/v1/models",
            ),
            (
                WireFormat::OpenAi,
                "http://h:8080/v1/",
                "http://h:8080/v1/models",
            ),
            (
                WireFormat::OpenAi,
                "http://h/v1/chat/completions",
                "http://h/v1/models",
            ),
            (WireFormat::OpenAi, "", "https://api.openai.com/v1/models"),
            (
                WireFormat::Anthropic,
                "https://api.anthropic.com",
                "https://api.anthropic.com/v1/models",
            ),
            (WireFormat::Anthropic, "http://h/v1", "http://h/v1/models"),
            (
                WireFormat::Ollama,
                "http://h:11434",
                "http://h:11434/api/tags",
            ),
            (WireFormat::Ollama, "h", "http://h:11434/api/tags"),
            (
                WireFormat::Ollama,
                "http://h:11434/api",
                "http://h:11434/api/tags",
            ),
        ];
        for (format, base, want) in cases {
            assert_eq!(endpoint(format, base).models_url(), want, "{format} {base}");
        }
    }

    #[test]
    fn a_model_matches_by_name_or_its_latest_tag() {
        let models = vec!["llama3.2:latest".to_string(), "qwen2.5:7b".to_string()];
        assert_eq!(find_model(&models, "llama3.2"), Some("llama3.2:latest"));
        assert_eq!(find_model(&models, "qwen2.5:7b"), Some("qwen2.5:7b"));
        assert_eq!(find_model(&models, "qwen2.5"), None);
        assert_eq!(find_model(&models, "llama3.2:1b"), None);
    }

    #[test]
    fn lists_of_models_are_read_in_each_shape() {
        let openai = json!({"object": "list", "data": [{"id": "gpt-4o-mini"}, {"id": "o3"}]});
        let ollama = json!({"models": [{"name": "llama3.2:latest", "model": "llama3.2:latest"}]});
        assert_eq!(
            model_names(&openai).unwrap(),
            vec!["gpt-4o-mini".to_string(), "o3".to_string()]
        );
        assert_eq!(
            model_names(&ollama).unwrap(),
            vec!["llama3.2:latest".to_string()]
        );
        assert_eq!(model_names(&json!({"ok": true})), None);
    }

    #[test]
    fn a_long_list_is_cut_in_messages() {
        let models: Vec<String> = (0..12).map(|i| format!("m{i}")).collect();
        let text = list_excerpt(&models);
        assert!(text.ends_with("m7, … 4 more"), "{text}");
        assert_eq!(list_excerpt(&[]), "none");
    }
}
