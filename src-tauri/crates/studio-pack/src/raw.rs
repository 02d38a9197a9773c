//! `evidence/raw/`: every step's full result, as a record `{"step_id", "result"}` (plus
//! `"reused_from"` for a reused output).
//!
//! A step that produced something has its own file, `raw/<step>.json` (pretty JSON), as the
//! mission pack layout says. A step that produced nothing of its own — its output is empty
//! (`null`, `{}`, `[]`, `""`), or it is a `noop` whose output (its own parameters, already in
//! `mission.yaml`) is small — and that succeeded or was skipped, is one row of the run's
//! [`TRIVIAL_RECORDS`] file instead: a mission of thousands of such steps leaves one file, not
//! thousands of near-empty ones. That file is JSON Lines: a header naming the columns, then one
//! array a step, in mission order:
//!
//! ```text
//! {"columns":["step_id","step_type","status","attempts","started_at","finished_at","duration_ms","output","error","name"]}
//! ["a","noop","success",1,"2026-01-01T00:00:00.000Z","2026-01-01T00:00:00.000Z",0,{}]
//! ```
//!
//! (trailing `null` cells are left off). Readers take both kinds ([`read_records`]
//! turns a row back into the `{"step_id", "result"}` record); folders written before this file
//! existed have only the first kind.

use crate::atomic;
use crate::PackError;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use studio_core::{Mission, StepStatus};
use studio_engine::{RunResult, StepResult};

/// The run-level file of the records of steps that produced nothing, relative to `evidence/`.
pub const TRIVIAL_RECORDS: &str = "raw/steps.jsonl";

/// The columns of a row of [`TRIVIAL_RECORDS`], in order.
const COLUMNS: [&str; 10] = [
    "step_id",
    "step_type",
    "status",
    "attempts",
    "started_at",
    "finished_at",
    "duration_ms",
    "output",
    "error",
    "name",
];

/// A `noop` output (its resolved parameters) up to this many bytes of JSON is kept inline.
const NOOP_INLINE_LIMIT: usize = 512;

/// One step's record as read back from an evidence folder.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRecord {
    /// Where it was read: `raw/<step>.json`, or `raw/steps.jsonl` with its line number.
    pub source: String,
    /// `{"step_id", "result"[, "reused_from"]}`.
    pub doc: Value,
}

/// Writes the records of `result`'s steps under `evidence` (the folder's `evidence/`) and
/// returns the files written, relative to it, in mission order.
pub(crate) fn write_records(
    evidence: &Path,
    mission: &Mission,
    result: &RunResult,
) -> Result<Vec<String>, PackError> {
    let mut files = Vec::new();
    let mut trivial = Vec::new();
    for (i, step) in mission.steps.iter().enumerate() {
        let Some(r) = result.step_results.get(&step.id) else {
            continue;
        };
        if is_trivial(r) {
            if trivial.is_empty() {
                write_line(&mut trivial, &json!({ "columns": COLUMNS }))?;
            }
            write_line(&mut trivial, &row(&step.id, r)?)?;
            continue;
        }
        let name = format!("raw/{}.json", raw_name(&step.id, i));
        let mut doc = json!({"step_id": step.id, "result": r});
        if let Some(from) = &r.reused_from {
            doc["reused_from"] = json!(from);
        }
        atomic::write_json(&evidence.join(&name), &doc)?;
        files.push(name);
        // An agent's tool calls, one file each: `raw/<step>/<n>.json` (DESIGN §5.2).
        if let Some(calls) = r.output.get("calls").and_then(|c| c.as_array()) {
            if &*r.step_type == "agent" {
                let folder = format!("raw/{}", raw_name(&step.id, i));
                let dir = evidence.join(&folder);
                std::fs::create_dir_all(&dir).map_err(|e| PackError::io(&dir, e))?;
                for call in calls {
                    let n = call.get("n").and_then(|n| n.as_u64()).unwrap_or(0);
                    let name = format!("{folder}/{n}.json");
                    let doc = json!({"step_id": step.id, "call": call});
                    atomic::write_json(&evidence.join(&name), &doc)?;
                    files.push(name);
                }
            }
        }
    }
    if !trivial.is_empty() {
        atomic::write(&evidence.join(TRIVIAL_RECORDS), &trivial)?;
        files.push(TRIVIAL_RECORDS.to_string());
    }
    Ok(files)
}

/// A trivial step's row: the record's fields in [`COLUMNS`] order, without trailing `null`s.
fn row(step_id: &str, r: &StepResult) -> Result<Value, PackError> {
    let Value::Object(mut result) = serde_json::to_value(r).map_err(|e| PackError::Serialise {
        what: "a step record",
        message: e.to_string(),
    })?
    else {
        return Ok(Value::Null);
    };
    let mut cells: Vec<Value> = COLUMNS
        .iter()
        .map(|c| match *c {
            "step_id" => json!(step_id),
            c => result.remove(c).unwrap_or(Value::Null),
        })
        .collect();
    while cells.last().is_some_and(Value::is_null) {
        cells.pop();
    }
    Ok(Value::Array(cells))
}

/// A row of [`TRIVIAL_RECORDS`] back as the record `{"step_id", "result"}`.
fn record_of_row(columns: &[String], cells: Vec<Value>) -> Value {
    let mut result = serde_json::Map::new();
    let mut step_id = Value::Null;
    let mut cells = cells.into_iter();
    for column in columns {
        let cell = cells.next();
        if column == "step_id" {
            step_id = cell.unwrap_or(Value::Null);
            continue;
        }
        match cell {
            Some(v) => result.insert(column.clone(), v),
            // `name` is left out of a record when it has none.
            None if column == "name" => None,
            None => result.insert(column.clone(), Value::Null),
        };
    }
    json!({"step_id": step_id, "result": result})
}

