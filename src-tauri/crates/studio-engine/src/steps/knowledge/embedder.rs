//! Who turns a knowledge step's texts into vectors, and the call that does it.
//!
//! The step's `provider` decides ([`plan`]):
//!
//! - none, or `local`: the built-in [`LocalEmbedder`], free and offline. It is the default, not
//!   the operator's chosen chat provider, because vectors must stay comparable: a store filled
//!   under one default would stop matching its queries when the operator switched providers.
//! - `simulated`, `default` while no provider is chosen, or any provider when the run simulates
//!   model calls (`--simulate-llm`): the local embedder answers in the model's place, counted as
//!   one model call and priced as the model asked for, so budgets are exercised offline; the
//!   output says `simulated: true`.
//! - `openai`, `ollama`, or a provider of the operator's table: its embeddings endpoint
//!   ([`crate::providers::embed`]), with the API key found as for `llm`, the tokens the server
//!   reports (estimated, and said so, when it reports none) charged to the budget, and the URL
//!   listed in the evidence's links. Providers that speak the Anthropic API are refused: it has
//!   no embeddings.

use super::local_embedder::{self, LocalEmbedder};
use super::store::EmbedderId;
use crate::budget::{micros_to_usd, token_cost_micros, LlmDemand, Spend};
use crate::pricing::ModelPrice;
use crate::providers::{
    self, EmbedRequest, EmbeddingEndpoint, EmbeddingFormat, ProviderError, RemoteRoute, Route,
};
use crate::steps::params::{opt_str, opt_u64};
use crate::steps::{llm, Failure, RunSetup, StepCtx};
use serde_json::{json, Map, Value};

/// The provider name of the built-in embedder.
pub(crate) const LOCAL: &str = "local";

/// Where vectors come from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Source {
    Local(LocalEmbedder),
    Remote {
        route: RemoteRoute,
        format: EmbeddingFormat,
        model: String,
        dimensions: Option<u64>,
    },
}

/// A step's embedder, resolved.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    pub source: Source,
    /// A model call answered by the local embedder (`simulated`, `--simulate-llm`).
    pub simulated: bool,
    /// The provider asked for, when the local embedder answers in its place.
    pub requested_provider: Option<String>,
    /// The model asked for, when the local embedder answers.
    pub requested_model: Option<String>,
    /// The price of a model call (free for the plain local embedder and for Ollama models the
    /// price table does not list).
    pub price: ModelPrice,
}

const FREE: ModelPrice = ModelPrice {
    input_per_mtok: 0.0,
    output_per_mtok: 0.0,
};

/// Resolves the step's embedder parameters.
pub(crate) fn plan(p: &Value, setup: &RunSetup) -> Result<Plan, Failure> {
    let asked = opt_str(p, "provider")?;
    let model = opt_str(p, "model")?;
    let dimensions = opt_u64(p, "dimensions")?;
    let base_url = opt_str(p, "base_url")?;
    let local = |simulated: bool, requested_provider: Option<String>| -> Result<Plan, Failure> {
        let dims = dimensions.map_or(Some(local_embedder::DEFAULT_DIMENSIONS), |d| {
            usize::try_from(d).ok()
        });
        let embedder = dims.and_then(LocalEmbedder::new).ok_or_else(|| {
            Failure::new(format!(
                "`dimensions` of the local embedder must be from {} to {}",
                local_embedder::MIN_DIMENSIONS,
                local_embedder::MAX_DIMENSIONS
            ))
        })?;
        let price = if simulated {
            setup
                .prices
                .price(model.unwrap_or(llm::DEFAULT_SIMULATED_MODEL))
        } else {
            FREE
        };
        Ok(Plan {
            source: Source::Local(embedder),
            simulated,
            requested_provider,
            requested_model: model
                .filter(|m| *m != local_embedder::MODEL)
                .map(str::to_string),
            price,
        })
    };
    let Some(asked) = asked.filter(|a| *a != LOCAL) else {
        return local(false, None);
    };
    let env = |name: &str| setup.env_var(name);
    let other_than_simulated = (asked != "simulated").then(|| asked.to_string());
    match setup.providers.resolve(Some(asked), base_url, &env) {
        Ok(Route::Simulated) => local(true, other_than_simulated),
        Ok(Route::Remote(route)) if setup.simulate_llm => local(true, Some(route.name)),
        Err(_) if setup.simulate_llm => local(true, other_than_simulated),
        Err(e) => Err(Failure::new(e)),
        Ok(Route::Remote(route)) => {
            let format = EmbeddingFormat::of(route.format).ok_or_else(|| {
                Failure::new(format!(
                    "provider `{}` speaks the Anthropic API, which has no embeddings: use `local`, or a provider that speaks the OpenAI or Ollama API",
                    route.name
                ))
            })?;
            let model = model.unwrap_or(format.default_model()).to_string();
            let price = match setup.prices.models.get(&model) {
                Some(price) => *price,
                None if format == EmbeddingFormat::Ollama => FREE,
                None => setup.prices.price(&model),
            };
            Ok(Plan {
                source: Source::Remote {
                    route,
                    format,
                    model,
                    dimensions,
                },
                simulated: false,
                requested_provider: None,
                requested_model: None,
                price,
            })
        }
    }
}

