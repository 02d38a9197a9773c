//! Mission fields, `config`, `perimeter`, `state_schema` and state writes, `simulation`, `plan`.

use super::{list, step_path, Checker};
use crate::diagnostic::{Code, Diagnostic};
use crate::mission::{ApprovalMode, TelemetryBackend};
use crate::spans::{child_index, child_key, Part};
use crate::state::{canonical_type, value_fits, STATE_TYPES};
use crate::step_types::{step_type, STEP_TYPES};
use crate::suggest::did_you_mean;
use std::collections::{HashMap, HashSet};

pub(super) fn check_mission_fields(c: &mut Checker<'_>) {
    let m = c.mission;
    if m.name.trim().is_empty() {
        c.push(
            Diagnostic::error(Code::InvalidField, "name", "the mission name is blank")
                .with_help("give the mission a short descriptive name"),
            Part::Value,
        );
    }
    if let Some(id) = &m.id {
        let ok = !id.is_empty()
            && id
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_'));
        if !ok {
            c.push(
                Diagnostic::warning(
                    Code::InvalidField,
                    "id",
                    format!("mission id `{id}` is not reverse-DNS style"),
                )
                .with_help(
                    "use letters, digits, `.`, `-` and `_`, e.g. `com.acme.keyword-analysis`",
                ),
                Part::Value,
            );
        }
    }
    if let Some(version) = &m.version {
        if version.split('.').next() != Some("1") {
            c.push(
                Diagnostic::warning(
                    Code::InvalidField,
                    "version",
                    format!("format version `{version}` is not known"),
                )
                .with_help("this build reads format version 1.x; write `version: \"1.0\"`"),
                Part::Value,
            );
        }
    }
    for (field, value) in [("est_roi", m.est_roi), ("value_usd", m.value_usd)] {
        if let Some(v) = value {
            if !v.is_finite() || v < 0.0 {
                c.push(
                    Diagnostic::error(
                        Code::InvalidField,
                        field,
                        format!("`{field}` must be a number ≥ 0, found {v}"),
                    )
                    .with_help("give a non-negative amount, or remove the field"),
                    Part::Value,
                );
            }
        }
    }
    for (i, output) in m.outputs.iter().enumerate() {
        let field = child_index("outputs", i);
        let escapes = output.split(['/', '\\']).any(|part| part == "..");
        let absolute =
            output.starts_with('/') || output.starts_with('\\') || output.get(1..2) == Some(":");
        if output.trim().is_empty() || escapes || absolute {
            c.push(
                Diagnostic::error(
                    Code::InvalidField,
                    field,
                    format!("output `{output}` is not a path inside the workspace"),
                )
                .with_help("list workspace files by relative path, without `..`, e.g. `report.md`"),
                Part::Value,
            );
        }
    }
}

pub(super) fn check_config(c: &mut Checker<'_>) {
    let Some(config) = &c.mission.config else {
        return;
    };
    if config.timeout_seconds == Some(0) {
        c.push(
            Diagnostic::error(
                Code::InvalidConfig,
                "config.timeout_seconds",
                "a run timeout of 0 seconds would stop every run at once",
            )
            .with_help("give at least 1 second, or remove `timeout_seconds` for no run timeout"),
            Part::Value,
        );
    }
    if config.max_concurrent_steps == Some(0) {
        c.push(
            Diagnostic::error(
                Code::InvalidConfig,
                "config.max_concurrent_steps",
                "with `max_concurrent_steps: 0` no step could ever start",
            )
            .with_help("give at least 1 (1 runs the steps one at a time)"),
            Part::Value,
        );
    }
    if let Some(n) = config.retry_attempts.filter(|&n| n > 100) {
        c.push(
            Diagnostic::warning(
                Code::InvalidConfig,
                "config.retry_attempts",
                format!("{n} retries per step is a lot"),
            )
            .with_help("a handful of retries with a delay is usually enough"),
            Part::Value,
        );
    }
}

