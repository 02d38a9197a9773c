//! The operator's settings: one readable JSON file, `settings.json`, in the data folder.
//! Unknown keys are kept out of the way (ignored), missing keys take their defaults.

use crate::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};
use std::path::Path;
use ts_rs::TS;

/// The colour theme of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export_to = "Theme.ts")]
pub enum Theme {
    /// Follow the operating system.
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export_to = "Settings.ts")]
pub struct Settings {
    pub theme: Theme,
    /// The provider an `llm` step without `provider:` (or with `provider: default`) uses: a
    /// configured provider's name or a built-in one; `None`: the simulated provider.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_provider: Option<String>,
    /// Answer every model call with the simulated provider (the runs say so).
    pub simulate_llm: bool,
    /// The NATS server of a squad (`nats://` or `tls://`); `None`: runs use the local engine.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nats_url: Option<String>,
}

impl Settings {
    /// Reads the settings file; a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<Self, ApiError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(ApiError::io("read the settings file", path, e)),
        };
        serde_json::from_str(&text).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidInput,
                format!(
                    "{}:{}:{}: the settings file is not valid: {e}. Fix it or delete it to start from the defaults.",
                    path.display(),
                    e.line(),
                    e.column()
                ),
            )
        })
    }

    /// Writes the settings file atomically (a temporary file renamed over the old one).
    pub fn save(&self, path: &Path) -> Result<(), ApiError> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text + "\n")
            .map_err(|e| ApiError::io("write the settings file", &tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| ApiError::io("replace the settings file", path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_gives_defaults_and_a_saved_one_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        assert_eq!(Settings::load(&path).unwrap(), Settings::default());
        let s = Settings {
            theme: Theme::Dark,
            ..Settings::default()
        };
        s.save(&path).unwrap();
        assert_eq!(Settings::load(&path).unwrap(), s);
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .contains("\"theme\": \"dark\""));
    }

    #[test]
    fn a_broken_file_is_reported_with_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, "{\n  \"theme\": \"purple\"\n}").unwrap();
        let err = Settings::load(&path).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert!(err.message.contains("settings.json:2:"), "{}", err.message);
    }
}
