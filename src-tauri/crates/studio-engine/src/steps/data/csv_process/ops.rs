//! The operations that reshape the rows: `filter`, `select`, `sort`, `dedupe`, `aggregate`,
//! `normalize`; and [`build`], which sets any operation up against the columns it receives.

use super::stats::Statistics;
use super::validate::{Report, Validate};
use super::{cells, Row, Stage};
use crate::steps::Failure;
use serde_json::{json, Map, Value};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use studio_core::step_params::csv_ops::{filter_op, CsvOpCall};
use studio_core::suggest::did_you_mean;

/// Sets an operation up: its stage and the columns it passes on. Errors name what to fix.
pub(super) fn build(
    call: &CsvOpCall,
    headers: &[String],
    report: &mut Report,
) -> Result<(Box<dyn Stage>, Vec<String>), String> {
    let same = headers.to_vec();
    Ok(match call.name() {
        "statistics" => (Box::new(Statistics::build(call, headers)?), same),
        "filter" => (Box::new(Filter::build(call, headers)?), same),
        "select" => {
            let names = columns_arg(call, "columns")?.unwrap_or_default();
            let mut seen = HashSet::new();
            if let Some(twice) = names.iter().find(|n| !seen.insert(n.as_str())) {
                return Err(format!("`{twice}` is selected twice"));
            }
            let indices = names
                .iter()
                .map(|n| column(headers, n))
                .collect::<Result<Vec<_>, _>>()?;
            (Box::new(Select { indices }), names)
        }
        "sort" => {
            let keys = columns_arg(call, "by")?
                .unwrap_or_default()
                .iter()
                .map(|n| column(headers, n))
                .collect::<Result<Vec<_>, _>>()?;
            let descending = bool_arg(call, "descending", false)?;
            (
                Box::new(Sort {
                    keys,
                    descending,
                    rows: Vec::new(),
                }),
                same,
            )
        }
        "dedupe" => {
            let keys = match columns_arg(call, "columns")? {
                Some(names) => Some(
                    names
                        .iter()
                        .map(|n| column(headers, n))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                None => None,
            };
            (
                Box::new(Dedupe {
                    keys,
                    seen: HashSet::new(),
                    duplicates: 0,
                }),
                same,
            )
        }
        "aggregate" => {
            let (stage, columns) = Aggregate::build(call, headers)?;
            (Box::new(stage), columns)
        }
        "normalize" => {
            let (stage, columns) = Normalize::build(call, headers)?;
            (Box::new(stage), columns)
        }
        "validate" => (Box::new(Validate::build(call, headers, report)?), same),
        other => return Err(format!("`{other}` is not an operation of `csv_process`")),
    })
}

/// The position of a column, or why there is none.
pub(super) fn column(headers: &[String], name: &str) -> Result<usize, String> {
    let found: Vec<usize> = (0..headers.len()).filter(|&i| headers[i] == name).collect();
    match found[..] {
        [i] => Ok(i),
        [] => {
            let hint = did_you_mean(name, headers.iter().map(String::as_str))
                .map_or(String::new(), |s| format!(" (did you mean `{s}`?)"));
            let mut names: Vec<String> = headers.iter().take(30).map(|h| format!("`{h}`")).collect();
            if headers.len() > 30 {
                names.push(format!("… ({} in all)", headers.len()));
            }
            let list = if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            };
            Err(format!(
                "there is no column `{name}`{hint}; the columns at this point are: {list}"
            ))
        }
        _ => Err(format!(
            "the header names `{name}` {} times (columns {}); rename them, e.g. with `normalize`, which numbers repeated names",
            found.len(),
            found.iter().map(|i| (i + 1).to_string()).collect::<Vec<_>>().join(", ")
        )),
    }
}

