//! What can go wrong with the history database. Callers match on the variants; the API edge
//! turns them into `{code, message}`.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the history database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The database was written by a newer build (its schema version is ahead of ours).
    #[error(
        "the history database {path} has schema version {found}, but this build of Mission \
         Studio ({app_version}) understands versions up to {supported}: it was written by a newer \
         Mission Studio. Update Mission Studio, or use another data folder (--data-dir or \
         MISSION_STUDIO_DATA_DIR); the database was left untouched"
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
        app_version: &'static str,
    },
    #[error("cannot migrate the history database {path}: {message}")]
    Migration { path: PathBuf, message: String },
    /// A connection setting did not take (e.g. WAL on a file system that cannot share memory).
    #[error(
        "the history database {path} refused the setting {setting} (wanted {wanted}, got {got})"
    )]
    Setting {
        path: PathBuf,
        setting: &'static str,
        wanted: String,
        got: String,
    },
    #[error("history database error: {0}")]
    Sqlite(rusqlite::Error),
    /// SQLITE_FULL: the device holding the database is full. The transaction was rolled back;
    /// the file is intact.
    #[error(
        "disk full: the history database cannot grow (no space left on the device holding the \
         data folder); free some space and run again"
    )]
    DiskFull,
    /// SQLITE_BUSY that outlasted the busy timeout and the retries: another process held the
    /// database's write lock the whole time.
    #[error("the history database stayed locked by another process for {waited_ms} ms; try again")]
    Busy { waited_ms: u64 },
    /// The same idempotency key arrived with a different payload.
    #[error("event `{key}` is already recorded with a different payload")]
    IdempotencyConflict { key: String },
    /// Another event already holds this run's sequence number.
    #[error("run {run_id} already has an event with seq {seq} (a different one)")]
    SeqConflict { run_id: String, seq: u64 },
    /// A run already has its final event; a second one is refused.
    #[error("run {run_id} already has its final event; `{key}` would be a second one")]
    SecondFinal { run_id: String, key: String },
    #[error("no run with id `{0}` in the history")]
    UnknownRun(String),
    #[error("cannot read the stored {what}: {message}")]
    Corrupt { what: &'static str, message: String },
    #[error("the history writer stopped: {0}")]
    WriterStopped(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => Self::DiskFull,
            _ => Self::Sqlite(e),
        }
    }
}

impl StoreError {
    pub(crate) fn corrupt(what: &'static str, e: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            what,
            message: e.to_string(),
        }
    }
}
