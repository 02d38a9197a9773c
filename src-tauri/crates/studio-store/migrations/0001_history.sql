-- 0001: the history of runs and everything the registry, the perimeter and the batch record.
-- Migrations are additive: a later file adds tables, columns or indexes; it never rewrites
-- or drops what an older build reads.

-- Templates indexed from the library files (the files stay the source of truth).
CREATE TABLE mission_templates (
    template_id   TEXT PRIMARY KEY,             -- the mission id (reverse DNS)
    path          TEXT NOT NULL,                -- the template file
    name          TEXT NOT NULL,
    sector        TEXT,
    risk          TEXT,                         -- declared: low | medium | high
    derived_risk  TEXT,                         -- from history (batch)
    goal          TEXT,
    tags          TEXT NOT NULL DEFAULT '[]',   -- JSON array
    required_depts TEXT NOT NULL DEFAULT '[]',  -- JSON array
    est_roi       REAL,
    value_usd     REAL,
    logic_hash    TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    valid         INTEGER NOT NULL DEFAULT 1 CHECK (valid IN (0, 1)),
    diagnostics   TEXT NOT NULL DEFAULT '[]',   -- JSON array of problems when invalid
    stats         TEXT,                         -- JSON: runs, success_rate, avg_cost, p50/p95, roi
    badges        TEXT NOT NULL DEFAULT '[]',   -- JSON array, e.g. ["top_performance"]
    indexed_at    TEXT NOT NULL
);
CREATE INDEX mission_templates_sector ON mission_templates (sector);

-- A template configured with the operator's perimeter ("Quick Deploy").
CREATE TABLE active_missions (
    active_id     TEXT PRIMARY KEY,
    template_id   TEXT REFERENCES mission_templates (template_id) ON DELETE SET NULL,
    name          TEXT NOT NULL,
    perimeter     TEXT NOT NULL DEFAULT '{}',   -- JSON
    mission       TEXT,                         -- JSON of the mission when not from a template
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- One row per run, inserted together with its `mission.accepted` event.
CREATE TABLE runs (
    run_id        TEXT PRIMARY KEY,
    mission_id    TEXT NOT NULL,
    mission_name  TEXT NOT NULL DEFAULT '',
    active_id     TEXT REFERENCES active_missions (active_id) ON DELETE SET NULL,
    trace_id      TEXT NOT NULL,
    logic_hash    TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN
                    ('queued', 'running', 'blocked', 'completed', 'failed', 'cancelled', 'timed_out')),
    reason        TEXT,
    started_at    TEXT NOT NULL,                -- RFC 3339 UTC, milliseconds (sorts as text)
    finished_at   TEXT,
    runtime_ms    INTEGER NOT NULL DEFAULT 0,
    llm_calls     INTEGER NOT NULL DEFAULT 0,
    tokens        INTEGER NOT NULL DEFAULT 0,
    cost_usd      REAL NOT NULL DEFAULT 0,
    step_count    INTEGER NOT NULL DEFAULT 0,
    evidence_dir  TEXT,
    resumed_from  TEXT REFERENCES runs (run_id) ON DELETE SET NULL,
    mission_json  TEXT NOT NULL,                -- the mission as run (resume runs it again)
    context_json  TEXT NOT NULL DEFAULT '{}',   -- run inputs (--var)
    owner_pid     INTEGER NOT NULL,             -- the process running it ...
    owner_start   INTEGER,                      -- ... and when that process started (clock ticks)
    owner_host    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_started ON runs (started_at DESC);
CREATE INDEX runs_mission ON runs (mission_id, started_at DESC);
CREATE INDEX runs_unfinished ON runs (status) WHERE status IN ('queued', 'running', 'blocked');

-- One row per step that started, was skipped or was reused. (Rowid tables: rows carry JSON of
-- any size, which WITHOUT ROWID b-trees store poorly.)
CREATE TABLE step_results (
    step_result_id INTEGER PRIMARY KEY,
    run_id        TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    step_id       TEXT NOT NULL,
    position      INTEGER NOT NULL,             -- declaration order in the mission
    step_type     TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN
                    ('pending', 'running', 'blocked', 'success', 'failed', 'skipped', 'cancelled')),
    output        TEXT,                         -- JSON, redacted
    error         TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    started_at    TEXT,
    finished_at   TEXT,
    duration_ms   INTEGER NOT NULL DEFAULT 0,
    reused_from   TEXT,                         -- the run whose output was reused
    UNIQUE (run_id, step_id)
);