pub(super) fn columns_arg(call: &CsvOpCall, name: &str) -> Result<Option<Vec<String>>, String> {
    match call.arg(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("`{name}` must list column names"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(format!(
            "`{name}` must be a column name or a list of column names"
        )),
    }
}

pub(super) fn bool_arg(call: &CsvOpCall, name: &str, default: bool) -> Result<bool, String> {
    match call.arg(name) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
        Some(_) => Err(format!("`{name}` must be true or false")),
    }
}

pub(super) fn count_arg(call: &CsvOpCall, name: &str) -> Result<Option<u64>, String> {
    call.arg(name)
        .map(|v| {
            studio_core::step_params::whole_number(v)
                .ok_or_else(|| format!("`{name}` must be a whole number (0 or more)"))
        })
        .transpose()
}

/// A value a cell is compared with.
struct Operand {
    text: String,
    number: Option<f64>,
}

impl Operand {
    fn new(v: &Value) -> Result<Self, String> {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err("`value` must be a text, a number or a list of them".into()),
        };
        let number = cells::number(&text);
        Ok(Self { text, number })
    }
}

struct Filter {
    column: usize,
    op: &'static str,
    values: Vec<Operand>,
    ignore_case: bool,
    removed: u64,
}

impl Filter {
    fn build(call: &CsvOpCall, headers: &[String]) -> Result<Self, String> {
        let name = call
            .arg("column")
            .and_then(Value::as_str)
            .ok_or("`column` must name a column")?;
        let op_name = call.arg("op").and_then(Value::as_str).unwrap_or("==");
        let op = filter_op(op_name).ok_or_else(|| format!("`{op_name}` is not a comparison"))?;
        let ignore_case = bool_arg(call, "ignore_case", false)?;
        let values = match call.arg("value") {
            None => Vec::new(),
            Some(Value::Array(items)) => {
                items.iter().map(Operand::new).collect::<Result<_, _>>()?
            }
            Some(v) => vec![Operand::new(v)?],
        };
        if values.is_empty() && !matches!(op, "empty" | "not_empty" | "in" | "not_in") {
            return Err(format!("the comparison `{op}` needs a `value`"));
        }
        if values.len() > 1 && !matches!(op, "in" | "not_in") {
            return Err(format!(
                "the comparison `{op}` takes one `value`; use `in` for a list"
            ));
        }
        let mut values = values;
        if ignore_case {
            for v in &mut values {
                v.text = v.text.to_lowercase();
            }
        }
        Ok(Self {
            column: column(headers, name)?,
            op,
            values,
            ignore_case,
            removed: 0,
        })
    }

    fn equals(cell: &str, cell_number: Option<f64>, v: &Operand) -> bool {
        match (cell_number, v.number) {
            (Some(a), Some(b)) => a == b,
            _ => cell == v.text,
        }
    }

    fn keeps(&self, raw: &str) -> bool {
        let trimmed = raw.trim();
        let lowered;
        let cell = if self.ignore_case {
            lowered = trimmed.to_lowercase();
            lowered.as_str()
        } else {
            trimmed
        };
        let number = cells::number(cell);
        let first = self.values.first();
        let order = |v: &Operand| -> Option<Ordering> {
            match v.number {
                Some(b) => number.and_then(|a| a.partial_cmp(&b)),
                None => Some(cell.cmp(v.text.as_str())),
            }
        };
        match (self.op, first) {
            ("empty", _) => cell.is_empty(),
            ("not_empty", _) => !cell.is_empty(),
            ("in", _) => self.values.iter().any(|v| Self::equals(cell, number, v)),
            ("not_in", _) => !self.values.iter().any(|v| Self::equals(cell, number, v)),
            (_, None) => false,
            ("==", Some(v)) => Self::equals(cell, number, v),
            ("!=", Some(v)) => !Self::equals(cell, number, v),
            ("<", Some(v)) => order(v) == Some(Ordering::Less),
            ("<=", Some(v)) => matches!(order(v), Some(Ordering::Less | Ordering::Equal)),
            (">", Some(v)) => order(v) == Some(Ordering::Greater),
            (">=", Some(v)) => matches!(order(v), Some(Ordering::Greater | Ordering::Equal)),
            ("contains", Some(v)) => cell.contains(v.text.as_str()),
            ("starts_with", Some(v)) => cell.starts_with(v.text.as_str()),
            ("ends_with", Some(v)) => cell.ends_with(v.text.as_str()),
            _ => false,
        }
    }
}

