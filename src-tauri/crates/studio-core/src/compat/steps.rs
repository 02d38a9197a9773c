//! Step-level shapes: the JSON shape's keys, step type spellings, `null`s, keys that have no
//! meaning here, and RustChain's single-brace references to an answer in file contents.

use super::{params, rename, shown, Upgrade};
use crate::diagnostic::Code;
use crate::step_types::step_type;
use serde_json::{Map, Value};

pub(super) fn upgrade_step(step: &mut Value, i: usize, up: &mut Upgrade) {
    let Value::Object(s) = step else {
        return;
    };
    let at = format!("steps[{i}]");
    // The JSON shape: `config` holds the parameters.
    if let Some(config) = s.remove("config") {
        if s.get("parameters").is_none_or(Value::is_null) {
            s.insert("parameters".into(), config);
            up.aliases
                .add(format!("{at}.parameters"), format!("{at}.config"));
            up.mapped(format!("{at}.config"), "to `parameters`");
        } else {
            up.warning(
                Code::UnknownField,
                format!("{at}.config"),
                "the step has both `parameters` and `config`; `config` is ignored",
                "keep the step's parameters under `parameters` only",
            );
        }
    }
    rename(s, "dependencies", "depends_on", &at, up);
    rename(s, "timeout", "timeout_seconds", &at, up);
    for from in ["retry_count", "retries", "max_retries"] {
        rename(s, from, "retry_attempts", &at, up);
    }
    on_failure(s, &at, up);
    step_type_name(s, &at, up);
    match s.get("depends_on") {
        Some(Value::Null) => {
            s.remove("depends_on");
        }
        Some(Value::String(one)) => {
            let one = one.clone();
            s.insert("depends_on".into(), Value::Array(vec![Value::String(one)]));
            up.mapped(format!("{at}.depends_on"), "(one id) to a list of one");
        }
        _ => {}
    }
    if s.get("parameters").is_some_and(Value::is_null) {
        s.insert("parameters".into(), Value::Object(Map::new()));
    }
    if s.remove("parallel").is_some() {
        up.dropped(
            format!("{at}.parallel"),
            "steps run in parallel whenever no dependency orders them",
        );
    }
    if s.get("outputs").is_some() {
        s.remove("outputs");
        up.dropped(
            format!("{at}.outputs"),
            "read a step's results as `{{<step>.output.<field>}}`",
        );
    }
    params::upgrade_parameters(s, &at, up);
}

/// `on_failure: continue | abort` of the JSON shape.
fn on_failure(s: &mut Map<String, Value>, at: &str, up: &mut Upgrade) {
    let Some(value) = s.remove("on_failure") else {
        return;
    };
    let field = format!("{at}.on_failure");
    let go_on = match value.as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("continue" | "ignore" | "skip" | "warn") => true,
        Some("abort" | "fail" | "stop" | "halt") => false,
        _ => {
            up.warning(
                Code::UnknownField,
                field,
                format!(
                    "`on_failure: {}` is not understood; it is ignored",
                    shown(&value)
                ),
                "use `continue_on_error: true` to go on after a failure",
            );
            return;
        }
    };
    if s.get("continue_on_error").is_some_and(|v| !v.is_null()) {
        up.dropped(field, "the step already sets `continue_on_error`");
        return;
    }
    s.insert("continue_on_error".into(), Value::Bool(go_on));
    up.aliases
        .add(format!("{at}.continue_on_error"), field.clone());
    up.mapped(field, format!("to `continue_on_error: {go_on}`"));
}

/// `CreateFile`, `create-file`, `{type: create_file}` → `create_file`.
fn step_type_name(s: &mut Map<String, Value>, at: &str, up: &mut Upgrade) {
    let field = format!("{at}.step_type");
    if let Some(Value::Object(form)) = s.get("step_type") {
        if let Some(Value::String(name)) = form.get("type") {
            let name = name.clone();
            s.insert("step_type".into(), Value::String(name.clone()));
            up.mapped(field.clone(), format!("(`{{type: {name}}}`) to `{name}`"));
        }
    }
    let Some(Value::String(name)) = s.get("step_type") else {
        return;
    };
    if step_type(name).is_some() {
        return;
    }
    let snake = snake_case(name);
    if step_type(&snake).is_some() {
        up.mapped(field, format!("`{name}` to `{snake}`"));
        s.insert("step_type".into(), Value::String(snake));
    }
}

