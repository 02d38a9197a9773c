//! Database step types: SQL, backups, migrations, Redis.

use super::*;

const SQL_CONNECTION_DOC: &str = "the database: `sqlite:<path>`, `sqlite://<path>` or a path (a SQLite file inside the workspace; `sqlite::memory:` for a scratch database); `postgres://user:password@host:port/db` (or `postgresql://`); or a bare name such as `sales_db`, which is the environment variable `SALES_DB_URL` when it is set, else the first existing workspace file of `sales_db`, `sales_db.db`, `sales_db.sqlite`, `sales_db.sqlite3` (the sandbox judges a bare name as a server). Passwords are masked (`***`) in every output and message";
const REDIS_CONNECTION_DOC: &str = "the server: `redis://[:password@]host[:port][/db]`, or a bare name such as `cache` for the environment variable `CACHE_URL` (default: the environment variable `REDIS_URL`, else `redis://127.0.0.1:6379`); the password is masked in every output and message";
const REDIS_ALIASES: &[(&str, &str)] = &[("url", "connection"), ("redis_url", "connection")];

pub(super) const STEPS: &[StepParams] = &[
    StepParams {
        step_type: "sql_query",
        summary: "Runs one SQL statement on SQLite (a file in the workspace) or PostgreSQL; its `parameters` are always bound to placeholders, never spliced into the text. Values keep their JSON types (numbers, text, booleans, null; blobs as base64; PostgreSQL numeric, date and time values as text with the column's type named). A bad statement fails with the database's own message and its line and column. Several statements run only with `multiple_statements: true`. PostgreSQL is reached without TLS for now (`sslmode=require` is refused). Side effects: none with `read_only: true`, the workspace for SQLite, external for PostgreSQL.",
        params: &[
            req("connection", ParamType::String, SQL_CONNECTION_DOC),
            req("query", ParamType::String, "the SQL statement, with placeholders for values: `$1`, `$2`… for PostgreSQL, `?`, `?1`… (or `:name`) for SQLite"),
            opt("parameters", ParamType::Any, "the values bound to the placeholders, in order (a list); SQLite also takes a mapping for `:name` placeholders. Strings, numbers, booleans and null bind as themselves, lists and mappings as their JSON text; PostgreSQL converts each to the placeholder's type (write `$1::text` to choose it)"),
            opt("read_only", ParamType::Bool, "run in a read-only transaction (PostgreSQL `READ ONLY`; SQLite opened read-only): any write fails, and the step has no side effects (default false)"),
            opt("max_rows", ParamType::PositiveInteger, "most rows kept in the output (default 1000); `truncated` says whether there were more"),
            opt("output_format", ParamType::Choice(&["json", "csv"]), "the format of `output_file` (default: csv for a `.csv` file, else json); csv needs `output_file`"),
            opt("output_file", ParamType::String, "also write the rows to this workspace file: json (a list of row objects) or csv (a header row, then one line per row)"),
            opt("multiple_statements", ParamType::Bool, "run a script of several `;`-separated statements in order, in one transaction; it takes no `parameters` and returns no rows (`rows_affected` is the total) (default false: a second statement is refused)"),
        ],
        any_parameters: false,
        rules: NO_RULES,
        aliases: &[("database_url", "connection"), ("params", "parameters"), ("sql", "query")],
        output: &[
            out("columns", "[{name, type}]: each result column and its type as the database names it (SQLite: the declared type, else the storage class of its first value, else null)"),
            out("rows", "[{<column>: value}], at most `max_rows`; a column name that repeats gets `_2`, `_3`… (`id`, `id_2`)"),
            out("row_count", "how many rows are in `rows`"),
            out("truncated", "whether the statement returned more than `max_rows` rows"),
            out("rows_affected", "rows inserted, updated or deleted by a statement that returns no rows (0 for DDL); null for a statement that returns rows (see `row_count`)"),
            out("output_file", "the workspace file written, or null"),
        ],
        output_is_parameters: false,
    },
    StepParams {
        step_type: "db_backup",
        summary: "Backs a database up into a workspace file: SQLite through its online backup API (a consistent copy while others use it), PostgreSQL with `pg_dump` (the password passed in `PGPASSWORD`, never on the command line). Side effects: the workspace.",
        params: &[
            req("connection", ParamType::String, SQL_CONNECTION_DOC),
            req("destination", ParamType::String, "the backup file, inside the workspace (parent folders are created)"),
            opt("format", ParamType::Choice(&["sqlite", "plain", "custom"]), "`sqlite` (a SQLite database file; the only format for SQLite), `plain` (an SQL script, the default for PostgreSQL) or `custom` (`pg_dump -Fc`, for `pg_restore`)"),
            opt("overwrite", ParamType::Bool, "replace an existing destination (default true)"),
        ],
        any_parameters: false,
        rules: NO_RULES,
        aliases: &[
            ("database_url", "connection"),
            ("source", "connection"),
            ("backup_path", "destination"),
        ],
        output: &[
            out("source", "the database backed up (password masked)"),
            out("destination", "the workspace file written"),
            out("bytes", "its size in bytes"),
            out("tables", "the tables in the backup: SQLite [{name, rows}]; PostgreSQL plain [{name}] (schema-qualified); null for the custom format"),
            out("format", "sqlite, plain or custom"),
        ],
        output_is_parameters: false,
    },
    StepParams {
        step_type: "db_migrate",
        summary: "Applies a workspace folder of `.sql` files to SQLite or PostgreSQL, in order of their numeric prefix, then name (`001_init.sql`, `002_users.sql`, `10_more.sql`). Each file runs in its own transaction with its row in the tracking table (name, SHA-256 checksum, applied_at), so a re-run applies nothing; a file changed after it was applied is refused by name before anything runs; a failing file is rolled back and named with the database's message. PostgreSQL is reached without TLS for now. Side effects: the workspace for SQLite, external for PostgreSQL, none with `dry_run`.",
        params: &[
            req("connection", ParamType::String, SQL_CONNECTION_DOC),
            req("migrations_dir", ParamType::String, "the folder of `.sql` files, inside the workspace (other files are ignored)"),
            opt("table", ParamType::String, "the tracking table (default `_mission_migrations`; letters, digits and `_`)"),
            opt("dry_run", ParamType::Bool, "apply nothing: check the checksums and list what is pending (default false)"),
            opt("direction", ParamType::Choice(&["up"]), "only `up`: migrations are applied forward, never undone"),
        ],
        any_parameters: false,
        rules: NO_RULES,
        aliases: &[
            ("database_url", "connection"),
            ("path", "migrations_dir"),
            ("migration_dir", "migrations_dir"),
            ("migration_path", "migrations_dir"),
        ],
        output: &[
            out("applied", "the files applied by this run, in order"),
            out("skipped", "the files that were already applied (their checksums match)"),
            out("pending", "the files still to apply (only with `dry_run`; otherwise empty)"),
            out("pending_before", "how many files were pending when the step started"),
            out("current", "the last applied file, or null when none is"),
        ],
        output_is_parameters: false,
    },
    StepParams {
        step_type: "redis_set",
        summary: "Sets a Redis key (`SET`), optionally with a time to live and only when absent (`NX`). Side effects: external.",
        params: &[
            opt("connection", ParamType::String, REDIS_CONNECTION_DOC),
            req("key", ParamType::String, "the key"),
            req("value", ParamType::Any, "a string is stored as is; any other value as its JSON text"),
            opt("ttl", ParamType::PositiveInteger, "seconds until the key expires (default: never)"),
            opt("nx", ParamType::Bool, "set the key only when it does not exist yet (default false); `set` says whether it was"),
        ],
        any_parameters: false,
        rules: NO_RULES,
        aliases: &[
            ("url", "connection"),
            ("redis_url", "connection"),
            ("expire", "ttl"),
            ("ex", "ttl"),
        ],
        output: &[
            out("key", "the key"),
            out("set", "whether the value was stored (false only with `nx` when the key existed)"),
            out("value", "the text stored (or offered, when `set` is false)"),
            out("ttl", "the time to live set, in seconds, or null"),
        ],
        output_is_parameters: false,
    },
    StepParams {
        step_type: "redis_get",
        summary: "Reads a Redis string key (`GET`) and its time to live; a missing key succeeds with `exists: false`. Side effects: none.",
        params: &[
            opt("connection", ParamType::String, REDIS_CONNECTION_DOC),
            req("key", ParamType::String, "the key"),
        ],
        any_parameters: false,
        rules: NO_RULES,
        aliases: REDIS_ALIASES,
        output: &[
            out("key", "the key"),
            out("exists", "whether the key exists"),
            out("value", "its value as text (bytes that are not UTF-8 are replaced by U+FFFD), or null"),
            out("json", "the value parsed as JSON, or null when it is not JSON"),
            out("ttl", "seconds until it expires, or null when it never does (or does not exist)"),
        ],
        output_is_parameters: false,
    },
];
