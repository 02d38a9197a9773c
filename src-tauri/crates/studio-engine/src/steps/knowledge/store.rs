//! The knowledge store: one SQLite file of collections, documents and their chunks, each chunk
//! with its vector (a BLOB of little-endian `f32`) and a row in an FTS5 index (`schema.sql`).
//!
//! The file is shared by every run of the app and the CLI, and several steps may use it at
//! once: it is in WAL mode (readers never wait for the writer), every connection waits up to
//! [`BUSY_TIMEOUT`] for a lock instead of failing, and a write takes the write lock before it
//! reads anything (`BEGIN IMMEDIATE`), so two `rag_add` of the same document cannot interleave.
//! The schema is versioned with `PRAGMA user_version`; a file written by a newer build is
//! refused rather than misread.

use super::chunk::Chunk;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The schema this build writes and reads.
pub const SCHEMA_VERSION: i64 = 1;
/// How long a connection waits for another one's lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// The store's file name in the data folder.
pub const FILE_NAME: &str = "knowledge.db";

const SCHEMA_V1: &str = include_str!("schema.sql");

/// Why the store could not do something.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the folder of the knowledge store {path}: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("knowledge store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the knowledge store {path} was written by a newer Mission Studio (schema version {found}; this one reads up to {SCHEMA_VERSION})")]
    Newer { path: PathBuf, found: i64 },
    #[error("collection `{collection}` holds vectors of `{stored}` ({stored_dimensions} dimensions), but this step embeds with `{given}` ({given_dimensions} dimensions): give the same `provider`, `model` and `dimensions`, or use another collection")]
    EmbedderMismatch {
        collection: String,
        stored: String,
        stored_dimensions: usize,
        given: String,
        given_dimensions: usize,
    },
    #[error("the knowledge store has no collection `{name}`{}", known_note(.known))]
    NoCollection { name: String, known: Vec<String> },
}

fn known_note(known: &[String]) -> String {
    if known.is_empty() {
        " (it has none yet: `rag_add` creates one)".to_string()
    } else {
        format!(" (it has: {})", known.join(", "))
    }
}

/// Which embedder made a collection's vectors: `provider/model` and the vector length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedderId {
    pub name: String,
    pub dimensions: usize,
}

/// A document to add, cut and embedded.
#[derive(Debug)]
pub struct NewDocument<'a> {
    pub collection: &'a str,
    pub id: &'a str,
    pub source: Option<&'a str>,
    pub metadata: &'a Map<String, Value>,
    pub content: &'a str,
    pub chunks: &'a [Chunk],
    /// One per chunk, of `embedder.dimensions` numbers.
    pub vectors: &'a [Vec<f32>],
    pub embedder: &'a EmbedderId,
}

/// A collection as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionInfo {
    pub name: String,
    pub embedder: EmbedderId,
}

/// An open store.
pub struct KnowledgeStore {
    pub(super) conn: Connection,
    pub(super) path: PathBuf,
}

impl std::fmt::Debug for KnowledgeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnowledgeStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl KnowledgeStore {
    /// Opens the store, creating the file (and its folder) and the schema when missing.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        {
            // Steps of one run often open a new store together; the first sets it up while
            // the others wait here rather than on SQLite, which answers "locked" at once to
            // a journal-mode change that races another connection.
            let _first = SETTING_UP.lock().unwrap_or_else(|e| e.into_inner());
            let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                retry_busy(|| {
                    conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| {
                        r.get::<_, String>(0)
                    })
                })?;
            }
            migrate(&mut conn, path)?;
        }
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every collection, by name.
    pub fn collections(&self) -> Result<Vec<CollectionInfo>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, embedder, dimensions FROM collections ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok(CollectionInfo {
                name: r.get(0)?,
                embedder: EmbedderId {
                    name: r.get(1)?,
                    dimensions: r.get::<_, i64>(2)? as usize,
                },
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Refuses a search whose embedder is not the one of the collections it would read:
    /// `collection` alone, or every collection. Checked before the query is embedded, so a
    /// mismatch costs no model call. Dimensions are compared when `dimensions` is known.
    pub fn check_scope(
        &self,
        collection: Option<&str>,
        embedder: &str,
        dimensions: Option<usize>,
    ) -> Result<(), StoreError> {
        let all = self.collections()?;
        let in_scope: Vec<&CollectionInfo> = match collection {
            Some(name) => match all.iter().find(|c| c.name == name) {
                Some(c) => vec![c],
                None => {
                    return Err(StoreError::NoCollection {
                        name: name.to_string(),
                        known: all.iter().map(|c| c.name.clone()).collect(),
                    })
                }
            },
            None => all.iter().collect(),
        };
        for c in in_scope {
            let same_dims = dimensions.is_none_or(|d| d == c.embedder.dimensions);
            if c.embedder.name != embedder || !same_dims {
                return Err(StoreError::EmbedderMismatch {
                    collection: c.name.clone(),
                    stored: c.embedder.name.clone(),
                    stored_dimensions: c.embedder.dimensions,
                    given: embedder.to_string(),
                    given_dimensions: dimensions.unwrap_or(c.embedder.dimensions),
                });
            }
        }
        Ok(())
    }

    /// Adds a document, replacing the one of the same id in its collection; returns whether one
    /// was replaced. One transaction: readers see the old document or the new one, never half.
    pub fn add(&mut self, doc: &NewDocument<'_>) -> Result<bool, StoreError> {
        debug_assert_eq!(doc.chunks.len(), doc.vectors.len());
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<(i64, String, i64)> = tx
            .query_row(
                "SELECT id, embedder, dimensions FROM collections WHERE name = ?1",
                [doc.collection],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let collection_id = match existing {
            Some((id, embedder, dims)) => {
                if embedder != doc.embedder.name || dims as usize != doc.embedder.dimensions {
                    return Err(StoreError::EmbedderMismatch {
                        collection: doc.collection.to_string(),
                        stored: embedder,
                        stored_dimensions: dims as usize,
                        given: doc.embedder.name.clone(),
                        given_dimensions: doc.embedder.dimensions,
                    });
                }
                id
            }
            None => {
                tx.execute(
                    "INSERT INTO collections (name, embedder, dimensions, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![doc.collection, doc.embedder.name, doc.embedder.dimensions as i64, now],
                )?;
                tx.last_insert_rowid()
            }
        };
        // The chunks go with the document (ON DELETE CASCADE), their index rows with them
        // (trigger).
        let replaced = tx.execute(
            "DELETE FROM documents WHERE collection_id = ?1 AND doc_key = ?2",
            params![collection_id, doc.id],
        )? > 0;
        let sha = hex(&Sha256::digest(doc.content.as_bytes()));
        tx.execute(
            "INSERT INTO documents (collection_id, doc_key, source, metadata, content_sha256, characters, added_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                collection_id,
                doc.id,
                doc.source,
                Value::Object(doc.metadata.clone()).to_string(),
                sha,
                doc.content.chars().count() as i64,
                now
            ],
        )?;
        let document_id = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO chunks (document_id, ordinal, start_char, content, embedding) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (ordinal, (chunk, vector)) in doc.chunks.iter().zip(doc.vectors).enumerate() {
                let mut v = vector.clone();
                super::local_embedder::normalize(&mut v);
                insert.execute(params![
                    document_id,
                    ordinal as i64,
                    chunk.start as i64,
                    chunk.text,
                    to_blob(&v)
                ])?;
            }
        }
        bump_generation(&tx)?;
        tx.commit()?;
        Ok(replaced)
    }
}

