# Templates of the system family: compress, process_start, process_kill, monitor_resources,
# service_health, ping_host.
#
# Exec'd into missions/generate_templates.py after its own table (see the loop at its end): the
# helpers (`_step`, `put_file`, `cmd`, `llm`, `read`, `T`, ...) and OUTPUT_FIELDS come from there.
# Each template ships its sample data inline (`put_file` steps) and runs offline: a service it
# checks is started by the mission itself on 127.0.0.1, on a port the system picks (port 0) and
# that the mission reads from the server's log (`wait_for.log_regex`), so runs never collide.
# Whatever `process_start` starts is stopped when the run ends. Helpers are prefixed `sys_` so
# they shadow nothing of the generator.

OUTPUT_FIELDS.update({
    "compress": ["action", "format", "archive", "destination", "entries", "bytes", "archive_bytes",
                 "files", "truncated"],
    "process_start": ["name", "pid", "pgid", "command", "log_file", "ready", "log_match"],
    "process_kill": ["name", "pid", "killed", "signals_sent", "exit_code", "signal"],
    "monitor_resources": ["cpu", "cpu_usage_percent", "memory", "swap", "disks", "workspace_disk",
                          "load_average", "uptime_seconds", "processes", "alerts"],
    "service_health": ["healthy", "service", "kind", "target", "status", "latency_ms", "attempts",
                       "checks", "error"],
    "ping_host": ["host", "address", "method", "ports", "sent", "received", "loss_percent", "rtt_ms",
                  "samples"],
})

# The port a started `python3 -m http.server 0` reports in its log ("... port 41234 ...").
SYS_PORT_LINE = "port (\\d+)"


def sys_pack(sid, name, destination, source=None, files=None, after=()):
    params = {"source": source} if source is not None else {"files": list(files)}
    params["destination"] = destination
    return _step(sid, "compress", name, params, after)


def sys_unpack(sid, name, archive, destination, after=()):
    return _step(sid, "compress", name, {"action": "extract", "archive": archive,
                                         "destination": destination}, after)


def sys_serve(sid, name, handle, folder, after=()):
    """A static web server on 127.0.0.1, on a port the system picks; ready once it says which."""
    return _step(sid, "process_start", name, {
        "command": "python3",
        "args": ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", folder],
        "name": handle,
        "wait_for": {"log_regex": SYS_PORT_LINE, "timeout_seconds": 30},
    }, after, timeout_seconds=60)


def sys_url(server_sid, path):
    return "http://127.0.0.1:{{%s.output.log_match.1}}/%s" % (server_sid, path)


def sys_health(sid, name, url, service, contains=None, status=None, after=()):
    params = {"url": url, "service": service}
    if contains is not None:
        params["expect_body_contains"] = contains
    if status is not None:
        params["expected_status"] = status
    params.update({"max_latency_ms": 5000, "retries": 2, "retry_delay_ms": 200, "timeout_ms": 5000})
    return _step(sid, "service_health", name, params, after, timeout_seconds=60)


def sys_ping(sid, name, port_ref, count=5, ports=None, after=()):
    params = {"host": "127.0.0.1"}
    if ports is not None:
        params["ports"] = ports
    else:
        params["port"] = port_ref
    params.update({"count": count, "interval_ms": 50, "timeout_ms": 2000})
    return _step(sid, "ping_host", name, params, after, timeout_seconds=60)


def sys_monitor(sid, name, after=(), **params):
    return _step(sid, "monitor_resources", name, params, after, timeout_seconds=60)


def sys_kill(sid, name, handle, signal="TERM", grace_seconds=5, after=()):
    return _step(sid, "process_kill", name, {"name": handle, "signal": signal,
                                             "grace_seconds": grace_seconds}, after, timeout_seconds=60)


# ------------------------------------------------------------------------------------ Engineering

