//! `sql_query`: runs one SQL statement on SQLite (a workspace file) or PostgreSQL.
//!
//! Parameters: `connection` (alias `database_url`; see `target.rs` for what it may name),
//! `query` (alias `sql`), `parameters` (alias `params`: always bound to the placeholders, never
//! spliced into the text), `read_only`, `max_rows` (default 1000), `output_file` with
//! `output_format` (json or csv), `multiple_statements`.
//!
//! Output: `{columns: [{name, type}], rows: [{<column>: value}], row_count, truncated,
//! rows_affected, output_file}`. A column name that repeats gets `_2`, `_3`… so that every value
//! keeps its own key. `rows_affected` is the count of rows a statement without result columns
//! changed, and null for a statement that returns rows.
//!
//! - `read_only: true`: PostgreSQL runs the statement in a `READ ONLY` transaction; SQLite opens
//!   the file read-only (it must exist) with `query_only` on. Any write fails.
//! - One statement per step: a second one is refused (SQLite) or rejected by the server
//!   (PostgreSQL), unless `multiple_statements: true`, which runs the whole script in one
//!   transaction without parameters and returns no rows.
//! - A bad statement fails with the database's message and, when it names one, the position as
//!   line and column with the line shown; the failure's output holds `{message, line, column}`
//!   (and PostgreSQL's SQLSTATE as `code`).

use super::target::{mask_url, resolve_sql, workspace_file, Target};
use super::{pg, sqlite};
use crate::steps::params::{opt_bool, opt_str, opt_u64, str_param_any};
use crate::steps::workspace::with_dir;
use crate::steps::{Failure, StepCtx, StepOutput};
use futures_util::{pin_mut, TryStreamExt};
use serde_json::{json, Map, Value};

const DEFAULT_MAX_ROWS: u64 = 1000;

/// What the statement gave back.
#[derive(Debug, Default)]
struct Answer {
    /// (name, type) of each result column.
    columns: Vec<(String, Option<String>)>,
    rows: Vec<Vec<Value>>,
    truncated: bool,
    rows_affected: Option<u64>,
}

struct Query {
    sql: String,
    parameters: Value,
    read_only: bool,
    max_rows: usize,
    multiple: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let connection = str_param_any(&p, &["connection", "database_url"])?.to_string();
    let query = Query {
        sql: str_param_any(&p, &["query", "sql"])?.to_string(),
        parameters: ["parameters", "params"]
            .iter()
            .find_map(|k| p.get(*k).filter(|v| !v.is_null()).cloned())
            .unwrap_or(Value::Null),
        read_only: opt_bool(&p, "read_only")?.unwrap_or(false),
        max_rows: usize::try_from(opt_u64(&p, "max_rows")?.unwrap_or(DEFAULT_MAX_ROWS).max(1))
            .unwrap_or(usize::MAX),
        multiple: opt_bool(&p, "multiple_statements")?.unwrap_or(false),
    };
    if query.sql.trim().is_empty() {
        return Err(Failure::new(
            "`query` is empty; write the SQL statement to run",
        ));
    }
    if query.multiple && !query.parameters.is_null() {
        return Err(Failure::new(
            "`multiple_statements: true` runs a script without `parameters`; run a statement with parameters in a step of its own",
        ));
    }
    let file = opt_str(&p, "output_file")?;
    let format = match (opt_str(&p, "output_format")?, file) {
        (Some("csv"), _) => Format::Csv,
        (Some(_), _) => Format::Json,
        (None, Some(f)) if f.to_ascii_lowercase().ends_with(".csv") => Format::Csv,
        (None, _) => Format::Json,
    };
    if format == Format::Csv && file.is_none() {
        return Err(Failure::new(
            "`output_format: csv` writes a file: add `output_file` (a path inside the workspace)",
        ));
    }
    // The output file's place is checked before anything runs.
    let file = match file {
        Some(f) => Some(workspace_file(f, ctx, true).await?.0),
        None => None,
    };

    let target = resolve_sql(&connection, ctx, query.read_only).await?;
    let answer = match &target {
        Target::Postgres { url } => run_pg(url, &query, ctx).await?,
        _ => {
            let conn = sqlite::open(&target, query.read_only)?;
            sqlite::blocking(conn, ctx, move |conn| run_sqlite(conn, &query)).await?
        }
    };

