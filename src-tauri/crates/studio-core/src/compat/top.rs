//! Mission-level shapes: metadata keys, the name, `config` spellings, `llm_config` and the
//! top-level `dependencies` edge list.

use super::{rename, shown, Upgrade};
use crate::diagnostic::{Code, Diagnostic};
use crate::spans::child_index;
use crate::suggest::did_you_mean;
use serde_json::{Map, Value};

/// Metadata keys RustChain missions carry that have no native field: left out, with a note.
const DROPPED_METADATA: &[(&str, &str)] = &[
    ("author", "authorship is not part of a mission's behaviour"),
    ("difficulty", "not part of a mission's behaviour"),
    (
        "estimated_duration",
        "set `config.timeout_seconds` to bound a run",
    ),
    (
        "certification_level",
        "marketplace information is not part of a mission's behaviour",
    ),
    (
        "success_rate",
        "the library measures success rates from the run history",
    ),
    (
        "marketplace_info",
        "marketplace information is not part of a mission's behaviour",
    ),
    (
        "error_handling",
        "use `continue_on_error`, `retry_attempts` and `config.fail_fast`",
    ),
    (
        "requires",
        "the mission's needs come from its steps (`mission package` lists them)",
    ),
    ("note", "free text; put it in `description`"),
    ("created_at", "not part of a mission's behaviour"),
    ("updated_at", "not part of a mission's behaviour"),
];

/// A file holding several missions (`missions: [{id, steps}, …]`) is refused with a way out.
pub(super) fn refuse_stacks(top: &Map<String, Value>) -> Result<(), Box<Diagnostic>> {
    let stack = top.get("missions").is_some_and(Value::is_array) && !top.contains_key("steps");
    if !stack {
        return Ok(());
    }
    Err(Box::new(
        Diagnostic::error(
            Code::InvalidField,
            "missions",
            "this file is a stack of several missions (`missions:`), not one mission",
        )
        .with_help(
            "write each entry of `missions:` as a mission file of its own (its `steps:` at the top level) and run them in order",
        ),
    ))
}

/// The JSON shape's `metadata: {name, description, version, tags, category, …}`.
pub(super) fn metadata(top: &mut Map<String, Value>, up: &mut Upgrade) {
    let Some(metadata) = top.remove("metadata") else {
        return;
    };
    let Value::Object(metadata) = metadata else {
        up.dropped("metadata", "it is not a mapping");
        return;
    };
    for (key, value) in metadata {
        let field = format!("metadata.{key}");
        match key.as_str() {
            "name" | "description" | "version" | "id" | "goal" | "objective" | "sector" => {
                if top.get(&key).is_some_and(|v| !v.is_null()) {
                    up.dropped(
                        field,
                        format!("the mission already has a top-level `{key}`"),
                    );
                } else {
                    top.insert(key.clone(), value);
                    up.aliases.add(key.clone(), field.clone());
                    up.mapped(field, format!("to `{key}`"));
                }
            }
            "tags" | "category" => add_tags(top, &field, value, up),
            "success_criteria" => done_definition(top, &field, value, up),
            _ => {
                let why = DROPPED_METADATA
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or("it has no native counterpart", |(_, why)| why);
                up.dropped(field, why);
            }
        }
    }
}

/// Library and marketplace keys at the top level.
pub(super) fn library_keys(top: &mut Map<String, Value>, up: &mut Upgrade) {
    if let Some(category) = top.remove("category") {
        add_tags(top, "category", category, up);
    }
    for key in ["success_criteria", "verification_criteria"] {
        if let Some(value) = top.remove(key) {
            done_definition(top, key, value, up);
        }
    }
    for (key, why) in DROPPED_METADATA {
        if top.remove(*key).is_some() {
            up.dropped(*key, *why);
        }
    }
    // The library's `outputs` describes results ({name: description}); the native one lists
    // workspace files.
    let describes = top.get("outputs").is_some_and(|o| {
        !o.as_array()
            .is_some_and(|items| items.iter().all(Value::is_string))
    });
    if describes {
        top.remove("outputs");
        up.dropped(
            "outputs",
            "it describes results rather than listing workspace files (the native `outputs` is a list of paths copied to the evidence folder)",
        );
    }
    // `parameters: {name: default}`: the defaults of run inputs.
    if top.get("parameters").is_some_and(Value::is_object) {
        if let Some(Value::Object(defaults)) = top.remove("parameters") {
            let variables = top
                .entry("variables")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(variables) = variables {
                for (name, value) in defaults {
                    variables.entry(name).or_insert(value);
                }
            }
            up.mapped("parameters", "(a mapping of defaults) to `variables`");
        }
    }
}