T("Engineering", "docs-site-release-smoke", "Docs Site Release Smoke Test",
  goal="Serve the freshly built documentation site locally and prove it answers, shows the release's build number and stays light on the machine before it is published.",
  objective="A go / no-go verdict for publishing the docs build, backed by health checks, connect times and the server's resource use.",
  done="The health document and the home page both answer 200 with the expected build number, TCP connects succeed without loss, and the report gives a go / no-go with the figures.",
  context="The docs site is published by copying the build to the CDN. Twice last quarter a build with a broken home page or a stale build number went out because nobody opened it first. This mission serves the build on 127.0.0.1, checks it the way the uptime monitor will, and stops the server when it is done.",
  constraints="- The site is served on 127.0.0.1 only, on a port the system picks; nothing is published.\n- The local server is stopped by the mission (and in any case when the run ends).\n",
  depts=["engineering", "developer-experience", "docs"], tags=["smoke-test", "docs", "release", "health-check", "local-server"],
  risk="low", roi=5.5, value=1800,
  steps=[
    put_file("page", "Write the built home page", "site/index.html",
             "<!doctype html>\n<html><head><title>Acme API docs</title></head>\n<body>\n<h1>Acme API documentation</h1>\n<p>Build 2024.06.1 (commit 9f3c2e1)</p>\n<ul><li><a href=\"quickstart.html\">Quickstart</a></li><li><a href=\"reference.html\">Reference</a></li></ul>\n</body></html>\n"),
    put_file("healthz", "Write the health document", "site/healthz.json",
             "{\"status\": \"ok\", \"build\": \"2024.06.1\", \"pages\": 42}\n"),
    sys_serve("web", "Serve the build on 127.0.0.1", "docs-site", "site", after=["page", "healthz"]),
    sys_health("health", "Check the health document", sys_url("web", "healthz.json"), "docs-site healthz",
               contains="\"status\": \"ok\""),
    sys_health("home", "Check the home page shows the build", sys_url("web", "index.html"), "docs-site home",
               contains="Build 2024.06.1"),
    sys_ping("connect", "Measure TCP connect times", "{{web.output.log_match.1}}", count=5),
    sys_monitor("load", "Measure the server's footprint", after=["health", "home"],
                max_cpu_percent=95, min_free_memory_mb=64),
    llm("verdict", "Publish verdict",
        "Decide go or no-go for publishing this docs build. Go only if both checks are healthy with status 200, the home page shows build 2024.06.1 and no TCP probe was lost. Quote the figures.\n\nHealth document: healthy={{health.output.healthy}} status={{health.output.status}} latency={{health.output.latency_ms}} ms\nHome page: healthy={{home.output.healthy}} status={{home.output.status}} latency={{home.output.latency_ms}} ms\nTCP probes: sent={{connect.output.sent}} received={{connect.output.received}} loss={{connect.output.loss_percent}}% rtt={{connect.output.rtt_ms}}\nMachine: CPU {{load.output.cpu_usage_percent}}%, alerts {{load.output.alerts}}",
        system="You are a release engineer. Be short and factual; a no-go names the failed check."),
    sys_kill("stop", "Stop the local server", "docs-site", after=["verdict", "connect", "load"]),
  ],
  facts=[("Health status", "{{health.output.status}}"), ("Home page latency (ms)", "{{home.output.latency_ms}}"),
         ("TCP loss (%)", "{{connect.output.loss_percent}}"), ("Average connect time (ms)", "{{connect.output.rtt_ms.avg}}"),
         ("Machine CPU use (%)", "{{load.output.cpu_usage_percent}}"), ("Server stopped by", "{{stop.output.signals_sent}}")],
  report="docs-smoke-test.md", check="words")

# ------------------------------------------------------------------------------------- Operations

