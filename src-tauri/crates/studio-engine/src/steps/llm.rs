//! `llm`: asks a language model.
//!
//! Providers: `default` (what a step without `provider:` gets: the operator's chosen provider,
//! `simulated` until one is chosen), `simulated` (deterministic text, token counts and prices,
//! offline; its answers say they are simulated), the built-in `openai` (any OpenAI-compatible
//! endpoint), `ollama` (native `/api/chat`, `OLLAMA_HOST`) and `anthropic` (Messages API), and
//! the providers of the operator's table (a name such as `shimmy` → a wire format and a base
//! URL); see [`crate::providers`] for the wire formats. With the run's `simulate_llm` switch
//! (`--simulate-llm`), every call is answered by the simulated provider, priced as the model
//! asked for, so the budget is exercised as it would be.
//!
//! The system message starts with the mission's context (goal, constraints, perimeter: "context
//! injection"), then the step's `system_message`. `max_tokens` arrives clamped by the gate to
//! what the budget has left. Usage and cost come from the response (estimated, and said so, when
//! a server reports none); prices come from the price table (a model it does not list costs the
//! table's fallback price, except on `ollama`, a local server: free).
//!
//! Output: `{text, model, provider, usage: {prompt_tokens, completion_tokens, total_tokens,
//! cost_usd, estimated}, finish_reason}`, plus `simulated: true` (and `requested_provider`)
//! when the simulated provider answered.

use super::params::{opt_str, opt_u64, str_param};
use super::{Failure, RunSetup, StepCtx, StepOutput};
use crate::budget::{micros_to_usd, token_cost_micros, Spend};
use crate::pricing::ModelPrice;
use crate::providers::{
    self, ChatMessage, ChatRequest, Endpoint, ProviderError, RemoteRoute, Route, WireFormat,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// `max_tokens` when the step gives none.
pub const DEFAULT_MAX_TOKENS: u64 = 512;
pub const DEFAULT_SIMULATED_MODEL: &str = "sim-small";
pub const DEFAULT_OPENAI_MODEL: &str = "gpt-4o-mini";
pub const DEFAULT_ANTHROPIC_MODEL: &str = "claude-3-5-haiku-latest";
pub const DEFAULT_OLLAMA_MODEL: &str = "llama3.2";
pub const DEFAULT_API_KEY_ENV: &str = "OPENAI_API_KEY";
pub const DEFAULT_ANTHROPIC_KEY_ENV: &str = "ANTHROPIC_API_KEY";
pub use crate::os_keyring::DEFAULT_SERVICE as DEFAULT_KEYRING_SERVICE;

/// Where the call goes: the simulated provider, or a real endpoint.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Provider {
    Simulated,
    Remote(RemoteRoute),
}

/// What the gate needs before the call: the messages and the worst case.
#[derive(Debug, Clone)]
pub(crate) struct LlmPlan {
    pub provider: Provider,
    /// The provider the step asked for, resolved (`anthropic`, `shimmy`, `simulated`).
    pub asked: String,
    /// Answered by the simulated provider because the run simulates every model call.
    pub forced_simulation: bool,
    pub model: String,
    pub system: String,
    pub prompt: String,
    pub prompt_tokens: u64,
    pub requested_max_tokens: u64,
    pub price: ModelPrice,
}

