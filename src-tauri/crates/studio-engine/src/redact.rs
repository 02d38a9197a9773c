//! Keeps secrets out of events, results, audit rows and evidence: every value that entered a
//! step through `{{env.NAME}}` is replaced by `[redacted:env.NAME]` wherever it shows up later.
//!
//! Values of environment variables that are secret by name (`*KEY*`, `*TOKEN*`, `*SECRET*`,
//! `*PASSWORD*`, any case) or declared secret by the host are masked from the start of the run,
//! whether or not the mission refers to them: a command that prints its environment, or an LLM
//! provider that echoes its key in an error, leaves only the mask behind.

use serde_json::Value;

/// Values shorter than this are not treated as secrets: redacting `1` or `on` everywhere would
/// destroy the record without protecting anything.
const MIN_SECRET_LEN: usize = 4;

/// The parts of a variable name that make its value a secret.
const SECRET_NAME_PARTS: &[&str] = &["KEY", "TOKEN", "SECRET", "PASSWORD"];

/// Whether an environment variable's name says it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_NAME_PARTS.iter().any(|part| upper.contains(part))
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Redactor {
    secrets: Vec<(String, String)>,
}

impl Redactor {
    /// Masks, from now on, the value of the environment variable `name`.
    pub fn add(&mut self, name: &str, value: &str) {
        self.add_labelled(&format!("env.{name}"), value);
    }

    /// Masks, from now on, `value` as `[redacted:LABEL]` (`env.NAME`, `keyring.SERVICE/USER`).
    pub fn add_labelled(&mut self, label: &str, value: &str) {
        if value.len() >= MIN_SECRET_LEN && !self.secrets.iter().any(|(_, v)| v == value) {
            self.secrets
                .push((format!("[redacted:{label}]"), value.to_string()));
            // Longest first, so a secret that contains another is replaced whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.1.len()));
        }
    }

    /// Masks, from now on, the value of every variable of `env` that is secret by name or named
    /// in `declared`.
    pub fn add_secret_env<'a>(
        &mut self,
        env: impl IntoIterator<Item = (&'a str, &'a str)>,
        declared: &[String],
    ) {
        for (name, value) in env {
            if is_secret_name(name) || declared.iter().any(|d| d == name) {
                self.add(name, value);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    pub fn text(&self, s: &str) -> String {
        let mut out = s.to_string();
        for (mask, secret) in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), mask);
            }
        }
        out
    }

    pub fn value(&self, v: &Value) -> Value {
        if self.is_empty() {
            return v.clone();
        }
        match v {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(items) => Value::Array(items.iter().map(|i| self.value(i)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (self.text(k), self.value(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_names_are_recognised_in_any_case() {
        for name in [
            "OPENAI_API_KEY",
            "github_token",
            "DbPassword",
            "CLIENT_SECRET",
            "KEYRING",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["HOME", "PATH", "BROKER_URL", "USER"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn secret_env_values_are_masked_without_being_referenced() {
        let mut r = Redactor::default();
        let env = [
            ("BROKER_TOKEN", "tok-123456"),
            ("HOME", "/home/someone"),
            ("CUSTOM", "declared-value"),
        ];
        r.add_secret_env(env.iter().map(|(k, v)| (*k, *v)), &["CUSTOM".to_string()]);
        assert_eq!(
            r.text("tok-123456 /home/someone declared-value"),
            "[redacted:env.BROKER_TOKEN] /home/someone [redacted:env.CUSTOM]"
        );
    }

    #[test]
    fn secrets_are_masked_in_text_and_nested_values() {
        let mut r = Redactor::default();
        r.add("TOKEN", "s3cr3t-value");
        r.add("SHORT", "on");
        assert_eq!(r.text("Bearer s3cr3t-value"), "Bearer [redacted:env.TOKEN]");
        assert_eq!(
            r.text("on and on"),
            "on and on",
            "short values are not secrets"
        );
        let v = r.value(&json!({"h": ["x s3cr3t-value"], "n": 1}));
        assert_eq!(v, json!({"h": ["x [redacted:env.TOKEN]"], "n": 1}));
    }
}