T("Operations", "log-archive-restore-drill", "Log Archive and Restore Drill",
  goal="Archive the day's service logs into a compressed bundle, restore it into a scratch folder and prove the restore is byte-for-byte identical before the originals are rotated away.",
  objective="A verified tar.gz of the day's logs with its checksum, entry count and the free disk space left for tomorrow's archive.",
  done="The archive is written, its extraction matches the originals exactly (no difference found), its SHA-256 is recorded, and the disk check is in the report.",
  context="Logs are rotated nightly and the archive is the only copy kept for the 90-day retention. An audit found that nobody had ever restored one; a corrupted archive would only be noticed when an investigation needs it. This drill archives, restores and compares every night's bundle.",
  constraints="- Originals are not deleted by the mission; rotation happens only after a successful drill.\n- The archive and the restore stay in the run's workspace.\n",
  depts=["operations", "sre", "compliance"], tags=["logs", "backup", "restore-test", "retention", "archive"],
  risk="low", roi=4.0, value=1500,
  steps=[
    put_file("app_log", "Write the application log", "logs/app.log",
             "2024-06-01T00:00:02Z INFO  orders started, 4 workers\n2024-06-01T03:12:44Z WARN  payment gateway slow: 2.8s\n2024-06-01T03:12:51Z INFO  payment gateway recovered\n2024-06-01T23:59:58Z INFO  orders processed: 18204\n"),
    put_file("access_log", "Write the access log", "logs/access.log",
             "10.0.4.7 - - [01/Jun/2024:09:14:02 +0000] \"GET /api/orders HTTP/1.1\" 200 5120\n10.0.4.9 - - [01/Jun/2024:09:14:03 +0000] \"POST /api/orders HTTP/1.1\" 201 311\n10.0.4.7 - - [01/Jun/2024:09:15:40 +0000] \"GET /api/orders/991 HTTP/1.1\" 404 87\n"),
    put_file("audit_log", "Write the audit log", "logs/audit/2024-06-01.log",
             "2024-06-01T08:01:10Z user=ops-oncall action=deploy service=orders version=3.14.2\n2024-06-01T17:45:33Z user=dba action=grant role=reporting db=orders_ro\n"),
    sys_pack("pack", "Archive the day's logs", "archive/logs-2024-06-01.tar.gz", source="logs",
             after=["app_log", "access_log", "audit_log"]),
    sys_unpack("restore", "Restore the archive into a scratch folder", "{{pack.output.archive}}", "restore-check"),
    cmd("compare", "Compare the restore with the originals", "diff", ["-r", "logs", "restore-check"], after=["restore"]),
    cmd("digest", "Checksum the archive", "sha256sum", ["archive/logs-2024-06-01.tar.gz"], after=["pack"]),
    sys_monitor("disk", "Check the disk holding the archives", min_free_disk_mb=100, min_free_memory_mb=16),
  ],
  facts=[("Entries archived", "{{pack.output.entries}}"), ("Bytes archived", "{{pack.output.bytes}}"),
         ("Archive size (bytes)", "{{pack.output.archive_bytes}}"), ("Entries restored", "{{restore.output.entries}}"),
         ("Differences found (diff exit code)", "{{compare.output.exit_code}}"),
         ("Free disk on the archive volume", "{{disk.output.workspace_disk}}")],
  sections=[("Archive checksum", "```text\n{{digest.output.stdout}}\n```"),
            ("Archived files", "{{pack.output.files}}"),
            ("Disk and memory alerts", "{{disk.output.alerts}}")],
  report="log-restore-drill.md", check="checksum")

# --------------------------------------------------------------------------------------- Security

T("Security", "incident-evidence-pack", "Incident Evidence Pack with Integrity Check",
  goal="Bundle an incident's evidence into a sealed zip with a SHA-256 manifest, then unpack it elsewhere and verify every file against the manifest before it is handed to the external forensics firm.",
  objective="A handover zip whose contents are proven intact: every evidence file listed with its hash, and a clean verification after extraction.",
  done="The zip holds the evidence folder and its manifest, the extracted copy passes `sha256sum -c` for every file, and the report lists the hashes.",
  context="Incident INC-4711 (credential stuffing against the customer portal) goes to an outside forensics firm. Chain of custody requires that what they receive is provably what the team collected: the pack carries a manifest of SHA-256 hashes and is verified after a round trip.",
  constraints="- Evidence is copied, never altered; the manifest is computed before packing.\n- The pack stays in the workspace until the handover is approved.\n",
  depts=["security", "incident-response", "legal"], tags=["incident-response", "evidence", "chain-of-custody", "integrity", "forensics"],
  risk="medium", roi=7.0, value=5200,
  steps=[
    put_file("alerts", "Write the alert export", "evidence/alerts.json",
             "{\"incident\": \"INC-4711\", \"alerts\": [\n  {\"time\": \"2024-06-03T02:14:09Z\", \"rule\": \"auth.failed_login_burst\", \"source_ip\": \"203.0.113.45\", \"count\": 1840},\n  {\"time\": \"2024-06-03T02:31:40Z\", \"rule\": \"auth.success_after_failures\", \"source_ip\": \"203.0.113.45\", \"account\": \"cust-88213\"}\n]}\n"),
    put_file("timeline", "Write the incident timeline", "evidence/timeline.md",
             "# INC-4711 timeline\n\n- 02:14 burst of failed logins from 203.0.113.45\n- 02:31 one account logs in after 1,840 failures\n- 02:40 on-call blocks the address at the WAF\n- 03:05 the account's sessions are revoked and its password reset\n"),
    put_file("hosts", "Write the affected hosts", "evidence/hosts.csv",
             "host,role,collected\nportal-web-1,frontend,memory+logs\nportal-web-2,frontend,logs\nauth-api-1,identity,logs\n"),
    cmd("hash", "Hash every evidence file", "sha256sum",
        ["evidence/alerts.json", "evidence/hosts.csv", "evidence/timeline.md"], after=["alerts", "timeline", "hosts"]),
    _step("manifest", "create_file", "Write the SHA-256 manifest",
          {"path": "evidence.sha256", "content": "{{hash.output.stdout}}"}),
    sys_pack("seal", "Seal the evidence pack", "handover/INC-4711-evidence.zip",
             files=["evidence", "evidence.sha256"], after=["manifest"]),
    sys_unpack("unseal", "Unpack the pack elsewhere", "{{seal.output.archive}}", "verify"),
    _step("verify", "command", "Verify every file against the manifest",
          {"command": "sha256sum", "args": ["-c", "evidence.sha256"], "working_dir": "verify"},
          after=["unseal"], timeout_seconds=30),
  ],
  facts=[("Entries sealed", "{{seal.output.entries}}"), ("Evidence bytes", "{{seal.output.bytes}}"),
         ("Pack size (bytes)", "{{seal.output.archive_bytes}}"), ("Entries unpacked", "{{unseal.output.entries}}")],
  sections=[("Manifest", "```text\n{{hash.output.stdout}}\n```"),
            ("Verification after extraction", "```text\n{{verify.output.stdout}}\n```"),
            ("Pack contents", "{{seal.output.files}}")],
  report="INC-4711-evidence-pack.md", check="stamp")

