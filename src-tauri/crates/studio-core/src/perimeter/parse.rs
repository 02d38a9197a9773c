//! Reading a perimeter file (YAML or JSON, in its three forms) and checking the values, with
//! errors that name the field and where it is in the text.

use super::forms::{EnvelopeGovernance, PackGovernance};
use super::split_pattern;
use crate::mission::Perimeter;
use crate::source::{Location, SourceFormat};
use crate::spans::{Part, SpanIndex};
use serde_json::Value;

/// A perimeter file that cannot be read, or a perimeter value no cap can have. Every variant
/// names the field it is about (`budget.max_cost_usd`, `network.allowed_hosts[2]`; empty for
/// the document itself) and, when it came from a text, where in the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PerimeterError {
    #[error(
        "the perimeter is not valid YAML or JSON{}: {message}",
        at(location, field)
    )]
    Syntax {
        field: String,
        message: String,
        location: Option<Location>,
    },
    #[error(
        "the perimeter does not match the native, mission-pack or envelope form{}: {message}",
        at(location, field)
    )]
    Shape {
        field: String,
        message: String,
        location: Option<Location>,
    },
    #[error("invalid perimeter value{}: {message}", at(location, field))]
    Value {
        field: String,
        message: String,
        location: Option<Location>,
    },
}

/// ` at line 3, column 5 (`budget.max_cost_usd`)`, as much of it as is known.
fn at(location: &Option<Location>, field: &str) -> String {
    let mut out = String::new();
    if let Some(l) = location {
        out.push_str(&format!(" at line {}, column {}", l.line, l.column));
    }
    if !field.is_empty() {
        out.push_str(&format!(" (`{field}`)"));
    }
    out
}

impl PerimeterError {
    fn value(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Value {
            field: field.into(),
            message: message.into(),
            location: None,
        }
    }

    /// The field the error is about (empty for the whole document).
    pub fn field(&self) -> &str {
        match self {
            Self::Syntax { field, .. } | Self::Shape { field, .. } | Self::Value { field, .. } => {
                field
            }
        }
    }

    /// Where in the perimeter's text, when it was read from one.
    pub fn location(&self) -> Option<Location> {
        match self {
            Self::Syntax { location, .. }
            | Self::Shape { location, .. }
            | Self::Value { location, .. } => *location,
        }
    }

    /// The error with its field located in `text` (or, failing that, the document's start).
    fn located_in(mut self, text: &str) -> Self {
        let found = SpanIndex::build(text)
            .locate(self.field(), Part::Value)
            .unwrap_or_else(|| Location::at_offset(text, 0, 0));
        match &mut self {
            Self::Syntax { location, .. }
            | Self::Shape { location, .. }
            | Self::Value { location, .. } => {
                location.get_or_insert(found);
            }
        }
        self
    }
}

/// Reads a perimeter in any of its forms: native (`budget.max_cost_usd`, …, optionally under a
/// top-level `perimeter:`), mission pack (`budget.maxSteps`, `approval: on-request`) or
/// envelope (`constraints.allowed_tools`, `budget.max_llm_calls`). The text is read within
/// the mission loader's limits (size, nesting, aliases); every error is located in it.
pub fn parse_perimeter(text: &str) -> Result<Perimeter, PerimeterError> {
    parse_located(text).map_err(|e| e.located_in(text))
}

fn parse_located(text: &str) -> Result<Perimeter, PerimeterError> {
    let limits = crate::load::Limits::default();
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let format = if body.trim_start().starts_with('{') {
        SourceFormat::Json
    } else {
        SourceFormat::Yaml
    };
    if text.len() > limits.max_bytes {
        return Err(PerimeterError::Syntax {
            field: String::new(),
            message: format!(
                "the file has {} bytes; a perimeter may have at most {}",
                text.len(),
                limits.max_bytes
            ),
            location: None,
        });
    }
    let value: Value = crate::load::parse_as(body, format, &limits).map_err(|failure| {
        let (message, offset) = failure.parts();
        PerimeterError::Syntax {
            field: String::new(),
            message,
            location: offset.map(|o| Location::at_offset(text, o + (text.len() - body.len()), 1)),
        }
    })?;
    let (value, prefix) = match value {
        Value::Object(mut map) if map.contains_key("perimeter") => {
            (map.remove("perimeter").unwrap_or(Value::Null), "perimeter")
        }
        Value::Null => (Value::Object(Default::default()), ""),
        other => (other, ""),
    };
    let in_file = |field: String| match (prefix, field.as_str()) {
        ("", _) => field,
        (_, "") => prefix.to_string(),
        (_, f) if f.starts_with('[') => format!("{prefix}{f}"),
        _ => format!("{prefix}.{field}"),
    };
    let perimeter = perimeter_from_value(value).map_err(|e| match e {
        PerimeterError::Shape {
            field,
            message,
            location,
        } => PerimeterError::Shape {
            field: in_file(field),
            message,
            location,
        },
        other => other,
    })?;
    check(&perimeter).map_err(|e| match e {
        PerimeterError::Value {
            field,
            message,
            location,
        } => PerimeterError::Value {
            field: in_file(field),
            message,
            location,
        },
        other => other,
    })?;
    Ok(perimeter)
}

