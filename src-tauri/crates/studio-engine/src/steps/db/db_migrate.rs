//! `db_migrate`: applies a workspace folder of `.sql` files to SQLite or PostgreSQL.
//!
//! Parameters: `connection` (alias `database_url`), `migrations_dir` (aliases `path`,
//! `migration_dir`, `migration_path`), `table` (default `_mission_migrations`), `dry_run`,
//! `direction` (only `up`). Output: `{applied, skipped, pending, pending_before, current}`.
//!
//! - Order: by the number the file name starts with, then by name (`2_b.sql` before
//!   `10_a.sql`); files without a number come last. Other files and folders are ignored.
//! - The tracking table holds one row per applied file: `name`, `checksum` (SHA-256 of its
//!   bytes), `applied_at`. Before anything runs, every applied file still in the folder must
//!   have its checksum: a file changed after it was applied fails the step, naming it.
//! - Each pending file runs in its own transaction together with its tracking row: it is
//!   applied whole or not at all. A failing file is rolled back and the step fails naming it,
//!   with the database's message (and line and column when the database gives a position);
//!   the files before it stay applied (the failure's output lists them).
//! - PostgreSQL: each transaction locks the tracking table and checks again that the file is
//!   not applied, so two runs at once apply each file once.

use super::target::{resolve_sql, Target};
use super::{pg, sqlite};
use crate::steps::params::{opt_bool, opt_str, str_param_any};
use crate::steps::workspace::{self, with_dir};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;

const DEFAULT_TABLE: &str = "_mission_migrations";

/// One migration file.
#[derive(Debug, Clone)]
struct Migration {
    name: String,
    /// Workspace path, for messages.
    path: String,
    sql: String,
    checksum: String,
}

/// What the step did, also kept in a failure's output.
#[derive(Debug, Default)]
struct Report {
    applied: Vec<String>,
    skipped: Vec<String>,
    pending: Vec<String>,
    pending_before: usize,
    /// Every file's name, in order.
    order: Vec<String>,
}

impl Report {
    /// The last file, in order, that is applied.
    fn current(&self) -> Option<&String> {
        self.order
            .iter()
            .rev()
            .find(|name| self.applied.contains(name) || self.skipped.contains(name))
    }

    fn value(&self) -> Value {
        json!({
            "applied": self.applied,
            "skipped": self.skipped,
            "pending": self.pending,
            "pending_before": self.pending_before,
            "current": self.current(),
        })
    }

    /// The failure of `file`, keeping what was done so far in its output.
    fn failed(&self, file: &Migration, mut f: Failure) -> Failure {
        let mut out = self.value();
        out["failed"] = json!(file.name);
        if let Some(Value::Object(extra)) = f.output.take() {
            for (k, v) in extra {
                out[k] = v;
            }
        }
        f.message = format!(
            "migration `{}` failed and was rolled back{}: {}",
            file.path,
            if self.applied.is_empty() {
                String::new()
            } else {
                format!(" (applied before it: {})", self.applied.join(", "))
            },
            f.message
        );
        f.with_output(out)
    }
}

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let connection = str_param_any(&p, &["connection", "database_url"])?.to_string();
    let dir = str_param_any(
        &p,
        &["migrations_dir", "path", "migration_dir", "migration_path"],
    )?
    .to_string();
    let table = opt_str(&p, "table")?.unwrap_or(DEFAULT_TABLE).to_string();
    if !valid_table(&table) {
        return Err(Failure::new(format!(
            "`table: {table}` is not a plain table name; use letters, digits and `_` (not starting with a digit, at most 63)"
        )));
    }
    let dry_run = opt_bool(&p, "dry_run")?.unwrap_or(false);
    if let Some(direction) = opt_str(&p, "direction")? {
        if direction != "up" {
            return Err(Failure::new(format!(
                "`direction: {direction}` is not supported: migrations are only applied forward (`up`); write a new migration to undo one"
            )));
        }
    }

    let files = read_migrations(&dir, ctx).await?;
    let target = resolve_sql(&connection, ctx, false).await?;
    let report = match &target {
        Target::Postgres { url } => run_pg(url, &table, files, dry_run, ctx).await?,
        _ => {
            if dry_run {
                if let Target::Sqlite { host, .. } = &target {
                    if !host.exists() {
                        return Ok(StepOutput::new(plan_only(&files)));
                    }
                }
            }
            let conn = sqlite::open(&target, dry_run)?;
            sqlite::blocking(conn, ctx, move |conn| {
                run_sqlite(conn, &table, &files, dry_run)
            })
            .await?
        }
    };
    let mut out = StepOutput::new(report.value());
    if let Target::Postgres { .. } = &target {
        out.links.push(target.shown());
    }
    Ok(out)
}

