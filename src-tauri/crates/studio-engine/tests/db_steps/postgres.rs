//! `sql_query`, `db_backup` (pg_dump) and `db_migrate` on the private PostgreSQL, and unreachable servers.

use super::*;

// ---------------------------------------------------------------------------------------------
// PostgreSQL

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
            step("overflow", "sql_query", json!({"connection": url,
                "query": "SELECT $1::int2 AS small", "parameters": [70000]})),
            step("point_param", "sql_query", json!({"connection": url,
                "query": "SELECT $1::point AS spot", "parameters": ["(1,2)"]})),
            step("point_column", "sql_query", json!({"connection": url,
                "query": "SELECT point(1, 2) AS spot"})),
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
    let (error, _) = ran.failure("overflow");
    assert!(
        error.contains("parameter $1: 70000 does not fit in `int2`"),
        "{error}"
    );
    let (error, _) = ran.failure("point_param");
    assert!(error.contains("parameter $1: placeholders of type `point` are not sent by sql_query; cast the placeholder in the query (`$n::text::point`)"), "{error}");
    let (error, _) = ran.failure("point_column");
    assert!(error.contains("cannot read column `spot`: values of type `point` are not read by sql_query; cast the column to text in the query"), "{error}");
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

#[tokio::test]
async fn a_timed_out_query_is_cancelled_on_the_server() {
    let pg = services::postgres();
    let url = pg_database(&pg, "cancelling").await;
    let ran = run(
        &[],
        json!([
            {"id": "slow", "step_type": "sql_query", "timeout_seconds": 1,
             "parameters": {"connection": url, "query": "SELECT pg_sleep(600), 'slow-query-marker'"}},
            step("tls", "sql_query", json!({"connection": format!("{url}?sslmode=require"), "query": "SELECT 1"})),
        ]),
    )
    .await;
    let (error, _) = ran.failure("slow");
    assert!(error.contains("timed out"), "{error}");
    let (error, _) = ran.failure("tls");
    assert!(
        error.contains("asks for TLS (`sslmode=require`)"),
        "{error}"
    );
    // The server was asked to cancel the statement: it stops running (waiting for that is not
    // a timing assertion; the deadline only bounds a broken cancel).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let running = pg_count(
            &url,
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%slow-query-marker%' AND pid <> pg_backend_pid()",
        )
        .await
        .unwrap();
        if running == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the timed-out statement still runs on the server"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