impl Plan {
    /// The provider named in outputs and collections.
    pub fn provider(&self) -> &str {
        match &self.source {
            Source::Local(_) if self.simulated => "simulated",
            Source::Local(_) => LOCAL,
            Source::Remote { route, .. } => &route.name,
        }
    }

    /// What a collection records of the vectors' maker: the local embedder is one maker whether
    /// or not it answered in a model's place (the vectors are the same).
    pub fn identity_name(&self) -> String {
        match &self.source {
            Source::Local(_) => format!("{LOCAL}/{}", local_embedder::MODEL),
            Source::Remote { route, model, .. } => format!("{}/{model}", route.name),
        }
    }

    /// The vector length, when known before the call.
    pub fn known_dimensions(&self) -> Option<usize> {
        match &self.source {
            Source::Local(e) => Some(e.dimensions()),
            Source::Remote { dimensions, .. } => dimensions.map(|d| d as usize),
        }
    }

    /// The endpoint the step calls (for the network perimeter); `None` for the local embedder.
    pub fn endpoint_url(&self) -> Option<String> {
        match &self.source {
            Source::Local(_) => None,
            Source::Remote { route, format, .. } => Some(
                EmbeddingEndpoint {
                    format: *format,
                    base_url: route.base_url.clone(),
                    api_key: None,
                }
                .url(),
            ),
        }
    }

    /// Whether the call is a model call the budget counts.
    pub fn is_model_call(&self) -> bool {
        self.simulated || matches!(self.source, Source::Remote { .. })
    }

    /// What the gate reserves for the call: the texts' tokens, estimated (to the token for the
    /// simulated provider), at the model's input price; one call. `None` for the free local
    /// embedder. Texts only known when the step runs (a file) count nothing here.
    pub fn demand(&self, texts: &[&str]) -> Option<LlmDemand> {
        if !self.is_model_call() {
            return None;
        }
        let tokens = texts.iter().map(|t| self.tokens(t)).sum();
        Some(LlmDemand {
            prompt_tokens: tokens,
            requested_max_tokens: 1,
            input_price_per_mtok: self.price.input_per_mtok,
            output_price_per_mtok: 0.0,
        })
    }

    fn tokens(&self, text: &str) -> u64 {
        if self.simulated {
            llm::sim_tokens(text)
        } else {
            (text.len() as u64).div_ceil(3)
        }
    }

    /// The call's usage as outputs show it, and as the budget is charged.
    fn usage(&self, tokens: u64, estimated: bool) -> (Value, Spend) {
        let cost = token_cost_micros(tokens, 0, self.price.input_per_mtok, 0.0);
        (
            json!({"prompt_tokens": tokens, "cost_usd": micros_to_usd(cost), "estimated": estimated}),
            Spend {
                steps: 0,
                llm_calls: 1,
                tokens,
                cost_micros: cost,
            },
        )
    }
}

