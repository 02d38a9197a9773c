#!/usr/bin/env python3
"""Generates the mission template library: missions/templates/<sector>/<slug>.yaml.

The YAML files under missions/templates/ are GENERATED from the table in this script (the
`T(...)` entries below, one per template): edit the table, not the YAML, then re-run

    python3 missions/generate_templates.py            # rewrite missions/templates/
    python3 missions/generate_templates.py --check    # exit 1 when a file is out of date

from the repository root (Python 3 standard library only). Check the result with
`mission validate missions/templates/*/*.yaml`.

Each entry holds a template's own texts (goal, objective, done definition, context,
constraints), its registry fields and a compact list of steps built with the helpers below
(`api`, `post`, `put_file`, `cmd`, `llm`, `parse`, `search`, `gate`, ...). The script fills in
what follows from the steps:

* `depends_on` from the `{{step.output...}}` references a step makes (plus `after=`);
* the `simulation` block: every `http` step is answered by a canned response named after
  the step id, so every template runs offline; `llm` steps use the built-in simulated provider;
* the perimeter: budget caps sized to the steps, approval by risk, the sandbox, the allowed
  tools (exactly the step types used) and the sector's forbidden ones;
* the closing report (`create_file` of a markdown deliverable composed from the earlier
  steps' outputs, listed in `outputs:`) and a check of it.
"""

import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(ROOT, "templates")

# Parameter names of the `llm` step (see missions/README.md, "llm").
LLM_SYSTEM = "system_message"

SECTORS = {
    "Finance": {
        "forbidden": ["ssh_execute", "ftp_upload", "db_migrate"],
        "rules": [
            "No payment, transfer or journal entry is made: the mission reads and reports.",
            "Amounts are quoted as found in the source, with their currency.",
        ],
    },
    "Wealth": {
        "forbidden": ["ssh_execute", "ftp_upload", "process_start"],
        "rules": [
            "No order is placed and no client is contacted: recommendations are drafts for an adviser.",
            "Figures are not investment advice until an adviser signs the report.",
        ],
    },
    "Security": {
        "forbidden": ["ssh_execute", "process_kill", "ftp_upload"],
        "rules": [
            "Observe only: no blocking, quarantining or credential change is made by the mission.",
            "Secrets found are reported by location, never copied into the report.",
        ],
    },
    "Shadow": {
        "forbidden": ["ssh_execute", "ftp_upload", "websocket_connect"],
        "rules": [
            "Passive collection only: no login, no scraping behind authentication, no contact with targets.",
            "Every finding keeps its source URL so it can be verified by a person.",
        ],
    },
    "Intelligence": {
        "forbidden": ["ssh_execute", "ftp_upload", "db_migrate"],
        "rules": [
            "Public or licensed sources only; each claim names its source.",
            "Speculation is labelled as such and kept apart from facts.",
        ],
    },
    "Operations": {
        "forbidden": ["ssh_execute", "process_kill", "db_migrate"],
        "rules": [
            "No change is pushed to a live system: the mission proposes, people apply.",
            "Work stays inside the run's workspace.",
        ],
    },
    "Research": {
        "forbidden": ["ssh_execute", "ftp_upload", "git_commit"],
        "rules": [
            "Cite every paper or dataset used; no result is reported without its source.",
            "Uncertainty is stated next to every estimate.",
        ],
    },
    "Marketing": {
        "forbidden": ["ssh_execute", "ftp_upload", "db_migrate"],
        "rules": [
            "Nothing is published or sent: copy and plans are drafts for the team to approve.",
            "Brand voice guide and claims policy apply to every draft.",
        ],
    },
    "Sales": {
        "forbidden": ["ssh_execute", "ftp_upload", "db_migrate"],
        "rules": [
            "No email is sent and no CRM record is changed without a person's approval.",
            "Contact data stays in the workspace; the report carries names and companies only.",
        ],
    },
    "HR": {
        "forbidden": ["ssh_execute", "ftp_upload", "sql_query"],
        "rules": [
            "Personal data is minimised: the report uses employee ids, never health details.",
            "No decision about a person is taken by the mission; it prepares material for HR partners.",
        ],
    },
    "Legal": {
        "forbidden": ["ssh_execute", "ftp_upload", "git_commit"],
        "rules": [
            "The output is a review aid, not legal advice; counsel signs off every conclusion.",
            "Privileged documents never leave the workspace.",
        ],
    },
    "Engineering": {
        "forbidden": ["ssh_execute", "git_merge", "db_migrate"],
        "rules": [
            "Read-only on repositories and production: the mission proposes patches, it does not merge them.",
            "Every claim about the code points to a file and line or a metric.",
        ],
    },
    "Health": {
        "forbidden": ["ssh_execute", "ftp_upload", "sql_query"],
        "rules": [
            "De-identified data only; no patient identifier appears in the report.",
            "Clinical conclusions are flagged for review by a licensed clinician.",
        ],
    },
}

TEMPLATES = []

# ---------------------------------------------------------------------------------------------
# Step helpers. Each returns a dict: {"id", "step_type", "name", "parameters", "after", extras}.


def _step(sid, step_type, name, parameters, after=(), **extra):
    s = {"id": sid, "step_type": step_type, "name": name, "parameters": parameters, "after": list(after)}
    s.update(extra)
    return s


def api(sid, name, url, data, method="GET", body=None, status=200, after=(), retries=2):
    """An http call answered offline by a canned JSON response."""
    params = {"url": url, "method": method, "headers": {"Accept": "application/json"}}
    if body is not None:
        params["body"] = body
        params["headers"]["Content-Type"] = "application/json"
    params["timeout"] = 20
    return _step(sid, "http", name, params, after, sim=data, status=status, retry_attempts=retries,
                 timeout_seconds=30)


def post(sid, name, url, body, data, after=()):
    """An http POST (a draft, ticket or record created in another system), simulated."""
    return api(sid, name, url, data, method="POST", body=body, status=201, after=after, retries=0)


def put_file(sid, name, path, content, after=()):
    """A file the mission works on (an export, a config, a note), written into the workspace."""
    return _step(sid, "create_file", name, {"path": path, "content": content}, after, data_file=path)


def cmd(sid, name, program, args, stdin=None, after=()):
    params = {"command": program, "args": list(args)}
    if stdin is not None:
        params["stdin"] = stdin
    return _step(sid, "command", name, params, after, timeout_seconds=30)


def llm(sid, name, prompt, system=None, max_tokens=600, temperature=0.2, after=()):
    params = {"prompt": prompt}
    if system:
        params[LLM_SYSTEM] = system
    params["max_tokens"] = max_tokens
    params["temperature"] = temperature
    return _step(sid, "llm", name, params, after, timeout_seconds=120)


def parse(sid, name, path=None, content=None, yaml=False, after=()):
    params = {"path": path} if path is not None else {"content": content}
    return _step(sid, "parse_yaml" if yaml else "parse_json", name, params, after)


