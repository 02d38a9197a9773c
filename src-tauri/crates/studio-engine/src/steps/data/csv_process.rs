//! `csv_process`: reads a CSV table (the `csv` crate), runs operations on its rows in order and
//! writes the result.
//!
//! Parameters: `input_file` (also `path`, `file`: a workspace file) or `content` (the text);
//! `delimiter` (one character, default `,`; `\t` or `tab`); `has_headers` (default true: the
//! first row names the columns; false: columns `column_1`, `column_2`, …); `operation` (one) or
//! `operations` (a list, applied in order): each a name or `{name: {arguments}}`, read and
//! checked by `studio_core::step_params::csv_ops`, the same code validation uses;
//! `output_file` (also `output`): the result, written to a temporary file beside it and renamed
//! when the step succeeds, so a failed step leaves no partial file; `output_delimiter`;
//! `preview_rows` (default 10, at most 1000).
//!
//! Rows stream from the reader through the operations in batches; `sort` and `aggregate` hold
//! their rows (or groups) until the input ends, `dedupe`, `statistics` and `validate`'s `unique`
//! keep what they have seen. A row whose field count differs from the header's never reaches
//! the operations: it is reported (row, line) and the step fails, unless a `validate` is in the
//! list, which then owns the verdict (`fail_on_invalid`).
//!
//! Output: `{rows_in, rows_out, columns, operations: [{operation, rows_in, rows_out, …}],
//! statistics, validation, output_file, preview}` (see `studio-core`'s parameter table).

mod cells;
mod ops;
mod stats;
mod validate;

use crate::steps::params::{opt_bool, opt_str, opt_u64, str_param_any};
use crate::steps::workspace::{check, display, io_failure, refuse_escaping_link, with_dir};
use crate::steps::{Failure, StepCtx, StepOutput};
use cap_std::fs::Dir;
use serde_json::{json, Map, Value};
use std::io::Read;
use std::path::PathBuf;
use studio_core::step_params::csv_ops::{csv_operations, CsvOpCall};
use tokio_util::sync::CancellationToken;
use validate::Report;

/// Rows read before they go through the operations together.
const BATCH: usize = 1024;
const DEFAULT_PREVIEW: u64 = 10;
const MAX_PREVIEW: u64 = 1000;

/// One data row: its number among the input's data rows (from 1), the file line where it
/// starts, and its cells.
struct Row {
    pub n: u64,
    pub line: u64,
    pub cells: Vec<String>,
}

/// One operation at work. `push` takes a row and passes on what it keeps; `finish` passes on
/// what it held back until the input ended.
trait Stage {
    fn push(&mut self, row: Row, out: &mut Vec<Row>, report: &mut Report) -> Result<(), Failure>;

    fn finish(&mut self, _out: &mut Vec<Row>) -> Result<(), Failure> {
        Ok(())
    }

    /// What the operation did, added to its summary.
    fn summary(&self, _into: &mut Map<String, Value>) {}

    /// The figures of a `statistics` operation.
    fn statistics(&self) -> Option<Value> {
        None
    }
}

enum Input {
    File { raw: String, path: PathBuf },
    Text(String),
}

struct OutputFile {
    path: PathBuf,
    delimiter: u8,
}

struct Job {
    input: Input,
    delimiter: u8,
    has_headers: bool,
    calls: Vec<(String, CsvOpCall)>,
    output: Option<OutputFile>,
    preview_rows: usize,
}

fn given(p: &Value, names: &[&str]) -> bool {
    names
        .iter()
        .any(|n| p.get(*n).is_some_and(|v| !v.is_null()))
}

/// A delimiter parameter as one byte.
fn delimiter(p: &Value, name: &str) -> Result<Option<u8>, Failure> {
    let Some(raw) = opt_str(p, name)? else {
        return Ok(None);
    };
    match raw {
        "\t" | "\\t" | "tab" => Ok(Some(b'\t')),
        s if s.len() == 1 && s.is_ascii() && s != "\"" && s != "\n" && s != "\r" => {
            Ok(Some(s.as_bytes()[0]))
        }
        other => Err(Failure::new(format!(
            "parameter `{name}` must be one character such as `,`, `;`, `|` or `\\t`, not `{other}`"
        ))),
    }
}

