//! The database step types (`sql_query`, `db_backup`, `db_migrate`, `redis_set`, `redis_get`)
//! run through `run_mission` against the real thing: SQLite files in the run's workspace, and a
//! private PostgreSQL and Redis started for these tests on 127.0.0.1 (`support/services.rs`),
//! including their failure modes and the read-only sandbox.

mod support;

// The tests, by what they run against.
#[path = "db_steps/postgres.rs"]
mod postgres;
#[path = "db_steps/redis.rs"]
mod redis_steps;
#[path = "db_steps/sandbox.rs"]
mod sandbox;
#[path = "db_steps/sqlite.rs"]
mod sqlite;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use studio_core::{Mission, StepStatus};
use studio_engine::{run_mission, RunOptions, RunResult};
use support::services::{self, PASSWORD, PASSWORD_IN_URL};

const INJECTION: &str = "'; DROP TABLE users; --";

/// A run's result and its workspace (kept until dropped).
struct Ran {
    result: RunResult,
    _dir: tempfile::TempDir,
    ws: PathBuf,
}

impl Ran {
    fn output(&self, id: &str) -> &Value {
        let r = &self.result.step_results[id];
        assert_eq!(r.status, StepStatus::Success, "{id}: {r:?}");
        &r.output
    }

    /// The error and the output of a step that must have failed.
    fn failure(&self, id: &str) -> (String, Value) {
        let r = &self.result.step_results[id];
        assert_eq!(r.status, StepStatus::Failed, "{id} must fail: {r:?}");
        (r.error.clone().unwrap_or_default(), r.output.clone())
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.ws.join(rel)
    }
}

/// Writes `files` into a fresh workspace and runs `steps` there, one at a time, with `env` as
/// the run's environment and `extra` merged into the mission (e.g. a perimeter).
async fn run_with(files: &[(&str, &str)], steps: Value, env: &[(&str, &str)], extra: Value) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("workspace");
    std::fs::create_dir_all(&ws).unwrap();
    for (path, text) in files {
        let path = ws.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let mut doc = json!({
        "name": "Database steps",
        "config": {"max_concurrent_steps": 1, "fail_fast": false},
        "steps": steps,
    });
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            doc[k] = v;
        }
    }
    let mission: Mission = serde_json::from_value(doc).unwrap();
    let mut opts = RunOptions::new(&ws);
    opts.env = Some(
        env.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    );
    let result = run_mission(&mission, opts, &mut studio_engine::NullSink)
        .await
        .expect("the run starts");
    let ws = std::fs::canonicalize(&ws).unwrap();
    Ran {
        result,
        _dir: dir,
        ws,
    }
}

async fn run(files: &[(&str, &str)], steps: Value) -> Ran {
    run_with(files, steps, &[], json!({})).await
}

fn step(id: &str, step_type: &str, parameters: Value) -> Value {
    json!({"id": id, "step_type": step_type, "parameters": parameters})
}

/// Every text of the run's result, to check that no secret is in it.
fn all_text(result: &RunResult) -> String {
    serde_json::to_string(result).unwrap()
}

fn assert_no_password(result: &RunResult) {
    let text = all_text(result);
    for secret in [PASSWORD, PASSWORD_IN_URL] {
        assert!(!text.contains(secret), "the password leaked: {text}");
    }
}

/// Reads one value with rusqlite, outside the engine.
fn sqlite_value(db: &Path, sql: &str) -> rusqlite::Result<Value> {
    let conn = rusqlite::Connection::open(db)?;
    conn.query_row(sql, [], |r| {
        Ok(match r.get_ref(0)? {
            rusqlite::types::ValueRef::Integer(i) => json!(i),
            rusqlite::types::ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
            rusqlite::types::ValueRef::Null => Value::Null,
            other => json!(format!("{other:?}")),
        })
    })
}

const MIGRATION_1: &str = "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n";
const MIGRATION_2: &str = "ALTER TABLE customers ADD COLUMN email TEXT;\nINSERT INTO customers (name, email) VALUES ('Ada', 'ada@example.com');\n";
const MIGRATION_BROKEN: &str = "CREATE TABLE invoices (id INTEGER PRIMARY KEY);\nINSERT INTO invoices VALUES (1);\nINSERT INTO nowhere VALUES (1);\n";

// PostgreSQL helpers, shared by the PostgreSQL and sandbox tests.

/// A fresh database on the shared server, so that tests running at once do not meet.
async fn pg_database(pg: &services::Postgres, name: &str) -> String {
    let (client, connection) = tokio_postgres::connect(&pg.url, tokio_postgres::NoTls)
        .await
        .expect("the test server accepts connections");
    let task = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    drop(client);
    let _ = task.await;
    pg.url_for(name)
}

/// One value read with tokio-postgres, outside the engine.
async fn pg_count(url: &str, sql: &str) -> Result<i64, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let task = tokio::spawn(connection);
    let n = client.query_one(sql, &[]).await.map(|r| r.get::<_, i64>(0));
    drop(client);
    let _ = task.await;
    n
}
