-- 0003: active missions keep their inputs and their template by id; batch jobs record who runs
-- them. Additive only: older builds read these tables unchanged.

-- The run inputs (`--var`) saved with an active mission, as a JSON object.
ALTER TABLE active_missions ADD COLUMN inputs TEXT NOT NULL DEFAULT '{}';
-- The template id as deployed. `template_id` (a foreign key, set to NULL when the index drops
-- the template row) may be cleared by a re-index; this column keeps the link.
ALTER TABLE active_missions ADD COLUMN template_ref TEXT NOT NULL DEFAULT '';
-- The template's logic hash when it was deployed.
ALTER TABLE active_missions ADD COLUMN logic_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX active_missions_template ON active_missions (template_ref);
CREATE INDEX runs_active ON runs (active_id) WHERE active_id IS NOT NULL;

-- The start time of the process running a batch job (with owner_pid: a reused pid is not the
-- owner), as in runs.owner_start.
ALTER TABLE batch_jobs ADD COLUMN owner_start INTEGER;
-- At most one running job per kind: the run-once lock, enforced by the database itself.
CREATE UNIQUE INDEX batch_jobs_one_running ON batch_jobs (kind) WHERE status = 'running';