def search(sid, name, pattern, path=".", name_contains=None, case_sensitive=None, after=()):
    params = {"pattern": pattern, "path": path}
    if name_contains:
        params["name_contains"] = name_contains
    if case_sensitive is not None:
        params["case_sensitive"] = case_sensitive
    return _step(sid, "file_search", name, params, after)


def read(sid, name, path, after=()):
    return _step(sid, "read_file", name, {"path": path}, after)


def listdir(sid, name, path=".", recursive=True, after=()):
    return _step(sid, "list_directory", name, {"path": path, "recursive": recursive}, after)


def gate(sid, name, after=(), **params):
    """A noop: a join point, or named values read later as {{sid.output.<key>}}."""
    return _step(sid, "noop", name, params, after)


def edit(sid, name, path, find=None, replace=None, content=None, append=False, after=()):
    params = {"path": path}
    if find is not None:
        params["find"] = find
        params["replace"] = replace or ""
    else:
        params["content"] = content
        if append:
            params["append"] = True
    return _step(sid, "edit_file", name, params, after)


def copy(sid, name, source, destination, after=()):
    return _step(sid, "copy_file", name, {"source": source, "destination": destination}, after)


def T(sector, slug, name, goal, objective, done, context, constraints, depts, tags, risk, roi,
      value, steps, facts=(), sections=(), report=None, check=None, links=(), runtime=None,
      extra_outputs=()):
    """One template: texts, registry fields, steps (helpers above) and report composition.

    facts: [(label, "{{ref}}")] lines of the report's "Key figures".
    sections: [(heading, text)] extra report sections (text may hold references).
    report: the report's file name (default <slug>-report.md).
    check: how the report is checked: "words", "headings", "checksum" or "stamp".
    """
    TEMPLATES.append(dict(sector=sector, slug=slug, name=name, goal=goal, objective=objective,
                          done=done, context=context, constraints=constraints, depts=depts,
                          tags=tags, risk=risk, roi=roi, value=value, steps=steps, facts=facts,
                          sections=sections, report=report, check=check, links=links,
                          runtime=runtime, extra_outputs=list(extra_outputs)))


# ---------------------------------------------------------------------------------------------
# Building a mission from an entry.

REF = re.compile(r"\{\{\s*([A-Za-z0-9_-]+)\.output")
FULLREF = re.compile(r"\{\{\s*([A-Za-z0-9_-]+)\.output\.([A-Za-z0-9_.]+)\s*\}\}")
OUTPUT_FIELDS = {
    "command": ["exit_code", "stdout", "stderr"], "create_file": ["path", "bytes"],
    "edit_file": ["path", "bytes", "replacements", "backup"], "read_file": ["path", "content", "size"],
    "list_directory": ["path", "entries"], "file_search": ["matches", "files_searched", "truncated"],
    "parse_json": ["value"], "parse_yaml": ["value"], "llm": ["text", "model", "usage"],
    "copy_file": ["source", "destination", "bytes"],
}


def refs_in(value):
    found = []
    if isinstance(value, str):
        found += REF.findall(value)
    elif isinstance(value, dict):
        for v in value.values():
            found += refs_in(v)
    elif isinstance(value, list):
        for v in value:
            found += refs_in(v)
    return found


def uniq(seq):
    out = []
    for x in seq:
        if x not in out:
            out.append(x)
    return out


def _slug_hash(slug):
    h = 0
    for ch in slug:
        h = (h * 131 + ord(ch)) % 1000003
    return h


def build(t):
    steps = [dict(s) for s in t["steps"]]
    ids = [s["id"] for s in steps]
    assert len(set(ids)) == len(ids), f"{t['slug']}: duplicate step id"
    for s in steps:
        deps = uniq(s["after"] + [r for r in refs_in(s["parameters"]) if r != s["id"]])
        for d in deps:
            assert d in ids[: ids.index(s["id"])], f"{t['slug']}: {s['id']} depends on {d}, not declared before"
        s["depends_on"] = deps
    by_id = {s["id"]: s for s in steps}
    for s in steps:
        for sid, path in FULLREF.findall(json.dumps(s["parameters"])):
            src = by_id[sid]
            if src["step_type"] == "http":
                assert path.startswith(("json", "body", "status")), f"{t['slug']}: {sid}.output.{path}"
                if path.startswith("json."):
                    cur = src["sim"]
                    for part in path[5:].split("."):
                        if isinstance(cur, list):
                            cur = cur[int(part)]
                        else:
                            assert isinstance(cur, dict) and part in cur, f"{t['slug']}: {sid}.output.{path}"
                            cur = cur[part]
            elif src["step_type"] == "noop":
                assert path.split(".")[0] in src["parameters"], f"{t['slug']}: {sid}.output.{path}"
            else:
                allowed = OUTPUT_FIELDS[src["step_type"]]
                assert path.split(".")[0] in allowed, f"{t['slug']}: {sid}.output.{path}"
        if s["step_type"] == "command" and s["parameters"]["command"] == "grep":
            args = s["parameters"]["args"]
            pats = [a for a in args if not a.startswith("-")]
            files = {x["data_file"]: x["parameters"]["content"] for x in steps if x.get("data_file")}
            if len(pats) >= 2 and pats[-1] in files:
                text = files[pats[-1]]
                pat = pats[0]
                if "-i" in args:
                    text, pat = text.lower(), pat.lower()
                if "-v" not in args:
                    assert pat in text, f"{t['slug']}: grep {pats[0]} finds nothing in {pats[-1]}"
    # the report
    report = t["report"] or f"{t['slug']}-report.md"
    lines = [f"# {t['name']}", "", f"_Mission `{{{{mission.id}}}}`, run `{{{{run.id}}}}`._", ""]
    lines += ["## Goal", "", t["goal"], ""]
    if t["facts"]:
        lines += ["## Key figures", ""]
        for label, ref in t["facts"]:
            lines.append(f"- **{label}:** {ref}")
        lines.append("")
    llm_steps = [s for s in steps if s["step_type"] == "llm"]
    # the last llm step (a synthesis when there are several) goes first
    ordered = llm_steps[-1:] + llm_steps[:-1]
    for s in ordered:
        lines += [f"## {s['name']}", "", f"{{{{{s['id']}.output.text}}}}", ""]
    for heading, text in t["sections"]:
        lines += [f"## {heading}", "", text.rstrip("\n"), ""]
    cmd_steps = [s for s in steps if s["step_type"] == "command" and s.get("show", True)]
    if cmd_steps and not t["sections"]:
        lines += ["## Working figures", ""]
        for s in cmd_steps:
            lines += [f"{s['name']}:", "", "```text", f"{{{{{s['id']}.output.stdout}}}}", "```", ""]
    urls = [s["parameters"]["url"] for s in steps if s["step_type"] == "http"]
    files = [s["data_file"] for s in steps if s.get("data_file")]
    if urls or files:
        lines += ["## Sources", ""]
        for u in urls:
            lines.append(f"- {u}")
        for f in files:
            lines.append(f"- workspace file `{f}`")
        lines.append("")
    lines += ["## Done when", "", t["done"], ""]
    content = "\n".join(lines)
    has_dependent = set()
    for s in steps:
        has_dependent.update(s["depends_on"])
    leaves = [s["id"] for s in steps if s["id"] not in has_dependent]
    rep_deps = uniq(refs_in(content) + leaves)
    report_step = {"id": "write_report", "step_type": "create_file", "name": "Write the report",
                   "parameters": {"path": report, "content": content}, "depends_on": rep_deps}
    steps.append(report_step)
    outputs = [report] + t["extra_outputs"]
    check = t["check"] or ["words", "headings", "checksum", "stamp"][_slug_hash(t["slug"]) % 4]
    if check == "words":
        steps.append({"id": "check_report", "step_type": "command", "name": "Count the report's words",
                      "parameters": {"command": "wc", "args": ["-w", report]},
                      "depends_on": ["write_report"], "timeout_seconds": 10})
    elif check == "headings":
        steps.append({"id": "check_report", "step_type": "file_search", "name": "List the report's sections",
                      "parameters": {"pattern": "## ", "path": ".", "name_contains": report},
                      "depends_on": ["write_report"]})
    elif check == "checksum":
        steps.append({"id": "checksum_report", "step_type": "command", "name": "Checksum the report",
                      "parameters": {"command": "sha256sum", "args": [report]},
                      "depends_on": ["write_report"], "timeout_seconds": 10})
        steps.append({"id": "save_checksum", "step_type": "create_file", "name": "Save the checksum",
                      "parameters": {"path": report + ".sha256", "content": "{{checksum_report.output.stdout}}"},
                      "depends_on": ["checksum_report"]})
        outputs.append(report + ".sha256")
    elif check == "stamp":
        steps.append({"id": "stamp_time", "step_type": "command", "name": "Take the UTC time",
                      "parameters": {"command": "date", "args": ["-u", "+%Y-%m-%dT%H:%M:%SZ"]},
                      "depends_on": ["write_report"], "timeout_seconds": 10})
        steps.append({"id": "stamp_report", "step_type": "edit_file", "name": "Stamp the report",
                      "parameters": {"path": report, "append": True,
                                     "content": "\n---\nGenerated {{stamp_time.output.stdout}}"},
                      "depends_on": ["stamp_time"]})
    n = len(steps)
    types = uniq(s["step_type"] for s in steps)
    assert 3 <= n <= 15, f"{t['slug']}: {n} steps"
    assert len(types) >= 2, t["slug"]
    return steps, outputs, types


