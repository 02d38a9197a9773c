//! `llm`: asks a language model.
//!
//! Providers: `simulated` (the default: deterministic text, token counts and prices, offline)
//! and `openai` (any OpenAI-compatible chat completions endpoint — OpenAI, Ollama, llama.cpp
//! server: `base_url`, `model`, the API key from an environment variable or the OS keyring; see
//! [`api_key`] for the order).
//!
//! The system message starts with the mission's context (goal, constraints, perimeter: "context
//! injection"), then the step's `system_message`. `max_tokens` arrives clamped by the gate to
//! what the budget has left. Usage and cost come from the response (estimated, and said so, when
//! a server reports none); prices come from the price table.
//!
//! Output: `{text, model, provider, usage: {prompt_tokens, completion_tokens, total_tokens,
//! cost_usd, estimated}, finish_reason}`.

use super::params::{opt_str, opt_u64, str_param};
use super::{Failure, RunSetup, StepCtx, StepOutput};
use crate::budget::{micros_to_usd, token_cost_micros, Spend};
use crate::pricing::ModelPrice;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// `max_tokens` when the step gives none.
pub const DEFAULT_MAX_TOKENS: u64 = 512;
pub const DEFAULT_SIMULATED_MODEL: &str = "sim-small";
pub const DEFAULT_OPENAI_MODEL: &str = "gpt-4o-mini";
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_API_KEY_ENV: &str = "OPENAI_API_KEY";
pub use crate::os_keyring::DEFAULT_SERVICE as DEFAULT_KEYRING_SERVICE;
/// Attempts of one call when the server answers 429 or 5xx.
const MAX_TRIES: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Provider {
    Simulated,
    OpenAi,
}

/// What the gate needs before the call: the messages and the worst case.
#[derive(Debug, Clone)]
pub(crate) struct LlmPlan {
    pub provider: Provider,
    pub model: String,
    pub system: String,
    pub prompt: String,
    pub prompt_tokens: u64,
    pub requested_max_tokens: u64,
    pub price: ModelPrice,
}

