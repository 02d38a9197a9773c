//! Code step types: build, test, format, lint, parse.

use super::*;

const PROJECT_DOC: &str = "the project's folder inside the run's workspace (default: the workspace itself); its toolchain is detected from its files, in this order: `Cargo.toml` → cargo, `package.json` → npm, `pyproject.toml`, `setup.py`, `setup.cfg` or a `.py` file → python3";
const LANGUAGE_DOC: &str = "names the toolchain instead of detecting it: `rust` or `cargo` (cargo), `python` (python3), `javascript`, `typescript`, `node` or `npm` (npm)";
const TOOLCHAIN_LANGUAGES: ParamType = ParamType::Choice(&[
    "rust",
    "cargo",
    "python",
    "javascript",
    "typescript",
    "node",
    "npm",
]);
const ARGS_DOC: &str =
    "extra arguments appended to the tool's own, one string each (never a shell line)";
const ENV_DOC: &str = "variables added to the tool's environment";
const PROJECT_ALIASES: &[(&str, &str)] = &[
    ("project_path", "path"),
    ("working_dir", "path"),
    ("toolchain", "language"),
];
const PARSE_LANGUAGES: ParamType =
    ParamType::Choice(&["rust", "python", "javascript", "typescript", "go"]);
const PARSE_PATH_DOC: &str = "a source file, or a folder read recursively, inside the run's workspace (default: the workspace); `target`, `node_modules`, `.git`, `__pycache__`, `.venv`, `venv` and `vendor` folders and symlinks are skipped";
const PARSE_LANGUAGE_DOC: &str = "read only files of this language (`typescript` includes `.tsx`); default: every `.rs`, `.py`, `.js`/`.mjs`/`.cjs`/`.jsx`, `.ts`/`.mts`/`.cts`/`.tsx` and `.go` file, each by its extension";
const PATTERN_DOC: &str = "a glob selecting files inside a folder: `*.py` matches file names, a pattern with `/` matches paths relative to `path` (`src/**/*.rs`)";
const TAILS_DOC: &str =
    "the last lines (at most 4 KiB) the tool wrote on standard output, cargo's JSON messages left out";
const STDERR_TAIL_DOC: &str = "the last lines (at most 4 KiB) the tool wrote on standard error";
const COMMAND_DOC: &str = "the program and arguments that ran, as a list";
const DIAGNOSTICS_DOC: &str = "[{level, message, file, line, column, code}]: `level` is `error`, `warning`, `note` or `help`; `file` is relative to the workspace; `line`, `column` (1-based) and `code` (`E0308`, `clippy::needless_return`, `F401`) are null when the tool gave none";

