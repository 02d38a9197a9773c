//! Opening the database: the version guard, the migrations and the connection settings, which
//! are read back and checked at every open.

use crate::migrations::{migrations, SCHEMA_VERSION};
use crate::StoreError;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a writer waits for another process's write transaction before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The page cache of a connection, in KiB (SQLite's negative `cache_size`).
const CACHE_SIZE_KIB: i64 = -32 * 1024;

/// An open history database (one connection; not shared between threads).
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, refuses one written by a newer build,
    /// applies pending migrations, and checks the connection settings:
    ///
    /// * `journal_mode=WAL`: readers never block the writer, and a commit is one append;
    /// * `synchronous=NORMAL`: in WAL mode a commit survives the crash of the process (what the
    ///   recovery and the crash test rely on); only a power cut or an OS crash may lose the last
    ///   commits, never corrupt the file (see the README for why not FULL);
    /// * `foreign_keys=ON`, `busy_timeout` = [`BUSY_TIMEOUT`];
    /// * no checkpoint when a connection closes (the automatic checkpoint does it).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let open_err = |source: rusqlite::Error| {
            if source.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
                return StoreError::DiskFull;
            }
            StoreError::Open {
                path: path.clone(),
                source,
            }
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Open {
                path: path.clone(),
                source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
            })?;
        }
        let mut conn = Connection::open(&path).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        guard_version(&conn, &path)?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        // A page cache that holds a large run's indexes (the default is 2 MB): index inserts
        // then never read pages back from the file.
        conn.pragma_update(None, "cache_size", CACHE_SIZE_KIB)
            .map_err(open_err)?;
        // Checkpoint (copy the WAL into the file, with an fsync) every 32 MB of WAL instead of
        // every 4 MB: a burst of commits then rewrites far fewer pages.
        conn.pragma_update(None, "wal_autocheckpoint", 8192)
            .map_err(open_err)?;
        // After a checkpoint lets the WAL start over, cut a file grown past 32 MB (one large
        // transaction, a reader that held the checkpoint back) down to that size: the WAL
        // keeps the space it needs between checkpoints, never more.
        conn.pragma_update(None, "journal_size_limit", 32 * 1024 * 1024)
            .map_err(open_err)?;
        // Closing the connection does not checkpoint: the WAL stays for the next process and
        // is copied into the file by the automatic checkpoint above. A short-lived process (a
        // `mission run` of a few steps) then ends without the checkpoint's fsyncs, the
        // removal of the WAL and its re-creation by the next process (each a synced write);
        // every commit is as safe as before (WAL, `synchronous=NORMAL`).
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )
        .map_err(open_err)?;
        migrate(&mut conn, &path)?;
        let store = Self { conn, path };
        store.verify_settings()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the file (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// `PRAGMA integrity_check`: `["ok"]` for a sound file, else the problems found.
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Reads the settings back: a setting that did not take is an error, not a surprise later.
    fn verify_settings(&self) -> Result<(), StoreError> {
        let text = |name: &str| -> Result<String, StoreError> {
            Ok(self
                .conn
                .pragma_query_value(None, name, |r| r.get::<_, rusqlite::types::Value>(0))
                .map(|v| match v {
                    rusqlite::types::Value::Integer(i) => i.to_string(),
                    rusqlite::types::Value::Text(t) => t.to_lowercase(),
                    other => format!("{other:?}"),
                })?)
        };
        let busy_ms = BUSY_TIMEOUT.as_millis().to_string();
        let wanted: [(&'static str, &str); 4] = [
            ("journal_mode", "wal"),
            ("synchronous", "1"), // NORMAL
            ("foreign_keys", "1"),
            ("busy_timeout", &busy_ms),
        ];
        for (setting, want) in wanted {
            let got = text(setting)?;
            if got != want {
                return Err(StoreError::Setting {
                    path: self.path.clone(),
                    setting,
                    wanted: want.to_string(),
                    got,
                });
            }
        }
        let version = self.schema_version()?;
        if version != SCHEMA_VERSION {
            return Err(StoreError::Migration {
                path: self.path.clone(),
                message: format!(
                    "schema version {version} after migrating, expected {SCHEMA_VERSION}"
                ),
            });
        }
        Ok(())
    }
}

/// Applies pending migrations, one process at a time. `rusqlite_migration` reads the version
/// before its (deferred) transaction, so two processes opening a new file together (the app
/// and a CLI, 4 CLIs) would both apply migration 1 and one would fail ("table already
/// exists"). A lock file beside the database (`<db>.migrate-lock`, `flock`: released when the
/// process dies) serialises them; the version is read again once the lock is held.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let migration_err = |message: String| StoreError::Migration {
        path: path.to_path_buf(),
        message,
    };
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| migration_err(e.to_string()))?;
    if version >= SCHEMA_VERSION {
        return Ok(());
    }
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".migrate-lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| migration_err(format!("cannot open the migration lock: {e}")))?;
    lock.lock()
        .map_err(|e| migration_err(format!("cannot take the migration lock: {e}")))?;
    let migrated = migrations()
        .to_latest(conn)
        .map_err(|e| migration_err(e.to_string()));
    let _ = lock.unlock();
    migrated
}

/// An older build must not touch a database a newer one migrated: it would not know the new
/// columns' rules. Checked before anything is written.
fn guard_version(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let found: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
            app_version: studio_core::VERSION,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_file_is_migrated_to_the_current_version_with_every_table() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("h.db")).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let tables: Vec<String> = store
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for table in [
            "active_missions",
            "approvals",
            "audit_log",
            "batch_jobs",
            "events",
            "mission_templates",
            "review_flags",
            "run_index",
            "run_index_docs",
            "runs",
            "step_results",
        ] {
            assert!(
                tables.iter().any(|t| t == table),
                "table {table} in {tables:?}"
            );
        }
        assert_eq!(store.integrity_check().unwrap(), vec!["ok"]);
    }
}
