//! The database step types (`sql_query`, `db_backup`, `db_migrate`, `redis_set`, `redis_get`)
//! run through `run_mission` against the real thing: SQLite files in the run's workspace, and a
//! private PostgreSQL and Redis started for these tests on 127.0.0.1 (`support/services.rs`),
//! including their failure modes and the read-only sandbox.

mod support;

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

// ---------------------------------------------------------------------------------------------
// sql_query on SQLite

#[tokio::test]
async fn sqlite_query_creates_inserts_and_reads_rows_with_their_json_types() {
    let ran = run(
        &[],
        json!([
            step("create", "sql_query", json!({"connection": "sqlite:data/app.db",
                "query": "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, qty INTEGER, tags TEXT, image BLOB, active BOOLEAN)"})),
            step("insert", "sql_query", json!({"connection": "sqlite://data/app.db",
                "query": "INSERT INTO items (name, price, qty, tags, image, active) VALUES (?, ?, ?, ?, X'00FF10', ?), (?1 || ' refill', NULL, 0, NULL, NULL, 0)",
                "parameters": ["Pen", 1.5, 10, ["blue", "red"], true]})),
            step("named", "sql_query", json!({"database_url": "data/app.db",
                "sql": "INSERT INTO items (name, qty) VALUES (:name, @qty)",
                "params": {"name": "Ink", "qty": 3}})),
            step("select", "sql_query", json!({"connection": "sqlite:data/app.db",
                "query": "SELECT id, name, price, qty, tags, image, active, qty * 2 AS doubled, NULL AS empty FROM items ORDER BY id",
                "output_format": "json"})),
            step("capped", "sql_query", json!({"connection": "sqlite:data/app.db",
                "query": "SELECT name FROM items ORDER BY id", "max_rows": 2,
                "output_file": "out/names.csv"})),
            step("as_json", "sql_query", json!({"connection": "sqlite:data/app.db",
                "query": "SELECT id, id AS id, name FROM items WHERE qty > ?", "parameters": [1],
                "output_file": "out/items.json"})),
            step("update", "sql_query", json!({"connection": "sqlite:data/app.db",
                "query": "UPDATE items SET qty = qty + 1 WHERE qty < ?", "parameters": [5]})),
        ]),
    )
    .await;
    assert_eq!(ran.output("create")["rows_affected"], json!(0));
    assert_eq!(ran.output("insert")["rows_affected"], json!(2));
    assert_eq!(ran.output("named")["rows_affected"], json!(1));
    let select = ran.output("select");
    assert_eq!(
        select["columns"],
        json!([
            {"name": "id", "type": "INTEGER"}, {"name": "name", "type": "TEXT"},
            {"name": "price", "type": "REAL"}, {"name": "qty", "type": "INTEGER"},
            {"name": "tags", "type": "TEXT"}, {"name": "image", "type": "BLOB"},
            {"name": "active", "type": "BOOLEAN"}, {"name": "doubled", "type": "INTEGER"},
            {"name": "empty", "type": null},
        ])
    );
    assert_eq!(
        select["rows"],
        json!([
            {"id": 1, "name": "Pen", "price": 1.5, "qty": 10, "tags": "[\"blue\",\"red\"]",
             "image": "AP8Q", "active": 1, "doubled": 20, "empty": null},
            {"id": 2, "name": "Pen refill", "price": null, "qty": 0, "tags": null,
             "image": null, "active": 0, "doubled": 0, "empty": null},
            {"id": 3, "name": "Ink", "price": null, "qty": 3, "tags": null,
             "image": null, "active": null, "doubled": 6, "empty": null},
        ])
    );
    assert_eq!(select["row_count"], json!(3));
    assert_eq!(select["truncated"], json!(false));
    assert_eq!(
        select["rows_affected"],
        Value::Null,
        "a statement that returns rows"
    );
    assert_eq!(select["output_file"], Value::Null);

    let capped = ran.output("capped");
    assert_eq!(capped["row_count"], json!(2));
    assert_eq!(capped["truncated"], json!(true));
    assert_eq!(capped["output_file"], json!("out/names.csv"));
    assert_eq!(
        std::fs::read_to_string(ran.path("out/names.csv")).unwrap(),
        "name\nPen\nPen refill\n"
    );
    assert!(
        ran.result.artifacts.iter().any(|a| a == "out/names.csv"),
        "{:?}",
        ran.result.artifacts
    );

    let as_json = ran.output("as_json");
    let names: Vec<&str> = as_json["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["id", "id_2", "name"],
        "a repeated name keeps its value"
    );
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(ran.path("out/items.json")).unwrap())
            .unwrap();
    assert_eq!(
        written,
        json!([{"id": 1, "id_2": 1, "name": "Pen"}, {"id": 3, "id_2": 3, "name": "Ink"}])
    );
    assert_eq!(ran.output("update")["rows_affected"], json!(2));
    assert_eq!(
        sqlite_value(
            &ran.path("data/app.db"),
            "SELECT qty FROM items WHERE id = 2"
        )
        .unwrap(),
        json!(1)
    );
}

#[tokio::test]
async fn sqlite_injection_attempts_reach_the_database_only_as_bound_values() {
    let ran = run(
        &[],
        json!([
            step(
                "create",
                "sql_query",
                json!({"connection": "sqlite:app.db",
                "query": "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)"})
            ),
            step(
                "insert",
                "sql_query",
                json!({"connection": "sqlite:app.db",
                "query": "INSERT INTO users (name) VALUES (?)", "parameters": [INJECTION]})
            ),
            step(
                "find",
                "sql_query",
                json!({"connection": "sqlite:app.db",
                "query": "SELECT id, name FROM users WHERE name = ?1", "parameters": [INJECTION]})
            ),
            step(
                "find_named",
                "sql_query",
                json!({"connection": "sqlite:app.db",
                "query": "SELECT count(*) AS n FROM users WHERE name = :name OR name = :name",
                "parameters": {":name": INJECTION}})
            ),
        ]),
    )
    .await;
    assert_eq!(
        ran.output("find")["rows"],
        json!([{"id": 1, "name": INJECTION}]),
        "stored and found literally"
    );
    assert_eq!(ran.output("find_named")["rows"], json!([{"n": 1}]));
    assert_eq!(
        sqlite_value(&ran.path("app.db"), "SELECT count(*) FROM users").unwrap(),
        json!(1),
        "the table survives"
    );
}

