//! What each available step type takes as `parameters` and gives as `output` (DESIGN §5).
//!
//! One table, used by validation here and by the engine when it reads parameters, so the two
//! never disagree. A string that is exactly one `{{reference}}` is accepted for a parameter of
//! any type: its value is only known when the mission runs.

use crate::variables::single_reference;
use serde_json::Value;

/// The type a parameter's value must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    String,
    Bool,
    /// A whole number ≥ 0 (see [`whole_number`]).
    Integer,
    /// A whole number ≥ 1 (see [`whole_number`]).
    PositiveInteger,
    /// Any number.
    Number,
    /// A list of strings (numbers and booleans are accepted and used as text).
    StringList,
    /// A mapping of names to values (values that are not strings are used as their JSON text).
    StringMap,
    /// Any JSON value (a string is sent as is, anything else as JSON).
    Any,
    /// One of the listed strings.
    Choice(&'static [&'static str]),
    /// An HTTP method, in any case.
    HttpMethod,
}

/// A whole number ≥ 0 as the engine reads it: an integer, a non-negative decimal (rounded
/// up) or a string of digits.
pub fn whole_number(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| {
            value
                .as_f64()
                .filter(|f| *f >= 0.0 && f.is_finite())
                .map(|f| f.ceil() as u64)
        })
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

/// The model providers every build knows; others come from the operator's provider table.
pub const BUILTIN_PROVIDERS: &[&str] = &["default", "simulated", "openai", "ollama", "anthropic"];

/// HTTP methods the `http` step accepts.
pub const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

impl ParamType {
    /// How the type is named in messages and documentation.
    pub fn describe(self) -> String {
        match self {
            Self::String => "a string".into(),
            Self::Bool => "true or false".into(),
            Self::Integer => "a whole number (0 or more)".into(),
            Self::PositiveInteger => "a whole number (1 or more)".into(),
            Self::Number => "a number".into(),
            Self::StringList => "a list of strings".into(),
            Self::StringMap => "a mapping of names to values".into(),
            Self::Any => "any value".into(),
            Self::Choice(options) => format!("one of {}", options.join(", ")),
            Self::HttpMethod => format!("an HTTP method ({})", HTTP_METHODS.join(", ")),
        }
    }

    /// Whether `value` has this type (a whole-value `{{reference}}` always does).
    pub fn accepts(self, value: &Value) -> bool {
        if let Value::String(s) = value {
            if single_reference(s).is_some() {
                return true;
            }
        }
        let scalar = |v: &Value| !matches!(v, Value::Array(_) | Value::Object(_));
        match self {
            Self::String => value.is_string(),
            Self::Bool => value.is_boolean() || matches!(value.as_str(), Some("true" | "false")),
            Self::Integer => whole_number(value).is_some(),
            Self::PositiveInteger => whole_number(value).is_some_and(|n| n >= 1),
            Self::Number => value.is_number(),
            Self::StringList => value
                .as_array()
                .is_some_and(|items| items.iter().all(scalar)),
            Self::StringMap => value.is_object(),
            Self::Any => true,
            Self::Choice(options) => value.as_str().is_some_and(|s| options.contains(&s)),
            Self::HttpMethod => value
                .as_str()
                .is_some_and(|s| HTTP_METHODS.contains(&s.to_ascii_uppercase().as_str())),
        }
    }
}

/// One parameter of a step type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSpec {
    pub name: &'static str,
    pub ty: ParamType,
    pub required: bool,
    pub doc: &'static str,
}

/// A rule across parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamRule {
    /// Exactly one of these must be given.
    ExactlyOne(&'static [&'static str]),
    /// At most one of these may be given.
    AtMostOne(&'static [&'static str]),
    /// The first is only meaningful with the second.
    Requires(&'static str, &'static str),
}

/// One field of a step type's output (`{{id.output.<name>}}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputField {
    pub name: &'static str,
    pub doc: &'static str,
}

/// Parameters and output of one step type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepParams {
    pub step_type: &'static str,
    pub summary: &'static str,
    pub params: &'static [ParamSpec],
    /// Any parameter is accepted (none is reported as unknown).
    pub any_parameters: bool,
    pub rules: &'static [ParamRule],
    /// Other spellings accepted for a parameter: (alias, parameter).
    pub aliases: &'static [(&'static str, &'static str)],
    pub output: &'static [OutputField],
    /// The output is the step's (resolved) parameters, so its fields are the parameter names.
    pub output_is_parameters: bool,
}

