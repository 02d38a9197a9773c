//! Missions written for RustChain and its neighbours, read as native missions (DESIGN §3.1).
//!
//! The native format is a superset of the RustChain mission format. Real RustChain missions
//! carry shapes that RustChain's own loader accepts (it ignores what it does not know) but
//! that have another name here; [`upgrade`] rewrites them on the parsed document, before the
//! document meets the native types, and records an [`ImportNote`] for each rewrite:
//!
//! | written                                        | read as                                    |
//! |------------------------------------------------|--------------------------------------------|
//! | `config.max_parallel_steps` (`max_parallel`, `parallel_limit`) | `config.max_concurrent_steps` |
//! | `config.timeout`, `config.retry_count` / `max_retries` | `config.timeout_seconds`, `config.retry_attempts` |
//! | `config: null`, `depends_on: null`, `parameters: null` | absent / `{}`                       |
//! | top-level `dependencies: [{from, to}]`         | `to`'s `depends_on` gains `from`           |
//! | no mission `name`                              | the `id`, else the file's name             |
//! | CamelCase or kebab step types (`CreateFile`, `Tool`), `{type: …}` | the snake_case name     |
//! | JSON shape: `metadata`, step `config`, `dependencies`, `timeout`, `retry_count`, `on_failure` | top-level fields, `parameters`, `depends_on`, `timeout_seconds`, `retry_attempts`, `continue_on_error` |
//! | `Tool` step with `{tool: <program>, args}`     | a `command` step                           |
//! | `tool` step naming a step type (`{tool: create_file, parameters: {…}}`) | that step type  |
//! | `tool_name`, nested `parameters`, flat extra keys of a `tool` step | `name`, `input`        |
//! | metadata keys (`category`, `success_criteria`, `llm_config`, `author`, …) | `tags`, `done_definition`, the `llm` steps' defaults; the rest dropped with a note |
//! | step `parallel`, step `outputs`                | dropped with a note                        |
//! | parameter spellings (`working_directory`, `operation: append`, `timeout_seconds` of `http`, `provider: claude`, `task` of `agent`, …) | the native parameter |
//! | single-brace `{step}`, `{step_result}`, `{step_response}` in file contents | `{{step.output.text}}`, with `step` added to `depends_on` |
//!
//! What is left unknown after this is reported by [`crate::keys`] as a warning.

mod params;
mod steps;
mod top;

use crate::diagnostic::{Code, Diagnostic};
use crate::import::ImportNote;
use serde_json::{Map, Value};

/// What [`upgrade`] did to a document.
#[derive(Debug, Default)]
pub(crate) struct Upgrade {
    pub notes: Vec<ImportNote>,
    /// Problems found while rewriting (an edge naming no step, a value of the wrong shape):
    /// their `field` is set, their file and location are filled in by the loader.
    pub diagnostics: Vec<Diagnostic>,
    pub aliases: PathAliases,
}

impl Upgrade {
    fn mapped(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.notes.push(ImportNote::mapped(field, message));
    }

    fn dropped(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.notes.push(ImportNote::dropped(field, message));
    }

    fn error(
        &mut self,
        code: Code,
        field: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.diagnostics
            .push(Diagnostic::error(code, field, message).with_help(help));
    }

    fn warning(
        &mut self,
        code: Code,
        field: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.diagnostics
            .push(Diagnostic::warning(code, field, message).with_help(help));
    }
}

/// Where fields that were moved came from: a native path (prefix) and the path it was written
/// at, so diagnostics about `steps[0].parameters.url` point at `steps[0].config.url`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathAliases {
    entries: Vec<(String, String)>,
}

impl PathAliases {
    pub fn add(&mut self, native: impl Into<String>, written: impl Into<String>) {
        self.entries.push((native.into(), written.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The path as written for a native path: the longest alias that is a prefix of it
    /// (whole segments only) replaced, else the path itself.
    pub fn written<'p>(&self, path: &'p str) -> std::borrow::Cow<'p, str> {
        let best = self
            .entries
            .iter()
            .filter(|(native, _)| {
                path == native
                    || (path.starts_with(native.as_str())
                        && matches!(path.as_bytes().get(native.len()), Some(b'.' | b'[')))
            })
            .max_by_key(|(native, _)| native.len());
        match best {
            Some((native, written)) => {
                let rest = &path[native.len()..];
                if written.is_empty() {
                    rest.trim_start_matches('.').to_string().into()
                } else {
                    format!("{written}{rest}").into()
                }
            }
            None => path.into(),
        }
    }
}

/// Rewrites the RustChain shapes of a parsed mission document into native ones (see the
/// module documentation). `fallback_name` names a mission that has neither `name` nor `id`.
/// A document that cannot be a mission at all (a `missions:` stack) is an error.
pub(crate) fn upgrade(root: &mut Value, fallback_name: &str) -> Result<Upgrade, Box<Diagnostic>> {
    let mut up = Upgrade::default();
    let Value::Object(top) = root else {
        return Ok(up);
    };
    top::refuse_stacks(top)?;
    top::metadata(top, &mut up);
    top::library_keys(top, &mut up);
    top::name(top, fallback_name, &mut up);
    top::config(top, &mut up);
    if let Some(Value::Array(steps)) = top.get_mut("steps") {
        for (i, step) in steps.iter_mut().enumerate() {
            steps::upgrade_step(step, i, &mut up);
        }
    }
    top::llm_config(top, &mut up);
    top::edges(top, &mut up);
    steps::single_brace_references(top, &mut up);
    Ok(up)
}

/// Moves `from` to `to` in a mapping (noting it, and remembering where it was written), unless
/// `to` is already there: then `from` is left out with a warning.
fn rename(map: &mut Map<String, Value>, from: &str, to: &str, at: &str, up: &mut Upgrade) {
    let Some(value) = map.remove(from) else {
        return;
    };
    let written = crate::spans::child_key(at, from);
    let native = crate::spans::child_key(at, to);
    if map.get(to).is_some_and(|v| !v.is_null()) {
        up.warning(
            Code::UnknownField,
            written,
            format!("`{from}` and `{to}` mean the same here; `{from}` is ignored"),
            format!("keep only `{to}`"),
        );
        return;
    }
    map.insert(to.to_string(), value);
    up.aliases.add(native, written.clone());
    up.mapped(written, format!("to `{to}`"));
}

/// A short text for a value in a note.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
