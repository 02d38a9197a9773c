-- 0004: what a template needs to run for real, for the library's cards: a JSON array of
-- "model" (an llm step; the operator's default provider answers it), "network" (an http step
-- that really calls out) and "simulated_network" (http steps answered by the simulation block).
ALTER TABLE mission_templates ADD COLUMN needs TEXT NOT NULL DEFAULT '[]';
-- Every file is read again at the next index, so the column is filled for templates already
-- indexed (an unchanged content hash would skip them).
UPDATE mission_templates SET content_hash = '';