    let (columns, rows) = shape(answer.columns, answer.rows);
    if let Some(rel) = &file {
        let bytes = match format {
            Format::Json => serde_json::to_vec_pretty(&rows)
                .map_err(|e| Failure::new(format!("cannot write the rows as JSON: {e}")))?,
            Format::Csv => to_csv(&columns, &rows)?,
        };
        let path = rel.clone();
        with_dir(ctx, move |dir| {
            dir.write(&path, bytes)
                .map_err(|e| crate::steps::workspace::io_failure("write", path.as_ref(), e))
        })
        .await?;
    }
    let value = json!({
        "columns": columns.iter().map(|(name, ty)| json!({"name": name, "type": ty})).collect::<Vec<_>>(),
        "row_count": rows.len(),
        "rows": rows,
        "truncated": answer.truncated,
        "rows_affected": answer.rows_affected,
        "output_file": file,
    });
    let mut out = StepOutput::new(value);
    if let Target::Postgres { url } = &target {
        out.links.push(mask_url(url));
    }
    if let Some(rel) = file {
        out = out.with_artifact(rel);
    }
    Ok(out)
}

/// Rows as objects keyed by column name (a repeated name gets `_2`, `_3`…).
fn shape(
    columns: Vec<(String, Option<String>)>,
    rows: Vec<Vec<Value>>,
) -> (Vec<(String, Option<String>)>, Vec<Value>) {
    let mut seen = std::collections::BTreeSet::new();
    let columns: Vec<(String, Option<String>)> = columns
        .into_iter()
        .map(|(name, ty)| {
            let mut key = name.clone();
            let mut n = 1;
            while !seen.insert(key.clone()) {
                n += 1;
                key = format!("{name}_{n}");
            }
            (key, ty)
        })
        .collect();
    let rows = rows
        .into_iter()
        .map(|values| {
            let map: Map<String, Value> = columns
                .iter()
                .map(|(name, _)| name.clone())
                .zip(values)
                .collect();
            Value::Object(map)
        })
        .collect();
    (columns, rows)
}

fn to_csv(columns: &[(String, Option<String>)], rows: &[Value]) -> Result<Vec<u8>, Failure> {
    let fail = |e: csv::Error| Failure::new(format!("cannot write the rows as CSV: {e}"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(columns.iter().map(|(n, _)| n.as_str()))
        .map_err(fail)?;
    for row in rows {
        writer
            .write_record(columns.iter().map(|(name, _)| match &row[name] {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }))
            .map_err(fail)?;
    }
    writer
        .into_inner()
        .map_err(|e| Failure::new(format!("cannot write the rows as CSV: {e}")))
}

fn run_sqlite(conn: &mut rusqlite::Connection, q: &Query) -> Result<Answer, Failure> {
    let origin = "the query";
    if q.multiple {
        let before = conn.total_changes();
        let tx = conn
            .transaction()
            .map_err(|e| sqlite::failure(&e, &q.sql, origin))?;
        tx.execute_batch(&q.sql)
            .map_err(|e| sqlite::failure(&e, &q.sql, origin))?;
        tx.commit()
            .map_err(|e| sqlite::failure(&e, &q.sql, origin))?;
        return Ok(Answer {
            rows_affected: Some(conn.total_changes() - before),
            ..Answer::default()
        });
    }
    let mut stmt = conn
        .prepare(&q.sql)
        .map_err(|e| sqlite::failure(&e, &q.sql, origin))?;
    sqlite::bind(&mut stmt, &q.parameters)?;
    let mut columns: Vec<(String, Option<String>)> = stmt
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), c.decl_type().map(str::to_string)))
        .collect();
    let width = columns.len();
    let mut rows = Vec::new();
    let mut truncated = false;
    {
        let mut cursor = stmt.raw_query();
        while let Some(row) = cursor
            .next()
            .map_err(|e| sqlite::failure(&e, &q.sql, origin))?
        {
            if rows.len() >= q.max_rows {
                truncated = true;
                continue;
            }
            let mut values = Vec::with_capacity(width);
            for (i, column) in columns.iter_mut().enumerate() {
                let v = row
                    .get_ref(i)
                    .map_err(|e| sqlite::failure(&e, &q.sql, origin))?;
                if column.1.is_none() {
                    column.1 = sqlite::storage_class(v).map(str::to_string);
                }
                values.push(sqlite::to_json(v));
            }
            rows.push(values);
        }
    }
    drop(stmt);
    Ok(Answer {
        rows_affected: (width == 0).then(|| conn.changes()),
        columns,
        rows,
        truncated,
    })
}

