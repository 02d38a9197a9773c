//! Variable substitution (DESIGN §4): `{{env.NAME}}`, `{{<step>.output.<path>}}` (also
//! `{{steps.<step>.output.<path>}}`), `{{context.<name>}}` and bare `{{<name>}}` (run inputs),
//! `{{config.<key>}}`, `{{state.<field>}}`, `{{mission.id}}`, `{{run.id}}`,
//! `{{run.workspace}}`, `{{run.started_at}}` (also `{{timestamp}}`).
//!
//! A parameter that is exactly one reference keeps the JSON type of what it refers to; anywhere
//! else a reference is spliced into the string. An unresolved reference is an error naming the
//! reference and the keys that exist, never an empty string. Nothing here builds shell text.

use crate::redact::Redactor;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use studio_core::StepStatus;

/// What a step id refers to when a reference names it.
pub(crate) enum StepLookup<'a> {
    Output(&'a Value),
    NoOutput(StepStatus),
    Unknown,
}

impl StepLookup<'_> {
    fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown)
    }
}

/// Everything a reference can read.
pub(crate) struct Scope<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub context: &'a BTreeMap<String, Value>,
    /// When the run started (RFC 3339): `{{run.started_at}}`, `{{timestamp}}`.
    pub started_at: &'a str,
    pub config: &'a Value,
    pub state: &'a BTreeMap<String, Value>,
    pub mission_id: &'a str,
    pub run_id: &'a str,
    pub workspace: &'a str,
    pub step: &'a dyn Fn(&str) -> StepLookup<'a>,
    /// Ids of the steps whose output can be read, for error messages.
    pub finished_steps: &'a dyn Fn() -> Vec<String>,
}

/// An unresolved reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unresolved reference `{{{{{reference}}}}}`: {reason}")]
pub(crate) struct VarError {
    pub reference: String,
    pub reason: String,
}

/// Whether a value holds any `{{`, so the common case skips substitution.
pub(crate) fn has_templates(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("{{"),
        Value::Array(items) => items.iter().any(has_templates),
        Value::Object(map) => map.values().any(has_templates),
        _ => false,
    }
}

/// Resolves every reference inside `v` (object values and array items, recursively).
pub(crate) fn resolve(
    v: &Value,
    scope: &Scope<'_>,
    secrets: &mut Redactor,
) -> Result<Value, VarError> {
    resolve_with(v, scope, secrets, &mut Err)
}

/// As [`resolve`], but a reference that cannot be resolved (yet) is left out — an empty
/// string, where it is spliced or stands alone — and named in `unknown`: what a launch
/// forecast does with values known only once the run goes (another step's output).
pub(crate) fn resolve_lenient(
    v: &Value,
    scope: &Scope<'_>,
    secrets: &mut Redactor,
    unknown: &mut Vec<String>,
) -> Value {
    let mut leave_out = |e: VarError| {
        if !unknown.contains(&e.reference) {
            unknown.push(e.reference);
        }
        Ok(Value::String(String::new()))
    };
    resolve_with(v, scope, secrets, &mut leave_out).unwrap_or(Value::Null)
}

type OnError<'f> = dyn FnMut(VarError) -> Result<Value, VarError> + 'f;

fn resolve_with(
    v: &Value,
    scope: &Scope<'_>,
    secrets: &mut Redactor,
    on_error: &mut OnError<'_>,
) -> Result<Value, VarError> {
    match v {
        Value::String(s) if s.contains("{{") => resolve_str(s, scope, secrets, on_error),
        Value::Array(items) => items
            .iter()
            .map(|i| resolve_with(i, scope, secrets, on_error))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| Ok((k.clone(), resolve_with(v, scope, secrets, on_error)?)))
            .collect::<Result<_, _>>()
            .map(Value::Object),
        other => Ok(other.clone()),
    }
}