# ------------------------------------------------------------------------------------- Operations

T("Operations", "status-api-health-baseline", "Status API Health Baseline",
  goal="Start the status API's static mirror on the runbook host, record a health baseline for it (HTTP checks, a TCP check, connect times and the machine's load) and turn it into the on-call baseline note.",
  objective="Baseline figures the on-call rota compares against during an incident: status codes, latencies, connect times, loss and the resources the service uses.",
  done="The status endpoint answers 200 with `operational`, an unknown route answers 404, the TCP check passes, no connect is lost, and the baseline note quotes every figure.",
  context="During the last outage on-call could not tell whether the status API was slow or the network was: there was no baseline. The status API's mirror is a folder of static JSON served by a plain HTTP server; this mission serves it on 127.0.0.1, measures it the way the monitors do and writes the numbers down.",
  constraints="- The mirror is served on 127.0.0.1 only, on a port the system picks; the run stops it when it ends.\n- Thresholds are recorded as alerts, not acted on.\n",
  depts=["operations", "sre", "on-call"], tags=["health-check", "baseline", "latency", "monitoring", "on-call"],
  risk="low", roi=4.5, value=1400,
  steps=[
    put_file("status_doc", "Write the status document", "mirror/api/v1/status.json",
             "{\"service\": \"status-api\", \"state\": \"operational\", \"components\": {\"orders\": \"operational\", \"payments\": \"operational\", \"search\": \"degraded\"}}\n"),
    put_file("metrics_doc", "Write the metrics page", "mirror/metrics.txt",
             "requests_total 182044\nerrors_total 31\nlatency_p95_ms 184\n"),
    sys_serve("mirror", "Serve the status mirror on 127.0.0.1", "status-mirror", "mirror", after=["status_doc", "metrics_doc"]),
    sys_health("status", "Check the status endpoint", sys_url("mirror", "api/v1/status.json"), "status-api",
               contains="\"state\": \"operational\""),
    sys_health("unknown", "Check an unknown route answers 404", sys_url("mirror", "api/v1/nope"), "status-api 404",
               status=[404]),
    _step("tcp", "service_health", "Check the port accepts connections",
          {"host": "127.0.0.1", "port": "{{mirror.output.log_match.1}}", "service": "status-api tcp",
           "retries": 2, "retry_delay_ms": 200, "timeout_ms": 2000}, timeout_seconds=60),
    sys_ping("connects", "Measure connect times", "{{mirror.output.log_match.1}}", count=8),
    sys_monitor("machine", "Record the machine's load and the server's footprint", after=["status", "unknown", "tcp"],
                samples=2, interval_ms=250, names=["python3"], max_cpu_percent=90, max_memory_percent=95),
    llm("baseline", "On-call baseline note",
        "Write the on-call baseline note for the status API from these measurements: one table of figures (status, latency, connect min/avg/max, loss, CPU, memory of the server process) and two lines on what would count as abnormal during an incident.\n\nStatus endpoint: {{status.output.checks}}\nUnknown route: {{unknown.output.checks}}\nTCP: {{tcp.output.checks}}\nConnects: {{connects.output.rtt_ms}} loss {{connects.output.loss_percent}}%\nMachine: CPU {{machine.output.cpu}} memory {{machine.output.memory}} load {{machine.output.load_average}}\nServer process: {{machine.output.processes}}\nAlerts: {{machine.output.alerts}}",
        system="You are an SRE writing for the on-call rota. Numbers first, no speculation."),
  ],
  facts=[("Status endpoint", "{{status.output.status}}"), ("Status latency (ms)", "{{status.output.latency_ms}}"),
         ("Unknown route", "{{unknown.output.status}}"), ("TCP check healthy", "{{tcp.output.healthy}}"),
         ("Connect loss (%)", "{{connects.output.loss_percent}}"), ("Connect max (ms)", "{{connects.output.rtt_ms.max}}"),
         ("Load average (1 min)", "{{machine.output.load_average.one}}")],
  report="status-api-baseline.md", check="headings")

