//! The JSON Schema of the mission format, generated from the Rust types.
//!
//! Committed as `missions/schema/mission.schema.json`; a test fails when it drifts
//! (regenerate with `UPDATE_GENERATED=1 cargo test -p studio-core`).

use crate::canonical::sort_keys;
use crate::mission::Mission;
use crate::step_types::STEP_TYPES;
use schemars::{json_schema, Schema, SchemaGenerator};

/// Where the schema is committed, relative to the repository root.
pub const SCHEMA_PATH: &str = "missions/schema/mission.schema.json";

/// The schema as a JSON value.
pub fn mission_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Mission).to_value();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(
            "$comment".into(),
            "generated from the Rust types of studio-core (mission.rs) — do not edit; regenerate with `UPDATE_GENERATED=1 cargo test -p studio-core`".into(),
        );
        obj.insert("title".into(), "Mission Studio mission".into());
    }
    schema
}

/// The schema, made once per process (the loader walks it for every file).
pub fn cached_mission_schema() -> &'static serde_json::Value {
    static SCHEMA: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(mission_schema)
}

/// The schema as committed: pretty JSON with sorted keys and a final newline.
pub fn mission_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&sort_keys(&mission_schema())).unwrap_or_default();
    text.push('\n');
    text
}

/// `step_type`: one of the catalogue's names.
pub(crate) fn step_type_schema(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = STEP_TYPES.iter().map(|t| t.name).collect();
    json_schema!({
        "type": "string",
        "description": "A step type of the catalogue (the 51 RustChain names); validation refuses those not available yet in this build.",
        "enum": names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_describes_the_mission_and_refuses_unknown_fields() {
        let schema = mission_schema();
        assert_eq!(schema["required"], serde_json::json!(["name", "steps"]));
        assert_eq!(schema["additionalProperties"], false);
        let text = mission_schema_text();
        assert!(text.contains("do not edit"));
        assert!(text.contains("\"ssh_execute\""), "step types are listed");
    }
}