pub(super) fn check_perimeter(c: &mut Checker<'_>) {
    let m = c.mission;
    let Some(perimeter) = &m.perimeter else {
        return;
    };
    if let Some(budget) = &perimeter.budget {
        for (name, value) in [
            ("max_cost_usd", budget.max_cost_usd),
            ("max_runtime_minutes", budget.max_runtime_minutes),
        ] {
            let Some(v) = value else { continue };
            let bad = !v.is_finite() || v < 0.0 || (name == "max_runtime_minutes" && v == 0.0);
            if bad {
                let need = if name == "max_cost_usd" {
                    "≥ 0"
                } else {
                    "> 0"
                };
                c.push(
                    Diagnostic::error(
                        Code::InvalidPerimeter,
                        format!("perimeter.budget.{name}"),
                        format!("`{name}` must be a number {need}, found {v}"),
                    )
                    .with_help(
                        "budgets are caps: give a positive amount, or remove the field for no cap",
                    ),
                    Part::Value,
                );
            }
        }
        if budget.max_steps == Some(0) {
            c.push(
                Diagnostic::error(
                    Code::InvalidPerimeter,
                    "perimeter.budget.max_steps",
                    "with `max_steps: 0` no step could run",
                )
                .with_help("give at least the number of steps, or remove the cap"),
                Part::Value,
            );
        } else if let Some(max) = budget
            .max_steps
            .filter(|&max| (max as usize) < m.steps.len())
        {
            c.push(
                Diagnostic::warning(
                    Code::InvalidPerimeter,
                    "perimeter.budget.max_steps",
                    format!("the mission has {} steps but `max_steps` is {max}: the run will stop before the end", m.steps.len()),
                )
                .with_help("raise `max_steps` to at least the number of steps"),
                Part::Value,
            );
        }
    }
    if let Some(approval) = &perimeter.approval {
        match (approval.mode, approval.threshold_usd) {
            (ApprovalMode::Threshold, None) => c.push(
                Diagnostic::error(
                    Code::InvalidPerimeter,
                    "perimeter.approval.mode",
                    "approval mode `threshold` needs `threshold_usd`",
                )
                .with_help(
                    "add `threshold_usd: 1.0` (steps estimated at or above it need approval)",
                ),
                Part::Value,
            ),
            (_, Some(t)) if !t.is_finite() || t < 0.0 => c.push(
                Diagnostic::error(
                    Code::InvalidPerimeter,
                    "perimeter.approval.threshold_usd",
                    format!("`threshold_usd` must be a number ≥ 0, found {t}"),
                )
                .with_help("give an amount in USD"),
                Part::Value,
            ),
            (mode, Some(_)) if mode != ApprovalMode::Threshold => c.push(
                Diagnostic::warning(
                    Code::InvalidPerimeter,
                    "perimeter.approval.threshold_usd",
                    "`threshold_usd` is only used with `mode: threshold`; it is ignored",
                )
                .with_help("set `mode: threshold`, or remove `threshold_usd`"),
                Part::Key,
            ),
            _ => {}
        }
        for (i, name) in approval.required_for.iter().enumerate() {
            if step_type(name).is_none() {
                if let Some(s) = did_you_mean(name, STEP_TYPES.iter().map(|t| t.name)) {
                    c.push(
                        Diagnostic::warning(
                            Code::InvalidPerimeter,
                            child_index("perimeter.approval.required_for", i),
                            format!("`{name}` is not a step type"),
                        )
                        .with_help(format!("did you mean `{s}`?")),
                        Part::Value,
                    );
                }
            }
        }
    }
    if let Some(tools) = &perimeter.tools {
        let forbidden: HashSet<&str> = tools.forbidden.iter().map(String::as_str).collect();
        for (i, name) in tools.allowed.iter().enumerate() {
            if forbidden.contains(name.as_str()) {
                c.push(
                    Diagnostic::error(
                        Code::InvalidPerimeter,
                        child_index("perimeter.tools.allowed", i),
                        format!("`{name}` is both allowed and forbidden"),
                    )
                    .with_help("keep it in one of the two lists"),
                    Part::Value,
                );
            }
        }
        let allowed: HashSet<&str> = tools.allowed.iter().map(String::as_str).collect();
        for (i, step) in m.steps.iter().enumerate() {
            let ty = step.step_type.as_str();
            if step_type(ty).is_none() {
                continue; // reported as an unknown step type
            }
            // A `tool` step is judged by the registry tool it calls.
            let ty = match (ty, step.parameters.get("name").and_then(|v| v.as_str())) {
                ("tool", Some(name)) if !name.contains("{{") => name,
                _ => ty,
            };
            let refused = if forbidden.contains(ty) {
                Some("the perimeter forbids it (`perimeter.tools.forbidden`)")
            } else if !allowed.is_empty() && !allowed.contains(ty) {
                Some("it is not in `perimeter.tools.allowed`")
            } else {
                None
            };
            if let Some(why) = refused {
                c.push(
                    Diagnostic::error(
                        Code::InvalidPerimeter,
                        format!("{}.step_type", step_path(i)),
                        format!("step `{}` uses `{ty}`, but {why}", step.id),
                    )
                    .with_help(format!("allow `{ty}` in the perimeter, or remove the step")),
                    Part::Value,
                );
            }
        }
    }
}