impl Stage for Filter {
    fn push(&mut self, row: Row, out: &mut Vec<Row>, _: &mut Report) -> Result<(), Failure> {
        if self.keeps(&row.cells[self.column]) {
            out.push(row);
        } else {
            self.removed += 1;
        }
        Ok(())
    }

    fn summary(&self, into: &mut Map<String, Value>) {
        into.insert("removed".into(), json!(self.removed));
    }
}

struct Select {
    indices: Vec<usize>,
}

impl Stage for Select {
    fn push(&mut self, mut row: Row, out: &mut Vec<Row>, _: &mut Report) -> Result<(), Failure> {
        let cells: Vec<String> = self
            .indices
            .iter()
            .map(|&i| std::mem::take(&mut row.cells[i]))
            .collect();
        row.cells = cells;
        out.push(row);
        Ok(())
    }
}

/// A cell as `sort` orders it: numbers, then texts, then empty cells.
#[derive(PartialEq)]
enum Key {
    Number(f64),
    Text(String),
    Empty,
}

impl Key {
    fn of(cell: &str) -> Self {
        let t = cell.trim();
        if t.is_empty() {
            Self::Empty
        } else if let Some(x) = cells::number(t) {
            Self::Number(x)
        } else {
            Self::Text(t.to_string())
        }
    }
}

/// Orders two keys; empty cells go last whatever the direction.
fn compare(a: &Key, b: &Key, descending: bool) -> Ordering {
    let order = match (a, b) {
        (Key::Empty, Key::Empty) => return Ordering::Equal,
        (Key::Empty, _) => return Ordering::Greater,
        (_, Key::Empty) => return Ordering::Less,
        (Key::Number(x), Key::Number(y)) => x.total_cmp(y),
        (Key::Number(_), Key::Text(_)) => Ordering::Less,
        (Key::Text(_), Key::Number(_)) => Ordering::Greater,
        (Key::Text(x), Key::Text(y)) => x.cmp(y),
    };
    if descending {
        order.reverse()
    } else {
        order
    }
}

struct Sort {
    keys: Vec<usize>,
    descending: bool,
    rows: Vec<(Vec<Key>, Row)>,
}

impl Stage for Sort {
    fn push(&mut self, row: Row, _: &mut Vec<Row>, _: &mut Report) -> Result<(), Failure> {
        let keys = self.keys.iter().map(|&i| Key::of(&row.cells[i])).collect();
        self.rows.push((keys, row));
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<Row>) -> Result<(), Failure> {
        let descending = self.descending;
        self.rows.sort_by(|(a, _), (b, _)| {
            a.iter()
                .zip(b)
                .map(|(x, y)| compare(x, y, descending))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        });
        out.extend(
            std::mem::take(&mut self.rows)
                .into_iter()
                .map(|(_, row)| row),
        );
        Ok(())
    }
}

struct Dedupe {
    keys: Option<Vec<usize>>,
    seen: HashSet<Vec<String>>,
    duplicates: u64,
}

impl Stage for Dedupe {
    fn push(&mut self, row: Row, out: &mut Vec<Row>, _: &mut Report) -> Result<(), Failure> {
        let key = match &self.keys {
            Some(keys) => keys.iter().map(|&i| row.cells[i].clone()).collect(),
            None => row.cells.clone(),
        };
        if self.seen.insert(key) {
            out.push(row);
        } else {
            self.duplicates += 1;
        }
        Ok(())
    }

