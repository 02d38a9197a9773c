//! The `statistics` operation: per column, the inferred type, counts and (for numbers) the
//! usual figures. Rows pass through unchanged.

use super::ops::{column, columns_arg};
use super::validate::Report;
use super::{cells, Row, Stage};
use crate::steps::Failure;
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use studio_core::step_params::csv_ops::CsvOpCall;

struct Column {
    index: usize,
    name: String,
    count: u64,
    missing: u64,
    distinct: HashSet<String>,
    /// The values while every non-empty cell is a number (dropped at the first that is not).
    numbers: Vec<f64>,
    all_numbers: bool,
    all_integers: bool,
    all_booleans: bool,
    all_dates: bool,
    all_datetimes: bool,
}

impl Column {
    fn new(index: usize, name: String) -> Self {
        Self {
            index,
            name,
            count: 0,
            missing: 0,
            distinct: HashSet::new(),
            numbers: Vec::new(),
            all_numbers: true,
            all_integers: true,
            all_booleans: true,
            all_dates: true,
            all_datetimes: true,
        }
    }

    fn add(&mut self, cell: &str) {
        let cell = cell.trim();
        if cell.is_empty() {
            self.missing += 1;
            return;
        }
        self.count += 1;
        if !self.distinct.contains(cell) {
            self.distinct.insert(cell.to_string());
        }
        if self.all_numbers {
            match cells::number(cell) {
                Some(x) => self.numbers.push(x),
                None => {
                    self.all_numbers = false;
                    self.numbers = Vec::new();
                }
            }
        }
        self.all_integers &= self.all_numbers && cells::is_integer(cell);
        self.all_booleans &= cells::is_boolean_word(cell);
        self.all_dates &= cells::is_date(cell);
        self.all_datetimes &= cells::is_datetime(cell);
    }

    fn kind(&self) -> &'static str {
        if self.count == 0 {
            "empty"
        } else if self.all_integers {
            "integer"
        } else if self.all_numbers {
            "number"
        } else if self.all_booleans {
            "boolean"
        } else if self.all_dates {
            "date"
        } else if self.all_datetimes {
            "datetime"
        } else {
            "string"
        }
    }

    fn to_json(&self) -> Value {
        let mut figures = json!({
            "type": self.kind(),
            "count": self.count,
            "missing": self.missing,
            "distinct": self.distinct.len(),
            "min": null, "max": null, "mean": null, "median": null, "stddev": null, "sum": null,
        });
        if self.all_numbers && !self.numbers.is_empty() {
            let mut sorted = self.numbers.clone();
            sorted.sort_by(f64::total_cmp);
            let n = sorted.len();
            let sum: f64 = sorted.iter().sum();
            let mean = sum / n as f64;
            let median = if n % 2 == 1 {
                sorted[n / 2]
            } else {
                (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
            };
            let stddev = if n > 1 {
                let squares: f64 = sorted.iter().map(|x| (x - mean).powi(2)).sum();
                (squares / (n - 1) as f64).sqrt()
            } else {
                0.0
            };
            for (key, x) in [
                ("min", sorted[0]),
                ("max", sorted[n - 1]),
                ("mean", mean),
                ("median", median),
                ("stddev", stddev),
                ("sum", sum),
            ] {
                figures[key] = cells::json_number(x);
            }
        }
        figures
    }
}

pub(super) struct Statistics {
    columns: Vec<Column>,
}

impl Statistics {
    pub fn build(call: &CsvOpCall, headers: &[String]) -> Result<Self, String> {
        let columns = match columns_arg(call, "columns")? {
            Some(names) => names
                .into_iter()
                .map(|name| Ok(Column::new(column(headers, &name)?, name)))
                .collect::<Result<_, String>>()?,
            None => headers
                .iter()
                .enumerate()
                .map(|(i, name)| Column::new(i, name.clone()))
                .collect(),
        };
        Ok(Self { columns })
    }
}

impl Stage for Statistics {
    fn push(&mut self, row: Row, out: &mut Vec<Row>, _: &mut Report) -> Result<(), Failure> {
        for c in &mut self.columns {
            c.add(&row.cells[c.index]);
        }
        out.push(row);
        Ok(())
    }

    fn summary(&self, into: &mut Map<String, Value>) {
        into.insert("columns".into(), json!(self.columns.len()));
    }

    fn statistics(&self) -> Option<Value> {
        let map: Map<String, Value> = self
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.to_json()))
            .collect();
        Some(Value::Object(map))
    }
}
