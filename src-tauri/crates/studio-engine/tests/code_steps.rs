//! The code step types on real projects in a run's workspace, with the real toolchains: cargo
//! (build, test, fmt, clippy), python3 (compileall, pytest, black, a linter), npm with
//! `node --test`, and the tree-sitter parses (`extract_functions`, `generate_docs`) of Rust,
//! Python, JavaScript, TypeScript and Go files; their failure modes included.
//!
//! The Python formatter and linter come from `.ci/setup-debian.sh --test` (black, flake8,
//! pytest).

use serde_json::{json, Value};
use studio_core::{Mission, StepStatus};
use studio_engine::{run_mission, RunOptions, RunResult};

/// Writes `files` into a fresh workspace, runs the steps there (one at a time) and returns the
/// result and the folder (the workspace is `<dir>/workspace`).
async fn run_in(files: &[(&str, &str)], steps: Value) -> (RunResult, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("workspace");
    for (path, text) in files {
        let path = ws.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let mission: Mission = serde_json::from_value(json!({
        "name": "Code steps",
        "config": {"max_concurrent_steps": 1, "fail_fast": false},
        "steps": steps,
    }))
    .unwrap();
    let result = run_mission(&mission, RunOptions::new(&ws), &mut studio_engine::NullSink)
        .await
        .expect("the run starts");
    (result, dir)
}

fn output<'a>(result: &'a RunResult, id: &str) -> &'a Value {
    let r = &result.step_results[id];
    assert_eq!(r.status, StepStatus::Success, "{id}: {r:#?}");
    &r.output
}

fn failure(result: &RunResult, id: &str) -> (String, Value) {
    let r = &result.step_results[id];
    assert_eq!(r.status, StepStatus::Failed, "{id} must fail: {r:#?}");
    (r.error.clone().unwrap_or_default(), r.output.clone())
}

fn ws_file(dir: &tempfile::TempDir, rel: &str) -> String {
    std::fs::read_to_string(dir.path().join("workspace").join(rel)).unwrap()
}

const CARGO_TOML: &str =
    "[package]\nname = \"NAME\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n";

fn cargo_toml(name: &str) -> String {
    CARGO_TOML.replace("NAME", name)
}

// ---------------------------------------------------------------- compile_code

#[tokio::test]
async fn compile_code_builds_a_cargo_crate_with_its_warnings_and_executable() {
    let manifest = cargo_toml("hello");
    let (result, dir) = run_in(
        &[
            ("hello/Cargo.toml", &manifest),
            (
                "hello/src/main.rs",
                "fn main() {\n    let unused = 1;\n    println!(\"hi\");\n}\n",
            ),
        ],
        json!([{"id": "build", "step_type": "compile_code", "parameters": {"project_path": "hello"}}]),
    )
    .await;
    let out = output(&result, "build");
    assert_eq!(out["toolchain"], "cargo");
    assert_eq!(out["success"], true);
    assert_eq!(out["errors"], 0);
    assert_eq!(out["warnings"], 1, "{out:#}");
    let warning = &out["diagnostics"][0];
    assert_eq!(warning["level"], "warning");
    assert!(
        warning["message"].as_str().unwrap().contains("unused"),
        "{warning}"
    );
    assert_eq!(warning["file"], "hello/src/main.rs");
    assert_eq!(
        (warning["line"].clone(), warning["column"].clone()),
        (json!(2), json!(9))
    );
    assert_eq!(out["artifacts"], json!(["hello/target/debug/hello"]));
    assert!(
        dir.path()
            .join("workspace/hello/target/debug/hello")
            .is_file(),
        "the crate builds in its own target/, whatever CARGO_TARGET_DIR the caller has"
    );
    assert_eq!(out["command"][0], "cargo");
}

