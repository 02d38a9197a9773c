# Templates of the database family (sql_query, db_migrate, db_backup), exec'd into
# generate_templates.py after its table: the same helpers (`T`, `_step`, `put_file`, `llm`, ...).
#
# Every one ships its data inline and runs offline: SQL migration files (or a seed script) are
# written into the workspace, applied to a SQLite file there, queried with bound parameters
# (never spliced into the SQL), and the database is backed up into the workspace. No server
# is needed: PostgreSQL and Redis are left to missions that name their own.

OUTPUT_FIELDS.update({
    "sql_query": ["columns", "rows", "row_count", "truncated", "rows_affected", "output_file"],
    "db_backup": ["source", "destination", "bytes", "tables", "format"],
    "db_migrate": ["applied", "skipped", "pending", "pending_before", "current"],
    "redis_set": ["key", "set", "value", "ttl"],
    "redis_get": ["key", "exists", "value", "json", "ttl"],
})


def db_migrate_step(sid, name, connection, migrations_dir, after=()):
    """Applies the workspace's migration files (once each, in order) to a database."""
    return _step(sid, "db_migrate", name, {"connection": connection, "migrations_dir": migrations_dir}, after)


def sql_step(sid, name, connection, query, parameters=None, after=(), **params):
    """One SQL statement; values always go in `parameters`, bound to the placeholders."""
    p = {"connection": connection, "query": query}
    if parameters is not None:
        p["parameters"] = parameters
    p.update(params)
    return _step(sid, "sql_query", name, p, after)


def db_backup_step(sid, name, connection, destination, after=()):
    """A consistent copy of a database into the workspace (SQLite online backup)."""
    return _step(sid, "db_backup", name, {"connection": connection, "destination": destination}, after)


def db_rows_block(ref):
    return "```json\n" + ref + "\n```"


# ---------------------------------------------------------------------------------- Research

