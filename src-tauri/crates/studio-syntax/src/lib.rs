//! Code outlines read with tree-sitter: the functions and methods of a source file with their
//! signature, line range, doc comment (or docstring), enclosing type and visibility, for Rust,
//! Python, JavaScript, TypeScript (and TSX) and Go.
//!
//! A file with syntax errors is parsed anyway (tree-sitter recovers): what could be read is
//! returned together with the places where the parser found errors.
//!
//! What counts as public, per language:
//! - Rust: `pub` (not `pub(crate)` or `pub(super)`); methods of trait definitions and of
//!   `impl Trait for Type` blocks are public.
//! - Python: a name that does not start with `_`, or a dunder name (`__init__`).
//! - JavaScript / TypeScript: a name that starts with neither `_` nor `#` and, in TypeScript,
//!   no `private` or `protected` modifier.
//! - Go: a name that starts with an upper-case letter.

mod go;
mod js;
mod python;
mod rust;

use tree_sitter::{Node, Parser, Tree};

/// A language this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    /// TypeScript with JSX (`.tsx`).
    Tsx,
    Go,
}

/// The names `language` parameters accept.
pub const LANGUAGE_NAMES: &[&str] = &["rust", "python", "javascript", "typescript", "go"];

impl Language {
    /// A language from its name (`rust`, `python`, `javascript`, `typescript`, `tsx`, `go`; also
    /// the usual short names `rs`, `py`, `js`, `node`, `ts`, `golang`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "rust" | "rs" => Self::Rust,
            "python" | "py" | "python3" => Self::Python,
            "javascript" | "js" | "node" | "jsx" => Self::JavaScript,
            "typescript" | "ts" => Self::TypeScript,
            "tsx" => Self::Tsx,
            "go" | "golang" => Self::Go,
            _ => return None,
        })
    }

    /// The language of a file, from its extension.
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "rs" => Self::Rust,
            "py" | "pyi" => Self::Python,
            "js" | "mjs" | "cjs" | "jsx" => Self::JavaScript,
            "ts" | "mts" | "cts" => Self::TypeScript,
            "tsx" => Self::Tsx,
            "go" => Self::Go,
            _ => return None,
        })
    }

    /// Whether a file with this language's grammar may be read as `self` (TypeScript also reads
    /// `.tsx` files).
    pub fn covers(self, file_language: Language) -> bool {
        self == file_language || (self == Self::TypeScript && file_language == Self::Tsx)
    }

    /// The name used in outputs and in Markdown code fences.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::Python => "python",
            Self::JavaScript => "javascript",
            Self::TypeScript => "typescript",
            Self::Tsx => "tsx",
            Self::Go => "go",
        }
    }

    fn grammar(self) -> tree_sitter::Language {
        match self {
            Self::Rust => tree_sitter_rust::LANGUAGE.into(),
            Self::Python => tree_sitter_python::LANGUAGE.into(),
            Self::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Self::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Self::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Self::Go => tree_sitter_go::LANGUAGE.into(),
        }
    }

    /// How a member is named after its type in text (`Stack::push`, `Stack.push`).
    pub fn member_separator(self) -> &'static str {
        match self {
            Self::Rust => "::",
            _ => ".",
        }
    }
}

/// What a function is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionKind {
    /// A free function (also an arrow function or function expression bound to a name).
    Function,
    /// A function inside a type: an `impl` or `trait` block, a class, an interface, or a Go
    /// method with a receiver.
    Method,
}

impl FunctionKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Function => "function",
            Self::Method => "method",
        }
    }
}

/// One function or method found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub kind: FunctionKind,
    /// The declaration up to its body, on one line (`pub fn add(a: i32, b: i32) -> i32`).
    pub signature: String,
    /// 1-based, inclusive.
    pub start_line: usize,
    pub end_line: usize,
    /// The doc comment or docstring, without its markers, `None` when there is none.
    pub doc: Option<String>,
    /// The enclosing type (impl type, trait, class, interface, Go receiver type).
    pub parent: Option<String>,
    pub public: bool,
}

impl Function {
    /// The name with its enclosing type (`Stack::push`, `Stack.push`, `add`).
    pub fn qualified_name(&self, language: Language) -> String {
        match &self.parent {
            Some(parent) => format!("{parent}{}{}", language.member_separator(), self.name),
            None => self.name.clone(),
        }
    }
}

/// A place where the parser found a syntax error (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorPosition {
    pub line: usize,
    pub column: usize,
}

/// The outline of one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outline {
    /// In source order.
    pub functions: Vec<Function>,
    /// Syntax errors (at most [`MAX_ERRORS`]), in source order.
    pub errors: Vec<ErrorPosition>,
}

/// Most syntax errors listed per file.
pub const MAX_ERRORS: usize = 20;

/// Reads the functions of `source`, written in `language`.
pub fn outline(source: &str, language: Language) -> Outline {
    let Some(tree) = parse(source, language) else {
        return Outline::default();
    };
    let root = tree.root_node();
    let mut cx = Cx {
        src: source.as_bytes(),
        functions: Vec::new(),
    };
    match language {
        Language::Rust => rust::visit(&mut cx, root),
        Language::Python => python::visit(&mut cx, root),
        Language::JavaScript | Language::TypeScript | Language::Tsx => js::visit(&mut cx, root),
        Language::Go => go::visit(&mut cx, root),
    }
    let mut functions = cx.functions;
    functions.sort_by_key(|f| (f.start_line, f.end_line));
    Outline {
        functions,
        errors: errors(root),
    }
}