/// Held while a connection checks the journal mode and the schema.
static SETTING_UP: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `op` again while SQLite answers "busy" without waiting (a journal-mode change racing
/// another process), for at most [`BUSY_TIMEOUT`].
fn retry_busy<T>(mut op: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match op() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Marks a change for readers that cache the vectors ([`super::index`]).
fn bump_generation(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE store_state SET value = value + 1 WHERE key = 'generation'",
        [],
    )
    .map(|_| ())
}

/// Creates the schema on a new file; refuses a newer one. The version is read and the schema
/// created under the write lock, so two processes opening a new file at once cannot both
/// create it.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::Newer {
            path: path.to_path_buf(),
            found,
        });
    }
    if found < 1 {
        tx.execute_batch(SCHEMA_V1)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    tx.commit()?;
    Ok(())
}

/// A vector as stored: little-endian `f32`s.
pub fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The vector of a stored BLOB (trailing bytes that make no whole `f32` are ignored).
pub fn from_blob(bytes: &[u8]) -> impl Iterator<Item = f32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedder(name: &str, dimensions: usize) -> EmbedderId {
        EmbedderId {
            name: name.into(),
            dimensions,
        }
    }

    fn add(store: &mut KnowledgeStore, collection: &str, id: &str, e: &EmbedderId) -> bool {
        let chunks = vec![Chunk {
            text: format!("text of {id}"),
            start: 0,
        }];
        let vectors = vec![vec![1.0; e.dimensions]];
        store
            .add(&NewDocument {
                collection,
                id,
                source: None,
                metadata: &Map::new(),
                content: "text",
                chunks: &chunks,
                vectors: &vectors,
                embedder: e,
            })
            .unwrap()
    }

    #[test]
    fn a_new_file_gets_the_schema_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/knowledge.db");
        let store = KnowledgeStore::open(&path).unwrap();
        let version: i64 = store
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let mode: String = store
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(store);
        KnowledgeStore::open(&path).expect("opens again");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 9).unwrap();
        drop(conn);
        let e = KnowledgeStore::open(&path).unwrap_err();
        assert!(matches!(e, StoreError::Newer { found: 9, .. }), "{e}");
    }

    #[test]
    fn re_adding_an_id_replaces_it_and_its_index_rows() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = KnowledgeStore::open(&dir.path().join("k.db")).unwrap();
        let e = embedder("local/m", 4);
        assert!(!add(&mut store, "c", "a", &e));
        assert!(add(&mut store, "c", "a", &e), "the same id replaces");
        assert!(!add(&mut store, "other", "a", &e), "ids are per collection");
        let count = |sql: &str| -> i64 { store.conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT count(*) FROM documents"), 2);
        assert_eq!(count("SELECT count(*) FROM chunks"), 2);
        assert_eq!(count("SELECT count(*) FROM chunks_fts"), 2);
        assert_eq!(
            count("SELECT value FROM store_state WHERE key = 'generation'"),
            3
        );
        let err = store
            .add(&NewDocument {
                collection: "c",
                id: "b",
                source: None,
                metadata: &Map::new(),
                content: "x",
                chunks: &[],
                vectors: &[],
                embedder: &embedder("openai/e3", 4),
            })
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("collection `c` holds vectors of `local/m`"),
            "{err}"
        );
        assert!(store.check_scope(Some("c"), "local/m", Some(4)).is_ok());
        assert!(store.check_scope(None, "local/m", Some(5)).is_err());
        let e = store
            .check_scope(Some("nope"), "local/m", None)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the knowledge store has no collection `nope` (it has: c, other)"
        );
    }

    #[test]
    fn vectors_round_trip_as_little_endian_floats() {
        let v = [1.5f32, -0.25, 3.0e-7];
        let blob = to_blob(&v);
        assert_eq!(&blob[..4], &1.5f32.to_le_bytes());
        assert_eq!(from_blob(&blob).collect::<Vec<_>>(), v);
    }
}