pub(super) fn check_state(c: &mut Checker<'_>) {
    let m = c.mission;
    let empty = Default::default();
    let fields = m.state_schema.as_ref().map_or(&empty, |s| &s.fields);
    for (name, field) in fields {
        let path = child_key("state_schema.fields", name);
        if name.is_empty()
            || name.contains(['.', '{', '}', '[', ']'])
            || name.chars().any(char::is_whitespace)
        {
            c.push(
                Diagnostic::error(
                    Code::InvalidStateSchema,
                    path.clone(),
                    format!("state field name `{name}` cannot be used in `{{{{state.{name}}}}}`"),
                )
                .with_help("use letters, digits and `_`"),
                Part::Key,
            );
        }
        let ty = field.field_type.as_str();
        if canonical_type(ty).is_none() {
            let help = match did_you_mean(ty, STATE_TYPES.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("the types are: {}", STATE_TYPES.join(", ")),
            };
            c.push(
                Diagnostic::error(
                    Code::InvalidStateSchema,
                    format!("{path}.type"),
                    format!("unknown state type `{ty}`"),
                )
                .with_help(help),
                Part::Value,
            );
        } else if let Some(default) = &field.default {
            if !value_fits(ty, default) {
                c.push(
                    Diagnostic::error(
                        Code::InvalidStateSchema,
                        format!("{path}.default"),
                        format!("the default of `{name}` is not of type `{ty}`"),
                    )
                    .with_help(format!("give a default of type `{ty}`, or remove it")),
                    Part::Value,
                );
            }
        }
    }
    let mut written: HashSet<&str> = HashSet::new();
    for (i, step) in m.steps.iter().enumerate() {
        for (name, value) in &step.state {
            written.insert(name.as_str());
            let path = child_key(&format!("{}.state", step_path(i)), name);
            match fields.get(name) {
                None => {
                    let help = if m.state_schema.is_none() {
                        format!(
                            "declare it: state_schema: {{fields: {{{name}: {{type: string}}}}}}"
                        )
                    } else {
                        match did_you_mean(name, fields.keys().map(String::as_str)) {
                            Some(s) => format!("did you mean `{s}`? Otherwise declare `{name}` in `state_schema.fields`"),
                            None => format!("declare `{name}` in `state_schema.fields`"),
                        }
                    };
                    c.push(
                        Diagnostic::error(Code::UnknownStateField, path, format!("step `{}` writes state field `{name}`, which `state_schema` does not declare", step.id))
                            .with_help(help),
                        Part::Key,
                    );
                }
                Some(field)
                    if canonical_type(&field.field_type).is_some()
                        && !value_fits(&field.field_type, value) =>
                {
                    c.push(
                        Diagnostic::error(
                            Code::InvalidStateValue,
                            path,
                            format!(
                                "state field `{name}` is of type `{}`; this value is not",
                                field.field_type
                            ),
                        )
                        .with_help(format!(
                            "write a value of type `{}`, or a single `{{{{…}}}}` reference",
                            field.field_type
                        )),
                        Part::Value,
                    );
                }
                Some(_) => {}
            }
        }
    }
    for (name, field) in fields {
        if field.required && field.default.is_none() && !written.contains(name.as_str()) {
            c.push(
                Diagnostic::warning(
                    Code::InvalidStateSchema,
                    child_key("state_schema.fields", name),
                    format!("required state field `{name}` has no default and no step writes it"),
                )
                .with_help("give it a `default`, or write it from a step's `state:`"),
                Part::Key,
            );
        }
    }
}

