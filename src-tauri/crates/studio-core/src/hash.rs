//! `logic_hash`: a fingerprint of what a mission does, not of how its file is written.

use crate::canonical::canonical_json;
use crate::mission::{Mission, Step};
use crate::normalize::{EffectiveConfig, MissionLogic, NormalizedStep};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

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

/// `sha256:` + hex of some bytes (a mission file as a run read it).
pub fn sha256_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// `sha256:` of what one step does, read in its mission with the run's inputs: its normalised
/// definition (type, parameters, dependencies, timeout, retries, `continue_on_error`, approval,
/// state writes), the canned answer of the `simulation` block that answers it, the run inputs
/// and `config` values its parameters read, and for an `llm` step the mission's words its system
/// message starts with (name, goal, objective, done definition, constraints). Labels and
/// descriptions are not part of it, nor the perimeter (raising a cap changes no step).
///
/// A resume with a changed mission file reuses a step's earlier output only when this hash is
/// the same in both files and every step it depends on is reused too.
pub fn step_hash(mission: &Mission, step: &Step, inputs: &BTreeMap<String, Value>) -> String {
    let config = EffectiveConfig::of(mission.config.as_ref());
    let mut read = ReadNames::default();
    read.scan(&step.parameters);
    let read_inputs: BTreeMap<&String, &Value> = inputs
        .iter()
        .filter(|(name, _)| read.inputs.contains(name.as_str()))
        .collect();
    let words = (step.step_type == "llm").then(|| {
        json!({
            "name": mission.name,
            "goal": mission.goal,
            "objective": mission.objective,
            "done_definition": mission.done_definition,
            "constraints": mission.constraints,
        })
    });
    let doc = json!({
        "step": serde_json::to_value(NormalizedStep::of(step, &config)).unwrap_or_default(),
        "canned": mission.simulated_tool(step).map(|t| &t.static_response),
        "inputs": read_inputs,
        "config": read.config.then(|| serde_json::to_value(config).unwrap_or_default()),
        "mission": words,
    });
    sha256_of(canonical_json(&doc).as_bytes())
}

/// The run inputs (`{{context.NAME}}`, `{{NAME}}`) and whether `{{config.…}}` values are read
/// by a value's references.
#[derive(Default)]
struct ReadNames {
    inputs: std::collections::BTreeSet<String>,
    config: bool,
}

impl ReadNames {
    fn scan(&mut self, v: &Value) {
        match v {
            Value::String(s) => {
                let mut rest = s.as_str();
                while let Some(open) = rest.find("{{") {
                    let Some(close) = rest[open + 2..].find("}}") else {
                        break;
                    };
                    let reference = rest[open + 2..open + 2 + close].trim();
                    let mut parts = reference.split('.');
                    match (parts.next(), parts.next()) {
                        (Some("context"), Some(name)) => {
                            let name = name.split('[').next().unwrap_or(name);
                            self.inputs.insert(name.to_string());
                        }
                        (Some("config"), _) => self.config = true,
                        (Some(root), _) => {
                            let root = root.split('[').next().unwrap_or(root);
                            self.inputs.insert(root.to_string());
                        }
                        _ => {}
                    }
                    rest = &rest[open + 2 + close + 2..];
                }
            }
            Value::Array(items) => items.iter().for_each(|i| self.scan(i)),
            Value::Object(map) => map.values().for_each(|i| self.scan(i)),
            _ => {}
        }
    }
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

    #[test]
    fn a_step_hash_changes_with_what_the_step_does_and_reads_only() {
        let base = load_str(YAML, "a.yaml").unwrap().mission;
        let inputs = BTreeMap::new();
        let hash = |m: &Mission, id: &str, inputs: &BTreeMap<String, Value>| {
            let step = m.steps.iter().find(|s| s.id == id).unwrap();
            step_hash(m, step, inputs)
        };
        let fetch = hash(&base, "fetch", &inputs);
        assert!(fetch.starts_with("sha256:") && fetch != hash(&base, "save", &inputs));
        // A label, another step's parameters: unchanged.
        let mut other = base.clone();
        other.steps[1].name = Some("Renamed".into());
        other.steps[1].parameters["path"] = json!("elsewhere.json");
        assert_eq!(hash(&other, "fetch", &inputs), fetch);
        assert_ne!(hash(&other, "save", &inputs), hash(&base, "save", &inputs));
        // Its own parameters, its retries: changed.
        let mut edited = base.clone();
        edited.steps[0].parameters["url"] = json!("https://example.invalid/b");
        assert_ne!(hash(&edited, "fetch", &inputs), fetch);
        let mut retried = base.clone();
        retried.steps[0].retry_attempts = Some(3);
        assert_ne!(hash(&retried, "fetch", &inputs), fetch);
        // A run input it reads, and only one it reads.
        let mut reads = base.clone();
        reads.steps[0].parameters["url"] = json!("https://example.invalid/{{context.page}}");
        let a = hash(&reads, "fetch", &[("page".to_string(), json!("1"))].into());
        let b = hash(&reads, "fetch", &[("page".to_string(), json!("2"))].into());
        assert_ne!(a, b);
        let unread = [
            ("page".to_string(), json!("1")),
            ("x".to_string(), json!(1)),
        ]
        .into();
        assert_eq!(hash(&reads, "fetch", &unread), a);
    }
}
