//! `parse_xml`: parses XML text (quick-xml) into JSON.
//! Parameters: `content` or `path`, as for `parse_json`. Output: `{value, root}`, where `value`
//! is `{<root name>: <element>}`.
//!
//! An element becomes:
//! - its text (a string, `""` when empty) when it has neither attributes nor child elements;
//! - otherwise an object: each attribute as `"@name"`, each child element under its name (an array
//!   when the name repeats), and its text, when there is any, as `"#text"`.
//!
//! Names keep their namespace prefix as written (`soap:Body`). Text and CDATA are joined and
//! trimmed; text that is only whitespace is dropped. The predefined entities and character
//! references are expanded; any other entity is refused (no DTD is ever read). Malformed XML
//! fails the step with its line and column (also in the failure's output: `{line, column}`).

use crate::steps::parse_json::{source_text, Source};
use crate::steps::{Failure, StepCtx, StepOutput};
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{json, Map, Value};

/// Deeper documents are refused (the JSON value is built and dropped recursively).
const MAX_DEPTH: usize = 512;

/// Why a text is not accepted, with the byte offset where the problem was seen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct XmlError {
    pub offset: usize,
    pub message: String,
}

impl XmlError {
    fn at(offset: u64, message: impl Into<String>) -> Self {
        Self {
            offset: usize::try_from(offset).unwrap_or(usize::MAX),
            message: message.into(),
        }
    }

    /// The 1-based line and column (in characters) of the problem in `text`.
    pub fn line_column(&self, text: &str) -> (usize, usize) {
        let mut end = self.offset.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &text[..end];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }
}

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let (text, origin) = source_text(&p, ctx, "XML").await?;
    let text = match text {
        Source::Text(t) => t,
        Source::Value(_) => {
            return Err(Failure::new(
                "`content` must be the XML text (a string)".to_string(),
            ))
        }
    };
    let (root, value) = xml_to_json(&text).map_err(|e| {
        let (line, column) = e.line_column(&text);
        Failure::new(format!(
            "{origin} is not well-formed XML (line {line}, column {column}): {e}"
        ))
        .with_output(json!({ "line": line, "column": column }))
    })?;
    Ok(StepOutput::new(json!({ "value": value, "root": root })))
}

/// An element being read.
struct Open {
    name: String,
    start: u64,
    fields: Map<String, Value>,
    has_children: bool,
    text: String,
}

impl Open {
    fn new(e: &BytesStart<'_>, start: u64) -> Result<Self, XmlError> {
        let name = e.name().as_ref().to_string();
        let mut fields = Map::new();
        for attr in e.attributes() {
            let attr = attr.map_err(|err| XmlError::at(start, format!("in `<{name}>`: {err}")))?;
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| {
                    XmlError::at(
                        start,
                        format!("attribute `{}` of `<{name}>`: {err}", attr.key.as_ref()),
                    )
                })?;
            fields.insert(
                format!("@{}", attr.key.as_ref()),
                Value::String(value.into_owned()),
            );
        }
        Ok(Self {
            name,
            start,
            fields,
            has_children: false,
            text: String::new(),
        })
    }

    fn finish(self) -> (String, Value) {
        let text = self.text.trim();
        let value = if self.fields.is_empty() && !self.has_children {
            Value::String(text.to_string())
        } else {
            let mut fields = self.fields;
            if !text.is_empty() {
                fields.insert("#text".into(), Value::String(text.to_string()));
            }
            Value::Object(fields)
        };
        (self.name, value)
    }

    fn add_child(&mut self, name: String, value: Value) {
        self.has_children = true;
        match self.fields.get_mut(&name) {
            None => {
                self.fields.insert(name, value);
            }
            Some(Value::Array(items)) => items.push(value),
            Some(first) => {
                let first = first.take();
                self.fields.insert(name, Value::Array(vec![first, value]));
            }
        }
    }
}

