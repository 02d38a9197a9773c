//! Where each field of a mission sits in its source text.
//!
//! A light pass over the YAML events (JSON is read the same way, as YAML) records, for every
//! node, the position of its key and of its value under a field path such as
//! `steps[2].parameters.url`. Diagnostics use it to point into the file. The pass runs only when
//! a diagnostic needs a position, and only on text that the loader already accepted within its
//! limits; it does not expand aliases and keeps no recursion, so its cost is linear in the text.

use crate::source::Location;
use granit_parser::{Event, Marker, Parser, Span};
use std::collections::HashMap;

/// Positions of one node: the key that names it (absent for sequence items and the root) and
/// the value itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSpan {
    pub key: Option<Location>,
    pub value: Location,
}

/// Which part of a field a diagnostic points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Key,
    Value,
}

/// Field path → positions, for one document.
#[derive(Debug, Clone, Default)]
pub struct SpanIndex {
    nodes: HashMap<String, NodeSpan>,
}

/// The path of a mapping entry under `parent`: `parent.key`, or `parent["odd.key"]` when the key
/// holds characters that would make the path ambiguous.
pub fn child_key(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && !key.contains(['.', '[', ']', '"'])
        && !key.chars().any(char::is_whitespace);
    if plain {
        if parent.is_empty() {
            key.to_string()
        } else {
            format!("{parent}.{key}")
        }
    } else {
        let quoted = serde_json::to_string(key).unwrap_or_else(|_| format!("\"{key}\""));
        format!("{parent}[{quoted}]")
    }
}

/// The path of a sequence item under `parent`: `parent[index]`.
pub fn child_index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// The path one level up (`steps[2].parameters` for `steps[2].parameters.url`), or `None` for the
/// root.
pub fn parent_path(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let mut last_start = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in path.char_indices() {
        if in_quotes {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_quotes = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            '.' | '[' => last_start = i,
            _ => {}
        }
    }
    Some(&path[..last_start])
}

impl SpanIndex {
    /// Indexes the first document of `text`. On a syntax error the index holds what was read
    /// before it.
    pub fn build(text: &str) -> Self {
        let mut builder = Builder::default();
        for item in Parser::new_from_str(text) {
            let Ok((event, span)) = item else { break };
            if !builder.event(&event, &span) {
                break;
            }
        }
        Self {
            nodes: builder.nodes,
        }
    }

    /// The positions recorded for exactly this path.
    pub fn get(&self, path: &str) -> Option<&NodeSpan> {
        self.nodes.get(path)
    }

    /// The position of `part` of the field at `path`, or of the nearest enclosing field that has
    /// one (a key falls back to its value, a value to its key).
    pub fn locate(&self, path: &str, part: Part) -> Option<Location> {
        let mut current = Some(path);
        while let Some(p) = current {
            if let Some(node) = self.nodes.get(p) {
                return Some(match part {
                    Part::Key => node.key.unwrap_or(node.value),
                    Part::Value => node.value,
                });
            }
            current = parent_path(p);
        }
        None
    }

    /// The deepest path whose key or value starts at byte `offset`.
    pub fn path_at(&self, offset: usize) -> Option<&str> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.value.offset == offset || n.key.is_some_and(|k| k.offset == offset))
            .map(|(p, _)| p.as_str())
            .max_by_key(|p| (p.len(), *p))
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

fn location(span: &Span) -> Location {
    let start: &Marker = &span.start;
    let offset = start.byte_offset().unwrap_or(0);
    let end = span.end.byte_offset().unwrap_or(offset);
    Location {
        line: start.line(),
        column: start.col() + 1,
        offset,
        len: end.saturating_sub(offset),
    }
}

enum Frame {
    Map {
        path: String,
        key: Option<(String, Location)>,
    },
    Seq {
        path: String,
        next: usize,
    },
    /// Inside a complex (collection) key: its events are skipped.
    SkipKey {
        depth: usize,
        at: Location,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    nodes: HashMap<String, NodeSpan>,
    root_done: bool,
}

impl Builder {
    /// Handles one event; `false` once the first document is complete.
    fn event(&mut self, event: &Event<'_>, span: &Span) -> bool {
        match event {
            Event::Scalar(text, ..) => self.node(span, Some(text.as_ref()), None),
            Event::Alias(_) => self.node(span, Some("*"), None),
            Event::MappingStart(..) => self.node(span, None, Some(true)),
            Event::SequenceStart(..) => self.node(span, None, Some(false)),
            Event::MappingEnd | Event::SequenceEnd => self.end(),
            Event::DocumentEnd => return !self.root_done,
            _ => {}
        }
        true
    }