#[tokio::test]
async fn sqlite_errors_name_the_position_the_statement_count_and_the_placeholders() {
    let ran = run(
        &[],
        json!([
            step("create", "sql_query", json!({"connection": "sqlite:app.db",
                "query": "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)"})),
            step("syntax", "sql_query", json!({"connection": "sqlite:app.db",
                "query": "SELECT id,\n       name\nFROM users\nWHERE nme = 1"})),
            step("two", "sql_query", json!({"connection": "sqlite:app.db",
                "query": "INSERT INTO users (name) VALUES ('a'); DELETE FROM users"})),
            step("count", "sql_query", json!({"connection": "sqlite:app.db",
                "query": "SELECT * FROM users WHERE id = ? AND name = ?", "parameters": [1]})),
            step("unknown_name", "sql_query", json!({"connection": "sqlite:app.db",
                "query": "SELECT * FROM users WHERE id = :id", "parameters": {"ident": 1}})),
            step("script", "sql_query", json!({"connection": "sqlite:app.db", "multiple_statements": true,
                "query": "INSERT INTO users (name) VALUES ('a');\nINSERT INTO users (name) VALUES ('b');\nUPDATE users SET name = 'c';"})),
            step("bad_script", "sql_query", json!({"connection": "sqlite:app.db", "multiple_statements": true,
                "query": "INSERT INTO users (name) VALUES ('d');\nINSERT INTO nowhere VALUES (1);"})),
            step("script_params", "sql_query", json!({"connection": "sqlite:app.db", "multiple_statements": true,
                "query": "SELECT 1; SELECT 2", "parameters": [1]})),
            step("ro_write", "sql_query", json!({"connection": "sqlite:app.db", "read_only": true,
                "query": "DELETE FROM users"})),
            step("ro_missing", "sql_query", json!({"connection": "sqlite:missing.db", "read_only": true,
                "query": "SELECT 1"})),
            step("csv_no_file", "sql_query", json!({"connection": "sqlite:app.db",
                "query": "SELECT 1", "output_format": "csv"})),
            step("mysql", "sql_query", json!({"connection": "mysql://root:hunter22@db/x",
                "query": "SELECT 1"})),
        ]),
    )
    .await;
    let (error, out) = ran.failure("syntax");
    assert!(
        error.contains("SQLite: no such column: nme") && error.contains("line 4, column 7"),
        "{error}"
    );
    assert!(
        error.ends_with("  WHERE nme = 1\n        ^"),
        "the line and a caret: {error}"
    );
    assert_eq!(
        (out["line"].clone(), out["column"].clone()),
        (json!(4), json!(7))
    );

    let (error, _) = ran.failure("two");
    assert!(
        error.contains("more than one statement") && error.contains("multiple_statements: true"),
        "{error}"
    );
    let (error, _) = ran.failure("count");
    assert!(
        error.contains("2 placeholder(s) but `parameters` holds 1"),
        "{error}"
    );
    let (error, _) = ran.failure("unknown_name");
    assert!(
        error.contains("`ident`, which is not a placeholder"),
        "{error}"
    );
    assert_eq!(ran.output("script")["rows_affected"], json!(4));
    let (error, _) = ran.failure("bad_script");
    assert!(error.contains("no such table: nowhere"), "{error}");
    assert_eq!(
        sqlite_value(
            &ran.path("app.db"),
            "SELECT count(*) FROM users WHERE name = 'd'"
        )
        .unwrap(),
        json!(0),
        "a failing script is rolled back whole"
    );
    let (error, _) = ran.failure("script_params");
    assert!(error.contains("without `parameters`"), "{error}");
    let (error, _) = ran.failure("ro_write");
    assert!(error.contains("read_only: true"), "{error}");
    assert_eq!(
        sqlite_value(&ran.path("app.db"), "SELECT count(*) FROM users").unwrap(),
        json!(2),
        "nothing was deleted"
    );
    let (error, _) = ran.failure("ro_missing");
    assert!(error.contains("`missing.db` does not exist"), "{error}");
    assert!(!ran.path("missing.db").exists());
    let (error, _) = ran.failure("csv_no_file");
    assert!(error.contains("add `output_file`"), "{error}");
    let (error, _) = ran.failure("mysql");
    assert!(
        error.contains("`mysql` databases are not supported")
            && error.contains("mysql://root:***@db/x"),
        "{error}"
    );
    assert!(!all_text(&ran.result).contains("hunter22"));
}

