//! `{{…}}` references in parameters and state writes.

use super::{step_path, Checker};
use crate::diagnostic::{Code, Diagnostic};
use crate::graph::StepGraph;
use crate::spans::{child_key, Part};
use crate::step_params::params_of;
use crate::step_types::{step_type, StepTypeStatus};
use crate::suggest::did_you_mean;
use crate::variables::{
    for_each_string, has_unclosed_braces, occurrences, parse_reference, Reference, BUILTIN_NAMES,
    CONFIG_KEYS, FORMS, MISSION_KEYS, NAMESPACES, RUN_KEYS,
};

pub(super) fn check_references(
    c: &mut Checker<'_>,
    graph: &StepGraph<'_>,
    levels: Option<&[usize]>,
) {
    let mission = c.mission;
    for (i, step) in mission.steps.iter().enumerate() {
        // Like their parameters, the references of step types that cannot run are not checked.
        let runnable =
            step_type(&step.step_type).is_some_and(|t| t.status() == StepTypeStatus::Available);
        if !runnable {
            continue;
        }
        let params_path = format!("{}.parameters", step_path(i));
        let mut found = Vec::new();
        for_each_string(&step.parameters, &mut |suffix, text| {
            if text.contains("{{") {
                found.push((format!("{params_path}{suffix}"), text, false));
            }
        });
        let state_path = format!("{}.state", step_path(i));
        for (field, value) in &step.state {
            let base = child_key(&state_path, field);
            for_each_string(value, &mut |suffix, text| {
                if text.contains("{{") {
                    // A step's state write happens once it succeeded: it may read its own output.
                    found.push((format!("{base}{suffix}"), text, true));
                }
            });
        }
        for (field, text, own_output_ok) in found {
            check_text(c, graph, levels, i, &field, text, own_output_ok);
        }
    }
}

fn check_text(
    c: &mut Checker<'_>,
    graph: &StepGraph<'_>,
    levels: Option<&[usize]>,
    step: usize,
    field: &str,
    text: &str,
    own_output_ok: bool,
) {
    let mission = c.mission;
    let me = &mission.steps[step].id;
    if has_unclosed_braces(text) {
        c.push(
            Diagnostic::warning(
                Code::UnknownReference,
                field,
                "a `{{` is never closed with `}}`",
            )
            .with_help("close the reference with `}}`; text with an unclosed `{{` is used as is"),
            Part::Value,
        );
    }
    let is_chain = mission.steps[step].step_type == "chain";
    for occ in occurrences(text) {
        if is_chain && crate::agents::is_chain_reference(occ.inner) {
            continue;
        }
        let shown = format!("{{{{{}}}}}", occ.inner);
        let reference = match parse_reference(occ.inner) {
            Ok(r) => r,
            Err(err) => {
                c.push(
                    Diagnostic::error(Code::UnknownReference, field, format!("`{shown}`: {err}"))
                        .with_help(format!("the forms are: {FORMS}")),
                    Part::Value,
                );
                continue;
            }
        };
        let problem: Option<(Code, String, String)> = match reference {
            Reference::Env(_) | Reference::Context(_) => None,
            Reference::Config(key) if !CONFIG_KEYS.contains(&key) => Some((
                Code::UnknownReference,
                format!("`{shown}`: `config` has no key `{key}`"),
                suggestion(key, CONFIG_KEYS.iter().copied(), "the keys are"),
            )),
            Reference::Mission(key) if !MISSION_KEYS.contains(&key) => Some((
                Code::UnknownReference,
                format!("`{shown}`: `mission` has no key `{key}`"),
                suggestion(key, MISSION_KEYS.iter().copied(), "the keys are"),
            )),
            Reference::Run(key) if !RUN_KEYS.contains(&key) => Some((
                Code::UnknownReference,
                format!("`{shown}`: `run` has no key `{key}`"),
                suggestion(key, RUN_KEYS.iter().copied(), "the keys are"),
            )),
            Reference::State(name) => {
                let fields = mission.state_schema.as_ref().map(|s| &s.fields);
                match fields {
                    Some(fields) if fields.contains_key(name) => None,
                    Some(fields) => Some((
                        Code::UnknownStateField,
                        format!("`{shown}`: `state_schema` has no field `{name}`"),
                        suggestion(name, fields.keys().map(String::as_str), "the fields are"),
                    )),
                    None => Some((
                        Code::UnknownStateField,
                        format!("`{shown}` reads mission state, but the mission has no `state_schema`"),
                        format!("declare it: state_schema: {{fields: {{{name}: {{type: string}}}}}}"),
                    )),
                }
            }
            Reference::Config(_) | Reference::Mission(_) | Reference::Run(_) => None,
            Reference::StepOutput { step: target, path } => match graph.index_of(target) {
                None => Some(unknown_step(c, target, &shown)),
                Some(j) if j == step && own_output_ok => None,
                Some(j) if j == step => Some((
                    Code::ReferenceNotAncestor,
                    format!("`{shown}`: step `{me}` cannot read its own output in its parameters"),
                    "read it in a later step that depends on this one, or in this step's `state:`"
                        .to_string(),
                )),
                Some(j) if !graph.is_ancestor(j, step, levels) => Some((
                    Code::ReferenceNotAncestor,
                    format!("`{shown}` refers to step `{target}`, which does not run before `{me}`"),
                    format!("add `{target}` to the `depends_on` of `{me}` (directly or through a step in between)"),
                )),
                Some(j) => {
                    check_output_field(c, field, &shown, j, path.first().copied());
                    None
                }
            },
            Reference::StepOther { step: target, field: what } => {
                if graph.index_of(target).is_some() {
                    Some((
                        Code::UnknownReference,
                        format!("`{shown}`: a step's values are under `output`"),
                        format!("write {{{{{target}.output.{what}}}}}"),
                    ))
                } else {
                    Some(unknown_step(c, target, &shown))
                }
            }
            Reference::Bare(name) => bare_name(c, graph, name, &shown),
        };
        if let Some((code, message, help)) = problem {
            c.push(
                Diagnostic::error(code, field, message).with_help(help),
                Part::Value,
            );
        }
    }
}

