//! The data family: XML, JSON Schema, CSV.
//!
//! Each type is one file; [`Kind`] lists them for the dispatcher in `steps/mod.rs`.

mod csv_process;
mod parse_xml;
mod validate_schema;

use super::{Failure, StepCtx, StepOutput};
use crate::tools::SideEffects;
use serde_json::Value;

/// The step types of this family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    ParseXml,
    ValidateSchema,
    CsvProcess,
}

/// Each type's name, as missions write it.
pub(crate) const KINDS: &[(&str, Kind)] = &[
    ("parse_xml", Kind::ParseXml),
    ("validate_schema", Kind::ValidateSchema),
    ("csv_process", Kind::CsvProcess),
];

/// What a step of this type changes, given its parameters (the gate, the sandbox and approvals
/// read it).
pub(crate) fn side_effects(kind: Kind, params: &Value) -> SideEffects {
    match kind {
        Kind::ParseXml => SideEffects::None,
        Kind::ValidateSchema => SideEffects::None,
        // Writes only when it names an output file, and only inside the workspace.
        Kind::CsvProcess => {
            let writes = ["output_file", "output"]
                .iter()
                .any(|k| params.get(*k).is_some_and(|v| !v.is_null()));
            if writes {
                SideEffects::Workspace
            } else {
                SideEffects::None
            }
        }
    }
}

pub(crate) async fn run(kind: Kind, params: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    match kind {
        Kind::ParseXml => parse_xml::run(params, ctx).await,
        Kind::ValidateSchema => validate_schema::run(params, ctx).await,
        Kind::CsvProcess => csv_process::run(params, ctx).await,
    }
}

#[cfg(test)]
mod tests {
    use crate::tools::{builtin_identity, reach, SideEffects};
    use serde_json::json;

    #[test]
    fn csv_process_changes_the_workspace_only_when_it_writes_a_file() {
        let effects = |p| builtin_identity("csv_process", &p).side_effects;
        assert_eq!(
            effects(json!({"input_file": "a.csv", "operation": "statistics"})),
            SideEffects::None
        );
        for key in ["output_file", "output"] {
            assert_eq!(
                effects(json!({"input_file": "a.csv", key: "b.csv"})),
                SideEffects::Workspace,
                "{key}"
            );
        }
        assert_eq!(
            effects(json!({"content": "a\n1", "output_file": null})),
            SideEffects::None
        );
        assert!(!reach("csv_process").calls_out());
    }
}