#[tokio::test]
async fn a_bare_name_is_its_environment_variable_then_a_workspace_file() {
    let seed = |path: &str| {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch("CREATE TABLE sales (region TEXT, amount INTEGER); INSERT INTO sales VALUES ('EU', 10), ('US', 7);")
            .unwrap();
    };
    let dir = tempfile::tempdir().unwrap();
    let from_env = dir.path().join("ws_env");
    std::fs::create_dir_all(from_env.join("dbs")).unwrap();
    seed(from_env.join("dbs/sales.db").to_str().unwrap());
    let opts_env = [("SALES_DB_URL", "sqlite:dbs/sales.db")];
    let steps = json!([step(
        "sum",
        "sql_query",
        json!({"connection": "sales_db",
            "query": "SELECT sum(amount) AS total FROM sales WHERE region <> ?", "parameters": ["XX"]})
    ),]);
    let mission: Mission = serde_json::from_value(json!({"name": "env", "steps": steps})).unwrap();
    let mut opts = RunOptions::new(&from_env);
    opts.env = Some(
        opts_env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    let result = run_mission(&mission, opts, &mut studio_engine::NullSink)
        .await
        .unwrap();
    assert_eq!(
        result.step_results["sum"].output["rows"],
        json!([{"total": 17}]),
        "{:?}",
        result.step_results["sum"]
    );

    // No variable: the workspace file, trying the suffixes in order.
    let ws = dir.path().join("ws_file");
    std::fs::create_dir_all(&ws).unwrap();
    seed(ws.join("sales_db.sqlite").to_str().unwrap());
    let mission: Mission = serde_json::from_value(
        json!({"name": "file", "config": {"fail_fast": false}, "steps": [
            step("sum", "sql_query", json!({"connection": "sales_db", "read_only": true,
                "query": "SELECT count(*) AS n FROM sales"})),
            step("none", "sql_query", json!({"connection": "crm", "query": "SELECT 1"})),
        ]}),
    )
    .unwrap();
    let mut opts = RunOptions::new(&ws);
    opts.env = Some(BTreeMap::new());
    let result = run_mission(&mission, opts, &mut studio_engine::NullSink)
        .await
        .unwrap();
    assert_eq!(result.step_results["sum"].output["rows"], json!([{"n": 2}]));
    let error = result.step_results["none"]
        .error
        .clone()
        .unwrap_or_default();
    assert!(
        error.contains("connection `crm` names no database: tried the environment variable CRM_URL (not set), the workspace file `crm`, the workspace file `crm.db`, the workspace file `crm.sqlite`, the workspace file `crm.sqlite3`"),
        "{error}"
    );
}

#[tokio::test]
async fn sqlite_queries_cannot_reach_other_files_through_attach_or_vacuum_into() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("stolen.db");
    let ran = run(
        &[],
        json!([
            step("create", "sql_query", json!({"connection": "sqlite:app.db",
                "query": "CREATE TABLE t (x INTEGER)"})),
            step("attach", "sql_query", json!({"connection": "sqlite:app.db",
                "query": "ATTACH DATABASE ? AS other", "parameters": [target.display().to_string()]})),
            step("vacuum_into", "sql_query", json!({"connection": "sqlite:app.db",
                "query": "VACUUM INTO ?", "parameters": [target.display().to_string()]})),
            step("vacuum", "sql_query", json!({"connection": "sqlite:app.db", "query": "VACUUM"})),
        ]),
    )
    .await;
    for id in ["attach", "vacuum_into"] {
        let (error, _) = ran.failure(id);
        assert!(
            error.contains("ATTACH and VACUUM INTO are refused"),
            "{id}: {error}"
        );
    }
    ran.output("vacuum");
    assert!(
        !target.exists(),
        "nothing was written outside the workspace"
    );
}

// ---------------------------------------------------------------------------------------------
// db_backup and db_migrate on SQLite

