//! The tree-sitter parses: `extract_functions` over each language and over a folder,
//! `generate_docs`.

use super::{failure, output, run_in, ws_file};
use serde_json::{json, Value};

// ---------------------------------------------------------------- extract_functions

const RUST_SRC: &str = r#"/// A stack of numbers.
pub struct Stack {
    items: Vec<i64>,
}

impl Stack {
    /// Pushes a number.
    pub fn push(&mut self, n: i64) {
        self.items.push(n);
    }

    fn top(&self) -> Option<&i64> {
        self.items.last()
    }
}

/// Adds two numbers.
pub fn add(a: i64, b: i64) -> i64 {
    a + b
}
"#;

const PY_SRC: &str = r#"class Greeter:
    """Says hello."""

    def greet(self, name: str) -> str:
        """Return a greeting for `name`."""
        return f"hello {name}"


def _hidden():
    pass
"#;

const JS_SRC: &str = r#"/** Multiplies two numbers. */
export function mul(a, b) {
  return a * b;
}

export const square = (x) => mul(x, x);
"#;

const TS_SRC: &str = r#"export interface Repo {
  /** Finds a user by id. */
  find(id: number): Promise<string>;
}

/**
 * Formats a price.
 */
export function price(cents: number, currency = "EUR"): string {
  return `${cents / 100} ${currency}`;
}
"#;

const GO_SRC: &str = r#"package shapes

// Circle is round.
type Circle struct{ R float64 }

// Area of the circle.
func (c Circle) Area() float64 {
	return 3.14 * c.R * c.R
}

func scale(f float64) float64 { return f * 2 }
"#;

fn by_name<'a>(functions: &'a Value, name: &str) -> &'a Value {
    functions
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("`{name}` not in {functions:#}"))
}

#[tokio::test]
async fn extract_functions_reads_each_of_the_five_languages() {
    let (result, _dir) = run_in(
        &[
            ("src/stack.rs", RUST_SRC),
            ("src/greeter.py", PY_SRC),
            ("src/math.js", JS_SRC),
            ("src/price.ts", TS_SRC),
            ("src/shapes.go", GO_SRC),
        ],
        json!([
            {"id": "rust", "step_type": "extract_functions", "parameters": {"path": "src/stack.rs"}},
            {"id": "python", "step_type": "extract_functions", "parameters": {"file": "src/greeter.py"}},
            {"id": "js", "step_type": "extract_functions", "parameters": {"path": "src/math.js"}},
            {"id": "ts", "step_type": "extract_functions", "parameters": {"path": "src/price.ts"}},
            {"id": "go", "step_type": "extract_functions", "parameters": {"path": "src/shapes.go", "language": "go"}},
        ]),
    )
    .await;

    let rust = output(&result, "rust");
    assert_eq!(rust["count"], 3);
    assert_eq!(rust["files_parsed"], 1);
    let push = by_name(&rust["functions"], "push");
    assert_eq!(
        push,
        &json!({
            "name": "push", "kind": "method", "signature": "pub fn push(&mut self, n: i64)",
            "file": "src/stack.rs", "language": "rust", "start_line": 8, "end_line": 10,
            "doc": "Pushes a number.", "parent": "Stack", "public": true,
        })
    );
    assert_eq!(by_name(&rust["functions"], "top")["public"], false);
    assert_eq!(
        by_name(&rust["functions"], "add")["doc"],
        "Adds two numbers."
    );

    let python = output(&result, "python");
    let greet = by_name(&python["functions"], "greet");
    assert_eq!(greet["signature"], "def greet(self, name: str) -> str");
    assert_eq!(greet["doc"], "Return a greeting for `name`.");
    assert_eq!(greet["parent"], "Greeter");
    assert_eq!(
        (greet["start_line"].clone(), greet["end_line"].clone()),
        (json!(4), json!(6))
    );
    assert_eq!(by_name(&python["functions"], "_hidden")["public"], false);

    let js = output(&result, "js");
    let mul = by_name(&js["functions"], "mul");
    assert_eq!(mul["signature"], "function mul(a, b)");
    assert_eq!(mul["doc"], "Multiplies two numbers.");
    assert_eq!(
        by_name(&js["functions"], "square")["signature"],
        "const square = (x) =>"
    );

    let ts = output(&result, "ts");
    let price = by_name(&ts["functions"], "price");
    assert_eq!(
        price["signature"],
        "function price(cents: number, currency = \"EUR\"): string"
    );
    assert_eq!(price["doc"], "Formats a price.");
    assert_eq!(
        (price["start_line"].clone(), price["end_line"].clone()),
        (json!(9), json!(11))
    );
    let find = by_name(&ts["functions"], "find");
    assert_eq!(
        (find["kind"].clone(), find["parent"].clone()),
        (json!("method"), json!("Repo"))
    );

    let go = output(&result, "go");
    let area = by_name(&go["functions"], "Area");
    assert_eq!(area["signature"], "func (c Circle) Area() float64");
    assert_eq!(area["parent"], "Circle");
    assert_eq!(area["doc"], "Area of the circle.");
    assert_eq!(by_name(&go["functions"], "scale")["public"], false);
}