async fn run_pg(url: &str, q: &Query, ctx: &StepCtx) -> Result<Answer, Failure> {
    let mut pg = pg::connect(url, ctx).await?;
    let token = pg.client.cancel_token();
    let fail = |e: tokio_postgres::Error| pg::failure(&e, &q.sql, "the query", url);
    let work = async {
        let tx = pg
            .client
            .build_transaction()
            .read_only(q.read_only)
            .start()
            .await
            .map_err(fail)?;
        if q.multiple {
            let mut affected = 0;
            for message in tx.simple_query(&q.sql).await.map_err(fail)? {
                if let tokio_postgres::SimpleQueryMessage::CommandComplete(n) = message {
                    affected += n;
                }
            }
            tx.commit().await.map_err(fail)?;
            return Ok(Answer {
                rows_affected: Some(affected),
                ..Answer::default()
            });
        }
        let stmt = tx.prepare(&q.sql).await.map_err(fail)?;
        let values = pg_parameters(&q.parameters, stmt.params())?;
        let columns: Vec<(String, Option<String>)> = stmt
            .columns()
            .iter()
            .map(|c| (c.name().to_string(), Some(c.type_().name().to_string())))
            .collect();
        let stream = tx
            .query_raw(&stmt, values.iter().map(pg_values_param))
            .await
            .map_err(fail)?;
        pin_mut!(stream);
        let mut rows = Vec::new();
        let mut truncated = false;
        while let Some(row) = stream.try_next().await.map_err(fail)? {
            if rows.len() >= q.max_rows {
                truncated = true;
                continue;
            }
            let mut cells = Vec::with_capacity(columns.len());
            for (i, (name, _)) in columns.iter().enumerate() {
                let cell: super::pg_values::Cell = row.try_get(i).map_err(|e| {
                    let why = std::error::Error::source(&e)
                        .map_or_else(|| e.to_string(), ToString::to_string);
                    Failure::new(format!("cannot read column `{name}`: {why}"))
                })?;
                cells.push(cell.0);
            }
            rows.push(cells);
        }
        let rows_affected = if columns.is_empty() {
            stream.rows_affected()
        } else {
            None
        };
        tx.commit().await.map_err(fail)?;
        Ok(Answer {
            columns,
            rows,
            truncated,
            rows_affected,
        })
    };
    pg::cancellable(token, ctx, work).await
}

fn pg_values_param(v: &Value) -> super::pg_values::Param<'_> {
    super::pg_values::Param(v)
}

/// The bound values, checked against the placeholders PostgreSQL found: their number, and that
/// each converts to its placeholder's type (so the message can name the placeholder).
fn pg_parameters(
    parameters: &Value,
    types: &[tokio_postgres::types::Type],
) -> Result<Vec<Value>, Failure> {
    let values =
        match parameters {
            Value::Null => Vec::new(),
            Value::Array(values) => values.clone(),
            Value::Object(_) => return Err(Failure::new(
                "PostgreSQL placeholders are numbered (`$1`, `$2`…): give `parameters` as a list",
            )),
            other => {
                return Err(Failure::new(format!(
                    "`parameters` must be a list, not {}",
                    crate::vars::kind_of(other)
                )))
            }
        };
    if values.len() != types.len() {
        return Err(Failure::new(format!(
            "the query has {} placeholder(s) ($1…) but `parameters` holds {} value(s)",
            types.len(),
            values.len()
        )));
    }
    for (i, (v, ty)) in values.iter().zip(types).enumerate() {
        let mut scratch = bytes::BytesMut::new();
        super::pg_values::encode(v, ty, &mut scratch)
            .map_err(|e| Failure::new(format!("parameter ${}: {e}", i + 1)))?;
    }
    Ok(values)
}