def perimeter(t, steps, types):
    n_llm = sum(1 for s in steps if s["step_type"] == "llm")
    n_http = sum(1 for s in steps if s["step_type"] == "http")
    tokens_per_call = max([s["parameters"].get("max_tokens", 0) for s in steps if s["step_type"] == "llm"] + [0])
    cost = round(0.05 + n_llm * 0.04 + n_http * 0.01, 2)
    budget = {"max_cost_usd": cost, "max_tokens": n_llm * (tokens_per_call + 6000),
              "max_llm_calls": n_llm, "max_steps": len(steps) + 3,
              "max_runtime_minutes": t["runtime"] or (5 + 5 * n_llm + 2 * n_http)}
    if n_llm == 0:
        budget["max_tokens"] = 0
    risk = t["risk"]
    if risk == "low":
        approval = {"mode": "auto"}
    elif risk == "medium":
        approval = {"mode": "threshold", "threshold_usd": 1.0}
    else:
        approval = {"mode": "threshold", "threshold_usd": 0.25}
    external = {"http", "llm"}
    sandbox = "full-access" if external & set(types) else "read-only"
    forbidden = [f for f in SECTORS[t["sector"]]["forbidden"] if f not in types]
    p = {"budget": budget, "approval": approval, "sandbox": sandbox,
         "tools": {"allowed": sorted(types), "forbidden": forbidden}}
    if t["links"]:
        p["connected_sectors"] = list(t["links"])
    return p


def mission(t):
    steps, outputs, types = build(t)
    sector = t["sector"]
    per = perimeter(t, steps, types)
    constraints = t["constraints"].rstrip("\n") + "\n" + "".join(f"- {r}\n" for r in SECTORS[sector]["rules"])
    m = {
        "version": "1.0",
        "id": f"studio.{sector.lower()}.{t['slug']}",
        "name": t["name"],
        "sector": sector,
        "required_depts": t["depts"],
        "goal": t["goal"],
        "objective": t["objective"],
        "done_definition": t["done"],
        "tags": t["tags"],
        "risk": t["risk"],
        "est_roi": t["roi"],
        "value_usd": t["value"],
        "context": t["context"].rstrip("\n") + "\n",
        "constraints": constraints,
        "config": {"timeout_seconds": 60 * per["budget"]["max_runtime_minutes"], "fail_fast": True,
                   "max_concurrent_steps": 4, "retry_attempts": 0, "retry_delay_ms": 500},
        "perimeter": per,
    }
    sims = []
    for s in steps:
        if s["step_type"] == "http":
            data = s["sim"]
            sims.append({"name": s["id"], "static_response": {
                "status": s["status"], "headers": {"content-type": "application/json"},
                "body": json.dumps(data, separators=(",", ":"), ensure_ascii=False), "json": data}})
    if sims:
        m["simulation"] = {"enabled": True, "tools": sims}
    out_steps = []
    for s in steps:
        o = {"id": s["id"], "name": s["name"], "step_type": s["step_type"]}
        if s["depends_on"]:
            o["depends_on"] = s["depends_on"]
        for k in ("timeout_seconds", "retry_attempts"):
            if k in s:
                o[k] = s[k]
        o["parameters"] = s["parameters"]
        out_steps.append(o)
    m["steps"] = out_steps
    m["outputs"] = outputs
    return m


# ---------------------------------------------------------------------------------------------
# A small YAML writer (block style, readable multi-line text).

PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")
PROSE = re.compile(r"^[A-Za-z][A-Za-z0-9 ,.;()'/+%$€£&=<>_-]*$")
RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def scalar(v):
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return repr(v)
    if PLAIN.match(v) and v.lower() not in RESERVED:
        return v
    if (PROSE.match(v) and ": " not in v and " #" not in v and "{{" not in v
            and not v.endswith((":", " ")) and v.lower() not in RESERVED):
        return v
    return json.dumps(v, ensure_ascii=False)


def is_block_text(v):
    return isinstance(v, str) and "\n" in v and not v.startswith((" ", "\n")) \
        and "\t" not in v and not any(line != line.rstrip() for line in v.split("\n"))


def flow_ok(v):
    return isinstance(v, list) and all(isinstance(x, (str, int, float)) and not isinstance(x, bool) for x in v) \
        and len(", ".join(scalar(x) for x in v)) < 80 and not any(isinstance(x, str) and "\n" in x for x in v)


