-- The knowledge store, version 1. Applied once, in one transaction, by store.rs.

-- A named set of documents; every vector in it comes from one embedder.
CREATE TABLE IF NOT EXISTS collections (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    -- `provider/model`, e.g. `local/local-lexical-v1` or `openai/text-embedding-3-small`.
    embedder    TEXT NOT NULL,
    dimensions  INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS documents (
    id             INTEGER PRIMARY KEY,
    collection_id  INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    -- The mission's id for the document, unique in its collection.
    doc_key        TEXT NOT NULL,
    source         TEXT,
    -- A JSON object.
    metadata       TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    characters     INTEGER NOT NULL,
    added_at       TEXT NOT NULL,
    UNIQUE (collection_id, doc_key)
);

CREATE TABLE IF NOT EXISTS chunks (
    id           INTEGER PRIMARY KEY,
    document_id  INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal      INTEGER NOT NULL,
    -- Where the chunk starts in its document, in characters.
    start_char   INTEGER NOT NULL,
    content      TEXT NOT NULL,
    -- L2-normalised, little-endian f32, `dimensions` of them.
    embedding    BLOB NOT NULL,
    UNIQUE (document_id, ordinal)
);

-- Keyword search over the chunks: its rowid is the chunk's id. Porter stemming on top of
-- Unicode word splitting (accents folded), so "rotate" finds "rotation" and "café" finds "cafe".
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    content,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- The search index follows the chunks, whatever removes them (a replaced document, a cascade).
CREATE TRIGGER IF NOT EXISTS chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks BEGIN
    DELETE FROM chunks_fts WHERE rowid = old.id;
END;

-- `generation` grows with every change: readers that keep the vectors in memory reload them
-- when it moved, whichever process wrote.
CREATE TABLE IF NOT EXISTS store_state (
    key    TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
);
INSERT OR IGNORE INTO store_state (key, value) VALUES ('generation', 0);
