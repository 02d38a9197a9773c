//! `validate_schema`: checks a value, or a JSON or YAML file of the workspace, against a JSON
//! Schema (the `jsonschema` crate; the draft is read from `$schema`, default 2020-12; no remote
//! `$ref` is ever fetched).
//!
//! Parameters: `data` (a value) or `path` (alias `file`: a `.json`, `.yaml` or `.yml` file; other
//! names are read as JSON unless `format` says otherwise); `schema` (a value) or `schema_path`
//! (alias `schema_file`, JSON or YAML likewise); `max_errors` (default 100); `fail_on_invalid`
//! (default true: an invalid document fails the step and keeps the output).
//!
//! With `schema_type: csv`, `path` is a CSV file with a header row: every row must have the
//! header's number of fields (a bad row is a violation at `/<row>`, with its line), and when a
//! schema is given each row is checked against it as an object of its columns (a cell that reads
//! as a number is a number, an empty cell is null, any other cell a string); violations are at
//! `/<row>/<column>`, rows counted from 0 after the header.
//!
//! Output: `{valid, error_count, errors: [{path, schema_path, keyword, message}], truncated}`;
//! `path` and `schema_path` are JSON Pointers (`""` is the whole document).

use crate::steps::params::{opt_bool, opt_str, opt_u64, str_param_any};
use crate::steps::read_file::read_limited;
use crate::steps::workspace::check;
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

const MAX_BYTES: u64 = 64 * 1024 * 1024;
const DEFAULT_MAX_ERRORS: u64 = 100;

/// One violation, located in the document and in the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    pub path: String,
    pub schema_path: String,
    pub keyword: String,
    pub message: String,
}

impl Violation {
    fn to_json(&self) -> Value {
        json!({
            "path": self.path,
            "schema_path": self.schema_path,
            "keyword": self.keyword,
            "message": self.message,
        })
    }
}

/// Why a schema cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the schema is not a valid JSON Schema: {0}")]
pub(crate) struct BadSchema(String);

/// Every violation of `schema` by `instance` (all of them: the caller caps the list).
pub(crate) fn violations(schema: &Value, instance: &Value) -> Result<Vec<Violation>, BadSchema> {
    let validator = jsonschema::validator_for(schema).map_err(|e| BadSchema(e.to_string()))?;
    let mut found: Vec<Violation> = validator
        .iter_errors(instance)
        .map(|e| {
            let schema_path = e.schema_path().to_string();
            let keyword = schema_path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string();
            Violation {
                path: e.instance_path().to_string(),
                schema_path,
                keyword,
                message: e.to_string(),
            }
        })
        .collect();
    found.sort_by(|a, b| (&a.path, &a.schema_path).cmp(&(&b.path, &b.schema_path)));
    Ok(found)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Yaml,
}

fn format_of(path: &str, named: Option<&str>) -> Result<Format, Failure> {
    match named {
        Some("json") => return Ok(Format::Json),
        Some("yaml") => return Ok(Format::Yaml),
        Some(other) => {
            return Err(Failure::new(format!(
                "parameter `format` must be json or yaml, not `{other}`"
            )))
        }
        None => {}
    }
    let lower = path.to_ascii_lowercase();
    Ok(if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        Format::Yaml
    } else {
        Format::Json
    })
}

/// Reads and parses a JSON or YAML file of the workspace.
async fn read_document(ctx: &StepCtx, raw: &str, format: Option<&str>) -> Result<Value, Failure> {
    let format = format_of(raw, format)?;
    let bytes = read_limited(ctx, check(raw)?, MAX_BYTES).await?;
    let text =
        String::from_utf8(bytes).map_err(|_| Failure::new(format!("`{raw}` is not UTF-8 text")))?;
    match format {
        Format::Json => serde_json::from_str(&text)
            .map_err(|e| Failure::new(format!("`{raw}` is not valid JSON: {e}"))),
        Format::Yaml => {
            let options = serde_saphyr::options! { strict_booleans: true };
            serde_saphyr::from_str_with_options(&text, options)
                .map_err(|e| Failure::new(format!("`{raw}` is not valid YAML: {e}")))
        }
    }
}

fn given(p: &Value, names: &[&str]) -> bool {
    names
        .iter()
        .any(|n| p.get(*n).is_some_and(|v| !v.is_null()))
}

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let format = opt_str(&p, "format")?;
    let max_errors = opt_u64(&p, "max_errors")?.unwrap_or(DEFAULT_MAX_ERRORS);
    let fail_on_invalid = opt_bool(&p, "fail_on_invalid")?.unwrap_or(true);
    let schema_type = opt_str(&p, "schema_type")?;
    if !matches!(schema_type, None | Some("json" | "csv")) {
        return Err(Failure::new("parameter `schema_type` must be json or csv"));
    }
    if schema_type == Some("csv") {
        return Box::pin(run_csv(&p, ctx, max_errors, fail_on_invalid)).await;
    }
    let schema = if given(&p, &["schema_path", "schema_file"]) {
        schema_from_file(&p, ctx).await?
    } else {
        match p.get("schema") {
            Some(v) if !v.is_null() => v.clone(),
            _ => {
                return Err(Failure::new(
                    "give the JSON Schema in `schema` or a file in `schema_path`",
                ))
            }
        }
    };
    let (instance, origin) = if given(&p, &["path", "file"]) {
        let raw = str_param_any(&p, &["path", "file"])?;
        (read_document(ctx, raw, format).await?, format!("`{raw}`"))
    } else {
        match p.get("data") {
            Some(v) => (v.clone(), "`data`".to_string()),
            None => {
                return Err(Failure::new(
                    "give the document in `data` or a JSON or YAML file in `path`",
                ))
            }
        }
    };
    let found = violations(&schema, &instance).map_err(|e| Failure::new(e.to_string()))?;
    finish(found, max_errors, fail_on_invalid, origin)
}