#[tokio::test]
async fn sqlite_backups_are_consistent_copies_that_restore() {
    let ran = run(
        &[],
        json!([
            step("seed", "sql_query", json!({"connection": "sqlite:data/shop.db", "multiple_statements": true,
                "query": "CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL); INSERT INTO orders (total) VALUES (9.5), (20); CREATE TABLE notes (t TEXT);"})),
            step("backup", "db_backup", json!({"connection": "sqlite:data/shop.db", "destination": "backups/shop-copy.db"})),
            step("again", "db_backup", json!({"source": "data/shop.db", "backup_path": "backups/shop-copy.db",
                "format": "sqlite", "overwrite": false})),
            step("itself", "db_backup", json!({"connection": "sqlite:data/shop.db", "destination": "data/shop.db"})),
            step("plain", "db_backup", json!({"connection": "sqlite:data/shop.db", "destination": "x.sql", "format": "plain"})),
            step("missing", "db_backup", json!({"connection": "sqlite:nothing.db", "destination": "nothing-copy.db"})),
            step("read_copy", "sql_query", json!({"connection": "sqlite:backups/shop-copy.db", "read_only": true,
                "query": "SELECT total FROM orders WHERE id = ?", "parameters": [2]})),
        ]),
    )
    .await;
    let backup = ran.output("backup");
    let bytes = std::fs::metadata(ran.path("backups/shop-copy.db"))
        .unwrap()
        .len();
    assert_eq!(
        backup,
        &json!({
            "source": "sqlite:data/shop.db", "destination": "backups/shop-copy.db", "bytes": bytes,
            "tables": [{"name": "notes", "rows": 0}, {"name": "orders", "rows": 2}], "format": "sqlite",
        })
    );
    assert!(ran
        .result
        .artifacts
        .iter()
        .any(|a| a == "backups/shop-copy.db"));
    assert_eq!(
        ran.output("read_copy")["rows"],
        json!([{"total": 20.0}]),
        "the backup restores"
    );
    assert_eq!(
        sqlite_value(
            &ran.path("backups/shop-copy.db"),
            "SELECT count(*) FROM orders"
        )
        .unwrap(),
        json!(2)
    );
    let (error, _) = ran.failure("again");
    assert!(error.contains("exists; set `overwrite: true`"), "{error}");
    let (error, _) = ran.failure("itself");
    assert!(
        error.contains("is the database `data/shop.db` itself"),
        "{error}"
    );
    let (error, _) = ran.failure("plain");
    assert!(error.contains("use `format: sqlite`"), "{error}");
    let (error, _) = ran.failure("missing");
    assert!(error.contains("`nothing.db` does not exist"), "{error}");
    let leftovers: Vec<_> = std::fs::read_dir(ran.path("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        leftovers,
        ["shop-copy.db"],
        "no partial file is left behind"
    );
}

const MIGRATION_1: &str = "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n";
const MIGRATION_2: &str = "ALTER TABLE customers ADD COLUMN email TEXT;\nINSERT INTO customers (name, email) VALUES ('Ada', 'ada@example.com');\n";
const MIGRATION_BROKEN: &str = "CREATE TABLE invoices (id INTEGER PRIMARY KEY);\nINSERT INTO invoices VALUES (1);\nINSERT INTO nowhere VALUES (1);\n";

#[tokio::test]
async fn sqlite_migrations_apply_once_in_order_roll_back_a_failure_and_refuse_a_changed_file() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(ws.join("migrations")).unwrap();
    std::fs::write(ws.join("migrations/10_seed.sql"), MIGRATION_2).unwrap();
    std::fs::write(ws.join("migrations/2_customers.sql"), MIGRATION_1).unwrap();
    std::fs::write(ws.join("migrations/README.md"), "not a migration").unwrap();
    let migrate = |extra: Value| {
        let mut p = json!({"connection": "sqlite:db/app.db", "migrations_dir": "migrations"});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    };
    let run_here = |steps: Value| {
        let ws = ws.clone();
        async move {
            let mission: Mission =
                serde_json::from_value(json!({"name": "migrate", "config": {"max_concurrent_steps": 1, "fail_fast": false}, "steps": steps}))
                    .unwrap();
            run_mission(&mission, RunOptions::new(&ws), &mut studio_engine::NullSink)
                .await
                .unwrap()
        }
    };
    let out = |r: &RunResult, id: &str| {
        assert_eq!(
            r.step_results[id].status,
            StepStatus::Success,
            "{id}: {:?}",
            r.step_results[id]
        );
        r.step_results[id].output.clone()
    };

    let first = run_here(json!([
        step("plan", "db_migrate", migrate(json!({"dry_run": true}))),
        step("up", "db_migrate", migrate(json!({"direction": "up"}))),
        step("again", "db_migrate", migrate(json!({}))),
    ]))
    .await;
    assert_eq!(
        out(&first, "plan"),
        json!({"applied": [], "skipped": [], "pending": ["2_customers.sql", "10_seed.sql"],
               "pending_before": 2, "current": null})
    );
    assert_eq!(
        out(&first, "up"),
        json!({"applied": ["2_customers.sql", "10_seed.sql"], "skipped": [], "pending": [],
               "pending_before": 2, "current": "10_seed.sql"})
    );
    assert_eq!(
        out(&first, "again"),
        json!({"applied": [], "skipped": ["2_customers.sql", "10_seed.sql"], "pending": [],
               "pending_before": 0, "current": "10_seed.sql"}),
        "a re-run applies nothing"
    );
    let db = ws.join("db/app.db");
    assert_eq!(
        sqlite_value(&db, "SELECT email FROM customers").unwrap(),
        json!("ada@example.com")
    );
    assert_eq!(
        sqlite_value(&db, "SELECT count(*) FROM _mission_migrations").unwrap(),
        json!(2)
    );
    assert_eq!(
        sqlite_value(
            &db,
            "SELECT length(checksum) FROM _mission_migrations LIMIT 1"
        )
        .unwrap(),
        json!(64)
    );

    // A failing migration is rolled back whole; the ones before it stay.
    std::fs::write(ws.join("migrations/20_invoices.sql"), MIGRATION_BROKEN).unwrap();
    std::fs::write(
        ws.join("migrations/11_index.sql"),
        "CREATE INDEX customers_name ON customers (name);\n",
    )
    .unwrap();
    let second = run_here(json!([step("up", "db_migrate", migrate(json!({})))])).await;
    let r = &second.step_results["up"];
    assert_eq!(r.status, StepStatus::Failed);
    let error = r.error.clone().unwrap();
    assert!(
        error.starts_with("migration `migrations/20_invoices.sql` failed and was rolled back (applied before it: 11_index.sql): SQLite: no such table: nowhere"),
        "{error}"
    );
    assert_eq!(r.output["failed"], json!("20_invoices.sql"));
    assert_eq!(r.output["applied"], json!(["11_index.sql"]));
    assert_eq!(r.output["current"], json!("11_index.sql"));
    assert!(
        sqlite_value(&db, "SELECT count(*) FROM invoices").is_err(),
        "the failed migration's table was rolled back"
    );
    assert_eq!(
        sqlite_value(
            &db,
            "SELECT count(*) FROM _mission_migrations WHERE name = '20_invoices.sql'"
        )
        .unwrap(),
        json!(0)
    );

    // A file changed after it was applied is refused before anything runs.
    std::fs::write(
        ws.join("migrations/20_invoices.sql"),
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY);\n",
    )
    .unwrap();
    std::fs::write(
        ws.join("migrations/2_customers.sql"),
        "CREATE TABLE customers (id INTEGER);\n",
    )
    .unwrap();
    let third = run_here(json!([step("up", "db_migrate", migrate(json!({})))])).await;
    let r = &third.step_results["up"];
    assert_eq!(r.status, StepStatus::Failed);
    let error = r.error.clone().unwrap();
    assert!(
        error.contains("migration `migrations/2_customers.sql` was changed after it was applied"),
        "{error}"
    );
    assert!(
        sqlite_value(&db, "SELECT count(*) FROM invoices").is_err(),
        "nothing ran after the checksum mismatch"
    );

    // Once restored, the fixed migration applies.
    std::fs::write(ws.join("migrations/2_customers.sql"), MIGRATION_1).unwrap();
    let fourth = run_here(json!([
        step("up", "db_migrate", json!({"database_url": "sqlite:db/app.db", "migration_path": "migrations", "table": "_mission_migrations"})),
        step("empty", "db_migrate", json!({"connection": "sqlite:db/app.db", "path": "db"})),
        step("down", "db_migrate", migrate(json!({"direction": "down"}))),
    ]))
    .await;
    assert_eq!(out(&fourth, "up")["applied"], json!(["20_invoices.sql"]));
    assert_eq!(out(&fourth, "up")["current"], json!("20_invoices.sql"));
    let error = fourth.step_results["empty"].error.clone().unwrap();
    assert!(error.contains("holds no `.sql` files"), "{error}");
    let error = fourth.step_results["down"].error.clone().unwrap();
    assert!(error.contains("only applied forward"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

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

#[tokio::test]
async fn postgres_queries_bind_parameters_map_types_and_locate_errors() {
    let pg = services::postgres();
    let url = pg_database(&pg, "queries").await;
    let ran = run(
        &[],
        json!([
            step("create", "sql_query", json!({"connection": url, "query":
                "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, price numeric(10,2), qty int4, big int8, ratio float8, ok bool, meta jsonb, raw bytea, tags text[], added timestamptz, day date, ref uuid, ip inet, span interval)"})),
            step("insert", "sql_query", json!({"connection": url, "query":
                "INSERT INTO items (name, price, qty, big, ratio, ok, meta, raw, tags, added, day, ref, ip, span) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '10.0.0.1/8', '1 day 02:00:03.5') RETURNING id",
                "parameters": ["Pen", "12.50", 10, 9007199254740993i64, 0.25, true, {"color": "blue", "sizes": [1, 2]}, "hi", ["a", "b"], "2024-03-01T10:20:30Z", "2024-03-01", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"]})),
            step("insert_null", "sql_query", json!({"database_url": url,
                "sql": "INSERT INTO items (name, price) VALUES ($1, $2)", "params": ["Ink", null]})),
            step("select", "sql_query", json!({"connection": url, "read_only": true, "query":
                "SELECT id, name, price, qty, big, ratio, ok, meta, raw, tags, added, day, ref, ip, span, price * 2 AS doubled FROM items ORDER BY id"})),
            step("update", "sql_query", json!({"connection": url,
                "query": "UPDATE items SET qty = coalesce(qty, 0) + $1", "parameters": [1]})),
            step("capped", "sql_query", json!({"connection": url,
                "query": "SELECT g FROM generate_series(1, 5) AS g", "max_rows": 3})),
            step("syntax", "sql_query", json!({"connection": url,
                "query": "SELECT id,\n       name\nFORM items"})),
            step("column", "sql_query", json!({"connection": url,
                "query": "SELECT id\nFROM items\nWHERE nme = $1", "parameters": ["x"]})),
            step("ro_write", "sql_query", json!({"connection": url, "read_only": true,
                "query": "DELETE FROM items"})),
            step("two", "sql_query", json!({"connection": url,
                "query": "SELECT 1; SELECT 2"})),
            step("script", "sql_query", json!({"connection": url, "multiple_statements": true,
                "query": "UPDATE items SET qty = 1; UPDATE items SET qty = 2 WHERE id = 1;"})),
            step("count", "sql_query", json!({"connection": url,
                "query": "SELECT * FROM items WHERE id = $1 AND name = $2", "parameters": [1]})),
            step("bad_value", "sql_query", json!({"connection": url,
                "query": "SELECT * FROM items WHERE qty = $1", "parameters": ["ten"]})),
            step("named", "sql_query", json!({"connection": url,
                "query": "SELECT 1", "parameters": {"a": 1}})),
        ]),
    )
    .await;
    assert_eq!(ran.output("create")["rows_affected"], json!(0));
    assert_eq!(ran.output("insert")["rows"], json!([{"id": 1}]));
    assert_eq!(
        ran.output("insert")["rows_affected"],
        Value::Null,
        "RETURNING returns rows"
    );
    assert_eq!(ran.output("insert_null")["rows_affected"], json!(1));
    let select = ran.output("select");
    let types: Vec<(&str, &str)> = select["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        types,
        [
            ("id", "int4"),
            ("name", "text"),
            ("price", "numeric"),
            ("qty", "int4"),
            ("big", "int8"),
            ("ratio", "float8"),
            ("ok", "bool"),
            ("meta", "jsonb"),
            ("raw", "bytea"),
            ("tags", "_text"),
            ("added", "timestamptz"),
            ("day", "date"),
            ("ref", "uuid"),
            ("ip", "inet"),
            ("span", "interval"),
            ("doubled", "numeric"),
        ]
    );
    assert_eq!(
        select["rows"][0],
        json!({
            "id": 1, "name": "Pen", "price": "12.50", "qty": 10, "big": 9007199254740993i64,
            "ratio": 0.25, "ok": true, "meta": {"color": "blue", "sizes": [1, 2]}, "raw": "aGk=",
            "tags": ["a", "b"], "added": "2024-03-01T10:20:30Z", "day": "2024-03-01",
            "ref": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "ip": "10.0.0.1/8", "span": "P1DT2H3.5S",
            "doubled": "25.00",
        })
    );
    assert_eq!(select["rows"][1]["price"], Value::Null);
    assert_eq!(select["rows"][1]["tags"], Value::Null);
    assert_eq!(ran.output("update")["rows_affected"], json!(2));
    let capped = ran.output("capped");
    assert_eq!(capped["rows"], json!([{"g": 1}, {"g": 2}, {"g": 3}]));
    assert_eq!(
        (capped["row_count"].clone(), capped["truncated"].clone()),
        (json!(3), json!(true))
    );

    let (error, out) = ran.failure("syntax");
    assert!(
        error.contains("PostgreSQL: syntax error at or near \"items\" (SQLSTATE 42601) in the query at line 3, column 6"),
        "{error}"
    );
    assert!(error.ends_with("  FORM items\n       ^"), "{error}");
    assert_eq!(out["code"], json!("42601"));
    assert_eq!(
        (out["line"].clone(), out["column"].clone()),
        (json!(3), json!(6))
    );
    let (error, out) = ran.failure("column");
    assert!(
        error.contains("column \"nme\" does not exist") && error.contains("line 3, column 7"),
        "{error}"
    );
    assert_eq!(out["code"], json!("42703"));
    let (error, out) = ran.failure("ro_write");
    assert!(
        error.contains("cannot execute DELETE in a read-only transaction"),
        "{error}"
    );
    assert_eq!(out["code"], json!("25006"));
    let (error, _) = ran.failure("two");
    assert!(error.contains("multiple_statements: true"), "{error}");
    assert_eq!(ran.output("script")["rows_affected"], json!(3));
    let (error, _) = ran.failure("count");
    assert!(
        error.contains("2 placeholder(s) ($1…) but `parameters` holds 1"),
        "{error}"
    );
    let (error, _) = ran.failure("bad_value");
    assert!(
        error.contains("parameter $1: a string cannot be sent as `int4`"),
        "{error}"
    );
    let (error, _) = ran.failure("named");
    assert!(error.contains("give `parameters` as a list"), "{error}");
    assert_eq!(
        pg_count(&url, "SELECT count(*) FROM items").await.unwrap(),
        2,
        "nothing deleted"
    );
    assert_no_password(&ran.result);
}

#[tokio::test]
async fn postgres_injection_attempts_reach_the_database_only_as_bound_values() {
    let pg = services::postgres();
    let url = pg_database(&pg, "injection").await;
    let ran = run(
        &[],
        json!([
            step(
                "create",
                "sql_query",
                json!({"connection": url,
                "query": "CREATE TABLE users (id serial PRIMARY KEY, name text)"})
            ),
            step(
                "insert",
                "sql_query",
                json!({"connection": url,
                "query": "INSERT INTO users (name) VALUES ($1)", "parameters": [INJECTION]})
            ),
            step(
                "find",
                "sql_query",
                json!({"connection": url, "read_only": true,
                "query": "SELECT id, name FROM users WHERE name = $1", "parameters": [INJECTION]})
            ),
        ]),
    )
    .await;
    assert_eq!(
        ran.output("find")["rows"],
        json!([{"id": 1, "name": INJECTION}])
    );
    assert_eq!(
        pg_count(&url, "SELECT count(*) FROM users").await.unwrap(),
        1,
        "the table survives"
    );
}

#[tokio::test]
async fn unreachable_servers_and_wrong_passwords_fail_clearly_with_the_password_masked() {
    let port = services::closed_port();
    let pg = services::postgres();
    let wrong = format!(
        "postgres://mission:wrong-{PASSWORD_IN_URL}@127.0.0.1:{}/postgres",
        pg.port
    );
    let ran = run(
        &[("m/001_init.sql", "CREATE TABLE t (x int);")],
        json!([
            step("closed", "sql_query", json!({"connection": format!("postgres://mission:{PASSWORD_IN_URL}@127.0.0.1:{port}/db"), "query": "SELECT 1"})),
            step("wrong", "sql_query", json!({"connection": wrong, "query": "SELECT 1"})),
            step("backup", "db_backup", json!({"connection": format!("postgresql://mission:{PASSWORD_IN_URL}@127.0.0.1:{port}/db"), "destination": "dump.sql"})),
            step("migrate", "db_migrate", json!({"connection": format!("postgres://mission:{PASSWORD_IN_URL}@127.0.0.1:{port}/db"), "migrations_dir": "m"})),
            step("redis_closed", "redis_get", json!({"connection": format!("redis://:{PASSWORD_IN_URL}@127.0.0.1:{port}"), "key": "k"})),
        ]),
    )
    .await;
    let (error, out) = ran.failure("closed");
    assert!(
        error.starts_with(&format!("cannot connect to PostgreSQL at 127.0.0.1:{port} (postgres://mission:***@127.0.0.1:{port}/db)")),
        "{error}"
    );
    assert!(
        error.to_lowercase().contains("connection refused"),
        "{error}"
    );
    assert_eq!(
        out["connection"],
        json!(format!("postgres://mission:***@127.0.0.1:{port}/db"))
    );
    let (error, _) = ran.failure("wrong");
    assert!(
        error.contains("password authentication failed for user \"mission\""),
        "{error}"
    );
    let (error, _) = ran.failure("backup");
    assert!(
        error.contains("pg_dump could not back up postgresql://mission:***@127.0.0.1"),
        "{error}"
    );
    assert!(!ran.path("dump.sql").exists());
    let (error, _) = ran.failure("migrate");
    assert!(
        error.starts_with("cannot connect to PostgreSQL at 127.0.0.1"),
        "{error}"
    );
    let (error, _) = ran.failure("redis_closed");
    assert!(
        error.starts_with(&format!(
            "cannot connect to Redis at redis://:***@127.0.0.1:{port}: the connection was refused"
        )),
        "{error}"
    );
    assert_no_password(&ran.result);
}

#[tokio::test]
async fn postgres_backups_go_through_pg_dump_into_the_workspace() {
    let pg = services::postgres();
    let url = pg_database(&pg, "backups").await;
    let ran = run(
        &[],
        json!([
            step("seed", "sql_query", json!({"connection": url, "multiple_statements": true, "query":
                "CREATE TABLE orders (id serial PRIMARY KEY, customer text); INSERT INTO orders (customer) VALUES ('Ada'), ('Grace'); CREATE TABLE notes (t text);"})),
            step("plain", "db_backup", json!({"connection": url, "destination": "backups/shop.sql"})),
            step("custom", "db_backup", json!({"database_url": url, "backup_path": "backups/shop.dump", "format": "custom"})),
            step("sqlite_format", "db_backup", json!({"connection": url, "destination": "x.db", "format": "sqlite"})),
        ]),
    )
    .await;
    let plain = ran.output("plain");
    let dump = std::fs::read_to_string(ran.path("backups/shop.sql")).unwrap();
    assert!(dump.contains("CREATE TABLE public.orders"), "{dump}");
    assert!(dump.contains("Grace"), "the rows are in the dump");
    assert_eq!(
        plain,
        &json!({
            "source": format!("postgres://mission:***@127.0.0.1:{}/backups", pg.port),
            "destination": "backups/shop.sql", "bytes": dump.len(),
            "tables": [{"name": "public.notes"}, {"name": "public.orders"}], "format": "plain",
        })
    );
    let custom = ran.output("custom");
    assert_eq!(custom["format"], json!("custom"));
    assert_eq!(custom["tables"], Value::Null);
    let bytes = std::fs::read(ran.path("backups/shop.dump")).unwrap();
    assert!(bytes.starts_with(b"PGDMP"), "a pg_dump archive");
    let (error, _) = ran.failure("sqlite_format");
    assert!(error.contains("`format: plain`"), "{error}");
    assert_no_password(&ran.result);
}

#[tokio::test]
async fn postgres_migrations_apply_once_roll_back_a_failure_and_refuse_a_changed_file() {
    let pg = services::postgres();
    let url = pg_database(&pg, "migrations").await;
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(ws.join("db/migrations")).unwrap();
    std::fs::write(
        ws.join("db/migrations/001_customers.sql"),
        "CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);\n",
    )
    .unwrap();
    std::fs::write(ws.join("db/migrations/002_seed.sql"), MIGRATION_2).unwrap();
    let run_here = |steps: Value| {
        let ws = ws.clone();
        async move {
            let mission: Mission = serde_json::from_value(
                json!({"name": "migrate", "config": {"max_concurrent_steps": 1, "fail_fast": false}, "steps": steps}),
            )
            .unwrap();
            run_mission(&mission, RunOptions::new(&ws), &mut studio_engine::NullSink)
                .await
                .unwrap()
        }
    };
    let migrate = json!({"connection": url, "migrations_dir": "db/migrations"});
    let first = run_here(json!([
        step(
            "plan",
            "db_migrate",
            json!({"connection": url, "migrations_dir": "db/migrations", "dry_run": true})
        ),
        step("up", "db_migrate", migrate.clone()),
        step("again", "db_migrate", migrate.clone()),
    ]))
    .await;
    let out = |r: &RunResult, id: &str| {
        assert_eq!(
            r.step_results[id].status,
            StepStatus::Success,
            "{id}: {:?}",
            r.step_results[id]
        );
        r.step_results[id].output.clone()
    };
    assert_eq!(
        out(&first, "plan")["pending"],
        json!(["001_customers.sql", "002_seed.sql"])
    );
    assert_eq!(
        out(&first, "up"),
        json!({"applied": ["001_customers.sql", "002_seed.sql"], "skipped": [], "pending": [],
               "pending_before": 2, "current": "002_seed.sql"})
    );
    assert_eq!(out(&first, "again")["applied"], json!([]));
    assert_eq!(
        out(&first, "again")["skipped"],
        json!(["001_customers.sql", "002_seed.sql"])
    );
    assert_eq!(
        pg_count(&url, "SELECT count(*) FROM customers")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        pg_count(&url, "SELECT count(*) FROM _mission_migrations")
            .await
            .unwrap(),
        2
    );

    std::fs::write(
        ws.join("db/migrations/003_invoices.sql"),
        "CREATE TABLE invoices (id int PRIMARY KEY);\nINSERT INTO invoices VALUES (1);\nINSERT INTO invoices VALUES (1, 'x', 'y');\n",
    )
    .unwrap();
    let second = run_here(json!([step("up", "db_migrate", migrate.clone())])).await;
    let r = &second.step_results["up"];
    assert_eq!(r.status, StepStatus::Failed);
    let error = r.error.clone().unwrap();
    assert!(
        error.starts_with("migration `db/migrations/003_invoices.sql` failed and was rolled back: PostgreSQL: INSERT has more expressions than target columns (SQLSTATE 42601) in `db/migrations/003_invoices.sql` at line 3, column 33"),
        "{error}"
    );
    assert_eq!(r.output["failed"], json!("003_invoices.sql"));
    assert_eq!(r.output["line"], json!(3));
    assert!(
        pg_count(&url, "SELECT count(*) FROM invoices")
            .await
            .is_err(),
        "the failed migration was rolled back"
    );
    assert_eq!(
        pg_count(&url, "SELECT count(*) FROM _mission_migrations")
            .await
            .unwrap(),
        2
    );

    std::fs::write(
        ws.join("db/migrations/003_invoices.sql"),
        "CREATE TABLE invoices (id int PRIMARY KEY);\n",
    )
    .unwrap();
    std::fs::write(ws.join("db/migrations/001_customers.sql"), "-- edited\n").unwrap();
    let third = run_here(json!([step("up", "db_migrate", migrate.clone())])).await;
    let error = third.step_results["up"].error.clone().unwrap_or_default();
    assert!(
        error.contains(
            "migration `db/migrations/001_customers.sql` was changed after it was applied"
        ),
        "{error}"
    );
    assert!(pg_count(&url, "SELECT count(*) FROM invoices")
        .await
        .is_err());
    assert_no_password(&third);
}

// ---------------------------------------------------------------------------------------------
// Redis

#[tokio::test]
async fn redis_values_round_trip_with_their_time_to_live() {
    let redis = services::redis();
    let url = redis.url.clone();
    let ran = run(
        &[],
        json!([
            step(
                "set_text",
                "redis_set",
                json!({"connection": url, "key": "greeting", "value": "hello"})
            ),
            step(
                "set_json",
                "redis_set",
                json!({"url": url, "key": "session:user:123",
                "value": {"user_id": 123, "active": true, "roles": ["a", "b"]}, "ttl": 3600})
            ),
            step(
                "set_seed",
                "redis_set",
                json!({"connection": url, "key": "session:seed",
                "value": "{\"user_id\": 123, \"active\": true}", "expire": 60})
            ),
            step(
                "nx_taken",
                "redis_set",
                json!({"redis_url": url, "key": "greeting", "value": "other", "nx": true})
            ),
            step(
                "nx_free",
                "redis_set",
                json!({"connection": url, "key": "fresh", "value": 42, "nx": true, "ex": 5})
            ),
            step(
                "get_text",
                "redis_get",
                json!({"connection": url, "key": "greeting"})
            ),
            step(
                "get_json",
                "redis_get",
                json!({"connection": url, "key": "session:user:123"})
            ),
            step(
                "get_seed",
                "redis_get",
                json!({"connection": url, "key": "session:seed"})
            ),
            step(
                "get_number",
                "redis_get",
                json!({"connection": url, "key": "fresh"})
            ),
            step(
                "missing",
                "redis_get",
                json!({"connection": url, "key": "nope"})
            ),
            step(
                "zero_ttl",
                "redis_set",
                json!({"connection": url, "key": "z", "value": "v", "ttl": 0})
            ),
        ]),
    )
    .await;
    assert_eq!(
        ran.output("set_text"),
        &json!({"key": "greeting", "set": true, "value": "hello", "ttl": null})
    );
    assert_eq!(
        ran.output("set_json")["value"],
        json!("{\"active\":true,\"roles\":[\"a\",\"b\"],\"user_id\":123}")
    );
    assert_eq!(ran.output("nx_taken")["set"], json!(false));
    assert_eq!(ran.output("nx_free")["set"], json!(true));
    assert_eq!(
        ran.output("get_text"),
        &json!({"key": "greeting", "exists": true, "value": "hello", "json": null, "ttl": null}),
        "nx did not overwrite"
    );
    let get_json = ran.output("get_json");
    assert_eq!(
        get_json["json"],
        json!({"user_id": 123, "active": true, "roles": ["a", "b"]})
    );
    let ttl = get_json["ttl"].as_i64().unwrap();
    assert!(ttl > 0 && ttl <= 3600, "{ttl}");
    assert_eq!(
        ran.output("get_seed")["json"],
        json!({"user_id": 123, "active": true})
    );
    assert_eq!(ran.output("get_number")["json"], json!(42));
    assert_eq!(ran.output("get_number")["value"], json!("42"));
    assert_eq!(
        ran.output("missing"),
        &json!({"key": "nope", "exists": false, "value": null, "json": null, "ttl": null})
    );
    let (error, _) = ran.failure("zero_ttl");
    assert!(error.contains("at least 1 second"), "{error}");

    // Read back outside the engine: the same text and a time to live.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let (text, ttl): (String, i64) = redis::pipe()
        .cmd("GET")
        .arg("session:user:123")
        .cmd("TTL")
        .arg("session:user:123")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["user_id"],
        json!(123)
    );
    assert!(ttl > 0);
    let _: () = redis::cmd("RPUSH")
        .arg("a_list")
        .arg("x")
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: () = redis::cmd("DEL")
        .arg("greeting")
        .arg("session:user:123")
        .arg("session:seed")
        .arg("fresh")
        .query_async(&mut conn)
        .await
        .unwrap();

    let wrong = format!("redis://:wrong-{PASSWORD_IN_URL}@127.0.0.1:{}", redis.port);
    let ran = run_with(
        &[],
        json!([
            step(
                "wrong_type",
                "redis_get",
                json!({"connection": url, "key": "a_list"})
            ),
            step(
                "wrong_password",
                "redis_get",
                json!({"connection": wrong, "key": "k"})
            ),
            step(
                "by_name",
                "redis_set",
                json!({"connection": "cache", "key": "named", "value": "via CACHE_URL"})
            ),
            step(
                "no_name",
                "redis_get",
                json!({"connection": "sessions", "key": "k"})
            ),
        ]),
        &[("CACHE_URL", &url)],
        json!({}),
    )
    .await;
    let (error, _) = ran.failure("wrong_type");
    assert!(error.contains("WRONGTYPE"), "{error}");
    let (error, _) = ran.failure("wrong_password");
    assert!(
        error.contains("redis://:***@127.0.0.1") && !error.contains("wrong-"),
        "{error}"
    );
    assert_eq!(ran.output("by_name")["set"], json!(true));
    let (error, _) = ran.failure("no_name");
    assert!(
        error.contains("the environment variable SESSIONS_URL is not set"),
        "{error}"
    );
    assert_no_password(&ran.result);
    let _: () = redis::cmd("DEL")
        .arg("a_list")
        .arg("named")
        .query_async(&mut conn)
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// The read-only sandbox

#[tokio::test]
async fn the_read_only_sandbox_refuses_external_writes_and_allows_reads() {
    let pg = services::postgres();
    let redis = services::redis();
    let url = pg_database(&pg, "sandbox").await;
    let setup = run(
        &[],
        json!([step(
            "seed",
            "sql_query",
            json!({"connection": url, "multiple_statements": true,
            "query": "CREATE TABLE t (x int); INSERT INTO t VALUES (1);"})
        )]),
    )
    .await;
    setup.output("seed");
    let ran = run_with(
        &[],
        json!([
            step(
                "pg_write",
                "sql_query",
                json!({"connection": url, "query": "INSERT INTO t VALUES (2)"})
            ),
            step(
                "pg_read",
                "sql_query",
                json!({"connection": url, "read_only": true, "query": "SELECT x FROM t"})
            ),
            step(
                "pg_migrate",
                "db_migrate",
                json!({"connection": url, "migrations_dir": "m"})
            ),
            step(
                "redis_write",
                "redis_set",
                json!({"connection": redis.url, "key": "sandboxed", "value": "x"})
            ),
            step(
                "redis_read",
                "redis_get",
                json!({"connection": redis.url, "key": "sandboxed"})
            ),
            step(
                "sqlite_write",
                "sql_query",
                json!({"connection": "sqlite:local.db", "query": "CREATE TABLE y (x int)"})
            ),
            step(
                "by_name",
                "sql_query",
                json!({"connection": "warehouse", "query": "DELETE FROM t"})
            ),
        ]),
        &[("WAREHOUSE_URL", &url)],
        json!({"perimeter": {"sandbox": "read-only"}}),
    )
    .await;
    for id in ["pg_write", "pg_migrate", "redis_write", "by_name"] {
        let (error, _) = ran.failure(id);
        assert!(
            error.contains("read-only sandbox") && error.contains("external side effects"),
            "{id}: {error}"
        );
    }
    assert_eq!(ran.output("pg_read")["rows"], json!([{"x": 1}]));
    assert_eq!(
        ran.output("redis_read")["exists"],
        json!(false),
        "the refused set never ran"
    );
    assert_eq!(
        ran.output("sqlite_write")["rows_affected"],
        json!(0),
        "the workspace may change"
    );
    assert_eq!(
        pg_count(&url, "SELECT count(*) FROM t").await.unwrap(),
        1,
        "nothing was written"
    );
}