T("Research", "model-benchmark-ledger", "Model Benchmark Ledger",
  goal="Keep every benchmark run of the candidate models in a versioned SQLite ledger and compare the variants on accuracy and latency across seeds.",
  objective="A per-variant comparison (runs, mean and worst accuracy, mean latency) for the distillation study, the runs below the accuracy floor, and an archived copy of the ledger.",
  done="The ledger holds every run with its schema applied once; the report compares each variant of the study, lists the runs under the floor and names the archived snapshot, whose run count matches the ledger.",
  context="Benchmark numbers live in notebooks and slide decks, so nobody can say which seeds a claim rests on. The lab keeps one ledger per study: its schema and results are migration files under version control, and each readout is computed from the ledger with the study and floor as parameters.",
  constraints="- Results are reported per variant with the number of seeds; no single run is quoted as the result.\n- The ledger is archived with the readout so the figures can be recomputed.\n",
  depts=["research", "ml-platform"], tags=["benchmark", "reproducibility", "sqlite", "evaluation"],
  risk="low", roi=3.8, value=2600,
  steps=[
    put_file("schema", "Write the ledger schema", "ledger/migrations/001_create_runs.sql",
             "CREATE TABLE runs (\n  id INTEGER PRIMARY KEY,\n  study TEXT NOT NULL,\n  variant TEXT NOT NULL,\n  seed INTEGER NOT NULL,\n  accuracy REAL NOT NULL,\n  latency_ms REAL NOT NULL,\n  UNIQUE (study, variant, seed)\n);\nCREATE INDEX runs_by_study ON runs (study, variant);\n"),
    put_file("results", "Write this week's results", "ledger/migrations/002_distill_v2_results.sql",
             "INSERT INTO runs (study, variant, seed, accuracy, latency_ms) VALUES\n  ('distill-v2', 'teacher-7b', 1, 0.912, 184.0),\n  ('distill-v2', 'teacher-7b', 2, 0.915, 181.5),\n  ('distill-v2', 'teacher-7b', 3, 0.909, 187.2),\n  ('distill-v2', 'student-1b', 1, 0.884, 41.3),\n  ('distill-v2', 'student-1b', 2, 0.871, 40.8),\n  ('distill-v2', 'student-1b', 3, 0.889, 42.0),\n  ('distill-v2', 'student-1b-kd', 1, 0.903, 41.9),\n  ('distill-v2', 'student-1b-kd', 2, 0.897, 42.4),\n  ('distill-v2', 'student-1b-kd', 3, 0.906, 41.1),\n  ('pruning-v1', 'pruned-50', 1, 0.861, 95.0);\n"),
    db_migrate_step("apply", "Apply the ledger migrations", "sqlite:ledger/benchmarks.db", "ledger/migrations", after=["schema", "results"]),
    sql_step("compare", "Compare the variants", "sqlite:ledger/benchmarks.db",
        "SELECT variant, count(*) AS seeds, round(avg(accuracy), 4) AS mean_accuracy, min(accuracy) AS worst_accuracy, round(avg(latency_ms), 1) AS mean_latency_ms\nFROM runs\nWHERE study = ?1\nGROUP BY variant\nORDER BY mean_accuracy DESC",
        ["distill-v2"], after=["apply"], read_only=True, output_file="readout/variants.csv"),
    sql_step("below_floor", "Runs below the accuracy floor", "sqlite:ledger/benchmarks.db",
        "SELECT variant, seed, accuracy FROM runs WHERE study = ?1 AND accuracy < ?2 ORDER BY accuracy",
        ["distill-v2", 0.9], after=["apply"], read_only=True),
    db_backup_step("archive", "Archive the ledger", "sqlite:ledger/benchmarks.db", "archive/benchmarks-snapshot.db", after=["compare", "below_floor"]),
    sql_step("recount", "Recount the runs in the archive", "sqlite:archive/benchmarks-snapshot.db",
        "SELECT count(*) AS runs FROM runs WHERE study = ?", ["distill-v2"], after=["archive"], read_only=True),
    llm("readout", "Study readout",
        "Write the readout of the distillation study for the research review. Compare the variants (seeds, mean and worst accuracy, latency), say whether knowledge distillation closes the gap to the teacher and at what latency, and flag the runs under the 0.90 floor.\n\nVariants: {{compare.output.rows}}\nBelow the floor: {{below_floor.output.rows}}",
        system="You are a careful ML researcher. Quote the numbers given, with the seed count, and state the uncertainty."),
  ],
  facts=[("Schema version", "{{apply.output.current}}"), ("Variants compared", "{{compare.output.row_count}}"),
         ("Runs in the archived snapshot", "{{recount.output.rows.0.runs}}"), ("Archive", "{{archive.output.destination}} ({{archive.output.bytes}} bytes)")],
  sections=[("Variants", db_rows_block("{{compare.output.rows}}")), ("Below the floor", db_rows_block("{{below_floor.output.rows}}"))],
  extra_outputs=["readout/variants.csv"], check="headings")

# ---------------------------------------------------------------------------------- Security