impl StepParams {
    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The parameter a key stands for (itself, or the parameter it is an alias of).
    pub fn canonical<'k>(&self, key: &'k str) -> &'k str {
        self.aliases
            .iter()
            .find(|(alias, _)| *alias == key)
            .map_or(key, |(_, name)| *name)
    }

    pub fn output_field(&self, name: &str) -> Option<&'static OutputField> {
        self.output.iter().find(|f| f.name == name)
    }
}

const fn req(name: &'static str, ty: ParamType, doc: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        ty,
        required: true,
        doc,
    }
}

const fn opt(name: &'static str, ty: ParamType, doc: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        ty,
        required: false,
        doc,
    }
}

const fn out(name: &'static str, doc: &'static str) -> OutputField {
    OutputField { name, doc }
}

const PATH_DOC: &str = "path inside the run's workspace (no `..`, not absolute)";
const NO_RULES: &[ParamRule] = &[];
const NO_ALIASES: &[(&str, &str)] = &[];
const FILE_MOVES: &[(&str, &str)] = &[
    ("from", "source"),
    ("src", "source"),
    ("to", "destination"),
    ("dest", "destination"),
];

mod agents;
mod builtin;
mod code;
pub mod csv_ops;
mod data;
mod db;
mod git;
mod inference;
mod input_schema;
pub mod knowledge;
mod network;
mod system;

pub use input_schema::input_schema;

/// The step type families, each in its own file, in the order the reference lists them.
const FAMILIES: &[&[StepParams]] = &[
    builtin::STEPS,
    data::STEPS,
    db::STEPS,
    git::STEPS,
    code::STEPS,
    system::STEPS,
    network::STEPS,
    agents::STEPS,
    inference::STEPS,
    knowledge::STEPS,
];

/// The parameters and outputs of the step types this build can run (as the engine reads them).
pub fn step_params() -> impl Iterator<Item = &'static StepParams> {
    FAMILIES.iter().flat_map(|family| family.iter())
}

/// The parameter table of a step type, when it has one.
pub fn params_of(step_type: &str) -> Option<&'static StepParams> {
    step_params().find(|p| p.step_type == step_type)
}

/// What is wrong with one parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    Missing,
    WrongType,
    /// Not a parameter of this step type (it would be ignored).
    Unknown,
    Conflict,
}

/// A problem with a step's parameters. `param` is the key it is about ("" = `parameters`
/// itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamProblem {
    pub kind: ProblemKind,
    pub param: String,
    pub message: String,
    pub help: String,
}

