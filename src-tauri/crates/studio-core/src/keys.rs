//! Unknown keys as warnings, guided by the JSON Schema of the target type.
//!
//! The mission types refuse unknown fields (`deny_unknown_fields`): that keeps typos from
//! silently doing nothing. A mission file, though, is a superset format read by people who
//! write for other engines too, so an unknown key is reported and left out instead of refusing
//! the file. [`prune`] walks a parsed document beside the schema generated from the types
//! (so it can never drift from them), removes every key the schema does not allow, and reports
//! each one with the keys that are allowed there. It also reads YAML scalars the way YAML
//! means them: a number or a boolean where the schema expects a string becomes that string
//! (`version: 1.0` is the text `1.0`), and a `null` where the schema allows no null counts as
//! absent (`depends_on: null`).

use crate::spans::{child_index, child_key};
use serde_json::{Map, Value};

/// A key that the schema does not allow where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey {
    /// The path of the key itself (`steps[2].paramaters`).
    pub path: String,
    pub key: String,
    /// The keys allowed in that mapping.
    pub allowed: Vec<String>,
}

/// Removes the keys `schema` does not allow from `value` (recursively), reporting each, and
/// reads scalars as the schema expects them. `root` is the schema document holding `$defs`.
pub fn prune(
    value: &mut Value,
    schema: &Value,
    root: &Value,
    path: &str,
    out: &mut Vec<UnknownKey>,
) {
    let Some(schema) = pick(value, schema, root) else {
        return;
    };
    match value {
        Value::Object(map) => prune_object(map, schema, root, path, out),
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    prune(item, item_schema, root, &child_index(path, i), out);
                }
            }
        }
        Value::Number(_) | Value::Bool(_)
            if expects(schema, "string") && !accepts(schema, value) =>
        {
            let text = match value {
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => unreachable!(),
            };
            *value = Value::String(text);
        }
        _ => {}
    }
}

fn prune_object(
    map: &mut Map<String, Value>,
    schema: &Value,
    root: &Value,
    path: &str,
    out: &mut Vec<UnknownKey>,
) {
    let properties = schema.get("properties").and_then(Value::as_object);
    let additional = schema.get("additionalProperties");
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        let key_path = child_key(path, &key);
        match properties.and_then(|p| p.get(&key)) {
            Some(property) => {
                let is_null = map.get(&key).is_some_and(Value::is_null);
                if is_null && !allows_null(property, root) {
                    // `depends_on: null`: the field is absent.
                    map.remove(&key);
                    continue;
                }
                if let Some(child) = map.get_mut(&key) {
                    prune(child, property, root, &key_path, out);
                }
            }
            None => match additional {
                Some(Value::Bool(false)) => {
                    map.remove(&key);
                    let mut allowed: Vec<String> = properties
                        .map(|p| p.keys().cloned().collect())
                        .unwrap_or_default();
                    allowed.sort();
                    out.push(UnknownKey {
                        path: key_path,
                        key,
                        allowed,
                    });
                }
                Some(inner @ Value::Object(_)) => {
                    if let Some(child) = map.get_mut(&key) {
                        prune(child, inner, root, &key_path, out);
                    }
                }
                _ => {}
            },
        }
    }
}

/// Follows `$ref`s to the schema that describes a value.
fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    let mut current = schema;
    for _ in 0..32 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.rsplit('/').next().unwrap_or_default();
                match root.get("$defs").and_then(|d| d.get(name)) {
                    Some(target) => current = target,
                    None => return current,
                }
            }
            None => return current,
        }
    }
    current
}

/// The schema (among `anyOf`/`oneOf` branches) that fits `value` best: the first branch of the
/// value's kind, else the first branch that is not `null`.
fn pick<'a>(value: &Value, schema: &'a Value, root: &'a Value) -> Option<&'a Value> {
    let schema = resolve(schema, root);
    let branches = schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array);
    let Some(branches) = branches else {
        return Some(schema);
    };
    let resolved: Vec<&Value> = branches.iter().map(|b| resolve(b, root)).collect();
    resolved
        .iter()
        .find(|b| accepts(b, value))
        .or_else(|| resolved.iter().find(|b| !expects_only_null(b)))
        .copied()
}