pub(super) fn check_simulation(c: &mut Checker<'_>) {
    let Some(simulation) = &c.mission.simulation else {
        return;
    };
    let mut seen = HashSet::new();
    for (i, tool) in simulation.tools.iter().enumerate() {
        if !seen.insert(tool.name.as_str()) {
            c.push(
                Diagnostic::warning(
                    Code::InvalidConfig,
                    format!("simulation.tools[{i}].name"),
                    format!(
                        "tool `{}` is simulated twice; the first entry is used",
                        tool.name
                    ),
                )
                .with_help("keep one entry per tool"),
                Part::Value,
            );
        }
    }
}

/// `telemetry`: an OTLP backend needs an http(s) endpoint; the rate, buffer and interval must
/// make sense.
pub(super) fn check_telemetry(c: &mut Checker<'_>) {
    let Some(t) = &c.mission.telemetry else {
        return;
    };
    let otlp = t.backend == TelemetryBackend::Otlp;
    match t.endpoint.as_deref().map(str::trim) {
        None | Some("") if otlp => c.push(
            Diagnostic::error(
                Code::InvalidConfig,
                "telemetry.backend",
                "the `otlp` backend needs an `endpoint` to send spans to",
            )
            .with_help("add `endpoint: http://127.0.0.1:4318` (the collector's OTLP/HTTP address)"),
            Part::Value,
        ),
        Some(url) if !url.is_empty() => {
            let scheme_ok = ["http://", "https://"]
                .iter()
                .any(|s| url.len() > s.len() && url[..s.len()].eq_ignore_ascii_case(s));
            if !scheme_ok || url.contains(char::is_whitespace) {
                c.push(
                    Diagnostic::error(
                        Code::InvalidConfig,
                        "telemetry.endpoint",
                        format!("`{url}` is not an http(s) URL"),
                    )
                    .with_help(
                        "give the collector's OTLP/HTTP base URL, e.g. `http://127.0.0.1:4318`; \
                         spans go to `{endpoint}/v1/traces`",
                    ),
                    Part::Value,
                );
            } else if !otlp {
                c.push(
                    Diagnostic::warning(
                        Code::InvalidConfig,
                        "telemetry.endpoint",
                        "the endpoint is only used by the `otlp` backend",
                    )
                    .with_help("set `backend: otlp`, or remove `endpoint`"),
                    Part::Key,
                );
            }
        }
        _ => {}
    }
    if let Some(rate) = t.sampling_rate.filter(|r| !(0.0..=1.0).contains(r)) {
        c.push(
            Diagnostic::error(
                Code::InvalidConfig,
                "telemetry.sampling_rate",
                format!("a sampling rate of {rate} is outside [0, 1]"),
            )
            .with_help("0 exports no run, 1 exports every run, 0.1 about one run in ten"),
            Part::Value,
        );
    }
    if t.buffer_size == Some(0) {
        c.push(
            Diagnostic::error(
                Code::InvalidConfig,
                "telemetry.buffer_size",
                "a buffer of 0 spans would drop every span",
            )
            .with_help("give at least 1 (default 512)"),
            Part::Value,
        );
    }
    if let Some(s) = t.export_interval.filter(|s| !s.is_finite() || *s <= 0.0) {
        c.push(
            Diagnostic::error(
                Code::InvalidConfig,
                "telemetry.export_interval",
                format!("an export interval of {s} seconds is not positive"),
            )
            .with_help("give the seconds between exports, e.g. 5 (fractions allowed: 0.5)"),
            Part::Value,
        );
    }
}

