//! Go: functions, methods (their receiver's type as parent) and interface methods, with the
//! `//` comment block right above them.

use crate::{children, Cx, FunctionKind};
use tree_sitter::Node;

pub(crate) fn visit(cx: &mut Cx<'_>, root: Node<'_>) {
    for node in children(root) {
        match node.kind() {
            "function_declaration" => declaration(cx, node, None),
            "method_declaration" => {
                let receiver = node
                    .child_by_field_name("receiver")
                    .and_then(|r| receiver_type(cx, r));
                declaration(cx, node, receiver);
            }
            "type_declaration" => interfaces(cx, node),
            _ => {}
        }
    }
}

fn declaration(cx: &mut Cx<'_>, node: Node<'_>, parent: Option<String>) {
    let Some(name) = node.child_by_field_name("name") else {
        return;
    };
    let name = cx.text(name).to_string();
    let public = name.chars().next().is_some_and(char::is_uppercase);
    let signature = cx.signature(node, node.child_by_field_name("body"));
    let doc = cx.line_comments_above(node);
    let kind = if parent.is_some() {
        FunctionKind::Method
    } else {
        FunctionKind::Function
    };
    cx.push(node, name, kind, signature, doc, parent, public);
}

/// `(s *Stack[T])` → `Stack`.
fn receiver_type(cx: &Cx<'_>, receiver: Node<'_>) -> Option<String> {
    let param = children(receiver)
        .into_iter()
        .find(|c| c.kind() == "parameter_declaration")?;
    let ty = cx.text(param.child_by_field_name("type")?);
    let ty = ty.trim_start_matches('*').trim();
    let ty = ty.split('[').next().unwrap_or(ty).trim();
    (!ty.is_empty()).then(|| ty.to_string())
}

/// The methods of `type Name interface { … }`.
fn interfaces(cx: &mut Cx<'_>, decl: Node<'_>) {
    for spec in children(decl) {
        if spec.kind() != "type_spec" {
            continue;
        }
        let (Some(name), Some(ty)) = (
            spec.child_by_field_name("name"),
            spec.child_by_field_name("type"),
        ) else {
            continue;
        };
        if ty.kind() != "interface_type" {
            continue;
        }
        let parent = cx.text(name).to_string();
        for elem in children(ty) {
            if !matches!(elem.kind(), "method_elem" | "method_spec") {
                continue;
            }
            let Some(method) = elem.child_by_field_name("name") else {
                continue;
            };
            let method = cx.text(method).to_string();
            let public = method.chars().next().is_some_and(char::is_uppercase);
            let signature = cx.signature(elem, None);
            let doc = cx.line_comments_above(elem);
            cx.push(
                elem,
                method,
                FunctionKind::Method,
                signature,
                doc,
                Some(parent.clone()),
                public,
            );
        }
    }
}
