//! Templates: missions with the registry fields a library needs.
//!
//! A template is a mission file (DESIGN §3) that also declares `goal`, `sector` and
//! `required_depts` (non-blank, at least one department). [`template_schema`] is the mission
//! schema with those fields required, committed as `missions/schema/template.schema.json`
//! (a test fails when it drifts; regenerate with `UPDATE_GENERATED=1 cargo test -p
//! studio-registry`). [`template_diagnostics`] is the same rule as located diagnostics, used
//! by the index.

use serde_json::{json, Value};
use studio_core::canonical::sort_keys;
use studio_core::spans::Part;
use studio_core::{Code, Diagnostic, LoadedMission, Location};

/// Where the schema is committed, relative to the repository root.
pub const TEMPLATE_SCHEMA_PATH: &str = "missions/schema/template.schema.json";

/// The fields a template must declare on top of a mission's.
pub const REQUIRED_FIELDS: &[&str] = &["goal", "sector", "required_depts"];

/// The template schema as a JSON value: the mission schema (generated from the Rust types of
/// studio-core) with `goal`, `sector` and `required_depts` required and non-empty.
pub fn template_schema() -> Value {
    let mut schema = studio_core::schema::mission_schema();
    let obj = schema
        .as_object_mut()
        .expect("the mission schema is an object");
    obj.insert(
        "$comment".into(),
        "generated from the Rust types of studio-core (mission.rs) and studio-registry (schema.rs) — do not edit; regenerate with `UPDATE_GENERATED=1 cargo test -p studio-registry`".into(),
    );
    obj.insert("title".into(), "Mission Studio template".into());
    obj.insert(
        "description".into(),
        "A mission template of the library: a mission that also declares its goal, sector and required departments.".into(),
    );
    let required = obj
        .entry("required")
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .expect("`required` is an array");
    for field in REQUIRED_FIELDS {
        if !required.iter().any(|v| v == field) {
            required.push(json!(field));
        }
    }
    let props = obj
        .get_mut("properties")
        .and_then(Value::as_object_mut)
        .expect("the mission schema has properties");
    for text in ["goal", "sector"] {
        let description = props[text]["description"].clone();
        props.insert(
            text.into(),
            json!({"type": "string", "minLength": 1, "pattern": "\\S", "description": description}),
        );
    }
    let depts = props
        .get_mut("required_depts")
        .and_then(Value::as_object_mut)
        .expect("required_depts is described");
    depts.insert("minItems".into(), json!(1));
    depts.insert(
        "items".into(),
        json!({"type": "string", "minLength": 1, "pattern": "\\S"}),
    );
    schema
}

/// The schema as committed: pretty JSON with sorted keys and a final newline.
pub fn template_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&sort_keys(&template_schema())).unwrap_or_default();
    text.push('\n');
    text
}

/// The template rule as diagnostics located in the file: a missing or blank `goal` or
/// `sector`, a missing or empty `required_depts` (or a blank department).
pub fn template_diagnostics(loaded: &LoadedMission) -> Vec<Diagnostic> {
    let m = &loaded.mission;
    let mut out = Vec::new();
    let mut push = |field: &str, message: String, help: &str| {
        let mut d = Diagnostic::error(Code::InvalidField, field, message).with_help(help);
        d.file = loaded.source.name.clone();
        // A missing field has no position of its own: point at the nearest parent, else at
        // the start of the file.
        d.location = Some(
            loaded
                .locate(field, Part::Key)
                .unwrap_or(Location::at_offset(&loaded.source.text, 0, 0)),
        );
        out.push(d);
    };
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    if blank(&m.goal) {
        push(
            "goal",
            "a template needs a `goal`: what the mission achieves".into(),
            "add `goal: \"...\"`, one sentence an operator can search for",
        );
    }
    if blank(&m.sector) {
        push(
            "sector",
            "a template needs a `sector` (Finance, HR, Security, ...)".into(),
            "add `sector: <Sector>`; the library is filtered by it",
        );
    }
    if m.required_depts.is_empty() {
        push(
            "required_depts",
            "a template needs `required_depts`: at least one department".into(),
            "add `required_depts: [research]` (the departments the mission needs)",
        );
    } else if let Some(i) = m.required_depts.iter().position(|d| d.trim().is_empty()) {
        push(
            &format!("required_depts[{i}]"),
            "a department in `required_depts` is blank".into(),
            "name the department, or remove the entry",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_requires_the_registry_fields_on_top_of_the_mission_ones() {
        let schema = template_schema();
        for field in ["name", "steps", "goal", "sector", "required_depts"] {
            assert!(
                schema["required"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|v| v == field),
                "{field} is required: {}",
                schema["required"]
            );
        }
        assert_eq!(schema["properties"]["required_depts"]["minItems"], 1);
        assert_eq!(schema["additionalProperties"], false);
        assert!(template_schema_text().contains("do not edit"));
    }

    #[test]
    fn missing_registry_fields_are_located_diagnostics() {
        let text =
            "name: Half a template\nsector: \"  \"\nsteps:\n  - id: a\n    step_type: noop\n";
        let loaded = studio_core::load_str(text, "half.yaml").unwrap();
        let ds = template_diagnostics(&loaded);
        let fields: Vec<&str> = ds.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["goal", "sector", "required_depts"]);
        let sector = &ds[1];
        assert_eq!(sector.file, "half.yaml");
        assert_eq!(
            sector.location.unwrap().line,
            2,
            "the blank sector is on line 2"
        );
        assert!(ds.iter().all(|d| d.location.is_some() && d.is_error()));
    }

    #[test]
    fn a_complete_template_has_no_template_diagnostic() {
        let text = "name: T\ngoal: Do it\nsector: HR\nrequired_depts: [hr]\nsteps:\n  - id: a\n    step_type: noop\n";
        let loaded = studio_core::load_str(text, "t.yaml").unwrap();
        assert!(template_diagnostics(&loaded).is_empty());
    }
}
