//! The operations of `csv_process`: their names, their arguments, and the one check that both
//! validation (before a run, located in the YAML) and the engine (on the resolved parameters)
//! apply, so the two never disagree.
//!
//! The shape: `operation` holds one operation, `operations` a list of them applied in order.
//! An operation is its name (`statistics`) or a mapping of its name to its arguments
//! (`{filter: {column: region, op: "==", value: EMEA}}`). For the operations with a main
//! argument, a list or a string stands for it: `{select: [a, b]}` is `{select: {columns: [a, b]}}`,
//! `{sort: revenue}` is `{sort: {by: revenue}}`.

use crate::suggest::did_you_mean;
use crate::variables::single_reference;
use serde_json::{Map, Value};

/// What an argument's value must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// One column name.
    Column,
    /// A column name or a list of them (at least one).
    Columns,
    Bool,
    /// A whole number ≥ 0.
    Count,
    /// A text, number or boolean, or a list of them.
    Value,
    /// One of the listed names.
    Choice(&'static [&'static str]),
    /// A list of texts.
    Texts,
    /// A mapping of column names to one of [`COLUMN_TYPES`].
    ColumnTypes,
    /// A mapping of column names to one of [`AGGREGATE_FUNCTIONS`] or a list of them.
    Metrics,
}

impl ArgKind {
    fn describe(self) -> String {
        match self {
            Self::Column => "a column name".into(),
            Self::Columns => "a column name or a list of column names".into(),
            Self::Bool => "true or false".into(),
            Self::Count => "a whole number (0 or more)".into(),
            Self::Value => "a text, a number, or a list of them".into(),
            Self::Choice(options) => format!("one of {}", options.join(", ")),
            Self::Texts => "a list of texts".into(),
            Self::ColumnTypes => format!(
                "a mapping of column names to a type ({})",
                COLUMN_TYPES.join(", ")
            ),
            Self::Metrics => format!(
                "a mapping of column names to a function ({}) or a list of them",
                AGGREGATE_FUNCTIONS.join(", ")
            ),
        }
    }
}

/// One argument of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvArg {
    pub name: &'static str,
    pub kind: ArgKind,
    pub required: bool,
}

/// One operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOp {
    pub name: &'static str,
    /// The argument a bare list or string stands for (`{select: [a, b]}`).
    pub main: Option<&'static str>,
    pub args: &'static [CsvArg],
}

const fn req(name: &'static str, kind: ArgKind) -> CsvArg {
    CsvArg {
        name,
        kind,
        required: true,
    }
}

const fn opt(name: &'static str, kind: ArgKind) -> CsvArg {
    CsvArg {
        name,
        kind,
        required: false,
    }
}

/// The comparisons of `filter`.
pub const FILTER_OPS: &[&str] = &[
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "contains",
    "starts_with",
    "ends_with",
    "in",
    "not_in",
    "empty",
    "not_empty",
];

/// Other spellings of the comparisons: (alias, comparison).
pub const FILTER_OP_ALIASES: &[(&str, &str)] = &[
    ("=", "=="),
    ("eq", "=="),
    ("ne", "!="),
    ("<>", "!="),
    ("lt", "<"),
    ("le", "<="),
    ("gt", ">"),
    ("ge", ">="),
];

/// The column types `validate` checks (and `statistics` infers, with `empty`).
pub const COLUMN_TYPES: &[&str] = &["string", "number", "integer", "date", "datetime", "boolean"];

/// The functions of `aggregate`.
pub const AGGREGATE_FUNCTIONS: &[&str] = &["sum", "mean", "min", "max", "count"];

