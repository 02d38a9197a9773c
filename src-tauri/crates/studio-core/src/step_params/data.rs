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
    StepParams {
        step_type: "csv_process",
        summary: "Reads a CSV file of the workspace (or inline text) whose first row names the columns, runs operations on its rows in the order given (`statistics`, `filter`, `select`, `sort`, `dedupe`, `aggregate`, `normalize`, `validate`), and writes the result to `output_file` when one is named. Rows are streamed: only `sort`, `aggregate`, `dedupe`, `statistics` and `validate`'s `unique` keep what they need in memory. A row whose number of fields differs from the header's fails the step with its line, unless a `validate` operation is in the list: it then reports the row and leaves it out. Operations and their arguments are checked before the run; an unknown column fails the step with the header's names. With no operation the rows are passed through as they are (a preview, a copy, a change of `delimiter`).",
        params: &[
            opt("input_file", ParamType::String, "the CSV file, a path inside the run's workspace"),
            opt("content", ParamType::String, "the CSV text itself, instead of a file"),
            opt("delimiter", ParamType::String, "the field separator, one character (default `,`; `\\t` or `tab` for tabs)"),
            opt("has_headers", ParamType::Bool, "whether the first row names the columns (default true); with false every row is data, the columns are named `column_1`, `column_2`, … and the output file has no header row"),
            opt("operation", ParamType::Any, "one operation, written as one entry of `operations` (e.g. `statistics`)"),
            opt("operations", ParamType::Any, CSV_OPERATIONS_DOC),
            opt("output_file", ParamType::String, "write the resulting rows here, a CSV file in the workspace (parent folders are created; written whole or not at all: nothing is written when the step fails)"),
            opt("output_delimiter", ParamType::String, "the output file's field separator (default: `delimiter`)"),
            opt("preview_rows", ParamType::Integer, "how many rows of the result `preview` shows (default 10, at most 1000)"),
        ],
        any_parameters: false,
        rules: &[
            ParamRule::ExactlyOne(&["input_file", "content"]),
            ParamRule::AtMostOne(&["operation", "operations"]),
            ParamRule::Requires("output_delimiter", "output_file"),
        ],
        aliases: &[("path", "input_file"), ("file", "input_file"), ("output", "output_file")],
        output: &[
            out("rows_in", "data rows read (the header row is not counted)"),
            out("rows_out", "rows in the result"),
            out("columns", "the result's column names, in order"),
            out("operations", "one summary per operation, in order: `{operation, rows_in, rows_out}` and what it did (`removed` by `filter`, `duplicates` by `dedupe`, `groups` by `aggregate`, `renamed` and `cells_changed` by `normalize`, `problems` and `dropped` by `validate`)"),
            out("statistics", "from the last `statistics`, else null: `{<column>: {type, count, missing, distinct, min, max, mean, median, stddev, sum}}`; `type` is inferred from the non-empty cells (integer, number, boolean, date, datetime, string, or empty when there are none); `count` counts non-empty cells, `missing` empty ones, `distinct` different non-empty values; the other figures are numbers for integer and number columns (`stddev` is the sample standard deviation, 0 for one value) and null otherwise"),
            out("validation", "when a `validate` ran or rows were malformed, else null: `{valid, error_count, invalid_rows, errors: [{row, line, column, message}], truncated}`; `row` counts the input's data rows from 1, `line` is the file line where the row starts, `column` is null for a problem with the whole row"),
            out("output_file", "the file written, or null"),
            out("preview", "the result's first rows (`preview_rows`) as `{column: text}` objects"),
        ],
        output_is_parameters: false,
    },
];

/// The reference of `csv_process`'s operations (README, `operations`).
const CSV_OPERATIONS_DOC: &str = "the operations, applied in order; each is a name (`normalize`) or a mapping of its name to its arguments (`{sort: {by: amount}}`). \
`statistics` (`columns`: which ones, default all) fills the output's `statistics` and leaves the rows as they are. \
`filter` keeps the rows where `column` compares with `value`: `op` is `==` (default), `!=`, `<`, `<=`, `>`, `>=`, `contains`, `starts_with`, `ends_with`, `in` or `not_in` (`value` a list), `empty` or `not_empty` (no `value`); spaces around a cell are ignored; cells and values are compared as numbers when both read as numbers, else as text (`ignore_case: true` for text), and an ordering against a number never matches a cell that is not one. \
`select` keeps `columns`, in that order. \
`sort` orders by one or more columns (`by`), numbers by value and before texts, empty cells last; `descending: true` reverses it; rows that compare equal keep their order. \
`dedupe` leaves out rows equal to an earlier one, on all columns or on `columns`. \
`aggregate` gives one row per group of equal `group_by` cells (one row for all when no `group_by`), in order of first appearance: the group columns, `count` (its rows), then `<column>_<function>` for each of `metrics` (`{amount: [sum, mean], id: count}`: columns in name order, functions as listed; sum, mean, min, max of numbers, count of non-empty cells; empty cells are skipped, another cell that is not a number fails the step with its row). \
`normalize` tidies the table: `trim` (default true) strips spaces around cells and column names; `headers` (default true) writes column names in snake_case (lower case, `camelCase` split, every run of characters other than letters and digits becomes `_`: `Unit Price (EUR)` becomes `unit_price_eur`; an empty name becomes `column_<n>`, a repeated one gets `_2`, `_3`); `missing` (default true) empties the cells that read NA, N/A, null, none, nan or nil in any case (or, with `missing_values`, those texts); `numbers` (default false) rewrites numbers written with thousands separators, a currency sign ($ € £ ¥) or accounting parentheses as plain numbers (`1,234.50` becomes `1234.50`, `(€12)` becomes `-12`), the decimals kept as written. \
`validate` checks the rows: `types` (`{amount: number}`: string, number, integer, date as YYYY-MM-DD, datetime as RFC 3339 or `YYYY-MM-DD HH:MM[:SS]`, boolean as true/false/yes/no/1/0; empty cells pass), `required` (columns that may not be empty), `unique` (columns whose values may not repeat); every problem is listed with its row and column (`max_errors`, default 100, are listed; all are counted); `fail_on_invalid` (default true) fails the step when there is any, keeping the output and writing no file; `drop_invalid: true` leaves the rows with problems out. \
A list or a text stands for the main argument: `{select: [a, b]}`, `{sort: amount}`, `{dedupe: [id]}`, `{statistics: [amount]}`. Also accepted: `stats`, `normalise`, `dedup` and `deduplicate` for the names, `=`, `eq`, `ne`, `<>`, `lt`, `le`, `gt`, `ge` for the comparisons.";