/// Reads the parameters, resolves the provider and estimates the prompt (exactly, for the
/// simulated provider).
pub(crate) fn plan(p: &Value, setup: &RunSetup) -> Result<LlmPlan, Failure> {
    let asked_param = opt_str(p, "provider")?;
    let base_url = opt_str(p, "base_url")?;
    let env = |name: &str| setup.env_var(name);
    let route = setup.providers.resolve(asked_param, base_url, &env);
    let (provider, asked) = match (route, setup.simulate_llm) {
        (Ok(Route::Simulated), _) => (Provider::Simulated, "simulated".to_string()),
        (Ok(Route::Remote(r)), true) => (Provider::Simulated, r.name),
        (Err(_), true) => (
            Provider::Simulated,
            asked_param.unwrap_or("default").to_string(),
        ),
        (Ok(Route::Remote(r)), false) => {
            let name = r.name.clone();
            (Provider::Remote(r), name)
        }
        (Err(e), false) => return Err(Failure::new(e)),
    };
    let forced_simulation = setup.simulate_llm && asked != "simulated";
    let default_model = match &provider {
        Provider::Simulated => DEFAULT_SIMULATED_MODEL.to_string(),
        Provider::Remote(r) => r.default_model.clone().unwrap_or_else(|| {
            match r.format {
                WireFormat::OpenAi => DEFAULT_OPENAI_MODEL,
                WireFormat::Anthropic => DEFAULT_ANTHROPIC_MODEL,
                WireFormat::Ollama => DEFAULT_OLLAMA_MODEL,
            }
            .to_string()
        }),
    };
    let model = opt_str(p, "model")?
        .map(str::to_string)
        .unwrap_or(default_model);
    let prompt = str_param(p, "prompt")?.to_string();
    let step_system = opt_str(p, "system_message")?.or(opt_str(p, "system")?);
    let context = &setup.llm_context;
    let system = match (context.trim().is_empty(), step_system) {
        (true, None) => String::new(),
        (true, Some(s)) => s.to_string(),
        (false, None) => context.to_string(),
        (false, Some(s)) => format!("{context}\n\n{s}"),
    };
    let prompt_tokens = match provider {
        Provider::Simulated => sim_tokens(&system) + sim_tokens(&prompt) + 8,
        Provider::Remote(_) => estimate_tokens(&system) + estimate_tokens(&prompt) + 16,
    };
    let requested_max_tokens = opt_u64(p, "max_tokens")?
        .unwrap_or(DEFAULT_MAX_TOKENS)
        .max(1);
    let local = matches!(&provider, Provider::Remote(r) if r.format == WireFormat::Ollama);
    let price = if local && !setup.prices.models.contains_key(&model) {
        ModelPrice {
            input_per_mtok: 0.0,
            output_per_mtok: 0.0,
        }
    } else {
        setup.prices.price(&model)
    };
    Ok(LlmPlan {
        provider,
        asked,
        forced_simulation,
        model,
        system,
        prompt,
        prompt_tokens,
        requested_max_tokens,
        price,
    })
}

/// The simulated provider's tokenizer: one token per 4 characters, rounded up.
pub(crate) fn sim_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

/// A generous estimate for real tokenizers (one token per 3 bytes).
pub(crate) fn estimate_tokens(text: &str) -> u64 {
    (text.len() as u64).div_ceil(3)
}

pub(crate) async fn run(p: &Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let setup = &ctx.shared.setup;
    let plan = plan(p, setup)?;
    let max_tokens = opt_u64(p, "max_tokens")?
        .unwrap_or(plan.requested_max_tokens)
        .max(1);
    match &plan.provider {
        Provider::Simulated => Ok(simulated(&plan, max_tokens)),
        Provider::Remote(route) => remote(p, &plan, route, max_tokens, ctx).await,
    }
}

/// The API key a call to a real endpoint sends, as `(mask label, key)`, in this order:
///
/// 1. the environment variable `api_key_env` when the step names one and it is set;
/// 2. the OS keyring entry (service `api_key_keyring_service`, default `mission-studio`; user
///    `api_key_keyring`) when the step names one: missing or unreadable, it is an error that
///    says how to set either;
/// 3. the key configured with the provider in Settings;
/// 4. the provider's usual variable (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`) when set;
/// 5. none (local servers need none); the public OpenAI and Anthropic endpoints then refuse
///    the call before it is made, saying how to give one.
pub(crate) fn api_key(
    p: &Value,
    setup: &RunSetup,
    route: &RemoteRoute,
) -> Result<Option<(String, String)>, String> {
    let explicit_env = p.get("api_key_env").and_then(Value::as_str);
    if let Some(name) = explicit_env {
        if let Some(key) = setup.env_var(name) {
            return Ok(Some((format!("env.{name}"), key)));
        }
    }
    if let Some(user) = p.get("api_key_keyring").and_then(Value::as_str) {
        return keyring_key(p, user, explicit_env);
    }
    if let Some(key) = route.configured_key.clone().filter(|k| !k.is_empty()) {
        return Ok(Some((format!("provider.{}", route.name), key)));
    }
    let usual = match route.format {
        WireFormat::OpenAi => Some(DEFAULT_API_KEY_ENV),
        WireFormat::Anthropic => Some(DEFAULT_ANTHROPIC_KEY_ENV),
        WireFormat::Ollama => None,
    };
    let name = explicit_env.or(usual);
    if let Some(key) = name.and_then(|n| setup.env_var(n)) {
        return Ok(Some((format!("env.{}", name.unwrap_or_default()), key)));
    }
    let public = [
        providers::default_base_url(WireFormat::OpenAi),
        providers::default_base_url(WireFormat::Anthropic),
    ];
    if public.contains(&route.base_url.trim_end_matches('/')) {
        return Err(format!(
            "no API key for `{}` ({}): set {}, name another variable with `api_key_env`, or store the key with the provider in Settings → Providers",
            route.name,
            route.base_url,
            usual.unwrap_or("the key's variable")
        ));
    }
    Ok(None)
}