async fn schema_from_file(p: &Value, ctx: &StepCtx) -> Result<Value, Failure> {
    let raw = str_param_any(p, &["schema_path", "schema_file"])?;
    read_document(ctx, raw, None).await
}

async fn run_csv(
    p: &Value,
    ctx: &StepCtx,
    max_errors: u64,
    fail_on_invalid: bool,
) -> Result<StepOutput, Failure> {
    let raw = str_param_any(p, &["path", "file"])?;
    let schema = if given(p, &["schema_path", "schema_file"]) {
        Some(schema_from_file(p, ctx).await?)
    } else {
        p.get("schema").filter(|v| !v.is_null()).cloned()
    };
    let bytes = read_limited(ctx, check(raw)?, MAX_BYTES).await?;
    let found = csv_violations(&bytes, schema.as_ref()).map_err(|e| Failure::new(e.to_string()))?;
    finish(found, max_errors, fail_on_invalid, format!("`{raw}`"))
}

/// A CSV cell as a JSON value: a number when it reads as one, null when empty, else a string.
pub(crate) fn cell_value(cell: &str) -> Value {
    let t = cell.trim();
    if t.is_empty() {
        return Value::Null;
    }
    if let Ok(i) = t.parse::<i64>() {
        return Value::from(i);
    }
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() => Value::from(f),
        _ => Value::String(cell.to_string()),
    }
}

/// The structure of a CSV file with a header row, and each row against `schema` when given.
pub(crate) fn csv_violations(
    bytes: &[u8],
    schema: Option<&Value>,
) -> Result<Vec<Violation>, BadSchema> {
    let validator = schema
        .map(|s| jsonschema::validator_for(s).map_err(|e| BadSchema(e.to_string())))
        .transpose()?;
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let mut found = Vec::new();
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            found.push(Violation {
                path: String::new(),
                schema_path: String::new(),
                keyword: "csv".into(),
                message: format!("the header row cannot be read: {e}"),
            });
            return Ok(found);
        }
    };
    for (row, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        len, expected_len, ..
                    } => format!(
                        "line {line}: the row has {len} fields, the header has {expected_len}"
                    ),
                    _ => format!("line {line}: {e}"),
                };
                let fatal = matches!(e.kind(), csv::ErrorKind::Io(_));
                found.push(Violation {
                    path: format!("/{row}"),
                    schema_path: String::new(),
                    keyword: "csv".into(),
                    message,
                });
                if fatal {
                    break;
                }
                continue;
            }
        };
        if let Some(validator) = &validator {
            let object: serde_json::Map<String, Value> = headers
                .iter()
                .zip(record.iter())
                .map(|(h, c)| (h.to_string(), cell_value(c)))
                .collect();
            let object = Value::Object(object);
            for e in validator.iter_errors(&object) {
                let schema_path = e.schema_path().to_string();
                let keyword = schema_path
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                found.push(Violation {
                    path: format!("/{row}{}", e.instance_path()),
                    schema_path,
                    keyword,
                    message: e.to_string(),
                });
            }
        }
    }
    Ok(found)
}

fn finish(
    found: Vec<Violation>,
    max_errors: u64,
    fail_on_invalid: bool,
    origin: String,
) -> Result<StepOutput, Failure> {
    let count = found.len();
    let kept = usize::try_from(max_errors).unwrap_or(usize::MAX);
    let output = json!({
        "valid": count == 0,
        "error_count": count,
        "errors": found.iter().take(kept).map(Violation::to_json).collect::<Vec<_>>(),
        "truncated": count > kept,
    });
    if count > 0 && fail_on_invalid {
        let first = &found[0];
        let at = if first.path.is_empty() {
            "the document".to_string()
        } else {
            format!("`{}`", first.path)
        };
        let more = match count {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        return Err(Failure::new(format!(
            "{origin} does not match the schema: {at}: {}{more}",
            first.message
        ))
        .with_output(output));
    }
    Ok(StepOutput::new(output))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_violation_is_reported_with_its_path() {
        let schema = json!({
            "type": "object",
            "required": ["name", "items"],
            "properties": {
                "name": {"type": "string"},
                "items": {"type": "array", "items": {"type": "object", "properties": {
                    "qty": {"type": "integer", "minimum": 1}
                }}}
            }
        });
        let found = violations(
            &schema,
            &json!({"name": 3, "items": [{"qty": 2}, {"qty": 0}, {"qty": "x"}]}),
        )
        .unwrap();
        let at: Vec<(&str, &str)> = found
            .iter()
            .map(|v| (v.path.as_str(), v.keyword.as_str()))
            .collect();
        assert_eq!(
            at,
            [
                ("/items/1/qty", "minimum"),
                ("/items/2/qty", "type"),
                ("/name", "type")
            ]
        );
        assert_eq!(
            found[0].schema_path,
            "/properties/items/items/properties/qty/minimum"
        );
        let missing = violations(&schema, &json!({})).unwrap();
        assert_eq!(missing.len(), 2, "{missing:?}");
        assert!(missing
            .iter()
            .all(|v| v.path.is_empty() && v.keyword == "required"));
        assert!(violations(&schema, &json!({"name": "a", "items": []}))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_broken_schema_is_refused() {
        let e = violations(&json!({"type": "nonsense"}), &json!(1)).unwrap_err();
        assert!(e.to_string().contains("not a valid JSON Schema"), "{e}");
    }
}