# --------------------------------------------------------------------------------------- Research

T("Research", "simulation-job-footprint", "Simulation Job Resource Footprint",
  goal="Run a sample of the random-walk simulation in the background, measure its CPU and memory while it works, stop it cleanly and archive what it produced with a footprint note for the cluster request.",
  objective="The job's measured CPU share and memory, how it stopped, and an archive of its partial results to size the cluster allocation request.",
  done="The job was measured while running, stopped with an interrupt it handled, its results folder is archived, and the note states the CPU and memory figures with the allocation they imply.",
  context="The lab asks the cluster committee for core-hours each term and keeps being told its estimates are guesses. A short sampled run of the real workload, measured on a known machine, gives a defensible per-job footprint. The simulation writes its walk to results/ and writes a summary when interrupted.",
  constraints="- The job is a sample: it is interrupted after measurement, never run to completion here.\n- Figures are quoted with the machine they were measured on (core count).\n",
  depts=["research", "computational-science", "lab-operations"], tags=["benchmark", "resources", "simulation", "capacity", "hpc"],
  risk="low", roi=3.5, value=1200,
  steps=[
    put_file("script", "Write the simulation sample", "sim/walk.py",
             "import os, random, sys, time\n\nos.makedirs('results', exist_ok=True)\nrandom.seed(42)\nposition, steps = 0, 0\nprint('started', flush=True)\ntry:\n    with open('results/walk.csv', 'w') as out:\n        out.write('step,position\\n')\n        while steps < 3000:\n            for _ in range(2000):\n                position += random.choice((-1, 1))\n            steps += 1\n            out.write(f'{steps},{position}\\n')\n            out.flush()\n            time.sleep(0.01)\nexcept KeyboardInterrupt:\n    pass\nwith open('results/summary.txt', 'w') as summary:\n    summary.write(f'steps={steps} final_position={position}\\n')\nprint(f'stopped after {steps} steps at position {position}', flush=True)\n"),
    _step("job", "process_start", "Start the simulation sample",
          {"command": "python3", "args": ["-u", "sim/walk.py"], "name": "walk-sim",
           "wait_for": {"log_line": "started", "timeout_seconds": 30}}, after=["script"], timeout_seconds=60),
    sys_monitor("sample", "Measure the job while it runs", samples=3, interval_ms=300,
                pids=["{{job.output.pid}}"], include_run_processes=False, max_cpu_percent=95),
    sys_kill("stop", "Interrupt the job", "walk-sim", signal="INT", grace_seconds=10, after=["sample"]),
    read("joblog", "Read the job's log", "{{job.output.log_file}}", after=["stop"]),
    sys_pack("archive", "Archive the partial results", "results-sample.tar.gz", source="results", after=["stop"]),
    llm("note", "Footprint note",
        "Write the footprint note for the cluster allocation request. State the job's CPU share and resident memory while running, the machine's core count, how it stopped, and extrapolate core-hours for 500 full runs of 3000 steps (say clearly what is an extrapolation).\n\nJob process: {{sample.output.processes}}\nMachine CPU: {{sample.output.cpu}}\nMachine memory: {{sample.output.memory}}\nStop: signals {{stop.output.signals_sent}}, exit code {{stop.output.exit_code}}\nJob log:\n{{joblog.output.content}}\nArchive: {{archive.output.entries}} entries, {{archive.output.bytes}} bytes",
        system="You are a research software engineer. Separate measurements from extrapolations."),
  ],
  facts=[("Job CPU share (%)", "{{sample.output.processes.0.cpu_percent}}"),
         ("Job resident memory (bytes)", "{{sample.output.processes.0.memory_bytes}}"),
         ("Machine cores", "{{sample.output.cpu.count}}"), ("Job exit code", "{{stop.output.exit_code}}"),
         ("Results archived (bytes)", "{{archive.output.bytes}}")],
  report="simulation-footprint.md", check="words")