fn resolve_str(
    s: &str,
    scope: &Scope<'_>,
    secrets: &mut Redactor,
    on_error: &mut OnError<'_>,
) -> Result<Value, VarError> {
    // Exactly one reference: keep the JSON type.
    if let Some(inner) = s.strip_prefix("{{").and_then(|r| r.strip_suffix("}}")) {
        if !inner.contains("{{") && !inner.contains("}}") {
            return lookup(inner.trim(), scope, secrets).or_else(on_error);
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open + 2..].find("}}") else {
            break;
        };
        out.push_str(&rest[..open]);
        let reference = rest[open + 2..open + 2 + close].trim();
        match lookup(reference, scope, secrets).or_else(&mut *on_error)? {
            Value::String(text) => out.push_str(&text),
            other => {
                let _ = write!(out, "{other}");
            }
        }
        rest = &rest[open + 2 + close + 2..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

fn err(reference: &str, reason: impl Into<String>) -> VarError {
    VarError {
        reference: reference.to_string(),
        reason: reason.into(),
    }
}

fn keys_of<'a>(keys: impl Iterator<Item = &'a String>) -> String {
    let keys: Vec<&str> = keys.map(String::as_str).collect();
    if keys.is_empty() {
        "none".to_string()
    } else {
        keys.join(", ")
    }
}

fn lookup(reference: &str, scope: &Scope<'_>, secrets: &mut Redactor) -> Result<Value, VarError> {
    let (root, rest) = match reference.split_once('.') {
        Some((root, rest)) => (root, Some(rest)),
        None => (reference, None),
    };
    match (root, rest) {
        ("env", Some(name)) => match (scope.env)(name) {
            Some(value) => {
                secrets.add(name, &value);
                Ok(Value::String(value))
            }
            None => Err(err(
                reference,
                format!("environment variable `{name}` is not set"),
            )),
        },
        ("context", Some(path)) => {
            let (name, tail) = split_first(path);
            let value = scope.context.get(name).ok_or_else(|| {
                err(
                    reference,
                    format!(
                        "no run input `{name}` (pass it with --var {name}=VALUE); inputs given: {}",
                        keys_of(scope.context.keys())
                    ),
                )
            })?;
            navigate(value, tail, reference)
        }
        ("config", Some(path)) => navigate(scope.config, Some(path), reference),
        ("state", Some(path)) => {
            let (name, tail) = split_first(path);
            let value = scope.state.get(name).ok_or_else(|| {
                err(
                    reference,
                    format!(
                        "mission state has no field `{name}` set; fields set: {}",
                        keys_of(scope.state.keys())
                    ),
                )
            })?;
            navigate(value, tail, reference)
        }
        ("mission", Some("id")) => Ok(Value::String(scope.mission_id.to_string())),
        ("run", Some("id")) => Ok(Value::String(scope.run_id.to_string())),
        ("run", Some("workspace")) => Ok(Value::String(scope.workspace.to_string())),
        ("run", Some("started_at")) => Ok(Value::String(scope.started_at.to_string())),
        // `{{steps.<id>.output…}}`: the long form of a step reference.
        ("steps", Some(rest)) if (scope.step)(root).is_unknown() => {
            let (step, tail) = split_first(rest);
            lookup_step(reference, step, tail, scope)
        }
        // `{{name}}`: a run input, else `{{timestamp}}`, else (for its message) a step.
        (name, None) if scope.context.contains_key(name) => Ok(scope.context[name].clone()),
        ("timestamp", None) if (scope.step)(root).is_unknown() => {
            Ok(Value::String(scope.started_at.to_string()))
        }
        _ => lookup_step(reference, root, rest, scope),
    }
}

fn lookup_step(
    reference: &str,
    root: &str,
    rest: Option<&str>,
    scope: &Scope<'_>,
) -> Result<Value, VarError> {
    match (scope.step)(root) {
        StepLookup::Output(output) => match rest {
            Some("output") => Ok(output.clone()),
            Some(path) => match path.strip_prefix("output.") {
                Some(path) => navigate(output, Some(path), reference),
                None => Err(err(
                    reference,
                    format!("a step reference reads `{root}.output` or `{root}.output.<path>`"),
                )),
            },
            None => Err(err(
                reference,
                format!("write `{root}.output` to read the step's output"),
            )),
        },
        StepLookup::NoOutput(status) => Err(err(
            reference,
            format!("step `{root}` has no output (it is {})", status.as_str()),
        )),
        StepLookup::Unknown if rest.is_none() => Err(err(
            reference,
            format!(
                "no run input `{root}` (declare it under `variables:`, or pass --var {root}=VALUE); inputs given: {}",
                keys_of(scope.context.keys())
            ),
        )),
        StepLookup::Unknown => Err(err(
            reference,
            format!(
                "`{root}` is neither a step nor one of env, context, config, state, mission.id, \
                 run.id, run.workspace, run.started_at; steps with output so far: {}",
                keys_of((scope.finished_steps)().iter())
            ),
        )),
    }
}

fn split_first(path: &str) -> (&str, Option<&str>) {
    match path.split_once('.') {
        Some((first, rest)) => (first, Some(rest)),
        None => (path, None),
    }
}

/// Walks a dotted path with optional array indexes: `items[0].name` or `items.0.name`.
fn navigate(value: &Value, path: Option<&str>, reference: &str) -> Result<Value, VarError> {
    let Some(path) = path else {
        return Ok(value.clone());
    };
    let mut current = value;
    let mut walked = String::new();
    for segment in path.split('.') {
        let (key, indexes) = match segment.find('[') {
            Some(at) => (&segment[..at], &segment[at..]),
            None => (segment, ""),
        };
        if !key.is_empty() {
            current = step_into(current, key, &walked, reference)?;
            if !walked.is_empty() {
                walked.push('.');
            }
            walked.push_str(key);
        }
        let mut idx = indexes;
        while let Some(open) = idx.strip_prefix('[') {
            let Some(close) = open.find(']') else {
                return Err(err(reference, format!("unclosed `[` in `{segment}`")));
            };
            current = step_into(current, &open[..close], &walked, reference)?;
            let _ = write!(walked, "[{}]", &open[..close]);
            idx = &open[close + 1..];
        }
        if !idx.is_empty() {
            return Err(err(
                reference,
                format!("cannot read `{idx}` in `{segment}`"),
            ));
        }
    }
    Ok(current.clone())
}

fn step_into<'v>(
    current: &'v Value,
    key: &str,
    walked: &str,
    reference: &str,
) -> Result<&'v Value, VarError> {
    let at = if walked.is_empty() {
        String::new()
    } else {
        format!(" in `{walked}`")
    };
    match current {
        Value::Object(map) => map.get(key).ok_or_else(|| {
            err(
                reference,
                format!("no key `{key}`{at}; keys: {}", keys_of(map.keys())),
            )
        }),
        Value::Array(items) => {
            let index: usize = key.parse().map_err(|_| {
                err(
                    reference,
                    format!("`{key}`{at} is not an index into a list of {}", items.len()),
                )
            })?;
            items.get(index).ok_or_else(|| {
                err(
                    reference,
                    format!(
                        "index {index}{at} is out of range (the list has {})",
                        items.len()
                    ),
                )
            })
        }
        other => Err(err(
            reference,
            format!(
                "cannot read `{key}`{at}: the value there is {}",
                kind_of(other)
            ),
        )),
    }
}

pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(n) if n.is_f64() => "a float",
        Value::Number(_) => "an int",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod fuzz_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Fixture {
        context: BTreeMap<String, Value>,
        state: BTreeMap<String, Value>,
        config: Value,
        fetch: Value,
    }

    impl Fixture {
        fn new() -> Self {
            Self {
                context: BTreeMap::from([("who".to_string(), json!("world"))]),
                state: BTreeMap::from([("count".to_string(), json!(3))]),
                config: json!({"fail_fast": true, "max_concurrent_steps": 4}),
                fetch: json!({"status": 200, "json": {"items": [{"name": "a"}, {"name": "b"}]}}),
            }
        }

        fn run(&self, v: Value) -> Result<Value, VarError> {
            let env = |name: &str| (name == "TOKEN").then(|| "tok-123456".to_string());
            let step = |id: &str| match id {
                "fetch" => StepLookup::Output(&self.fetch),
                "skipped_one" => StepLookup::NoOutput(StepStatus::Skipped),
                _ => StepLookup::Unknown,
            };
            let finished = || vec!["fetch".to_string()];
            let scope = Scope {
                env: &env,
                context: &self.context,
                started_at: "2026-01-02T03:04:05.000Z",
                config: &self.config,
                state: &self.state,
                mission_id: "com.example.m",
                run_id: "run-1",
                workspace: "/tmp/ws",
                step: &step,
                finished_steps: &finished,
            };
            resolve(&v, &scope, &mut Redactor::default())
        }
    }

    #[test]
    fn a_lone_reference_keeps_its_json_type() {
        let f = Fixture::new();
        assert_eq!(f.run(json!("{{fetch.output.status}}")).unwrap(), json!(200));
        assert_eq!(
            f.run(json!("{{ fetch.output.json.items }}")).unwrap(),
            json!([{"name": "a"}, {"name": "b"}])
        );
        assert_eq!(f.run(json!("{{state.count}}")).unwrap(), json!(3));
        assert_eq!(f.run(json!("{{config.fail_fast}}")).unwrap(), json!(true));
    }

    #[test]
    fn rustchain_forms_resolve_inputs_steps_and_the_start_time() {
        let f = Fixture::new();
        assert_eq!(
            f.run(json!("hello {{ who }}")).unwrap(),
            json!("hello world")
        );
        assert_eq!(
            f.run(json!("{{steps.fetch.output.status}}")).unwrap(),
            json!(200)
        );
        assert_eq!(
            f.run(json!("at {{timestamp}} / {{run.started_at}}"))
                .unwrap(),
            json!("at 2026-01-02T03:04:05.000Z / 2026-01-02T03:04:05.000Z")
        );
        let e = f.run(json!("{{nobody}}")).unwrap_err();
        assert!(e.reason.contains("--var nobody=VALUE"), "{e}");
        assert!(e.reason.contains("inputs given: who"), "{e}");
    }

    #[test]
    fn references_inside_text_are_spliced_in() {
        let f = Fixture::new();
        let v = f
            .run(json!({"a": ["hello {{context.who}} #{{state.count}} {{fetch.output.json.items[1].name}}"],
                        "b": "{{mission.id}}/{{run.id}}/{{run.workspace}}/{{fetch.output.json.items.0.name}}"}))
            .unwrap();
        assert_eq!(v["a"][0], "hello world #3 b");
        assert_eq!(v["b"], "com.example.m/run-1//tmp/ws/a");
    }

    #[test]
    fn unresolved_references_name_themselves_and_the_existing_keys() {
        let f = Fixture::new();
        let e = f.run(json!("x {{fetch.output.json.nope}}")).unwrap_err();
        assert!(
            e.to_string().contains("`{{fetch.output.json.nope}}`"),
            "{e}"
        );
        assert!(e.reason.contains("keys: items"), "{e}");
        let e = f.run(json!("{{context.missing}}")).unwrap_err();
        assert!(e.reason.contains("inputs given: who"), "{e}");
        let e = f.run(json!("{{state.nope}}")).unwrap_err();
        assert!(e.reason.contains("fields set: count"), "{e}");
        let e = f.run(json!("{{ghost.output}}")).unwrap_err();
        assert!(e.reason.contains("steps with output so far: fetch"), "{e}");
        let e = f.run(json!("{{skipped_one.output.x}}")).unwrap_err();
        assert!(e.reason.contains("skipped"), "{e}");
        let e = f.run(json!("{{env.NOPE}}")).unwrap_err();
        assert!(e.reason.contains("`NOPE` is not set"), "{e}");
        let e = f.run(json!("{{fetch.output.json.items[9]}}")).unwrap_err();
        assert!(e.reason.contains("out of range"), "{e}");
    }

    #[test]
    fn env_values_are_recorded_as_secrets() {
        let f = Fixture::new();
        let env = |_: &str| Some("tok-123456".to_string());
        let step = |_: &str| StepLookup::Unknown;
        let finished = Vec::new;
        let scope = Scope {
            env: &env,
            context: &f.context,
            started_at: "2026-01-02T03:04:05.000Z",
            config: &f.config,
            state: &f.state,
            mission_id: "m",
            run_id: "r",
            workspace: "w",
            step: &step,
            finished_steps: &finished,
        };
        let mut secrets = Redactor::default();
        let v = resolve(&json!("Bearer {{env.TOKEN}}"), &scope, &mut secrets).unwrap();
        assert_eq!(
            v,
            json!("Bearer tok-123456"),
            "the step itself sees the real value"
        );
        assert_eq!(
            secrets.text("Bearer tok-123456"),
            "Bearer [redacted:env.TOKEN]"
        );
    }

    #[test]
    fn text_without_braces_is_left_alone() {
        let f = Fixture::new();
        assert!(!has_templates(&json!({"a": ["x"], "b": 1})));
        assert!(has_templates(&json!({"a": ["{{x}}"]})));
        assert_eq!(f.run(json!("half {{ open")).unwrap(), json!("half {{ open"));
    }
}
