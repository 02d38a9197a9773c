//! Rust: `fn` items (free, in `impl` and `trait` blocks, in inline modules), with their `///`
//! or `/** */` doc comments.

use crate::{children, clean_block_comment, dedent, Cx, FunctionKind};
use tree_sitter::Node;

/// Where a function item sits.
#[derive(Clone)]
struct Scope {
    parent: Option<String>,
    /// Inside a trait definition or a trait implementation: its methods are public.
    trait_member: bool,
}

pub(crate) fn visit(cx: &mut Cx<'_>, root: Node<'_>) {
    let top = Scope {
        parent: None,
        trait_member: false,
    };
    items(cx, root, &top);
}

fn items(cx: &mut Cx<'_>, list: Node<'_>, scope: &Scope) {
    for node in children(list) {
        match node.kind() {
            "function_item" | "function_signature_item" => function(cx, node, scope),
            "impl_item" => {
                let ty = node
                    .child_by_field_name("type")
                    .map(|t| cx.text(t).to_string());
                let inner = Scope {
                    parent: ty,
                    trait_member: node.child_by_field_name("trait").is_some(),
                };
                if let Some(body) = node.child_by_field_name("body") {
                    items(cx, body, &inner);
                }
            }
            "trait_item" => {
                let inner = Scope {
                    parent: node
                        .child_by_field_name("name")
                        .map(|n| cx.text(n).to_string()),
                    trait_member: true,
                };
                if let Some(body) = node.child_by_field_name("body") {
                    items(cx, body, &inner);
                }
            }
            "mod_item" => {
                if let Some(body) = node.child_by_field_name("body") {
                    items(cx, body, scope);
                }
            }
            _ => {}
        }
    }
}

fn function(cx: &mut Cx<'_>, node: Node<'_>, scope: &Scope) {
    let Some(name) = node.child_by_field_name("name") else {
        return;
    };
    let name = cx.text(name).to_string();
    let public = scope.trait_member
        || children(node)
            .iter()
            .any(|c| c.kind() == "visibility_modifier" && cx.text(*c) == "pub");
    let signature = cx.signature(node, node.child_by_field_name("body"));
    let kind = if scope.parent.is_some() {
        FunctionKind::Method
    } else {
        FunctionKind::Function
    };
    let doc = doc_above(cx, node);
    cx.push(
        node,
        name,
        kind,
        signature,
        doc,
        scope.parent.clone(),
        public,
    );
}

/// The outer doc comments (`///`, `/** */`) above an item, attributes in between skipped.
fn doc_above(cx: &Cx<'_>, node: Node<'_>) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = node.prev_sibling();
    while let Some(prev) = cur {
        match prev.kind() {
            "attribute_item" => {}
            "line_comment" => {
                let text = cx.text(prev);
                if !text.starts_with("///") || text.starts_with("////") {
                    break;
                }
                let line = text.trim_start_matches("///").trim_end();
                parts.push(line.strip_prefix(' ').unwrap_or(line).to_string());
            }
            "block_comment" => {
                let text = cx.text(prev);
                if !text.starts_with("/**") || text.starts_with("/***") || text == "/**/" {
                    break;
                }
                parts.push(clean_block_comment(text));
            }
            _ => break,
        }
        cur = prev.prev_sibling();
    }
    if parts.is_empty() {
        return None;
    }
    parts.reverse();
    Some(dedent(&parts))
}
