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
    /// A whole number ≥ 0.
    Integer,
    /// A whole number ≥ 1.
    PositiveInteger,
    /// Any number.
    Number,
    /// A list of strings.
    StringList,
    /// A mapping whose values are strings (numbers and booleans are accepted and used as text).
    StringMap,
    /// Any JSON value (a string is sent as is, anything else as JSON).
    Any,
    /// One of the listed strings.
    Choice(&'static [&'static str]),
    /// An HTTP method, in any case.
    HttpMethod,
}

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
            Self::StringMap => "a mapping of names to strings".into(),
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
        let scalar = |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
        match self {
            Self::String => value.is_string(),
            Self::Bool => value.is_boolean(),
            Self::Integer => value.is_u64(),
            Self::PositiveInteger => value.as_u64().is_some_and(|n| n >= 1),
            Self::Number => value.is_number(),
            Self::StringList => value
                .as_array()
                .is_some_and(|items| items.iter().all(|item| item.is_string())),
            Self::StringMap => value
                .as_object()
                .is_some_and(|map| map.values().all(scalar)),
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
    pub rules: &'static [ParamRule],
    /// Other spellings accepted for a parameter: (alias, parameter).
    pub aliases: &'static [(&'static str, &'static str)],
    pub output: &'static [OutputField],
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

/// The parameters and outputs of the step types this build can run, plus `llm`.
pub const STEP_PARAMS: &[StepParams] = &[
    StepParams {
        step_type: "noop",
        summary: "Does nothing and succeeds; useful to join branches.",
        params: &[],
        rules: &[],
        aliases: &[],
        output: &[],
    },
    StepParams {
        step_type: "command",
        summary: "Runs a program with an argument list (no shell); the whole process tree is stopped on timeout or cancel.",
        params: &[
            req("command", ParamType::String, "the program to run (looked up in PATH)"),
            opt("args", ParamType::StringList, "its arguments, one string each; `{{…}}` inside one stays inside that argument"),
            opt("working_dir", ParamType::String, "directory inside the workspace to run in (default: the workspace)"),
            opt("env", ParamType::StringMap, "extra environment variables"),
        ],
        rules: &[],
        aliases: &[],
        output: &[
            out("exit_code", "the program's exit status"),
            out("stdout", "what it wrote on standard output"),
            out("stderr", "what it wrote on standard error"),
        ],
    },
    StepParams {
        step_type: "create_file",
        summary: "Writes a new file in the workspace.",
        params: &[
            req("path", ParamType::String, PATH_DOC),
            req("content", ParamType::String, "the file's text"),
            opt("mode", ParamType::String, "Unix permissions in octal, e.g. \"644\""),
        ],
        rules: &[],
        aliases: &[],
        output: &[out("path", "the file written"), out("bytes", "its size in bytes")],
    },
    StepParams {
        step_type: "edit_file",
        summary: "Replaces or appends to a file in the workspace, optionally keeping a backup.",
        params: &[
            req("path", ParamType::String, PATH_DOC),
            req("content", ParamType::String, "the new text, or the text to append"),
            opt("mode", ParamType::Choice(&["replace", "append"]), "replace (default) or append"),
            opt("append", ParamType::Bool, "RustChain spelling: true = mode append"),
            opt("backup", ParamType::Bool, "keep the previous content as `<path>.bak` (default false)"),
        ],
        rules: &[ParamRule::AtMostOne(&["mode", "append"])],
        aliases: &[],
        output: &[out("path", "the file written"), out("bytes", "its size in bytes after the edit")],
    },
    StepParams {
        step_type: "delete_file",
        summary: "Deletes a file in the workspace.",
        params: &[req("path", ParamType::String, PATH_DOC)],
        rules: &[],
        aliases: &[],
        output: &[out("path", "the file deleted")],
    },
    StepParams {
        step_type: "copy_file",
        summary: "Copies a file inside the workspace.",
        params: &[
            req("source", ParamType::String, PATH_DOC),
            req("destination", ParamType::String, PATH_DOC),
        ],
        rules: &[],
        aliases: &[],
        output: &[
            out("source", "the file copied"),
            out("destination", "the copy"),
            out("bytes", "bytes copied"),
        ],
    },
    StepParams {
        step_type: "move_file",
        summary: "Moves or renames a file inside the workspace.",
        params: &[
            req("source", ParamType::String, PATH_DOC),
            req("destination", ParamType::String, PATH_DOC),
        ],
        rules: &[],
        aliases: &[],
        output: &[
            out("source", "where the file was"),
            out("destination", "where it is now"),
            out("bytes", "its size in bytes"),
        ],
    },
    StepParams {
        step_type: "read_file",
        summary: "Reads a text file of the workspace into the step's output.",
        params: &[req("path", ParamType::String, PATH_DOC)],
        rules: &[],
        aliases: &[],
        output: &[
            out("path", "the file read"),
            out("content", "its text"),
            out("size", "its size in bytes"),
        ],
    },
    StepParams {
        step_type: "list_directory",
        summary: "Lists a directory of the workspace.",
        params: &[
            req("path", ParamType::String, PATH_DOC),
            opt("recursive", ParamType::Bool, "also list sub-directories (default false)"),
        ],
        rules: &[],
        aliases: &[],
        output: &[out("entries", "the entries: [{path, kind: file|dir, size}]")],
    },
    StepParams {
        step_type: "file_search",
        summary: "Finds files under a workspace directory whose name matches a glob pattern.",
        params: &[
            req("path", ParamType::String, PATH_DOC),
            req("pattern", ParamType::String, "glob pattern, e.g. \"*.md\" or \"**/*.rs\""),
        ],
        rules: &[],
        aliases: &[],
        output: &[out("matches", "matching paths, relative to the workspace")],
    },
    StepParams {
        step_type: "parse_json",
        summary: "Parses JSON text (given, or read from a workspace file).",
        params: &[
            opt("content", ParamType::String, "the JSON text"),
            opt("path", ParamType::String, PATH_DOC),
        ],
        rules: &[ParamRule::ExactlyOne(&["content", "path"])],
        aliases: &[],
        output: &[out("value", "the parsed value")],
    },
    StepParams {
        step_type: "parse_yaml",
        summary: "Parses YAML text (given, or read from a workspace file).",
        params: &[
            opt("content", ParamType::String, "the YAML text"),
            opt("path", ParamType::String, PATH_DOC),
        ],
        rules: &[ParamRule::ExactlyOne(&["content", "path"])],
        aliases: &[],
        output: &[out("value", "the parsed value")],
    },
    StepParams {
        step_type: "http",
        summary: "Sends an HTTP request; the URL is recorded in the evidence.",
        params: &[
            req("url", ParamType::String, "http:// or https:// URL"),
            opt("method", ParamType::HttpMethod, "default GET"),
            opt("headers", ParamType::StringMap, "request headers"),
            opt("body", ParamType::Any, "a string is sent as is; any other value as JSON"),
            opt("timeout_seconds", ParamType::PositiveInteger, "request timeout (default: the step's timeout)"),
        ],
        rules: &[],
        aliases: &[("timeout", "timeout_seconds")],
        output: &[
            out("status", "the HTTP status code"),
            out("headers", "response headers"),
            out("body", "response body as text"),
            out("json", "the body parsed as JSON, or null"),
        ],
    },
    StepParams {
        step_type: "llm",
        summary: "Asks a language model (the built-in `simulated` provider by default).",
        params: &[
            req("prompt", ParamType::String, "the prompt"),
            opt("provider", ParamType::String, "simulated (default), or an OpenAI-compatible provider name"),
            opt("model", ParamType::String, "model name"),
            opt("system_message", ParamType::String, "system prompt"),
            opt("temperature", ParamType::Number, "sampling temperature"),
            opt("max_tokens", ParamType::PositiveInteger, "most tokens to generate"),
        ],
        rules: &[],
        aliases: &[],
        output: &[
            out("text", "the answer"),
            out("model", "the model that answered"),
            out("usage", "{prompt_tokens, completion_tokens, cost_usd}"),
        ],
    },
];

/// The parameter table of a step type, when it has one.
pub fn params_of(step_type: &str) -> Option<&'static StepParams> {
    STEP_PARAMS.iter().find(|p| p.step_type == step_type)
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
    let present = |name: &str| map.keys().any(|k| spec.canonical(k) == name);

    for (key, value) in map {
        let name = spec.canonical(key);
        if name != key && map.contains_key(name) {
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
                    (_, Value::Null) => format!(
                        "give `{key}` a value, or remove it (an empty string is written \"\")"
                    ),
                    (ParamType::StringList, Value::String(_)) => {
                        format!("write `{key}` as a list: [\"a\", \"b\"]")
                    }
                    _ => format!("`{key}`: {}", param.doc),
                },
            }),
            Some(_) => {}
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
            .filter(|i| i.status == StepTypeStatus::Available)
        {
            assert!(
                params_of(info.name).is_some(),
                "`{}` is available but has no table",
                info.name
            );
        }
        for spec in STEP_PARAMS {
            assert!(
                crate::step_types::step_type(spec.step_type).is_some(),
                "{} is not in the catalogue",
                spec.step_type
            );
        }
    }

    #[test]
    fn a_valid_command_has_no_problems() {
        let params = json!({"command": "echo", "args": ["a", "{{x.output.n}}"], "env": {"N": 1}});
        assert_eq!(problems("command", params), vec![]);
    }

    #[test]
    fn missing_and_mistyped_parameters_are_named() {
        let got = problems("command", json!({"args": "a b", "working_dir": 3}));
        assert!(
            got.contains(&(ProblemKind::Missing, "command".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&(ProblemKind::WrongType, "args".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&(ProblemKind::WrongType, "working_dir".into())),
            "{got:?}"
        );
        let got = problems(
            "http",
            json!({"url": "u", "method": "FETCH", "timeout_seconds": 0}),
        );
        assert_eq!(
            got,
            vec![
                (ProblemKind::WrongType, "method".into()),
                (ProblemKind::WrongType, "timeout_seconds".into())
            ]
        );
        assert_eq!(
            problems("http", json!({"url": "u", "method": "post"})),
            vec![],
            "methods in any case"
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
                json!({"path": "a", "content": "b", "append": true, "mode": "append"})
            ),
            vec![(ProblemKind::Conflict, "append".into())]
        );
        assert_eq!(
            problems("http", json!({"url": "u", "timeout": 30})),
            vec![],
            "RustChain's `timeout` is accepted"
        );
        assert_eq!(
            problems(
                "http",
                json!({"url": "u", "timeout": 30, "timeout_seconds": 3})
            ),
            vec![(ProblemKind::Conflict, "timeout".into())]
        );
    }

    #[test]
    fn unknown_parameters_get_a_suggestion() {
        let spec = params_of("create_file").unwrap();
        let got = check_parameters(spec, &json!({"path": "a", "contents": "x"}));
        let unknown = got.iter().find(|p| p.kind == ProblemKind::Unknown).unwrap();
        assert_eq!(unknown.help, "did you mean `content`?");
        assert!(got
            .iter()
            .any(|p| p.kind == ProblemKind::Missing && p.param == "content"));
        let got = check_parameters(params_of("noop").unwrap(), &json!({"x": 1}));
        assert_eq!(got[0].help, "`noop` takes no parameters");
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