/// Every operation, in the order the reference lists them.
pub const CSV_OPERATIONS: &[CsvOp] = &[
    CsvOp {
        name: "statistics",
        main: Some("columns"),
        args: &[opt("columns", ArgKind::Columns)],
    },
    CsvOp {
        name: "filter",
        main: None,
        args: &[
            req("column", ArgKind::Column),
            opt("op", ArgKind::Choice(FILTER_OPS)),
            opt("value", ArgKind::Value),
            opt("ignore_case", ArgKind::Bool),
        ],
    },
    CsvOp {
        name: "select",
        main: Some("columns"),
        args: &[req("columns", ArgKind::Columns)],
    },
    CsvOp {
        name: "sort",
        main: Some("by"),
        args: &[
            req("by", ArgKind::Columns),
            opt("descending", ArgKind::Bool),
        ],
    },
    CsvOp {
        name: "dedupe",
        main: Some("columns"),
        args: &[opt("columns", ArgKind::Columns)],
    },
    CsvOp {
        name: "aggregate",
        main: None,
        args: &[
            opt("group_by", ArgKind::Columns),
            opt("metrics", ArgKind::Metrics),
        ],
    },
    CsvOp {
        name: "normalize",
        main: None,
        args: &[
            opt("trim", ArgKind::Bool),
            opt("headers", ArgKind::Bool),
            opt("missing", ArgKind::Bool),
            opt("missing_values", ArgKind::Texts),
            opt("numbers", ArgKind::Bool),
        ],
    },
    CsvOp {
        name: "validate",
        main: None,
        args: &[
            opt("types", ArgKind::ColumnTypes),
            opt("required", ArgKind::Columns),
            opt("unique", ArgKind::Columns),
            opt("fail_on_invalid", ArgKind::Bool),
            opt("drop_invalid", ArgKind::Bool),
            opt("max_errors", ArgKind::Count),
        ],
    },
];

/// Other spellings of the operation names: (alias, operation).
pub const CSV_OPERATION_ALIASES: &[(&str, &str)] = &[
    ("stats", "statistics"),
    ("normalise", "normalize"),
    ("dedup", "dedupe"),
    ("deduplicate", "dedupe"),
];

/// The operation a name (or an alias of it) stands for.
pub fn csv_operation(name: &str) -> Option<&'static CsvOp> {
    let name = CSV_OPERATION_ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, op)| *op);
    CSV_OPERATIONS.iter().find(|op| op.name == name)
}

/// The comparison a `filter`'s `op` stands for.
pub fn filter_op(name: &str) -> Option<&'static str> {
    FILTER_OPS
        .iter()
        .copied()
        .find(|op| *op == name)
        .or_else(|| {
            FILTER_OP_ALIASES
                .iter()
                .find(|(alias, _)| *alias == name)
                .map(|(_, op)| *op)
        })
}

/// One step of a path inside `parameters`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPart {
    Key(String),
    Index(usize),
}

/// A problem with the operations, at a path relative to `parameters`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOpProblem {
    pub path: Vec<PathPart>,
    pub message: String,
    pub help: String,
    /// The problem is the name at the end of `path` (an unknown argument), not its value.
    pub at_key: bool,
}