    /// A node starts: a scalar (`text`) or a collection (`collection`: true = mapping).
    fn node(&mut self, span: &Span, text: Option<&str>, collection: Option<bool>) {
        let loc = location(span);
        // A skipped complex key swallows everything inside it.
        if let Some(Frame::SkipKey { depth, .. }) = self.stack.last_mut() {
            if collection.is_some() {
                *depth += 1;
            }
            return;
        }
        // A mapping waiting for its next key.
        if let Some(Frame::Map {
            key: key @ None, ..
        }) = self.stack.last_mut()
        {
            match collection {
                None => *key = Some((text.unwrap_or_default().to_string(), loc)),
                Some(_) => self.stack.push(Frame::SkipKey { depth: 1, at: loc }),
            }
            return;
        }
        let (path, key_loc) = match self.stack.last_mut() {
            None => {
                if self.root_done {
                    return;
                }
                self.root_done = true;
                (String::new(), None)
            }
            Some(Frame::Map { path, key }) => {
                let (name, at) = key.take().unwrap_or_default();
                (child_key(path, &name), Some(at))
            }
            Some(Frame::Seq { path, next }) => {
                *next += 1;
                (child_index(path, *next - 1), None)
            }
            Some(Frame::SkipKey { .. }) => return,
        };
        self.nodes.entry(path.clone()).or_insert(NodeSpan {
            key: key_loc,
            value: loc,
        });
        match collection {
            Some(true) => self.stack.push(Frame::Map { path, key: None }),
            Some(false) => self.stack.push(Frame::Seq { path, next: 0 }),
            None => {}
        }
    }

    fn end(&mut self) {
        if let Some(Frame::SkipKey { depth, at }) = self.stack.last_mut() {
            *depth -= 1;
            if *depth == 0 {
                let at = *at;
                self.stack.pop();
                if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                    *key = Some(("?".to_string(), at));
                }
            }
            return;
        }
        self.stack.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
name: demo
steps:
  - id: a
    step_type: noop
  - id: b
    step_type: http
    parameters:
      url: \"https://x\"
      headers: {Content-Type: json, \"a.b\": c}
";

    #[test]
    fn keys_and_values_of_nested_fields_are_found() {
        let index = SpanIndex::build(TEXT);
        let url = index
            .get("steps[1].parameters.url")
            .expect("url is indexed");
        assert_eq!((url.key.unwrap().line, url.key.unwrap().column), (8, 7));
        assert_eq!((url.value.line, url.value.column), (8, 12));
        assert_eq!(
            &TEXT[url.value.offset..url.value.offset + url.value.len],
            "\"https://x\""
        );
        let item = index.get("steps[0]").expect("a sequence item is indexed");
        assert_eq!((item.key, item.value.line), (None, 3));
        assert!(index
            .get("steps[1].parameters.headers.Content-Type")
            .is_some());
        assert!(
            index.get("steps[1].parameters.headers[\"a.b\"]").is_some(),
            "{index:?}"
        );
    }

    #[test]
    fn a_missing_field_falls_back_to_its_parent() {
        let index = SpanIndex::build(TEXT);
        let loc = index.locate("steps[0].parameters.path", Part::Key).unwrap();
        assert_eq!(loc.line, 3, "steps[0] starts on line 3");
        assert_eq!(
            index.path_at(index.get("steps[1].step_type").unwrap().key.unwrap().offset),
            Some("steps[1].step_type")
        );
    }

    #[test]
    fn paths_are_built_and_taken_apart_consistently() {
        let p = child_key(&child_index(&child_key("", "steps"), 3), "a.b");
        assert_eq!(p, "steps[3][\"a.b\"]");
        assert_eq!(parent_path(&p), Some("steps[3]"));
        assert_eq!(parent_path("steps[3]"), Some("steps"));
        assert_eq!(parent_path("steps"), Some(""));
        assert_eq!(parent_path(""), None);
        assert_eq!(parent_path("a[\"x.[y\"].z"), Some("a[\"x.[y\"]"));
    }

    #[test]
    fn complex_keys_aliases_and_broken_text_do_not_derail_the_index() {
        let index = SpanIndex::build("? [a, b]\n: 1\nx: &v {y: 1}\nz: *v\n");
        assert!(index.get("?").is_some());
        assert!(index.get("x.y").is_some());
        assert!(index.get("z").is_some());
        let index = SpanIndex::build("a: 1\nb: [\n");
        assert!(
            index.get("a").is_some(),
            "what came before the error is kept"
        );
    }
}
