//! The database family: SQL on SQLite and PostgreSQL, backups, migrations, Redis.
//!
//! Each type is one file; [`Kind`] lists them for the dispatcher in `steps/mod.rs`. What they
//! share: `target.rs` (what `connection` names, workspace paths, password masking), `sqlite.rs`,
//! `pg.rs` with `pg_values.rs`, and `redis_conn.rs`.

mod db_backup;
mod db_migrate;
mod pg;
mod pg_values;
mod redis_conn;
mod redis_get;
mod redis_set;
mod sql_query;
mod sqlite;
mod target;

use super::{Failure, StepCtx, StepOutput};
use crate::tools::SideEffects;
use serde_json::Value;

/// The step types of this family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    SqlQuery,
    DbBackup,
    DbMigrate,
    RedisSet,
    RedisGet,
}

/// Each type's name, as missions write it.
pub(crate) const KINDS: &[(&str, Kind)] = &[
    ("sql_query", Kind::SqlQuery),
    ("db_backup", Kind::DbBackup),
    ("db_migrate", Kind::DbMigrate),
    ("redis_set", Kind::RedisSet),
    ("redis_get", Kind::RedisGet),
];

/// What a step of this type changes, given its parameters (the gate, the sandbox and approvals
/// read it).
///
/// - `sql_query`: none with `read_only: true` (or a scratch `sqlite::memory:` database); the
///   workspace for a SQLite file; external for PostgreSQL, and for a bare name, which may stand
///   for a server (its `<NAME>_URL` variable).
/// - `db_backup`: the workspace (it only reads the database and writes the backup file there).
/// - `db_migrate`: as `sql_query`; none with `dry_run: true`.
/// - `redis_set`: external; `redis_get`: none.
pub(crate) fn side_effects(kind: Kind, params: &Value) -> SideEffects {
    let flag = |name: &str| {
        matches!(params.get(name), Some(Value::Bool(true)))
            || params.get(name).and_then(Value::as_str) == Some("true")
    };
    match kind {
        Kind::SqlQuery if flag("read_only") => SideEffects::None,
        Kind::DbMigrate if flag("dry_run") => SideEffects::None,
        Kind::SqlQuery | Kind::DbMigrate => target::write_effects(params),
        Kind::DbBackup => SideEffects::Workspace,
        Kind::RedisSet => SideEffects::External,
        Kind::RedisGet => SideEffects::None,
    }
}

pub(crate) async fn run(kind: Kind, params: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    match kind {
        Kind::SqlQuery => sql_query::run(params, ctx).await,
        Kind::DbBackup => db_backup::run(params, ctx).await,
        Kind::DbMigrate => db_migrate::run(params, ctx).await,
        Kind::RedisSet => redis_set::run(params, ctx).await,
        Kind::RedisGet => redis_get::run(params, ctx).await,
    }
}