/// The vectors of a call, with what the output says of it.
#[derive(Debug)]
pub(crate) struct Embedded {
    pub vectors: Vec<Vec<f32>>,
    pub identity: EmbedderId,
    /// `model`, `provider`, `lexical`, `dimensions`, `simulated`, `usage` (and what was asked
    /// for, when the local embedder answered in a model's place).
    pub fields: Map<String, Value>,
    pub usage: Option<Spend>,
    /// The endpoint called, for the evidence's links.
    pub link: Option<String>,
}

/// Embeds `texts` (one vector each, in order) as planned.
pub(crate) async fn embed(
    plan: &Plan,
    p: &Value,
    texts: Vec<String>,
    ctx: &StepCtx,
) -> Result<Embedded, Failure> {
    let (vectors, model, usage, link) = match &plan.source {
        Source::Local(embedder) => {
            let embedder = *embedder;
            let tokens: u64 = texts.iter().map(|t| plan.tokens(t)).sum();
            let work = tokio::task::spawn_blocking(move || {
                texts.iter().map(|t| embedder.embed(t)).collect::<Vec<_>>()
            });
            let vectors = tokio::select! {
                joined = work => joined.map_err(|e| Failure::new(format!("the local embedder stopped: {e}")))?,
                _ = ctx.cancel.cancelled() => return Err(Failure::interrupted()),
            };
            let usage = plan.simulated.then(|| plan.usage(tokens, false));
            (vectors, local_embedder::MODEL.to_string(), usage, None)
        }
        Source::Remote {
            route,
            format,
            model,
            dimensions,
        } => {
            let estimate: u64 = texts.iter().map(|t| plan.tokens(t)).sum();
            let (answer, url) = remote(p, route, *format, model, *dimensions, texts, ctx).await?;
            let usage = match answer.prompt_tokens {
                Some(tokens) => plan.usage(tokens, false),
                None => plan.usage(estimate, true),
            };
            (answer.vectors, answer.model, Some(usage), Some(url))
        }
    };
    let dims = vectors
        .first()
        .map_or(plan.known_dimensions().unwrap_or(0), Vec::len);
    let mut fields = Map::new();
    fields.insert("model".into(), json!(model));
    fields.insert("provider".into(), json!(plan.provider()));
    fields.insert(
        "lexical".into(),
        json!(matches!(plan.source, Source::Local(_))),
    );
    fields.insert("dimensions".into(), json!(dims));
    fields.insert("simulated".into(), json!(plan.simulated));
    fields.insert(
        "usage".into(),
        usage.as_ref().map_or(Value::Null, |(v, _)| v.clone()),
    );
    if let Some(asked) = &plan.requested_provider {
        fields.insert("requested_provider".into(), json!(asked));
    }
    if let Some(asked) = &plan.requested_model {
        fields.insert("requested_model".into(), json!(asked));
    }
    Ok(Embedded {
        vectors,
        identity: EmbedderId {
            name: plan.identity_name(),
            dimensions: dims,
        },
        fields,
        usage: usage.map(|(_, spend)| spend),
        link,
    })
}

