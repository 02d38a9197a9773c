//! `logic_hash`: a fingerprint of what a mission does, not of how its file is written.

use crate::canonical::canonical_json;
use crate::mission::Mission;
use crate::normalize::MissionLogic;
use sha2::{Digest, Sha256};

/// `sha256:` + hex of the canonical JSON (sorted keys, no whitespace) of the normalised steps,
/// config and simulation. Reformatting the file, YAML versus JSON, key order, comments, names
/// and descriptions leave it unchanged; any change to what runs changes it.
pub fn logic_hash(mission: &Mission) -> String {
    let logic = serde_json::to_value(MissionLogic::of(mission)).unwrap_or_default();
    let digest = Sha256::digest(canonical_json(&logic).as_bytes());
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_str;

    const YAML: &str = r#"
name: Hash me
version: "1.0"
config: {fail_fast: true, retry_attempts: 1}
steps:
  - id: fetch
    step_type: http
    parameters: {url: "https://example.invalid/a", method: GET}
  - id: save
    name: Save it
    step_type: create_file
    depends_on: [fetch]
    parameters:
      path: out.json
      content: "{{fetch.output.body}}"
"#;

    fn hash_of(text: &str, origin: &str) -> String {
        logic_hash(&load_str(text, origin).unwrap().mission)
    }

    #[test]
    fn the_hash_has_the_sha256_form() {
        let h = hash_of(YAML, "a.yaml");
        assert!(h.starts_with("sha256:") && h.len() == 7 + 64, "{h}");
        assert!(h[7..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn reformatting_keeps_the_hash() {
        let reformatted = r#"
# the same mission, written differently
version: "1.0"
name: Hash me
steps:
- id: fetch
  parameters:
    method: GET
    url: https://example.invalid/a
  step_type: http
- step_type: create_file
  id: save
  name: A different label
  depends_on:
  - fetch
  parameters: {content: "{{fetch.output.body}}", path: out.json}
config:
  retry_attempts: 1
"#;
        assert_eq!(
            hash_of(YAML, "a.yaml"),
            hash_of(reformatted, "b.yaml"),
            "fail_fast true is the default"
        );
        let json = r#"{"name":"Hash me","config":{"retry_attempts":1,"fail_fast":true},"steps":[
            {"id":"fetch","step_type":"http","parameters":{"url":"https://example.invalid/a","method":"GET"}},
            {"id":"save","step_type":"create_file","depends_on":["fetch"],
             "parameters":{"path":"out.json","content":"{{fetch.output.body}}"}}]}"#;
        assert_eq!(
            hash_of(YAML, "a.yaml"),
            hash_of(json, "a.json"),
            "YAML and JSON agree"
        );
    }

    #[test]
    fn changing_what_runs_changes_the_hash() {
        let base = hash_of(YAML, "a.yaml");
        for (from, to) in [
            ("https://example.invalid/a", "https://example.invalid/b"),
            ("retry_attempts: 1", "retry_attempts: 2"),
            ("method: GET", "method: POST"),
            ("depends_on: [fetch]", "depends_on: []"),
        ] {
            let changed = YAML.replace(from, to);
            assert_ne!(
                hash_of(&changed, "a.yaml"),
                base,
                "changing `{from}` to `{to}` must change the hash"
            );
        }
    }
}