#[tokio::test]
async fn compile_code_fails_on_a_compile_error_naming_its_file_and_line() {
    let manifest = cargo_toml("broken");
    let (result, _dir) = run_in(
        &[
            ("Cargo.toml", &manifest),
            (
                "src/lib.rs",
                "pub fn half(x: i32) -> i32 {\n    let s: String = x / 2;\n    s\n}\n",
            ),
        ],
        json!([{"id": "build", "step_type": "compile_code", "parameters": {"language": "rust", "path": "."}}]),
    )
    .await;
    let (error, out) = failure(&result, "build");
    assert!(
        error.contains("src/lib.rs:2:") && error.contains("error[E0308]"),
        "the first error with its place and code: {error}"
    );
    assert_eq!(out["success"], false);
    assert!(out["errors"].as_u64().unwrap() >= 1);
    let first = out["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["level"] == "error")
        .unwrap();
    assert_eq!(first["file"], "src/lib.rs");
    assert_eq!(first["line"], 2);
    assert_eq!(first["code"], "E0308");
}

#[tokio::test]
async fn compile_code_compiles_python_and_locates_a_syntax_error() {
    let (result, dir) = run_in(
        &[
            (
                "py/pyproject.toml",
                "[project]\nname = \"calc\"\nversion = \"0.1\"\n",
            ),
            ("py/calc.py", "def add(a, b):\n    return a + b\n"),
            ("good/ok.py", "X = 1\n"),
            (
                "py/pkg/bad.py",
                "def ok():\n    pass\n\n    def broken(:\n        pass\n",
            ),
        ],
        json!([
            {"id": "bad", "step_type": "compile_code", "parameters": {"path": "py"}},
            {"id": "good", "step_type": "compile_code", "parameters": {"path": "good"}},
        ]),
    )
    .await;
    let (error, out) = failure(&result, "bad");
    assert!(error.contains("py/pkg/bad.py:4:"), "{error}");
    assert_eq!(out["toolchain"], "python");
    assert_eq!(out["errors"], 1);
    let d = &out["diagnostics"][0];
    assert_eq!(d["file"], "py/pkg/bad.py");
    assert_eq!(d["line"], 4);
    assert_eq!(
        d["column"], 16,
        "the caret's column in the file's own line: {d}"
    );
    assert_eq!(d["code"], "SyntaxError");
    let good = output(&result, "good");
    assert_eq!(
        (good["success"].clone(), good["errors"].clone()),
        (json!(true), json!(0))
    );
    assert!(dir.path().join("workspace/good/__pycache__").is_dir());
}

#[tokio::test]
async fn compile_code_runs_the_npm_build_script_and_names_a_missing_one() {
    let (result, dir) = run_in(
        &[
            (
                "web/package.json",
                r#"{"name": "web", "version": "1.0.0", "scripts": {"build": "node build.js"}}"#,
            ),
            (
                "web/build.js",
                "require('fs').mkdirSync('dist', {recursive: true});\nrequire('fs').writeFileSync('dist/out.js', 'built');\n",
            ),
            ("bare/package.json", r#"{"name": "bare", "version": "1.0.0"}"#),
        ],
        json!([
            {"id": "web", "step_type": "compile_code", "parameters": {"path": "web"}},
            {"id": "bare", "step_type": "compile_code", "parameters": {"path": "bare", "toolchain": "typescript"}},
        ]),
    )
    .await;
    let out = output(&result, "web");
    assert_eq!(out["toolchain"], "npm");
    assert_eq!(out["command"], json!(["npm", "run", "build"]));
    assert_eq!(ws_file(&dir, "web/dist/out.js"), "built");
    let (error, _) = failure(&result, "bare");
    assert!(
        error.contains("`bare/package.json` has no `build` script"),
        "names the missing script and where: {error}"
    );
}

#[tokio::test]
async fn a_folder_without_a_project_or_an_unknown_language_is_a_clear_error() {
    let (result, _dir) = run_in(
        &[("docs/README.md", "# docs\n"), ("lib/Cargo.toml", "")],
        json!([
            {"id": "none", "step_type": "compile_code", "parameters": {"path": "docs"}},
            {"id": "cobol", "step_type": "run_tests", "parameters": {"path": "docs", "language": "cobol"}},
            {"id": "no_manifest", "step_type": "lint_code", "parameters": {"path": "docs", "language": "rust"}},
            {"id": "file", "step_type": "format_code", "parameters": {"path": "docs/README.md"}},
        ]),
    )
    .await;
    let (error, _) = failure(&result, "none");
    assert!(
        error.contains("no project found in `docs`") && error.contains("`language`"),
        "{error}"
    );
    let (error, _) = failure(&result, "cobol");
    assert!(
        error.contains("unknown language `cobol`") && error.contains("rust, python"),
        "{error}"
    );
    let (error, _) = failure(&result, "no_manifest");
    assert!(error.contains("`docs` has no Cargo.toml"), "{error}");
    let (error, _) = failure(&result, "file");
    assert!(error.contains("is not a folder"), "{error}");
}

// ---------------------------------------------------------------- run_tests

const RUST_LIB_WITH_TESTS: &str = r#"pub fn add(a: i32, b: i32) -> i32 {
    a + b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds() {
        assert_eq!(add(2, 2), 4);
    }

    #[test]
    fn adds_wrong() {
        assert_eq!(add(2, 2), 5, "two and two");
    }

    #[test]
    #[ignore = "slow"]
    fn slow() {}
}
"#;

#[tokio::test]
async fn run_tests_with_cargo_names_the_failing_test_and_honours_the_filter() {
    let manifest = cargo_toml("calc");
    let (result, _dir) = run_in(
        &[("calc/Cargo.toml", &manifest), ("calc/src/lib.rs", RUST_LIB_WITH_TESTS)],
        json!([
            {"id": "all", "step_type": "run_tests", "parameters": {"path": "calc"}},
            {"id": "kept", "step_type": "run_tests",
             "parameters": {"path": "calc", "fail_on_failure": false}},
            {"id": "filtered", "step_type": "run_tests",
             "parameters": {"working_dir": "calc", "filter": "tests::adds", "args": ["--", "--exact"]}},
        ]),
    )
    .await;
    let (error, out) = failure(&result, "all");
    assert!(
        error.contains("1 of 3 tests failed") && error.contains("tests::adds_wrong"),
        "names the failing test: {error}"
    );
    assert_eq!(
        (
            &out["passed"],
            &out["failed"],
            &out["ignored"],
            &out["total"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(3))
    );
    let failure0 = &out["failures"][0];
    assert_eq!(failure0["name"], "tests::adds_wrong");
    let message = failure0["message"].as_str().unwrap();
    assert!(
        message.contains("two and two") && message.contains("src/lib.rs"),
        "the panic message with its place: {message}"
    );
    assert!(out["tests"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "tests::slow", "outcome": "ignored"})));

    let kept = output(&result, "kept");
    assert_eq!(
        kept["success"], false,
        "fail_on_failure: false keeps the step green"
    );
    assert_eq!(kept["failed"], 1);

    let filtered = output(&result, "filtered");
    assert_eq!(filtered["success"], true);
    assert_eq!(
        filtered["tests"],
        json!([{"name": "tests::adds", "outcome": "passed"}])
    );
}