fn parse(source: &str, language: Language) -> Option<Tree> {
    let mut parser = Parser::new();
    parser.set_language(&language.grammar()).ok()?;
    parser.parse(source, None)
}

fn errors(root: Node<'_>) -> Vec<ErrorPosition> {
    let mut found = Vec::new();
    if !root.has_error() {
        return found;
    }
    let mut pending = vec![root];
    while let Some(node) = pending.pop() {
        if found.len() >= MAX_ERRORS {
            break;
        }
        if node.is_error() || node.is_missing() {
            let at = node.start_position();
            found.push(ErrorPosition {
                line: at.row + 1,
                column: at.column + 1,
            });
            continue;
        }
        if node.has_error() {
            let mut cursor = node.walk();
            let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
            pending.extend(children.into_iter().rev());
        }
    }
    found.sort_by_key(|e| (e.line, e.column));
    found.dedup();
    found
}

/// What the language visitors share: the source and the functions found so far.
pub(crate) struct Cx<'s> {
    pub src: &'s [u8],
    pub functions: Vec<Function>,
}

impl Cx<'_> {
    pub fn text(&self, node: Node<'_>) -> &str {
        node.utf8_text(self.src).unwrap_or("")
    }

    /// The declaration from `from` up to `body` (or the end of `from`), on one line.
    pub fn signature(&self, from: Node<'_>, body: Option<Node<'_>>) -> String {
        let end = body.map_or(from.end_byte(), |b| b.start_byte());
        let raw = self
            .src
            .get(from.start_byte()..end.max(from.start_byte()))
            .unwrap_or(&[]);
        tidy(&String::from_utf8_lossy(raw))
    }

    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        node: Node<'_>,
        name: String,
        kind: FunctionKind,
        signature: String,
        doc: Option<String>,
        parent: Option<String>,
        public: bool,
    ) {
        if name.is_empty() {
            return;
        }
        let end = node.end_position();
        let end_line = if end.column == 0 && end.row > node.start_position().row {
            end.row
        } else {
            end.row + 1
        };
        self.functions.push(Function {
            name,
            kind,
            signature,
            start_line: node.start_position().row + 1,
            end_line,
            doc: doc.filter(|d| !d.trim().is_empty()),
            parent,
            public,
        });
    }

    /// The `/** … */` comment right above `node` (JSDoc style), without its markers.
    pub fn block_doc_above(&self, node: Node<'_>) -> Option<String> {
        let prev = node.prev_sibling()?;
        if prev.kind() != "comment" || !adjacent(prev, node) {
            return None;
        }
        let text = self.text(prev);
        text.starts_with("/**").then(|| clean_block_comment(text))
    }

    /// The run of `//` comments right above `node` (Go style), without their markers.
    pub fn line_comments_above(&self, node: Node<'_>) -> Option<String> {
        let mut lines = Vec::new();
        let mut below = node;
        while let Some(prev) = below.prev_sibling() {
            let text = self.text(prev);
            if prev.kind() != "comment" || !text.starts_with("//") || !adjacent(prev, below) {
                break;
            }
            lines.push(text.trim_start_matches("//").trim_end().to_string());
            below = prev;
        }
        if lines.is_empty() {
            return None;
        }
        lines.reverse();
        Some(dedent(&lines))
    }
}

/// Whether `above` ends on the line right before `below` starts (or on the same line).
fn adjacent(above: Node<'_>, below: Node<'_>) -> bool {
    let end = above.end_position();
    // A line comment may include its newline and end at column 0 of the next line.
    let end_row = if end.column == 0 && end.row > above.start_position().row {
        end.row - 1
    } else {
        end.row
    };
    below.start_position().row <= end_row + 1
}

/// Collapses whitespace to single spaces and drops the spaces inside brackets and before
/// commas, so a declaration written over several lines reads as one.
pub(crate) fn tidy(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(collapsed.len());
    let chars: Vec<char> = collapsed.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = out.chars().last();
            let next = chars.get(i + 1).copied();
            if matches!(prev, Some('(' | '[')) || matches!(next, Some(')' | ']' | ',')) {
                continue;
            }
        }
        if matches!(c, ')' | ']') && out.ends_with(',') {
            out.pop();
        }
        out.push(c);
    }
    out.trim()
        .trim_end_matches(['{', ':', ';'])
        .trim_end()
        .to_string()
}

/// The text of a `/** … */` or `/* … */` comment without its markers and leading `*`s.
pub(crate) fn clean_block_comment(text: &str) -> String {
    let inner = text
        .trim()
        .trim_start_matches("/**")
        .trim_start_matches("/*")
        .trim_end_matches("*/");
    let lines: Vec<String> = inner
        .lines()
        .map(|l| {
            let t = l.trim_start();
            t.strip_prefix('*').unwrap_or(t).trim_end().to_string()
        })
        .collect();
    dedent(&lines)
}

/// Removes the common leading whitespace and the blank lines at both ends.
pub(crate) fn dedent(lines: &[String]) -> String {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let kept: Vec<&str> = lines
        .iter()
        .map(|l| {
            if l.trim().is_empty() {
                ""
            } else {
                l.get(indent..).unwrap_or(l.trim_start())
            }
        })
        .collect();
    kept.join("\n").trim_matches('\n').to_string()
}

/// The children of `node` (named or not) as a list.
pub(crate) fn children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

#[cfg(test)]
mod tests;