/// Parses a whole document: the root element's name and `{<root>: <element>}`.
pub(crate) fn xml_to_json(text: &str) -> Result<(String, Value), XmlError> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<(String, Value)> = None;
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| XmlError::at(reader.error_position(), e.to_string()))?;
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() && stack.is_empty() => {
                let name = e.name().as_ref().to_string();
                return Err(XmlError::at(
                    at,
                    format!("a second root element `<{name}>` (a document has one)"),
                ));
            }
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::at(
                        at,
                        format!("elements nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                stack.push(Open::new(&e, at)?);
            }
            Event::Empty(e) => {
                let (name, value) = Open::new(&e, at)?.finish();
                match stack.last_mut() {
                    Some(parent) => parent.add_child(name, value),
                    None => root = Some((name, value)),
                }
            }
            Event::End(_) => {
                let Some(open) = stack.pop() else {
                    return Err(XmlError::at(at, "a closing tag with no element open"));
                };
                let (name, value) = open.finish();
                match stack.last_mut() {
                    Some(parent) => parent.add_child(name, value),
                    None => root = Some((name, value)),
                }
            }
            Event::Text(t) => match stack.last_mut() {
                Some(open) => open.text.push_str(&t.xml10_content()),
                None if t.trim().is_empty() => {}
                None => return Err(XmlError::at(at, "text outside the root element")),
            },
            Event::CData(t) => match stack.last_mut() {
                Some(open) => open.text.push_str(&t),
                None => return Err(XmlError::at(at, "CDATA outside the root element")),
            },
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match resolve_predefined_entity(&r) {
                        Some(s) => s.to_string(),
                        None => {
                            return Err(XmlError::at(at, format!("unknown entity `&{};`", &*r)))
                        }
                    },
                    Err(e) => return Err(XmlError::at(at, e.to_string())),
                };
                match stack.last_mut() {
                    Some(open) => open.text.push_str(&resolved),
                    None => return Err(XmlError::at(at, "text outside the root element")),
                }
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError::at(
            open.start,
            format!("`<{}>` is never closed", open.name),
        ));
    }
    let (name, value) = root.ok_or_else(|| XmlError::at(0, "no root element"))?;
    let mut doc = Map::new();
    doc.insert(name.clone(), value);
    Ok((name, Value::Object(doc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_attributes_text_and_repeats_become_json() {
        let xml = r#"<?xml version="1.0"?>
<!-- a catalogue -->
<catalog xmlns:x="urn:x" version="2">
  <book id="b1" x:lang="en"><title>Rust &amp; XML</title><price>10.5</price></book>
  <book id="b2"><title><![CDATA[<raw> & text]]></title><tag/><tag>new</tag></book>
  <note>see &#x41;&#66; below</note>
  <empty/>
</catalog>"#;
        let (root, value) = xml_to_json(xml).unwrap();
        assert_eq!(root, "catalog");
        assert_eq!(
            value,
            json!({"catalog": {
                "@version": "2",
                "@xmlns:x": "urn:x",
                "book": [
                    {"@id": "b1", "@x:lang": "en", "title": "Rust & XML", "price": "10.5"},
                    {"@id": "b2", "title": "<raw> & text", "tag": ["", "new"]}
                ],
                "note": "see AB below",
                "empty": ""
            }})
        );
    }

    #[test]
    fn mixed_text_is_kept_beside_children() {
        let (_, value) = xml_to_json("<p>Hello <b>you</b> there</p>").unwrap();
        assert_eq!(value, json!({"p": {"b": "you", "#text": "Hello  there"}}));
    }

    fn error(xml: &str) -> (usize, usize, String) {
        let e = xml_to_json(xml).unwrap_err();
        let (line, column) = e.line_column(xml);
        (line, column, e.message)
    }

    #[test]
    fn malformed_xml_is_refused_with_its_position() {
        let (line, column, message) = error("<a>\n  <b>text</c>\n</a>");
        assert_eq!((line, column), (2, 10), "{message}");
        assert!(message.contains('b') && message.contains('c'), "{message}");

        let (line, _, message) = error("<a>\n<b>\n</b>\n");
        assert_eq!(line, 1, "{message}");
        assert!(message.contains("never closed"), "{message}");

        let (line, column, message) = error("<a/>\n<b/>");
        assert_eq!((line, column), (2, 1));
        assert!(message.contains("second root"), "{message}");

        let (_, _, message) = error("<a>&ext;</a>");
        assert!(message.contains("unknown entity `&ext;`"), "{message}");

        let (line, _, message) = error("<a>\n<b x=\"1\" x=\"2\"/></a>");
        assert_eq!(line, 2, "{message}");

        let (_, _, message) = error("   ");
        assert!(message.contains("no root"), "{message}");

        let (_, _, message) = error("junk<a/>");
        assert!(message.contains("outside the root"), "{message}");
    }

    #[test]
    fn very_deep_documents_are_refused() {
        let xml = "<a>".repeat(MAX_DEPTH + 1);
        let (_, _, message) = error(&xml);
        assert!(message.contains("deeper than"), "{message}");
    }
}
