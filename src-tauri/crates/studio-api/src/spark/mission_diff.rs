//! `mission diff A B` on two mission files: the steps added, removed and changed (type,
//! dependencies, each parameter, every other field), and what changed in each section
//! (mission fields, config, perimeter, plan, state schema, deployment, simulation).

use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use studio_core::{logic_hash, Mission};

/// One changed value: where, and its value before and after (`None`: absent on that side).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// A step of one side only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepSummary {
    pub id: String,
    pub step_type: String,
    pub depends_on: Vec<String>,
}

/// A step in both missions whose definition differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepChange {
    pub id: String,
    pub changes: Vec<Change>,
}

/// What changed in one section of the mission.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionDiff {
    pub section: String,
    pub changes: Vec<Change>,
}

/// One side of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    pub file: String,
    pub id: String,
    pub name: String,
    pub logic_hash: String,
    pub steps: usize,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissionDiff {
    pub a: Side,
    pub b: Side,
    pub equal: bool,
    pub same_logic: bool,
    pub steps_added: Vec<StepSummary>,
    pub steps_removed: Vec<StepSummary>,
    pub steps_changed: Vec<StepChange>,
    pub sections: Vec<SectionDiff>,
}

impl MissionDiff {
    /// How many differences in all.
    pub fn count(&self) -> usize {
        self.steps_added.len()
            + self.steps_removed.len()
            + self
                .steps_changed
                .iter()
                .map(|s| s.changes.len())
                .sum::<usize>()
            + self.sections.iter().map(|s| s.changes.len()).sum::<usize>()
    }
}

/// The sections compared besides the steps, in this order; `mission` gathers the other
/// top-level fields.
pub const SECTIONS: &[&str] = &[
    "mission",
    "config",
    "perimeter",
    "plan",
    "state_schema",
    "deployment",
    "simulation",
    "strategies",
];

/// Compares mission `a` (from `file_a`) with `b`.
pub fn diff_missions(file_a: &str, a: &Mission, file_b: &str, b: &Mission) -> MissionDiff {
    let side = |file: &str, m: &Mission| Side {
        file: file.to_string(),
        id: m.mission_id(),
        name: m.name.clone(),
        logic_hash: logic_hash(m),
        steps: m.steps.len(),
    };
    let summary = |s: &studio_core::Step| StepSummary {
        id: s.id.clone(),
        step_type: s.step_type.clone(),
        depends_on: s.depends_on.clone(),
    };
    let steps_added = b
        .steps
        .iter()
        .filter(|s| !a.steps.iter().any(|x| x.id == s.id))
        .map(summary)
        .collect();
    let steps_removed = a
        .steps
        .iter()
        .filter(|s| !b.steps.iter().any(|x| x.id == s.id))
        .map(summary)
        .collect();
    let mut steps_changed = Vec::new();
    for step in &a.steps {
        let Some(other) = b.steps.iter().find(|x| x.id == step.id) else {
            continue;
        };
        let changes = compare(
            &flat(&serde_json::to_value(step).unwrap_or_default()),
            &flat(&serde_json::to_value(other).unwrap_or_default()),
        );
        if !changes.is_empty() {
            steps_changed.push(StepChange {
                id: step.id.clone(),
                changes,
            });
        }
    }
    let (va, vb) = (section_values(a), section_values(b));
    let sections: Vec<SectionDiff> = SECTIONS
        .iter()
        .filter_map(|name| {
            let empty = BTreeMap::new();
            let changes = compare(
                va.get(*name).unwrap_or(&empty),
                vb.get(*name).unwrap_or(&empty),
            );
            (!changes.is_empty()).then(|| SectionDiff {
                section: name.to_string(),
                changes,
            })
        })
        .collect();
    let mut diff = MissionDiff {
        a: side(file_a, a),
        b: side(file_b, b),
        equal: false,
        same_logic: logic_hash(a) == logic_hash(b),
        steps_added,
        steps_removed,
        steps_changed,
        sections,
    };
    diff.equal = diff.count() == 0;
    diff
}

/// Each section's leaves by path; the plan is keyed by step id, not position.
fn section_values(m: &Mission) -> BTreeMap<String, BTreeMap<String, Value>> {
    let Value::Object(mut top) = serde_json::to_value(m).unwrap_or_default() else {
        return BTreeMap::new();
    };
    top.remove("steps");
    let mut out = BTreeMap::new();
    if let Some(plan) = top.remove("plan") {
        let mut by_id = Map::new();
        for step in plan["steps"].as_array().into_iter().flatten() {
            let id = step["id"].as_str().unwrap_or_default().to_string();
            let mut rest = step.clone();
            if let Value::Object(r) = &mut rest {
                r.remove("id");
            }
            by_id.insert(id, rest);
        }
        out.insert("plan".into(), flat(&Value::Object(by_id)));
    }
    for name in SECTIONS
        .iter()
        .filter(|n| !matches!(**n, "mission" | "plan"))
    {
        if let Some(value) = top.remove(*name) {
            out.insert(name.to_string(), flat(&value));
        }
    }
    out.insert("mission".into(), flat(&Value::Object(top)));
    out
}