/// `CreateFile` → `create_file`, `RAGQuery` → `rag_query`, `parse-json` → `parse_json`.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c == '-' || c == ' ' {
            out.push('_');
            continue;
        }
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(|n| n.is_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Step types whose answer RustChain names `{<id>}`, `{<id>_result}`, `{<id>_response}`.
const ANSWERING: &[&str] = &["llm", "agent", "chain"];

/// RustChain substitutes `{<id>}`, `{<id>_result}` and `{<id>_response}` (single braces) in
/// a file's content with the answer of an `llm`, `agent` or `chain` step. They become
/// `{{<id>.output.text}}`, and the step that reads the answer depends on the one that gives
/// it. Any other single-brace text (code, JSON) is left exactly as it is.
pub(super) fn single_brace_references(top: &mut Map<String, Value>, up: &mut Upgrade) {
    let Some(Value::Array(steps)) = top.get_mut("steps") else {
        return;
    };
    let answering: Vec<String> = steps
        .iter()
        .filter(|s| {
            s.get("step_type")
                .and_then(Value::as_str)
                .is_some_and(|t| ANSWERING.contains(&t))
        })
        .filter_map(|s| s.get("id").and_then(Value::as_str).map(str::to_string))
        .collect();
    if answering.is_empty() {
        return;
    }
    for (i, step) in steps.iter_mut().enumerate() {
        let Value::Object(s) = step else { continue };
        let kind = s
            .get("step_type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !matches!(kind, "create_file" | "edit_file") {
            continue;
        }
        let me = s.get("id").map(shown).unwrap_or_default();
        let Some(Value::String(content)) = s.get("parameters").and_then(|p| p.get("content"))
        else {
            continue;
        };
        let (rewritten, read) = rewrite_single_braces(content, &answering);
        if read.is_empty() {
            continue;
        }
        if let Some(Value::Object(p)) = s.get_mut("parameters") {
            p.insert("content".into(), Value::String(rewritten));
        }
        let field = format!("steps[{i}].parameters.content");
        for id in read {
            if id == me {
                continue;
            }
            up.mapped(
                field.clone(),
                format!("`{{{id}…}}` (RustChain's answer reference) to `{{{{{id}.output.text}}}}`"),
            );
            let depends = s
                .entry("depends_on")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = depends {
                if !list.iter().any(|d| d.as_str() == Some(id.as_str())) {
                    list.push(Value::String(id.clone()));
                    up.mapped(
                        format!("steps[{i}].depends_on"),
                        format!("with `{id}`: the content reads its answer"),
                    );
                }
            }
        }
    }
}

/// Replaces `{id}`, `{id_result}`, `{id_response}` (single braces, not part of `{{…}}`) for
/// the given ids; returns the text and the ids read, in order, without repeats.
fn rewrite_single_braces(text: &str, ids: &[String]) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut read: Vec<String> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' && bytes.get(i + 1) != Some(&b'{') && (i == 0 || bytes[i - 1] != b'{') {
            if let Some(len) = text[i + 1..].find('}') {
                let inner = &text[i + 1..i + 1 + len];
                let after = i + 1 + len + 1;
                let doubled = bytes.get(after) == Some(&b'}');
                let target = ids.iter().find(|id| {
                    inner == id.as_str()
                        || inner
                            .strip_prefix(id.as_str())
                            .is_some_and(|rest| rest == "_result" || rest == "_response")
                });
                if let (Some(id), false) = (target, doubled) {
                    out.push_str(&text[copied..i]);
                    out.push_str(&format!("{{{{{id}.output.text}}}}"));
                    if !read.contains(id) {
                        read.push(id.clone());
                    }
                    i = after;
                    copied = after;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    (out, read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_type_spellings_become_snake_case() {
        assert_eq!(snake_case("CreateFile"), "create_file");
        assert_eq!(snake_case("Tool"), "tool");
        assert_eq!(snake_case("RAGQuery"), "rag_query");
        assert_eq!(snake_case("parse-json"), "parse_json");
        assert_eq!(snake_case("GitStatus"), "git_status");
        assert_eq!(snake_case("llm"), "llm");
    }

    #[test]
    fn only_answer_references_are_rewritten() {
        let ids = vec!["step1".to_string(), "analyze".to_string()];
        let (text, read) = rewrite_single_braces(
            "A {step1} B {analyze_result} C {step1_response} f\"{message}\" {{step1.output}} {{x}}",
            &ids,
        );
        assert_eq!(
            text,
            "A {{step1.output.text}} B {{analyze.output.text}} C {{step1.output.text}} f\"{message}\" {{step1.output}} {{x}}"
        );
        assert_eq!(read, ["step1", "analyze"]);
        let (same, none) = rewrite_single_braces("fn main() { println!(\"{}\") }", &ids);
        assert_eq!(same, "fn main() { println!(\"{}\") }");
        assert!(none.is_empty());
    }
}
