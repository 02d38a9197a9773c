//! `mission generate NAME --plan "a,b|c,d" [--graph FILE]`: a native mission whose plan and
//! steps follow a list. Groups separated by `|` run in order; the steps of one group run in
//! parallel, each depending on every step of the group before. Without `|`, the list is a
//! chain (`a,b,c`: a → b → c). Steps are `noop` placeholders named after the plan; a Spark
//! GraphSpec (`--graph`) gives the steps instead (the plan then joins their dependencies).

use super::yaml_out::to_yaml;
use crate::{ApiError, ErrorCode};
use std::collections::BTreeMap;
use std::path::Path;
use studio_core::{
    slug, Approval, ApprovalMode, Budget, Mission, MissionConfig, Perimeter, Plan, PlanStep, Step,
};

fn usage(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, message)
}

/// Reads `a,b|c,d` into groups of step ids (`[[a, b], [c, d]]`); a list without `|` is a
/// chain, one step per group. Ids are made safe (`Load data` → `load_data`); a repeated or
/// empty entry is refused.
pub fn parse_plan(plan: &str) -> Result<Vec<Vec<String>>, ApiError> {
    let chain = !plan.contains('|');
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut seen = Vec::new();
    for group in plan.split('|') {
        let mut ids = Vec::new();
        for item in group.split(',') {
            let item = item.trim();
            if item.is_empty() {
                return Err(usage(format!(
                    "the plan `{plan}` has an empty entry: write step names separated by `,` (in order) and `|` (between parallel groups)"
                )));
            }
            let id = slug(item).replace('-', "_");
            if seen.contains(&id) {
                return Err(usage(format!("the plan names `{id}` twice")));
            }
            seen.push(id.clone());
            ids.push(id);
        }
        if chain {
            groups.extend(ids.into_iter().map(|id| vec![id]));
        } else {
            groups.push(ids);
        }
    }
    Ok(groups)
}

/// A step name from its id: `load_data` → `Load data`.
fn title(id: &str) -> String {
    let text = id.replace(['_', '-'], " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

fn plan_of(groups: &[Vec<String>]) -> Vec<PlanStep> {
    let mut out = Vec::new();
    let mut before: Vec<String> = Vec::new();
    for group in groups {
        for id in group {
            out.push(PlanStep {
                id: id.clone(),
                description: Some(title(id)),
                depends_on: before.clone(),
            });
        }
        before.clone_from(group);
    }
    out
}

fn noop(plan: &PlanStep) -> Step {
    Step {
        id: plan.id.clone(),
        name: plan.description.clone(),
        description: None,
        step_type: "noop".into(),
        depends_on: plan.depends_on.clone(),
        timeout_seconds: None,
        continue_on_error: None,
        retry_attempts: None,
        parameters: serde_json::json!({}),
        approval: None,
        state: BTreeMap::new(),
        dept: None,
        idempotent: None,
    }
}

fn skeleton(name: &str) -> Mission {
    Mission {
        version: Some("1.0".into()),
        id: Some(format!("local.{}", slug(name))),
        name: name.to_string(),
        description: Some(format!(
            "{name}: generated from a plan; replace the placeholder steps."
        )),
        config: Some(MissionConfig {
            timeout_seconds: Some(600),
            fail_fast: Some(true),
            max_concurrent_steps: Some(4),
            ..Default::default()
        }),
        perimeter: Some(Perimeter {
            budget: Some(Budget {
                max_cost_usd: Some(1.0),
                max_runtime_minutes: Some(10.0),
                ..Default::default()
            }),
            approval: Some(Approval {
                mode: ApprovalMode::Threshold,
                threshold_usd: Some(0.5),
                required_for: Vec::new(),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A mission named `name` whose steps follow the plan groups.
pub fn generate_from_plan(name: &str, groups: &[Vec<String>]) -> Mission {
    let plan = plan_of(groups);
    let mut mission = skeleton(name);
    mission.steps = plan.iter().map(noop).collect();
    mission.plan = Some(Plan { steps: plan });
    mission
}

/// A mission named `name` from a Spark GraphSpec file (nodes and edges; a MissionSpec works
/// too); `groups`, when given, become its plan, their dependencies joining the steps' and
/// their ids missing from the graph added as `noop` steps.
pub fn generate_from_graph(
    name: &str,
    graph: &Path,
    groups: Option<&[Vec<String>]>,
) -> Result<Mission, ApiError> {
    let loaded = studio_core::load_file(graph)
        .map_err(|e| usage(format!("{}: {}", graph.display(), e.diagnostic().message)))?;
    let source = loaded.mission;
    let mut mission = skeleton(name);
    mission.steps = source.steps;
    mission.state_schema = source.state_schema;
    mission.simulation = source.simulation;
    mission.deployment = source.deployment;
    mission.plan = source.plan;
    if let Some(groups) = groups {
        let plan = plan_of(groups);
        for item in &plan {
            match mission.steps.iter_mut().find(|s| s.id == item.id) {
                Some(step) => {
                    for dep in &item.depends_on {
                        if !step.depends_on.contains(dep) {
                            step.depends_on.push(dep.clone());
                        }
                    }
                }
                None => mission.steps.push(noop(item)),
            }
        }
        mission.plan = Some(Plan { steps: plan });
    }
    if mission.plan.is_none() {
        mission.plan = Some(Plan {
            steps: mission
                .steps
                .iter()
                .map(|s| PlanStep {
                    id: s.id.clone(),
                    description: s.description.clone().or_else(|| Some(title(&s.id))),
                    depends_on: s.depends_on.clone(),
                })
                .collect(),
        });
    }
    Ok(mission)
}

/// The mission as a YAML file with a short header.
pub fn render_mission(mission: &Mission) -> String {
    let value = serde_json::to_value(mission).unwrap_or_default();
    format!(
        "# Generated by `mission generate`. Check it with `mission validate --strict FILE`,\n\
         # see its plan with `mission run FILE --dry-run`.\n{}",
        to_yaml(&value)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_a_chain_and_bars_make_parallel_groups() {
        assert_eq!(
            parse_plan("a, b ,c").unwrap(),
            vec![vec!["a"], vec!["b"], vec!["c"]]
        );
        assert_eq!(
            parse_plan("a,b|c,d|e").unwrap(),
            vec![vec!["a", "b"], vec!["c", "d"], vec!["e"]]
        );
        assert!(parse_plan("a,,b").is_err());
        assert!(parse_plan("a,a").is_err());
        let m = generate_from_plan("ETL", &parse_plan("a,b|c").unwrap());
        assert_eq!(m.steps[2].depends_on, ["a", "b"]);
        assert!(m.steps[0].depends_on.is_empty());
    }

    #[test]
    fn the_generated_text_loads_back_valid() {
        let m = generate_from_plan(
            "ETL Pipeline",
            &parse_plan("extract,transform,load").unwrap(),
        );
        let loaded = studio_core::load_str(&render_mission(&m), "etl.yaml").unwrap();
        assert_eq!(loaded.mission, m);
        let problems = studio_core::strict(studio_core::validate(&loaded));
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