-- Every event (Mission Envelope v1), exactly as emitted.
CREATE TABLE events (
    event_id        INTEGER PRIMARY KEY,
    run_id          TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL CHECK (seq >= 1),
    idempotency_key TEXT NOT NULL UNIQUE,
    event_type      TEXT NOT NULL,
    step_id         TEXT,
    is_final        INTEGER NOT NULL CHECK (is_final IN (0, 1)),
    payload         TEXT NOT NULL,              -- the event as JSON
    emitted_at      TEXT NOT NULL,
    UNIQUE (run_id, seq)
);
-- Exactly one final event per run, enforced by the database itself.
CREATE UNIQUE INDEX events_one_final ON events (run_id) WHERE is_final = 1;

-- One row per decision of the perimeter gate.
CREATE TABLE audit_log (
    audit_id           INTEGER PRIMARY KEY,
    run_id             TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    step_id            TEXT,
    attempt            INTEGER,
    tool               TEXT NOT NULL,
    tool_sector        TEXT NOT NULL,
    authorising_sector TEXT,
    check_name         TEXT NOT NULL,           -- tool | sector | sandbox | budget | approval
    decision           TEXT NOT NULL CHECK (decision IN ('allow', 'deny', 'await_approval')),
    reason             TEXT NOT NULL DEFAULT '',
    trace_id           TEXT NOT NULL,
    created_at         TEXT NOT NULL
);
CREATE INDEX audit_log_run ON audit_log (run_id, audit_id);

-- Approval requests of blocked steps and their answers.
CREATE TABLE approvals (
    approval_id        TEXT PRIMARY KEY,
    run_id             TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    step_id            TEXT NOT NULL,
    attempt            INTEGER NOT NULL DEFAULT 1,
    tool               TEXT NOT NULL,
    estimated_cost_usd REAL NOT NULL DEFAULT 0,
    reason             TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
    requested_at       TEXT NOT NULL,
    decided_at         TEXT,
    decided_by         TEXT,                    -- ui | cli | policy
    note               TEXT,
    UNIQUE (run_id, step_id, attempt)
);
CREATE INDEX approvals_pending ON approvals (status) WHERE status = 'pending';

-- Failure patterns the daily batch raises for the Orchestrator review queue.
CREATE TABLE review_flags (
    flag_id       INTEGER PRIMARY KEY,
    template_id   TEXT NOT NULL,
    step_id       TEXT,
    pattern       TEXT NOT NULL,                -- e.g. repeated_step_failure
    failures      INTEGER NOT NULL DEFAULT 0,
    window_runs   INTEGER NOT NULL DEFAULT 0,
    run_ids       TEXT NOT NULL DEFAULT '[]',   -- JSON array
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
    note          TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
-- At most one open flag per template, step and pattern.
CREATE UNIQUE INDEX review_flags_open ON review_flags (template_id, IFNULL(step_id, ''), pattern)
    WHERE status = 'open';

-- Runs of the daily ROI batch (and on-demand runs).
CREATE TABLE batch_jobs (
    job_id        INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,                -- e.g. template_stats
    trigger       TEXT NOT NULL DEFAULT 'schedule' CHECK (trigger IN ('schedule', 'startup', 'manual')),
    status        TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    owner_pid     INTEGER,
    summary       TEXT,                         -- JSON
    error         TEXT
);
CREATE INDEX batch_jobs_kind ON batch_jobs (kind, started_at DESC);