#[tokio::test]
async fn run_tests_with_cargo_reports_tests_that_do_not_build() {
    let manifest = cargo_toml("nobuild");
    let (result, _dir) = run_in(
        &[
            ("Cargo.toml", &manifest),
            (
                "src/lib.rs",
                "#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {\n        let x: u8 = \"no\";\n    }\n}\n",
            ),
        ],
        json!([{"id": "t", "step_type": "run_tests", "parameters": {}}]),
    )
    .await;
    let (error, out) = failure(&result, "t");
    assert!(
        error.contains("the tests did not build: src/lib.rs:5:") && error.contains("E0308"),
        "{error}"
    );
    assert_eq!(out["total"], 0);
    assert_eq!(out["diagnostics"][0]["file"], "src/lib.rs");
}

const PY_CALC: &str = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a + b\n";
const PY_TESTS: &str = r#"import pytest

from calc import add, sub


def test_add():
    assert add(1, 2) == 3


def test_sub():
    assert sub(3, 2) == 1


@pytest.mark.skip(reason="later")
def test_later():
    pass


class TestMore:
    def test_zero(self):
        assert add(0, 0) == 0
"#;

#[tokio::test]
async fn run_tests_with_pytest_names_each_failure_with_its_assertion() {
    let (result, dir) = run_in(
        &[
            ("py/calc.py", PY_CALC),
            ("py/tests/test_calc.py", PY_TESTS),
            ("broken/test_broken.py", "import not_a_module\n\n\ndef test_x():\n    pass\n"),
        ],
        json!([
            {"id": "all", "step_type": "run_tests", "parameters": {"path": "py"}},
            {"id": "only_add", "step_type": "run_tests", "parameters": {"path": "py", "filter": "test_add"}},
            {"id": "broken", "step_type": "run_tests", "parameters": {"path": "broken", "language": "python"}},
        ]),
    )
    .await;
    let (error, out) = failure(&result, "all");
    assert_eq!(out["toolchain"], "python");
    assert!(
        error.contains("tests/test_calc.py::test_sub"),
        "names the failing test: {error}"
    );
    assert_eq!(
        (&out["passed"], &out["failed"], &out["ignored"]),
        (&json!(2), &json!(1), &json!(1))
    );
    assert_eq!(out["failures"][0]["name"], "tests/test_calc.py::test_sub");
    assert!(
        out["failures"][0]["message"]
            .as_str()
            .unwrap()
            .contains("assert 5 == 1"),
        "{}",
        out["failures"][0]
    );
    assert!(out["tests"].as_array().unwrap().contains(
        &json!({"name": "tests/test_calc.py::TestMore::test_zero", "outcome": "passed"})
    ));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("workspace/py"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".xml"))
        .collect();
    assert!(leftovers.is_empty(), "the JUnit report is removed");

    let only = output(&result, "only_add");
    assert_eq!(
        only["tests"],
        json!([{"name": "tests/test_calc.py::test_add", "outcome": "passed"}])
    );

    let (error, out) = failure(&result, "broken");
    assert!(error.contains("test_broken.py"), "{error}");
    assert!(
        out["failures"][0]["message"]
            .as_str()
            .unwrap()
            .contains("No module named 'not_a_module'"),
        "{out:#}"
    );
}