fn keyring_key(
    p: &Value,
    user: &str,
    explicit_env: Option<&str>,
) -> Result<Option<(String, String)>, String> {
    let service = p
        .get("api_key_keyring_service")
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_KEYRING_SERVICE);
    let how = format!(
        "store it with `mission keyring set {user}{}` (the key read from standard input){}",
        if service == DEFAULT_KEYRING_SERVICE {
            String::new()
        } else {
            format!(" --service {service}")
        },
        match explicit_env {
            Some(name) => format!(" or set the environment variable `{name}`"),
            None => " or name an environment variable that holds it with `api_key_env`".into(),
        }
    );
    match crate::os_keyring::get(service, user) {
        Ok(Some(key)) => Ok(Some((format!("keyring.{service}/{user}"), key))),
        Ok(None) => Err(format!(
            "no API key: the OS keyring has no entry for service `{service}`, user `{user}`; {how}"
        )),
        Err(e) => Err(format!("no API key: {e}; {how}")),
    }
}

fn usage_output(plan: &LlmPlan, prompt: u64, completion: u64, estimated: bool) -> (Value, Spend) {
    let cost = token_cost_micros(
        prompt,
        completion,
        plan.price.input_per_mtok,
        plan.price.output_per_mtok,
    );
    let usage = json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cost_usd": micros_to_usd(cost),
        "estimated": estimated,
    });
    let spend = Spend {
        steps: 0,
        llm_calls: 1,
        tokens: prompt + completion,
        cost_micros: cost,
    };
    (usage, spend)
}

/// Deterministic: the same model, system message and prompt give the same text and counts.
pub(crate) fn simulated(plan: &LlmPlan, max_tokens: u64) -> StepOutput {
    let mut hasher = Sha256::new();
    hasher.update(plan.model.as_bytes());
    hasher.update([0]);
    hasher.update(plan.system.as_bytes());
    hasher.update([0]);
    hasher.update(plan.prompt.as_bytes());
    let digest = hasher.finalize();
    let tag: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    let natural = 24 + u64::from(digest[6] % 48);
    let limit = natural.min(max_tokens);
    let excerpt: String = plan.prompt.chars().take(120).collect();
    let mut text = format!(
        "Simulated answer {tag} by {}: considered \"{excerpt}\" within the mission's context.",
        plan.model
    );
    while (text.chars().count() as u64) < limit * 4 {
        text.push_str(" Noted.");
    }
    let text: String = text.chars().take((limit * 4) as usize).collect();
    let completion = sim_tokens(&text);
    let finish = if limit < natural { "length" } else { "stop" };
    let (usage, spend) = usage_output(plan, plan.prompt_tokens, completion, false);
    let mut value = json!({
        "text": text,
        "model": plan.model,
        "provider": "simulated",
        "simulated": true,
        "usage": usage,
        "finish_reason": finish,
    });
    if plan.forced_simulation {
        value["requested_provider"] = json!(plan.asked);
    }
    let mut out = StepOutput::new(value);
    out.usage = Some(spend);
    out
}

