//! A step type's parameters as a JSON Schema: what an agent's model is shown for each tool it
//! may call (DESIGN §5.2: a call's arguments are that step's parameters).

use super::{ParamRule, ParamType, StepParams, HTTP_METHODS};
use serde_json::{json, Map, Value};

/// The JSON Schema of `spec`'s parameters (draft 2020-12 subset every provider accepts:
/// `type`, `properties`, `required`, `enum`, `description`).
pub fn input_schema(spec: &StepParams) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    // A parameter that is one of an `ExactlyOne` group is not required on its own.
    let grouped = |name: &str| {
        spec.rules.iter().any(|r| match r {
            ParamRule::ExactlyOne(names) => names.contains(&name),
            _ => false,
        })
    };
    for p in spec.params {
        let mut schema = type_schema(p.ty);
        if let Value::Object(m) = &mut schema {
            m.insert("description".into(), Value::String(p.doc.to_string()));
        }
        properties.insert(p.name.to_string(), schema);
        if p.required && !grouped(p.name) {
            required.push(Value::String(p.name.to_string()));
        }
    }
    let mut schema = json!({
        "type": "object",
        "properties": properties,
        "required": required,
    });
    if !spec.any_parameters {
        schema["additionalProperties"] = Value::Bool(false);
    }
    schema
}

fn type_schema(ty: ParamType) -> Value {
    match ty {
        ParamType::String => json!({"type": "string"}),
        ParamType::Bool => json!({"type": "boolean"}),
        ParamType::Integer => json!({"type": "integer", "minimum": 0}),
        ParamType::PositiveInteger => json!({"type": "integer", "minimum": 1}),
        ParamType::Number => json!({"type": "number"}),
        ParamType::StringList => json!({"type": "array", "items": {"type": "string"}}),
        ParamType::StringMap => json!({"type": "object"}),
        ParamType::Any => json!({}),
        ParamType::Choice(options) => json!({"type": "string", "enum": options}),
        ParamType::HttpMethod => json!({"type": "string", "enum": HTTP_METHODS}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_file_is_offered_with_its_required_path() {
        let spec = super::super::params_of("read_file").unwrap();
        let schema = input_schema(spec);
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["required"], json!(["path"]));
        assert_eq!(schema["properties"]["path"]["type"], "string");
        assert_eq!(schema["additionalProperties"], false);
    }

    #[test]
    fn every_step_type_has_a_schema_a_validator_accepts() {
        for spec in super::super::step_params() {
            let schema = input_schema(spec);
            assert!(
                jsonschema_like_is_valid(&schema),
                "{}: {schema}",
                spec.step_type
            );
        }
    }

    /// The shape providers require: an object schema with properties and a required list.
    fn jsonschema_like_is_valid(schema: &Value) -> bool {
        schema["type"] == "object"
            && schema["properties"].is_object()
            && schema["required"].as_array().is_some_and(|r| {
                r.iter().all(|n| {
                    n.as_str()
                        .is_some_and(|n| schema["properties"].get(n).is_some())
                })
            })
    }
}
