//! JavaScript and TypeScript (one visitor: TypeScript's grammar extends JavaScript's):
//! function declarations, functions and arrow functions bound to a name (`const f = () => …`,
//! `exports.f = function …`), class methods and arrow-function fields, TypeScript interface
//! and abstract methods and overload signatures, with the `/** … */` comment right above them.
//! Functions nested in function bodies are not listed.

use crate::{children, Cx, FunctionKind};
use tree_sitter::Node;

pub(crate) fn visit(cx: &mut Cx<'_>, root: Node<'_>) {
    for node in children(root) {
        statement(cx, node, node);
    }
}

/// One top-level statement; `anchor` is the node a doc comment sits above (the `export`
/// statement around a declaration).
fn statement(cx: &mut Cx<'_>, node: Node<'_>, anchor: Node<'_>) {
    match node.kind() {
        "export_statement" => {
            if let Some(decl) = node.child_by_field_name("declaration") {
                statement(cx, decl, node);
            } else if let Some(value) = node.child_by_field_name("value") {
                // `export default function () {}` / `export default () => …`
                if is_function(value) {
                    let name = value
                        .child_by_field_name("name")
                        .map_or_else(|| "default".to_string(), |n| cx.text(n).to_string());
                    let body = value.child_by_field_name("body");
                    let signature = cx.signature(value, body);
                    let doc = cx.block_doc_above(node);
                    cx.push(
                        value,
                        name,
                        FunctionKind::Function,
                        signature,
                        doc,
                        None,
                        true,
                    );
                }
            }
        }
        "function_declaration"
        | "generator_function_declaration"
        | "function_signature"
        | "function" => {
            let Some(name) = node.child_by_field_name("name") else {
                return;
            };
            let name = cx.text(name).to_string();
            let signature = cx.signature(node, node.child_by_field_name("body"));
            let doc = cx.block_doc_above(anchor);
            let public = public_name(&name);
            cx.push(
                node,
                name,
                FunctionKind::Function,
                signature,
                doc,
                None,
                public,
            );
        }
        "lexical_declaration" | "variable_declaration" => {
            let declarators: Vec<Node<'_>> = children(node)
                .into_iter()
                .filter(|c| c.kind() == "variable_declarator")
                .collect();
            let single = declarators.len() == 1;
            for declarator in declarators {
                let (Some(name), Some(value)) = (
                    declarator.child_by_field_name("name"),
                    declarator.child_by_field_name("value"),
                ) else {
                    continue;
                };
                if name.kind() != "identifier" || !is_function(value) {
                    continue;
                }
                let from = if single { node } else { declarator };
                let name = cx.text(name).to_string();
                let signature = cx.signature(from, value.child_by_field_name("body"));
                let doc = cx.block_doc_above(anchor);
                let public = public_name(&name);
                cx.push(
                    from,
                    name,
                    FunctionKind::Function,
                    signature,
                    doc,
                    None,
                    public,
                );
            }
        }
        "expression_statement" => commonjs_export(cx, node),
        "class_declaration" | "abstract_class_declaration" | "class" => {
            let Some(name) = node.child_by_field_name("name") else {
                return;
            };
            let parent = cx.text(name).to_string();
            if let Some(body) = node.child_by_field_name("body") {
                members(cx, body, &parent);
            }
        }
        "interface_declaration" => {
            let Some(name) = node.child_by_field_name("name") else {
                return;
            };
            let parent = cx.text(name).to_string();
            if let Some(body) = node.child_by_field_name("body") {
                members(cx, body, &parent);
            }
        }
        _ => {}
    }
}

fn is_function(node: Node<'_>) -> bool {
    matches!(
        node.kind(),
        "arrow_function" | "function_expression" | "function" | "generator_function"
    )
}

fn public_name(name: &str) -> bool {
    !name.starts_with('_') && !name.starts_with('#')
}

/// `exports.add = (a, b) => …` and `module.exports.add = function (…) {…}`.
fn commonjs_export(cx: &mut Cx<'_>, statement: Node<'_>) {
    let Some(assign) = statement.named_child(0) else {
        return;
    };
    if assign.kind() != "assignment_expression" {
        return;
    }
    let (Some(left), Some(right)) = (
        assign.child_by_field_name("left"),
        assign.child_by_field_name("right"),
    ) else {
        return;
    };
    if left.kind() != "member_expression" || !is_function(right) {
        return;
    }
    let target = left
        .child_by_field_name("object")
        .map(|o| cx.text(o))
        .unwrap_or("");
    if target != "exports" && target != "module.exports" {
        return;
    }
    let Some(property) = left.child_by_field_name("property") else {
        return;
    };
    let name = cx.text(property).to_string();
    let signature = cx.signature(statement, right.child_by_field_name("body"));
    let doc = cx.block_doc_above(statement);
    let public = public_name(&name);
    cx.push(
        statement,
        name,
        FunctionKind::Function,
        signature,
        doc,
        None,
        public,
    );
}

/// The methods of a class or interface body.
fn members(cx: &mut Cx<'_>, body: Node<'_>, parent: &str) {
    for member in children(body) {
        let (name_field, body_node) = match member.kind() {
            "method_definition" => ("name", member.child_by_field_name("body")),
            "method_signature" | "abstract_method_signature" => ("name", None),
            "field_definition" | "public_field_definition" => {
                let value = member.child_by_field_name("value");
                if !value.is_some_and(is_function) {
                    continue;
                }
                let field = if member.kind() == "field_definition" {
                    "property"
                } else {
                    "name"
                };
                (field, value.and_then(|v| v.child_by_field_name("body")))
            }
            _ => continue,
        };
        let Some(name) = member.child_by_field_name(name_field) else {
            continue;
        };
        let name = cx.text(name).to_string();
        let hidden = children(member).iter().any(|c| {
            c.kind() == "accessibility_modifier" && matches!(cx.text(*c), "private" | "protected")
        });
        let public = public_name(&name) && !hidden;
        let signature = cx.signature(member, body_node);
        let doc = cx.block_doc_above(member);
        cx.push(
            member,
            name,
            FunctionKind::Method,
            signature,
            doc,
            Some(parent.to_string()),
            public,
        );
    }
}
