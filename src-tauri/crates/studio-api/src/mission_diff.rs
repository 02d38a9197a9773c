//! "Compare with…": which steps two mission texts add, remove or change, and for a changed step
//! which of its fields differ (each value as compact JSON).

use crate::{ApiError, ErrorCode};
use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

/// The steps of `b` against those of `a`, matched by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "MissionDiff.ts")]
pub struct MissionDiff {
    /// Steps only in `b`.
    pub added: Vec<String>,
    /// Steps only in `a`.
    pub removed: Vec<String>,
    /// Steps in both whose fields differ.
    pub changed: Vec<StepChange>,
    /// Steps in both and the same.
    pub unchanged: u32,
}

/// One step in both texts, and what differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "StepChange.ts")]
pub struct StepChange {
    pub step_id: String,
    pub fields: Vec<FieldChange>,
}

/// A field of a step: its value before (in `a`) and after (in `b`); `None` where not set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "FieldChange.ts")]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Compares two mission texts (YAML or JSON). A text that does not parse is an error naming it.
pub fn diff_missions(a_text: &str, b_text: &str) -> Result<MissionDiff, ApiError> {
    let a = steps_of(a_text, "the current text")?;
    let b = steps_of(b_text, "the other mission")?;
    let mut diff = MissionDiff {
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        unchanged: 0,
    };
    for (id, before) in &a {
        match b.iter().find(|(other, _)| other == id) {
            None => diff.removed.push(id.clone()),
            Some((_, after)) => {
                let fields = field_changes(before, after);
                if fields.is_empty() {
                    diff.unchanged += 1;
                } else {
                    diff.changed.push(StepChange {
                        step_id: id.clone(),
                        fields,
                    });
                }
            }
        }
    }
    for (id, _) in &b {
        if !a.iter().any(|(other, _)| other == id) {
            diff.added.push(id.clone());
        }
    }
    Ok(diff)
}

/// Each step's id and its fields as JSON, in file order.
fn steps_of(text: &str, what: &str) -> Result<Vec<(String, Value)>, ApiError> {
    let loaded = studio_core::load_str(text, "mission.yaml").map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidInput,
            format!("{what} does not parse: {}", e.diagnostic().message),
        )
    })?;
    loaded
        .mission
        .steps
        .iter()
        .map(|s| {
            serde_json::to_value(s)
                .map(|v| (s.id.clone(), v))
                .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))
        })
        .collect()
}

fn field_changes(a: &Value, b: &Value) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let a = a.as_object().unwrap_or(&empty);
    let b = b.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| FieldChange {
            field: k.clone(),
            before: a.get(k).map(Value::to_string),
            after: b.get(k).map(Value::to_string),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "name: m\nsteps:\n  - id: a\n    step_type: noop\n  - id: b\n    step_type: noop\n    depends_on: [a]\n  - id: c\n    step_type: noop\n";
    const B: &str = "name: m\nsteps:\n  - id: a\n    step_type: noop\n  - id: b\n    step_type: create_file\n    depends_on: [a, d]\n    parameters: {path: x.md, content: hi}\n  - id: d\n    step_type: noop\n";

    #[test]
    fn steps_added_removed_and_changed_with_their_fields() {
        let d = diff_missions(A, B).unwrap();
        assert_eq!(d.added, vec!["d"]);
        assert_eq!(d.removed, vec!["c"]);
        assert_eq!(d.unchanged, 1);
        assert_eq!(d.changed.len(), 1);
        let b = &d.changed[0];
        assert_eq!(b.step_id, "b");
        let fields: Vec<&str> = b.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["depends_on", "parameters", "step_type"]);
        assert_eq!(b.fields[0].before.as_deref(), Some("[\"a\"]"));
        assert_eq!(b.fields[0].after.as_deref(), Some("[\"a\",\"d\"]"));
        assert_eq!(b.fields[2].after.as_deref(), Some("\"create_file\""));
    }

    #[test]
    fn the_same_text_has_no_change_and_a_broken_one_is_named() {
        let d = diff_missions(A, A).unwrap();
        assert!(d.added.is_empty() && d.removed.is_empty() && d.changed.is_empty());
        assert_eq!(d.unchanged, 3);
        let err = diff_missions(A, "steps: [").unwrap_err();
        assert!(err.message.contains("the other mission"), "{}", err.message);
    }
}
