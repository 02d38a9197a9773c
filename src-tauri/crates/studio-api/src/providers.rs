//! The operator's LLM providers: a name (what missions write as `provider:`), a wire format
//! (`openai` for any OpenAI-compatible endpoint: OpenAI, llama.cpp, vLLM, LM Studio, shimmy;
//! `ollama` for Ollama's native API; `anthropic` for the Messages API), a base URL, a model and
//! an API key. The list lives in `<data dir>/providers.json`; a key goes to the OS keyring
//! (service `mission-studio`, user `provider:<id>`) or, when the operator chooses it, into that
//! file in plain text (the UI warns). A key never comes back over the API: only whether one is
//! set. [`StudioApi::provider_table`] hands the list, with the keys, to the engine.

use crate::{ApiError, ErrorCode, StudioApi};
use serde::{Deserialize, Serialize};
use studio_engine::os_keyring;
use studio_engine::providers::{ConfiguredProvider, ProviderTable, WireFormat};
use ts_rs::TS;

/// The wire format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export_to = "ProviderKind.ts")]
pub enum ProviderKind {
    /// Any OpenAI-compatible chat completions endpoint.
    #[default]
    Openai,
    /// Ollama's native `/api/chat`.
    Ollama,
    /// The Anthropic Messages API.
    Anthropic,
}

impl From<ProviderKind> for WireFormat {
    fn from(kind: ProviderKind) -> Self {
        match kind {
            ProviderKind::Openai => WireFormat::OpenAi,
            ProviderKind::Ollama => WireFormat::Ollama,
            ProviderKind::Anthropic => WireFormat::Anthropic,
        }
    }
}

/// The providers file in the data folder.
pub const PROVIDERS_FILE: &str = "providers.json";

/// Where a provider's key is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export_to = "KeyStorage.ts")]
pub enum KeyStorage {
    Keyring,
    Settings,
    None,
}

/// A provider as the UI shows it (never the key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "LlmProvider.ts")]
pub struct LlmProvider {
    pub id: String,
    pub kind: ProviderKind,
    pub base_url: String,
    pub model: String,
    pub key_storage: KeyStorage,
    pub has_key: bool,
    /// The keyring user name a mission's `api_key_keyring` names, when the key is there.
    pub keyring_user: Option<String>,
}