/// `simulation.agents[].step` and `strategies[].target` name `agent` steps: anything else is
/// never read, which is a mistake worth a warning (with the agent steps there are).
pub(super) fn check_agent_bindings(c: &mut Checker<'_>) {
    let m = c.mission;
    let agents: Vec<&str> = m
        .steps
        .iter()
        .filter(|s| s.step_type == "agent")
        .map(|s| s.id.as_str())
        .collect();
    let mut named: Vec<(String, &str, &str)> = Vec::new();
    if let Some(simulation) = &m.simulation {
        for (i, a) in simulation.agents.iter().enumerate() {
            named.push((
                format!("simulation.agents[{i}].step"),
                a.step.as_str(),
                "is never played",
            ));
        }
    }
    for (i, b) in m.strategies.iter().enumerate() {
        named.push((
            format!("strategies[{i}].target"),
            b.target.as_str(),
            "binds nothing",
        ));
    }
    for (path, id, effect) in named {
        if agents.contains(&id) {
            continue;
        }
        let help = match did_you_mean(id, agents.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if agents.is_empty() => "the mission has no `agent` step".to_string(),
            None => format!("name one of the agent steps: {}", agents.join(", ")),
        };
        c.push(
            Diagnostic::warning(
                Code::InvalidConfig,
                path,
                format!("`{id}` is not an `agent` step of this mission, so this entry {effect}"),
            )
            .with_help(help),
            Part::Value,
        );
    }
}

pub(super) fn check_plan(c: &mut Checker<'_>) {
    let m = c.mission;
    let Some(plan) = &m.plan else { return };
    let step_ids: HashSet<&str> = m.steps.iter().map(|s| s.id.as_str()).collect();
    let mut plan_ids: HashMap<&str, usize> = HashMap::new();
    for (i, item) in plan.steps.iter().enumerate() {
        let path = format!("plan.steps[{i}]");
        if plan_ids.insert(item.id.as_str(), i).is_some() {
            c.push(
                Diagnostic::error(
                    Code::InvalidPlan,
                    format!("{path}.id"),
                    format!("plan item `{}` is listed twice", item.id),
                )
                .with_help("list each step once in the plan"),
                Part::Value,
            );
        }
        if !step_ids.contains(item.id.as_str()) {
            let help = match did_you_mean(&item.id, step_ids.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "plan items follow the steps: use the id of a step".to_string(),
            };
            c.push(
                Diagnostic::error(
                    Code::InvalidPlan,
                    format!("{path}.id"),
                    format!("plan item `{}` is not a step of this mission", item.id),
                )
                .with_help(help),
                Part::Value,
            );
        }
    }
    for (i, item) in plan.steps.iter().enumerate() {
        for (k, dep) in item.depends_on.iter().enumerate() {
            if !plan_ids.contains_key(dep.as_str()) {
                c.push(
                    Diagnostic::error(
                        Code::InvalidPlan,
                        format!("plan.steps[{i}].depends_on[{k}]"),
                        format!(
                            "plan item `{}` depends on `{dep}`, which is not in the plan",
                            item.id
                        ),
                    )
                    .with_help("depend on plan items only"),
                    Part::Value,
                );
            }
        }
    }
    let missing: Vec<&str> = m
        .steps
        .iter()
        .map(|s| s.id.as_str())
        .filter(|id| !plan_ids.contains_key(id))
        .collect();
    if !missing.is_empty() && !plan.steps.is_empty() {
        c.push(
            Diagnostic::warning(
                Code::InvalidPlan,
                "plan.steps",
                format!("the plan does not list {}", list(&missing, 5)),
            )
            .with_help("list every step in the plan, or remove `plan` to derive it from the steps"),
            Part::Key,
        );
    }
}

/// Declared run inputs: a required one without a default needs a value from the run.
pub(super) fn check_inputs(c: &mut Checker<'_>) {
    let m = c.mission;
    for (i, decl) in m.parameters.iter().enumerate() {
        let field = format!("parameters[{i}]");
        if decl.name.trim().is_empty() {
            c.push(
                Diagnostic::error(
                    Code::InvalidField,
                    format!("{field}.name"),
                    "the input's name is blank",
                )
                .with_help("name it as the mission reads it: `{{name}}`"),
                Part::Value,
            );
            continue;
        }
        let given = c.options.inputs.contains(&decl.name);
        if m.required_inputs().any(|d| d.name == decl.name) && !given {
            c.push(
                Diagnostic::warning(
                    Code::MissingInput,
                    format!("{field}.name"),
                    format!(
                        "the input `{}` is required and has no default: a run needs it",
                        decl.name
                    ),
                )
                .with_help(format!(
                    "run with `--var {}=VALUE`, or give it a `default:`",
                    decl.name
                )),
                Part::Value,
            );
        }
    }
}