T("Security", "exposed-service-inventory", "Exposed Service Inventory",
  goal="Load the asset and listener inventory into SQLite and find the sensitive services reachable from the internet, and those without an owner.",
  objective="The internet-facing listeners on administrative and database ports, the unowned assets among them, and a frozen copy of the inventory the findings came from.",
  done="Every listener on a sensitive port that is bound to a public interface is listed with its asset, owner and last scan; unowned exposed assets are listed apart; the inventory snapshot is archived.",
  context="The quarterly external exposure review still greps scanner exports by hand. The scanner's nightly export is loaded as migrations into a small inventory database, so the same questions (which sensitive ports face the internet, who owns them) are asked the same way every quarter.",
  constraints="- Observation only: the mission reads the inventory and proposes owners; it closes no port.\n",
  depts=["security", "infrastructure"], tags=["attack-surface", "exposure", "inventory", "sqlite"],
  risk="medium", roi=5.1, value=3900,
  steps=[
    put_file("schema", "Write the inventory schema", "inventory/migrations/001_assets_and_listeners.sql",
             "CREATE TABLE assets (\n  hostname TEXT PRIMARY KEY,\n  environment TEXT NOT NULL,\n  owner TEXT\n);\nCREATE TABLE listeners (\n  hostname TEXT NOT NULL REFERENCES assets (hostname),\n  address TEXT NOT NULL,\n  port INTEGER NOT NULL,\n  service TEXT NOT NULL,\n  public INTEGER NOT NULL,\n  last_seen TEXT NOT NULL\n);\n"),
    put_file("scan", "Write the nightly scan export", "inventory/migrations/002_scan_2024_06_30.sql",
             "INSERT INTO assets VALUES\n  ('bastion-1', 'prod', 'platform'),\n  ('db-orders-1', 'prod', 'commerce'),\n  ('legacy-crm', 'prod', NULL),\n  ('build-agent-7', 'ci', 'dev-productivity'),\n  ('grafana', 'prod', 'sre');\nINSERT INTO listeners VALUES\n  ('bastion-1', '203.0.113.10', 22, 'ssh', 1, '2024-06-30'),\n  ('db-orders-1', '10.0.4.12', 5432, 'postgresql', 0, '2024-06-30'),\n  ('legacy-crm', '203.0.113.44', 3389, 'rdp', 1, '2024-06-29'),\n  ('legacy-crm', '203.0.113.44', 1433, 'mssql', 1, '2024-06-29'),\n  ('build-agent-7', '198.51.100.7', 2375, 'docker', 1, '2024-06-30'),\n  ('grafana', '203.0.113.80', 443, 'https', 1, '2024-06-30');\n"),
    db_migrate_step("load", "Load the scan into the inventory", "sqlite:inventory/exposure.db", "inventory/migrations", after=["schema", "scan"]),
    sql_step("exposed", "Sensitive services facing the internet", "sqlite:inventory/exposure.db",
        "SELECT l.hostname, l.address, l.port, l.service, coalesce(a.owner, 'unowned') AS owner, l.last_seen\nFROM listeners l JOIN assets a ON a.hostname = l.hostname\nWHERE l.public = 1 AND l.port IN (?1, ?2, ?3, ?4, ?5)\nORDER BY l.port",
        [22, 1433, 2375, 3389, 5432], after=["load"], read_only=True, output_file="findings/exposed-services.csv"),
    sql_step("unowned", "Exposed assets without an owner", "sqlite:inventory/exposure.db",
        "SELECT DISTINCT a.hostname, a.environment FROM assets a JOIN listeners l ON l.hostname = a.hostname WHERE a.owner IS NULL AND l.public = ?",
        [1], after=["load"], read_only=True),
    db_backup_step("freeze", "Freeze the inventory", "sqlite:inventory/exposure.db", "evidence/exposure-inventory.db", after=["exposed", "unowned"]),
  ],
  facts=[("Sensitive services exposed", "{{exposed.output.row_count}}"), ("Unowned exposed assets", "{{unowned.output.row_count}}"),
         ("Inventory snapshot", "{{freeze.output.destination}}")],
  sections=[("Exposed services", db_rows_block("{{exposed.output.rows}}")), ("Unowned", db_rows_block("{{unowned.output.rows}}")),
            ("Tables in the snapshot", db_rows_block("{{freeze.output.tables}}"))],
  extra_outputs=["findings/exposed-services.csv"], check="words")

# ---------------------------------------------------------------------------------- Legal

