//! The `{{…}}` variable syntax of mission parameters and state writes (DESIGN §4).
//!
//! Forms: `{{env.NAME}}`, `{{<step_id>.output.<path>}}` (also written
//! `{{steps.<step_id>.output.<path>}}`), `{{context.<name>}}` and bare `{{<name>}}` (a run
//! input: `--var`, `variables:` or a declared `parameters:` default), `{{config.<key>}}`,
//! `{{state.<field>}}`, `{{mission.id}}`, `{{run.id}}`, `{{run.workspace}}`,
//! `{{run.started_at}}` and its RustChain name `{{timestamp}}`. Paths are dot-separated;
//! `items.0` and `items[0]` both index a list.
//! Spaces inside the braces are ignored. A value that is exactly one reference keeps the JSON
//! type of what it refers to; otherwise references are replaced inside the text.
//!
//! This module only reads the syntax; resolving values is the engine's job.

use serde_json::Value;

/// The namespaces a reference can start with; anything else is a step id.
pub const NAMESPACES: &[&str] = &["env", "context", "config", "state", "mission", "run"];
/// Keys of `{{mission.…}}`.
pub const MISSION_KEYS: &[&str] = &["id"];
/// Keys of `{{run.…}}`.
pub const RUN_KEYS: &[&str] = &["id", "workspace", "started_at"];
/// Bare names every run defines: `{{timestamp}}` is when the run started (RFC 3339, UTC).
pub const BUILTIN_NAMES: &[&str] = &["timestamp"];
/// The prefix of the long form of a step reference, `{{steps.<id>.output…}}`.
pub const STEPS_PREFIX: &str = "steps";
/// Every form a reference can take, for messages.
pub const FORMS: &str = "{{<input>}} (from `variables:`, `parameters:` or `--var`), {{<step>.output.<field>}}, {{steps.<step>.output.<field>}}, {{env.NAME}}, {{context.<name>}}, {{config.<key>}}, {{state.<field>}}, {{mission.id}}, {{run.id}}, {{run.workspace}}, {{run.started_at}}, {{timestamp}}";
/// Keys of `{{config.…}}` (the fields of `config`).
pub const CONFIG_KEYS: &[&str] = &[
    "timeout_seconds",
    "fail_fast",
    "max_concurrent_steps",
    "retry_attempts",
    "retry_delay_ms",
];

/// One `{{…}}` occurrence in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence<'a> {
    /// Byte range of the whole `{{…}}` in the text.
    pub start: usize,
    pub end: usize,
    /// What is between the braces, trimmed.
    pub inner: &'a str,
}

/// A piece of a text with references: literal text or a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part<'a> {
    Text(&'a str),
    Ref(Occurrence<'a>),
}

/// Splits a text into literal parts and references. A `{{` without a closing `}}` stays text.
pub fn parts(text: &str) -> Vec<Part<'_>> {
    let mut out = Vec::new();
    let mut rest_start = 0;
    for occ in occurrences(text) {
        if occ.start > rest_start {
            out.push(Part::Text(&text[rest_start..occ.start]));
        }
        out.push(Part::Ref(occ));
        rest_start = occ.end;
    }
    if rest_start < text.len() {
        out.push(Part::Text(&text[rest_start..]));
    }
    out
}

/// Every `{{…}}` in a text, in order.
pub fn occurrences(text: &str) -> impl Iterator<Item = Occurrence<'_>> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        let open = pos + text.get(pos..)?.find("{{")?;
        let close = open + 2 + text[open + 2..].find("}}")?;
        pos = close + 2;
        Some(Occurrence {
            start: open,
            end: close + 2,
            inner: text[open + 2..close].trim(),
        })
    })
}

/// Whether a text has a `{{` that is never closed (probably a typo).
pub fn has_unclosed_braces(text: &str) -> bool {
    let last_end = occurrences(text).last().map_or(0, |o| o.end);
    text[last_end..].contains("{{")
}

/// The reference, when the whole text is exactly one `{{…}}` (its value keeps its JSON type).
/// Text around the braces, even spaces, makes it a text with a reference inside.
pub fn single_reference(text: &str) -> Option<Occurrence<'_>> {
    let mut it = occurrences(text);
    let first = it.next()?;
    (first.start == 0 && first.end == text.len() && !text[2..text.len() - 2].contains("{{"))
        .then_some(first)
}

