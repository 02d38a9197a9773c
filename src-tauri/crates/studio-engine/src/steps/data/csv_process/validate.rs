//! The `validate` operation and the report it shares with the reader (rows of the wrong width).

use super::ops::{bool_arg, column, columns_arg, count_arg};
use super::{cells, Row, Stage};
use crate::steps::Failure;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};
use studio_core::step_params::csv_ops::CsvOpCall;

const DEFAULT_MAX_ERRORS: usize = 100;

struct Problem {
    row: u64,
    line: u64,
    column: Option<String>,
    message: String,
}

impl Problem {
    fn describe(&self) -> String {
        let at = match &self.column {
            Some(c) => format!(", column `{c}`"),
            None => String::new(),
        };
        format!(
            "row {} (line {}){at}: {}",
            self.row, self.line, self.message
        )
    }
}

/// The problems found in the rows: by the reader (a row of the wrong width) and by `validate`.
pub(super) struct Report {
    has_validate: bool,
    fail_on_invalid: bool,
    max_errors: Option<usize>,
    errors: Vec<Problem>,
    error_count: u64,
    invalid_rows: HashSet<u64>,
    malformed: u64,
}

fn fields(n: usize) -> String {
    if n == 1 {
        "1 field".into()
    } else {
        format!("{n} fields")
    }
}

impl Report {
    pub fn new() -> Self {
        Self {
            has_validate: false,
            fail_on_invalid: false,
            max_errors: None,
            errors: Vec::new(),
            error_count: 0,
            invalid_rows: HashSet::new(),
            malformed: 0,
        }
    }

    fn limit(&self) -> usize {
        self.max_errors.unwrap_or(DEFAULT_MAX_ERRORS)
    }

    fn add(&mut self, row: u64, line: u64, column: Option<&str>, message: String) {
        self.error_count += 1;
        self.invalid_rows.insert(row);
        if self.errors.len() < self.limit() {
            self.errors.push(Problem {
                row,
                line,
                column: column.map(str::to_string),
                message,
            });
        }
    }

    /// A row whose number of fields is not the header's.
    pub fn malformed(&mut self, row: u64, line: u64, len: usize, width: usize) {
        self.malformed += 1;
        self.add(
            row,
            line,
            None,
            format!("the row has {}, the header has {width}", fields(len)),
        );
    }

    /// `{valid, error_count, invalid_rows, errors, truncated}`, or null when nothing was
    /// checked and nothing was wrong.
    pub fn to_json(&self) -> Value {
        if !self.has_validate && self.error_count == 0 {
            return Value::Null;
        }
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|p| {
                json!({
                    "row": p.row,
                    "line": p.line,
                    "column": p.column,
                    "message": p.message,
                })
            })
            .collect();
        json!({
            "valid": self.error_count == 0,
            "error_count": self.error_count,
            "invalid_rows": self.invalid_rows.len(),
            "errors": errors,
            "truncated": self.error_count > self.errors.len() as u64,
        })
    }

    /// Why the step fails, when it does: malformed rows with no `validate` to own them, or
    /// problems under `fail_on_invalid`.
    pub fn verdict(&self, origin: &str) -> Option<String> {
        let more = |n: u64, one: &str, many: &str| match n {
            0 | 1 => String::new(),
            2 => format!(" (and 1 more {one})"),
            n => format!(" (and {} more {many})", n - 1),
        };
        if !self.has_validate && self.malformed > 0 {
            let first = self.errors.first()?;
            return Some(format!(
                "{origin} is not a well-formed table: {}{}; fix those rows, or add a `validate` operation (with `fail_on_invalid: false`) to list them and leave them out",
                first.describe(),
                more(self.malformed, "row like it", "rows like it")
            ));
        }
        if self.fail_on_invalid && self.error_count > 0 {
            let first = self.errors.first().map_or(String::new(), Problem::describe);
            return Some(format!(
                "{origin} does not pass `validate`: {first}{}; the output's `validation.errors` lists them (set `fail_on_invalid: false` to go on, or `drop_invalid: true` to leave those rows out)",
                more(self.error_count, "problem", "problems")
            ));
        }
        None
    }
}

#[derive(Clone, Copy)]
enum ColType {
    String,
    Number,
    Integer,
    Date,
    DateTime,
    Boolean,
}