fn valid_table(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 63
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A dry run on a database that does not exist yet: everything is pending.
fn plan_only(files: &[Migration]) -> Value {
    let names: Vec<&str> = files.iter().map(|m| m.name.as_str()).collect();
    json!({
        "applied": [], "skipped": [], "pending": names,
        "pending_before": names.len(), "current": null,
    })
}

/// The folder's `.sql` files, in order, with their text and checksum.
async fn read_migrations(dir: &str, ctx: &StepCtx) -> Result<Vec<Migration>, Failure> {
    let rel = workspace::check(dir)?;
    let shown = workspace::display(&rel);
    let mut files = with_dir(ctx, move |root| {
        let entries = root
            .read_dir(&rel)
            .map_err(|e| workspace::io_failure("read the folder", &rel, e))?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| workspace::io_failure("read the folder", &rel, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.to_ascii_lowercase().ends_with(".sql") {
                continue;
            }
            let path = rel.join(&name);
            let meta = root
                .metadata(&path)
                .map_err(|e| workspace::io_failure("open", &path, e))?;
            if !meta.is_file() {
                continue;
            }
            let mut bytes = Vec::new();
            root.open(&path)
                .and_then(|mut f| f.read_to_end(&mut bytes))
                .map_err(|e| workspace::io_failure("read", &path, e))?;
            let checksum = hex(&Sha256::digest(&bytes));
            let sql = String::from_utf8(bytes).map_err(|_| {
                Failure::new(format!("`{}` is not UTF-8 text", workspace::display(&path)))
            })?;
            files.push(Migration {
                name,
                path: workspace::display(&path),
                sql,
                checksum,
            });
        }
        Ok(files)
    })
    .await?;
    if files.is_empty() {
        return Err(Failure::new(format!(
            "the folder `{shown}` holds no `.sql` files; put the migrations there (`001_create_tables.sql`, `002_…`)"
        )));
    }
    files.sort_by_key(|m| order_key(&m.name));
    Ok(files)
}

/// Files with a leading number first, by that number (compared without leading zeros, so any
/// length works), then by name.
fn order_key(name: &str) -> (bool, usize, String, String) {
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').to_string();
    (
        digits.is_empty(),
        significant.len(),
        significant,
        name.to_string(),
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks the applied files' checksums and splits the folder into already applied and pending.
fn plan(
    files: &[Migration],
    applied: &BTreeMap<String, String>,
) -> Result<(Report, Vec<Migration>), Failure> {
    let mut report = Report {
        order: files.iter().map(|m| m.name.clone()).collect(),
        ..Report::default()
    };
    let mut pending = Vec::new();
    for file in files {
        match applied.get(&file.name) {
            Some(checksum) if *checksum != file.checksum => {
                return Err(Failure::new(format!(
                    "migration `{}` was changed after it was applied (checksum {}… recorded, {}… now); restore the applied text and put the change in a new migration",
                    file.path,
                    &checksum[..checksum.len().min(12)],
                    &file.checksum[..12]
                ))
                .with_output(json!({"changed": file.name})));
            }
            Some(_) => {
                report.skipped.push(file.name.clone());
            }
            None => pending.push(file.clone()),
        }
    }
    report.pending_before = pending.len();
    Ok((report, pending))
}

fn run_sqlite(
    conn: &mut rusqlite::Connection,
    table: &str,
    files: &[Migration],
    dry_run: bool,
) -> Result<Report, Failure> {
    let fail = |e: rusqlite::Error| Failure::new(format!("SQLite: tracking table `{table}`: {e}"));
    let exists: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )
        .map_err(fail)?;
    if !exists && !dry_run {
        conn.execute_batch(&format!(
            "CREATE TABLE \"{table}\" (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)"
        ))
        .map_err(fail)?;
    }
    let mut applied = BTreeMap::new();
    if exists {
        let mut stmt = conn
            .prepare(&format!("SELECT name, checksum FROM \"{table}\""))
            .map_err(fail)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(fail)?;
        for row in rows {
            let (name, checksum) = row.map_err(fail)?;
            applied.insert(name, checksum);
        }
    }
    let (mut report, pending) = plan(files, &applied)?;
    if dry_run {
        report.pending = pending.into_iter().map(|m| m.name).collect();
        return Ok(report);
    }
    for file in &pending {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(fail)?;
        tx.execute_batch(&file.sql).map_err(|e| {
            report.failed(
                file,
                sqlite::failure(&e, &file.sql, &format!("`{}`", file.path)),
            )
        })?;
        tx.execute(
            &format!("INSERT INTO \"{table}\" (name, checksum, applied_at) VALUES (?1, ?2, ?3)"),
            [&file.name, &file.checksum, &chrono::Utc::now().to_rfc3339()],
        )
        .map_err(|e| report.failed(file, fail(e)))?;
        tx.commit().map_err(|e| report.failed(file, fail(e)))?;
        report.applied.push(file.name.clone());
    }
    Ok(report)
}

async fn run_pg(
    url: &str,
    table: &str,
    files: Vec<Migration>,
    dry_run: bool,
    ctx: &StepCtx,
) -> Result<Report, Failure> {
    let mut pg = pg::connect(url, ctx).await?;
    let token = pg.client.cancel_token();
    let tracking =
        |e: tokio_postgres::Error| pg::failure(&e, "", &format!("tracking table `{table}`"), url);
    let work = async {
        let exists: bool = pg
            .client
            .query_one(
                "SELECT to_regclass($1::text) IS NOT NULL",
                &[&format!("\"{table}\"")],
            )
            .await
            .map_err(tracking)?
            .get(0);
        if !exists && !dry_run {
            pg.client
                .batch_execute(&format!(
                    "CREATE TABLE IF NOT EXISTS \"{table}\" (name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
                ))
                .await
                .map_err(tracking)?;
        }
        let mut applied = BTreeMap::new();
        if exists {
            for row in pg
                .client
                .query(&format!("SELECT name, checksum FROM \"{table}\""), &[])
                .await
                .map_err(tracking)?
            {
                applied.insert(row.get::<_, String>(0), row.get::<_, String>(1));
            }
        }
        let (mut report, pending) = plan(&files, &applied)?;
        if dry_run {
            report.pending = pending.into_iter().map(|m| m.name).collect();
            return Ok(report);
        }
        for file in &pending {
            let tx = pg.client.transaction().await.map_err(tracking)?;
            tx.batch_execute(&format!("LOCK TABLE \"{table}\" IN EXCLUSIVE MODE"))
                .await
                .map_err(tracking)?;
            let done = tx
                .query_opt(
                    &format!("SELECT 1 FROM \"{table}\" WHERE name = $1"),
                    &[&file.name],
                )
                .await
                .map_err(tracking)?
                .is_some();
            if done {
                // Applied by another run meanwhile.
                tx.rollback().await.map_err(tracking)?;
                report.skipped.push(file.name.clone());
                continue;
            }
            if let Err(e) = tx.batch_execute(&file.sql).await {
                let failure = pg::failure(&e, &file.sql, &format!("`{}`", file.path), url);
                let _ = tx.rollback().await;
                return Err(report.failed(file, failure));
            }
            tx.execute(
                &format!("INSERT INTO \"{table}\" (name, checksum) VALUES ($1, $2)"),
                &[&file.name, &file.checksum],
            )
            .await
            .map_err(|e| report.failed(file, tracking(e)))?;
            tx.commit()
                .await
                .map_err(|e| report.failed(file, tracking(e)))?;
            report.applied.push(file.name.clone());
        }
        Ok(report)
    };
    pg::cancellable(token, ctx, work).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_ordered_by_their_number_then_their_name() {
        let mut names = vec![
            "10_z.sql",
            "2_b.sql",
            "002_a.sql",
            "notes.sql",
            "1_x.sql",
            "0100_y.sql",
            "alpha.sql",
        ];
        names.sort_by_key(|n| order_key(n));
        assert_eq!(
            names,
            vec![
                "1_x.sql",
                "002_a.sql",
                "2_b.sql",
                "10_z.sql",
                "0100_y.sql",
                "alpha.sql",
                "notes.sql"
            ]
        );
        assert!(valid_table("_mission_migrations"));
        assert!(!valid_table("x; DROP TABLE y"));
        assert!(!valid_table("1abc"));
    }
}
