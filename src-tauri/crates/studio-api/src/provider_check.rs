//! "Test connection" for a configured provider: one real request to its endpoint, in its wire
//! format and with its key (see `studio_engine::providers::probe`), under a time limit. The
//! answer says whether it worked, how long it took, which URL answered and the model found, or
//! the exact error (HTTP status, the provider's own message, "cannot connect"). The key is
//! never part of it.

use crate::{ApiError, ErrorCode, StudioApi};
use serde::Serialize;
use std::time::{Duration, Instant};
use studio_engine::providers::{check_endpoint, Endpoint, ProbeError, ProbeMethod, ProviderError};
use ts_rs::TS;

/// The time limit of each request of a check.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// How many listed models the answer carries at most.
const MODELS_SHOWN: usize = 50;

/// The outcome of a connection check. A failing endpoint is an answer (`ok: false`), not an
/// error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "ProviderCheck.ts")]
pub struct ProviderCheck {
    pub provider: String,
    pub ok: bool,
    /// Time from the first request sent to the last answer (or the failure).
    pub latency_ms: u64,
    /// The URL of the request that decided.
    pub url: String,
    /// `listModels` (the list names the model) or `chat` (a 1-token chat answered); none on
    /// failure.
    #[ts(type = "\"listModels\" | \"chat\" | null")]
    pub method: Option<String>,
    /// The model as the endpoint names it.
    pub model: Option<String>,
    /// Models the endpoint lists (the first 50), and how many in all.
    pub models: Vec<String>,
    pub models_total: u32,
    /// What was learnt on the way (e.g. the list does not name the model).
    pub note: Option<String>,
    /// The HTTP status of a failing answer.
    pub status: Option<u16>,
    /// Why it failed, as the provider said it.
    pub error: Option<String>,
    pub timeout_ms: u64,
}

impl StudioApi {
    /// Checks a configured provider's endpoint with one real request (`NotFound` for an unknown
    /// provider).
    pub async fn check_llm_provider(&self, id: &str) -> Result<ProviderCheck, ApiError> {
        self.check_llm_provider_within(id, CHECK_TIMEOUT).await
    }

    /// [`StudioApi::check_llm_provider`] with another time limit per request.
    pub async fn check_llm_provider_within(
        &self,
        id: &str,
        timeout: Duration,
    ) -> Result<ProviderCheck, ApiError> {
        let table = self.provider_table()?;
        let entry = table.entries.get(id).ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("no provider `{id}`; add it in Settings → Providers first"),
            )
        })?;
        let endpoint = Endpoint {
            format: entry.format,
            base_url: entry.base_url.clone(),
            api_key: entry.api_key.clone(),
        };
        let started = Instant::now();
        let result = check_endpoint(&endpoint, &entry.model, timeout).await;
        let timeout_ms = timeout.as_millis() as u64;
        Ok(match result {
            Ok(report) => ProviderCheck {
                provider: id.to_string(),
                ok: true,
                latency_ms: report.latency_ms,
                url: report.url,
                method: Some(
                    match report.method {
                        ProbeMethod::ListModels => "listModels",
                        ProbeMethod::Chat => "chat",
                    }
                    .to_string(),
                ),
                model: Some(report.model),
                models_total: report.models.len() as u32,
                models: report.models.into_iter().take(MODELS_SHOWN).collect(),
                note: report.note,
                status: None,
                error: None,
                timeout_ms,
            },
            Err(e) => {
                let (url, models) = match &e {
                    ProbeError::Provider(p) => (failing_url(p), Vec::new()),
                    ProbeError::ModelMissing { chat, models, .. } => {
                        (failing_url(chat), models.clone())
                    }
                };
                ProviderCheck {
                    provider: id.to_string(),
                    ok: false,
                    latency_ms: started.elapsed().as_millis() as u64,
                    url: url.unwrap_or_else(|| endpoint.models_url()),
                    method: None,
                    model: None,
                    models_total: models.len() as u32,
                    models: models.into_iter().take(MODELS_SHOWN).collect(),
                    note: None,
                    status: e.status(),
                    error: Some(e.to_string()),
                    timeout_ms,
                }
            }
        })
    }
}

fn failing_url(e: &ProviderError) -> Option<String> {
    match e {
        ProviderError::Status { url, .. }
        | ProviderError::Malformed { url, .. }
        | ProviderError::Transport { url, .. } => Some(url.clone()),
        ProviderError::Cancelled => None,
    }
}
