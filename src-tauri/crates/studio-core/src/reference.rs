//! The step type reference of `missions/README.md`, generated from [`step_params`](crate::step_params()) so the
//! documentation says exactly what validation checks and the engine reads.

use crate::step_params::{step_params, ParamRule, StepParams};
use crate::step_types::{step_type, StepTypeStatus};
use std::fmt::Write;

/// Marks the start of the generated part of `missions/README.md`.
pub const BEGIN_MARK: &str = "<!-- step types: generated from studio-core (step_params.rs), do not edit; regenerate with `UPDATE_GENERATED=1 cargo test -p studio-core` -->";
/// Marks its end.
pub const END_MARK: &str = "<!-- end of generated step types -->";

/// Which types run, then one `### <type>` section per step type with a parameter table.
pub fn step_types_markdown() -> String {
    let mut out = String::new();
    let names = |status: StepTypeStatus| -> String {
        crate::step_types::STEP_TYPES
            .iter()
            .filter(|t| t.status() == status)
            .map(|t| format!("`{}`", t.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        out,
        "These run in this version: {}.\n",
        names(StepTypeStatus::Available)
    );
    let not_yet = names(StepTypeStatus::NotAvailableYet);
    if !not_yet.is_empty() {
        let _ = writeln!(
            out,
            "Known and refused by validation with \"`<type>` is not available yet in this version\": {not_yet}.\n"
        );
    }
    for spec in step_params() {
        section(&mut out, spec);
    }
    out
}

fn section(out: &mut String, spec: &StepParams) {
    let available =
        step_type(spec.step_type).is_some_and(|i| i.status() == StepTypeStatus::Available);
    let suffix = if available {
        ""
    } else {
        " (not available yet)"
    };
    let _ = writeln!(out, "### {}{suffix}\n\n{}\n", spec.step_type, spec.summary);
    if spec.any_parameters {
        let _ = writeln!(out, "Parameters: any.\n");
    } else if !spec.params.is_empty() {
        let _ = writeln!(out, "| parameter | type | |\n|---|---|---|");
        for p in spec.params {
            let required = if p.required { ", required" } else { "" };
            let _ = writeln!(
                out,
                "| `{}` | {}{required} | {} |",
                p.name,
                p.ty.describe(),
                p.doc.replace('|', "\\|")
            );
        }
        out.push('\n');
    }
    if !spec.aliases.is_empty() {
        let aliases: Vec<String> = spec
            .aliases
            .iter()
            .map(|(alias, name)| format!("`{alias}` for `{name}`"))
            .collect();
        let _ = writeln!(out, "Also accepted: {}.\n", aliases.join(", "));
    }
    for rule in spec.rules {
        let text = match *rule {
            ParamRule::ExactlyOne(names) => format!("Give exactly one of {}.", quoted(names)),
            ParamRule::AtMostOne(names) => format!("Give at most one of {}.", quoted(names)),
            ParamRule::Requires(param, needs) => format!("`{param}` is only used with `{needs}`."),
        };
        let _ = writeln!(out, "{text}\n");
    }
    if spec.output_is_parameters {
        let _ = writeln!(out, "Output: its parameters, as resolved.\n");
    } else {
        let fields: Vec<String> = spec
            .output
            .iter()
            .map(|f| format!("`{}` ({})", f.name, f.doc))
            .collect();
        let _ = writeln!(out, "Output: {}.\n", fields.join(", "));
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `readme` with its generated part replaced by the current reference (`None` when the marks
/// are missing).
pub fn with_generated_reference(readme: &str) -> Option<String> {
    let start = readme.find(BEGIN_MARK)? + BEGIN_MARK.len();
    let end = readme[start..].find(END_MARK)? + start;
    Some(format!(
        "{}\n\n{}{}",
        &readme[..start],
        step_types_markdown(),
        &readme[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_and_output_field_is_documented() {
        let md = step_types_markdown();
        for spec in step_params() {
            assert!(md.contains(&format!("### {}", spec.step_type)));
            for p in spec.params {
                assert!(md.contains(&format!("| `{}` |", p.name)), "{}", p.name);
            }
        }
        assert!(md.contains("### llm\n") && md.contains("### tool\n"));
        assert!(md.contains("Also accepted: `from` for `source`"));
    }

    #[test]
    fn the_generated_part_is_replaced_between_the_marks() {
        let readme = format!("intro\n{BEGIN_MARK}\nold\n{END_MARK}\noutro\n");
        let updated = with_generated_reference(&readme).unwrap();
        assert!(updated.starts_with("intro\n"));
        assert!(updated.ends_with(&format!("{END_MARK}\noutro\n")));
        assert!(!updated.contains("\nold\n"));
        assert_eq!(
            with_generated_reference(&updated).as_deref(),
            Some(updated.as_str()),
            "stable"
        );
        assert_eq!(with_generated_reference("no marks"), None);
    }
}
