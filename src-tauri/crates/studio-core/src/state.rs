//! Typed mission state (Spark `state_schema`): the field types and how values match them.

use crate::variables::single_reference;
use serde_json::Value;

/// The types a state field can have.
pub const STATE_TYPES: &[&str] = &["string", "int", "float", "bool", "list", "object"];

/// Other spellings accepted for the state types: (alias, type).
pub const STATE_TYPE_ALIASES: &[(&str, &str)] = &[
    ("str", "string"),
    ("integer", "int"),
    ("number", "float"),
    ("boolean", "bool"),
    ("array", "list"),
    ("dict", "object"),
    ("map", "object"),
];

/// The type a spelling stands for (`integer` → `int`), or `None` for an unknown type.
pub fn canonical_type(field_type: &str) -> Option<&'static str> {
    STATE_TYPES
        .iter()
        .copied()
        .find(|t| *t == field_type)
        .or_else(|| {
            STATE_TYPE_ALIASES
                .iter()
                .find(|(a, _)| *a == field_type)
                .map(|(_, t)| *t)
        })
}

/// Whether `value` fits a state field of type `field_type` (one of [`STATE_TYPES`] or an alias).
/// `float` accepts whole numbers too. A string that is exactly one `{{reference}}` fits any
/// type here: the engine checks the resolved value.
pub fn value_fits(field_type: &str, value: &Value) -> bool {
    if let Value::String(s) = value {
        if single_reference(s).is_some() {
            return true;
        }
    }
    match canonical_type(field_type) {
        Some("string") => value.is_string(),
        Some("int") => value.is_i64() || value.is_u64(),
        Some("float") => value.is_number(),
        Some("bool") => value.is_boolean(),
        Some("list") => value.is_array(),
        Some("object") => value.is_object(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_fit_their_declared_types() {
        assert!(value_fits("int", &json!(3)));
        assert!(!value_fits("int", &json!(3.5)));
        assert!(value_fits("float", &json!(3)));
        assert!(!value_fits("string", &json!(null)));
        assert!(value_fits("list", &json!([])));
        assert!(
            value_fits("int", &json!("{{a.output.count}}")),
            "a reference is checked at run time"
        );
        assert!(!value_fits("int", &json!("n = {{a.output.count}}")));
        assert!(value_fits("integer", &json!(1)), "aliases are accepted");
        assert!(!value_fits("whole", &json!(1)), "unknown types fit nothing");
    }
}