/// A provider to save. `api_key`: absent = keep the current key, empty = remove it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "LlmProviderInput.ts")]
pub struct LlmProviderInput {
    pub id: String,
    /// The wire format (default `openai`).
    #[ts(optional)]
    #[serde(default)]
    pub kind: Option<ProviderKind>,
    pub base_url: String,
    pub model: String,
    #[ts(optional)]
    pub api_key: Option<String>,
    /// `keyring` or `settings`.
    pub key_storage: KeyStorage,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ProvidersFile {
    #[serde(default)]
    providers: Vec<StoredProvider>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredProvider {
    id: String,
    #[serde(default)]
    kind: ProviderKind,
    base_url: String,
    model: String,
    key_storage: KeyStorage,
    /// Only when the operator chose to keep the key in this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_key: Option<String>,
}

/// The provider names configured in a data folder (read without opening the API, so a bare
/// `mission validate` creates nothing); none when the file is missing or unreadable.
pub fn configured_names_in(data_dir: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(data_dir.join(PROVIDERS_FILE))
        .ok()
        .and_then(|text| serde_json::from_str::<ProvidersFile>(&text).ok())
        .map(|f| f.providers.into_iter().map(|p| p.id).collect())
        .unwrap_or_default()
}

fn previous_kind(file: &ProvidersFile, id: &str) -> Option<ProviderKind> {
    file.providers.iter().find(|p| p.id == id).map(|p| p.kind)
}

fn keyring_user(id: &str) -> String {
    format!("provider:{id}")
}

impl StudioApi {
    fn providers_path(&self) -> std::path::PathBuf {
        self.paths().data_dir().join(PROVIDERS_FILE)
    }

    fn read_providers(&self) -> Result<ProvidersFile, ApiError> {
        let path = self.providers_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                ApiError::new(
                    ErrorCode::InvalidInput,
                    format!("{}:{}:{}: {e}", path.display(), e.line(), e.column()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ProvidersFile::default()),
            Err(e) => Err(ApiError::io("read the providers file", &path, e)),
        }
    }

    fn write_providers(&self, file: &ProvidersFile) -> Result<(), ApiError> {
        let path = self.providers_path();
        let text = serde_json::to_string_pretty(file)
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text + "\n")
            .map_err(|e| ApiError::io("write the providers file", &tmp, e))?;
        std::fs::rename(&tmp, &path)
            .map_err(|e| ApiError::io("replace the providers file", &path, e))
    }

    /// The configured providers, without their keys.
    pub fn llm_providers(&self) -> Result<Vec<LlmProvider>, ApiError> {
        Ok(self
            .read_providers()?
            .providers
            .iter()
            .map(|p| {
                let has_key = match p.key_storage {
                    KeyStorage::Settings => p.api_key.as_deref().is_some_and(|k| !k.is_empty()),
                    KeyStorage::Keyring => {
                        os_keyring::get(os_keyring::DEFAULT_SERVICE, &keyring_user(&p.id))
                            .ok()
                            .flatten()
                            .is_some()
                    }
                    KeyStorage::None => false,
                };
                LlmProvider {
                    id: p.id.clone(),
                    kind: p.kind,
                    base_url: p.base_url.clone(),
                    model: p.model.clone(),
                    key_storage: if has_key {
                        p.key_storage
                    } else {
                        KeyStorage::None
                    },
                    has_key,
                    keyring_user: (p.key_storage == KeyStorage::Keyring && has_key)
                        .then(|| keyring_user(&p.id)),
                }
            })
            .collect())
    }

    /// Adds or replaces a provider (by id) and returns the list.
    pub fn save_llm_provider(
        &self,
        input: &LlmProviderInput,
    ) -> Result<Vec<LlmProvider>, ApiError> {
        let id = input.id.trim();
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                "a provider id is letters, digits, '-', '_' or '.' (e.g. `ollama`)",
            ));
        }
        let url = input.base_url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                "the base URL starts with http:// or https:// (e.g. http://127.0.0.1:11434/v1)",
            ));
        }
        if input.model.trim().is_empty() {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                "name the model (e.g. llama3.1:8b)",
            ));
        }
        let _guard = self.settings_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = self.read_providers()?;
        let previous = file.providers.iter().find(|p| p.id == id).cloned();
        let user = keyring_user(id);
        if matches!(id, "default" | "simulated") {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!("`{id}` is a built-in provider name; give this endpoint another name"),
            ));
        }
        let kind = input
            .kind
            .or_else(|| previous_kind(&self.read_providers().ok()?, id))
            .unwrap_or_default();
        let mut stored = StoredProvider {
            id: id.to_string(),
            kind,
            base_url: url.to_string(),
            model: input.model.trim().to_string(),
            key_storage: input.key_storage,
            api_key: None,
        };
        // The key: a new one, the one kept before, or none.
        let new_key = input.api_key.as_deref();
        let old_file_key = previous.as_ref().and_then(|p| p.api_key.clone());
        match (input.key_storage, new_key) {
            (KeyStorage::Keyring, Some(key)) if !key.is_empty() => {
                os_keyring::set(os_keyring::DEFAULT_SERVICE, &user, key).map_err(|e| {
                    ApiError::new(
                        ErrorCode::Io,
                        format!("the OS keyring refused the key ({e}); keep it in the settings file instead"),
                    )
                })?;
            }
            (KeyStorage::Keyring, None) => {
                // Moving a key from the file into the keyring.
                if let Some(key) = old_file_key {
                    os_keyring::set(os_keyring::DEFAULT_SERVICE, &user, &key)
                        .map_err(|e| ApiError::new(ErrorCode::Io, e))?;
                }
            }
            (KeyStorage::Settings, Some(key)) => {
                stored.api_key = (!key.is_empty()).then(|| key.to_string());
                let _ = os_keyring::delete(os_keyring::DEFAULT_SERVICE, &user);
            }
            (KeyStorage::Settings, None) => stored.api_key = old_file_key,
            (_, Some(_)) => {
                let _ = os_keyring::delete(os_keyring::DEFAULT_SERVICE, &user);
            }
            (KeyStorage::None, None) => {}
        }
        if input.key_storage == KeyStorage::Keyring && new_key == Some("") {
            let _ = os_keyring::delete(os_keyring::DEFAULT_SERVICE, &user);
        }
        match file.providers.iter_mut().find(|p| p.id == id) {
            Some(slot) => *slot = stored,
            None => file.providers.push(stored),
        }
        self.write_providers(&file)?;
        drop(_guard);
        self.llm_providers()
    }

    /// The providers with their keys and the default provider, for the engine.
    pub fn provider_table(&self) -> Result<ProviderTable, ApiError> {
        let file = self.read_providers()?;
        let mut table = ProviderTable {
            default: self.settings()?.default_provider,
            ..Default::default()
        };
        for p in file.providers {
            let api_key = match p.key_storage {
                KeyStorage::Settings => p.api_key.clone(),
                KeyStorage::Keyring => {
                    os_keyring::get(os_keyring::DEFAULT_SERVICE, &keyring_user(&p.id))
                        .ok()
                        .flatten()
                }
                KeyStorage::None => None,
            };
            table.entries.insert(
                p.id.clone(),
                ConfiguredProvider {
                    format: p.kind.into(),
                    base_url: p.base_url.clone(),
                    model: p.model.clone(),
                    api_key,
                },
            );
        }
        Ok(table)
    }

    /// The names missions may use as `provider:` besides the built-in ones.
    pub fn configured_provider_names(&self) -> Vec<String> {
        self.read_providers()
            .map(|f| f.providers.into_iter().map(|p| p.id).collect())
            .unwrap_or_default()
    }

    /// Removes a provider and its key; returns the list.
    pub fn delete_llm_provider(&self, id: &str) -> Result<Vec<LlmProvider>, ApiError> {
        let _guard = self.settings_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = self.read_providers()?;
        let before = file.providers.len();
        file.providers.retain(|p| p.id != id);
        if file.providers.len() == before {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                format!("no provider `{id}`"),
            ));
        }
        let _ = os_keyring::delete(os_keyring::DEFAULT_SERVICE, &keyring_user(id));
        self.write_providers(&file)?;
        drop(_guard);
        self.llm_providers()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AppPaths;

    #[test]
    fn a_provider_with_its_key_in_the_file_is_listed_without_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
        assert!(api.llm_providers().unwrap().is_empty());
        let list = api
            .save_llm_provider(&LlmProviderInput {
                id: "ollama".into(),
                kind: None,
                base_url: "http://127.0.0.1:11434/v1".into(),
                model: "llama3.1:8b".into(),
                api_key: Some("sk-test".into()),
                key_storage: KeyStorage::Settings,
            })
            .unwrap();
        assert_eq!(list.len(), 1);
        assert!(list[0].has_key);
        assert_eq!(list[0].key_storage, KeyStorage::Settings);
        assert!(!serde_json::to_string(&list).unwrap().contains("sk-test"));
        // Saving again without a key keeps it.
        let list = api
            .save_llm_provider(&LlmProviderInput {
                id: "ollama".into(),
                kind: None,
                base_url: "http://127.0.0.1:11434/v1".into(),
                model: "qwen2.5".into(),
                api_key: None,
                key_storage: KeyStorage::Settings,
            })
            .unwrap();
        assert!(list[0].has_key);
        assert_eq!(list[0].model, "qwen2.5");
        let table = api.provider_table().unwrap();
        let entry = &table.entries["ollama"];
        assert_eq!(
            entry.format,
            WireFormat::OpenAi,
            "the kind defaults to openai"
        );
        assert_eq!(
            entry.api_key.as_deref(),
            Some("sk-test"),
            "the engine gets the key"
        );
        assert!(api.delete_llm_provider("ollama").unwrap().is_empty());
    }

    #[test]
    fn a_named_anthropic_endpoint_and_the_default_reach_the_table() {
        let dir = tempfile::tempdir().unwrap();
        let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
        api.save_llm_provider(&LlmProviderInput {
            id: "claude".into(),
            kind: Some(ProviderKind::Anthropic),
            base_url: "http://127.0.0.1:9/".into(),
            model: "claude-3-5-haiku-latest".into(),
            api_key: None,
            key_storage: KeyStorage::None,
        })
        .unwrap();
        api.set_default_provider(Some("claude")).unwrap();
        let table = api.provider_table().unwrap();
        assert_eq!(table.default.as_deref(), Some("claude"));
        assert_eq!(table.entries["claude"].format, WireFormat::Anthropic);
        let err = api.set_default_provider(Some("nope")).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert!(err.message.contains("claude"), "{}", err.message);
    }

    #[test]
    fn bad_provider_fields_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let api = StudioApi::open(AppPaths::at(dir.path())).unwrap();
        let input = LlmProviderInput {
            id: "x y".into(),
            kind: None,
            base_url: "ftp://nope".into(),
            model: "".into(),
            api_key: None,
            key_storage: KeyStorage::None,
        };
        assert_eq!(
            api.save_llm_provider(&input).unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }
}
