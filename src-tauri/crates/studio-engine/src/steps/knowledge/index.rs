//! The store's vectors in memory, for the cosine half of a search.
//!
//! Reading 10,000 BLOBs from SQLite for every query would cost more than the whole search, so
//! the vectors (one flat `Vec<f32>`), with what ranking needs of their documents (collection,
//! metadata, source), are loaded once and shared by every query of the process. The store's
//! `generation` counter, raised in the transaction of every write, says when they are stale:
//! each query reads it (one indexed row) and reloads when it moved, whichever process wrote.
//! Generation and rows are read in one read transaction, so they match.
//!
//! The last few stores used are kept ([`CACHED_STORES`]); a process uses one in practice (the
//! data folder's), tests use many.

use super::store::from_blob;
use rusqlite::Connection;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How many stores' vectors are kept in memory at once.
const CACHED_STORES: usize = 4;

/// A chunk as ranking sees it.
#[derive(Debug, Clone, Copy)]
pub(super) struct IndexedChunk {
    pub id: i64,
    pub doc: u32,
    pub ordinal: u32,
    /// Where its vector starts in [`VectorIndex::data`]; its length is its collection's.
    offset: usize,
}

#[derive(Debug)]
pub(super) struct IndexedDoc {
    pub key: String,
    pub collection: u32,
    pub source: Option<String>,
    pub metadata: Value,
}

#[derive(Debug)]
pub(super) struct IndexedCollection {
    pub name: String,
    pub embedder: String,
    pub dimensions: usize,
}

/// Every chunk's vector and document, as of one generation of the store.
#[derive(Debug)]
pub(super) struct VectorIndex {
    pub generation: i64,
    /// Sorted by id.
    pub chunks: Vec<IndexedChunk>,
    pub docs: Vec<IndexedDoc>,
    pub collections: Vec<IndexedCollection>,
    data: Vec<f32>,
}

impl VectorIndex {
    pub fn vector(&self, chunk: &IndexedChunk) -> &[f32] {
        let dims = self.collections[self.docs[chunk.doc as usize].collection as usize].dimensions;
        let start = chunk.offset;
        &self.data[start..start + dims]
    }

    /// The position of a chunk id in [`VectorIndex::chunks`].
    pub fn position(&self, id: i64) -> Option<usize> {
        self.chunks.binary_search_by_key(&id, |c| c.id).ok()
    }
}

static CACHE: Mutex<Vec<(PathBuf, Arc<VectorIndex>)>> = Mutex::new(Vec::new());

/// The store's vectors as of now: the cached ones when the store has not changed since.
pub(super) fn current(conn: &Connection, path: &Path) -> rusqlite::Result<Arc<VectorIndex>> {
    // One read transaction: the generation and the rows are of the same moment.
    let tx = conn.unchecked_transaction()?;
    let generation: i64 = tx.query_row(
        "SELECT value FROM store_state WHERE key = 'generation'",
        [],
        |r| r.get(0),
    )?;
    {
        let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, index)) = cache
            .iter()
            .find(|(p, i)| p == path && i.generation == generation)
        {
            return Ok(Arc::clone(index));
        }
    }
    let index = Arc::new(load(&tx, generation)?);
    tx.finish()?;
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    cache.retain(|(p, _)| p != path);
    cache.insert(0, (path.to_path_buf(), Arc::clone(&index)));
    cache.truncate(CACHED_STORES);
    Ok(index)
}

fn load(conn: &Connection, generation: i64) -> rusqlite::Result<VectorIndex> {
    let mut collections = Vec::new();
    let mut collection_at = HashMap::new();
    let mut stmt = conn.prepare("SELECT id, name, embedder, dimensions FROM collections")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        collection_at.insert(r.get::<_, i64>(0)?, collections.len() as u32);
        collections.push(IndexedCollection {
            name: r.get(1)?,
            embedder: r.get(2)?,
            dimensions: r.get::<_, i64>(3)? as usize,
        });
    }
    let mut docs = Vec::new();
    let mut doc_at = HashMap::new();
    let mut stmt =
        conn.prepare("SELECT id, collection_id, doc_key, source, metadata FROM documents")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let Some(&collection) = collection_at.get(&r.get::<_, i64>(1)?) else {
            continue;
        };
        doc_at.insert(r.get::<_, i64>(0)?, docs.len() as u32);
        let metadata: String = r.get(4)?;
        docs.push(IndexedDoc {
            key: r.get(2)?,
            collection,
            source: r.get(3)?,
            metadata: serde_json::from_str(&metadata).unwrap_or(Value::Null),
        });
    }
    let mut chunks = Vec::new();
    let mut data = Vec::new();
    let mut stmt =
        conn.prepare("SELECT id, document_id, ordinal, embedding FROM chunks ORDER BY id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let Some(&doc) = doc_at.get(&r.get::<_, i64>(1)?) else {
            continue;
        };
        let dims = collections[docs[doc as usize].collection as usize].dimensions;
        let blob = r.get_ref(3)?.as_blob()?;
        let offset = data.len();
        data.extend(from_blob(blob).chain(std::iter::repeat(0.0)).take(dims));
        chunks.push(IndexedChunk {
            id: r.get(0)?,
            doc,
            ordinal: r.get::<_, i64>(2)? as u32,
            offset,
        });
    }
    Ok(VectorIndex {
        generation,
        chunks,
        docs,
        collections,
        data,
    })
}