def emit(v, indent=0):
    pad = " " * indent
    out = []
    if isinstance(v, dict):
        for k, x in v.items():
            key = scalar(k)
            if isinstance(x, dict) and x:
                out.append(f"{pad}{key}:")
                out += emit(x, indent + 2)
            elif isinstance(x, list) and x and not flow_ok(x):
                out.append(f"{pad}{key}:")
                out += emit(x, indent + 2)
            elif isinstance(x, list):
                out.append(f"{pad}{key}: [{', '.join(scalar(y) for y in x)}]")
            elif isinstance(x, dict):
                out.append(f"{pad}{key}: {{}}")
            elif is_block_text(x):
                chomp = "" if x.endswith("\n") and not x.endswith("\n\n") else "-"
                if x.endswith("\n\n"):
                    out.append(f"{pad}{key}: {json.dumps(x, ensure_ascii=False)}")
                    continue
                out.append(f"{pad}{key}: |{chomp}")
                for line in x.rstrip("\n").split("\n"):
                    out.append(f"{pad}  {line}" if line else "")
            else:
                out.append(f"{pad}{key}: {scalar(x)}")
    elif isinstance(v, list):
        for x in v:
            if isinstance(x, (dict, list)) and x:
                sub = emit(x, indent + 2)
                first = sub[0].lstrip(" ")
                out.append(f"{pad}- {first}")
                out += sub[1:]
            else:
                out.append(f"{pad}- {scalar(x) if not isinstance(x, (dict, list)) else ('{}' if isinstance(x, dict) else '[]')}")
    return out


def render(t, m):
    head = [
        f"# {m['name']} ({m['sector']})",
        "# Generated by missions/generate_templates.py from its template table: edit the table",
        "# there and re-run `python3 missions/generate_templates.py`, not this file.",
        "# Runs offline: http steps are answered by the simulation block, llm steps by the",
        "# built-in simulated provider.",
    ]
    return "\n".join(head) + "\n" + "\n".join(emit(m)) + "\n"