    fn summary(&self, into: &mut Map<String, Value>) {
        into.insert("duplicates".into(), json!(self.duplicates));
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Function {
    Sum,
    Mean,
    Min,
    Max,
    Count,
}

impl Function {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "sum" => Self::Sum,
            "mean" => Self::Mean,
            "min" => Self::Min,
            "max" => Self::Max,
            "count" => Self::Count,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Sum => "sum",
            Self::Mean => "mean",
            Self::Min => "min",
            Self::Max => "max",
            Self::Count => "count",
        }
    }
}

struct Metric {
    column: usize,
    name: String,
    functions: Vec<Function>,
    numeric: bool,
}

#[derive(Clone)]
struct Acc {
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
}

struct Group {
    key: Vec<String>,
    rows: u64,
    accs: Vec<Acc>,
}

struct Aggregate {
    group_by: Vec<usize>,
    metrics: Vec<Metric>,
    groups: Vec<Group>,
    index: HashMap<Vec<String>, usize>,
    emitted: usize,
}

impl Aggregate {
    fn build(call: &CsvOpCall, headers: &[String]) -> Result<(Self, Vec<String>), String> {
        let group_names = columns_arg(call, "group_by")?.unwrap_or_default();
        let group_by = group_names
            .iter()
            .map(|n| column(headers, n))
            .collect::<Result<Vec<_>, _>>()?;
        let mut metrics = Vec::new();
        if let Some(map) = call.arg("metrics") {
            let Value::Object(map) = map else {
                return Err("`metrics` must map columns to functions".into());
            };
            for (name, fns) in map {
                let list: Vec<&Value> = match fns {
                    Value::Array(items) => items.iter().collect(),
                    one => vec![one],
                };
                let functions = list
                    .into_iter()
                    .map(|f| {
                        f.as_str().and_then(Function::parse).ok_or_else(|| {
                            format!("`metrics`: `{name}` has {f}, not one of sum, mean, min, max, count")
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let numeric = functions.iter().any(|f| *f != Function::Count);
                metrics.push(Metric {
                    column: column(headers, name)?,
                    name: name.clone(),
                    functions,
                    numeric,
                });
            }
        }
        let mut columns = group_names;
        columns.push("count".into());
        for m in &metrics {
            for f in &m.functions {
                columns.push(format!("{}_{}", m.name, f.name()));
            }
        }
        let stage = Self {
            group_by,
            metrics,
            groups: Vec::new(),
            index: HashMap::new(),
            emitted: 0,
        };
        Ok((stage, columns))
    }
}

impl Stage for Aggregate {
    fn push(&mut self, row: Row, _: &mut Vec<Row>, _: &mut Report) -> Result<(), Failure> {
        let key: Vec<String> = self
            .group_by
            .iter()
            .map(|&i| row.cells[i].clone())
            .collect();
        let at = match self.index.get(&key) {
            Some(&at) => at,
            None => {
                let empty = Acc {
                    count: 0,
                    sum: 0.0,
                    min: f64::INFINITY,
                    max: f64::NEG_INFINITY,
                };
                self.groups.push(Group {
                    key: key.clone(),
                    rows: 0,
                    accs: vec![empty; self.metrics.len()],
                });
                self.index.insert(key, self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        let group = &mut self.groups[at];
        group.rows += 1;
        for (m, acc) in self.metrics.iter().zip(&mut group.accs) {
            let cell = row.cells[m.column].trim();
            if cell.is_empty() {
                continue;
            }
            acc.count += 1;
            if !m.numeric {
                continue;
            }
            let Some(x) = cells::number(cell) else {
                return Err(Failure::new(format!(
                    "row {} (line {}), column `{}`: `{cell}` is not a number; make it one first (`normalize` with `numbers: true` reads `1,234.50`), or leave such rows out with `filter`",
                    row.n, row.line, m.name
                )));
            };
            acc.sum += x;
            acc.min = acc.min.min(x);
            acc.max = acc.max.max(x);
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<Row>) -> Result<(), Failure> {
        for (i, group) in std::mem::take(&mut self.groups).into_iter().enumerate() {
            let mut cells_out = group.key;
            cells_out.push(group.rows.to_string());
            for (m, acc) in self.metrics.iter().zip(&group.accs) {
                for f in &m.functions {
                    let some = acc.count > 0;
                    cells_out.push(match f {
                        Function::Count => acc.count.to_string(),
                        Function::Sum => cells::format_number(acc.sum),
                        Function::Mean if some => cells::format_number(acc.sum / acc.count as f64),
                        Function::Min if some => cells::format_number(acc.min),
                        Function::Max if some => cells::format_number(acc.max),
                        _ => String::new(),
                    });
                }
            }
            out.push(Row {
                n: i as u64 + 1,
                line: 0,
                cells: cells_out,
            });
        }
        self.emitted = self.index.len();
        self.index = HashMap::new();
        Ok(())
    }

    fn summary(&self, into: &mut Map<String, Value>) {
        into.insert("groups".into(), json!(self.emitted));
    }
}

const MISSING: &[&str] = &["na", "n/a", "null", "none", "nan", "nil"];

struct Normalize {
    trim: bool,
    missing: Option<HashSet<String>>,
    numbers: bool,
    renamed: Map<String, Value>,
    cells_changed: u64,
}

impl Normalize {
    fn build(call: &CsvOpCall, headers: &[String]) -> Result<(Self, Vec<String>), String> {
        let trim = bool_arg(call, "trim", true)?;
        let missing = if bool_arg(call, "missing", true)? {
            let words: HashSet<String> = match call.arg("missing_values") {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => s.trim().to_lowercase(),
                        other => other.to_string(),
                    })
                    .collect(),
                Some(_) => return Err("`missing_values` must be a list of texts".into()),
                None => MISSING.iter().map(|s| s.to_string()).collect(),
            };
            Some(words)
        } else {
            None
        };
        let mut columns: Vec<String> = headers
            .iter()
            .map(|h| {
                if trim {
                    h.trim().to_string()
                } else {
                    h.clone()
                }
            })
            .collect();
        if bool_arg(call, "headers", true)? {
            let mut taken = HashSet::new();
            for (i, name) in columns.iter_mut().enumerate() {
                let mut snake = cells::snake_case(name);
                if snake.is_empty() {
                    snake = format!("column_{}", i + 1);
                }
                let mut unique = snake.clone();
                let mut k = 2;
                while !taken.insert(unique.clone()) {
                    unique = format!("{snake}_{k}");
                    k += 1;
                }
                *name = unique;
            }
        }
        let renamed = headers
            .iter()
            .zip(&columns)
            .filter(|(old, new)| old != new)
            .map(|(old, new)| (old.clone(), json!(new)))
            .collect();
        let stage = Self {
            trim,
            missing,
            numbers: bool_arg(call, "numbers", false)?,
            renamed,
            cells_changed: 0,
        };
        Ok((stage, columns))
    }

    fn tidy(&self, cell: &str) -> Option<String> {
        let mut text = if self.trim { cell.trim() } else { cell };
        if let Some(words) = &self.missing {
            if !text.is_empty() && words.contains(&text.trim().to_lowercase()) {
                text = "";
            }
        }
        if self.numbers {
            if let Some(plain) = cells::plain_number(text) {
                return Some(plain);
            }
        }
        (text.len() != cell.len()).then(|| text.to_string())
    }
}

impl Stage for Normalize {
    fn push(&mut self, mut row: Row, out: &mut Vec<Row>, _: &mut Report) -> Result<(), Failure> {
        for cell in &mut row.cells {
            if let Some(new) = self.tidy(cell) {
                if new != *cell {
                    self.cells_changed += 1;
                    *cell = new;
                }
            }
        }
        out.push(row);
        Ok(())
    }

    fn summary(&self, into: &mut Map<String, Value>) {
        into.insert("renamed".into(), Value::Object(self.renamed.clone()));
        into.insert("cells_changed".into(), json!(self.cells_changed));
    }
}
