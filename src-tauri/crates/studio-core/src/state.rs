//! Typed mission state (Spark `state_schema`): the field types and how values match them.

use crate::variables::single_reference;
use serde_json::Value;

/// The types a state field can have.
pub const STATE_TYPES: &[&str] = &["string", "int", "float", "bool", "list", "object"];

/// Whether `value` fits a state field of type `field_type` (one of [`STATE_TYPES`]). `float`
/// accepts whole numbers too. A string that is exactly one `{{reference}}` fits any type here:
/// the engine checks the resolved value.
pub fn value_fits(field_type: &str, value: &Value) -> bool {
    if let Value::String(s) = value {
        if single_reference(s).is_some() {
            return true;
        }
    }
    match field_type {
        "string" => value.is_string(),
        "int" => value.is_i64() || value.is_u64(),
        "float" => value.is_number(),
        "bool" => value.is_boolean(),
        "list" => value.is_array(),
        "object" => value.is_object(),
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
        assert!(
            !value_fits("integer", &json!(1)),
            "unknown types fit nothing"
        );
    }
}