impl CsvOpProblem {
    /// The path as text: `operations[1].filter.op`.
    pub fn path_text(&self) -> String {
        let mut out = String::new();
        for part in &self.path {
            match part {
                PathPart::Key(k) if out.is_empty() => out.push_str(k),
                PathPart::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                PathPart::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

/// One operation as read from the parameters: its name and its arguments (a bare list or
/// string already put under the main argument). An argument may still be a whole
/// `{{reference}}` when the parameters are not resolved yet.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvOpCall {
    pub op: &'static CsvOp,
    pub args: Map<String, Value>,
}

impl CsvOpCall {
    pub fn name(&self) -> &'static str {
        self.op.name
    }

    /// An argument, absent when null.
    pub fn arg(&self, name: &str) -> Option<&Value> {
        self.args.get(name).filter(|v| !v.is_null())
    }
}

fn is_reference(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| single_reference(s).is_some())
}

/// Reads `operation` / `operations`: every operation, or every problem found (all of them).
/// A whole `{{reference}}` in place of the list, an entry or an argument is accepted as is.
pub fn csv_operations(params: &Value) -> Result<Vec<CsvOpCall>, Vec<CsvOpProblem>> {
    let mut calls = Vec::new();
    let mut problems = Vec::new();
    let given = |name: &str| params.get(name).filter(|v| !v.is_null());
    if let Some(one) = given("operation") {
        let path = vec![PathPart::Key("operation".into())];
        if !is_reference(one) {
            read_entry(params, one, path, &mut calls, &mut problems);
        }
    }
    if let Some(list) = given("operations") {
        let base = PathPart::Key("operations".into());
        match list {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let path = vec![base.clone(), PathPart::Index(i)];
                    if !is_reference(item) {
                        read_entry(params, item, path, &mut calls, &mut problems);
                    }
                }
            }
            // One name alone is taken as a list of one.
            Value::String(s) if single_reference(s).is_none() => {
                read_entry(params, list, vec![base], &mut calls, &mut problems);
            }
            Value::String(_) => {}
            other => problems.push(CsvOpProblem {
                path: vec![base],
                message: format!(
                    "`operations` must be a list of operations, found {}",
                    crate::step_params::describe_value(other)
                ),
                help: "write `operations: [normalize, {sort: {by: amount}}]`".into(),
                at_key: false,
            }),
        }
    }
    if problems.is_empty() {
        Ok(calls)
    } else {
        Err(problems)
    }
}

fn operation_names() -> impl Iterator<Item = &'static str> {
    CSV_OPERATIONS
        .iter()
        .map(|op| op.name)
        .chain(CSV_OPERATION_ALIASES.iter().map(|(alias, _)| *alias))
}

