//! LLM prices per model, in USD per million tokens (a settings table): a default table in code,
//! overridden by `llm_prices.json` in the data folder (`{"models": {"name": {"input_per_mtok":
//! 0.15, "output_per_mtok": 0.6}}, "default": {...}}`).
//!
//! A model missing from the table is priced at [`PriceTable::fallback`], a deliberately high
//! price, so an unknown model can never spend past a cap through a low guess. Local models
//! (Ollama, llama.cpp) are free once the table says so.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The price of one model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelPrice {
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceTable {
    pub models: BTreeMap<String, ModelPrice>,
    /// The price of a model the table does not list.
    pub fallback: ModelPrice,
}

#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    #[error("cannot read the price table {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the price table {path} is not valid: {message}")]
    Invalid { path: String, message: String },
}

/// The file that overrides the default table, in the data folder.
pub const PRICE_FILE: &str = "llm_prices.json";

impl Default for PriceTable {
    fn default() -> Self {
        let p = |i: f64, o: f64| ModelPrice {
            input_per_mtok: i,
            output_per_mtok: o,
        };
        let models = [
            // The built-in simulated provider: priced so budgets are exercised offline.
            ("sim-small", p(0.5, 1.5)),
            ("sim-large", p(5.0, 15.0)),
            ("gpt-4o-mini", p(0.15, 0.6)),
            ("gpt-4o", p(2.5, 10.0)),
            ("gpt-4.1", p(2.0, 8.0)),
            ("gpt-4.1-mini", p(0.4, 1.6)),
            ("gpt-4.1-nano", p(0.1, 0.4)),
            ("o4-mini", p(1.1, 4.4)),
            ("claude-3-5-haiku-latest", p(0.8, 4.0)),
            ("claude-3-5-sonnet-latest", p(3.0, 15.0)),
            ("claude-sonnet-4-0", p(3.0, 15.0)),
            ("claude-opus-4-0", p(15.0, 75.0)),
            // Embedding models: input only.
            ("text-embedding-3-small", p(0.02, 0.0)),
            ("text-embedding-3-large", p(0.13, 0.0)),
            ("text-embedding-ada-002", p(0.1, 0.0)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Self {
            models,
            fallback: p(15.0, 60.0),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Overrides {
    #[serde(default)]
    models: BTreeMap<String, ModelPrice>,
    #[serde(default)]
    default: Option<ModelPrice>,
}

impl PriceTable {
    pub fn price(&self, model: &str) -> ModelPrice {
        self.models.get(model).copied().unwrap_or(self.fallback)
    }

    /// The default table with the entries of `path` on top; a missing file changes nothing.
    pub fn with_overrides(mut self, path: &Path) -> Result<Self, PriceError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(self),
            Err(source) => {
                return Err(PriceError::Io {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        let invalid = |message: String| PriceError::Invalid {
            path: path.display().to_string(),
            message,
        };
        let o: Overrides = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let bad = |p: &ModelPrice| {
            !(p.input_per_mtok.is_finite()
                && p.output_per_mtok.is_finite()
                && p.input_per_mtok >= 0.0
                && p.output_per_mtok >= 0.0)
        };
        if let Some((name, _)) = o.models.iter().find(|(_, p)| bad(p)) {
            return Err(invalid(format!(
                "the prices of `{name}` must be numbers ≥ 0"
            )));
        }
        if let Some(d) = o.default {
            if bad(&d) {
                return Err(invalid("the default prices must be numbers ≥ 0".into()));
            }
            self.fallback = d;
        }
        self.models.extend(o.models);
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_and_add_models() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PRICE_FILE);
        let table = PriceTable::default().with_overrides(&path).unwrap();
        assert_eq!(table, PriceTable::default(), "no file, no change");
        std::fs::write(
            &path,
            r#"{"models": {"llama3": {"input_per_mtok": 0, "output_per_mtok": 0},
                "gpt-4o": {"input_per_mtok": 3, "output_per_mtok": 12}}}"#,
        )
        .unwrap();
        let table = PriceTable::default().with_overrides(&path).unwrap();
        assert_eq!(table.price("llama3").output_per_mtok, 0.0);
        assert_eq!(table.price("gpt-4o").input_per_mtok, 3.0);
        assert_eq!(table.price("unknown"), table.fallback);
        std::fs::write(
            &path,
            r#"{"models": {"x": {"input_per_mtok": -1, "output_per_mtok": 0}}}"#,
        )
        .unwrap();
        assert!(PriceTable::default().with_overrides(&path).is_err());
    }
}
