//! The operator's provider table: named endpoints (`shimmy` → an OpenAI-compatible base URL),
//! the default provider, and how a mission's `provider:` resolves against them and the
//! built-in ones.

use super::{default_base_url, normalize_ollama_host, WireFormat};
use std::collections::BTreeMap;
use std::fmt;

/// Names every build knows; `default` and `simulated` are not endpoints.
pub const BUILTIN: &[&str] = &["default", "simulated", "openai", "ollama", "anthropic"];

/// One endpoint the operator configured (Settings → Providers, `providers.json`).
#[derive(Clone, PartialEq)]
pub struct ConfiguredProvider {
    pub format: WireFormat,
    pub base_url: String,
    /// The model used when a step names none.
    pub model: String,
    /// The key, read by the host from the OS keyring or the settings file.
    pub api_key: Option<String>,
}

impl fmt::Debug for ConfiguredProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfiguredProvider")
            .field("format", &self.format)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "[set]"))
            .finish()
    }
}

/// What the host knows of the operator's providers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderTable {
    /// The provider `default` (and a step without `provider:`) means; `None`: `simulated`.
    pub default: Option<String>,
    pub entries: BTreeMap<String, ConfiguredProvider>,
}

/// Where a step's model call goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    Simulated,
    Remote(RemoteRoute),
}

/// A real endpoint, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteRoute {
    /// The provider's name (`openai`, `anthropic`, `ollama`, or a configured one).
    pub name: String,
    pub format: WireFormat,
    pub base_url: String,
    /// The configured model, when the step names none.
    pub default_model: Option<String>,
    /// The configured key (a built-in provider reads its own from the environment).
    pub configured_key: Option<String>,
}

impl ProviderTable {
    /// Whether `name` is built in or configured.
    pub fn knows(&self, name: &str) -> bool {
        BUILTIN.contains(&name) || self.entries.contains_key(name)
    }

    /// The provider names besides the built-in ones, for validation.
    pub fn configured_names(&self) -> Vec<String> {
        self.entries.keys().cloned().collect()
    }

    /// Resolves a step's `provider` (`None`: the default) with its `base_url` parameter, reading
    /// `OLLAMA_HOST` and `ANTHROPIC_BASE_URL` through `env`.
    pub fn resolve(
        &self,
        asked: Option<&str>,
        base_url: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Route, String> {
        let asked = asked.unwrap_or("default");
        let name = if asked == "default" {
            self.default.as_deref().unwrap_or("simulated")
        } else {
            asked
        };
        if name == "simulated" {
            return Ok(Route::Simulated);
        }
        let given = base_url.map(str::trim).filter(|b| !b.is_empty());
        if let Some(entry) = self.entries.get(name) {
            return Ok(Route::Remote(RemoteRoute {
                name: name.to_string(),
                format: entry.format,
                base_url: given.unwrap_or(&entry.base_url).to_string(),
                default_model: Some(entry.model.clone()).filter(|m| !m.trim().is_empty()),
                configured_key: entry.api_key.clone(),
            }));
        }
        let (format, from_env) = match name {
            "openai" => (WireFormat::OpenAi, None),
            "anthropic" => (WireFormat::Anthropic, env("ANTHROPIC_BASE_URL")),
            "ollama" => (
                WireFormat::Ollama,
                env("OLLAMA_HOST").map(|h| normalize_ollama_host(&h)),
            ),
            other => return Err(unknown(other, self)),
        };
        let base_url = given
            .map(str::to_string)
            .or(from_env.filter(|b| !b.trim().is_empty()))
            .unwrap_or_else(|| default_base_url(format).to_string());
        Ok(Route::Remote(RemoteRoute {
            name: name.to_string(),
            format,
            base_url,
            default_model: None,
            configured_key: None,
        }))
    }
}

/// What to do about a provider nobody configured.
fn unknown(name: &str, table: &ProviderTable) -> String {
    let configured = if table.entries.is_empty() {
        "none is configured".to_string()
    } else {
        format!(
            "configured: {}",
            table.entries.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    };
    format!(
        "unknown LLM provider `{name}`: add it in Settings → Providers (or to providers.json in the data folder) with its wire format (openai, ollama or anthropic) and base URL, e.g. `{name}` → openai at http://127.0.0.1:11435/v1; built in: {}; {configured}",
        BUILTIN.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> ProviderTable {
        ProviderTable {
            default: None,
            entries: BTreeMap::from([(
                "shimmy".to_string(),
                ConfiguredProvider {
                    format: WireFormat::OpenAi,
                    base_url: "http://127.0.0.1:11435/v1".into(),
                    model: "phi3".into(),
                    api_key: None,
                },
            )]),
        }
    }

    #[test]
    fn names_resolve_against_the_table_then_the_built_in_ones() {
        let no_env = |_: &str| None;
        let t = table();
        assert_eq!(t.resolve(None, None, &no_env).unwrap(), Route::Simulated);
        let Route::Remote(r) = t.resolve(Some("shimmy"), None, &no_env).unwrap() else {
            panic!()
        };
        assert_eq!(
            (r.format, r.base_url.as_str()),
            (WireFormat::OpenAi, "http://127.0.0.1:11435/v1")
        );
        assert_eq!(r.default_model.as_deref(), Some("phi3"));
        let host = |n: &str| (n == "OLLAMA_HOST").then(|| "127.0.0.1:9999".to_string());
        let Route::Remote(r) = t.resolve(Some("ollama"), None, &host).unwrap() else {
            panic!()
        };
        assert_eq!(r.base_url, "http://127.0.0.1:9999");
        let e = t.resolve(Some("claude2"), None, &no_env).unwrap_err();
        assert!(
            e.contains("Settings → Providers") && e.contains("configured: shimmy"),
            "{e}"
        );
        let mut t = table();
        t.default = Some("shimmy".into());
        assert!(
            matches!(t.resolve(Some("default"), None, &no_env), Ok(Route::Remote(r)) if r.name == "shimmy")
        );
    }
}