impl Job {
    fn from_params(p: &Value) -> Result<Self, Failure> {
        let input = if given(p, &["input_file", "path", "file"]) {
            if given(p, &["content"]) {
                return Err(Failure::new(
                    "give the CSV in `input_file` or in `content`, not both",
                ));
            }
            let raw = str_param_any(p, &["input_file", "path", "file"])?;
            Input::File {
                raw: raw.to_string(),
                path: check(raw)?,
            }
        } else if given(p, &["content"]) {
            Input::Text(str_param_any(p, &["content"])?.to_string())
        } else {
            return Err(Failure::new(
                "give the CSV: a workspace file in `input_file`, or the text in `content`",
            ));
        };
        let delim = delimiter(p, "delimiter")?.unwrap_or(b',');
        let output = if given(p, &["output_file", "output"]) {
            let raw = str_param_any(p, &["output_file", "output"])?;
            Some(OutputFile {
                path: check(raw)?,
                delimiter: delimiter(p, "output_delimiter")?.unwrap_or(delim),
            })
        } else {
            None
        };
        if given(p, &["operation"]) && given(p, &["operations"]) {
            return Err(Failure::new(
                "give one operation in `operation` or a list in `operations`, not both",
            ));
        }
        let calls = csv_operations(p).map_err(|problems| {
            let text: Vec<String> = problems
                .iter()
                .map(|pr| format!("`{}`: {}; {}", pr.path_text(), pr.message, pr.help))
                .collect();
            Failure::new(text.join("\n"))
        })?;
        let labels: Vec<String> = if given(p, &["operation"]) {
            vec!["operation".to_string()]
        } else if p.get("operations").is_some_and(Value::is_array) {
            (0..calls.len())
                .map(|i| format!("operations[{i}]"))
                .collect()
        } else {
            vec!["operations".to_string()]
        };
        Ok(Self {
            input,
            delimiter: delim,
            has_headers: opt_bool(p, "has_headers")?.unwrap_or(true),
            calls: labels.into_iter().zip(calls).collect(),
            output,
            preview_rows: usize::try_from(
                opt_u64(p, "preview_rows")?
                    .unwrap_or(DEFAULT_PREVIEW)
                    .min(MAX_PREVIEW),
            )
            .unwrap_or(10),
        })
    }

    fn origin(&self) -> String {
        match &self.input {
            Input::File { raw, .. } => format!("`{raw}`"),
            Input::Text(_) => "`content`".to_string(),
        }
    }

    fn open(&mut self, dir: &Dir) -> Result<Box<dyn Read>, Failure> {
        match &mut self.input {
            Input::Text(text) => Ok(Box::new(std::io::Cursor::new(std::mem::take(text)))),
            Input::File { path, .. } => {
                refuse_escaping_link(dir, path)?;
                let meta = dir
                    .metadata(&*path)
                    .map_err(|e| io_failure("read", path, e))?;
                if meta.is_dir() {
                    return Err(Failure::new(format!(
                        "`{}` is a folder, not a CSV file",
                        path.display()
                    )));
                }
                let file = dir.open(&*path).map_err(|e| io_failure("read", path, e))?;
                Ok(Box::new(file))
            }
        }
    }
}

/// Reads the next record; false at the end.
fn next(
    reader: &mut csv::Reader<Box<dyn Read>>,
    record: &mut csv::StringRecord,
    origin: &str,
) -> Result<bool, Failure> {
    reader.read_record(record).map_err(|e| {
        let line = e.position().map_or(0, csv::Position::line);
        match e.kind() {
            csv::ErrorKind::Utf8 { .. } => Failure::new(format!(
                "{origin}, line {line}: the text is not UTF-8; save the file as UTF-8"
            )),
            csv::ErrorKind::Io(io) => Failure::new(format!("cannot read {origin}: {io}")),
            _ => Failure::new(format!("{origin}, line {line}: {e}")),
        }
    })
}

fn line_of(record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, csv::Position::line)
}

/// Where the resulting rows go: counted, the first ones previewed, all written when asked.
struct Sink {
    columns: Vec<String>,
    rows: u64,
    preview: Vec<Value>,
    preview_rows: usize,
    writer: Option<csv::Writer<cap_std::fs::File>>,
}

