//! Embeddings: texts to vectors, in the two wire formats that have them.
//!
//! - [`EmbeddingFormat::OpenAi`]: `POST {base}/embeddings` (`Authorization: Bearer KEY`) with
//!   `{model, input: [texts], encoding_format: "float", dimensions?}`; the answer is `{object:
//!   "list", data: [{object: "embedding", index, embedding: [numbers]}], model, usage:
//!   {prompt_tokens, total_tokens}}`. Spoken by OpenAI, vLLM, llama.cpp's server, LM Studio and
//!   Ollama's `/v1`.
//! - [`EmbeddingFormat::Ollama`]: Ollama's native `POST {host}/api/embed` with `{model, input:
//!   [texts], dimensions?}`; the answer is `{model, embeddings: [[numbers]], total_duration,
//!   load_duration, prompt_eval_count}`.
//!
//! The Anthropic API has no embeddings, so it has no [`EmbeddingFormat`]: a route to it cannot
//! be turned into an [`EmbeddingEndpoint`]. The transport (retries, cancellation, error bodies,
//! the key masked in every error) is the chat calls' own.

use super::{
    default_base_url, normalize_ollama_host, post_json, ProviderError, RetryPolicy, WireFormat,
};
use serde_json::{json, Value};
use std::fmt;
use tokio_util::sync::CancellationToken;

/// A wire format that has embeddings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddingFormat {
    OpenAi,
    Ollama,
}

impl EmbeddingFormat {
    /// The embeddings of a chat wire format; `None` for Anthropic, which has none.
    pub fn of(format: WireFormat) -> Option<Self> {
        match format {
            WireFormat::OpenAi => Some(Self::OpenAi),
            WireFormat::Ollama => Some(Self::Ollama),
            WireFormat::Anthropic => None,
        }
    }

    pub fn wire(self) -> WireFormat {
        match self {
            Self::OpenAi => WireFormat::OpenAi,
            Self::Ollama => WireFormat::Ollama,
        }
    }

    /// The model asked for when a step names none.
    pub fn default_model(self) -> &'static str {
        match self {
            Self::OpenAi => "text-embedding-3-small",
            Self::Ollama => "nomic-embed-text",
        }
    }
}

/// Where an embeddings request goes. `Debug` never shows the API key.
#[derive(Clone, PartialEq, Eq)]
pub struct EmbeddingEndpoint {
    pub format: EmbeddingFormat,
    /// As for [`super::Endpoint::base_url`]: OpenAI up to `/v1`, Ollama the host; empty: the
    /// format's default.
    pub base_url: String,
    pub api_key: Option<String>,
}

impl fmt::Debug for EmbeddingEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddingEndpoint")
            .field("format", &self.format)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[set]"))
            .finish()
    }
}

impl EmbeddingEndpoint {
    /// The exact URL the request goes to.
    pub fn url(&self) -> String {
        let raw = self.base_url.trim();
        let raw = if raw.is_empty() {
            default_base_url(self.format.wire())
        } else {
            raw
        };
        match self.format {
            EmbeddingFormat::OpenAi => {
                let base = raw.trim_end_matches('/');
                if base.ends_with("/embeddings") {
                    base.to_string()
                } else {
                    format!("{base}/embeddings")
                }
            }
            EmbeddingFormat::Ollama => {
                let host = normalize_ollama_host(raw);
                let host = host
                    .strip_suffix("/api/embed")
                    .or_else(|| host.strip_suffix("/api"))
                    .unwrap_or(&host);
                format!("{host}/api/embed")
            }
        }
    }
}

/// What to embed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedRequest {
    pub model: String,
    /// One vector comes back per text, in the same order.
    pub input: Vec<String>,
    /// The vector length, for models that can shorten theirs (sent only when set).
    pub dimensions: Option<u64>,
}

/// The vectors, one per input text, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedResponse {
    pub vectors: Vec<Vec<f32>>,
    /// The model the server names, else the one asked for.
    pub model: String,
    /// Input tokens as the server counts them; `None` when it reports none.
    pub prompt_tokens: Option<u64>,
    /// HTTP requests made, retries included.
    pub tries: u32,
}

/// Sends `request` with the default [`RetryPolicy`].
pub async fn embed(
    client: &reqwest::Client,
    endpoint: &EmbeddingEndpoint,
    request: &EmbedRequest,
    cancel: &CancellationToken,
) -> Result<EmbedResponse, ProviderError> {
    embed_with_policy(client, endpoint, request, cancel, &RetryPolicy::default()).await
}

/// [`embed`] with an explicit retry policy.
pub async fn embed_with_policy(
    client: &reqwest::Client,
    endpoint: &EmbeddingEndpoint,
    request: &EmbedRequest,
    cancel: &CancellationToken,
    policy: &RetryPolicy,
) -> Result<EmbedResponse, ProviderError> {
    let key = endpoint
        .api_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let url = endpoint.url();
    let body = request_body(endpoint.format, request);
    let wire = endpoint.format.wire();
    let result = post_json(client, wire, &url, key, &body, cancel, policy)
        .await
        .and_then(|(value, text, tries)| {
            parse_response(endpoint.format, &value, request)
                .map(|r| EmbedResponse { tries, ..r })
                .map_err(|why| ProviderError::Malformed {
                    url: super::shown_url(&url),
                    why,
                    body: text,
                })
        });
    match (result, key) {
        (Err(e), Some(key)) => Err(e.masking(key)),
        (result, _) => result,
    }
}

