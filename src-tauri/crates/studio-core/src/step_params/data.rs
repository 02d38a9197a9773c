//! Data step types: XML, schemas, CSV.

use super::*;

pub(super) const STEPS: &[StepParams] = &[
    StepParams {
        step_type: "parse_xml",
        summary: "Parses XML text, given or read from a workspace file, into JSON: an element is its text, or an object of `@attribute`s, child elements (an array when a name repeats) and `#text`; no DTD or external entity is ever read; malformed XML fails with its line and column.",
        params: &[
            opt("content", ParamType::String, "the XML text"),
            opt("path", ParamType::String, PATH_DOC),
        ],
        any_parameters: false,
        rules: &[ParamRule::ExactlyOne(&["content", "path"])],
        aliases: NO_ALIASES,
        output: &[
            out("value", "`{<root name>: <element>}`; names keep their namespace prefix, text is trimmed"),
            out("root", "the root element's name"),
        ],
        output_is_parameters: false,
    },
    StepParams {
        step_type: "validate_schema",
        summary: "Checks a value, or a JSON or YAML file of the workspace, against a JSON Schema (draft from `$schema`, default 2020-12; no remote `$ref` is fetched) and lists every violation with its path; or a CSV file's rows (`schema_type: csv`). A JSON or YAML document needs `schema` or `schema_path`.",
        params: &[
            opt("data", ParamType::Any, "the document to check, as a value"),
            opt("path", ParamType::String, "a JSON or YAML file of the workspace to check (`.yaml`/`.yml` read as YAML, others as JSON)"),
            opt("schema", ParamType::Any, "the JSON Schema, as a value"),
            opt("schema_path", ParamType::String, "a JSON or YAML file of the workspace holding the schema"),
            opt("schema_type", ParamType::Choice(&["json", "csv"]), "`csv`: `path` is a CSV file with a header row; every row must have the header's fields, and with a schema each row is checked as an object of its columns (numbers read as numbers, empty cells as null); violations at `/<row>/<column>` (default json)"),
            opt("format", ParamType::Choice(&["json", "yaml"]), "how `path` is read (default: from its extension)"),
            opt("max_errors", ParamType::Integer, "most violations listed (default 100; `error_count` counts them all)"),
            opt("fail_on_invalid", ParamType::Bool, "a document with violations fails the step, keeping the output (default true)"),
        ],
        any_parameters: false,
        rules: &[
            ParamRule::ExactlyOne(&["data", "path"]),
            ParamRule::AtMostOne(&["schema", "schema_path"]),
            ParamRule::Requires("format", "path"),
        ],
        aliases: &[("file", "path"), ("schema_file", "schema_path")],
        output: &[
            out("valid", "whether the document matches the schema"),
            out("error_count", "how many violations were found"),
            out("errors", "[{path, schema_path, keyword, message}]; the paths are JSON Pointers (`\"\"` is the whole document), sorted by `path`"),
            out("truncated", "whether `max_errors` cut the list"),
        ],
        output_is_parameters: false,
    },
];