/// Reads the parameters and estimates the prompt (exactly, for the simulated provider).
pub(crate) fn plan(
    p: &Value,
    context: &str,
    price_of: &dyn Fn(&str) -> ModelPrice,
) -> Result<LlmPlan, Failure> {
    let provider = match opt_str(p, "provider")?.unwrap_or("simulated") {
        "simulated" => Provider::Simulated,
        "openai" => Provider::OpenAi,
        other => {
            return Err(Failure::new(format!(
                "unknown LLM provider `{other}` (use `simulated` or `openai`)"
            )))
        }
    };
    let model = opt_str(p, "model")?
        .unwrap_or(match provider {
            Provider::Simulated => DEFAULT_SIMULATED_MODEL,
            Provider::OpenAi => DEFAULT_OPENAI_MODEL,
        })
        .to_string();
    let prompt = str_param(p, "prompt")?.to_string();
    let step_system = opt_str(p, "system_message")?.or(opt_str(p, "system")?);
    let system = match (context.trim().is_empty(), step_system) {
        (true, None) => String::new(),
        (true, Some(s)) => s.to_string(),
        (false, None) => context.to_string(),
        (false, Some(s)) => format!("{context}\n\n{s}"),
    };
    let prompt_tokens = match provider {
        Provider::Simulated => sim_tokens(&system) + sim_tokens(&prompt) + 8,
        Provider::OpenAi => estimate_tokens(&system) + estimate_tokens(&prompt) + 16,
    };
    let requested_max_tokens = opt_u64(p, "max_tokens")?
        .unwrap_or(DEFAULT_MAX_TOKENS)
        .max(1);
    let price = price_of(&model);
    Ok(LlmPlan {
        provider,
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
fn estimate_tokens(text: &str) -> u64 {
    (text.len() as u64).div_ceil(3)
}

pub(crate) async fn run(p: &Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let setup = &ctx.shared.setup;
    let plan = plan(p, &setup.llm_context, &|m| setup.prices.price(m))?;
    let max_tokens = opt_u64(p, "max_tokens")?
        .unwrap_or(plan.requested_max_tokens)
        .max(1);
    match plan.provider {
        Provider::Simulated => Ok(simulated(&plan, max_tokens)),
        Provider::OpenAi => openai(p, &plan, max_tokens, ctx).await,
    }
}

/// The `openai` provider's API key, as `(mask label, key)`, in this order:
///
/// 1. the environment variable `api_key_env` when the step names one and it is set;
/// 2. the OS keyring entry (service `api_key_keyring_service`, default `mission-studio`; user
///    `api_key_keyring`) when the step names one: missing or unreadable, it is an error that
///    says how to set either;
/// 3. otherwise `OPENAI_API_KEY` when set, else no key (local servers need none).
pub(crate) fn api_key(p: &Value, setup: &RunSetup) -> Result<Option<(String, String)>, String> {
    let explicit_env = p.get("api_key_env").and_then(Value::as_str);
    if let Some(name) = explicit_env {
        if let Some(key) = setup.env_var(name) {
            return Ok(Some((format!("env.{name}"), key)));
        }
    }
    let Some(user) = p.get("api_key_keyring").and_then(Value::as_str) else {
        let name = explicit_env.unwrap_or(DEFAULT_API_KEY_ENV);
        return Ok(setup.env_var(name).map(|key| (format!("env.{name}"), key)));
    };
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
fn simulated(plan: &LlmPlan, max_tokens: u64) -> StepOutput {
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
    let mut out = StepOutput::new(json!({
        "text": text,
        "model": plan.model,
        "provider": "simulated",
        "usage": usage,
        "finish_reason": finish,
    }));
    out.usage = Some(spend);
    out
}

async fn openai(
    p: &Value,
    plan: &LlmPlan,
    max_tokens: u64,
    ctx: &StepCtx,
) -> Result<StepOutput, Failure> {
    let base = opt_str(p, "base_url")?.unwrap_or(DEFAULT_BASE_URL);
    let url = format!("{}/chat/completions", base.trim_end_matches('/'));
    opt_str(p, "api_key_env")?;
    opt_str(p, "api_key_keyring")?;
    opt_str(p, "api_key_keyring_service")?;
    let api_key = api_key(p, &ctx.shared.setup)
        .map_err(Failure::new)?
        .map(|(_, key)| key);
    let mut messages = Vec::new();
    if !plan.system.is_empty() {
        messages.push(json!({"role": "system", "content": plan.system}));
    }
    messages.push(json!({"role": "user", "content": plan.prompt}));
    let mut body = json!({"model": plan.model, "messages": messages, "max_tokens": max_tokens});
    if let Some(t) = p.get("temperature").and_then(Value::as_f64) {
        body["temperature"] = json!(t);
    }
    let client = ctx.shared.http_client()?;
    // Nothing billed yet: a failure before an answer counts one call and no tokens.
    let unbilled = Spend {
        llm_calls: 1,
        ..Default::default()
    };
    let mut backoff = FIRST_BACKOFF;
    let mut tries = 0;
    let (status, text) = loop {
        tries += 1;
        let mut request = client
            .post(&url)
            .timeout(Duration::from_secs(300))
            .json(&body);
        if let Some(key) = &api_key {
            request = request.bearer_auth(key);
        }
        let exchange = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let text = response.text().await?;
            Ok::<_, reqwest::Error>((status, retry_after, text))
        };
        let answer = tokio::select! {
            r = exchange => r,
            _ = ctx.cancel.cancelled() => return Err(Failure::interrupted()),
        };
        let (status, retry_after, text) = match answer {
            Ok(a) => a,
            Err(e) => {
                let mut f =
                    Failure::new(format!("LLM request to `{url}` failed: {}", describe(&e)));
                f.usage = Some(unbilled);
                return Err(f);
            }
        };
        let retryable = status == 429 || (500..600).contains(&status);
        if retryable && tries < MAX_TRIES {
            let wait = retry_after.unwrap_or(backoff).min(MAX_RETRY_AFTER);
            tracing::info!(status, tries, "LLM endpoint busy; retrying in {wait:?}");
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = ctx.cancel.cancelled() => return Err(Failure::interrupted()),
            }
            backoff *= 2;
            continue;
        }
        break (status, text);
    };
    if status >= 400 {
        let mut f = Failure::new(format!(
            "LLM endpoint `{url}` answered HTTP {status} after {tries} tries: {}",
            excerpt(&text)
        ))
        .with_output(json!({"status": status, "body": text}));
        f.usage = Some(unbilled);
        return Err(f);
    }
    let malformed = |why: &str| {
        // The raw answer is kept in the output: nothing is lost.
        Failure::new(format!(
            "malformed response from the LLM endpoint `{url}`: {why}; body: {}",
            excerpt(&text)
        ))
        .with_output(json!({"status": status, "body": text}))
    };
    let response: Value =
        serde_json::from_str(&text).map_err(|e| malformed(&format!("not JSON ({e})")))?;
    let content = response
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no `choices[0].message.content` text"))?
        .to_string();
    let model = response
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or(&plan.model)
        .to_string();
    let finish = response
        .pointer("/choices/0/finish_reason")
        .cloned()
        .unwrap_or(Value::Null);
    let reported = (
        response
            .pointer("/usage/prompt_tokens")
            .and_then(Value::as_u64),
        response
            .pointer("/usage/completion_tokens")
            .and_then(Value::as_u64),
    );
    let (prompt, completion, estimated) = match reported {
        (Some(p), Some(c)) => (p, c, false),
        _ => (plan.prompt_tokens, estimate_tokens(&content), true),
    };
    let (usage, spend) = usage_output(plan, prompt, completion, estimated);
    let mut out = StepOutput::new(json!({
        "text": content,
        "model": model,
        "provider": "openai",
        "usage": usage,
        "finish_reason": finish,
    }));
    out.usage = Some(spend);
    out.links.push(url);
    Ok(out)
}

fn excerpt(text: &str) -> String {
    let t: String = text.chars().take(300).collect();
    if t.len() < text.len() {
        format!("{t}…")
    } else if t.is_empty() {
        "(empty)".into()
    } else {
        t
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::PriceTable;

    fn price(m: &str) -> ModelPrice {
        PriceTable::default().price(m)
    }

    #[test]
    fn the_simulated_provider_is_deterministic_and_respects_max_tokens() {
        let p = json!({"prompt": "Summarise the quarterly report", "max_tokens": 10});
        let plan = plan(&p, "Goal: test", &price).unwrap();
        let a = simulated(&plan, 10);
        let b = simulated(&plan, 10);
        assert_eq!(a.value, b.value);
        let usage = &a.value["usage"];
        assert!(usage["completion_tokens"].as_u64().unwrap() <= 10);
        assert_eq!(usage["prompt_tokens"].as_u64().unwrap(), plan.prompt_tokens);
        assert_eq!(a.value["finish_reason"], "length");
        let spend = a.usage.unwrap();
        assert_eq!(spend.llm_calls, 1);
        assert!(spend.cost_micros > 0, "simulated calls cost money");
        let other = plan_for("Another prompt");
        assert_ne!(simulated(&other, 10).value["text"], a.value["text"]);
    }

    fn plan_for(prompt: &str) -> LlmPlan {
        plan(&json!({"prompt": prompt}), "", &price).unwrap()
    }

    #[test]
    fn the_context_goes_first_in_the_system_message() {
        let p = json!({"prompt": "x", "system_message": "Be brief."});
        let plan = plan(&p, "Mission goal: win", &price).unwrap();
        assert_eq!(plan.system, "Mission goal: win\n\nBe brief.");
        assert!(super::plan(&json!({"prompt": "x", "provider": "nope"}), "", &price).is_err());
    }
}