impl Sink {
    fn take(&mut self, rows: Vec<Row>) -> Result<(), Failure> {
        for row in rows {
            self.rows += 1;
            if self.preview.len() < self.preview_rows {
                let object: Map<String, Value> = self
                    .columns
                    .iter()
                    .zip(&row.cells)
                    .map(|(c, v)| (c.clone(), Value::String(v.clone())))
                    .collect();
                self.preview.push(Value::Object(object));
            }
            if let Some(w) = &mut self.writer {
                w.write_record(&row.cells)
                    .map_err(|e| Failure::new(format!("cannot write the output file: {e}")))?;
            }
        }
        Ok(())
    }
}

struct Slot {
    label: String,
    name: &'static str,
    stage: Box<dyn Stage>,
    rows_in: u64,
    rows_out: u64,
}

impl Slot {
    /// Names the operation in a failure it caused.
    fn locate(&self, mut f: Failure) -> Failure {
        if f.kind == crate::steps::FailureKind::Error {
            f.message = format!("{} (`{}`): {}", self.label, self.name, f.message);
        }
        f
    }
}

/// Runs `rows` through the operations from `start` on, then into the sink.
fn feed(
    slots: &mut [Slot],
    start: usize,
    mut rows: Vec<Row>,
    report: &mut Report,
    sink: &mut Sink,
) -> Result<(), Failure> {
    for slot in &mut slots[start..] {
        if rows.is_empty() {
            return Ok(());
        }
        slot.rows_in += rows.len() as u64;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            slot.stage
                .push(row, &mut out, report)
                .map_err(|f| slot.locate(f))?;
        }
        slot.rows_out += out.len() as u64;
        rows = out;
    }
    sink.take(rows)
}

/// A temporary file beside `path`, renamed onto it when the step succeeds.
fn temporary(dir: &Dir, path: &std::path::Path) -> Result<(PathBuf, cap_std::fs::File), Failure> {
    refuse_escaping_link(dir, path)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        dir.create_dir_all(parent)
            .map_err(|e| io_failure("create the folder", parent, e))?;
    }
    if dir.metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(Failure::new(format!(
            "`{}` is a folder; name a file for `output_file`",
            path.display()
        )));
    }
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let temp = path.with_file_name(format!(".{name}.{}.partial", uuid::Uuid::new_v4()));
    let file = dir
        .create(&temp)
        .map_err(|e| io_failure("write", path, e))?;
    Ok((temp, file))
}

