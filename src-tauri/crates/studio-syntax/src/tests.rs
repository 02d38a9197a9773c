use super::*;

fn find<'a>(o: &'a Outline, name: &str) -> &'a Function {
    o.functions
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("`{name}` not found in {:#?}", o.functions))
}

#[test]
fn rust_functions_methods_docs_and_visibility() {
    let src = r#"//! Crate docs are not a function's.

/// Adds two numbers.
///
/// Wraps on overflow.
#[inline]
pub fn add(a: i32, b: i32) -> i32 {
    a.wrapping_add(b)
}

fn helper() {}

pub(crate) fn internal(
    x: u8,
    y: u8,
) -> u8 {
    x + y
}

pub struct Stack<T> {
    items: Vec<T>,
}

impl<T> Stack<T> {
    /** Makes an empty stack. */
    pub fn new() -> Self {
        Self { items: Vec::new() }
    }

    fn len(&self) -> usize {
        self.items.len()
    }
}

pub trait Shape {
    /// The area.
    fn area(&self) -> f64;
}

impl std::fmt::Display for Stack<u8> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "stack")
    }
}

mod inner {
    pub fn nested() {}
}
"#;
    let o = outline(src, Language::Rust);
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    let names: Vec<&str> = o.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["add", "helper", "internal", "new", "len", "area", "fmt", "nested"]
    );
    let add = find(&o, "add");
    assert_eq!(add.signature, "pub fn add(a: i32, b: i32) -> i32");
    assert_eq!(
        add.doc.as_deref(),
        Some("Adds two numbers.\n\nWraps on overflow.")
    );
    assert_eq!((add.start_line, add.end_line), (7, 9));
    assert_eq!(add.kind, FunctionKind::Function);
    assert!(add.public && add.parent.is_none());
    assert!(!find(&o, "helper").public);
    let internal = find(&o, "internal");
    assert_eq!(
        internal.signature,
        "pub(crate) fn internal(x: u8, y: u8) -> u8"
    );
    assert!(!internal.public, "pub(crate) is not public API");
    let new = find(&o, "new");
    assert_eq!(new.kind, FunctionKind::Method);
    assert_eq!(new.parent.as_deref(), Some("Stack<T>"));
    assert_eq!(new.doc.as_deref(), Some("Makes an empty stack."));
    assert_eq!(new.qualified_name(Language::Rust), "Stack<T>::new");
    assert!(!find(&o, "len").public);
    let area = find(&o, "area");
    assert_eq!(area.signature, "fn area(&self) -> f64");
    assert_eq!(area.parent.as_deref(), Some("Shape"));
    assert!(area.public, "trait methods are public");
    assert!(find(&o, "fmt").public, "trait impl methods are public");
    assert!(find(&o, "nested").public);
}

#[test]
fn python_functions_methods_and_docstrings() {
    let src = r#""""Module docstring."""
import os


def add(a: int, b: int) -> int:
    """Add two numbers.

    Returns their sum.
    """
    return a + b


async def fetch(url):
    '''Fetch a page.'''
    return url


def _private():
    pass


class Calculator:
    """A calculator."""

    def __init__(self):
        self.total = 0

    @staticmethod
    def square(x):
        "Square x."
        def inner():
            pass
        return x * x
"#;
    let o = outline(src, Language::Python);
    assert!(o.errors.is_empty());
    let names: Vec<&str> = o.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["add", "fetch", "_private", "__init__", "square"]);
    let add = find(&o, "add");
    assert_eq!(add.signature, "def add(a: int, b: int) -> int");
    assert_eq!(
        add.doc.as_deref(),
        Some("Add two numbers.\n\nReturns their sum.")
    );
    assert_eq!((add.start_line, add.end_line), (5, 10));
    assert_eq!(find(&o, "fetch").signature, "async def fetch(url)");
    assert_eq!(find(&o, "fetch").doc.as_deref(), Some("Fetch a page."));
    assert!(!find(&o, "_private").public);
    let init = find(&o, "__init__");
    assert!(init.public && init.doc.is_none());
    assert_eq!(init.parent.as_deref(), Some("Calculator"));
    let square = find(&o, "square");
    assert_eq!(square.kind, FunctionKind::Method);
    assert_eq!(square.doc.as_deref(), Some("Square x."));
    assert_eq!(square.qualified_name(Language::Python), "Calculator.square");
}

#[test]
fn javascript_declarations_arrows_commonjs_and_classes() {
    let src = r#"/**
 * Adds two numbers.
 * @param {number} a
 */
function add(a, b) {
  return a + b;
}

// not a doc comment
const double = (x) => x * 2;

/** Exported. */
export async function load(url) {
  return url;
}

exports.sub = function (a, b) {
  return a - b;
};

class Counter {
  #count = 0;
  /** Adds one. */
  increment() {
    this.#count++;
  }
  #reset() {}
  handle = () => {};
}
"#;
    let o = outline(src, Language::JavaScript);
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    let names: Vec<&str> = o.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "add",
            "double",
            "load",
            "sub",
            "increment",
            "#reset",
            "handle"
        ]
    );
    let add = find(&o, "add");
    assert_eq!(add.signature, "function add(a, b)");
    assert_eq!(
        add.doc.as_deref(),
        Some("Adds two numbers.\n@param {number} a")
    );
    assert_eq!((add.start_line, add.end_line), (5, 7));
    let double = find(&o, "double");
    assert_eq!(double.signature, "const double = (x) =>");
    assert!(double.doc.is_none(), "a // comment is not a doc comment");
    assert_eq!(find(&o, "load").doc.as_deref(), Some("Exported."));
    assert_eq!(find(&o, "load").signature, "async function load(url)");
    assert_eq!(find(&o, "sub").signature, "exports.sub = function (a, b)");
    let inc = find(&o, "increment");
    assert_eq!(inc.parent.as_deref(), Some("Counter"));
    assert_eq!(inc.doc.as_deref(), Some("Adds one."));
    assert!(!find(&o, "#reset").public);
}