/// `{{name}}`: a run input (declared, or given with the run), or a built-in name.
fn bare_name(
    c: &Checker<'_>,
    graph: &StepGraph<'_>,
    name: &str,
    shown: &str,
) -> Option<(Code, String, String)> {
    let mission = c.mission;
    if mission.declares_input(name)
        || c.options.inputs.iter().any(|n| n == name)
        || BUILTIN_NAMES.contains(&name)
    {
        return None;
    }
    if graph.index_of(name).is_some() {
        return Some((
            Code::UnknownReference,
            format!("`{shown}` names a step but not what to read from it"),
            format!("write {{{{{name}.output}}}} or {{{{{name}.output.<field>}}}}"),
        ));
    }
    let plain = name
        .chars()
        .all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '-');
    if !plain {
        return Some((
            Code::UnknownReference,
            format!("`{shown}` is not a reference: filters and expressions are not supported inside `{{{{…}}}}`"),
            format!("the forms are: {FORMS}"),
        ));
    }
    let known: Vec<&str> = mission
        .variables
        .keys()
        .map(String::as_str)
        .chain(mission.parameters.iter().map(|d| d.name.as_str()))
        .chain(BUILTIN_NAMES.iter().copied())
        .collect();
    let help = match did_you_mean(name, known.iter().copied()) {
        Some(s) => format!("did you mean `{{{{{s}}}}}`?"),
        None => format!(
            "declare it (`variables: {{{name}: …}}`, or in `parameters:` with a default), or run with `--var {name}=VALUE`; the forms are: {FORMS}"
        ),
    };
    Some((
        Code::UnknownReference,
        format!("`{shown}` is not a run input of this mission: the step would fail on it"),
        help,
    ))
}

fn unknown_step(c: &Checker<'_>, target: &str, shown: &str) -> (Code, String, String) {
    let ids = c
        .mission
        .steps
        .iter()
        .map(|s| s.id.as_str())
        .chain(NAMESPACES.iter().copied());
    let help = match did_you_mean(target, ids) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!(
            "`{target}` is neither a step of this mission nor a namespace ({})",
            NAMESPACES.join(", ")
        ),
    };
    (
        Code::UnknownReference,
        format!("`{shown}` refers to `{target}`, which is not a step of this mission"),
        help,
    )
}

/// Warns when the first field read from a step's output is not one its step type produces.
fn check_output_field(
    c: &mut Checker<'_>,
    field: &str,
    shown: &str,
    target: usize,
    first: Option<&str>,
) {
    let Some(first) = first else { return };
    let step = &c.mission.steps[target];
    let Some(spec) = params_of(&step.step_type) else {
        return;
    };
    let names: Vec<&str> = if spec.output_is_parameters {
        match &step.parameters {
            serde_json::Value::Object(map) => map.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    } else {
        spec.output.iter().map(|f| f.name).collect()
    };
    if names.contains(&first) || (names.is_empty() && !spec.output_is_parameters) {
        return;
    }
    c.push(
        Diagnostic::warning(
            Code::UnknownReference,
            field,
            format!(
                "`{shown}`: the output of `{}` steps has no field `{first}`",
                step.step_type
            ),
        )
        .with_help(suggestion(first, names.iter().copied(), "its fields are")),
        Part::Value,
    );
}

fn suggestion<'a>(
    input: &str,
    options: impl Iterator<Item = &'a str> + Clone,
    lead: &str,
) -> String {
    match did_you_mean(input, options.clone()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => {
            let all: Vec<&str> = options.collect();
            if all.is_empty() {
                "there is none yet".to_string()
            } else {
                format!("{lead}: {}", all.join(", "))
            }
        }
    }
}
