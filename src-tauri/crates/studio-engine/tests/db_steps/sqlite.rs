//! `sql_query`, `db_backup` and `db_migrate` on SQLite files in the workspace.

use super::*;

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