async fn remote(
    p: &Value,
    plan: &LlmPlan,
    route: &RemoteRoute,
    max_tokens: u64,
    ctx: &StepCtx,
) -> Result<StepOutput, Failure> {
    opt_str(p, "api_key_env")?;
    opt_str(p, "api_key_keyring")?;
    opt_str(p, "api_key_keyring_service")?;
    let api_key = api_key(p, &ctx.shared.setup, route)
        .map_err(Failure::new)?
        .map(|(_, key)| key);
    let endpoint = Endpoint {
        format: route.format,
        base_url: route.base_url.clone(),
        api_key,
    };
    let url = endpoint.chat_url();
    let request = ChatRequest {
        model: plan.model.clone(),
        system: (!plan.system.is_empty()).then(|| plan.system.clone()),
        messages: vec![ChatMessage::user(plan.prompt.clone())],
        max_tokens,
        temperature: p.get("temperature").and_then(Value::as_f64),
        tools: Vec::new(),
    };
    let client = ctx.shared.http_client()?;
    // Nothing billed yet: a failure before an answer counts one call and no tokens.
    let unbilled = Spend {
        llm_calls: 1,
        ..Default::default()
    };
    let answer = match providers::chat(client, &endpoint, &request, &ctx.cancel).await {
        Ok(answer) => answer,
        Err(ProviderError::Cancelled) => return Err(Failure::interrupted()),
        Err(e) => {
            let output = match &e {
                ProviderError::Status { status, body, .. } => {
                    Some(json!({"status": status, "body": body}))
                }
                ProviderError::Malformed { body, .. } => Some(json!({"body": body})),
                _ => None,
            };
            let mut f = Failure::new(format!("{} (provider `{}`)", e, route.name));
            f.output = output;
            f.usage = Some(unbilled);
            return Err(f);
        }
    };
    let (prompt, completion, estimated) = match answer.usage {
        Some(u) => (u.prompt_tokens, u.completion_tokens, false),
        None => (plan.prompt_tokens, estimate_tokens(&answer.text), true),
    };
    let (usage, spend) = usage_output(plan, prompt, completion, estimated);
    let mut out = StepOutput::new(json!({
        "text": answer.text,
        "model": answer.model,
        "provider": route.name,
        "usage": usage,
        "finish_reason": answer.finish_reason,
    }));
    out.usage = Some(spend);
    out.links.push(url);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{ConfiguredProvider, ProviderTable};
    use std::sync::Arc;

    fn setup(context: &str) -> RunSetup {
        RunSetup {
            llm_context: context.to_string(),
            env: Some(Default::default()),
            ..Default::default()
        }
    }

    #[test]
    fn the_simulated_provider_is_deterministic_and_respects_max_tokens() {
        let p = json!({"prompt": "Summarise the quarterly report", "max_tokens": 10});
        let plan = plan(&p, &setup("Goal: test")).unwrap();
        let a = simulated(&plan, 10);
        let b = simulated(&plan, 10);
        assert_eq!(a.value, b.value);
        assert_eq!(a.value["simulated"], true, "a simulated answer says so");
        let usage = &a.value["usage"];
        assert!(usage["completion_tokens"].as_u64().unwrap() <= 10);
        assert_eq!(usage["prompt_tokens"].as_u64().unwrap(), plan.prompt_tokens);
        assert_eq!(a.value["finish_reason"], "length");
        let spend = a.usage.unwrap();
        assert_eq!(spend.llm_calls, 1);
        assert!(spend.cost_micros > 0, "simulated calls cost money");
        let other = super::plan(&json!({"prompt": "Another prompt"}), &setup("")).unwrap();
        assert_ne!(simulated(&other, 10).value["text"], a.value["text"]);
    }

    #[test]
    fn the_context_goes_first_in_the_system_message() {
        let p = json!({"prompt": "x", "system_message": "Be brief."});
        let plan = plan(&p, &setup("Mission goal: win")).unwrap();
        assert_eq!(plan.system, "Mission goal: win\n\nBe brief.");
        let e = super::plan(&json!({"prompt": "x", "provider": "nope"}), &setup("")).unwrap_err();
        assert!(e.message.contains("Settings → Providers"), "{}", e.message);
    }

    #[test]
    fn simulate_llm_answers_every_provider_and_keeps_its_price() {
        let mut s = setup("");
        s.simulate_llm = true;
        let p = json!({"prompt": "x", "provider": "anthropic", "model": "gpt-4o"});
        let plan = plan(&p, &s).unwrap();
        assert_eq!(plan.provider, Provider::Simulated);
        assert_eq!(
            plan.price,
            s.prices.price("gpt-4o"),
            "priced as the model asked for"
        );
        let out = simulated(&plan, 20);
        assert_eq!(out.value["requested_provider"], "anthropic");
        assert_eq!(out.value["simulated"], true);
        // Even a provider nobody configured is simulated rather than refused.
        let plan = super::plan(&json!({"prompt": "x", "provider": "shimmy"}), &s).unwrap();
        assert_eq!(plan.asked, "shimmy");
    }

    #[test]
    fn the_default_provider_follows_the_table_and_local_models_are_free() {
        let mut s = setup("");
        let table = ProviderTable {
            default: Some("local".into()),
            entries: [(
                "local".to_string(),
                ConfiguredProvider {
                    format: WireFormat::Ollama,
                    base_url: "http://127.0.0.1:11434".into(),
                    model: "qwen2.5".into(),
                    api_key: None,
                },
            )]
            .into(),
        };
        s.providers = Arc::new(table);
        let plan = plan(&json!({"prompt": "x"}), &s).unwrap();
        assert!(matches!(&plan.provider, Provider::Remote(r) if r.name == "local"));
        assert_eq!(plan.model, "qwen2.5");
        assert_eq!(plan.price.input_per_mtok, 0.0);
    }

    #[test]
    fn public_endpoints_without_a_key_are_refused_before_the_call() {
        let s = setup("");
        let Provider::Remote(route) = plan(&json!({"prompt": "x", "provider": "anthropic"}), &s)
            .unwrap()
            .provider
        else {
            panic!()
        };
        let e = api_key(&json!({}), &s, &route).unwrap_err();
        assert!(e.contains("ANTHROPIC_API_KEY"), "{e}");
        let mut s = setup("");
        s.env = Some([("ANTHROPIC_API_KEY".to_string(), "sk-ant".to_string())].into());
        let key = api_key(&json!({}), &s, &route).unwrap().unwrap();
        assert_eq!(key.0, "env.ANTHROPIC_API_KEY");
    }
}
