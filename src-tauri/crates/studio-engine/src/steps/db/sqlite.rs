//! SQLite for the database steps: opening a workspace file (read-only when asked), confined to
//! that one file, binding JSON values, reading values as JSON, and wording errors with the line
//! and column SQLite points at.
//!
//! A query reaches only its own database: `ATTACH` (and `VACUUM INTO`, which attaches its
//! target) of any file is refused by an authorizer, and extensions cannot be loaded.

use super::target::{excerpt, locate, Target};
use crate::steps::{Failure, StepCtx};
use base64::Engine as _;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags, Statement};
use serde_json::{json, Value};
use std::time::Duration;

/// How long a statement waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens the target's database (read-only: the file must exist and nothing can be written).
pub(crate) fn open(target: &Target, read_only: bool) -> Result<Connection, Failure> {
    let conn = match target {
        Target::SqliteMemory => Connection::open_in_memory(),
        Target::Sqlite { host, .. } => {
            let flags = if read_only {
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
            } else {
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
            };
            Connection::open_with_flags(host, flags)
        }
        Target::Postgres { .. } => {
            return Err(Failure::new("internal: not a SQLite database"));
        }
    }
    .map_err(|e| {
        Failure::new(format!(
            "cannot open the SQLite database `{}`: {e}",
            target.shown()
        ))
    })?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .and_then(|()| conn.authorizer(Some(only_this_file)))
        .map_err(|e| Failure::new(format!("cannot set up the SQLite database: {e}")))?;
    if read_only {
        conn.pragma_update(None, "query_only", true)
            .map_err(|e| Failure::new(format!("cannot set up the SQLite database: {e}")))?;
    }
    Ok(conn)
}

/// Refuses `ATTACH` of any file, literal or bound (the literal empty name is SQLite's own
/// temporary database, which plain `VACUUM` uses).
fn only_this_file(ctx: AuthContext<'_>) -> Authorization {
    match ctx.action {
        AuthAction::Attach { filename: "" } => Authorization::Allow,
        AuthAction::Attach { .. } => Authorization::Deny,
        AuthAction::Unknown { code, .. } if code == rusqlite::ffi::SQLITE_ATTACH => {
            Authorization::Deny
        }
        _ => Authorization::Allow,
    }
}

/// Runs `work` on the blocking pool; a cancelled step interrupts the statement running.
pub(crate) async fn blocking<T, F>(conn: Connection, ctx: &StepCtx, work: F) -> Result<T, Failure>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, Failure> + Send + 'static,
{
    let interrupt = conn.get_interrupt_handle();
    let mut conn = conn;
    let mut task = tokio::task::spawn_blocking(move || work(&mut conn));
    tokio::select! {
        joined = &mut task => joined.map_err(|e| Failure::new(format!("the database work stopped: {e}")))?,
        _ = ctx.cancel.cancelled() => {
            interrupt.interrupt();
            let _ = task.await;
            Err(Failure::interrupted())
        }
    }
}

/// A SQLite error, worded: the database's message, and for an error in the text its line and
/// column with the line shown. `sql` is the text given to SQLite; `origin` names it
/// ("the query", "`migrations/002_x.sql`").
pub(crate) fn failure(e: &rusqlite::Error, sql: &str, origin: &str) -> Failure {
    match e {
        rusqlite::Error::SqlInputError {
            msg,
            sql: part,
            offset,
            ..
        } => {
            // `part` is the statement SQLite was given: the whole text, or its tail in a script.
            let base = sql.len().saturating_sub(part.len());
            let byte = base + usize::try_from(*offset).unwrap_or(0);
            let index = sql[..byte.min(sql.len())].chars().count();
            let (line, column, text) = locate(sql, index);
            Failure::new(format!(
                "SQLite: {msg} in {origin} at line {line}, column {column}:\n{}",
                excerpt(text, column)
            ))
            .with_output(json!({"message": msg, "line": line, "column": column}))
        }
        rusqlite::Error::MultipleStatement => Failure::new(format!(
            "{origin} holds more than one statement; set `multiple_statements: true` to run it as a script (no `parameters`, no rows returned), or run one statement per step"
        )),
        rusqlite::Error::SqliteFailure(err, msg) => {
            let text = msg.clone().unwrap_or_else(|| err.to_string());
            let hint = if text == "not authorized" || text == "authorization denied" {
                ": ATTACH and VACUUM INTO are refused (a step reaches only its own database file)"
            } else if err.code == rusqlite::ErrorCode::ReadOnly
                || text.contains("attempt to write a readonly database")
            {
                " (the step runs with `read_only: true`)"
            } else {
                ""
            };
            Failure::new(format!("SQLite: {text}{hint} ({origin})"))
                .with_output(json!({"message": text}))
        }
        other => Failure::new(format!("SQLite: {other} ({origin})")),
    }
}