/// Checks a step's `parameters` against its step type's table.
pub fn check_parameters(spec: &StepParams, parameters: &Value) -> Vec<ParamProblem> {
    let mut problems = Vec::new();
    let empty = serde_json::Map::new();
    let map = match parameters {
        Value::Object(map) => map,
        Value::Null => &empty,
        other => {
            problems.push(ParamProblem {
                kind: ProblemKind::WrongType,
                param: String::new(),
                message: format!(
                    "`parameters` must be a mapping, found {}",
                    describe_value(other)
                ),
                help: format!(
                    "write the parameters of `{}` as `name: value` lines",
                    spec.step_type
                ),
            });
            return problems;
        }
    };
    let ty = spec.step_type;
    // A null value counts as absent, as the engine reads it.
    let present = |name: &str| {
        map.iter()
            .any(|(k, v)| !v.is_null() && spec.canonical(k) == name)
    };

    for (key, value) in map {
        let name = spec.canonical(key);
        if value.is_null() {
            continue;
        }
        if name != key && map.get(name).is_some_and(|v| !v.is_null()) {
            problems.push(ParamProblem {
                kind: ProblemKind::Conflict,
                param: key.clone(),
                message: format!("`{key}` and `{name}` are the same parameter of `{ty}`"),
                help: format!("keep only `{name}`"),
            });
            continue;
        }
        match spec.param(name) {
            Some(param) if !param.ty.accepts(value) => problems.push(ParamProblem {
                kind: ProblemKind::WrongType,
                param: key.clone(),
                message: format!(
                    "`{key}` of `{ty}` must be {}, found {}",
                    param.ty.describe(),
                    describe_value(value)
                ),
                help: match (param.ty, value) {
                    (ParamType::StringList, Value::String(_)) => {
                        format!("write `{key}` as a list: [\"a\", \"b\"]")
                    }
                    _ => format!("`{key}`: {}", param.doc),
                },
            }),
            Some(_) => {}
            None if spec.any_parameters => {}
            None => {
                let known: Vec<&str> = spec
                    .params
                    .iter()
                    .map(|p| p.name)
                    .chain(spec.aliases.iter().map(|(a, _)| *a))
                    .collect();
                let help = match crate::suggest::did_you_mean(key, known.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if known.is_empty() => format!("`{ty}` takes no parameters"),
                    None => format!("`{ty}` takes: {}", known.join(", ")),
                };
                problems.push(ParamProblem {
                    kind: ProblemKind::Unknown,
                    param: key.clone(),
                    message: format!("`{key}` is not a parameter of `{ty}`; it is ignored"),
                    help,
                });
            }
        }
    }

    for param in spec.params.iter().filter(|p| p.required) {
        if !present(param.name) {
            problems.push(ParamProblem {
                kind: ProblemKind::Missing,
                param: param.name.to_string(),
                message: format!("`{ty}` needs the parameter `{}`", param.name),
                help: format!(
                    "add `{}:` ({}) under `parameters`: {}",
                    param.name,
                    param.ty.describe(),
                    param.doc
                ),
            });
        }
    }

    for rule in spec.rules {
        match *rule {
            ParamRule::ExactlyOne(names) => {
                let given: Vec<&str> = names.iter().copied().filter(|n| present(n)).collect();
                if given.is_empty() {
                    problems.push(ParamProblem {
                        kind: ProblemKind::Missing,
                        param: names[0].to_string(),
                        message: format!("`{ty}` needs one of {}", quote_list(names)),
                        help: format!("add one of {} under `parameters`", quote_list(names)),
                    });
                } else if given.len() > 1 {
                    problems.push(ParamProblem {
                        kind: ProblemKind::Conflict,
                        param: given[1].to_string(),
                        message: format!("`{ty}` takes only one of {}", quote_list(names)),
                        help: format!("keep `{}` or `{}`, not both", given[0], given[1]),
                    });
                }
            }
            ParamRule::Requires(param, needs) => {
                if present(param) && !present(needs) {
                    problems.push(ParamProblem {
                        kind: ProblemKind::Missing,
                        param: needs.to_string(),
                        message: format!("`{param}` of `{ty}` is only used with `{needs}`"),
                        help: format!("add `{needs}`, or remove `{param}`"),
                    });
                }
            }
            ParamRule::AtMostOne(names) => {
                let given: Vec<&str> = names.iter().copied().filter(|n| present(n)).collect();
                if given.len() > 1 {
                    problems.push(ParamProblem {
                        kind: ProblemKind::Conflict,
                        param: given[1].to_string(),
                        message: format!("`{ty}` takes only one of {}", quote_list(names)),
                        help: format!("keep `{}` or `{}`, not both", given[0], given[1]),
                    });
                }
            }
        }
    }
    problems
}

