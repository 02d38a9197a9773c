//! Parameter spellings of RustChain missions, per step type.

use super::{rename, shown, Upgrade};
use crate::step_types::step_type;
use serde_json::{Map, Value};

/// Step types a RustChain `tool` step may name that are step types here.
fn is_step_type(name: &str) -> bool {
    step_type(name).is_some() && name != "tool"
}

pub(super) fn upgrade_parameters(s: &mut Map<String, Value>, at: &str, up: &mut Upgrade) {
    let kind = s
        .get("step_type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let params_at = format!("{at}.parameters");
    if kind == "tool" {
        tool(s, at, up);
    }
    let kind = s
        .get("step_type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    // Parameters that belong to the step, not to its type.
    let mut timeout = None;
    let mut on_error = None;
    {
        let Some(Value::Object(p)) = s.get_mut("parameters") else {
            return;
        };
        match kind.as_str() {
            "command" | "process_start" => {
                for from in ["working_directory", "cwd", "workdir"] {
                    rename(p, from, "working_dir", &params_at, up);
                }
                if kind == "command" {
                    timeout = p.remove("timeout").map(|v| (v, "timeout"));
                }
            }
            "edit_file" => {
                if let Some(op) = p.remove("operation") {
                    let field = format!("{params_at}.operation");
                    match op.as_str().map(str::to_ascii_lowercase).as_deref() {
                        Some("append") => {
                            p.insert("append".into(), Value::Bool(true));
                            up.aliases.add(format!("{params_at}.append"), field.clone());
                            up.mapped(field, "(`append`) to `append: true`");
                        }
                        Some("replace" | "overwrite" | "write") => {
                            up.mapped(
                                field,
                                "(`replace`): the content replaces the file, as by default",
                            );
                        }
                        _ => {
                            // Left for validation to report as an unknown parameter.
                            p.insert("operation".into(), op);
                        }
                    }
                }
            }
            "http" => {
                rename(p, "timeout_seconds", "timeout", &params_at, up);
                on_error = p.remove("on_error");
            }
            "llm" => {
                if let Some(Value::String(provider)) = p.get("provider") {
                    if provider.eq_ignore_ascii_case("claude") {
                        p.insert("provider".into(), Value::String("anthropic".into()));
                        up.mapped(
                            format!("{params_at}.provider"),
                            "`claude` to `anthropic` (the Messages API)",
                        );
                    }
                }
            }
            "agent" => rename(p, "task", "objective", &params_at, up),
            _ => {}
        }
    }
    if let Some((value, name)) = timeout {
        let field = format!("{params_at}.{name}");
        if s.get("timeout_seconds").is_some_and(|v| !v.is_null()) {
            up.dropped(field, "the step already sets `timeout_seconds`");
        } else {
            s.insert("timeout_seconds".into(), value);
            up.aliases
                .add(format!("{at}.timeout_seconds"), field.clone());
            up.mapped(field, "to the step's `timeout_seconds`");
        }
    }
    if let Some(value) = on_error {
        let field = format!("{params_at}.on_error");
        let go_on = matches!(value.as_str(), Some("continue" | "ignore" | "skip"));
        if s.get("continue_on_error").is_some_and(|v| !v.is_null()) {
            up.dropped(field, "the step already sets `continue_on_error`");
        } else {
            s.insert("continue_on_error".into(), Value::Bool(go_on));
            up.mapped(field, format!("to the step's `continue_on_error: {go_on}`"));
        }
    }
}

/// RustChain's `tool` step: `{tool: <name>, parameters: {…}}` (or `tool_name` and flat keys).
/// A name that is a step type becomes that step; a program with `args` (the JSON shape's
/// `{tool: echo, args: […]}`) becomes a `command`; anything else calls the registry tool of
/// that name with the rest as its `input`.
fn tool(s: &mut Map<String, Value>, at: &str, up: &mut Upgrade) {
    let params_at = format!("{at}.parameters");
    let Some(Value::Object(p)) = s.get_mut("parameters") else {
        return;
    };
    rename(p, "tool_name", "name", &params_at, up);
    let name_key = if p.contains_key("name") {
        "name"
    } else {
        "tool"
    };
    let Some(name) = p.get(name_key).and_then(Value::as_str).map(str::to_string) else {
        return;
    };
    let nested = match p.get("parameters") {
        Some(Value::Object(inner)) => Some(inner.clone()),
        _ => None,
    };
    if is_step_type(&name) {
        let mut params = nested.unwrap_or_else(|| {
            p.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "name" | "tool" | "parameters" | "input"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        });
        if let Some(Value::Object(input)) = p.get("input") {
            for (k, v) in input {
                params.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        s.insert("step_type".into(), Value::String(name.clone()));
        s.insert("parameters".into(), Value::Object(params));
        up.mapped(
            format!("{at}.step_type"),
            format!("(`tool` calling `{name}`) to a `{name}` step with the tool's parameters"),
        );
        return;
    }
    let program_with_args =
        p.get("args").is_some_and(Value::is_array) && !p.contains_key("input") && nested.is_none();
    if program_with_args {
        let args = p.get("args").cloned().unwrap_or(Value::Array(Vec::new()));
        let mut params = Map::new();
        params.insert("command".into(), Value::String(name.clone()));
        params.insert("args".into(), args);
        for (k, v) in p.iter() {
            if !matches!(k.as_str(), "name" | "tool" | "args") {
                params.insert(k.clone(), v.clone());
            }
        }
        s.insert("step_type".into(), Value::String("command".into()));
        s.insert("parameters".into(), Value::Object(params));
        up.mapped(
            format!("{at}.step_type"),
            format!("(`tool` running the program `{name}` with `args`) to a `command` step"),
        );
        return;
    }
    // A registry tool: its input is the nested `parameters`, or the flat keys besides its name.
    if let Some(inner) = nested {
        p.remove("parameters");
        if p.contains_key("input") {
            up.dropped(
                format!("{params_at}.parameters"),
                "the step already gives the tool an `input`",
            );
        } else {
            p.insert("input".into(), Value::Object(inner));
            up.aliases.add(
                format!("{params_at}.input"),
                format!("{params_at}.parameters"),
            );
            up.mapped(format!("{params_at}.parameters"), "to the tool's `input`");
        }
    }
    let flat: Vec<String> = p
        .keys()
        .filter(|k| !matches!(k.as_str(), "name" | "tool" | "input"))
        .cloned()
        .collect();
    if !flat.is_empty() && !p.contains_key("input") {
        let mut input = Map::new();
        for k in &flat {
            if let Some(v) = p.remove(k) {
                input.insert(k.clone(), v);
            }
        }
        p.insert("input".into(), Value::Object(input));
        up.mapped(
            params_at,
            format!(
                "the tool's own keys ({}) into its `input`",
                flat.iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    let _ = shown;
}
