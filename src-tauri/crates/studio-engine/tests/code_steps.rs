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

/// `extract_functions` and `generate_docs`.
#[path = "code_steps/parse.rs"]
mod parse;

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

// ---------------------------------------------------------------- format_code

const UNFORMATTED_RS: &str = "pub fn add(a:i32,b:i32)->i32{a+b}\n";

#[tokio::test]
async fn format_code_checks_then_formats_a_cargo_crate() {
    let manifest = cargo_toml("fmt");
    let (result, dir) = run_in(
        &[
            ("fmt/Cargo.toml", &manifest),
            ("fmt/src/lib.rs", UNFORMATTED_RS),
            ("fmt/src/ok.rs", "pub fn ok() {}\n"),
        ],
        json!([
            {"id": "check", "step_type": "format_code", "parameters": {"path": "fmt", "check": true}},
            {"id": "report", "step_type": "format_code", "parameters": {"path": "fmt", "check": true, "fail_on_change": false}},
            {"id": "write", "step_type": "format_code", "depends_on": ["report"], "parameters": {"path": "fmt"}},
            {"id": "again", "step_type": "format_code", "depends_on": ["write"], "parameters": {"path": "fmt", "check": true}},
        ]),
    )
    .await;
    let (error, out) = failure(&result, "check");
    assert!(
        error.contains("`fmt` is not formatted") && error.contains("`fmt/src/lib.rs`"),
        "{error}"
    );
    assert_eq!(out["changed_files"], json!(["fmt/src/lib.rs"]));
    assert_eq!(out["checked"], true);
    let report = output(&result, "report");
    assert_eq!(report["success"], false);
    assert_eq!(report["changed_files"], json!(["fmt/src/lib.rs"]));
    let written = output(&result, "write");
    assert_eq!(written["changed_files"], json!(["fmt/src/lib.rs"]));
    assert_eq!(written["formatter"], "rustfmt");
    assert_eq!(
        ws_file(&dir, "fmt/src/lib.rs"),
        "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n"
    );
    let again = output(&result, "again");
    assert_eq!(again["success"], true);
    assert_eq!(again["changed_files"], json!([]));
}

#[tokio::test]
async fn format_code_formats_python_with_black_and_npm_with_its_script() {
    let (result, dir) = run_in(
        &[
            ("py/app.py", "def f( a,b ):\n  return {'a':a,'b':b}\n"),
            ("py/clean.py", "X = 1\n"),
            ("py2/app.py", "def f( a,b ):\n  return {'a':a,'b':b}\n"),
            (
                "web/package.json",
                r#"{"name": "web", "version": "1.0.0", "scripts": {"format": "node fmt.js"}}"#,
            ),
            (
                "web/fmt.js",
                "const fs = require('fs');\nfs.writeFileSync('src/a.js', fs.readFileSync('src/a.js', 'utf8').trim() + '\\n');\n",
            ),
            ("web/src/a.js", "let a = 1;   \n\n\n"),
            ("web/src/b.js", "let b = 2;\n"),
        ],
        json!([
            {"id": "py_check", "step_type": "format_code", "parameters": {"path": "py", "check": true}},
            {"id": "py_write", "step_type": "format_code", "parameters": {"path": "py2", "language": "python"}},
            {"id": "npm", "step_type": "format_code", "parameters": {"path": "web"}},
            {"id": "npm_check", "step_type": "format_code", "parameters": {"path": "web", "check": true}},
        ]),
    )
    .await;
    let (error, out) = failure(&result, "py_check");
    assert_eq!(out["formatter"], "black");
    assert_eq!(out["changed_files"], json!(["py/app.py"]), "{error}");
    assert_eq!(
        ws_file(&dir, "py/app.py"),
        "def f( a,b ):\n  return {'a':a,'b':b}\n",
        "a check writes nothing"
    );
    assert!(
        error.contains("black would reformat `py/app.py`"),
        "{error}"
    );
    let written = output(&result, "py_write");
    assert_eq!(written["changed_files"], json!(["py2/app.py"]));
    assert_eq!(
        ws_file(&dir, "py2/app.py"),
        "def f(a, b):\n    return {\"a\": a, \"b\": b}\n"
    );
    let npm = output(&result, "npm");
    assert_eq!(npm["changed_files"], json!(["web/src/a.js"]));
    assert_eq!(ws_file(&dir, "web/src/a.js"), "let a = 1;\n");
    let (error, _) = failure(&result, "npm_check");
    assert!(error.contains("has no `format:check` script"), "{error}");
}

// ---------------------------------------------------------------- lint_code

#[tokio::test]
async fn lint_code_runs_clippy_and_reports_its_lints() {
    let manifest = cargo_toml("lint");
    let (result, _dir) = run_in(
        &[
            ("lint/Cargo.toml", &manifest),
            (
                "lint/src/lib.rs",
                "pub fn one() -> i32 {\n    return 1;\n}\n",
            ),
        ],
        json!([
            {"id": "lint", "step_type": "lint_code", "parameters": {"path": "lint"}},
            {"id": "strict", "step_type": "lint_code", "parameters": {"path": "lint", "fail_on_warnings": true}},
        ]),
    )
    .await;
    let out = output(&result, "lint");
    assert_eq!(out["linter"], "clippy");
    assert_eq!(out["success"], true, "warnings alone pass");
    assert_eq!(out["lints"], 1, "{out:#}");
    let d = &out["diagnostics"][0];
    assert_eq!(d["code"], "clippy::needless_return");
    assert_eq!(d["level"], "warning");
    assert_eq!(
        (d["file"].clone(), d["line"].clone()),
        (json!("lint/src/lib.rs"), json!(2))
    );
    let (error, out) = failure(&result, "strict");
    assert!(
        error.contains("lint/src/lib.rs:2:5: warning[clippy::needless_return]"),
        "{error}"
    );
    assert_eq!(out["warnings"], 1);
}