async fn remote(
    p: &Value,
    route: &RemoteRoute,
    format: EmbeddingFormat,
    model: &str,
    dimensions: Option<u64>,
    texts: Vec<String>,
    ctx: &StepCtx,
) -> Result<(providers::EmbedResponse, String), Failure> {
    let api_key = llm::api_key(p, &ctx.shared.setup, route)
        .map_err(Failure::new)?
        .map(|(_, key)| key);
    let endpoint = EmbeddingEndpoint {
        format,
        base_url: route.base_url.clone(),
        api_key,
    };
    let url = endpoint.url();
    let request = EmbedRequest {
        model: model.to_string(),
        input: texts,
        dimensions,
    };
    let client = ctx.shared.http_client()?;
    match providers::embed(client, &endpoint, &request, &ctx.cancel).await {
        Ok(answer) => Ok((answer, url)),
        Err(ProviderError::Cancelled) => Err(Failure::interrupted()),
        Err(e) => {
            let mut f = Failure::new(format!("{e} (provider `{}`)", route.name));
            f.output = match &e {
                ProviderError::Status { status, body, .. } => {
                    Some(json!({"status": status, "body": body}))
                }
                ProviderError::Malformed { body, .. } => Some(json!({"body": body})),
                _ => None,
            };
            // Nothing billed: one call, no tokens.
            f.usage = Some(Spend {
                llm_calls: 1,
                ..Default::default()
            });
            Err(f)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{ConfiguredProvider, ProviderTable, WireFormat};
    use std::sync::Arc;

    fn setup() -> RunSetup {
        RunSetup {
            env: Some(Default::default()),
            ..Default::default()
        }
    }

    #[test]
    fn the_local_embedder_is_the_default_and_free() {
        let plan = plan(&json!({"model": "text-embedding-ada-002"}), &setup()).unwrap();
        assert!(matches!(plan.source, Source::Local(_)));
        assert_eq!((plan.provider(), plan.simulated), ("local", false));
        assert_eq!(
            plan.requested_model.as_deref(),
            Some("text-embedding-ada-002")
        );
        assert_eq!(plan.demand(&["some text"]), None, "no model call");
        assert_eq!(plan.endpoint_url(), None);
        let e = super::plan(&json!({"dimensions": 8}), &setup()).unwrap_err();
        assert!(e.message.contains("from 32 to 4096"), "{}", e.message);
    }

    #[test]
    fn simulation_answers_with_the_local_embedder_and_is_priced() {
        let p = json!({"provider": "simulated"});
        let plan = plan(&p, &setup()).unwrap();
        assert_eq!((plan.provider(), plan.simulated), ("simulated", true));
        let demand = plan.demand(&["12345678"]).unwrap();
        assert_eq!(
            demand.prompt_tokens, 2,
            "the simulated tokenizer: 4 characters a token"
        );
        let mut s = setup();
        s.simulate_llm = true;
        let plan = super::plan(
            &json!({"provider": "openai", "model": "text-embedding-3-small"}),
            &s,
        )
        .unwrap();
        assert!(plan.simulated);
        assert_eq!(plan.requested_provider.as_deref(), Some("openai"));
        assert_eq!(
            plan.price.input_per_mtok, 0.02,
            "priced as the model asked for"
        );
        assert_eq!(plan.identity_name(), "local/local-lexical-v1");
    }

    #[test]
    fn providers_resolve_to_their_embeddings_endpoint() {
        let mut s = setup();
        s.providers = Arc::new(ProviderTable {
            default: None,
            entries: [
                (
                    "box".to_string(),
                    ConfiguredProvider {
                        format: WireFormat::Ollama,
                        base_url: "http://127.0.0.1:9".into(),
                        model: "llama3.2".into(),
                        api_key: None,
                    },
                ),
                (
                    "claude".to_string(),
                    ConfiguredProvider {
                        format: WireFormat::Anthropic,
                        base_url: "http://127.0.0.1:8".into(),
                        model: "c".into(),
                        api_key: None,
                    },
                ),
            ]
            .into(),
        });
        let plan = plan(&json!({"provider": "box"}), &s).unwrap();
        assert_eq!(
            plan.identity_name(),
            "box/nomic-embed-text",
            "an embedding model, not the chat one"
        );
        assert_eq!(
            plan.endpoint_url().as_deref(),
            Some("http://127.0.0.1:9/api/embed")
        );
        assert_eq!(plan.price, FREE, "a local server's unlisted model is free");
        assert!(plan.demand(&["abc"]).is_some());
        let e = super::plan(&json!({"provider": "claude"}), &s).unwrap_err();
        assert!(e.message.contains("no embeddings"), "{}", e.message);
        let e = super::plan(&json!({"provider": "nobody"}), &s).unwrap_err();
        assert!(e.message.contains("Settings → Providers"), "{}", e.message);
    }
}
