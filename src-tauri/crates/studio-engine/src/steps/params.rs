//! Reading step parameters with messages that say what was expected.

use super::Failure;
use serde_json::Value;
use std::collections::BTreeMap;

pub(crate) fn str_param<'a>(p: &'a Value, name: &str) -> Result<&'a str, Failure> {
    match p.get(name) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(Failure::new(format!(
            "parameter `{name}` is required (a string)"
        ))),
        Some(other) => Err(Failure::new(format!(
            "parameter `{name}` must be a string, not {}",
            crate::vars::kind_of(other)
        ))),
    }
}

/// The first of several accepted names (e.g. `source` or `from`).
pub(crate) fn str_param_any<'a>(p: &'a Value, names: &[&str]) -> Result<&'a str, Failure> {
    for name in names {
        if p.get(*name).is_some_and(|v| !v.is_null()) {
            return str_param(p, name);
        }
    }
    Err(Failure::new(format!(
        "parameter `{}` is required (a string)",
        names[0]
    )))
}

pub(crate) fn opt_str<'a>(p: &'a Value, name: &str) -> Result<Option<&'a str>, Failure> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => str_param(p, name).map(Some),
    }
}

pub(crate) fn opt_bool(p: &Value, name: &str) -> Result<Option<bool>, Failure> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
        Some(other) => Err(Failure::new(format!(
            "parameter `{name}` must be true or false, not {}",
            crate::vars::kind_of(other)
        ))),
    }
}

pub(crate) fn opt_u64(p: &Value, name: &str) -> Result<Option<u64>, Failure> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f.ceil() as u64))
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .map(Some)
            .ok_or_else(|| Failure::new(format!("parameter `{name}` must be a whole number ≥ 0"))),
    }
}

/// A scalar as the text a program receives: strings as they are, other values as JSON.
pub(crate) fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(crate) fn opt_str_list(p: &Value, name: &str) -> Result<Vec<String>, Failure> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::Array(_) | Value::Object(_) => Err(Failure::new(format!(
                    "parameter `{name}` must be a list of strings, not hold {}",
                    crate::vars::kind_of(i)
                ))),
                other => Ok(as_text(other)),
            })
            .collect(),
        Some(other) => Err(Failure::new(format!(
            "parameter `{name}` must be a list of strings, not {}",
            crate::vars::kind_of(other)
        ))),
    }
}

pub(crate) fn opt_str_map(p: &Value, name: &str) -> Result<BTreeMap<String, String>, Failure> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => Ok(map.iter().map(|(k, v)| (k.clone(), as_text(v))).collect()),
        Some(other) => Err(Failure::new(format!(
            "parameter `{name}` must be a map of names to values, not {}",
            crate::vars::kind_of(other)
        ))),
    }
}