impl Job {
    fn run(mut self, dir: &Dir, cancel: &CancellationToken) -> Result<Value, Failure> {
        let origin = self.origin();
        let source = self.open(dir)?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(source);
        let mut record = csv::StringRecord::new();
        let mut first = None;
        let headers: Vec<String> = if self.has_headers {
            if !next(&mut reader, &mut record, &origin)? {
                return Err(Failure::new(format!(
                    "{origin} is empty: its first row must name the columns (or set `has_headers: false`)"
                )));
            }
            let mut h: Vec<String> = record.iter().map(str::to_string).collect();
            if let Some(name) = h.first_mut() {
                if let Some(rest) = name.strip_prefix('\u{feff}') {
                    *name = rest.to_string();
                }
            }
            h
        } else if next(&mut reader, &mut record, &origin)? {
            first = Some(Row {
                n: 1,
                line: line_of(&record),
                cells: record.iter().map(str::to_string).collect(),
            });
            (1..=record.len()).map(|i| format!("column_{i}")).collect()
        } else {
            Vec::new()
        };
        let width = headers.len();

        let mut report = Report::new();
        let mut columns = headers;
        let mut slots = Vec::with_capacity(self.calls.len());
        for (label, call) in std::mem::take(&mut self.calls) {
            let (stage, next_columns) = ops::build(&call, &columns, &mut report)
                .map_err(|m| Failure::new(format!("{label} (`{}`): {m}", call.name())))?;
            slots.push(Slot {
                label,
                name: call.name(),
                stage,
                rows_in: 0,
                rows_out: 0,
            });
            columns = next_columns;
        }

        let mut temp = None;
        let mut sink = Sink {
            columns,
            rows: 0,
            preview: Vec::new(),
            preview_rows: self.preview_rows,
            writer: None,
        };
        if let Some(out) = &self.output {
            let (path, file) = temporary(dir, &out.path)?;
            temp = Some(path);
            sink.writer = Some(
                csv::WriterBuilder::new()
                    .delimiter(out.delimiter)
                    .terminator(csv::Terminator::Any(b'\n'))
                    .from_writer(file),
            );
        }
        let ran = (|| {
            if let (Some(w), true) = (&mut sink.writer, self.has_headers) {
                w.write_record(&sink.columns)
                    .map_err(|e| Failure::new(format!("cannot write the output file: {e}")))?;
            }
            let mut rows_in = 0u64;
            let mut batch = Vec::with_capacity(BATCH);
            if let Some(row) = first.take() {
                rows_in = 1;
                batch.push(row);
            }
            while next(&mut reader, &mut record, &origin)? {
                rows_in += 1;
                if rows_in.is_multiple_of(BATCH as u64) && cancel.is_cancelled() {
                    return Err(Failure::interrupted());
                }
                let line = line_of(&record);
                if record.len() != width {
                    report.malformed(rows_in, line, record.len(), width);
                    continue;
                }
                batch.push(Row {
                    n: rows_in,
                    line,
                    cells: record.iter().map(str::to_string).collect(),
                });
                if batch.len() >= BATCH {
                    feed(
                        &mut slots,
                        0,
                        std::mem::take(&mut batch),
                        &mut report,
                        &mut sink,
                    )?;
                }
            }
            feed(&mut slots, 0, batch, &mut report, &mut sink)?;
            for i in 0..slots.len() {
                let mut held = Vec::new();
                slots[i]
                    .stage
                    .finish(&mut held)
                    .map_err(|f| slots[i].locate(f))?;
                slots[i].rows_out += held.len() as u64;
                feed(&mut slots, i + 1, held, &mut report, &mut sink)?;
            }
            if let Some(w) = sink.writer.take() {
                w.into_inner()
                    .map_err(|e| Failure::new(format!("cannot write the output file: {e}")))?;
            }
            Ok(rows_in)
        })();
        let finished = ran.and_then(|rows_in| {
            let value = self.summary(rows_in, &slots, &report, &sink);
            match report.verdict(&origin) {
                Some(message) => Err(Failure::new(message).with_output(value)),
                None => Ok(value),
            }
        });
        match (finished, temp) {
            (Ok(mut value), Some(temp)) => {
                let out = self.output.as_ref().expect("an output file");
                if let Err(e) = dir.rename(&temp, dir, &out.path) {
                    let _ = dir.remove_file(&temp);
                    return Err(io_failure("write", &out.path, e));
                }
                value["output_file"] = json!(display(&out.path));
                Ok(value)
            }
            (Ok(value), None) => Ok(value),
            (Err(e), temp) => {
                if let Some(temp) = temp {
                    let _ = dir.remove_file(&temp);
                }
                Err(e)
            }
        }
    }

    fn summary(&self, rows_in: u64, slots: &[Slot], report: &Report, sink: &Sink) -> Value {
        let operations: Vec<Value> = slots
            .iter()
            .map(|s| {
                let mut m = Map::new();
                m.insert("operation".into(), json!(s.name));
                m.insert("rows_in".into(), json!(s.rows_in));
                m.insert("rows_out".into(), json!(s.rows_out));
                s.stage.summary(&mut m);
                Value::Object(m)
            })
            .collect();
        let statistics = slots
            .iter()
            .rev()
            .find_map(|s| s.stage.statistics())
            .unwrap_or(Value::Null);
        json!({
            "rows_in": rows_in,
            "rows_out": sink.rows,
            "columns": sink.columns,
            "operations": operations,
            "statistics": statistics,
            "validation": report.to_json(),
            "output_file": null,
            "preview": sink.preview,
        })
    }
}

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let job = Job::from_params(&p)?;
    let artifact = job.output.as_ref().map(|o| display(&o.path));
    let cancel = ctx.cancel.clone();
    let value = with_dir(ctx, move |dir| job.run(dir, &cancel)).await?;
    let mut out = StepOutput::new(value);
    if let Some(path) = artifact {
        out = out.with_artifact(path);
    }
    Ok(out)
}