pub(super) const STEPS: &[StepParams] = &[
    StepParams {
        step_type: "compile_code",
        summary: "Builds a project with its own toolchain: `cargo build --message-format=json` (offline, into the project's own `target/`), `python3 -m compileall` (every `.py` file), or the `build` script of `package.json` (`npm run build`). Compiler messages are parsed into `diagnostics`; a build with errors fails the step naming the first error with its file and line, and keeps the output.",
        params: &[
            opt("path", ParamType::String, PROJECT_DOC),
            opt("language", TOOLCHAIN_LANGUAGES, LANGUAGE_DOC),
            opt("release", ParamType::Bool, "cargo: build with `--release` (default false)"),
            opt("features", ParamType::StringList, "cargo: features to enable (`--features`)"),
            opt("args", ParamType::StringList, ARGS_DOC),
            opt("env", ParamType::StringMap, ENV_DOC),
        ],
        any_parameters: false,
        rules: NO_RULES,
        aliases: PROJECT_ALIASES,
        output: &[
            out("toolchain", "`cargo`, `python` or `npm`"),
            out("success", "whether the build succeeded"),
            out("errors", "how many errors the compiler reported"),
            out("warnings", "how many warnings"),
            out("diagnostics", DIAGNOSTICS_DOC),
            out("artifacts", "cargo: the executables built, relative to the workspace; `[]` for the other toolchains"),
            out("duration_ms", "how long the tool ran"),
            out("stdout_tail", TAILS_DOC),
            out("stderr_tail", STDERR_TAIL_DOC),
            out("command", COMMAND_DOC),
        ],
        output_is_parameters: false,
    },
    StepParams {
        step_type: "run_tests",
        summary: "Runs a project's tests with its own toolchain: `cargo test` (offline; libtest's `test … ok|FAILED|ignored` lines and failure sections), `python3 -m pytest` (its JUnit XML report; the `pytest` program when python3 has no pytest module), or the `test` script of `package.json` (`npm test`; TAP output such as `node --test`'s is read test by test). A failing suite fails the step naming the failing tests, and keeps the output.",
        params: &[
            opt("path", ParamType::String, PROJECT_DOC),
            opt("language", TOOLCHAIN_LANGUAGES, LANGUAGE_DOC),
            opt("filter", ParamType::String, "run only the matching tests: cargo's name filter, pytest's `-k` expression, node's `--test-name-pattern`"),
            opt("fail_on_failure", ParamType::Bool, "a failing test fails the step (default true); false: the step succeeds with `success: false`"),
            opt("args", ParamType::StringList, ARGS_DOC),
            opt("env", ParamType::StringMap, ENV_DOC),
        ],
        any_parameters: false,
        rules: NO_RULES,
        aliases: PROJECT_ALIASES,
        output: &[
            out("toolchain", "`cargo`, `python` or `npm`"),
            out("success", "whether the suite ran and every test passed"),
            out("passed", "how many tests passed"),
            out("failed", "how many failed; pytest's errors (a test file that cannot be imported) count as failures"),
            out("ignored", "how many were skipped or ignored"),
            out("total", "passed + failed + ignored"),
            out("failures", "[{name, message}] for each failing test: its name (`tests::adds`, `tests/test_calc.py::test_add`, `suite > case`) and the assertion or panic message"),
            out("tests", "[{name, outcome}] for every test, `outcome` being `passed`, `failed` or `ignored`; `[]` when the tool's output cannot be read test by test"),
            out("diagnostics", "cargo: the compiler's messages, e.g. why the tests did not build (shaped as in `compile_code`)"),
            out("duration_ms", "how long the tool ran"),
            out("stdout_tail", TAILS_DOC),
            out("stderr_tail", STDERR_TAIL_DOC),
            out("command", COMMAND_DOC),
        ],
        output_is_parameters: false,
    },
    StepParams {
        step_type: "format_code",
        summary: "Formats a project's code with its own formatter: `cargo fmt`, `black` for Python (it must be installed; the error says how), or the `format` script of `package.json`. With `check: true` nothing is written: the files that would change are listed and, by default, fail the step.",
        params: &[
            opt("path", ParamType::String, PROJECT_DOC),
            opt("language", TOOLCHAIN_LANGUAGES, LANGUAGE_DOC),
            opt("check", ParamType::Bool, "only check (`cargo fmt --check`, `black --check`, npm: the `format:check` script); default false: files are rewritten"),
            opt("fail_on_change", ParamType::Bool, "with `check: true`, files that would change fail the step (default true)"),
            opt("args", ParamType::StringList, ARGS_DOC),
            opt("env", ParamType::StringMap, ENV_DOC),
        ],
        any_parameters: false,
        rules: &[ParamRule::Requires("fail_on_change", "check")],
        aliases: PROJECT_ALIASES,
        output: &[
            out("toolchain", "`cargo`, `python` or `npm`"),
            out("formatter", "`rustfmt`, `black` or `npm run format`"),
            out("checked", "whether this was a check (nothing written)"),
            out("changed_files", "files (relative to the workspace) that were reformatted, or with `check: true` would be"),
            out("success", "whether the formatter ran and, with `check: true`, nothing would change"),
            out("stdout_tail", TAILS_DOC),
            out("stderr_tail", STDERR_TAIL_DOC),
            out("command", COMMAND_DOC),
        ],
        output_is_parameters: false,
    },
    StepParams {
        step_type: "lint_code",
        summary: "Lints a project with its own linter: `cargo clippy --message-format=json` (offline), for Python the first installed of `ruff`, `flake8` and `pyflakes` (the error names them when none is), or the `lint` script of `package.json`. Findings are parsed into `diagnostics`; errors (Rust errors, Python syntax errors and undefined names) fail the step, warnings only with `fail_on_warnings`.",
        params: &[
            opt("path", ParamType::String, PROJECT_DOC),
            opt("language", TOOLCHAIN_LANGUAGES, LANGUAGE_DOC),
            opt("fail_on_warnings", ParamType::Bool, "any finding fails the step (default false: only errors do)"),
            opt("args", ParamType::StringList, ARGS_DOC),
            opt("env", ParamType::StringMap, ENV_DOC),
        ],
        any_parameters: false,
        rules: NO_RULES,
        aliases: PROJECT_ALIASES,
        output: &[
            out("toolchain", "`cargo`, `python` or `npm`"),
            out("linter", "`clippy`, `ruff`, `flake8`, `pyflakes` or `npm run lint`"),
            out("success", "whether the step passed (see `fail_on_warnings`)"),
            out("lints", "how many findings (errors + warnings)"),
            out("errors", "how many findings are errors"),
            out("warnings", "how many are warnings"),
            out("diagnostics", DIAGNOSTICS_DOC),
            out("duration_ms", "how long the tool ran"),
            out("stdout_tail", TAILS_DOC),
            out("stderr_tail", STDERR_TAIL_DOC),
            out("command", COMMAND_DOC),
        ],
        output_is_parameters: false,
    },
    StepParams {
        step_type: "extract_functions",
        summary: "Lists the functions and methods of a source file or folder (tree-sitter: Rust, Python, JavaScript, TypeScript, Go) with their signature, line range, doc comment or docstring and enclosing type. A file with syntax errors is read anyway and its errors are listed.",
        params: &[
            opt("path", ParamType::String, PARSE_PATH_DOC),
            opt("language", PARSE_LANGUAGES, PARSE_LANGUAGE_DOC),
            opt("include_private", ParamType::Bool, "also list private functions (default true): Rust without `pub`, Python `_name`, JavaScript/TypeScript `_name`, `#name`, `private`, Go lower-case names"),
            opt("pattern", ParamType::String, PATTERN_DOC),
        ],
        any_parameters: false,
        rules: NO_RULES,
        aliases: &[("file", "path")],
        output: &[
            out("functions", "[{name, kind, signature, file, language, start_line, end_line, doc, parent, public}]: `kind` is `function` or `method`; `signature` is the declaration up to its body on one line; lines are 1-based and inclusive; `doc` (without comment markers) and `parent` (the impl type, trait, class, interface or Go receiver) are null when absent"),
            out("count", "how many functions are listed"),
            out("files_parsed", "how many files were read"),
            out("errors", "[{file, line, column}]: where the parser found syntax errors (at most 20 per file)"),
        ],
        output_is_parameters: false,
    },
    StepParams {
        step_type: "generate_docs",
        summary: "Writes a Markdown API summary of a source file or folder from the same tree-sitter parse as `extract_functions`: per file, each function with its signature in a code block and its doc comment; public functions only unless `include_private`. Returned as text and, with `output_file`, written to the workspace.",
        params: &[
            opt("path", ParamType::String, PARSE_PATH_DOC),
            opt("language", PARSE_LANGUAGES, PARSE_LANGUAGE_DOC),
            opt("include_private", ParamType::Bool, "also document private functions (default false)"),
            opt("pattern", ParamType::String, PATTERN_DOC),
            opt("output_file", ParamType::String, "a workspace file to write the Markdown to (parent folders are created)"),
            opt("title", ParamType::String, "the document's first heading (default `API reference`)"),
        ],
        any_parameters: false,
        rules: NO_RULES,
        aliases: &[("output", "output_file"), ("output_path", "output_file")],
        output: &[
            out("markdown", "the Markdown text"),
            out("functions", "how many functions it documents"),
            out("files", "how many files it covers (those with documented functions)"),
            out("undocumented", "the functions documented without a doc comment (`file: Type::name`)"),
            out("output_file", "the file written, or null"),
        ],
        output_is_parameters: false,
    },
];