T("Legal", "nda-register-review", "NDA Register Review",
  goal="Keep the NDA register in SQLite and list the agreements whose confidentiality period ends while a project with the counterparty is still open.",
  objective="The NDAs ending within the review window with their open projects and owners, the count per business owner, and an archived register.",
  done="Each NDA ending in the window is listed with its counterparty, end date, open project and owner; owners see how many they must renew; the register is archived with the review.",
  context="NDAs are signed for two or three years and forgotten; twice last year a counterparty's engineers kept working on a joint project after the NDA had lapsed. The register moves from a spreadsheet to a small database whose rows are added by migration files reviewed by the legal team.",
  constraints="- The review lists agreements to renew; counsel decides and signs.\n",
  depts=["legal", "partnerships"], tags=["nda", "contracts", "register", "sqlite"],
  risk="low", roi=4.2, value=2100,
  steps=[
    put_file("schema", "Write the register schema", "register/migrations/001_ndas.sql",
             "CREATE TABLE ndas (\n  id TEXT PRIMARY KEY,\n  counterparty TEXT NOT NULL,\n  owner TEXT NOT NULL,\n  signed_on TEXT NOT NULL,\n  ends_on TEXT NOT NULL,\n  mutual INTEGER NOT NULL DEFAULT 1\n);\nCREATE TABLE projects (\n  name TEXT PRIMARY KEY,\n  counterparty TEXT NOT NULL,\n  status TEXT NOT NULL CHECK (status IN ('open', 'closed'))\n);\n"),
    put_file("entries", "Write the register entries", "register/migrations/002_entries_2024_h1.sql",
             "INSERT INTO ndas VALUES\n  ('NDA-101', 'Orbital Sensors BV', 'j.meyer', '2021-09-01', '2024-08-31', 1),\n  ('NDA-117', 'Kestrel Analytics', 'a.rossi', '2022-01-15', '2025-01-14', 1),\n  ('NDA-122', 'Northwind Foods', 'j.meyer', '2022-03-01', '2024-10-01', 0),\n  ('NDA-130', 'Helix Robotics', 'm.okafor', '2023-05-10', '2026-05-09', 1),\n  ('NDA-134', 'Blue Fjord Energy', 'a.rossi', '2021-11-20', '2024-11-19', 1);\nINSERT INTO projects VALUES\n  ('Satellite telemetry pilot', 'Orbital Sensors BV', 'open'),\n  ('Demand forecasting', 'Kestrel Analytics', 'open'),\n  ('Packaging study', 'Northwind Foods', 'closed'),\n  ('Grid battery trial', 'Blue Fjord Energy', 'open');\n"),
    db_migrate_step("apply", "Apply the register migrations", "sqlite:register/ndas.db", "register/migrations", after=["schema", "entries"]),
    sql_step("ending", "NDAs ending with an open project", "sqlite:register/ndas.db",
        "SELECT n.id, n.counterparty, n.owner, n.ends_on, p.name AS open_project\nFROM ndas n JOIN projects p ON p.counterparty = n.counterparty\nWHERE p.status = 'open' AND n.ends_on BETWEEN :from AND :to\nORDER BY n.ends_on",
        {"from": "2024-07-01", "to": "2025-01-31"}, after=["apply"], read_only=True, output_file="review/ndas-to-renew.csv"),
    sql_step("per_owner", "Renewals per owner", "sqlite:register/ndas.db",
        "SELECT owner, count(*) AS ndas_ending FROM ndas WHERE ends_on BETWEEN ? AND ? GROUP BY owner ORDER BY ndas_ending DESC, owner",
        ["2024-07-01", "2025-01-31"], after=["apply"], read_only=True),
    db_backup_step("archive", "Archive the register", "sqlite:register/ndas.db", "archive/nda-register.db", after=["ending", "per_owner"]),
    llm("memo", "Renewal memo",
        "Draft a short memo to the owners listed: for each NDA ending while its project is open, say what to renew and by when, and whether a one-way NDA should become mutual.\n\nNDAs to renew: {{ending.output.rows}}\nPer owner: {{per_owner.output.rows}}",
        system="You are in-house counsel. Be precise about dates and never state legal conclusions as final."),
  ],
  facts=[("NDAs to renew", "{{ending.output.row_count}}"), ("Owners concerned", "{{per_owner.output.row_count}}"),
         ("Register archive", "{{archive.output.destination}}")],
  sections=[("NDAs ending with an open project", db_rows_block("{{ending.output.rows}}"))],
  extra_outputs=["review/ndas-to-renew.csv"], check="checksum")

# ---------------------------------------------------------------------------------- Finance