/// The JSON types a schema names (`type: "x"` or `type: [..]`); empty when it names none.
fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn expects(schema: &Value, ty: &str) -> bool {
    types(schema).contains(&ty)
}

fn expects_only_null(schema: &Value) -> bool {
    types(schema) == ["null"]
}

/// Whether the value's kind is one the schema names (a schema that names none takes any).
fn accepts(schema: &Value, value: &Value) -> bool {
    let names = types(schema);
    if names.is_empty() {
        // An enum of strings, a `$ref`-free object schema, or anything.
        return match schema.get("enum") {
            Some(Value::Array(options)) => options.iter().any(|o| same_kind(o, value)),
            _ => true,
        };
    }
    names.iter().any(|t| match *t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "null" => value.is_null(),
        _ => false,
    })
}

fn same_kind(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// Whether a property may be `null` (an optional field, or one that takes any value).
fn allows_null(property: &Value, root: &Value) -> bool {
    let schema = resolve(property, root);
    if let Some(branches) = schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array)
    {
        return branches.iter().any(|b| allows_null(b, root));
    }
    let names = types(schema);
    (names.is_empty() && schema.get("enum").is_none()) || names.contains(&"null")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "name": {"type": "string"},
                "version": {"type": ["string", "null"]},
                "config": {"anyOf": [{"$ref": "#/$defs/Config"}, {"type": "null"}]},
                "steps": {"type": "array", "items": {"$ref": "#/$defs/Step"}},
                "state": {"type": "object", "additionalProperties": {"$ref": "#/$defs/Field"}}
            },
            "$defs": {
                "Config": {"type": "object", "additionalProperties": false,
                           "properties": {"fail_fast": {"type": ["boolean", "null"]}}},
                "Step": {"type": "object", "additionalProperties": false,
                         "properties": {"id": {"type": "string"},
                                        "depends_on": {"type": "array", "items": {"type": "string"}},
                                        "parameters": {"default": {}}}},
                "Field": {"type": "object", "additionalProperties": false,
                          "properties": {"type": {"type": "string"}}}
            }
        })
    }

    fn run(mut value: Value) -> (Value, Vec<UnknownKey>) {
        let s = schema();
        let mut out = Vec::new();
        prune(&mut value, &s, &s, "", &mut out);
        (value, out)
    }

    #[test]
    fn unknown_keys_are_removed_and_reported_with_what_is_allowed() {
        let (v, out) = run(json!({
            "name": "x", "nmae": "y",
            "config": {"fail_fast": true, "max_parallel": 2},
            "steps": [{"id": "a", "paramaters": {}, "parameters": {"any": {"thing": 1}}}],
            "state": {"count": {"type": "int", "typo": 1}}
        }));
        let mut paths: Vec<&str> = out.iter().map(|u| u.path.as_str()).collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "config.max_parallel",
                "nmae",
                "state.count.typo",
                "steps[0].paramaters"
            ]
        );
        let top = out.iter().find(|u| u.key == "nmae").unwrap();
        assert_eq!(top.allowed, ["config", "name", "state", "steps", "version"]);
        assert!(v.get("nmae").is_none());
        assert_eq!(
            v["steps"][0]["parameters"]["any"]["thing"], 1,
            "free-form values are kept"
        );
    }

    #[test]
    fn scalars_become_the_strings_yaml_means_and_null_counts_as_absent() {
        let (v, out) = run(json!({
            "name": 42, "version": 1.5,
            "steps": [{"id": 7, "depends_on": null, "parameters": null}]
        }));
        assert!(out.is_empty());
        assert_eq!(v["name"], "42");
        assert_eq!(v["version"], "1.5");
        assert_eq!(v["steps"][0]["id"], "7");
        assert!(
            v["steps"][0].get("depends_on").is_none(),
            "null list = absent"
        );
        assert!(
            v["steps"][0]["parameters"].is_null(),
            "a field that takes anything keeps null"
        );
    }
}
