//! Keeps secrets out of events, results and evidence: every value that entered a step through
//! `{{env.NAME}}` is replaced by `[redacted:env.NAME]` wherever it shows up later.

use serde_json::Value;

/// Values shorter than this are not treated as secrets: redacting `1` or `on` everywhere would
/// destroy the record without protecting anything.
const MIN_SECRET_LEN: usize = 4;

#[derive(Debug, Default, Clone)]
pub(crate) struct Redactor {
    secrets: Vec<(String, String)>,
}

impl Redactor {
    pub fn add(&mut self, name: &str, value: &str) {
        if value.len() >= MIN_SECRET_LEN && !self.secrets.iter().any(|(_, v)| v == value) {
            self.secrets
                .push((format!("[redacted:env.{name}]"), value.to_string()));
            // Longest first, so a secret that contains another is replaced whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.1.len()));
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