/// A parsed reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference<'a> {
    Env(&'a str),
    Context(&'a str),
    Config(&'a str),
    State(&'a str),
    Mission(&'a str),
    Run(&'a str),
    /// `{{step.output.path…}}`: `path` is empty for the whole output.
    StepOutput {
        step: &'a str,
        path: Vec<&'a str>,
    },
    /// `{{step.something}}` where `something` is not `output`.
    StepOther {
        step: &'a str,
        field: &'a str,
    },
    /// `{{name}}`: one bare name (a RustChain context variable, or a step id without `.output`).
    Bare(&'a str),
}

/// Why a reference cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("the reference is empty")]
    Empty,
    #[error("`{{{{{0}}}}}` has an empty segment")]
    EmptySegment(String),
    #[error("`{{{{{namespace}}}}}` needs a name after `{namespace}.`")]
    MissingName { namespace: String },
}

/// Splits a path into segments: `a.b[0].c` → `a`, `b`, `0`, `c`.
pub fn segments(inner: &str) -> Result<Vec<&str>, ReferenceError> {
    if inner.is_empty() {
        return Err(ReferenceError::Empty);
    }
    let mut out = Vec::new();
    for dotted in inner.split('.') {
        let mut piece = dotted;
        // `name[0][1]` → `name`, `0`, `1`.
        let head_end = piece.find('[').unwrap_or(piece.len());
        let head = piece[..head_end].trim();
        if head.is_empty() && head_end == piece.len() {
            return Err(ReferenceError::EmptySegment(inner.to_string()));
        }
        if !head.is_empty() {
            out.push(head);
        }
        piece = &piece[head_end..];
        while let Some(rest) = piece.strip_prefix('[') {
            let Some(close) = rest.find(']') else {
                return Err(ReferenceError::EmptySegment(inner.to_string()));
            };
            let index = rest[..close].trim();
            if index.is_empty() {
                return Err(ReferenceError::EmptySegment(inner.to_string()));
            }
            out.push(index);
            piece = &rest[close + 1..];
        }
        if !piece.is_empty() {
            return Err(ReferenceError::EmptySegment(inner.to_string()));
        }
    }
    Ok(out)
}

/// Reads what is inside `{{…}}`.
pub fn parse_reference(inner: &str) -> Result<Reference<'_>, ReferenceError> {
    let segs = segments(inner)?;
    let first = segs[0];
    if NAMESPACES.contains(&first) {
        let Some(name) = segs.get(1).copied() else {
            return Err(ReferenceError::MissingName {
                namespace: first.to_string(),
            });
        };
        return Ok(match first {
            "env" => Reference::Env(name),
            "context" => Reference::Context(name),
            "config" => Reference::Config(name),
            "state" => Reference::State(name),
            "mission" => Reference::Mission(name),
            _ => Reference::Run(name),
        });
    }
    // `{{steps.<id>.output…}}`: the long form of `{{<id>.output…}}`.
    let (first, segs) = if first == STEPS_PREFIX && segs.len() >= 2 {
        (segs[1], &segs[1..])
    } else {
        (first, &segs[..])
    };
    Ok(match segs.get(1).copied() {
        None => Reference::Bare(first),
        Some("output") => Reference::StepOutput {
            step: first,
            path: segs[2..].to_vec(),
        },
        Some(field) => Reference::StepOther { step: first, field },
    })
}

/// Calls `visit(path_suffix, text)` for every string inside a JSON value, with the path of the
/// string relative to the value (`.url`, `.headers.Authorization`, `.args[1]`).
pub fn for_each_string<'v>(value: &'v Value, visit: &mut dyn FnMut(&str, &'v str)) {
    walk(value, &mut String::new(), visit);
}

fn walk<'v>(value: &'v Value, path: &mut String, visit: &mut dyn FnMut(&str, &'v str)) {
    match value {
        Value::String(s) => visit(path, s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, path, visit);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let len = path.len();
                let child = crate::spans::child_key("x", k);
                path.push_str(&child[1..]);
                walk(v, path, visit);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn texts_split_into_literals_and_references() {
        let p = parts("Hello {{ env.USER }}, see {{a.output.items[0]}}!");
        assert_eq!(p.len(), 5);
        assert!(matches!(
            p[1],
            Part::Ref(Occurrence {
                inner: "env.USER",
                ..
            })
        ));
        assert!(matches!(p[4], Part::Text("!")));
        assert_eq!(parts("no refs"), vec![Part::Text("no refs")]);
        assert!(has_unclosed_braces("oops {{ env.X"));
        assert!(!has_unclosed_braces("{{a}} fine"));
    }

    #[test]
    fn a_whole_value_reference_is_recognised() {
        assert_eq!(
            single_reference("{{ a.output }}").map(|o| o.inner),
            Some("a.output")
        );
        assert_eq!(
            single_reference(" {{a.output}}"),
            None,
            "surrounding spaces make it text"
        );
        assert_eq!(single_reference("x{{a.output}}"), None);
        assert_eq!(single_reference("{{a.output}}{{b.output}}"), None);
    }

    #[test]
    fn references_parse_into_their_namespaces() {
        assert_eq!(parse_reference("env.HOME"), Ok(Reference::Env("HOME")));
        assert_eq!(
            parse_reference("state.count"),
            Ok(Reference::State("count"))
        );
        assert_eq!(
            parse_reference("fetch.output.items[2].name"),
            Ok(Reference::StepOutput {
                step: "fetch",
                path: vec!["items", "2", "name"]
            })
        );
        assert_eq!(
            parse_reference("fetch.output"),
            Ok(Reference::StepOutput {
                step: "fetch",
                path: vec![]
            })
        );
        assert_eq!(
            parse_reference("fetch.status"),
            Ok(Reference::StepOther {
                step: "fetch",
                field: "status"
            })
        );
        assert_eq!(
            parse_reference("summary_result"),
            Ok(Reference::Bare("summary_result"))
        );
        assert_eq!(
            parse_reference("steps.fetch.output.body"),
            Ok(Reference::StepOutput {
                step: "fetch",
                path: vec!["body"]
            })
        );
        assert_eq!(
            parse_reference("steps.agent.analysis"),
            Ok(Reference::StepOther {
                step: "agent",
                field: "analysis"
            })
        );
        assert_eq!(parse_reference(""), Err(ReferenceError::Empty));
        assert!(matches!(
            parse_reference("a..b"),
            Err(ReferenceError::EmptySegment(_))
        ));
        assert!(matches!(
            parse_reference("env"),
            Err(ReferenceError::MissingName { .. })
        ));
        assert!(matches!(
            parse_reference("a[0"),
            Err(ReferenceError::EmptySegment(_))
        ));
    }

    #[test]
    fn every_string_of_a_value_is_visited_with_its_path() {
        let v = json!({"url": "u", "args": ["a", 1, "b"], "h": {"Content-Type": "t"}});
        let mut seen = Vec::new();
        for_each_string(&v, &mut |p, s| seen.push(format!("{p}={s}")));
        seen.sort();
        assert_eq!(
            seen,
            vec![".args[0]=a", ".args[2]=b", ".h.Content-Type=t", ".url=u"]
        );
    }
}