#[tokio::test]
async fn lint_code_lints_python_and_fails_on_undefined_names() {
    let (result, _dir) = run_in(
        &[
            ("ok/util.py", "import os\n\n\ndef cwd():\n    return 1\n"),
            ("bad/main.py", "def run():\n    return missing_name + 1\n"),
            ("js/package.json", r#"{"name": "js", "version": "1.0.0"}"#),
        ],
        json!([
            {"id": "ok", "step_type": "lint_code", "parameters": {"path": "ok"}},
            {"id": "bad", "step_type": "lint_code", "parameters": {"path": "bad"}},
            {"id": "js", "step_type": "lint_code", "parameters": {"path": "js"}},
        ]),
    )
    .await;
    let ok = output(&result, "ok");
    assert!(
        ["ruff", "flake8", "pyflakes"].contains(&ok["linter"].as_str().unwrap()),
        "{ok:#}"
    );
    assert_eq!(ok["errors"], 0);
    let unused = &ok["diagnostics"][0];
    assert_eq!(unused["file"], "ok/util.py");
    assert_eq!(unused["line"], 1);
    assert!(
        unused["message"]
            .as_str()
            .unwrap()
            .contains("imported but unused"),
        "{unused}"
    );
    let (error, out) = failure(&result, "bad");
    assert!(
        error.contains("bad/main.py:2:") && error.contains("missing_name"),
        "{error}"
    );
    assert_eq!(out["errors"], 1);
    let (error, _) = failure(&result, "js");
    assert!(error.contains("has no `lint` script"), "{error}");
}

// ---------------------------------------------------------------- the read-only sandbox

#[tokio::test]
async fn toolchain_steps_run_confined_under_the_read_only_sandbox() {
    // Under `sandbox: read-only` the tools start under Landlock (where the kernel has it) and
    // may write only inside the workspace: the linker's and Python's temporary files go to a
    // scratch folder there, removed afterwards.
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("workspace");
    let manifest = cargo_toml("confined");
    let files = [
        ("rs/Cargo.toml", manifest.as_str()),
        ("rs/src/lib.rs", "pub fn one() -> i32 {\n    1\n}\n\n#[test]\nfn is_one() {\n    assert_eq!(one(), 1);\n}\n"),
        ("py/calc.py", PY_CALC),
        ("py/test_calc.py", "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"),
        ("js/package.json", r#"{"name": "js", "version": "1.0.0", "scripts": {"test": "node --test"}}"#),
        ("js/test/one.test.js", "require('node:test')('one', () => {});\n"),
    ];
    for (path, text) in files {
        let path = ws.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let mission: Mission = serde_json::from_value(json!({
        "name": "Confined code steps",
        "config": {"max_concurrent_steps": 1, "fail_fast": false},
        "perimeter": {"sandbox": "read-only"},
        "steps": [
            {"id": "rs_test", "step_type": "run_tests", "parameters": {"path": "rs"}},
            {"id": "rs_lint", "step_type": "lint_code", "parameters": {"path": "rs"}},
            {"id": "py_test", "step_type": "run_tests", "parameters": {"path": "py"}},
            {"id": "py_lint", "step_type": "lint_code", "parameters": {"path": "py"}},
            {"id": "js_test", "step_type": "run_tests", "parameters": {"path": "js"}},
        ],
    }))
    .unwrap();
    let result = run_mission(&mission, RunOptions::new(&ws), &mut studio_engine::NullSink)
        .await
        .unwrap();
    assert_eq!(output(&result, "rs_test")["passed"], 1);
    assert_eq!(output(&result, "rs_lint")["errors"], 0);
    assert_eq!(output(&result, "py_test")["passed"], 1);
    assert_eq!(output(&result, "py_lint")["errors"], 0);
    assert_eq!(output(&result, "js_test")["passed"], 1);
    assert!(
        !ws.join(".mission-tmp").exists(),
        "the scratch folder is removed"
    );
}

#[tokio::test]
async fn run_tests_with_an_npm_script_that_is_not_tap_fails_by_its_exit_code() {
    let (result, _dir) = run_in(
        &[
            (
                "package.json",
                r#"{"name": "plain", "version": "1.0.0", "scripts": {"test": "node check.js"}}"#,
            ),
            (
                "check.js",
                "console.log('checking');\nconsole.error('total is wrong');\nprocess.exit(3);\n",
            ),
        ],
        json!([{"id": "t", "step_type": "run_tests", "parameters": {"language": "javascript"}}]),
    )
    .await;
    let (error, out) = failure(&result, "t");
    assert!(
        error.contains("`npm test` exited with code 3")
            && error.contains("not TAP, so the failing tests cannot be named"),
        "{error}"
    );
    assert_eq!(out["tests"], json!([]));
    assert!(
        out["stdout_tail"].as_str().unwrap().contains("checking"),
        "{out:#}"
    );
}
