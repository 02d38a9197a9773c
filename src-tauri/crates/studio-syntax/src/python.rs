//! Python: `def` and `async def` at module level and in classes (nested classes too), with
//! their docstrings. Functions nested in function bodies are not listed.

use crate::{children, dedent, Cx, FunctionKind};
use tree_sitter::Node;

pub(crate) fn visit(cx: &mut Cx<'_>, root: Node<'_>) {
    block(cx, root, None);
}

fn block(cx: &mut Cx<'_>, list: Node<'_>, class: Option<&str>) {
    for node in children(list) {
        let node = if node.kind() == "decorated_definition" {
            match node.child_by_field_name("definition") {
                Some(def) => def,
                None => continue,
            }
        } else {
            node
        };
        match node.kind() {
            "function_definition" => function(cx, node, class),
            "class_definition" => {
                let Some(name) = node.child_by_field_name("name") else {
                    continue;
                };
                let name = cx.text(name).to_string();
                if let Some(body) = node.child_by_field_name("body") {
                    block(cx, body, Some(&name));
                }
            }
            _ => {}
        }
    }
}

fn function(cx: &mut Cx<'_>, node: Node<'_>, class: Option<&str>) {
    let Some(name) = node.child_by_field_name("name") else {
        return;
    };
    let name = cx.text(name).to_string();
    let public = !name.starts_with('_') || (name.starts_with("__") && name.ends_with("__"));
    let body = node.child_by_field_name("body");
    let signature = cx.signature(node, body);
    let doc = body.and_then(|b| docstring(cx, b));
    let kind = if class.is_some() {
        FunctionKind::Method
    } else {
        FunctionKind::Function
    };
    cx.push(
        node,
        name,
        kind,
        signature,
        doc,
        class.map(str::to_string),
        public,
    );
}

/// The docstring: a string literal as the body's first statement, cleaned like
/// `inspect.cleandoc` (first line trimmed, the rest dedented).
fn docstring(cx: &Cx<'_>, body: Node<'_>) -> Option<String> {
    let first = body.named_child(0)?;
    if first.kind() != "expression_statement" {
        return None;
    }
    let string = first.named_child(0)?;
    if string.kind() != "string" || first.named_child_count() != 1 {
        return None;
    }
    Some(clean_docstring(cx.text(string)))
}

pub(crate) fn clean_docstring(literal: &str) -> String {
    let without_prefix = literal.trim_start_matches(['r', 'R', 'u', 'U', 'b', 'B']);
    let inner = ["\"\"\"", "'''", "\"", "'"]
        .iter()
        .find_map(|q| {
            without_prefix
                .strip_prefix(q)
                .and_then(|s| s.strip_suffix(q))
        })
        .unwrap_or(without_prefix);
    let mut lines = inner.lines();
    let first = lines.next().unwrap_or("").trim().to_string();
    let rest: Vec<String> = lines.map(str::to_string).collect();
    // Blank lines between the summary and the rest stay (a paragraph break).
    let gap = rest.iter().take_while(|l| l.trim().is_empty()).count();
    let rest = dedent(&rest);
    match (first.is_empty(), rest.is_empty()) {
        (_, true) => first,
        (true, false) => rest,
        (false, false) => format!("{first}\n{}{rest}", "\n".repeat(gap)),
    }
}