fn add_tags(top: &mut Map<String, Value>, field: &str, value: Value, up: &mut Upgrade) {
    let new: Vec<Value> = match value {
        Value::Array(items) => items
            .into_iter()
            .filter(|v| !v.is_null())
            .map(|v| Value::String(shown(&v)))
            .collect(),
        Value::Null => Vec::new(),
        other => vec![Value::String(shown(&other))],
    };
    if new.is_empty() {
        return;
    }
    let tags = top
        .entry("tags")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(tags) = tags {
        for tag in new {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        if field != "tags" {
            up.mapped(field, "to `tags`");
        }
    }
}

fn done_definition(top: &mut Map<String, Value>, field: &str, value: Value, up: &mut Upgrade) {
    let text = match &value {
        Value::Array(items) => items
            .iter()
            .map(|i| format!("- {}", shown(i)))
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Null => return,
        other => shown(other),
    };
    if top.get("done_definition").is_some_and(|v| !v.is_null()) {
        up.dropped(field, "the mission already has a `done_definition`");
        return;
    }
    top.insert("done_definition".into(), Value::String(text));
    up.aliases.add("done_definition", field);
    up.mapped(field, "to `done_definition`");
}

/// A mission without a `name` is named after its `id`, else after its file.
pub(super) fn name(top: &mut Map<String, Value>, fallback: &str, up: &mut Upgrade) {
    if top.get("name").is_some_and(|v| !v.is_null()) {
        return;
    }
    let (name, from) = match top.get("id").filter(|v| v.is_string() || v.is_number()) {
        Some(id) => (shown(id), "its `id`"),
        None => (fallback.to_string(), "its file"),
    };
    top.insert("name".into(), Value::String(name.clone()));
    up.mapped("name", format!("(absent) named `{name}` after {from}"));
}

/// `config` spellings of RustChain and its documents.
pub(super) fn config(top: &mut Map<String, Value>, up: &mut Upgrade) {
    match top.get_mut("config") {
        Some(Value::Null) => {
            top.remove("config");
        }
        Some(Value::Object(config)) => {
            for from in ["max_parallel_steps", "max_parallel", "parallel_limit"] {
                rename(config, from, "max_concurrent_steps", "config", up);
            }
            rename(config, "timeout", "timeout_seconds", "config", up);
            for from in ["retry_count", "max_retries"] {
                rename(config, from, "retry_attempts", "config", up);
            }
        }
        _ => {}
    }
}

/// `llm_config: {provider, model, temperature, max_tokens}`: defaults of the `llm` steps.
pub(super) fn llm_config(top: &mut Map<String, Value>, up: &mut Upgrade) {
    let Some(config) = top.remove("llm_config") else {
        return;
    };
    let Value::Object(config) = config else {
        up.dropped("llm_config", "it is not a mapping");
        return;
    };
    let mut used = Vec::new();
    if let Some(Value::Array(steps)) = top.get_mut("steps") {
        for step in steps.iter_mut() {
            if step.get("step_type").and_then(Value::as_str) != Some("llm") {
                continue;
            }
            let Some(Value::Object(params)) = step.get_mut("parameters") else {
                continue;
            };
            for key in [
                "provider",
                "model",
                "temperature",
                "max_tokens",
                "system_message",
            ] {
                if let Some(value) = config.get(key) {
                    if !params.contains_key(key) {
                        params.insert(key.to_string(), value.clone());
                        if !used.contains(&key) {
                            used.push(key);
                        }
                    }
                }
            }
        }
    }
    for key in config.keys() {
        let field = format!("llm_config.{key}");
        if used.contains(&key.as_str()) {
            up.mapped(
                field,
                format!("to the `{key}` of the `llm` steps that give none"),
            );
        } else if [
            "provider",
            "model",
            "temperature",
            "max_tokens",
            "system_message",
        ]
        .contains(&key.as_str())
        {
            up.dropped(field, "every `llm` step sets its own");
        } else {
            up.dropped(field, "the `llm` step has no such setting");
        }
    }
}

/// The top-level edge list `dependencies: [{from: a, to: b}]`: `b` depends on `a`.
pub(super) fn edges(top: &mut Map<String, Value>, up: &mut Upgrade) {
    let Some(edges) = top.remove("dependencies") else {
        return;
    };
    let Value::Array(edges) = edges else {
        up.error(
            Code::InvalidField,
            "dependencies",
            "`dependencies` must be a list of edges `{from: <step>, to: <step>}`",
            "write each edge as `- {from: fetch, to: report}` (report runs after fetch), or use `depends_on` on the steps",
        );
        return;
    };
    let ids: Vec<String> = match top.get("steps") {
        Some(Value::Array(steps)) => steps
            .iter()
            .map(|s| s.get("id").map(shown).unwrap_or_default())
            .collect(),
        _ => Vec::new(),
    };
    let mut added = 0;
    for (j, edge) in edges.iter().enumerate() {
        let at = child_index("dependencies", j);
        let end = |key: &str| {
            edge.get(key)
                .filter(|v| v.is_string() || v.is_number())
                .map(shown)
        };
        let (Some(from), Some(to)) = (end("from"), end("to")) else {
            up.error(
                Code::InvalidField,
                at,
                "an edge needs `from` and `to`, each a step id",
                "write it as `{from: fetch, to: report}`: `report` runs after `fetch`",
            );
            continue;
        };
        let Some(target) = ids.iter().position(|id| *id == to) else {
            let help = match did_you_mean(&to, ids.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "name a step of this mission in `to`".to_string(),
            };
            up.error(
                Code::UnknownDependency,
                format!("{at}.to"),
                format!(
                    "the edge `{from}` -> `{to}` names `{to}`, which is not a step of this mission"
                ),
                help,
            );
            continue;
        };
        let Some(Value::Array(steps)) = top.get_mut("steps") else {
            continue;
        };
        let Value::Object(step) = &mut steps[target] else {
            continue;
        };
        let depends = step
            .entry("depends_on")
            .or_insert_with(|| Value::Array(Vec::new()));
        if depends.is_null() {
            *depends = Value::Array(Vec::new());
        }
        if let Value::Array(list) = depends {
            if list.iter().any(|d| shown(d) == from) {
                continue;
            }
            up.aliases.add(
                format!("steps[{target}].depends_on[{}]", list.len()),
                format!("{at}.from"),
            );
            list.push(Value::String(from));
            added += 1;
        }
    }
    up.mapped(
        "dependencies",
        format!(
            "({} edge(s)) to the `depends_on` of each edge's `to` step ({added} added)",
            edges.len()
        ),
    );
}