fn write_line(out: &mut Vec<u8>, value: &Value) -> Result<(), PackError> {
    serde_json::to_writer(&mut *out, value).map_err(|e| PackError::Serialise {
        what: "a step record",
        message: e.to_string(),
    })?;
    out.push(b'\n');
    Ok(())
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(o) => o.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Whether a step's record goes to [`TRIVIAL_RECORDS`] (see the module documentation).
fn is_trivial(r: &StepResult) -> bool {
    let settled = match r.status {
        StepStatus::Success => r.error.is_none(),
        StepStatus::Skipped => true,
        _ => false,
    };
    let nothing = is_empty(&r.output);
    let echoed = &*r.step_type == "noop"
        && serde_json::to_string(&r.output).is_ok_and(|t| t.len() <= NOOP_INLINE_LIMIT);
    settled && r.reused_from.is_none() && (nothing || echoed)
}

/// Every step record of the evidence folder `folder`: the `raw/*.json` files (sorted by name),
/// then the lines of [`TRIVIAL_RECORDS`]. A folder without `evidence/raw/` has none.
pub fn read_records(folder: &Path) -> Result<Vec<RawRecord>, PackError> {
    let raw_dir = folder.join("evidence/raw");
    let mut records = Vec::new();
    let entries = match std::fs::read_dir(&raw_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(records),
        Err(e) => return Err(PackError::read(&raw_dir, e)),
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| PackError::read(&raw_dir, e))?.path();
        if path.extension().is_some_and(|x| x == "json") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|e| PackError::read(&path, e))?;
        let doc = serde_json::from_str(&text).map_err(|e| PackError::parse(&path, e))?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        records.push(RawRecord {
            source: format!("raw/{name}"),
            doc,
        });
    }
    let lines_path = folder.join("evidence").join(TRIVIAL_RECORDS);
    let text = match std::fs::read_to_string(&lines_path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(records),
        Err(e) => return Err(PackError::read(&lines_path, e)),
    };
    let mut columns: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let doc = match serde_json::from_str(line).map_err(|e| PackError::parse(&lines_path, e))? {
            Value::Array(cells) => record_of_row(&columns, cells),
            Value::Object(header) if header.contains_key("columns") => {
                columns = header["columns"]
                    .as_array()
                    .map(|c| {
                        c.iter()
                            .filter_map(|c| c.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or(columns);
                continue;
            }
            record => record,
        };
        records.push(RawRecord {
            source: format!("{TRIVIAL_RECORDS} line {}", n + 1),
            doc,
        });
    }
    Ok(records)
}

/// A file name for a step's raw result: the id where it is a safe name, else a cleaned form.
pub(crate) fn raw_name(step_id: &str, index: usize) -> String {
    let clean: String = step_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean == step_id && !clean.starts_with('.') {
        clean
    } else {
        format!("{:03}-{}", index + 1, clean.trim_start_matches('.'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn result(step_type: &str, status: StepStatus, output: Value) -> StepResult {
        StepResult {
            step_type: Arc::from(step_type),
            name: None,
            status,
            output,
            error: None,
            attempts: 1,
            started_at: None,
            finished_at: None,
            duration_ms: 0,
            reused_from: None,
        }
    }

    #[test]
    fn only_steps_that_produced_nothing_are_trivial() {
        use StepStatus::*;
        assert!(is_trivial(&result("noop", Success, json!({}))));
        assert!(is_trivial(&result("noop", Success, json!({"n": 3}))));
        assert!(is_trivial(&result("command", Success, Value::Null)));
        assert!(is_trivial(&result("command", Skipped, Value::Null)));
        let big = "x".repeat(NOOP_INLINE_LIMIT);
        assert!(!is_trivial(&result(
            "noop",
            Success,
            json!({ "text": big })
        )));
        assert!(!is_trivial(&result(
            "create_file",
            Success,
            json!({"path": "a", "bytes": 1})
        )));
        assert!(!is_trivial(&result("command", Failed, Value::Null)));
        let mut reused = result("noop", Success, json!({}));
        reused.reused_from = Some("run-1".into());
        assert!(
            !is_trivial(&reused),
            "a reused output says where it came from"
        );
    }

    #[test]
    fn a_row_reads_back_as_the_record_it_was_made_from() {
        let mut r = result("noop", StepStatus::Success, json!({"n": 1}));
        r.started_at = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00.123Z")
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc));
        r.finished_at = r.started_at;
        let mut skipped = result("command", StepStatus::Skipped, Value::Null);
        skipped.error = Some("skipped: dependency `a` failed".into());
        skipped.name = Some("Send".into());
        let columns: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
        for r in [r, skipped] {
            let Value::Array(cells) = row("x", &r).unwrap() else {
                panic!("a row is an array")
            };
            let record = record_of_row(&columns, cells);
            assert_eq!(record["step_id"], "x");
            let back: StepResult = serde_json::from_value(record["result"].clone()).unwrap();
            assert_eq!(back, r);
        }
    }

    #[test]
    fn raw_names_are_safe_file_names() {
        assert_eq!(raw_name("extract", 0), "extract");
        assert_eq!(raw_name("../x", 4), "005-_x");
        assert_eq!(raw_name("a/b", 1), "002-a_b");
    }
}