T("Finance", "payment-run-precheck", "Payment Run Pre-Check",
  goal="Load the proposed supplier payment run into SQLite and stop the payments that hit a fraud or control pattern before the run is released.",
  objective="The payments to suppliers whose bank details changed days before the run, the invoices paid twice, the payments above the approval limit, and the frozen run they came from.",
  done="Every payment of the run is checked against the three rules; each hit is listed with supplier, invoice and amount; the run as checked is frozen in the workspace for the auditors.",
  context="Two payment runs last year paid a supplier's 'new' bank account that a fraudster had registered the week before. Treasury now checks each run before release: bank detail changes within 14 days, duplicate invoice numbers, and payments above the single-approval limit.",
  constraints="- Nothing is paid or blocked by the mission: it lists the payments for treasury to hold.\n",
  depts=["finance", "treasury", "accounts-payable"], tags=["payments", "fraud", "controls", "sqlite"],
  risk="medium", roi=7.2, value=6500,
  steps=[
    sql_step("load", "Load the proposed run", "sqlite:run/payments.db",
        "CREATE TABLE suppliers (id TEXT PRIMARY KEY, name TEXT NOT NULL, iban TEXT NOT NULL, iban_changed_on TEXT NOT NULL);\nCREATE TABLE payments (id INTEGER PRIMARY KEY, supplier_id TEXT NOT NULL REFERENCES suppliers (id), invoice TEXT NOT NULL, amount_eur REAL NOT NULL, pay_on TEXT NOT NULL);\nINSERT INTO suppliers VALUES\n  ('S-01', 'Acme Components', 'NL91ABNA0417164300', '2021-03-02'),\n  ('S-02', 'Baltic Freight', 'LT601010012345678901', '2024-06-24'),\n  ('S-03', 'Cobalt Cleaning', 'DE89370400440532013000', '2023-11-15'),\n  ('S-04', 'Delta Office Supply', 'FR7630006000011234567890189', '2024-06-27');\nINSERT INTO payments (supplier_id, invoice, amount_eur, pay_on) VALUES\n  ('S-01', 'AC-5521', 18250.00, '2024-07-02'),\n  ('S-02', 'BF-0934', 7420.50, '2024-07-02'),\n  ('S-03', 'CC-2024-06', 1890.00, '2024-07-02'),\n  ('S-03', 'CC-2024-06', 1890.00, '2024-07-02'),\n  ('S-04', 'DOS-7781', 412.30, '2024-07-02'),\n  ('S-01', 'AC-5530', 64900.00, '2024-07-02');",
        multiple_statements=True),
    sql_step("new_iban", "Bank details changed before the run", "sqlite:run/payments.db",
        "SELECT s.name, s.iban_changed_on, p.invoice, p.amount_eur\nFROM payments p JOIN suppliers s ON s.id = p.supplier_id\nWHERE julianday(p.pay_on) - julianday(s.iban_changed_on) <= ?1\nORDER BY p.amount_eur DESC",
        [14], after=["load"], read_only=True),
    sql_step("twice", "Invoices in the run twice", "sqlite:run/payments.db",
        "SELECT s.name, p.invoice, p.amount_eur, count(*) AS times FROM payments p JOIN suppliers s ON s.id = p.supplier_id GROUP BY p.supplier_id, p.invoice, p.amount_eur HAVING count(*) > ?",
        [1], after=["load"], read_only=True),
    sql_step("over_limit", "Payments above the approval limit", "sqlite:run/payments.db",
        "SELECT s.name, p.invoice, p.amount_eur FROM payments p JOIN suppliers s ON s.id = p.supplier_id WHERE p.amount_eur > ? ORDER BY p.amount_eur DESC",
        [50000], after=["load"], read_only=True, output_file="holds/over-limit.csv"),
    db_backup_step("freeze", "Freeze the run as checked", "sqlite:run/payments.db", "evidence/payment-run-2024-07-02.db", after=["new_iban", "twice", "over_limit"]),
  ],
  facts=[("Rows loaded (suppliers and payments)", "{{load.output.rows_affected}}"), ("Recent bank detail changes hit", "{{new_iban.output.row_count}}"),
         ("Invoices paid twice", "{{twice.output.row_count}}"), ("Above the approval limit", "{{over_limit.output.row_count}}")],
  sections=[("Bank details changed within 14 days", db_rows_block("{{new_iban.output.rows}}")),
            ("Duplicate invoices", db_rows_block("{{twice.output.rows}}")),
            ("Above EUR 50,000", db_rows_block("{{over_limit.output.rows}}"))],
  extra_outputs=["holds/over-limit.csv"], check="stamp")

# ---------------------------------------------------------------------------------- Operations