def main():
    check = "--check" in sys.argv[1:]
    seen_goal, seen_id = set(), set()
    files = {}
    for t in TEMPLATES:
        m = mission(t)
        assert m["id"] not in seen_id, m["id"]
        assert t["goal"] not in seen_goal, t["goal"]
        seen_id.add(m["id"])
        seen_goal.add(t["goal"])
        rel = os.path.join(t["sector"].lower(), t["slug"] + ".yaml")
        files[rel] = render(t, m)
    stale = []
    for rel, text in sorted(files.items()):
        path = os.path.join(OUT_DIR, rel)
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if old != text:
            stale.append(rel)
            if not check:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
    for dirpath, _, names in os.walk(OUT_DIR):
        for name in names:
            rel = os.path.relpath(os.path.join(dirpath, name), OUT_DIR)
            if name.endswith(".yaml") and rel not in files:
                stale.append(rel)
                if not check:
                    os.remove(os.path.join(dirpath, name))
    counts = {}
    for t in TEMPLATES:
        counts[t["sector"]] = counts.get(t["sector"], 0) + 1
    print(f"{len(TEMPLATES)} templates: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if check:
        if stale:
            print("out of date: " + ", ".join(stale))
            sys.exit(1)
    else:
        print(f"{len(stale)} file(s) written or removed")


# =============================================================================================
# The table. One T(...) per template, grouped by sector.

# --------------------------------------------------------------------------------------------- HR

T("HR", "burnout-recruiter", "Burnout Recruiter",
  goal="Spot the teams running hot on overtime, on-call load and untaken leave, and turn the worst into prioritised backfill requisitions with a sourcing brief.",
  objective="A ranked burnout watchlist by team and a draft requisition plan that relieves the three most overloaded teams first.",
  done="The report ranks every team by burnout risk with its evidence, and proposes at least one requisition (role, level, urgency) for each high-risk team.",
  context="Burnout shows up in the data weeks before resignations: overtime creeping up, on-call pages at night, leave balances that only grow. HR partners asked for a monthly view that links those signals to open headcount, so recruiting can hire where relief is needed rather than where the loudest manager is.",
  constraints="- Signals are aggregated per team (5 people or more); no individual is named.\n- Requisitions are drafts for the HR business partner and finance to approve.\n",
  depts=["hr", "people-analytics", "talent-acquisition"], tags=["burnout", "wellbeing", "recruiting", "workload", "headcount"],
  risk="medium", roi=6.5, value=4800,
  steps=[
    api("workload", "Fetch overtime and on-call load", "https://hris.example.com/api/v2/workload?window=90d&group_by=team",
        {"window_days": 90, "teams": [
            {"team": "payments-platform", "headcount": 9, "avg_weekly_hours": 51.5, "night_pages": 38, "open_reqs": 1},
            {"team": "customer-support-emea", "headcount": 14, "avg_weekly_hours": 47.0, "night_pages": 0, "open_reqs": 0},
            {"team": "data-engineering", "headcount": 7, "avg_weekly_hours": 49.2, "night_pages": 21, "open_reqs": 2},
            {"team": "mobile", "headcount": 8, "avg_weekly_hours": 41.3, "night_pages": 4, "open_reqs": 0}],
         "team_count": 4}),
    api("leave", "Fetch leave balances", "https://hris.example.com/api/v2/time-off/balances?aggregate=team",
        {"teams": [
            {"team": "payments-platform", "avg_unused_days": 17.5, "leave_taken_pct": 31},
            {"team": "customer-support-emea", "avg_unused_days": 6.0, "leave_taken_pct": 72},
            {"team": "data-engineering", "avg_unused_days": 14.0, "leave_taken_pct": 40},
            {"team": "mobile", "avg_unused_days": 5.5, "leave_taken_pct": 78}]}),
    api("pulse", "Fetch the engagement pulse", "https://survey.example.com/v1/pulse/latest?dimension=energy",
        {"survey": "2024-Q2 pulse", "responses": 212, "energy_by_team": {"payments-platform": 2.4, "customer-support-emea": 3.6, "data-engineering": 2.9, "mobile": 4.1}}),
    llm("risk", "Burnout risk ranking",
        "Rank these teams by burnout risk. Combine weekly hours above 45, night pages, unused leave and low pulse energy (scale 1-5). Give each team a score from 0 to 100 and one line of evidence.\n\nWorkload: {{workload.output.body}}\nLeave: {{leave.output.body}}\nPulse: {{pulse.output.body}}",
        system="You are a people-analytics partner. Work with team aggregates only and never speculate about individuals."),
    llm("reqs", "Backfill requisitions",
        "For each team scored high risk below, draft the requisitions that would bring weekly hours back under 45: role, level, urgency (now / this quarter) and the load it removes. Account for requisitions already open.\n\nRanking:\n{{risk.output.text}}\n\nOpen requisitions per team: {{workload.output.body}}"),
    llm("brief", "Sourcing brief",
        "Write a one-page sourcing brief for the recruiting team covering the requisitions below: must-have skills, where to source, and the message that sells a team that is rebuilding its on-call rota.\n\n{{reqs.output.text}}", max_tokens=700),
  ],
  facts=[("Teams analysed", "{{workload.output.json.team_count}}"), ("Pulse responses", "{{pulse.output.json.responses}}"), ("Window (days)", "{{workload.output.json.window_days}}")],
  report="burnout-watchlist.md")

T("HR", "offer-benchmark", "Offer Benchmark Check",
  goal="Check every pending offer against market salary bands and internal pay equity before it goes out.",
  objective="A go / adjust verdict per pending offer, with the band position and the nearest internal peers.",
  done="Each pending offer has a verdict and, where it is adjusted, a proposed figure inside the band.",
  context="Offers are approved in a hurry at the end of a hiring loop. Comp asked for a check that catches offers below the band's 25th percentile or above the highest paid peer in the same level, which create equity problems a year later.",
  constraints="- Offers and salaries stay in the workspace; the report shows band positions in percent.\n",
  depts=["hr", "compensation", "talent-acquisition"], tags=["compensation", "offers", "pay-equity", "benchmark"],
  risk="medium", roi=5.0, value=2500,
  steps=[
    api("offers", "Fetch pending offers", "https://ats.example.com/api/offers?status=pending_approval",
        {"count": 3, "offers": [
            {"req": "ENG-412", "level": "L4", "location": "Berlin", "base_eur": 78000},
            {"req": "DATA-88", "level": "L5", "location": "Lisbon", "base_eur": 71000},
            {"req": "SUP-301", "level": "L2", "location": "Dublin", "base_eur": 36500}]}),
    api("bands", "Fetch market bands", "https://comp-data.example.com/v3/bands?levels=L2,L4,L5&locations=Berlin,Lisbon,Dublin",
        {"currency": "EUR", "bands": [
            {"level": "L4", "location": "Berlin", "p25": 74000, "p50": 82000, "p75": 91000},
            {"level": "L5", "location": "Lisbon", "p25": 68000, "p50": 76000, "p75": 84000},
            {"level": "L2", "location": "Dublin", "p25": 39000, "p50": 43000, "p75": 47000}]}),
    api("peers", "Fetch internal peer pay", "https://hris.example.com/api/v2/comp/peers?levels=L2,L4,L5",
        {"peers": [{"level": "L4", "location": "Berlin", "min": 76000, "max": 88000, "n": 6},
                   {"level": "L5", "location": "Lisbon", "min": 70000, "max": 79000, "n": 3},
                   {"level": "L2", "location": "Dublin", "min": 40500, "max": 44000, "n": 11}]}),
    llm("verdicts", "Verdict per offer",
        "For each pending offer give: band position (percent between p25 and p75), position against internal peers, and a verdict GO or ADJUST with a proposed base when adjusting.\n\nOffers: {{offers.output.body}}\nBands: {{bands.output.body}}\nPeers: {{peers.output.body}}",
        system="You are a compensation analyst. Be exact with numbers and show each calculation in one line."),
  ],
  facts=[("Pending offers", "{{offers.output.json.count}}"), ("Band currency", "{{bands.output.json.currency}}")],
  check="headings")

T("HR", "onboarding-readiness", "Onboarding Readiness Sweep",
  goal="Make sure every hire starting in the next two weeks has a laptop, accounts, a buddy and a first-week plan before day one.",
  objective="A readiness checklist per starter with the missing items and who owns each gap.",
  done="Every starter in the window is listed with each of the four readiness items marked ready or missing, and every gap has an owner.",
  context="New hires who spend day one without a laptop or logins remember it. The people team keeps the start list in the ATS, IT tracks equipment in the asset system and managers assign buddies in a shared sheet; nobody joins the three.",
  constraints="- Only start dates, roles and readiness flags are read; no personal contact details.\n",
  depts=["hr", "it", "people-operations"], tags=["onboarding", "new-hires", "checklist", "it-equipment"],
  risk="low", roi=3.2, value=900,
  steps=[
    api("starters", "Fetch upcoming starters", "https://ats.example.com/api/hires?start_within_days=14",
        {"count": 4, "hires": [
            {"id": "H-1031", "role": "Backend Engineer", "start": "2024-07-01", "manager": "M-22"},
            {"id": "H-1034", "role": "Account Executive", "start": "2024-07-01", "manager": "M-07"},
            {"id": "H-1040", "role": "Data Analyst", "start": "2024-07-08", "manager": "M-15"},
            {"id": "H-1042", "role": "Support Specialist", "start": "2024-07-08", "manager": "M-31"}]}),
    api("assets", "Fetch equipment orders", "https://itam.example.com/api/orders?for=new_hires",
        {"orders": [{"hire": "H-1031", "laptop": "shipped"}, {"hire": "H-1034", "laptop": "delivered"},
                    {"hire": "H-1040", "laptop": "backordered"}]}),
    put_file("buddies", "Load the buddy sheet", "buddies.csv",
             "hire,buddy,first_week_plan\nH-1031,E-118,yes\nH-1034,E-052,no\nH-1040,,no\nH-1042,E-207,yes\n"),
    cmd("no_buddy", "Starters without a buddy", "grep", ["-n", ",,", "buddies.csv"], after=["buddies"]),
    llm("gaps", "Readiness gaps and owners",
        "Join the starters, equipment orders and buddy sheet. For each starter, mark laptop, accounts (assume created when the laptop is delivered), buddy and first-week plan as READY or MISSING, then name the owner of each gap (IT, manager, people ops).\n\nStarters: {{starters.output.body}}\nEquipment: {{assets.output.body}}\nBuddy sheet rows without a buddy: {{no_buddy.output.stdout}}"),
  ],
  facts=[("Starters in the window", "{{starters.output.json.count}}")],
  report="onboarding-readiness.md")

T("HR", "attrition-early-warning", "Attrition Early Warning",
  goal="Flag the departments whose regretted attrition risk rose this quarter, with the drivers behind it.",
  objective="A department-level attrition risk table with the top three drivers and one retention action each.",
  done="Every department with rising risk has its drivers and one concrete retention action named.",
  context="Exit interviews explain attrition after the fact. The HRIS already holds tenure, time since last promotion and manager changes, which together predict who leaves better than any survey.",
  constraints="- Aggregates of at least five employees; no individual risk scores leave the workspace.\n",
  depts=["hr", "people-analytics"], tags=["attrition", "retention", "forecast"], risk="medium", roi=7.0, value=6000,
  steps=[
    api("signals", "Fetch attrition signals", "https://hris.example.com/api/v2/analytics/attrition-signals?by=department",
        {"quarter": "2024-Q2", "departments": [
            {"dept": "Engineering", "risk_index": 0.31, "prev": 0.22, "months_since_promo": 26, "manager_changes": 4},
            {"dept": "Sales", "risk_index": 0.27, "prev": 0.29, "months_since_promo": 14, "manager_changes": 1},
            {"dept": "Support", "risk_index": 0.35, "prev": 0.24, "months_since_promo": 31, "manager_changes": 3}]}),
    llm("drivers", "Drivers behind rising risk",
        "List the departments whose risk index rose since last quarter, the size of the rise, and the two or three signals that explain it.\n\n{{signals.output.body}}"),
    llm("actions", "Retention actions",
        "Propose one retention action per department below that a people partner can start this month (promotion review, manager stabilisation, career conversations), with its expected effect.\n\n{{drivers.output.text}}"),
  ],
  facts=[("Quarter", "{{signals.output.json.quarter}}")], check="words")

T("HR", "interview-loop-health", "Interview Loop Health",
  goal="Find the interview stages that slow hiring down or reject too many candidates, per open role.",
  objective="Stage-by-stage funnel numbers per role with the bottleneck stage and a fix.",
  done="Each open role shows its funnel, its slowest stage in days and its harshest pass rate, with a suggested fix.",
  context="Time to hire has grown from 34 to 47 days. Recruiters suspect the take-home exercise and the panel scheduling, but nobody has looked at the funnel per stage.",
  constraints="- Candidate names are never read; stage counts only.\n",
  depts=["talent-acquisition", "hr"], tags=["recruiting", "funnel", "time-to-hire"], risk="low", roi=4.1, value=1500,
  steps=[
    put_file("funnel", "Load the funnel export", "funnel.csv",
             "role,stage,entered,passed,median_days\nbackend,screen,120,48,3\nbackend,take-home,48,14,9\nbackend,panel,14,6,12\nbackend,offer,6,4,4\ndesigner,screen,80,30,2\ndesigner,portfolio,30,16,5\ndesigner,panel,16,5,6\ndesigner,offer,5,3,3\n"),
    cmd("slowest", "Stages by median days", "sort", ["-t,", "-k5", "-nr", "funnel.csv"], after=["funnel"]),
    cmd("pass_rates", "Pass rate per stage", "awk", ["-F,", "NR>1 {printf \"%s %s %.0f%%\\n\", $1, $2, 100*$4/$3}", "funnel.csv"], after=["funnel"]),
    llm("fixes", "Bottlenecks and fixes",
        "From the pass rates and stage durations, name the bottleneck stage of each role and one fix (shorter exercise, pooled panel slots, calibrated screen).\n\nPass rates:\n{{pass_rates.output.stdout}}\nStages by duration:\n{{slowest.output.stdout}}"),
  ], check="checksum")

T("HR", "pay-equity-audit", "Pay Equity Audit",
  goal="Measure unexplained pay gaps between genders within the same level and location, and size the budget to close them.",
  objective="Gap per level and location after controlling for tenure, and the cost of closing gaps above 3%.",
  done="Every level and location cell with ten or more people has its adjusted gap, and the remediation cost is totalled.",
  context="The annual pay equity review is due before the compensation cycle. Legal wants the method documented, finance wants the remediation budget early.",
  constraints="- Cells with fewer than ten people are suppressed.\n- Method and thresholds are stated in the report.\n",
  depts=["compensation", "hr", "legal"], tags=["pay-equity", "compliance", "compensation"], risk="high", roi=3.0, value=12000,
  steps=[
    api("cells", "Fetch pay cells", "https://hris.example.com/api/v2/comp/equity-cells?min_size=10",
        {"cells": [{"level": "L3", "location": "Berlin", "n": 42, "raw_gap_pct": 4.1, "tenure_adjusted_gap_pct": 2.2, "payroll_eur": 2940000},
                   {"level": "L4", "location": "Berlin", "n": 27, "raw_gap_pct": 6.8, "tenure_adjusted_gap_pct": 4.9, "payroll_eur": 2300000},
                   {"level": "L3", "location": "Madrid", "n": 18, "raw_gap_pct": 3.9, "tenure_adjusted_gap_pct": 3.4, "payroll_eur": 910000}],
         "suppressed_cells": 9}),
    llm("gaps", "Adjusted gaps", "Explain the tenure-adjusted gap of each cell and mark those above 3% for remediation.\n\n{{cells.output.body}}",
        system="You are a pay equity analyst. State the method, keep numbers exact."),
    llm("budget", "Remediation budget", "Estimate the cost of closing every flagged gap to zero, cell by cell, as a share of the cell's payroll, and total it.\n\n{{gaps.output.text}}\n\nCells: {{cells.output.body}}"),
  ],
  facts=[("Suppressed cells (under ten people)", "{{cells.output.json.suppressed_cells}}")], links=["Legal", "Finance"])

T("HR", "skills-gap-map", "Skills Gap Map",
  goal="Map the skills the 2025 roadmap needs against the skills the teams have, and choose between training and hiring for each gap.",
  objective="A skills matrix with gaps ranked by roadmap impact and a train-or-hire call for each.",
  done="Each roadmap skill has a coverage figure, a gap rank and a train or hire recommendation with its lead time.",
  context="Product committed to on-device ML and a payments licence next year. Engineering managers keep skills in a yearly self-assessment that nobody reads.",
  constraints="- Self-assessments are used in aggregate per team.\n",
  depts=["hr", "learning", "engineering"], tags=["skills", "workforce-planning", "learning"], risk="low", roi=4.5, value=3000,
  steps=[
    put_file("roadmap", "Load the roadmap skill needs", "roadmap-skills.yaml",
             "needs:\n  - skill: on-device ML\n    engineers_needed: 4\n    by: 2025-Q2\n  - skill: PCI DSS\n    engineers_needed: 2\n    by: 2025-Q1\n  - skill: Kotlin Multiplatform\n    engineers_needed: 3\n    by: 2025-Q3\n"),
    parse("needs", "Parse the needs", path="roadmap-skills.yaml", yaml=True, after=["roadmap"]),
    api("assessed", "Fetch self-assessed skills", "https://learning.example.com/api/skills/summary?min_level=3",
        {"skills": {"on-device ML": 1, "PCI DSS": 0, "Kotlin Multiplatform": 2, "Rust": 5}, "respondents": 64}),
    llm("gaps", "Gaps and train-or-hire calls",
        "Compare needs with people at level 3 or more. Rank gaps by how soon they block the roadmap and say train (lead time under six months) or hire.\n\nNeeds: {{needs.output.value}}\nCoverage: {{assessed.output.body}}"),
  ],
  facts=[("Respondents", "{{assessed.output.json.respondents}}")])

T("HR", "policy-handbook-refresh", "Policy Handbook Refresh",
  goal="Find outdated, contradictory or missing sections in the employee handbook against this year's policy changes.",
  objective="A change list for the handbook: sections to update, delete or add, each tied to a policy change.",
  done="Every policy change of the year is mapped to a handbook section, and each outdated passage found is quoted with its file and line.",
  context="Remote work, parental leave and expense rules changed this year; the handbook still describes the old ones in places.",
  constraints="- Only the handbook text is read; draft wording is proposed, not published.\n",
  depts=["hr", "legal", "internal-comms"], tags=["policy", "handbook", "compliance", "documentation"], risk="low", roi=2.5, value=800,
  steps=[
    put_file("handbook", "Load the handbook", "handbook/leave-and-remote.md",
             "# Leave\nParental leave is 12 weeks at full pay.\nCarry-over of up to 5 days is allowed.\n\n# Remote work\nRemote work requires manager approval each week.\nEquipment allowance: EUR 300 once.\n"),
    put_file("changes", "Load this year's policy changes", "changes-2024.txt",
             "parental leave: 20 weeks at full pay from 2024-04-01\nremote work: up to 3 days a week without approval\nequipment allowance: EUR 600 every 3 years\n"),
    search("old_leave", "Find the old leave rule", "12 weeks", path="handbook", after=["handbook"]),
    search("old_remote", "Find the old remote rule", "approval each week", path="handbook", after=["handbook"]),
    llm("edits", "Proposed edits",
        "For each policy change, propose the new handbook wording and the passage it replaces.\n\nChanges:\n{{changes.output.path}}: parental leave 20 weeks; remote 3 days without approval; equipment EUR 600 every 3 years.\nOld passages found: {{old_leave.output.matches}} {{old_remote.output.matches}}"),
  ], check="stamp")

T("HR", "holiday-coverage-plan", "Holiday Coverage Plan",
  goal="Make sure no support or on-call rota drops below minimum staffing over the summer holiday weeks.",
  objective="Week-by-week coverage per rota with the weeks under minimum and the swaps that fix them.",
  done="Every summer week of every rota is at or above minimum after the proposed swaps, or the gap is escalated.",
  context="Leave requests for July and August are approved one by one. Last year two weeks of EMEA support ran with a single person.",
  constraints="- Approved leave is never cancelled by the plan; it proposes swaps and cover.\n",
  depts=["hr", "workforce-management", "support"], tags=["leave", "staffing", "rota", "summer"], risk="low", roi=3.4, value=1200,
  steps=[
    put_file("rota", "Load planned staffing", "coverage.csv",
             "week,rota,planned,minimum\n2024-W28,support-emea,5,4\n2024-W29,support-emea,3,4\n2024-W30,support-emea,2,4\n2024-W29,oncall-core,2,2\n2024-W31,oncall-core,1,2\n"),
    cmd("under", "Weeks under minimum", "awk", ["-F,", "NR>1 && $3<$4 {print $1, $2, $3 \"/\" $4}", "coverage.csv"], after=["rota"]),
    cmd("weeks", "Weeks in the plan", "wc", ["-l", "coverage.csv"], after=["rota"]),
    gate("rules", "Staffing rules", cover_pool="cross-trained agents from support-amer", max_swaps_per_person=2),
    llm("swaps", "Proposed swaps",
        "For each week under minimum propose swaps or cover using the pool ({{rules.output.cover_pool}}, at most {{rules.output.max_swaps_per_person}} swaps per person). Escalate what cannot be covered.\n\n{{under.output.stdout}}"),
  ])

T("HR", "exit-interview-themes", "Exit Interview Themes",
  goal="Turn the last quarter's exit interviews into ranked themes with quotes and the teams they concentrate in.",
  objective="Five ranked leaving themes, each with its share of exits, representative anonymised quotes and a suggested owner.",
  done="Themes cover at least 80% of the interviews, and every theme has a share, two quotes and an owner.",
  context="Exit interviews are typed into free text and filed. Leadership hears anecdotes; the people team wants the pattern.",
  constraints="- Quotes are anonymised: no names, no team smaller than five.\n",
  depts=["hr", "people-analytics"], tags=["exit-interviews", "attrition", "text-analysis"], risk="low", roi=3.0, value=1000,
  steps=[
    api("exits", "Fetch exit interviews", "https://hris.example.com/api/v2/exit-interviews?quarter=2024-Q2&anonymised=true",
        {"count": 4, "interviews": [
            {"team": "Support", "text": "No path to senior roles, I applied twice."},
            {"team": "Engineering", "text": "Constant re-orgs, third manager in a year."},
            {"team": "Support", "text": "Pay fell behind the market after two years."},
            {"team": "Sales", "text": "Targets rose 40% with no new leads."}]}),
    llm("themes", "Ranked themes", "Group these exit interviews into at most five themes, rank them by share, and pick quotes.\n\n{{exits.output.body}}"),
    llm("owners", "Owners and next steps", "Assign each theme to an owner (leadership team role) with one measurable next step.\n\n{{themes.output.text}}"),
  ],
  facts=[("Interviews analysed", "{{exits.output.json.count}}")], check="headings")

T("HR", "referral-program-roi", "Referral Program ROI",
  goal="Measure whether employee referrals hire faster, stay longer and cost less than other sources, and tune the bonus.",
  objective="Cost per hire, time to hire and one-year retention by source, and a recommended referral bonus.",
  done="The four hiring sources are compared on the three measures, and the bonus recommendation is priced.",
  context="The referral bonus is EUR 2,000 for every hire, set five years ago. Agencies charge 20% of first-year salary.",
  constraints="- Referrers are not identified in the report.\n",
  depts=["talent-acquisition", "finance"], tags=["referrals", "cost-per-hire", "recruiting"], risk="low", roi=5.2, value=2200,
  steps=[
    put_file("hires", "Load hires by source", "hires.csv",
             "source,hires,cost_eur,days_to_hire,retained_1y\nreferral,22,44000,29,20\nagency,15,213000,38,11\njob-board,31,62000,45,24\ninbound,18,9000,41,14\n"),
    cmd("per_hire", "Cost per hire", "awk", ["-F,", "NR>1 {printf \"%s %.0f EUR per hire, %d days, %.0f%% retained\\n\", $1, $3/$2, $4, 100*$5/$2}", "hires.csv"], after=["hires"]),
    cmd("cheapest", "Sources by cost", "sort", ["-t,", "-k3", "-n", "hires.csv"], after=["hires"]),
    llm("bonus", "Bonus recommendation", "Given these figures, recommend a referral bonus level and structure (split on start and after six months), and its expected cost per hire.\n\n{{per_hire.output.stdout}}"),
  ])

T("HR", "training-compliance-chaser", "Mandatory Training Chaser",
  goal="Get mandatory security and harassment training to full completion before the audit date.",
  objective="Completion per team, the overdue list by manager, and reminder drafts for managers.",
  done="Every manager with overdue reports has a reminder draft, and completion per team is reported against the audit date.",
  context="The ISO audit is on 30 September. Completion sits at 81% and the learning platform's own reminders are ignored.",
  constraints="- Reminders go to managers as drafts; no message is sent by the mission.\n",
  depts=["hr", "learning", "security"], tags=["compliance", "training", "audit"], risk="low", roi=2.8, value=1500,
  steps=[
    api("completion", "Fetch completion", "https://lms.example.com/api/v1/reports/completion?courses=SEC-101,HAR-201",
        {"audit_date": "2024-09-30", "overall_pct": 81, "overdue": [
            {"manager": "M-07", "team": "Sales", "overdue": 6}, {"manager": "M-22", "team": "Engineering", "overdue": 3},
            {"manager": "M-31", "team": "Support", "overdue": 9}]}),
    llm("reminders", "Manager reminder drafts",
        "Draft a short, friendly reminder to each manager with overdue reports, stating the count and the audit date {{completion.output.json.audit_date}}.\n\n{{completion.output.body}}"),
    gate("schedule", "Chaser schedule", first_reminder="today", second_reminder="in 7 days", escalation="director after 14 days"),
  ],
  facts=[("Completion today (%)", "{{completion.output.json.overall_pct}}"), ("Audit date", "{{completion.output.json.audit_date}}"),
         ("Escalation", "{{schedule.output.escalation}}")], check="words")

T("HR", "job-description-inclusivity", "Inclusive Job Descriptions",
  goal="Rewrite open job descriptions to remove exclusionary wording and inflated requirements before they are posted.",
  objective="A flagged-phrase list per job description and a rewritten version of each.",
  done="Each job description has its flagged phrases listed and a rewrite that keeps the real requirements.",
  context="Applications from women for engineering roles fell last year. The ads still ask for rockstars and ten years of experience for mid-level roles.",
  constraints="- Requirements set by the hiring manager stay; only the wording changes.\n",
  depts=["talent-acquisition", "dei"], tags=["job-descriptions", "inclusion", "recruiting", "writing"], risk="low", roi=2.2, value=600,
  steps=[
    put_file("jd", "Load the job description", "jds/backend-engineer.md",
             "We want a rockstar ninja who thrives under pressure.\nMust have 10+ years of Go.\nDigital native, work hard play hard culture.\n"),
    search("rockstar", "Find hype words", "rockstar", path="jds", case_sensitive=False, after=["jd"]),
    search("native", "Find age-coded words", "native", path="jds", case_sensitive=False, after=["jd"]),
    read("text", "Read the description", "jds/backend-engineer.md", after=["jd"]),
    llm("rewrite", "Rewritten description",
        "Rewrite this job description in plain, inclusive language and realistic requirements for a mid-level role. Flagged lines: {{rockstar.output.matches}} {{native.output.matches}}\n\n{{text.output.content}}"),
  ], check="checksum")

T("HR", "manager-span-review", "Manager Span of Control Review",
  goal="Find managers with too many or too few direct reports and propose a healthier reporting structure.",
  objective="A span distribution, the outliers on both sides, and re-org options for each.",
  done="Every manager outside the 4 to 10 range is listed with an option to bring them inside it.",
  context="After two years of growth some managers have 14 reports and others 2. Engagement scores are lowest at both ends.",
  constraints="- Options are proposals for the leadership team; no reporting line is changed.\n",
  depts=["hr", "organisation-design"], tags=["org-design", "management", "span-of-control"], risk="medium", roi=3.6, value=2000,
  steps=[
    put_file("org", "Load the reporting lines", "spans.csv", "manager,reports,dept\nM-01,14,Support\nM-02,2,Finance\nM-03,7,Engineering\nM-04,12,Sales\nM-05,3,Engineering\nM-06,6,Marketing\n"),
    cmd("wide", "Spans above 10", "awk", ["-F,", "NR>1 && $2>10", "spans.csv"], after=["org"]),
    cmd("narrow", "Spans below 4", "awk", ["-F,", "NR>1 && $2<4", "spans.csv"], after=["org"]),
    llm("options", "Re-org options", "Propose options (new team lead, merge teams, move reports) for each outlier.\n\nToo wide:\n{{wide.output.stdout}}\nToo narrow:\n{{narrow.output.stdout}}"),
  ])

T("HR", "employee-faq-bot-content", "Employee FAQ Refresh",
  goal="Refresh the answers of the people-team FAQ from this quarter's most asked HR tickets.",
  objective="The twenty most asked questions with current, policy-backed answers.",
  done="The FAQ holds an answer for every question asked more than five times this quarter, each citing its policy.",
  context="The HR inbox answers the same questions every week: payslip dates, leave carry-over, bike leasing. The FAQ page is two years old.",
  constraints="- Answers cite the policy section; anything not covered goes to the people team, not guessed.\n",
  depts=["people-operations", "internal-comms"], tags=["faq", "self-service", "tickets"], risk="low", roi=3.9, value=700,
  steps=[
    api("tickets", "Fetch ticket topics", "https://helpdesk.example.com/api/v2/topics?queue=people&period=quarter",
        {"period": "2024-Q2", "total_tickets": 612, "topics": [
            {"topic": "payslip date", "count": 88}, {"topic": "leave carry-over", "count": 71},
            {"topic": "bike leasing", "count": 40}, {"topic": "parental leave pay", "count": 33}]}),
    llm("answers", "FAQ answers", "Write a short FAQ answer for each topic below, citing the policy to check. Mark answers that need a policy owner.\n\n{{tickets.output.body}}"),
    put_file("faq_stub", "Start the FAQ page", "faq.md", "# People FAQ\n\nUpdated from the helpdesk topics of the quarter.\n"),
    edit("faq_fill", "Add the answers to the FAQ", "faq.md", content="{{answers.output.text}}", append=True, after=["faq_stub"]),
  ],
  facts=[("Tickets this quarter", "{{tickets.output.json.total_tickets}}")], extra_outputs=["faq.md"])

T("HR", "contractor-conversion", "Contractor Conversion Review",
  goal="Identify long-running contractors whose engagement creates misclassification risk or would be cheaper as employees.",
  objective="Each contractor over 12 months with the cost of converting, the risk of not converting, and a call.",
  done="Every contractor engaged for more than 12 months has a convert, end or keep call with the cost difference.",
  context="Twenty contractors have been with us over a year, some working like employees. Two jurisdictions changed their classification tests.",
  constraints="- Legal reviews every call before any contractor is approached.\n",
  depts=["hr", "legal", "finance"], tags=["contractors", "misclassification", "workforce-cost"], risk="high", roi=4.0, value=9000,
  steps=[
    api("contractors", "Fetch contractor engagements", "https://vms.example.com/api/engagements?min_months=12",
        {"count": 3, "engagements": [
            {"id": "C-17", "country": "DE", "months": 26, "day_rate_eur": 620, "exclusive": True},
            {"id": "C-29", "country": "ES", "months": 14, "day_rate_eur": 410, "exclusive": False},
            {"id": "C-33", "country": "NL", "months": 19, "day_rate_eur": 700, "exclusive": True}]}),
    api("salary", "Fetch equivalent salaries", "https://comp-data.example.com/v3/equivalents?countries=DE,ES,NL",
        {"loaded_cost_factor": 1.28, "annual_base_eur": {"DE": 85000, "ES": 52000, "NL": 88000}}),
    llm("calls", "Convert, end or keep", "For each contractor compare annual contract cost (220 days) with loaded employee cost, assess misclassification risk (length, exclusivity, country), and give a call.\n\nEngagements: {{contractors.output.body}}\nSalaries: {{salary.output.body}}",
        system="You are an HR operations analyst; flag legal questions for counsel instead of answering them."),
  ],
  facts=[("Contractors over 12 months", "{{contractors.output.json.count}}"), ("Loaded cost factor", "{{salary.output.json.loaded_cost_factor}}")], links=["Legal"])

# === END OF TABLE ===

if __name__ == "__main__":
    main()