#[cfg(test)]
mod tests {
    use super::super::{check_parameters, params_of, ProblemKind};
    use serde_json::json;

    fn problems(step_type: &str, params: serde_json::Value) -> Vec<(ProblemKind, String)> {
        check_parameters(params_of(step_type).unwrap(), &params)
            .into_iter()
            .map(|p| (p.kind, p.param))
            .collect()
    }

    #[test]
    fn rustchain_names_and_aliases_are_accepted() {
        // RustChain's own spelling: `language` (rust, node, …) and `path`.
        for ty in ["compile_code", "run_tests", "format_code", "lint_code"] {
            assert_eq!(
                problems(ty, json!({"language": "rust", "path": "."})),
                vec![]
            );
            assert_eq!(
                problems(ty, json!({"language": "node", "path": "web"})),
                vec![]
            );
            assert_eq!(
                problems(ty, json!({"project_path": "app", "toolchain": "python"})),
                vec![]
            );
            assert_eq!(problems(ty, json!({"working_dir": "app"})), vec![]);
        }
        assert_eq!(
            problems(
                "extract_functions",
                json!({"file": "src/lib.rs", "include_private": false})
            ),
            vec![]
        );
        assert_eq!(
            problems("generate_docs", json!({"path": "src", "output": "API.md"})),
            vec![]
        );
    }

    #[test]
    fn unknown_languages_and_conflicts_are_refused() {
        assert_eq!(
            problems("compile_code", json!({"language": "cobol"})),
            vec![(ProblemKind::WrongType, "language".into())]
        );
        assert_eq!(
            problems("run_tests", json!({"path": "a", "project_path": "b"})),
            vec![(ProblemKind::Conflict, "project_path".into())]
        );
        assert_eq!(
            problems("format_code", json!({"fail_on_change": false})),
            vec![(ProblemKind::Missing, "check".into())]
        );
        assert_eq!(
            problems("extract_functions", json!({"language": "cobol"})),
            vec![(ProblemKind::WrongType, "language".into())]
        );
        assert_eq!(
            problems("lint_code", json!({"args": "--all"})),
            vec![(ProblemKind::WrongType, "args".into())]
        );
    }
}