fn quote_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// How a JSON value is named in messages: "a string", "a list", ….
pub fn describe_value(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "true/false",
        Value::Number(n) if n.is_f64() => "a decimal number",
        Value::Number(n) if n.is_i64() && n.as_i64().is_some_and(|i| i < 0) => "a negative number",
        Value::Number(_) => "a whole number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step_types::{StepTypeStatus, STEP_TYPES};
    use serde_json::json;

    fn problems(step_type: &str, params: Value) -> Vec<(ProblemKind, String)> {
        check_parameters(params_of(step_type).unwrap(), &params)
            .into_iter()
            .map(|p| (p.kind, p.param))
            .collect()
    }

    #[test]
    fn every_available_step_type_has_a_parameter_table() {
        for info in STEP_TYPES
            .iter()
            .filter(|i| i.status() == StepTypeStatus::Available)
        {
            assert!(
                params_of(info.name).is_some(),
                "`{}` is available but has no table",
                info.name
            );
        }
        for spec in step_params() {
            assert!(
                crate::step_types::step_type(spec.step_type).is_some(),
                "{} is not in the catalogue",
                spec.step_type
            );
        }
    }

    #[test]
    fn a_valid_command_has_no_problems() {
        let params = json!({"command": "echo", "args": ["a", 1, "{{x.output.n}}"], "env": {"N": 1}, "stdin": "x"});
        assert_eq!(problems("command", params), vec![]);
    }

    #[test]
    fn missing_and_mistyped_parameters_are_named() {
        let got = problems(
            "command",
            json!({"args": "a b", "working_dir": 3, "env": ["A"]}),
        );
        assert!(
            got.contains(&(ProblemKind::Missing, "command".into())),
            "{got:?}"
        );
        for param in ["args", "working_dir", "env"] {
            assert!(
                got.contains(&(ProblemKind::WrongType, param.into())),
                "{param}: {got:?}"
            );
        }
        let got = problems(
            "http",
            json!({"url": "u", "method": "FETCH", "timeout": -1}),
        );
        assert_eq!(
            got,
            vec![
                (ProblemKind::WrongType, "method".into()),
                (ProblemKind::WrongType, "timeout".into())
            ]
        );
        assert_eq!(
            problems("http", json!({"url": "u", "method": "post"})),
            vec![],
            "any case"
        );
    }

    #[test]
    fn values_are_read_as_leniently_as_the_engine_reads_them() {
        let lenient = json!({"path": "a", "recursive": "true", "content": "x"});
        assert_eq!(
            problems("list_directory", json!({"recursive": "true"})),
            vec![]
        );
        assert_eq!(
            problems("read_file", json!({"path": "a", "max_bytes": "1024"})),
            vec![]
        );
        assert_eq!(
            problems("read_file", json!({"path": "a", "max_bytes": 1.5})),
            vec![]
        );
        assert_eq!(
            problems("create_file", json!({"path": "a", "content": {"k": 1}})),
            vec![]
        );
        assert_eq!(
            problems("create_file", json!({"path": "a", "content": null})),
            vec![],
            "null is absent"
        );
        assert_eq!(
            problems("create_file", json!({"path": null})),
            vec![(ProblemKind::Missing, "path".into())]
        );
        assert!(
            !problems("list_directory", lenient).is_empty(),
            "`content` is not a list_directory parameter"
        );
    }

    #[test]
    fn a_whole_reference_stands_for_any_type() {
        assert_eq!(
            problems(
                "list_directory",
                json!({"path": ".", "recursive": "{{context.deep}}"})
            ),
            vec![]
        );
        assert_eq!(
            problems(
                "list_directory",
                json!({"path": ".", "recursive": "yes {{context.deep}}"})
            ),
            vec![(ProblemKind::WrongType, "recursive".into())]
        );
    }

    #[test]
    fn rules_and_aliases_are_applied() {
        assert_eq!(
            problems("parse_json", json!({})),
            vec![(ProblemKind::Missing, "content".into())]
        );
        assert_eq!(
            problems("parse_json", json!({"content": "{}", "path": "a"})),
            vec![(ProblemKind::Conflict, "path".into())]
        );
        assert_eq!(
            problems(
                "edit_file",
                json!({"path": "a", "find": "x", "replace": "y"})
            ),
            vec![]
        );
        assert_eq!(
            problems(
                "edit_file",
                json!({"path": "a", "content": "b", "replace": "y"})
            ),
            vec![(ProblemKind::Missing, "find".into())]
        );
        assert_eq!(
            problems("copy_file", json!({"from": "a", "to": "b"})),
            vec![],
            "RustChain spellings"
        );
        assert_eq!(
            problems(
                "copy_file",
                json!({"from": "a", "source": "b", "destination": "c"})
            ),
            vec![(ProblemKind::Conflict, "from".into())]
        );
    }

    #[test]
    fn unknown_parameters_get_a_suggestion() {
        let spec = params_of("create_file").unwrap();
        let got = check_parameters(spec, &json!({"path": "a", "contents": "x"}));
        let unknown = got.iter().find(|p| p.kind == ProblemKind::Unknown).unwrap();
        assert_eq!(unknown.help, "did you mean `content`?");
        assert_eq!(
            problems("noop", json!({"anything": 1})),
            vec![],
            "noop takes any parameters"
        );
    }

    #[test]
    fn parameters_that_are_not_a_mapping_are_refused() {
        assert_eq!(
            problems("command", json!(["echo"])),
            vec![(ProblemKind::WrongType, String::new())]
        );
        assert_eq!(problems("noop", Value::Null), vec![]);
    }
}