impl ColType {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "string" => Self::String,
            "number" => Self::Number,
            "integer" => Self::Integer,
            "date" => Self::Date,
            "datetime" => Self::DateTime,
            "boolean" => Self::Boolean,
            _ => return None,
        })
    }

    fn accepts(self, cell: &str) -> bool {
        match self {
            Self::String => true,
            Self::Number => cells::number(cell).is_some(),
            Self::Integer => cells::is_integer(cell),
            Self::Date => cells::is_date(cell),
            Self::DateTime => cells::is_datetime(cell),
            Self::Boolean => cells::is_boolean(cell),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::String => "a text",
            Self::Number => "a number",
            Self::Integer => "a whole number",
            Self::Date => "a date (YYYY-MM-DD)",
            Self::DateTime => "a date and time (RFC 3339 or YYYY-MM-DD HH:MM[:SS])",
            Self::Boolean => "a boolean (true, false, yes, no, 1 or 0)",
        }
    }
}

pub(super) struct Validate {
    types: Vec<(usize, String, ColType)>,
    required: Vec<(usize, String)>,
    unique: Vec<(usize, String, HashMap<String, u64>)>,
    drop_invalid: bool,
    problems: u64,
    dropped: u64,
}

impl Validate {
    pub fn build(
        call: &CsvOpCall,
        headers: &[String],
        report: &mut Report,
    ) -> Result<Self, String> {
        let mut types = Vec::new();
        if let Some(map) = call.arg("types") {
            let Value::Object(map) = map else {
                return Err("`types` must map column names to types".into());
            };
            for (name, ty) in map {
                let ty = ty.as_str().and_then(ColType::parse).ok_or_else(|| {
                    format!("`types`: `{name}` has {ty}, not one of string, number, integer, date, datetime, boolean")
                })?;
                types.push((column(headers, name)?, name.clone(), ty));
            }
        }
        let named = |arg: &str| -> Result<Vec<(usize, String)>, String> {
            columns_arg(call, arg)?
                .unwrap_or_default()
                .into_iter()
                .map(|name| Ok((column(headers, &name)?, name)))
                .collect()
        };
        let required = named("required")?;
        let unique = named("unique")?
            .into_iter()
            .map(|(i, name)| (i, name, HashMap::new()))
            .collect();
        report.has_validate = true;
        report.fail_on_invalid |= bool_arg(call, "fail_on_invalid", true)?;
        if let Some(n) = count_arg(call, "max_errors")? {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            report.max_errors = Some(report.max_errors.map_or(n, |m| m.max(n)));
        }
        Ok(Self {
            types,
            required,
            unique,
            drop_invalid: bool_arg(call, "drop_invalid", false)?,
            problems: 0,
            dropped: 0,
        })
    }
}

impl Stage for Validate {
    fn push(&mut self, row: Row, out: &mut Vec<Row>, report: &mut Report) -> Result<(), Failure> {
        let before = report.error_count;
        let (n, line) = (row.n, row.line);
        for (i, name) in &self.required {
            if row.cells[*i].trim().is_empty() {
                report.add(
                    n,
                    line,
                    Some(name),
                    "is empty; the column is required".into(),
                );
            }
        }
        for (i, name, ty) in &self.types {
            let cell = row.cells[*i].trim();
            if !cell.is_empty() && !ty.accepts(cell) {
                report.add(
                    n,
                    line,
                    Some(name),
                    format!("`{cell}` is not {}", ty.describe()),
                );
            }
        }
        for (i, name, seen) in &mut self.unique {
            let cell = row.cells[*i].trim();
            if cell.is_empty() {
                continue;
            }
            match seen.get(cell) {
                Some(first) => report.add(
                    n,
                    line,
                    Some(name),
                    format!("`{cell}` repeats the value of row {first}; the column is unique"),
                ),
                None => {
                    seen.insert(cell.to_string(), n);
                }
            }
        }
        let found = report.error_count - before;
        self.problems += found;
        if found > 0 && self.drop_invalid {
            self.dropped += 1;
        } else {
            out.push(row);
        }
        Ok(())
    }

    fn summary(&self, into: &mut Map<String, Value>) {
        into.insert("problems".into(), json!(self.problems));
        into.insert("dropped".into(), json!(self.dropped));
    }
}
