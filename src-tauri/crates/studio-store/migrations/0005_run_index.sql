-- 0005: the mission pack's INDEX, a full-text search over what finished runs produced.
-- Additive only (see 0001). Runs already recorded are indexed by this migration's backfill
-- (src/run_index.rs), in the same transaction as these tables.

-- The indexed texts: one row per field of a finished run (its final summary, a step's output
-- or error, the names of its outputs). Deleting a run deletes its rows (and, through the
-- trigger below, their index entries).
CREATE TABLE run_index_docs (
    doc_id        INTEGER PRIMARY KEY,
    run_id        TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    field         TEXT NOT NULL CHECK (field IN ('summary', 'output', 'error', 'output_name')),
    step_id       TEXT,                         -- for step outputs and errors
    body          TEXT NOT NULL                 -- already redacted; truncated (see run_index.rs)
);
CREATE INDEX run_index_docs_run ON run_index_docs (run_id);

-- The full-text index over `body`. It keeps no copy of the text (external content): snippets
-- are read from run_index_docs. unicode61 folds case and diacritics ("cafe" finds "café").
CREATE VIRTUAL TABLE run_index USING fts5 (
    body,
    content = 'run_index_docs',
    content_rowid = 'doc_id',
    tokenize = 'unicode61 remove_diacritics 2'
);

-- The index follows its content table, whoever writes it (a run's end, ingest, recovery, the
-- deletion of a run).
CREATE TRIGGER run_index_docs_insert AFTER INSERT ON run_index_docs BEGIN
    INSERT INTO run_index (rowid, body) VALUES (new.doc_id, new.body);
END;
CREATE TRIGGER run_index_docs_delete AFTER DELETE ON run_index_docs BEGIN
    INSERT INTO run_index (run_index, rowid, body) VALUES ('delete', old.doc_id, old.body);
END;
CREATE TRIGGER run_index_docs_update AFTER UPDATE ON run_index_docs BEGIN
    INSERT INTO run_index (run_index, rowid, body) VALUES ('delete', old.doc_id, old.body);
    INSERT INTO run_index (rowid, body) VALUES (new.doc_id, new.body);
END;
