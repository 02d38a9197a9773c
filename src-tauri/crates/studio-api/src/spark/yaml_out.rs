//! Writes a JSON value as block-style YAML. Every string is written in double quotes with
//! JSON escapes (valid YAML), so no value can be read back as another type. Keys come in the
//! order a person reads a mission (id and name first, steps last), others alphabetically.

use serde_json::Value;
use std::fmt::Write;

/// The YAML text of `value` (a mapping at the top).
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0, true);
    out
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()),
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Array(a) if a.is_empty() => "[]".into(),
        other => other.to_string(),
    }
}

fn is_block(value: &Value) -> bool {
    match value {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

fn key_text(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !key.starts_with(['-', '.']);
    if plain {
        key.to_string()
    } else {
        serde_json::to_string(key).unwrap_or_default()
    }
}

/// Keys written first, in this order.
const ORDER: &[&str] = &[
    "version",
    "id",
    "name",
    "description",
    "step_type",
    "depends_on",
    "sector",
    "goal",
    "config",
    "perimeter",
    "state_schema",
    "deployment",
    "simulation",
    "plan",
    "strategies",
    "steps",
    "parameters",
    "outputs",
];

fn rank(key: &str) -> usize {
    ORDER.iter().position(|k| *k == key).unwrap_or(ORDER.len())
}

fn write_value(out: &mut String, value: &Value, indent: usize, top: bool) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by_key(|(k, _)| (rank(k), k.as_str()));
            for (i, (key, item)) in entries.into_iter().enumerate() {
                let lead = if i == 0 && !top {
                    String::new()
                } else {
                    pad.clone()
                };
                if is_block(item) {
                    let _ = writeln!(out, "{lead}{}:", key_text(key));
                    let child = if item.is_array() { indent } else { indent + 2 };
                    write_value(out, item, child, true);
                } else {
                    let _ = writeln!(out, "{lead}{}: {}", key_text(key), scalar(item));
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                if is_block(item) && item.is_object() {
                    let _ = write!(out, "{pad}  - ");
                    write_value(out, item, indent + 4, false);
                } else if is_block(item) {
                    let _ = writeln!(out, "{pad}  -");
                    write_value(out, item, indent + 4, true);
                } else {
                    let _ = writeln!(out, "{pad}  - {}", scalar(item));
                }
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", scalar(other));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_values_round_trip_through_the_loader() {
        let value = json!({
            "name": "A: b",
            "steps": [{"id": "a", "step_type": "noop", "parameters": {"list": [[1, 2], {"k": "v: w"}], "n": 1.5, "flag": true, "e": {}}},
                      {"id": "b", "step_type": "noop", "depends_on": ["a"], "parameters": {}}]
        });
        let text = to_yaml(&value);
        let loaded = studio_core::load_str(&text, "m.yaml").unwrap();
        let back = serde_json::to_value(&loaded.mission).unwrap();
        assert_eq!(back["steps"], value["steps"], "{text}");
        assert_eq!(back["name"], "A: b");
    }
}
