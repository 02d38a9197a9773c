//! `db_backup`: backs a database up into a workspace file.
//!
//! Parameters: `connection` (aliases `database_url`, `source`), `destination` (alias
//! `backup_path`), `format` (`sqlite`, `plain`, `custom`), `overwrite` (default true).
//! Output: `{source, destination, bytes, tables, format}` (`source` with its password masked).
//!
//! - SQLite: the online backup API copies the database page by page into a consistent snapshot,
//!   even while other connections use it; `tables` lists each table with its row count, read
//!   from the copy.
//! - PostgreSQL: `pg_dump` (program + arguments through `steps/program.rs`: its own process
//!   group, killed on timeout or cancel, confined under the read-only sandbox) writes the file;
//!   the password goes in `PGPASSWORD`, never on its command line. `tables` lists the tables a
//!   plain dump creates (null for the custom format).
//!
//! The copy is written beside the destination under a temporary name and renamed into place
//! once complete, so a failed backup never leaves a partial file at the destination.

use super::sqlite;
use super::target::{mask_text, mask_url, resolve_sql, split_password, workspace_file, Target};
use crate::steps::params::{opt_bool, opt_str, str_param_any};
use crate::steps::program::{last_line, run_program, Program};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let connection = str_param_any(&p, &["connection", "database_url", "source"])?.to_string();
    let destination = str_param_any(&p, &["destination", "backup_path"])?;
    let format = opt_str(&p, "format")?.map(str::to_string);
    let overwrite = opt_bool(&p, "overwrite")?.unwrap_or(true);

    let (rel, host) = workspace_file(destination, ctx, true).await?;
    if !overwrite && host.exists() {
        return Err(Failure::new(format!(
            "the destination `{rel}` exists; set `overwrite: true` or choose another file"
        )));
    }
    if host.is_dir() {
        return Err(Failure::new(format!(
            "the destination `{rel}` is a folder; name a file"
        )));
    }
    let target = resolve_sql(&connection, ctx, true).await?;
    let partial = partial_path(&host);
    let result = match &target {
        Target::SqliteMemory => Err(Failure::new(
            "`sqlite::memory:` is a scratch database that lives only inside one step; there is nothing to back up",
        )),
        Target::Sqlite { rel: source, host: source_host } => {
            if !matches!(format.as_deref(), None | Some("sqlite")) {
                Err(Failure::new(format!(
                    "a SQLite database is backed up as a SQLite file: use `format: sqlite` (or leave `format` out), not `{}`",
                    format.as_deref().unwrap_or_default()
                )))
            } else if same_file(source_host, &host) {
                Err(Failure::new(format!(
                    "the destination `{rel}` is the database `{source}` itself; choose another file"
                )))
            } else {
                backup_sqlite(&target, &partial, ctx).await
            }
        }
        Target::Postgres { url } => {
            let format = format.as_deref().unwrap_or("plain");
            if format == "sqlite" {
                Err(Failure::new(
                    "a PostgreSQL database is backed up by `pg_dump` as `format: plain` (an SQL script, the default) or `format: custom` (for pg_restore), not `sqlite`",
                ))
            } else {
                backup_pg(url, format, &partial, ctx).await
            }
        }
    };
    let (tables, format) = match result {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, &host).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        Failure::new(format!("cannot move the backup into `{rel}`: {e}"))
    })?;
    let bytes = std::fs::metadata(&host).map(|m| m.len()).unwrap_or(0);
    let mut out = StepOutput::new(json!({
        "source": target.shown(),
        "destination": rel,
        "bytes": bytes,
        "tables": tables,
        "format": format,
    }))
    .with_artifact(rel);
    if target.is_postgres() {
        out.links.push(target.shown());
    }
    Ok(out)
}

