//! Typed mission state (Spark `state_schema`): defaults at start, type-checked writes from a
//! step's `state:` map, `{{state.x}}` reads.

use crate::vars::kind_of;
use serde_json::Value;
use std::collections::BTreeMap;
use studio_core::{StateField, StateSchema};

#[derive(Debug, Clone, Default)]
pub(crate) struct MissionState {
    schema: Option<StateSchema>,
    values: BTreeMap<String, Value>,
}

impl MissionState {
    /// State with every declared default set.
    pub fn new(schema: Option<&StateSchema>) -> Self {
        let values = schema
            .map(|s| {
                s.fields
                    .iter()
                    .filter_map(|(name, field)| field.default.clone().map(|d| (name.clone(), d)))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            schema: schema.cloned(),
            values,
        }
    }

    pub fn values(&self) -> &BTreeMap<String, Value> {
        &self.values
    }

    pub fn into_values(self) -> BTreeMap<String, Value> {
        self.values
    }

    /// Checks every update against the schema, then applies them all (or none).
    pub fn write(&mut self, updates: Vec<(String, Value)>) -> Result<(), String> {
        if let Some(schema) = &self.schema {
            for (name, value) in &updates {
                let Some(field) = schema.fields.get(name) else {
                    let declared: Vec<&str> = schema.fields.keys().map(String::as_str).collect();
                    return Err(format!(
                        "state field `{name}` is not declared in state_schema (declared: {})",
                        if declared.is_empty() {
                            "none".into()
                        } else {
                            declared.join(", ")
                        }
                    ));
                };
                check_type(name, field, value)?;
            }
        }
        self.values.extend(updates);
        Ok(())
    }

    /// Required fields that hold no value at the end of a run.
    pub fn missing_required(&self) -> Vec<String> {
        self.schema
            .iter()
            .flat_map(|s| s.fields.iter())
            .filter(|(name, field)| {
                field.required && self.values.get(*name).is_none_or(Value::is_null)
            })
            .map(|(name, _)| name.clone())
            .collect()
    }
}

fn check_type(name: &str, field: &StateField, value: &Value) -> Result<(), String> {
    if value.is_null() {
        return if field.required {
            Err(format!(
                "state field `{name}` is required and cannot be set to null"
            ))
        } else {
            Ok(())
        };
    }
    let ok = match field.field_type.as_str() {
        "string" | "str" => value.is_string(),
        "int" | "integer" => value.is_i64() || value.is_u64(),
        "float" | "number" => value.is_number(),
        "bool" | "boolean" => value.is_boolean(),
        "list" | "array" => value.is_array(),
        "object" | "dict" | "map" => value.is_object(),
        "datetime" => value
            .as_str()
            .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()),
        "any" => true,
        other => {
            return Err(format!("state field `{name}` has unknown type `{other}`"));
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "state field `{name}` is declared `{}` but the step wrote {} ({})",
            field.field_type,
            kind_of(value),
            shorten(&value.to_string())
        ))
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> StateSchema {
        serde_json::from_value(json!({"fields": {
            "processed_count": {"type": "int", "required": true, "default": 0},
            "label": {"type": "string"},
            "when": {"type": "datetime", "required": true}
        }}))
        .unwrap()
    }

    #[test]
    fn defaults_are_set_and_required_fields_are_tracked() {
        let s = MissionState::new(Some(&schema()));
        assert_eq!(s.values().get("processed_count"), Some(&json!(0)));
        assert_eq!(s.missing_required(), vec!["when".to_string()]);
    }

    #[test]
    fn a_wrong_type_is_refused_with_a_clear_message_and_nothing_is_written() {
        let mut s = MissionState::new(Some(&schema()));
        let err = s
            .write(vec![
                ("label".into(), json!("ok")),
                ("processed_count".into(), json!("twelve")),
            ])
            .unwrap_err();
        assert!(
            err.contains("`processed_count` is declared `int` but the step wrote a string"),
            "{err}"
        );
        assert!(
            !s.values().contains_key("label"),
            "a refused write changes nothing"
        );
        let err = s.write(vec![("nope".into(), json!(1))]).unwrap_err();
        assert!(
            err.contains("not declared") && err.contains("processed_count"),
            "{err}"
        );
        s.write(vec![
            ("processed_count".into(), json!(12)),
            ("when".into(), json!("2025-01-01T00:00:00Z")),
        ])
        .unwrap();
        assert_eq!(s.values()["processed_count"], json!(12));
        assert!(s.missing_required().is_empty());
    }

    #[test]
    fn without_a_schema_any_field_may_be_written() {
        let mut s = MissionState::new(None);
        s.write(vec![("free".into(), json!([1, 2]))]).unwrap();
        assert_eq!(s.values()["free"], json!([1, 2]));
    }
}