#[tokio::test]
async fn extract_functions_walks_a_folder_with_filters_and_reports_syntax_errors() {
    let (result, _dir) = run_in(
        &[
            ("proj/src/stack.rs", RUST_SRC),
            ("proj/src/greeter.py", PY_SRC),
            ("proj/app/broken.py", "def fine():\n    pass\n\ndef broken(:\n    pass\n"),
            ("proj/node_modules/dep/index.js", JS_SRC),
            ("proj/target/gen.rs", RUST_SRC),
            ("proj/notes.txt", "not code"),
        ],
        json!([
            {"id": "all", "step_type": "extract_functions", "parameters": {"path": "proj"}},
            {"id": "public_py", "step_type": "extract_functions",
             "parameters": {"path": "proj", "language": "python", "include_private": false}},
            {"id": "glob", "step_type": "extract_functions", "parameters": {"path": "proj", "pattern": "src/*.rs"}},
            {"id": "unknown", "step_type": "extract_functions", "parameters": {"path": "proj/notes.txt"}},
        ]),
    )
    .await;
    let all = output(&result, "all");
    assert_eq!(
        all["files_parsed"], 3,
        "node_modules, target and .txt skipped: {all:#}"
    );
    let files: std::collections::BTreeSet<&str> = all["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "proj/app/broken.py",
            "proj/src/greeter.py",
            "proj/src/stack.rs"
        ]
        .into()
    );
    let errors = all["errors"].as_array().unwrap();
    assert!(!errors.is_empty());
    assert_eq!(errors[0]["file"], "proj/app/broken.py");
    assert_eq!(errors[0]["line"], 4);
    assert_eq!(by_name(&all["functions"], "fine")["start_line"], 1);

    let public_py = output(&result, "public_py");
    let names: Vec<&str> = public_py["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fine", "broken", "greet"]);

    let glob = output(&result, "glob");
    assert_eq!(glob["files_parsed"], 1);
    assert_eq!(glob["count"], 3);

    let (error, _) = failure(&result, "unknown");
    assert!(
        error.contains("cannot tell the language of `proj/notes.txt`")
            && error.contains("`language`"),
        "{error}"
    );
}

// ---------------------------------------------------------------- generate_docs

#[tokio::test]
async fn generate_docs_writes_a_markdown_api_summary() {
    let (result, dir) = run_in(
        &[("lib/stack.rs", RUST_SRC), ("lib/shapes.go", GO_SRC)],
        json!([
            {"id": "docs", "step_type": "generate_docs",
             "parameters": {"path": "lib", "output": "docs/API.md", "title": "Library API"}},
            {"id": "private", "step_type": "generate_docs",
             "parameters": {"source": "lib/shapes.go", "include_private": true}},
        ]),
    )
    .await;
    let out = output(&result, "docs");
    let md = out["markdown"].as_str().unwrap();
    assert_eq!(out["output_file"], "docs/API.md");
    assert_eq!(ws_file(&dir, "docs/API.md"), md);
    assert_eq!(out["functions"], 3, "public only: {md}");
    assert_eq!(out["files"], 2);
    assert!(md.starts_with("# Library API\n"), "{md}");
    assert!(
        md.contains("## `lib/stack.rs`\n\n### `Stack::push`\n\n```rust\npub fn push(&mut self, n: i64)\n```\n\nPushes a number.\n"),
        "{md}"
    );
    assert!(md.contains("### `Circle.Area`\n\n```go\nfunc (c Circle) Area() float64\n```\n\nArea of the circle.\n"), "{md}");
    assert!(
        !md.contains("scale") && !md.contains("fn top"),
        "private functions left out: {md}"
    );
    assert_eq!(out["undocumented"], json!([]));
    assert!(
        result.artifacts.contains(&"docs/API.md".to_string()),
        "{:?}",
        result.artifacts
    );

    let private = output(&result, "private");
    assert_eq!(private["output_file"], Value::Null);
    assert_eq!(private["undocumented"], json!(["lib/shapes.go: scale"]));
    assert!(private["markdown"]
        .as_str()
        .unwrap()
        .contains("func scale(f float64) float64"));
}