/// Binds `parameters` (a list for `?`/`?N`, a mapping for `:name`/`@name`/`$name`) to `stmt`,
/// refusing a count or a name that does not match its placeholders.
pub(crate) fn bind(stmt: &mut Statement<'_>, parameters: &Value) -> Result<(), Failure> {
    let expected = stmt.parameter_count();
    match parameters {
        Value::Null => {
            if expected > 0 {
                return Err(Failure::new(format!(
                    "the query has {expected} placeholder(s) but no `parameters`; give their values as a list"
                )));
            }
        }
        Value::Array(values) => {
            if values.len() != expected {
                return Err(Failure::new(format!(
                    "the query has {expected} placeholder(s) but `parameters` holds {} value(s)",
                    values.len()
                )));
            }
            for (i, v) in values.iter().enumerate() {
                stmt.raw_bind_parameter(i + 1, to_sql(v))
                    .map_err(|e| Failure::new(format!("cannot bind parameter {}: {e}", i + 1)))?;
            }
        }
        Value::Object(map) => {
            let mut bound = 0;
            for (name, v) in map {
                let index = if name.starts_with([':', '@', '$']) {
                    stmt.parameter_index(name).ok().flatten()
                } else {
                    [':', '@', '$']
                        .iter()
                        .find_map(|p| stmt.parameter_index(&format!("{p}{name}")).ok().flatten())
                };
                let Some(index) = index else {
                    return Err(Failure::new(format!(
                        "`parameters` names `{name}`, which is not a placeholder of the query (write `:{name}` in it)"
                    )));
                };
                stmt.raw_bind_parameter(index, to_sql(v))
                    .map_err(|e| Failure::new(format!("cannot bind `{name}`: {e}")))?;
                bound += 1;
            }
            if bound < expected {
                return Err(Failure::new(format!(
                    "the query has {expected} placeholder(s) but `parameters` names {bound}"
                )));
            }
        }
        other => {
            return Err(Failure::new(format!(
                "`parameters` must be a list (or, for SQLite, a mapping of names), not {}",
                crate::vars::kind_of(other)
            )))
        }
    }
    Ok(())
}

/// A JSON value as a SQLite value: null, integers, reals, text; booleans as 1/0; lists and
/// mappings as their JSON text.
fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// A SQLite value as JSON: blobs as base64, non-finite reals by name.
pub(crate) fn to_json(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => json!(i),
        ValueRef::Real(f) if f.is_finite() => json!(f),
        ValueRef::Real(f) if f.is_nan() => json!("NaN"),
        ValueRef::Real(f) => json!(if f > 0.0 { "Infinity" } else { "-Infinity" }),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
    }
}

/// The storage class of a value, as a column type when none is declared.
pub(crate) fn storage_class(v: ValueRef<'_>) -> Option<&'static str> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(_) => Some("INTEGER"),
        ValueRef::Real(_) => Some("REAL"),
        ValueRef::Text(_) => Some("TEXT"),
        ValueRef::Blob(_) => Some("BLOB"),
    }
}