fn unknown_operation(name: &str, path: Vec<PathPart>) -> CsvOpProblem {
    let help = match did_you_mean(name, operation_names()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!(
            "the operations are: {}",
            CSV_OPERATIONS
                .iter()
                .map(|op| op.name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    CsvOpProblem {
        path,
        message: format!("`{name}` is not an operation of `csv_process`"),
        help,
        at_key: false,
    }
}

/// How an operation with arguments is written, for help texts.
fn example(op: &CsvOp) -> String {
    match op.name {
        "filter" => "`{filter: {column: region, op: \"==\", value: EMEA}}`".into(),
        "select" => "`{select: [name, amount]}`".into(),
        "sort" => "`{sort: {by: amount, descending: true}}`".into(),
        "aggregate" => "`{aggregate: {group_by: region, metrics: {amount: [sum, mean]}}}`".into(),
        "validate" => "`{validate: {types: {amount: number}, required: [id]}}`".into(),
        name => format!("`{{{name}: {{…}}}}`"),
    }
}

fn read_entry(
    params: &Value,
    entry: &Value,
    path: Vec<PathPart>,
    calls: &mut Vec<CsvOpCall>,
    problems: &mut Vec<CsvOpProblem>,
) {
    let (name, raw_args, args_path) = match entry {
        Value::String(name) => (name.as_str(), None, path.clone()),
        Value::Object(map) if map.len() == 1 => {
            let (name, args) = map.iter().next().expect("one entry");
            let mut args_path = path.clone();
            args_path.push(PathPart::Key(name.clone()));
            (name.as_str(), Some(args), args_path)
        }
        Value::Object(map) => {
            let names: Vec<&str> = map.keys().map(String::as_str).collect();
            let help = if names.iter().any(|n| csv_operation(n).is_none()) && names.len() > 1 {
                "put the arguments under the operation's name: `{sort: {by: amount}}`, not `{sort: …, by: amount}`".to_string()
            } else {
                "give each operation its own entry in `operations`".to_string()
            };
            problems.push(CsvOpProblem {
                path,
                message: format!(
                    "an operation is one name with its arguments, found a mapping of {} keys ({})",
                    names.len(),
                    names.join(", ")
                ),
                help,
                at_key: false,
            });
            return;
        }
        other => {
            problems.push(CsvOpProblem {
                path,
                message: format!(
                    "an operation is a name or `{{name: {{arguments}}}}`, found {}",
                    crate::step_params::describe_value(other)
                ),
                help: "write e.g. `statistics` or `{sort: {by: amount}}`".into(),
                at_key: false,
            });
            return;
        }
    };
    let Some(op) = csv_operation(name) else {
        let mut at = path;
        if entry.is_object() {
            at.push(PathPart::Key(name.to_string()));
        }
        let mut problem = unknown_operation(name, at);
        problem.at_key = entry.is_object();
        problems.push(problem);
        return;
    };
    let args = match raw_args {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(v) if is_reference(v) && op.main.is_none() => {
            // The whole argument mapping is only known when the run goes.
            calls.push(CsvOpCall {
                op,
                args: Map::new(),
            });
            return;
        }
        Some(v @ (Value::Array(_) | Value::String(_))) if op.main.is_some() => {
            let mut map = Map::new();
            map.insert(op.main.expect("main").to_string(), v.clone());
            map
        }
        Some(other) => {
            let short = op.main.map_or(String::new(), |m| {
                format!(" (or a list standing for `{m}`)")
            });
            problems.push(CsvOpProblem {
                path: args_path,
                message: format!(
                    "the arguments of `{}` must be a mapping{short}, found {}",
                    op.name,
                    crate::step_params::describe_value(other)
                ),
                help: format!("write {}", example(op)),
                at_key: false,
            });
            return;
        }
    };
    let before = problems.len();
    check_args(params, op, &args, &args_path, raw_args.is_none(), problems);
    if problems.len() == before {
        calls.push(CsvOpCall { op, args });
    }
}

fn check_args(
    params: &Value,
    op: &CsvOp,
    args: &Map<String, Value>,
    path: &[PathPart],
    bare: bool,
    problems: &mut Vec<CsvOpProblem>,
) {
    let at = |key: &str| {
        let mut p = path.to_vec();
        p.push(PathPart::Key(key.to_string()));
        p
    };
    for (key, value) in args {
        let Some(arg) = op.args.iter().find(|a| a.name == key) else {
            let known: Vec<&str> = op.args.iter().map(|a| a.name).collect();
            let help = match did_you_mean(key, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("`{}` takes: {}", op.name, known.join(", ")),
            };
            problems.push(CsvOpProblem {
                path: at(key),
                message: format!("`{key}` is not an argument of the operation `{}`", op.name),
                help,
                at_key: true,
            });
            continue;
        };
        if value.is_null() || is_reference(value) {
            continue;
        }
        if let Err(problem) = check_kind(arg.kind, value) {
            problems.push(CsvOpProblem {
                path: at(key),
                message: format!(
                    "`{key}` of `{}` must be {}{problem}",
                    op.name,
                    arg.kind.describe()
                ),
                help: format!("write {}", example(op)),
                at_key: false,
            });
        }
    }
    let present = |name: &str| args.get(name).is_some_and(|v| !v.is_null());
    for arg in op.args.iter().filter(|a| a.required && !present(a.name)) {
        // Arguments written next to `operation` instead of under it: say where they go.
        let beside = params.get(arg.name).is_some_and(|v| !v.is_null());
        let flat = if beside {
            " (arguments go under the operation's name, not beside it)"
        } else {
            ""
        };
        let message = if bare {
            format!("the operation `{}` needs its `{}`", op.name, arg.name)
        } else {
            format!("`{}` needs the argument `{}`", op.name, arg.name)
        };
        problems.push(CsvOpProblem {
            path: path.to_vec(),
            message,
            help: format!("write {}{flat}", example(op)),
            at_key: false,
        });
    }
    if op.name == "filter" {
        let comparison = args.get("op").and_then(Value::as_str).and_then(filter_op);
        let value = args.get("value").filter(|v| !v.is_null());
        let reference = value.is_some_and(is_reference);
        match (comparison.unwrap_or("=="), value) {
            ("empty" | "not_empty", _) => {}
            (cmp, None) if present("column") => problems.push(CsvOpProblem {
                path: path.to_vec(),
                message: format!("the comparison `{cmp}` of `filter` needs a `value`"),
                help: format!("write {}", example(op)),
                at_key: false,
            }),
            ("in" | "not_in", Some(v)) if !v.is_array() && !reference => {
                problems.push(CsvOpProblem {
                    path: at("value"),
                    message: "`in` and `not_in` compare with a list of values".into(),
                    help: "write `value: [EMEA, APAC]`".into(),
                    at_key: false,
                })
            }
            _ => {}
        }
    }
}

/// Why a value does not have a kind (`Err` holds a short note, possibly empty).
fn check_kind(kind: ArgKind, value: &Value) -> Result<(), String> {
    let found = || format!(", found {}", crate::step_params::describe_value(value));
    let scalar = |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
    match kind {
        ArgKind::Column => value.is_string().then_some(()).ok_or_else(found),
        ArgKind::Columns => match value {
            Value::String(_) => Ok(()),
            Value::Array(items) if items.is_empty() => Err(", found an empty list".into()),
            Value::Array(items) if items.iter().all(Value::is_string) => Ok(()),
            _ => Err(found()),
        },
        ArgKind::Bool => (value.is_boolean() || matches!(value.as_str(), Some("true" | "false")))
            .then_some(())
            .ok_or_else(found),
        ArgKind::Count => crate::step_params::whole_number(value)
            .map(|_| ())
            .ok_or_else(found),
        ArgKind::Value => match value {
            Value::Array(items) if items.iter().all(scalar) => Ok(()),
            v if scalar(v) => Ok(()),
            _ => Err(found()),
        },
        ArgKind::Choice(options) => match value.as_str() {
            Some(s) if options.contains(&s) => Ok(()),
            Some(s) if options == FILTER_OPS && filter_op(s).is_some() => Ok(()),
            Some(s) => Err(match did_you_mean(s, options.iter().copied()) {
                Some(m) => format!(", found `{s}` (did you mean `{m}`?)"),
                None => format!(", found `{s}`"),
            }),
            None => Err(found()),
        },
        ArgKind::Texts => match value {
            Value::Array(items) if items.iter().all(scalar) => Ok(()),
            _ => Err(found()),
        },
        ArgKind::ColumnTypes => named_choices(value, COLUMN_TYPES, false),
        ArgKind::Metrics => named_choices(value, AGGREGATE_FUNCTIONS, true),
    }
}

/// A mapping of names to one of `options` (or, with `lists`, a list of them).
fn named_choices(value: &Value, options: &[&str], lists: bool) -> Result<(), String> {
    let Value::Object(map) = value else {
        return Err(format!(
            ", found {}",
            crate::step_params::describe_value(value)
        ));
    };
    for (column, choice) in map {
        let names: Vec<&Value> = match choice {
            Value::Array(items) if lists && !items.is_empty() => items.iter().collect(),
            other => vec![other],
        };
        for name in names {
            if is_reference(name) {
                continue;
            }
            match name.as_str() {
                Some(s) if options.contains(&s) => {}
                Some(s) => {
                    let hint = did_you_mean(s, options.iter().copied())
                        .map_or(String::new(), |m| format!(" (did you mean `{m}`?)"));
                    return Err(format!(": `{column}` has `{s}`{hint}"));
                }
                None => {
                    return Err(format!(
                        ": `{column}` has {}",
                        crate::step_params::describe_value(name)
                    ))
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(params: Value) -> Vec<(String, String)> {
        match csv_operations(&params) {
            Ok(_) => Vec::new(),
            Err(found) => found
                .into_iter()
                .map(|p| (p.path_text(), format!("{} / {}", p.message, p.help)))
                .collect(),
        }
    }

    #[test]
    fn names_mappings_and_shorthands_are_read() {
        let calls = csv_operations(&json!({"operations": [
            "normalize",
            {"filter": {"column": "region", "op": "=", "value": "EMEA"}},
            {"select": ["a", "b"]},
            {"sort": "amount"},
            {"stats": null},
        ]}))
        .unwrap();
        let names: Vec<&str> = calls.iter().map(CsvOpCall::name).collect();
        assert_eq!(
            names,
            ["normalize", "filter", "select", "sort", "statistics"]
        );
        assert_eq!(calls[2].arg("columns"), Some(&json!(["a", "b"])));
        assert_eq!(calls[3].arg("by"), Some(&json!("amount")));
        let one = csv_operations(&json!({"operation": "statistics"})).unwrap();
        assert_eq!(one[0].name(), "statistics");
        assert!(csv_operations(&json!({})).unwrap().is_empty());
        assert!(
            csv_operations(&json!({"operations": "{{plan.output.ops}}"}))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn unknown_operations_and_arguments_are_located_with_a_suggestion() {
        let got = problems(
            json!({"operations": ["normalise", "statstics", {"sort": {"by": "a", "descnding": true}}]}),
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, "operations[1]");
        assert!(got[0].1.contains("did you mean `statistics`?"), "{got:?}");
        assert_eq!(got[1].0, "operations[2].sort.descnding");
        assert!(got[1].1.contains("did you mean `descending`?"), "{got:?}");
        let got = problems(json!({"operation": {"fliter": {"column": "a"}}}));
        assert_eq!(got[0].0, "operation.fliter");
        assert!(got[0].1.contains("did you mean `filter`?"), "{got:?}");
    }

    #[test]
    fn missing_and_mistyped_arguments_are_refused() {
        let got = problems(json!({"operation": "sort", "by": "amount"}));
        assert_eq!(got[0].0, "operation");
        assert!(
            got[0].1.contains("needs its `by`") && got[0].1.contains("not beside it"),
            "{got:?}"
        );
        let got = problems(json!({"operations": [
            {"filter": {"column": "a", "op": "like", "value": 1}},
            {"filter": {"column": "a", "op": "in", "value": "x"}},
            {"filter": {"column": "a", "op": ">"}},
            {"aggregate": {"group_by": "r", "metrics": {"amount": ["sum", "avg"]}}},
            {"validate": {"types": {"amount": "float"}}},
            {"select": []},
            {"sort": {"by": "a", "descending": "yes"}},
            {"filter": {"column": "a", "op": "empty"}},
            {"filter": {"column": "a", "op": "gt", "value": 3}},
        ]}));
        let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "operations[0].filter.op",
                "operations[1].filter.value",
                "operations[2].filter",
                "operations[3].aggregate.metrics",
                "operations[4].validate.types",
                "operations[5].select.columns",
                "operations[6].sort.descending",
            ],
            "{got:#?}"
        );
        assert!(got[3].1.contains("`avg`"), "{got:?}");
    }

    #[test]
    fn malformed_entries_say_how_to_write_them() {
        let got = problems(json!({"operations": [{"sort": {"by": "a"}, "by": "b"}, 3]}));
        assert_eq!(got.len(), 2);
        assert!(
            got[0]
                .1
                .contains("put the arguments under the operation's name"),
            "{got:?}"
        );
        assert!(got[1].1.contains("found a whole number"), "{got:?}");
        let got = problems(json!({"operations": {"sort": "a"}}));
        assert!(got[0].1.contains("must be a list"), "{got:?}");
        let got = problems(json!({"operations": [{"filter": ["a"]}]}));
        assert!(got[0].1.contains("must be a mapping"), "{got:?}");
    }

    #[test]
    fn references_stand_for_any_argument() {
        assert_eq!(
            problems(json!({"operations": [
                {"filter": {"column": "{{ctx.output.col}}", "value": "{{ctx.output.v}}"}},
                {"filter": "{{ctx.output.condition}}"},
                "{{ctx.output.op}}",
                {"validate": {"types": {"a": "{{ctx.output.t}}"}}},
            ]})),
            vec![]
        );
    }
}