fn request_body(format: EmbeddingFormat, request: &EmbedRequest) -> Value {
    let mut body = json!({"model": request.model, "input": request.input});
    if format == EmbeddingFormat::OpenAi {
        body["encoding_format"] = json!("float");
    }
    if let Some(d) = request.dimensions {
        body["dimensions"] = json!(d);
    }
    body
}

fn parse_response(
    format: EmbeddingFormat,
    v: &Value,
    request: &EmbedRequest,
) -> Result<EmbedResponse, String> {
    let (vectors, prompt_tokens) = match format {
        EmbeddingFormat::OpenAi => {
            let data = v
                .get("data")
                .and_then(Value::as_array)
                .ok_or("no `data` list")?;
            let mut indexed = Vec::with_capacity(data.len());
            for (position, item) in data.iter().enumerate() {
                let index = item
                    .get("index")
                    .and_then(Value::as_u64)
                    .map_or(position, |i| i as usize);
                let vector = numbers(item.get("embedding"))
                    .map_err(|why| format!("`data[{position}].embedding`: {why}"))?;
                indexed.push((index, vector));
            }
            indexed.sort_by_key(|(i, _)| *i);
            let tokens = v
                .get("usage")
                .and_then(|u| u.get("prompt_tokens").or_else(|| u.get("total_tokens")))
                .and_then(Value::as_u64);
            (indexed.into_iter().map(|(_, v)| v).collect(), tokens)
        }
        EmbeddingFormat::Ollama => {
            let list = v
                .get("embeddings")
                .and_then(Value::as_array)
                .ok_or("no `embeddings` list")?;
            let vectors = list
                .iter()
                .enumerate()
                .map(|(i, e)| numbers(Some(e)).map_err(|why| format!("`embeddings[{i}]`: {why}")))
                .collect::<Result<Vec<_>, _>>()?;
            let tokens = v.get("prompt_eval_count").and_then(Value::as_u64);
            (vectors, tokens)
        }
    };
    if vectors.len() != request.input.len() {
        return Err(format!(
            "{} vector(s) for {} text(s)",
            vectors.len(),
            request.input.len()
        ));
    }
    if let Some(first) = vectors.first() {
        if let Some(bad) = vectors.iter().position(|v| v.len() != first.len()) {
            return Err(format!(
                "vector {bad} has {} numbers, vector 0 has {}",
                vectors[bad].len(),
                first.len()
            ));
        }
    }
    Ok(EmbedResponse {
        vectors,
        model: super::reported_model(v, &request.model),
        prompt_tokens,
        tries: 1,
    })
}

/// A non-empty list of finite numbers.
fn numbers(v: Option<&Value>) -> Result<Vec<f32>, String> {
    let list = v.and_then(Value::as_array).ok_or("not a list of numbers")?;
    if list.is_empty() {
        return Err("an empty vector".into());
    }
    list.iter()
        .map(|n| {
            n.as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f as f32)
                .ok_or_else(|| format!("`{n}` is not a number"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(n: usize) -> EmbedRequest {
        EmbedRequest {
            model: "m".into(),
            input: (0..n).map(|i| format!("t{i}")).collect(),
            dimensions: None,
        }
    }

    #[test]
    fn urls_follow_each_format() {
        let e = |format, base: &str| EmbeddingEndpoint {
            format,
            base_url: base.into(),
            api_key: None,
        };
        assert_eq!(
            e(EmbeddingFormat::OpenAi, "").url(),
            "https://api.openai.com/v1/embeddings"
        );
        assert_eq!(
            e(EmbeddingFormat::OpenAi, "http://127.0.0.1:9/v1/").url(),
            "http://127.0.0.1:9/v1/embeddings"
        );
        assert_eq!(
            e(EmbeddingFormat::Ollama, "127.0.0.1:9").url(),
            "http://127.0.0.1:9/api/embed"
        );
        assert_eq!(
            e(EmbeddingFormat::Ollama, "http://h:1/api").url(),
            "http://h:1/api/embed"
        );
        assert_eq!(EmbeddingFormat::of(WireFormat::Anthropic), None);
    }

    #[test]
    fn answers_are_read_in_input_order_and_checked() {
        let openai = json!({"object": "list", "model": "e3", "usage": {"prompt_tokens": 7, "total_tokens": 7},
            "data": [{"object": "embedding", "index": 1, "embedding": [0.0, 1.0]},
                     {"object": "embedding", "index": 0, "embedding": [1.0, 0.0]}]});
        let r = parse_response(EmbeddingFormat::OpenAi, &openai, &request(2)).unwrap();
        assert_eq!(r.vectors, vec![vec![1.0, 0.0], vec![0.0, 1.0]]);
        assert_eq!((r.model.as_str(), r.prompt_tokens), ("e3", Some(7)));
        let ollama = json!({"model": "nomic", "embeddings": [[0.5, 0.5]], "prompt_eval_count": 3});
        let r = parse_response(EmbeddingFormat::Ollama, &ollama, &request(1)).unwrap();
        assert_eq!(r.prompt_tokens, Some(3));
        let e = parse_response(EmbeddingFormat::Ollama, &ollama, &request(2)).unwrap_err();
        assert_eq!(e, "1 vector(s) for 2 text(s)");
        let ragged = json!({"embeddings": [[1.0], [1.0, 2.0]]});
        assert!(parse_response(EmbeddingFormat::Ollama, &ragged, &request(2)).is_err());
        let text = json!({"embeddings": [["a"]]});
        assert!(parse_response(EmbeddingFormat::Ollama, &text, &request(1))
            .unwrap_err()
            .contains("not a number"));
    }
}
