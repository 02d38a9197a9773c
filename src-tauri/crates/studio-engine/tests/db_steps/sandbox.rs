//! The read-only sandbox with the database steps.

use super::*;

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
            {"id": "sqlite_backup", "step_type": "db_backup", "depends_on": ["sqlite_write"],
             "parameters": {"connection": "sqlite:local.db", "destination": "copy.db"}},
            step(
                "pg_backup",
                "db_backup",
                json!({"connection": url, "destination": "dump.sql"})
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
    // Backups only write the workspace: allowed. pg_dump runs confined like every program, and
    // where the kernel also confines the network it cannot reach the server: said plainly.
    assert_eq!(
        ran.output("sqlite_backup")["tables"],
        json!([{"name": "y", "rows": 0}])
    );
    let landlock = studio_engine::sandbox::support();
    if landlock.network {
        let (error, _) = ran.failure("pg_backup");
        assert!(
            error.contains("pg_dump cannot reach") && error.contains("full-access"),
            "{error}"
        );
    } else if landlock.enforced {
        ran.output("pg_backup");
    }
}