const NODE_TESTS: &str = r#"const test = require('node:test');
const assert = require('node:assert');
const { add } = require('../math.js');

test('adds', () => {
  assert.strictEqual(add(1, 2), 3);
});

test('adds negatives', () => {
  assert.strictEqual(add(-1, -2), -4);
});

test('later', { skip: 'not yet' }, () => {});
"#;

#[tokio::test]
async fn run_tests_with_npm_reads_node_test_tap_and_names_a_missing_script() {
    let (result, _dir) = run_in(
        &[
            (
                "js/package.json",
                r#"{"name": "js", "version": "1.0.0", "scripts": {"test": "node --test"}}"#,
            ),
            ("js/math.js", "exports.add = (a, b) => a + b;\n"),
            ("js/test/math.test.js", NODE_TESTS),
            ("nojs/package.json", r#"{"name": "nojs", "scripts": {"build": "true"}}"#),
        ],
        json!([
            {"id": "all", "step_type": "run_tests", "parameters": {"path": "js"}},
            {"id": "one", "step_type": "run_tests", "parameters": {"path": "js", "filter": "^adds$"}},
            {"id": "missing", "step_type": "run_tests", "parameters": {"path": "nojs"}},
        ]),
    )
    .await;
    let (error, out) = failure(&result, "all");
    assert_eq!(out["toolchain"], "npm");
    assert!(error.contains("adds negatives"), "{error}");
    assert_eq!(
        (&out["passed"], &out["failed"], &out["ignored"]),
        (&json!(1), &json!(1), &json!(1))
    );
    assert!(
        out["failures"][0]["message"]
            .as_str()
            .unwrap()
            .contains("-3 !== -4"),
        "{}",
        out["failures"][0]
    );
    let one = output(&result, "one");
    assert_eq!(one["passed"], 1);
    assert_eq!(one["failed"], 0);
    let (error, _) = failure(&result, "missing");
    assert!(
        error.contains("has no `test` script") && error.contains("node --test"),
        "{error}"
    );
}
