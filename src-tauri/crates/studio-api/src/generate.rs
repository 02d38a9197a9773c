//! "Generate from a plan": a valid mission from a name and a plan such as `a,b|c,d`. Commas
//! chain groups one after the other; the steps of a group, separated by `|`, run in parallel
//! and each depends on every step of the group before. Each step is a `noop` to fill in.

use crate::{ApiError, ErrorCode};

/// The mission text (YAML) for `name` and `plan`. Step ids are the plan's names in lower case,
/// every other character than a letter, digit, `_` or `-` made `_`.
pub fn generate_mission(name: &str, plan: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("the mission needs a name"));
    }
    let groups = parse_plan(plan)?;
    let id = mission_slug(name);
    let mut out = String::new();
    out.push_str("version: \"1.0\"\n");
    out.push_str(&format!("id: {}\n", quote(&id)));
    out.push_str(&format!("name: {}\n", quote(name)));
    out.push_str(&format!(
        "description: {}\n",
        quote(&format!("Generated from the plan `{}`.", plan.trim()))
    ));
    out.push_str(&format!("goal: {}\n", quote(&format!("Carry out {name}"))));
    out.push_str("sector: Operations\n");
    out.push_str("required_depts: [operations]\n");
    out.push_str("\nsteps:\n");
    let mut before: &[String] = &[];
    for (i, group) in groups.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for (j, step) in group.iter().enumerate() {
            if j > 0 {
                out.push('\n');
            }
            out.push_str(&format!("  - id: {step}\n"));
            out.push_str("    step_type: noop\n");
            if !before.is_empty() {
                out.push_str(&format!("    depends_on: [{}]\n", before.join(", ")));
            }
        }
        before = group;
    }
    Ok(out)
}

/// The plan's groups in order, each the ids of its parallel steps.
pub fn parse_plan(plan: &str) -> Result<Vec<Vec<String>>, ApiError> {
    if plan.trim().is_empty() {
        return Err(invalid(
            "the plan is empty: name the steps, e.g. `fetch,parse|score,report`",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut groups = Vec::new();
    for (g, group) in plan.split(',').enumerate() {
        let mut steps = Vec::new();
        for raw in group.split('|') {
            let id = step_slug(raw);
            if id.is_empty() {
                return Err(invalid(format!(
                    "group {} of the plan has an empty step: write `a,b|c` (`,` chains, `|` runs in parallel)",
                    g + 1
                )));
            }
            if !seen.insert(id.clone()) {
                return Err(invalid(format!(
                    "the step `{id}` is named twice in the plan: each step needs its own name"
                )));
            }
            steps.push(id);
        }
        groups.push(steps);
    }
    Ok(groups)
}

fn step_slug(raw: &str) -> String {
    raw.trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn mission_slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "mission".into()
    } else {
        out
    }
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(text: &str) -> Vec<(String, Vec<String>)> {
        let loaded = studio_core::load_str(text, "plan.yaml").expect("parses");
        let diagnostics = studio_core::validate(&loaded);
        assert!(!studio_core::has_errors(&diagnostics), "{diagnostics:?}");
        assert!(
            studio_registry::index::template_problems(&loaded).is_empty(),
            "a valid template"
        );
        loaded
            .mission
            .steps
            .iter()
            .map(|s| (s.id.clone(), s.depends_on.clone()))
            .collect()
    }

    #[test]
    fn groups_chain_and_bars_run_in_parallel() {
        let text = generate_mission("Weekly Report", "a,b|c,d").unwrap();
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            deps(&text),
            vec![
                ("a".into(), v(&[])),
                ("b".into(), v(&["a"])),
                ("c".into(), v(&["a"])),
                ("d".into(), v(&["b", "c"])),
            ]
        );
        assert!(text.contains("id: \"weekly-report\""), "{text}");
    }

    #[test]
    fn a_plain_list_is_a_chain_and_names_are_slugged() {
        let text = generate_mission("x", " Fetch Data , score ").unwrap();
        let d = deps(&text);
        assert_eq!(d[0].0, "fetch_data");
        assert_eq!(d[1], ("score".into(), vec!["fetch_data".into()]));
    }

    #[test]
    fn bad_plans_say_why() {
        assert!(generate_mission("x", "")
            .unwrap_err()
            .message
            .contains("empty"));
        assert!(generate_mission("x", "a,,b")
            .unwrap_err()
            .message
            .contains("group 2"));
        assert!(generate_mission("x", "a,a")
            .unwrap_err()
            .message
            .contains("twice"));
        assert!(generate_mission(" ", "a").is_err());
    }
}