/// `.name.partial-<uuid>` beside the destination.
fn partial_path(host: &Path) -> PathBuf {
    let name = host
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    host.with_file_name(format!(".{name}.partial-{}", uuid::Uuid::new_v4().simple()))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

async fn backup_sqlite(
    target: &Target,
    partial: &Path,
    ctx: &StepCtx,
) -> Result<(Value, &'static str), Failure> {
    let conn = sqlite::open(target, true)?;
    let partial = partial.to_path_buf();
    let shown = target.shown();
    sqlite::blocking(conn, ctx, move |conn| {
        conn.backup(rusqlite::MAIN_DB, &partial, None)
            .map_err(|e| Failure::new(format!("cannot back up `{shown}`: {e}")))?;
        let copy = rusqlite::Connection::open_with_flags(
            &partial,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| Failure::new(format!("cannot open the backup to check it: {e}")))?;
        Ok((sqlite_tables(&copy)?, "sqlite"))
    })
    .await
}

/// Each table of a SQLite database with its row count: `[{name, rows}]`.
fn sqlite_tables(conn: &rusqlite::Connection) -> Result<Value, Failure> {
    let fail =
        |e: rusqlite::Error| Failure::new(format!("cannot list the tables of the backup: {e}"));
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(fail)?;
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let rows: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM \"{}\"", name.replace('"', "\"\"")),
                [],
                |r| r.get(0),
            )
            .map_err(fail)?;
        tables.push(json!({"name": name, "rows": rows}));
    }
    Ok(Value::Array(tables))
}

async fn backup_pg(
    url: &str,
    format: &str,
    partial: &Path,
    ctx: &StepCtx,
) -> Result<(Value, &'static str), Failure> {
    if ctx.shared.setup.confine_commands_to.is_some() && crate::sandbox::support().network {
        return Err(Failure::new(format!(
            "under the read-only sandbox programs run confined to the workspace without network access, so pg_dump cannot reach {}; back PostgreSQL up in a run with `sandbox: full-access`",
            mask_url(url)
        )));
    }
    let (bare, password) = split_password(url);
    let mut env = std::collections::BTreeMap::new();
    if let Some(password) = password {
        env.insert("PGPASSWORD".to_string(), password);
    }
    env.entry("PGCONNECT_TIMEOUT".to_string())
        .or_insert_with(|| "10".to_string());
    let (flag, format) = match format {
        "custom" => ("--format=custom", "custom"),
        _ => ("--format=plain", "plain"),
    };
    let spec = Program {
        program: "pg_dump".into(),
        args: vec![
            "--no-password".into(),
            flag.into(),
            format!("--file={}", partial.display()),
            format!("--dbname={bare}"),
        ],
        cwd: ctx.shared.workspace.root().clone(),
        env,
        stdin: None,
    };
    let finished = run_program(spec, ctx).await.map_err(|f| {
        if f.message.starts_with("program `pg_dump` not found") {
            Failure::new("backing up PostgreSQL needs `pg_dump`, which is not installed here (Debian: `apt-get install postgresql-client`)")
        } else {
            f
        }
    })?;
    if !finished.status.success() {
        let why = last_lines(&finished.stderr)
            .or_else(|| last_line(&finished.stdout))
            .unwrap_or_else(|| format!("exit status {:?}", finished.exit_code()));
        return Err(Failure::new(format!(
            "pg_dump could not back up {}: {}",
            mask_url(url),
            mask_text(&why, url)
        ))
        .with_output(json!({
            "exit_code": finished.exit_code(),
            "stderr": mask_text(&finished.stderr, url),
        })));
    }
    let tables = if format == "plain" {
        plain_dump_tables(partial)?
    } else {
        Value::Null
    };
    Ok((tables, format))
}

/// pg_dump's error lines (`pg_dump: error: …`), joined.
fn last_lines(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let errors: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains("error:") || l.starts_with("DETAIL:"))
        .collect();
    if errors.is_empty() {
        lines.last().map(|l| l.to_string())
    } else {
        Some(errors.join(" "))
    }
}

/// The tables a plain dump creates: `[{name}]`, schema-qualified as pg_dump writes them.
fn plain_dump_tables(path: &Path) -> Result<Value, Failure> {
    use std::io::BufRead;
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::new(format!("cannot read the dump to list its tables: {e}")))?;
    let mut tables = Vec::new();
    for line in std::io::BufReader::new(file).lines() {
        let line = line.unwrap_or_default();
        if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
            let name = rest
                .trim_end_matches(['(', ' ', ';'])
                .split_whitespace()
                .next()
                .unwrap_or_default();
            if !name.is_empty() {
                tables.push(json!({"name": name}));
            }
        }
    }
    Ok(Value::Array(tables))
}
