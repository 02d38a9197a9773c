-- 0002: the template registry. Additive only (see 0001).

-- Where a template file comes from: `builtin` (the library shipped with the app) or `user`
-- (the operator's folder, `<data dir>/templates/`).
ALTER TABLE mission_templates ADD COLUMN source TEXT NOT NULL DEFAULT 'builtin'
    CHECK (source IN ('builtin', 'user'));

-- The index finds a file's row by its path (renames, deletions, unchanged files).
CREATE INDEX mission_templates_path ON mission_templates (path);