T("Operations", "carrier-delivery-ledger", "Carrier Delivery Ledger",
  goal="Load last month's deliveries into SQLite and score each carrier on deliveries late against its contracted lead time, by lane.",
  objective="On-time rate per carrier, the lanes where a carrier misses its lead time most, and a snapshot of the ledger for the quarterly business review.",
  done="Every carrier has its delivery count, late count and on-time rate for the month; the worst lanes are listed with their average delay; the ledger snapshot is kept.",
  context="Carrier reviews rely on each carrier's own on-time figures. The warehouse system exports every delivery with promised and actual dates; loaded into a ledger, the same scoring runs every month with the month as a parameter.",
  constraints="- Scores are shared with the carriers only after the logistics manager reviews them.\n",
  depts=["operations", "logistics"], tags=["carriers", "on-time-delivery", "logistics", "sqlite"],
  risk="low", roi=4.6, value=3100,
  steps=[
    sql_step("load", "Load the month's deliveries", "sqlite:ledger/deliveries.db",
        "CREATE TABLE deliveries (id INTEGER PRIMARY KEY, carrier TEXT NOT NULL, lane TEXT NOT NULL, shipped_on TEXT NOT NULL, promised_days INTEGER NOT NULL, delivered_on TEXT NOT NULL);\nINSERT INTO deliveries (carrier, lane, shipped_on, promised_days, delivered_on) VALUES\n  ('NordLine', 'AMS-HAM', '2024-06-03', 2, '2024-06-05'),\n  ('NordLine', 'AMS-HAM', '2024-06-10', 2, '2024-06-13'),\n  ('NordLine', 'AMS-CPH', '2024-06-11', 3, '2024-06-14'),\n  ('NordLine', 'AMS-CPH', '2024-06-18', 3, '2024-06-23'),\n  ('RapidEU', 'AMS-MIL', '2024-06-04', 4, '2024-06-07'),\n  ('RapidEU', 'AMS-MIL', '2024-06-12', 4, '2024-06-16'),\n  ('RapidEU', 'AMS-MAD', '2024-06-13', 5, '2024-06-17'),\n  ('RapidEU', 'AMS-MAD', '2024-06-20', 5, '2024-06-28'),\n  ('CargoStar', 'AMS-PAR', '2024-06-05', 2, '2024-06-07'),\n  ('CargoStar', 'AMS-PAR', '2024-06-19', 2, '2024-06-21');",
        multiple_statements=True),
    sql_step("scores", "On-time rate per carrier", "sqlite:ledger/deliveries.db",
        "SELECT carrier, count(*) AS deliveries,\n       sum(julianday(delivered_on) - julianday(shipped_on) > promised_days) AS late,\n       round(100.0 * avg(julianday(delivered_on) - julianday(shipped_on) <= promised_days), 1) AS on_time_pct\nFROM deliveries\nWHERE shipped_on BETWEEN ?1 AND ?2\nGROUP BY carrier\nORDER BY on_time_pct",
        ["2024-06-01", "2024-06-30"], after=["load"], read_only=True, output_file="review/carrier-scores.csv"),
    sql_step("lanes", "Lanes with the longest delays", "sqlite:ledger/deliveries.db",
        "SELECT carrier, lane, round(avg(julianday(delivered_on) - julianday(shipped_on) - promised_days), 1) AS avg_days_late\nFROM deliveries\nWHERE shipped_on BETWEEN ?1 AND ?2\nGROUP BY carrier, lane\nHAVING avg_days_late > 0\nORDER BY avg_days_late DESC\nLIMIT ?3",
        ["2024-06-01", "2024-06-30", 3], after=["load"], read_only=True),
    db_backup_step("snapshot", "Snapshot the ledger", "sqlite:ledger/deliveries.db", "qbr/deliveries-2024-06.db", after=["scores", "lanes"]),
  ],
  facts=[("Deliveries loaded", "{{load.output.rows_affected}}"), ("Carriers scored", "{{scores.output.row_count}}"),
         ("Ledger snapshot", "{{snapshot.output.destination}} ({{snapshot.output.bytes}} bytes)")],
  sections=[("Carrier scores", db_rows_block("{{scores.output.rows}}")), ("Worst lanes", db_rows_block("{{lanes.output.rows}}"))],
  extra_outputs=["review/carrier-scores.csv"], check="words")