/// A document read as `T`, a mismatch named by its field path.
fn shaped<T: serde::de::DeserializeOwned>(value: Value, form: &str) -> Result<T, PerimeterError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        PerimeterError::Shape {
            field: if field == "." { String::new() } else { field },
            message: format!("{form}{}", e.inner()),
            location: None,
        }
    })
}

fn perimeter_from_value(value: Value) -> Result<Perimeter, PerimeterError> {
    let is_pack = value.get("approval").is_some_and(Value::is_string)
        || ["maxSteps", "maxTokens", "maxTimeMinutes"]
            .iter()
            .any(|k| value.pointer(&format!("/budget/{k}")).is_some());
    if value.get("constraints").is_some() {
        let env: EnvelopeGovernance = shaped(value, "envelope form: ")?;
        return Ok(Perimeter::from(&env));
    }
    if is_pack {
        let pack: PackGovernance = shaped(value, "mission-pack form: ")?;
        return Ok(Perimeter::from(&pack));
    }
    shaped(value, "")
}

/// Refuses values no cap can have (negative or not-a-number amounts, a zero runtime).
pub fn check(perimeter: &Perimeter) -> Result<(), PerimeterError> {
    if let Some(b) = &perimeter.budget {
        if b.max_cost_usd.is_some_and(|v| !v.is_finite() || v < 0.0) {
            return Err(PerimeterError::value(
                "budget.max_cost_usd",
                "`max_cost_usd` must be a number ≥ 0",
            ));
        }
        if b.max_runtime_minutes
            .is_some_and(|v| !v.is_finite() || v <= 0.0)
        {
            return Err(PerimeterError::value(
                "budget.max_runtime_minutes",
                "`max_runtime_minutes` must be a number > 0",
            ));
        }
    }
    if let Some(a) = &perimeter.approval {
        if a.threshold_usd.is_some_and(|v| !v.is_finite() || v < 0.0) {
            return Err(PerimeterError::value(
                "approval.threshold_usd",
                "`threshold_usd` must be a number ≥ 0",
            ));
        }
    }
    for (i, host) in perimeter
        .network
        .iter()
        .flat_map(|n| &n.allowed_hosts)
        .enumerate()
    {
        let (name, _) = split_pattern(host);
        let bad_wildcard = name.contains('*') && name != "*" && !name.starts_with("*.")
            || name
                .get(2..)
                .is_some_and(|rest| name.starts_with("*.") && rest.contains('*'));
        if name.is_empty()
            || name.contains("://")
            || name.contains('/')
            || name.contains(char::is_whitespace)
            || bad_wildcard
        {
            return Err(PerimeterError::value(format!("network.allowed_hosts[{i}]"), format!(
                "`network.allowed_hosts` entry `{host}` must be a host name or address, optionally with `:port`, where `*.` may only start a name (e.g. api.example.com, *.internal, 127.0.0.1:8080)"
            )));
        }
    }
    for (i, root) in perimeter.roots.iter().enumerate() {
        let path = std::path::Path::new(root);
        let parent_step = path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
        if !path.is_absolute() || parent_step {
            return Err(PerimeterError::value(
                format!("roots[{i}]"),
                format!(
                "`roots` entry `{root}` must be an absolute path without `..` (e.g. /srv/repos/app)"
            ),
            ));
        }
    }
    Ok(())
}