#[test]
fn typescript_interfaces_modifiers_and_tsx() {
    let src = r#"export interface Shape {
  /** The area. */
  area(): number;
}

/** Squares a number. */
export function square(x: number): number {
  return x * x;
}

export class Circle implements Shape {
  constructor(private r: number) {}
  area(): number {
    return Math.PI * this.r * this.r;
  }
  private secret(): void {}
}
"#;
    let o = outline(src, Language::TypeScript);
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    let area: Vec<&Function> = o.functions.iter().filter(|f| f.name == "area").collect();
    assert_eq!(area.len(), 2);
    assert_eq!(area[0].parent.as_deref(), Some("Shape"));
    assert_eq!(area[0].signature, "area(): number");
    assert_eq!(area[0].doc.as_deref(), Some("The area."));
    let square = find(&o, "square");
    assert_eq!(square.signature, "function square(x: number): number");
    assert_eq!(square.doc.as_deref(), Some("Squares a number."));
    assert!(!find(&o, "secret").public);
    assert!(find(&o, "constructor").public);

    let tsx = "export const App = (props: {n: number}) => <div>{props.n}</div>;\n";
    let o = outline(tsx, Language::Tsx);
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    assert_eq!(
        find(&o, "App").signature,
        "const App = (props: {n: number}) =>"
    );
}

#[test]
fn go_functions_methods_and_interfaces() {
    let src = r#"package geometry

// Area returns the area
// of a rectangle.
func Area(w, h float64) float64 {
	return w * h
}

func helper() {}

type Rect struct{ W, H float64 }

// Scale grows the rectangle.
func (r *Rect) Scale(f float64) {
	r.W *= f
}

type Shape interface {
	// Perimeter of the shape.
	Perimeter() float64
}
"#;
    let o = outline(src, Language::Go);
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    let names: Vec<&str> = o.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["Area", "helper", "Scale", "Perimeter"]);
    let area = find(&o, "Area");
    assert_eq!(area.signature, "func Area(w, h float64) float64");
    assert_eq!(
        area.doc.as_deref(),
        Some("Area returns the area\nof a rectangle.")
    );
    assert_eq!((area.start_line, area.end_line), (5, 7));
    assert!(area.public && !find(&o, "helper").public);
    let scale = find(&o, "Scale");
    assert_eq!(scale.parent.as_deref(), Some("Rect"));
    assert_eq!(scale.kind, FunctionKind::Method);
    assert_eq!(scale.signature, "func (r *Rect) Scale(f float64)");
    let per = find(&o, "Perimeter");
    assert_eq!(per.parent.as_deref(), Some("Shape"));
    assert_eq!(per.doc.as_deref(), Some("Perimeter of the shape."));
}

#[test]
fn syntax_errors_are_located_and_the_rest_is_still_read() {
    let src = "def good():\n    pass\n\ndef broken(:\n    pass\n\ndef after():\n    pass\n";
    let o = outline(src, Language::Python);
    assert!(!o.errors.is_empty());
    assert_eq!(o.errors[0].line, 4, "{:?}", o.errors);
    let names: Vec<&str> = o.functions.iter().map(|f| f.name.as_str()).collect();
    assert!(
        names.contains(&"good") && names.contains(&"after"),
        "{names:?}"
    );

    let o = outline("fn ok() {}\nfn bad( {\n", Language::Rust);
    assert!(!o.errors.is_empty());
    assert!(o.functions.iter().any(|f| f.name == "ok"));
}

#[test]
fn languages_from_names_and_extensions() {
    use std::path::Path;
    assert_eq!(Language::from_name("node"), Some(Language::JavaScript));
    assert_eq!(
        Language::from_name("TypeScript"),
        Some(Language::TypeScript)
    );
    assert_eq!(Language::from_name("cobol"), None);
    assert_eq!(
        Language::from_path(Path::new("a/b.tsx")),
        Some(Language::Tsx)
    );
    assert_eq!(
        Language::from_path(Path::new("m.mjs")),
        Some(Language::JavaScript)
    );
    assert_eq!(Language::from_path(Path::new("README.md")), None);
    assert!(Language::TypeScript.covers(Language::Tsx));
    assert!(!Language::JavaScript.covers(Language::TypeScript));
}

#[test]
fn signatures_are_tidied_onto_one_line() {
    assert_eq!(
        tidy("fn f(\n    a: u8,\n    b: u8,\n) -> u8 {"),
        "fn f(a: u8, b: u8) -> u8"
    );
    assert_eq!(tidy("def f(a,\n      b):"), "def f(a, b)");
}