/// The leaves of a value by dotted path; lists are leaves (compared whole).
fn flat(value: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    walk("", value, &mut out);
    out
}

fn walk(path: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, item) in map {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(&child, item, out);
            }
        }
        other if !path.is_empty() => {
            out.insert(path.to_string(), other.clone());
        }
        _ => {}
    }
}

fn compare(a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>) -> Vec<Change> {
    let mut paths: Vec<&String> = a.keys().chain(b.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter(|p| a.get(*p) != b.get(*p))
        .map(|p| Change {
            path: p.clone(),
            before: a.get(p).cloned(),
            after: b.get(p).cloned(),
        })
        .collect()
}

/// A value as the text report shows it (`∅` when absent).
pub fn show(value: Option<&Value>) -> String {
    match value {
        None => "(absent)".into(),
        Some(v) => v.to_string(),
    }
}

/// The text report.
pub fn render_text(diff: &MissionDiff) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "--- {} ({}, {} steps)",
        diff.a.file, diff.a.id, diff.a.steps
    );
    let _ = writeln!(
        out,
        "+++ {} ({}, {} steps)",
        diff.b.file, diff.b.id, diff.b.steps
    );
    if diff.equal {
        let _ = writeln!(out, "the missions are equal");
        return out;
    }
    if !diff.steps_added.is_empty() {
        let _ = writeln!(out, "steps added:");
        for s in &diff.steps_added {
            let _ = writeln!(
                out,
                "  + {} ({}){}",
                s.id,
                s.step_type,
                after_text(&s.depends_on)
            );
        }
    }
    if !diff.steps_removed.is_empty() {
        let _ = writeln!(out, "steps removed:");
        for s in &diff.steps_removed {
            let _ = writeln!(out, "  - {} ({})", s.id, s.step_type);
        }
    }
    if !diff.steps_changed.is_empty() {
        let _ = writeln!(out, "steps changed:");
        for s in &diff.steps_changed {
            let _ = writeln!(out, "  ~ {}", s.id);
            for c in &s.changes {
                change_line(&mut out, c);
            }
        }
    }
    for section in &diff.sections {
        let _ = writeln!(out, "{}:", section.section);
        for c in &section.changes {
            change_line(&mut out, c);
        }
    }
    let _ = writeln!(
        out,
        "{} difference(s); logic {}",
        diff.count(),
        if diff.same_logic {
            "unchanged (same logic_hash)"
        } else {
            "changed"
        }
    );
    out
}

fn after_text(deps: &[String]) -> String {
    if deps.is_empty() {
        String::new()
    } else {
        format!(" after {}", deps.join(", "))
    }
}

fn change_line(out: &mut String, c: &Change) {
    use std::fmt::Write;
    let _ = writeln!(
        out,
        "      {}: {} -> {}",
        c.path,
        show(c.before.as_ref()),
        show(c.after.as_ref())
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mission(yaml: &str) -> Mission {
        studio_core::load_str(yaml, "m.yaml").unwrap().mission
    }

    #[test]
    fn steps_and_sections_are_compared_by_id_and_path() {
        let a = mission("name: m\nperimeter: {budget: {max_cost_usd: 1}}\nsteps:\n  - {id: a, step_type: noop}\n  - {id: b, step_type: create_file, depends_on: [a], parameters: {path: x, content: y}}\n");
        let b = mission("name: m\nperimeter: {budget: {max_cost_usd: 2}}\nsteps:\n  - {id: b, step_type: create_file, parameters: {path: z, content: y}}\n  - {id: c, step_type: noop}\n");
        let d = diff_missions("a", &a, "b", &b);
        assert_eq!(d.steps_added[0].id, "c");
        assert_eq!(d.steps_removed[0].id, "a");
        let paths: Vec<&str> = d.steps_changed[0]
            .changes
            .iter()
            .map(|c| c.path.as_str())
            .collect();
        assert_eq!(paths, ["depends_on", "parameters.path"]);
        assert_eq!(d.sections[0].section, "perimeter");
        assert!(!d.equal);
        assert!(diff_missions("a", &a, "a", &a).equal);
    }
}
