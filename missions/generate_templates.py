#!/usr/bin/env python3
"""Generates the mission template library: missions/templates/<sector>/<slug>.yaml.

Long on purpose: most of its lines are the table of templates, one entry each; the code that
writes them is a few hundred lines at the top.

The YAML files under missions/templates/ are GENERATED from the table in this script (the
`T(...)` entries below, one per template): edit the table, not the YAML, then re-run

    python3 missions/generate_templates.py            # rewrite missions/templates/
    python3 missions/generate_templates.py --check    # exit 1 when a file is out of date

from the repository root (Python 3 standard library only). Check the result with
`mission validate missions/templates/*/*.yaml`.

Each entry holds a template's own texts (goal, objective, done definition, context,
constraints), its registry fields and a compact list of steps built with the helpers below
(`api`, `post`, `put_file`, `cmd`, `llm`, `parse`, `search`, `gate`, ...), or uses one of the
shorter shapes: `Q` (sources in parallel, then analyses in a chain), `q1` (one or two sources)
and `F` (sources and analyses in parallel branches, joined by a synthesis). The script fills in
what follows from the steps:

* `depends_on` from the `{{step.output...}}` references a step makes (plus `after=`);
* the `simulation` block: every `http` step is answered by a canned response named after
  the step id, so every template runs offline; `llm` steps name no provider, so they use the
  operator's default provider (Settings; the built-in simulated one until one is chosen);
* the perimeter: budget caps sized to the steps, approval by risk, the sandbox, the allowed
  tools (exactly the step types used) and the sector's forbidden ones;
* the closing report (`create_file` of a markdown deliverable composed from the earlier
  steps' outputs, listed in `outputs:`) and a check of it.
"""

import glob
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(ROOT, "templates")

# Parameter names of the `llm` step (see missions/README.md, "llm").
LLM_SYSTEM = "system_message"
# The step types that call a model (their answers go into the report, their calls into the caps).
MODEL_STEPS = {"llm", "agent", "chain"}

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
    "agent": ["answer", "text", "stopped_because", "iterations", "strategy", "plan", "calls", "usage",
              "model", "provider"],
    "chain": ["text", "answers", "model", "provider", "usage"],
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
                    assert re.search(pat, text, re.M), f"{t['slug']}: grep {pats[0]} finds nothing in {pats[-1]}"
    # the report
    report = t["report"] or f"{t['slug']}-report.md"
    lines = [f"# {t['name']}", "", f"_Mission `{{{{mission.id}}}}`, run `{{{{run.id}}}}`._", ""]
    lines += ["## Goal", "", t["goal"], ""]
    if t["facts"]:
        lines += ["## Key figures", ""]
        for label, ref in t["facts"]:
            lines.append(f"- **{label}:** {ref}")
        lines.append("")
    llm_steps = [s for s in steps if s["step_type"] in MODEL_STEPS]
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


def model_calls(s):
    """The most model calls a step makes: one for `llm`, one per prompt for `chain`, one per
    iteration (and one for the plan) for `agent`."""
    if s["step_type"] == "llm":
        return 1
    if s["step_type"] == "chain":
        return len(s["parameters"]["prompts"])
    if s["step_type"] == "agent":
        return s["parameters"]["max_iterations"] + (1 if s.get("strategy") == "plan_and_solve" else 0)
    return 0


def agent_tools(steps):
    return [tool for s in steps if s["step_type"] == "agent" for tool in s["parameters"]["tools"]]


def perimeter(t, steps, types):
    n_llm = sum(model_calls(s) for s in steps)
    n_http = sum(1 for s in steps if s["step_type"] == "http")
    tokens_per_call = max([s["parameters"].get("max_tokens", 512) for s in steps if s["step_type"] in MODEL_STEPS] + [0])
    # Every tool call an agent makes passes the gate as a step of its own.
    n_calls = sum(s["parameters"]["max_iterations"] * 3 for s in steps if s["step_type"] == "agent")
    cost = round(0.05 + n_llm * 0.04 + n_http * 0.01, 2)
    budget = {"max_cost_usd": cost, "max_tokens": n_llm * (tokens_per_call + 6000),
              "max_llm_calls": n_llm, "max_steps": len(steps) + 3 + n_calls,
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
    external = {"http"} | MODEL_STEPS
    sandbox = "full-access" if external & set(types) else "read-only"
    allowed = sorted(set(types) | set(agent_tools(steps)))
    forbidden = [f for f in SECTORS[t["sector"]]["forbidden"] if f not in allowed]
    p = {"budget": budget, "approval": approval, "sandbox": sandbox,
         "tools": {"allowed": allowed, "forbidden": forbidden}}
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
    scripts = [s["agent_script"] for s in steps if s.get("agent_script")]
    if sims or scripts:
        m["simulation"] = {}
        if sims:
            m["simulation"].update({"enabled": True, "tools": sims})
        if scripts:
            m["simulation"]["agents"] = scripts
    bound = [{"target": s["id"], "strategy": {"type": s["strategy"], "config": {"planning_steps": 4}}}
             for s in steps if s.get("strategy")]
    if bound:
        m["strategies"] = bound
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


def flow_scalar(v):
    """A scalar inside a flow list: `,`, brackets and braces end a plain scalar there, so quote them."""
    text = scalar(v)
    if isinstance(v, str) and not text.startswith('"') and any(c in text for c in ",[]{}"):
        return json.dumps(v, ensure_ascii=False)
    return text


def flow_ok(v):
    return isinstance(v, list) and all(isinstance(x, (str, int, float)) and not isinstance(x, bool) for x in v) \
        and len(", ".join(flow_scalar(x) for x in v)) < 80 and not any(isinstance(x, str) and "\n" in x for x in v)


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
                out.append(f"{pad}{key}: [{', '.join(flow_scalar(y) for y in x)}]")
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
        "# http steps are answered by the simulation block (canned responses, marked simulated);",
        "# llm steps use the operator's default provider (simulated until one is chosen).",
    ]
    if (m.get("simulation") or {}).get("agents"):
        head.append("# agent steps play the turns of simulation.agents while their model is the simulated one;")
        head.append("# every tool call they make passes the perimeter's gate as a step of its own.")
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

# --------------------------------------------------------------------------------------------- Finance

T("Finance", "bank-reconciliation", "Bank Reconciliation",
  goal="Match the month's bank statement lines to ledger entries and list every unmatched item with its amount.",
  objective="Matched count, unmatched bank lines and unmatched ledger lines, with totals, ready for the controller.",
  done="Every statement line is matched or listed as unmatched, and the unmatched totals explain the difference between bank and ledger balances.",
  context="Month-end close takes three days, one of them spent matching bank lines by hand. References are reliable for card and transfer payments, not for cash deposits.",
  constraints="- Matching is exact on reference and amount; fuzzy candidates are listed, not matched.\n",
  depts=["finance", "accounting"], tags=["reconciliation", "month-end", "bank", "ledger"], risk="low", roi=5.5, value=1800,
  steps=[
    put_file("bank", "Load the bank statement", "bank.csv", "ref,amount\nINV-1001,1200.00\nINV-1002,845.50\nDEP-0610,300.00\nINV-1004,99.90\nFEE-06,-12.50\n"),
    put_file("ledger", "Load the ledger extract", "ledger.csv", "ref,amount\nINV-1001,1200.00\nINV-1002,845.50\nINV-1003,410.00\nINV-1004,99.90\n"),
    cmd("bank_sorted", "Sort bank lines", "sort", ["bank.csv"], after=["bank"]),
    cmd("ledger_sorted", "Sort ledger lines", "sort", ["ledger.csv"], after=["ledger"]),
    put_file("bank_s", "Save sorted bank lines", "bank.sorted", "{{bank_sorted.output.stdout}}"),
    put_file("ledger_s", "Save sorted ledger lines", "ledger.sorted", "{{ledger_sorted.output.stdout}}"),
    cmd("only_bank", "Bank lines not in the ledger", "comm", ["-23", "bank.sorted", "ledger.sorted"], after=["bank_s", "ledger_s"]),
    cmd("only_ledger", "Ledger lines not in the bank", "comm", ["-13", "bank.sorted", "ledger.sorted"], after=["bank_s", "ledger_s"]),
    cmd("matched", "Matched lines", "comm", ["-12", "bank.sorted", "ledger.sorted"], after=["bank_s", "ledger_s"]),
  ],
  sections=[("Unmatched on the bank side", "```text\n{{only_bank.output.stdout}}\n```"),
            ("Unmatched in the ledger", "```text\n{{only_ledger.output.stdout}}\n```"),
            ("Matched", "```text\n{{matched.output.stdout}}\n```")], check="checksum")

T("Finance", "ar-aging-collections", "Receivables Aging and Collections",
  goal="Age open receivables into buckets and draft a collection action for every invoice over 60 days.",
  objective="An aging table by bucket and a collection plan per overdue customer.",
  done="The buckets add up to total open receivables, and every invoice over 60 days has a collection action.",
  context="Days sales outstanding rose from 41 to 53. Collections calls customers in alphabetical order, not by exposure.",
  constraints="- No message is sent to customers; the plan goes to the credit controller.\n",
  depts=["finance", "credit-control"], tags=["receivables", "dso", "collections", "cash"], risk="low", roi=6.0, value=3500,
  steps=[
    api("open_ar", "Fetch open invoices", "https://erp.example.com/api/ar/open-items?as_of=2024-06-30",
        {"as_of": "2024-06-30", "currency": "EUR", "total_open": 184200, "items": [
            {"customer": "Nordwind GmbH", "invoice": "INV-8812", "amount": 42000, "days": 74},
            {"customer": "Atelier Lumen", "invoice": "INV-8907", "amount": 9800, "days": 33},
            {"customer": "Castell Foods", "invoice": "INV-8650", "amount": 61500, "days": 96},
            {"customer": "Brightpath Ltd", "invoice": "INV-9020", "amount": 70900, "days": 12}]}),
    llm("aging", "Aging buckets", "Put these invoices into buckets 0-30, 31-60, 61-90, 90+ with totals that add up to {{open_ar.output.json.total_open}}.\n\n{{open_ar.output.body}}"),
    llm("plan", "Collection plan", "For every invoice over 60 days, propose the next collection action (call, statement, hold on new orders, payment plan) by exposure.\n\n{{aging.output.text}}"),
  ],
  facts=[("As of", "{{open_ar.output.json.as_of}}"), ("Total open (EUR)", "{{open_ar.output.json.total_open}}")])

T("Finance", "expense-policy-audit", "Expense Policy Audit",
  goal="Catch expense claims that break policy (limits, weekends, duplicates, missing receipts) before they are reimbursed.",
  objective="A list of flagged claims with the rule each breaks, for the approver's queue.",
  done="Every claim in the batch is checked against the four rules and each breach is listed with its rule.",
  context="Expense claims are approved by managers who skim them. Internal audit found duplicates and weekend meals last year.",
  constraints="- Claims are flagged, never rejected, by the mission.\n",
  depts=["finance", "internal-audit"], tags=["expenses", "policy", "audit", "controls"], risk="low", roi=4.0, value=1400,
  steps=[
    put_file("claims", "Load the claims batch", "claims.csv",
             "id,employee,date,category,amount,receipt\nX-01,E-12,2024-06-08,meal,64.00,yes\nX-02,E-12,2024-06-10,taxi,38.50,no\nX-03,E-40,2024-06-11,hotel,412.00,yes\nX-04,E-40,2024-06-11,hotel,412.00,yes\nX-05,E-07,2024-06-12,meal,18.20,yes\n"),
    cmd("no_receipt", "Claims without a receipt", "grep", [",no$", "claims.csv"], after=["claims"]),
    cmd("over_limit", "Claims over the limit", "awk", ["-F,", "NR>1 && (($4==\"meal\" && $5>50) || ($4==\"hotel\" && $5>250))", "claims.csv"], after=["claims"]),
    cmd("dupes", "Possible duplicates", "awk", ["-F,", "NR>1 {k=$2\",\"$3\",\"$5; if (k in s) print s[k] \" and \" $1; s[k]=$1}", "claims.csv"], after=["claims"]),
    cmd("weekend", "Weekend dates", "grep", ["2024-06-08", "claims.csv"], after=["claims"]),
  ],
  sections=[("Missing receipts", "```text\n{{no_receipt.output.stdout}}\n```"), ("Over the limit", "```text\n{{over_limit.output.stdout}}\n```"),
            ("Possible duplicates", "```text\n{{dupes.output.stdout}}\n```"), ("Weekend claims", "```text\n{{weekend.output.stdout}}\n```")])

T("Finance", "cash-flow-forecast", "13-Week Cash Flow Forecast",
  goal="Build a 13-week cash forecast from receivables, payables and payroll, and warn before the balance drops below the buffer.",
  objective="A weekly cash position for 13 weeks with the first week below the EUR 250k buffer and levers to avoid it.",
  done="All 13 weeks are forecast, the buffer breach week (if any) is named, and at least two levers are sized.",
  context="The treasury team works from a spreadsheet updated on Fridays. A large supplier payment in August is not in it yet.",
  constraints="- Forecast only; no payment is rescheduled by the mission.\n",
  depts=["treasury", "finance"], tags=["cash", "forecast", "treasury", "liquidity"], risk="medium", roi=8.0, value=7000,
  steps=[
    api("balances", "Fetch bank balances", "https://bank-api.example.com/v1/accounts/balances",
        {"currency": "EUR", "total": 612000, "buffer": 250000}),
    api("inflows", "Fetch expected receipts", "https://erp.example.com/api/ar/expected-receipts?weeks=13",
        {"weekly": [88000, 91000, 60000, 120000, 75000, 70000, 95000, 80000, 66000, 101000, 72000, 90000, 84000]}),
    api("outflows", "Fetch scheduled payments", "https://erp.example.com/api/ap/scheduled?weeks=13",
        {"weekly": [70000, 160000, 65000, 90000, 210000, 60000, 150000, 72000, 68000, 155000, 64000, 70000, 160000], "payroll_weeks": [2, 6, 10]}),
    llm("forecast", "Weekly cash position", "Roll the balance forward week by week (balance + receipts - payments) for 13 weeks and give the first week below the buffer of {{balances.output.json.buffer}}.\n\nStart: {{balances.output.json.total}}\nReceipts: {{inflows.output.body}}\nPayments: {{outflows.output.body}}"),
    llm("levers", "Levers", "Size levers to stay above the buffer: delay discretionary payments, accelerate collections, draw the credit line.\n\n{{forecast.output.text}}"),
  ],
  facts=[("Opening balance (EUR)", "{{balances.output.json.total}}"), ("Buffer (EUR)", "{{balances.output.json.buffer}}")])

T("Finance", "vendor-duplicate-payments", "Duplicate Vendor Payment Finder",
  goal="Find payments made twice to the same vendor for the same invoice in the last twelve months.",
  objective="A recoverable-amount list per vendor, with payment pairs as evidence.",
  done="Every duplicate pair found is listed with both payment ids, and the total recoverable amount is computed.",
  context="A recovery firm offered to do this for 30% of what it finds. The payment run export has vendor, invoice number and amount.",
  constraints="- Vendors are not contacted; the list goes to accounts payable for recovery.\n",
  depts=["accounts-payable", "internal-audit"], tags=["payments", "recovery", "duplicates", "audit"], risk="low", roi=9.0, value=5000,
  steps=[
    put_file("payments", "Load the payment runs", "payments.csv",
             "payment,vendor,invoice,amount\nP-100,ACME-SUPPLY,A-778,1250.00\nP-131,OFFICEHUB,O-12,89.00\nP-177,ACME-SUPPLY,A-778,1250.00\nP-190,LOGIFREIGHT,L-5521,4310.00\nP-204,LOGIFREIGHT,L-5521,4310.00\nP-230,OFFICEHUB,O-13,89.00\n"),
    cmd("keys", "Vendor and invoice keys", "cut", ["-d,", "-f2,3,4", "payments.csv"], after=["payments"]),
    cmd("dupe_keys", "Keys paid more than once", "sort", [], stdin="{{keys.output.stdout}}"),
    cmd("repeated", "Repeated keys", "uniq", ["-d"], stdin="{{dupe_keys.output.stdout}}"),
    cmd("total", "Recoverable total", "awk", ["-F,", "{s+=$3} END {printf \"%.2f\\n\", s}"], stdin="{{repeated.output.stdout}}"),
  ],
  facts=[("Recoverable (EUR)", "{{total.output.stdout}}")],
  sections=[("Duplicate vendor, invoice and amount", "```text\n{{repeated.output.stdout}}\n```")], check="words")

T("Finance", "budget-variance-commentary", "Budget Variance Commentary",
  goal="Explain every cost centre variance above 10% of budget for the month in language the board reads.",
  objective="Variance commentary per cost centre with cause, one-off or recurring, and forecast impact.",
  done="Every cost centre over the 10% threshold has a commentary line with a cause and a forecast impact.",
  context="Cost centre owners send variance explanations late and in different formats. The board pack is due on the fifth working day.",
  constraints="- Causes not confirmed by the owner are marked as assumptions.\n",
  depts=["fp-and-a", "finance"], tags=["budget", "variance", "board-pack", "reporting"], risk="low", roi=3.5, value=1600,
  steps=[
    api("actuals", "Fetch actuals vs budget", "https://erp.example.com/api/gl/variance?period=2024-06&level=cost_centre",
        {"period": "2024-06", "threshold_pct": 10, "centres": [
            {"cc": "CC-410 Cloud", "budget": 120000, "actual": 151000},
            {"cc": "CC-220 Events", "budget": 40000, "actual": 12000},
            {"cc": "CC-300 Salaries Eng", "budget": 610000, "actual": 622000}]}),
    api("notes", "Fetch owner notes", "https://fpa.example.com/api/notes?period=2024-06",
        {"notes": [{"cc": "CC-410 Cloud", "note": "Load test environment left running 3 weeks"}, {"cc": "CC-220 Events", "note": "Conference moved to September"}]}),
    llm("commentary", "Board commentary", "Write board-ready commentary for each cost centre over the {{actuals.output.json.threshold_pct}}% threshold: cause, one-off or recurring, full-year impact. Use owner notes where present; otherwise mark the cause as an assumption.\n\nVariances: {{actuals.output.body}}\nOwner notes: {{notes.output.body}}"),
  ],
  facts=[("Period", "{{actuals.output.json.period}}")], check="stamp")

T("Finance", "revenue-recognition-check", "Revenue Recognition Check",
  goal="Check that multi-year and bundled contracts signed this quarter are recognised over the right periods.",
  objective="Per contract: performance obligations, allocation and the schedule, with any booking that deviates.",
  done="Each contract signed this quarter has an allocation and schedule, and every deviation from the booked schedule is listed.",
  context="Sales closed several bundles of licence, implementation and support. Billing booked them as invoiced, which auditors will question.",
  constraints="- Proposed schedules are reviewed by the revenue accountant before any journal.\n",
  depts=["accounting", "revenue-operations"], tags=["revenue", "ifrs15", "contracts", "audit"], risk="high", roi=4.2, value=8000,
  steps=[
    api("contracts", "Fetch new contracts", "https://clm.example.com/api/contracts?signed=2024-Q2&type=bundle",
        {"count": 2, "contracts": [
            {"id": "K-301", "customer": "Helio Energy", "licence": 120000, "implementation": 40000, "support_3y": 54000, "booked_as": "invoiced"},
            {"id": "K-317", "customer": "Varda Retail", "licence": 60000, "support_1y": 12000, "booked_as": "ratable"}]}),
    llm("obligations", "Obligations and allocation", "Identify performance obligations and allocate the price by standalone value for each contract.\n\n{{contracts.output.body}}",
        system="You are a revenue accountant applying IFRS 15. Show the allocation arithmetic."),
    llm("schedule", "Recognition schedule and deviations", "Build the quarterly recognition schedule per contract and compare with how it was booked.\n\n{{obligations.output.text}}\n\nBooked: {{contracts.output.body}}"),
  ],
  facts=[("Contracts reviewed", "{{contracts.output.json.count}}")], links=["Legal"])

T("Finance", "fx-exposure-report", "FX Exposure Report",
  goal="Measure the company's net currency exposure for the next quarter and suggest what to hedge.",
  objective="Net exposure per currency, the P&L impact of a 5% move, and a hedge proposal within policy.",
  done="Each currency with exposure above EUR 100k has its net position, 5% sensitivity and a hedge proposal.",
  context="Half of our costs are in USD and GBP while revenue is mostly EUR. The treasury policy allows hedging up to 75% of forecast exposure.",
  constraints="- No trade is placed; proposals stay within the 75% hedge ratio of the policy.\n",
  depts=["treasury", "finance"], tags=["fx", "hedging", "treasury", "risk"], risk="medium", roi=5.0, value=6000,
  steps=[
    api("exposure", "Fetch forecast flows by currency", "https://erp.example.com/api/treasury/exposure?horizon=next_quarter",
        {"base": "EUR", "flows": {"USD": -1450000, "GBP": -620000, "CHF": 180000, "SEK": 40000}}),
    api("rates", "Fetch spot rates", "https://fx.example.com/v1/spot?base=EUR&symbols=USD,GBP,CHF,SEK",
        {"base": "EUR", "date": "2024-06-28", "rates": {"USD": 1.071, "GBP": 0.846, "CHF": 0.963, "SEK": 11.35}}),
    llm("sensitivity", "Sensitivity to a 5% move", "Convert each flow to EUR and compute the P&L impact of a 5% adverse move. Skip currencies under EUR 100k.\n\nFlows: {{exposure.output.body}}\nRates: {{rates.output.body}}"),
    llm("hedges", "Hedge proposal", "Propose forwards for each material currency at no more than 75% of exposure, with tenor.\n\n{{sensitivity.output.text}}"),
  ],
  facts=[("Rates as of", "{{rates.output.json.date}}"), ("Base currency", "{{exposure.output.json.base}}")], links=["Wealth"])

T("Finance", "invoice-ocr-intake", "Supplier Invoice Intake",
  goal="Extract fields from incoming supplier invoices, match them to purchase orders and route exceptions.",
  objective="Structured invoice records, a three-way match result per invoice and an exception queue.",
  done="Every invoice in the batch is extracted, matched or routed to exceptions with a reason.",
  context="Accounts payable keys 900 invoices a month by hand. Most match a purchase order and a goods receipt exactly.",
  constraints="- Invoices are matched, not approved; payment stays with accounts payable.\n",
  depts=["accounts-payable", "procurement"], tags=["invoices", "three-way-match", "automation", "ap"], risk="low", roi=7.5, value=4200,
  steps=[
    put_file("inbox", "Load the extracted invoices", "invoices.json",
             '{"invoices": [{"number": "SI-2231", "supplier": "Papyrus AG", "po": "PO-7710", "amount": 1830.0}, {"number": "SI-2240", "supplier": "Kabelwerk", "po": "PO-7802", "amount": 12400.0}, {"number": "SI-2251", "supplier": "Kabelwerk", "po": null, "amount": 560.0}]}\n'),
    parse("parsed", "Parse the invoices", path="invoices.json", after=["inbox"]),
    api("pos", "Fetch purchase orders and receipts", "https://erp.example.com/api/po?numbers=PO-7710,PO-7802",
        {"orders": [{"po": "PO-7710", "amount": 1830.0, "received": True}, {"po": "PO-7802", "amount": 11900.0, "received": True}]}),
    llm("match", "Three-way match", "Match each invoice to its PO and receipt. Route to exceptions: missing PO, amount difference above 2%, not received.\n\nInvoices: {{parsed.output.value}}\nPOs: {{pos.output.body}}"),
  ], check="headings")

T("Finance", "month-end-close-tracker", "Month-End Close Tracker",
  goal="Track the month-end close checklist, show what blocks day-three sign-off and who owns it.",
  objective="Close status by task with blockers, owners and the critical path to sign-off.",
  done="Every close task has a status, blocked tasks have an owner and a cause, and the critical path is stated.",
  context="The close checklist lives in a spreadsheet of 48 tasks; the controller asks in chat what is done.",
  constraints="- Status is read from the checklist; the mission does not mark tasks done.\n",
  depts=["accounting", "finance"], tags=["close", "checklist", "controller"], risk="low", roi=2.6, value=900,
  steps=[
    put_file("tasks", "Load the close checklist", "close.csv",
             "task,owner,status,depends\naccruals,AC-2,done,\nbank-rec,AC-1,done,\nfixed-assets,AC-3,blocked,invoices\ninvoices,AP-1,in-progress,\nrevenue,RA-1,in-progress,contracts\nconsolidation,CO-1,open,fixed-assets\n"),
    cmd("blocked", "Blocked tasks", "grep", ["blocked", "close.csv"], after=["tasks"]),
    cmd("done", "Tasks done", "grep", ["-c", ",done,", "close.csv"], after=["tasks"]),
    cmd("open", "Tasks not done", "grep", ["-v", ",done,", "close.csv"], after=["tasks"]),
  ],
  facts=[("Tasks done", "{{done.output.stdout}}")],
  sections=[("Blocked", "```text\n{{blocked.output.stdout}}\n```"), ("Still open (with dependencies)", "```text\n{{open.output.stdout}}\n```")], check="stamp")

T("Finance", "saas-spend-rationalisation", "SaaS Spend Rationalisation",
  goal="Find unused, duplicated and over-provisioned SaaS subscriptions and size the annual saving.",
  objective="A cut list of licences and tools with owner, renewal date and saving.",
  done="Every subscription renewing in the next 90 days is reviewed, and each cut has a saving and an owner.",
  context="SaaS spend grew 38% last year. Three teams pay for separate diagramming tools; seat counts are set at renewal and never lowered.",
  constraints="- Nothing is cancelled by the mission; owners confirm each cut.\n",
  depts=["finance", "procurement", "it"], tags=["saas", "cost-saving", "licences", "procurement"], risk="low", roi=10.0, value=6500,
  steps=[
    api("subs", "Fetch subscriptions", "https://spend.example.com/api/subscriptions?renewing_within_days=90",
        {"count": 4, "subscriptions": [
            {"tool": "DiagramPro", "seats": 120, "active_30d": 31, "annual_eur": 14400, "renews": "2024-08-15"},
            {"tool": "FlowSketch", "seats": 40, "active_30d": 22, "annual_eur": 4800, "renews": "2024-09-01"},
            {"tool": "MeetNote AI", "seats": 200, "active_30d": 188, "annual_eur": 24000, "renews": "2024-07-30"},
            {"tool": "PDFMagic", "seats": 60, "active_30d": 4, "annual_eur": 3600, "renews": "2024-08-02"}]}),
    llm("cuts", "Cut list", "Propose cuts: consolidate overlapping tools, right-size seats to active users plus 10%, cancel tools under 10% use. Give the annual saving per cut.\n\n{{subs.output.body}}"),
    gate("owners", "Renewal owners", procurement="P-04", it="IT-12", deadline_days_before_renewal=30),
  ],
  facts=[("Subscriptions renewing in 90 days", "{{subs.output.json.count}}"), ("Decide this many days before renewal", "{{owners.output.deadline_days_before_renewal}}")])

T("Finance", "tax-provision-prep", "Quarterly Tax Provision Prep",
  goal="Prepare the quarter's income tax provision workpapers by entity with the effective rate bridge.",
  objective="Current and deferred tax per entity and the bridge from statutory to effective rate.",
  done="Each entity has current and deferred tax computed, and the effective rate bridge reconciles to the group figure.",
  context="Three entities (DE, NL, US). The tax advisor needs the workpapers ten days after quarter end.",
  constraints="- Workpapers are drafts for the tax advisor; no filing is made.\n",
  depts=["tax", "accounting"], tags=["tax", "provision", "quarter-end"], risk="medium", roi=3.0, value=5000,
  steps=[
    api("pbt", "Fetch profit before tax", "https://erp.example.com/api/gl/pbt?period=2024-Q2&by=entity",
        {"entities": [{"entity": "DE", "pbt": 2100000, "rate": 0.30, "non_deductible": 80000},
                      {"entity": "NL", "pbt": 950000, "rate": 0.258, "non_deductible": 12000},
                      {"entity": "US", "pbt": -300000, "rate": 0.21, "non_deductible": 0}]}),
    llm("provision", "Provision per entity", "Compute current tax and the deferred tax asset on losses for each entity, and the group effective rate with a bridge.\n\n{{pbt.output.body}}",
        system="You are a tax accountant. Show every figure, flag judgements for the advisor."),
    put_file("wp", "Start the workpaper index", "workpapers/index.md", "# Tax provision 2024-Q2\n\n- DE, NL, US current and deferred tax\n- Effective rate bridge\n"),
  ], extra_outputs=["workpapers/index.md"])

T("Finance", "procurement-price-check", "Purchase Price Check",
  goal="Compare prices on this month's purchase orders with contract prices and catch overcharges.",
  objective="Per PO line: contract price, invoiced price, difference and the amount to claim back.",
  done="Every PO line with a contract item is compared, and overcharges over 1% are listed with the amount to claim.",
  context="Framework agreements fix unit prices, but suppliers invoice list prices when the buyer forgets to quote the contract.",
  constraints="- Claims are drafted for procurement; suppliers are not contacted.\n",
  depts=["procurement", "finance"], tags=["procurement", "contracts", "overcharge"], risk="low", roi=6.8, value=2600,
  steps=[
    put_file("lines", "Load PO lines", "po-lines.csv", "po,item,qty,unit_price\nPO-1,TONER-X,40,61.00\nPO-2,PAPER-A4,300,4.10\nPO-3,CABLE-C6,500,2.40\n"),
    put_file("contract", "Load contract prices", "contract.csv", "item,contract_price\nTONER-X,54.00\nPAPER-A4,4.10\nCABLE-C6,2.15\n"),
    cmd("over", "Overcharged lines", "awk", ["-F,", "NR==FNR {p[$1]=$2; next} FNR>1 && ($2 in p) && $4 > p[$2]*1.01 {printf \"%s %s: %.2f instead of %.2f, claim %.2f\\n\", $1, $2, $4, p[$2], ($4-p[$2])*$3}", "contract.csv", "po-lines.csv"], after=["lines", "contract"]),
    cmd("claim", "Total to claim", "awk", ["-F,", "NR==FNR {p[$1]=$2; next} FNR>1 && ($2 in p) && $4 > p[$2]*1.01 {s+=($4-p[$2])*$3} END {printf \"%.2f\\n\", s}", "contract.csv", "po-lines.csv"], after=["lines", "contract"]),
  ],
  facts=[("Total to claim (EUR)", "{{claim.output.stdout}}")],
  sections=[("Overcharges", "```text\n{{over.output.stdout}}\n```")])

T("Finance", "payroll-variance-check", "Payroll Variance Check",
  goal="Compare this month's payroll run with last month's, employee by employee, and explain every change above 5% before payroll is approved.",
  objective="A list of payroll changes above 5% with the HR event that explains each, and the unexplained ones.",
  done="Every pay change above 5% is explained by a joiner, leaver, raise or bonus event, or listed as unexplained.",
  context="Payroll is approved by finance on the 24th. Two overpayments last year came from a raise entered twice.",
  constraints="- Employee ids only; the report carries no names or bank details.\n",
  depts=["payroll", "finance", "hr"], tags=["payroll", "controls", "variance"], risk="medium", roi=4.4, value=2400,
  steps=[
    put_file("runs", "Load both payroll runs", "payroll.csv", "employee,may,june\nE-01,4200,4200\nE-02,3900,4680\nE-03,5100,5100\nE-04,0,3600\nE-05,6100,12200\n"),
    put_file("events", "Load HR events", "events.csv", "employee,event\nE-02,raise 20% from June\nE-04,joiner 2024-06-03\n"),
    cmd("changes", "Changes above 5%", "awk", ["-F,", "NR>1 && ($2==0 || ($3-$2)/$2 > 0.05 || ($2-$3)/$2 > 0.05) {print $1, $2, \"->\", $3}", "payroll.csv"], after=["runs"]),
    cmd("explained", "Changes with an HR event", "cut", ["-d,", "-f1,2", "events.csv"], after=["events"]),
  ],
  sections=[("Changes above 5%", "```text\n{{changes.output.stdout}}\n```"), ("HR events on file", "```text\n{{explained.output.stdout}}\n```"),
            ("Reading", "A change listed above without an HR event is unexplained and holds the payroll approval until it is.")])

T("Finance", "customer-credit-review", "Customer Credit Limit Review",
  goal="Review credit limits of the top customers against their payment behaviour and credit scores, and propose changes.",
  objective="A proposed limit per customer with the evidence: days beyond terms, score trend, exposure.",
  done="Each of the top customers has a keep, raise or cut proposal with its evidence.",
  context="Credit limits were set at onboarding. Two customers now exceed their limit every month and one has a falling credit score.",
  constraints="- Proposals go to the credit committee; limits in the ERP are not changed.\n",
  depts=["credit-control", "finance", "sales"], tags=["credit", "risk", "customers"], risk="medium", roi=5.6, value=3000,
  steps=[
    api("exposure", "Fetch exposure and payment behaviour", "https://erp.example.com/api/ar/customers?top=3",
        {"customers": [{"name": "Nordwind GmbH", "limit": 50000, "exposure": 61200, "days_beyond_terms": 18},
                       {"name": "Castell Foods", "limit": 80000, "exposure": 74000, "days_beyond_terms": 41},
                       {"name": "Brightpath Ltd", "limit": 40000, "exposure": 22000, "days_beyond_terms": 2}]}),
    api("scores", "Fetch credit scores", "https://credit-bureau.example.com/v2/scores?names=Nordwind,Castell,Brightpath",
        {"scores": {"Nordwind GmbH": {"now": 78, "6m_ago": 80}, "Castell Foods": {"now": 52, "6m_ago": 67}, "Brightpath Ltd": {"now": 88, "6m_ago": 85}}}),
    llm("proposals", "Limit proposals", "Propose a new credit limit for each customer, keep/raise/cut, with one line of evidence.\n\nExposure: {{exposure.output.body}}\nScores: {{scores.output.body}}"),
  ], links=["Sales"])

# ---------------------------------------------------------------------------------------------
# Shorthand for the common shape: fetch sources in parallel, then analyses that build on each
# other. An ask's prompt without references gets the sources (first ask) or the previous
# ask's answer (later asks) appended.


def Q(sector, slug, name, goal, objective, done, context, constraints, depts, tags, risk, roi, value,
      src, asks, facts=(), **kw):
    steps = [api(sid, sname, url, data) for sid, sname, url, data in src]
    prev = None
    for i, ask in enumerate(asks):
        aid, aname, prompt = ask[:3]
        if "{{" not in prompt:
            if prev is None:
                prompt += "\n\n" + "\n".join(f"{sname}: {{{{{sid}.output.body}}}}" for sid, sname, _, _ in src)
            else:
                prompt += f"\n\n{{{{{prev}.output.text}}}}"
        steps.append(llm(aid, aname, prompt, system=(ask[3] if len(ask) > 3 else None)))
        prev = aid
    steps += kw.pop("more", [])
    T(sector, slug, name, goal, objective, done, context, constraints if constraints.endswith("\n") else f"- {constraints}\n",
      depts, tags, risk, roi, value, steps, facts=facts, **kw)

# --------------------------------------------------------------------------------------------- Wealth

Q("Wealth", "portfolio-drift-rebalance", "Portfolio Drift Rebalance",
  "List client portfolios that drifted more than 5 points from their target allocation and draft the rebalancing trades.",
  "Drift per portfolio and asset class, and a trade list that restores the target within tax limits.",
  "Every portfolio over the drift band has a draft trade list that brings each asset class back within 1 point.",
  "Equities rallied 14% this half year, so balanced mandates now hold more equity than their clients signed for.",
  "Trades are drafts for the adviser; nothing is sent to the broker.",
  ["wealth-management", "portfolio-analytics"], ["rebalancing", "drift", "portfolios", "allocation"], "medium", 5.5, 4000,
  [("holdings", "Fetch holdings", "https://pms.example.com/api/portfolios/holdings?mandate=balanced",
    {"count": 2, "portfolios": [{"id": "PF-118", "equity": 0.67, "bonds": 0.28, "cash": 0.05, "target": {"equity": 0.60, "bonds": 0.35, "cash": 0.05}, "value_eur": 820000},
                                {"id": "PF-204", "equity": 0.58, "bonds": 0.37, "cash": 0.05, "target": {"equity": 0.60, "bonds": 0.35, "cash": 0.05}, "value_eur": 410000}]})],
  [("drift", "Drift per portfolio", "Compute drift per asset class and flag portfolios with any class more than 5 points off target."),
   ("trades", "Draft trades", "Draft the sell and buy amounts in EUR that restore the target for each flagged portfolio, preferring sales with the lowest realised gain.")],
  facts=[("Portfolios reviewed", "{{holdings.output.json.count}}")])

Q("Wealth", "tax-loss-harvesting", "Tax-Loss Harvesting Scan",
  "Find positions with unrealised losses that can be sold to offset this year's gains without breaking wash-sale rules.",
  "A harvest list per client with the loss realised, the replacement security and the tax saved.",
  "Each candidate has a replacement that is not substantially identical and an estimated tax saving.",
  "December is busy; advisers want the harvest list in November while there is time to talk to clients.",
  "Replacement securities must not be substantially identical; no order is placed.",
  ["wealth-management", "tax"], ["tax", "harvesting", "year-end"], "medium", 6.0, 3500,
  [("lots", "Fetch tax lots", "https://pms.example.com/api/tax-lots?unrealised=loss",
    {"client": "CL-77", "realised_gains_ytd": 42000, "lots": [{"symbol": "EMXC", "loss": -8200, "bought": "2023-02-10"}, {"symbol": "ICLN", "loss": -5100, "bought": "2024-01-15"}, {"symbol": "VNQ", "loss": -1900, "bought": "2024-10-02"}]}),
   ("peers", "Fetch replacement candidates", "https://marketdata.example.com/v1/similar?symbols=EMXC,ICLN,VNQ",
    {"EMXC": ["IEMG"], "ICLN": ["TAN", "QCLN"], "VNQ": ["SCHH"]})],
  [("harvest", "Harvest list", "Pick lots worth harvesting (loss above EUR 1,000, no purchase of the same security within 30 days) and a replacement each. Estimate the tax saved at 26%.")],
  facts=[("Realised gains this year (EUR)", "{{lots.output.json.realised_gains_ytd}}")])

Q("Wealth", "client-review-pack", "Client Annual Review Pack",
  "Prepare the annual review pack for a client: performance, goals progress, fees paid and talking points.",
  "A review pack with performance against benchmark, progress on each goal and three talking points.",
  "The pack shows one-year and since-inception returns against benchmark, each goal's funded ratio and the fees paid.",
  "Advisers spend two hours assembling each review from four systems. Clients want clarity on fees after the new rules.",
  "Returns are net of fees and stated with their period.",
  ["wealth-management", "client-service"], ["client-review", "performance", "fees", "goals"], "low", 4.0, 1200,
  [("perf", "Fetch performance", "https://pms.example.com/api/clients/CL-31/performance",
    {"client": "CL-31", "return_1y": 0.072, "benchmark_1y": 0.081, "return_si_annual": 0.058, "fees_paid_eur": 6120}),
   ("goals", "Fetch goals", "https://planning.example.com/api/clients/CL-31/goals",
    {"goals": [{"goal": "retire at 62", "funded_ratio": 0.84}, {"goal": "university for two children", "funded_ratio": 1.05}]})],
  [("pack", "Review narrative", "Write the review narrative: performance against benchmark with the reason for the gap, goal progress, fees in plain words."),
   ("talking", "Talking points", "Give three talking points and one question to ask the client, based on the narrative.")],
  facts=[("Fees paid (EUR)", "{{perf.output.json.fees_paid_eur}}"), ("One-year return", "{{perf.output.json.return_1y}}")])

Q("Wealth", "suitability-check", "Suitability Check",
  "Check that every product recommended last month fits the client's risk profile, horizon and knowledge.",
  "A suitability verdict per recommendation, with the mismatches and the documentation missing.",
  "Every recommendation has a suitable or mismatch verdict, and each mismatch names the profile field it breaks.",
  "The regulator's thematic review asked for evidence of suitability checks on complex products.",
  "Verdicts are evidence for compliance; no client file is changed.",
  ["compliance", "wealth-management"], ["suitability", "mifid", "compliance", "risk-profile"], "high", 3.5, 5000,
  [("recs", "Fetch recommendations", "https://crm-wealth.example.com/api/recommendations?month=2024-06",
    {"count": 3, "items": [{"client": "CL-12", "product": "Autocallable note", "complexity": "complex"}, {"client": "CL-40", "product": "Global equity ETF", "complexity": "non-complex"}, {"client": "CL-51", "product": "Private credit fund", "complexity": "complex"}]}),
   ("profiles", "Fetch risk profiles", "https://crm-wealth.example.com/api/profiles?clients=CL-12,CL-40,CL-51",
    {"CL-12": {"risk": 2, "horizon_years": 3, "knowledge_complex": False}, "CL-40": {"risk": 4, "horizon_years": 15, "knowledge_complex": False}, "CL-51": {"risk": 5, "horizon_years": 10, "knowledge_complex": True}})],
  [("verdicts", "Suitability verdicts", "Judge each recommendation against risk (1-5), horizon and knowledge of complex products.", "You are a compliance officer. Cite the profile field behind every verdict.")],
  facts=[("Recommendations checked", "{{recs.output.json.count}}")], links=["Legal"])

Q("Wealth", "retirement-gap-analysis", "Retirement Gap Analysis",
  "Estimate each client's retirement income gap and the extra monthly saving that closes it.",
  "The projected income, the gap to target income and the saving needed, per client.",
  "Each client has a projection under three return scenarios and the monthly saving that closes the gap in the middle one.",
  "Clients over 50 ask whether they are on track. Projections in the planning tool use one optimistic scenario.",
  "Projections show three scenarios and say they are not guarantees.",
  ["financial-planning", "wealth-management"], ["retirement", "planning", "projection"], "low", 4.8, 1800,
  [("clients", "Fetch client plans", "https://planning.example.com/api/plans?age_min=50",
    {"clients": [{"id": "CL-08", "age": 54, "retire_at": 65, "pot_eur": 310000, "monthly_saving": 900, "target_income": 3200}, {"id": "CL-19", "age": 58, "retire_at": 63, "pot_eur": 520000, "monthly_saving": 1500, "target_income": 4000}]})],
  [("projection", "Projections", "Project each pot to retirement at 2%, 4% and 6% real returns and convert to a monthly income over 25 years."),
   ("saving", "Saving needed", "Give the extra monthly saving that closes the gap in the 4% scenario, and one alternative (retire later, lower target).")])

Q("Wealth", "esg-portfolio-screen", "ESG Portfolio Screen",
  "Screen client portfolios against their ESG exclusions and find holdings that break them.",
  "A breach list per portfolio with the exclusion broken and a compliant alternative.",
  "Every holding is screened and every breach has an alternative of similar exposure.",
  "Clients with sustainability preferences must not hold excluded sectors; fund look-through data arrived this week.",
  "Alternatives are suggestions; trades need the adviser and the client.",
  ["wealth-management", "esg-research"], ["esg", "screening", "exclusions", "sustainability"], "medium", 3.2, 2000,
  [("holdings", "Fetch holdings with look-through", "https://pms.example.com/api/holdings?lookthrough=true&preference=esg",
    {"portfolios": [{"id": "PF-301", "exclusions": ["thermal coal", "tobacco"], "holdings": [{"name": "World Dividend Fund", "tobacco_pct": 4.2}, {"name": "Green Bond ETF", "tobacco_pct": 0}]}]}),
   ("scores", "Fetch ESG data", "https://esg-data.example.com/v2/funds?names=World%20Dividend%20Fund,Green%20Bond%20ETF",
    {"World Dividend Fund": {"coal_revenue_pct": 1.1, "msci_rating": "BB"}, "Green Bond ETF": {"coal_revenue_pct": 0, "msci_rating": "AA"}})],
  [("breaches", "Breaches and alternatives", "List every holding breaking a client exclusion (any exposure above 1% counts) with a compliant alternative fund of similar risk.")])

T("Wealth", "fee-billing-check", "Advisory Fee Billing Check",
  goal="Recompute the quarter's advisory fees from assets and fee schedules and catch billing errors before invoices go out.",
  objective="Expected fee per account versus billed fee, with every difference above EUR 5.",
  done="Every account's fee is recomputed and each difference above EUR 5 is listed.",
  context="Fee schedules are tiered and some clients have negotiated discounts that the billing system does not know.",
  constraints="- Differences are listed for operations; no invoice is changed.\n",
  depts=["wealth-operations", "finance"], tags=["fees", "billing", "controls"], risk="low", roi=5.0, value=2000,
  steps=[
    put_file("accounts", "Load account assets and billed fees", "fees.csv", "account,aum,rate_bps,discount_pct,billed\nA-1,1200000,80,0,2400\nA-2,450000,100,10,1125\nA-3,3100000,60,20,4650\n"),
    cmd("expected", "Expected quarterly fee", "awk", ["-F,", "NR>1 {e=$2*$3/10000/4*(1-$4/100); printf \"%s expected %.2f billed %.2f diff %.2f\\n\", $1, e, $5, $5-e}", "fees.csv"], after=["accounts"]),
    cmd("errors", "Differences above EUR 5", "awk", ["-F,", "NR>1 {e=$2*$3/10000/4*(1-$4/100); d=$5-e; if (d>5 || d<-5) printf \"%s %.2f\\n\", $1, d}", "fees.csv"], after=["accounts"]),
  ],
  sections=[("Recomputed fees", "```text\n{{expected.output.stdout}}\n```"), ("Billing errors", "```text\n{{errors.output.stdout}}\n```")], check="words")

Q("Wealth", "market-event-client-brief", "Market Event Client Brief",
  "Turn a market-moving event into a short client note and a list of the clients most exposed to it.",
  "A plain-language note on the event and an exposure list so advisers call the right clients first.",
  "The note explains the event in under 300 words, and the exposure list ranks clients by their share in affected assets.",
  "When markets move sharply, advisers get calls before they have read the news themselves.",
  "The note is reviewed by the investment committee before it is sent.",
  ["investment-office", "client-service"], ["market-update", "client-communication", "exposure"], "low", 3.8, 1500,
  [("event", "Fetch the event summary", "https://news.example.com/api/events/latest?importance=high",
    {"headline": "Central bank raises rates by 50bp unexpectedly", "assets_affected": ["long bonds", "real estate", "growth equities"]}),
   ("exposure", "Fetch client exposure", "https://pms.example.com/api/exposure?assets=long_bonds,real_estate,growth_equities",
    {"clients": [{"id": "CL-03", "share": 0.41}, {"id": "CL-17", "share": 0.12}, {"id": "CL-22", "share": 0.33}]})],
  [("note", "Client note", "Write a calm, plain-language client note about the event and what it means for diversified portfolios."),
   ("calls", "Call list", "Rank clients by exposure share and give one sentence advisers can open the call with.\n\nExposure: {{exposure.output.body}}")],
  facts=[("Event", "{{event.output.json.headline}}")])

Q("Wealth", "estate-plan-gap", "Estate Plan Gap Review",
  "Find clients whose estate documents are missing or out of date after life events.",
  "A list of clients with the document gap, the event behind it and the next step.",
  "Every client with a life event in the last two years is checked for will, power of attorney and beneficiaries.",
  "Marriages, births and property purchases change what a will must say; many clients never update.",
  "The list goes to advisers and partner lawyers; clients are not contacted by the mission.",
  ["wealth-management", "estate-planning"], ["estate", "life-events", "wills"], "low", 2.9, 1000,
  [("events", "Fetch life events", "https://crm-wealth.example.com/api/life-events?since=2022-07-01",
    {"events": [{"client": "CL-44", "event": "marriage", "date": "2023-05-20"}, {"client": "CL-61", "event": "second home", "date": "2024-02-11"}]}),
   ("docs", "Fetch document register", "https://vault.example.com/api/documents?type=will,poa,beneficiary",
    {"CL-44": {"will": "2016-03-01", "poa": None}, "CL-61": {"will": "2023-01-10", "poa": "2023-01-10"}})],
  [("gaps", "Document gaps", "For each client with a life event, say which documents predate the event or are missing, and the next step.")])

Q("Wealth", "concentration-risk-alert", "Concentration Risk Alert",
  "Alert advisers to clients holding more than 10% of their wealth in a single stock, including employer shares.",
  "A list of concentrated positions with the downside in a 30% drop and diversification options.",
  "Every position above 10% of the client's wealth is listed with its stress loss and two diversification options.",
  "Executives receive employer shares every year and rarely sell; one client lost 40% of net worth in 2022.",
  "Options are explained, not executed; insider trading windows are respected.",
  ["wealth-management", "risk"], ["concentration", "single-stock", "risk"], "medium", 4.6, 2600,
  [("positions", "Fetch large positions", "https://pms.example.com/api/positions?min_weight=0.10",
    {"positions": [{"client": "CL-09", "symbol": "EMPLOYER-A", "weight": 0.38, "value_eur": 1900000, "blackout": True}, {"client": "CL-27", "symbol": "NVDA", "weight": 0.16, "value_eur": 310000, "blackout": False}]})],
  [("stress", "Stress loss", "Compute the loss in a 30% drop for each position and its share of the client's wealth."),
   ("options", "Diversification options", "Give two options per client (staged sales, exchange fund, collar, charitable gift), noting blackout periods.")])

Q("Wealth", "cash-drag-sweep", "Idle Cash Sweep",
  "Find client cash above their liquidity need that earns nothing and propose where to put it.",
  "Idle cash per client above a three-month buffer and a proposed placement.",
  "Each client with idle cash above EUR 20k has a proposal matching their risk profile.",
  "Cash balances grew during the rate rises; much of it sits in current accounts paying zero.",
  "Proposals respect the client's risk profile and liquidity needs.",
  ["wealth-management"], ["cash", "liquidity", "yield"], "low", 5.9, 2200,
  [("cash", "Fetch cash balances", "https://core-banking.example.com/api/cash?min_balance=20000",
    {"clients": [{"id": "CL-02", "cash": 145000, "monthly_spend": 6000, "risk": 2}, {"id": "CL-33", "cash": 62000, "monthly_spend": 9000, "risk": 4}]}),
   ("rates", "Fetch money market rates", "https://marketdata.example.com/v1/rates/money-market",
    {"mmf_eur": 0.036, "term_deposit_6m": 0.031, "short_bond_etf": 0.034})],
  [("sweep", "Placement proposals", "Compute idle cash above three months of spending and propose a placement per client by risk, with the yearly interest gained.")])

Q("Wealth", "philanthropy-giving-plan", "Philanthropy Giving Plan",
  "Design a tax-efficient annual giving plan for clients with charitable goals.",
  "A giving plan per client: vehicle, amount, timing and tax effect.",
  "Each client with a charitable goal has a plan that names the vehicle and the estimated tax relief.",
  "Several clients want to give more but give ad hoc in December, missing relief and matching schemes.",
  "Charities are suggested only from the client's stated causes.",
  ["financial-planning", "tax"], ["philanthropy", "giving", "tax"], "low", 2.4, 900,
  [("goals", "Fetch charitable goals", "https://planning.example.com/api/goals?type=charitable",
    {"clients": [{"id": "CL-15", "annual_budget": 25000, "causes": ["education", "climate"], "appreciated_stock": 60000}, {"id": "CL-48", "annual_budget": 5000, "causes": ["local health"]}]})],
  [("plan", "Giving plans", "Propose for each client the vehicle (direct gift, donor-advised fund, gift of appreciated shares), amounts, timing and estimated tax relief.")])

Q("Wealth", "alternative-investments-dd", "Alternative Fund Due Diligence",
  "Run first-pass due diligence on a private fund before it goes to the investment committee.",
  "A due diligence memo: strategy, track record, fees, terms and red flags.",
  "The memo covers the five areas, lists every red flag with its source and ends with proceed or decline.",
  "Clients ask about private credit and infrastructure funds; the committee meets monthly and wants consistent memos.",
  "Claims come from the fund's documents or public registers; nothing is taken from marketing alone.",
  ["investment-office", "compliance"], ["due-diligence", "private-markets", "funds"], "high", 3.1, 7000,
  [("factsheet", "Fetch the fund data room index", "https://dataroom.example.com/api/funds/ALT-PC3/summary",
    {"fund": "Meridian Private Credit III", "target_irr": 0.11, "mgmt_fee": 0.0175, "carry": 0.15, "hurdle": 0.06, "lockup_years": 7, "prior_funds": [{"name": "II", "net_irr": 0.084}, {"name": "I", "net_irr": 0.092}]}),
   ("register", "Check the regulator register", "https://register.example.com/api/firms?name=Meridian%20Capital",
    {"authorised": True, "disciplinary_actions": 1, "last_action": "2021 reporting breach, fined"})],
  [("memo", "Due diligence memo", "Write the memo: strategy, track record versus target, fees and terms, regulatory history.", "You are an investment analyst. Separate facts from your judgement."),
   ("flags", "Red flags and recommendation", "List the red flags and end with PROCEED or DECLINE and why.")],
  facts=[("Fund", "{{factsheet.output.json.fund}}")])

T("Wealth", "model-portfolio-backtest", "Model Portfolio Backtest Digest",
  goal="Summarise how each model portfolio did over the last five years against its risk budget and benchmark.",
  objective="Return, volatility and worst drawdown per model, against its stated limits.",
  done="Every model has its five-year figures, and any model outside its volatility limit is flagged.",
  context="The committee reviews model portfolios twice a year. The figures come from the backtest export.",
  constraints="- Historical figures only; no forecast is made.\n",
  depts=["investment-office", "portfolio-analytics"], tags=["models", "backtest", "risk-budget"], risk="low", roi=2.7, value=1100,
  steps=[
    put_file("backtest", "Load the backtest export", "models.csv", "model,ann_return,ann_vol,max_dd,vol_limit\ncautious,0.031,0.052,-0.091,0.06\nbalanced,0.052,0.087,-0.148,0.09\ngrowth,0.071,0.132,-0.221,0.12\n"),
    cmd("breaches", "Models over their volatility limit", "awk", ["-F,", "NR>1 && $3>$5 {print $1, \"vol\", $3, \"limit\", $5}", "models.csv"], after=["backtest"]),
    cmd("by_return", "Models by return", "sort", ["-t,", "-k2", "-nr", "models.csv"], after=["backtest"]),
    llm("digest", "Committee digest", "Write a half-page committee digest of the backtest, calling out models over their volatility limit.\n\nBreaches:\n{{breaches.output.stdout}}\nAll models:\n{{by_return.output.stdout}}"),
  ])

T("Wealth", "kyc-refresh-wealth", "KYC Refresh Queue",
  goal="Build the queue of wealth clients whose know-your-customer file expires within 60 days, ordered by risk.",
  objective="A refresh queue with expiry date, risk rating and the documents needed per client.",
  done="Every client expiring within 60 days is queued, high-risk clients first, with the documents to collect.",
  context="Expired KYC files block trading. The operations team learns about expiries when a trade fails.",
  constraints="- The queue carries client ids only.\n",
  depts=["wealth-operations", "compliance"], tags=["kyc", "aml", "operations"], risk="low", roi=3.3, value=1300,
  steps=[
    put_file("kyc", "Load the KYC register", "kyc.csv", "client,expires,risk,missing\nCL-05,2024-07-20,high,proof of address\nCL-11,2024-08-30,low,\nCL-23,2024-07-09,medium,source of wealth\nCL-40,2025-01-15,low,\n"),
    cmd("due", "Files expiring by 2024-08-31", "awk", ["-F,", "NR>1 && $2<=\"2024-08-31\"", "kyc.csv"], after=["kyc"]),
    cmd("high_first", "Queue, high risk first", "sort", ["-t,", "-k3,3", "-k2,2"], stdin="{{due.output.stdout}}"),
  ],
  sections=[("Refresh queue", "```text\n{{high_first.output.stdout}}\n```"), ("Order", "High-risk clients are refreshed first, then by expiry date.")], links=["Legal"])

# --------------------------------------------------------------------------------------------- Security

T("Security", "secret-leak-sweep", "Secret Leak Sweep",
  goal="Find API keys, private keys and passwords committed into configuration and scripts before they are pushed.",
  objective="A list of secret-looking lines by file and line, with the kind of secret and the rotation owner.",
  done="Every file of the checkout is searched for the four secret patterns and each hit is listed by file and line, without the value.",
  context="A cloud key leaked through a public repository last year. Pre-commit hooks are optional and often skipped.",
  constraints="- Hits are reported by location; the secret value itself is never copied.\n",
  depts=["security", "engineering"], tags=["secrets", "credentials", "code-scanning"], risk="low", roi=8.0, value=5000,
  steps=[
    put_file("cfg", "Load the deployment config", "deploy/app.env", "DB_HOST=db.internal\nDB_PASSWORD=hunter2-prod\nAWS_ACCESS_KEY_ID=AKIAEXAMPLEKEY000001\nLOG_LEVEL=info\n"),
    put_file("script", "Load the backup script", "deploy/backup.sh", "#!/bin/sh\n# -----BEGIN RSA PRIVATE KEY----- pasted by mistake\nexport API_TOKEN=tok_live_example\n"),
    search("aws", "AWS access keys", "AKIA", path="deploy", after=["cfg", "script"]),
    search("passwords", "Passwords", "PASSWORD=", path="deploy", after=["cfg", "script"]),
    search("keys", "Private keys", "PRIVATE KEY", path="deploy", after=["cfg", "script"]),
    search("tokens", "Tokens", "TOKEN=", path="deploy", after=["cfg", "script"]),
  ],
  sections=[("Findings", "AWS keys: {{aws.output.matches}}\n\nPasswords: {{passwords.output.matches}}\n\nPrivate keys: {{keys.output.matches}}\n\nTokens: {{tokens.output.matches}}\n\nRotate every credential above, then remove it from the file history.")], check="checksum")

Q("Security", "phishing-triage", "Phishing Report Triage",
  "Triage emails reported as phishing, decide which are real and list the indicators to block.",
  "A verdict per reported email and a deduplicated indicator list (domains, URLs, hashes).",
  "Every reported email has a verdict with its evidence, and the indicators are ready for the blocklist review.",
  "Employees report 40 emails a day; the two analysts look at them once a day and real campaigns slip through in the morning.",
  "Indicators are proposed for blocking; the mission does not change mail filters.",
  ["security-operations"], ["phishing", "email", "triage", "soc"], "medium", 6.0, 3000,
  [("reports", "Fetch reported emails", "https://mail-security.example.com/api/reported?since=24h",
    {"count": 3, "emails": [{"id": "R-1", "from": "it-support@examp1e-corp.com", "subject": "Password expires today", "urls": ["http://examp1e-corp.com/reset"]},
                            {"id": "R-2", "from": "news@vendor.example.com", "subject": "June newsletter", "urls": ["https://vendor.example.com/news"]},
                            {"id": "R-3", "from": "ceo.office@gmail.example", "subject": "Urgent gift cards", "urls": []}]}),
   ("intel", "Check domain reputation", "https://threat-intel.example.com/v1/domains?names=examp1e-corp.com,vendor.example.com",
    {"examp1e-corp.com": {"age_days": 3, "verdict": "malicious"}, "vendor.example.com": {"age_days": 2900, "verdict": "clean"}})],
  [("verdicts", "Verdicts", "Classify each reported email as phishing, spam or legitimate with its evidence (look-alike domains, young domains, urgency, requests for money).", "You are a SOC analyst. Be brief and cite indicators."),
   ("iocs", "Indicators to block", "List the deduplicated indicators of the phishing emails, each with the email it came from.")],
  facts=[("Reports triaged", "{{reports.output.json.count}}")])

Q("Security", "vulnerability-prioritisation", "Vulnerability Prioritisation",
  "Rank open vulnerabilities by real exploitability and exposure rather than CVSS alone.",
  "A fix-first list combining known exploitation, internet exposure and asset criticality.",
  "The top ten vulnerabilities each have their exploitation status, exposure, owner and a fix deadline.",
  "The scanner reports 2,300 open findings; teams fix the highest CVSS first, which are often on internal test hosts.",
  "The mission ranks; patches are scheduled by the owning teams.",
  ["security", "infrastructure"], ["vulnerabilities", "kev", "patching", "risk"], "medium", 7.2, 6000,
  [("findings", "Fetch open findings", "https://scanner.example.com/api/v3/findings?state=open&severity=high,critical",
    {"total_open": 2310, "sample": [{"cve": "CVE-2024-3400", "cvss": 10.0, "host": "vpn-gw-1", "internet": True, "crit": "high"},
                                    {"cve": "CVE-2023-4863", "cvss": 8.8, "host": "build-07", "internet": False, "crit": "low"},
                                    {"cve": "CVE-2024-21762", "cvss": 9.8, "host": "fw-edge-2", "internet": True, "crit": "high"}]}),
   ("kev", "Fetch known exploited list", "https://kev.example.com/api/catalog?cves=CVE-2024-3400,CVE-2023-4863,CVE-2024-21762",
    {"known_exploited": ["CVE-2024-3400", "CVE-2024-21762"]})],
  [("ranked", "Fix-first ranking", "Rank the findings: known exploited and internet-facing first, then by asset criticality, then CVSS. Give a deadline (48 h, 7 d, 30 d) to each.")],
  facts=[("Open high and critical findings", "{{findings.output.json.total_open}}")], links=["Engineering"])

Q("Security", "access-review", "Quarterly Access Review",
  "Find accounts with access they no longer need: leavers, role changes and dormant admin rights.",
  "A revoke list per system with the reason, and a certification summary for managers.",
  "Every privileged account is checked against HR status and last use, and each revoke has a reason.",
  "SOC 2 requires quarterly access reviews. Last quarter's review took four weeks of spreadsheets.",
  "Revocations are proposed; identity administrators apply them after manager sign-off.",
  ["security", "it", "hr"], ["access-review", "iam", "soc2", "least-privilege"], "medium", 5.0, 4000,
  [("accounts", "Fetch privileged accounts", "https://idp.example.com/api/accounts?privileged=true",
    {"count": 4, "accounts": [{"user": "E-101", "system": "aws-prod", "role": "admin", "last_used_days": 2},
                              {"user": "E-233", "system": "aws-prod", "role": "admin", "last_used_days": 140},
                              {"user": "E-310", "system": "github", "role": "owner", "last_used_days": 5},
                              {"user": "E-412", "system": "payroll", "role": "approver", "last_used_days": 30}]}),
   ("hr", "Fetch HR status", "https://hris.example.com/api/v2/status?users=E-101,E-233,E-310,E-412",
    {"E-101": "active", "E-233": "active", "E-310": "left 2024-05-31", "E-412": "moved to Marketing"})],
  [("revokes", "Revoke list", "List accounts to revoke or downgrade: leavers, movers whose new role does not need the access, admin rights unused for 90 days.")],
  facts=[("Privileged accounts reviewed", "{{accounts.output.json.count}}")], links=["HR"])

T("Security", "firewall-rule-audit", "Firewall Rule Audit",
  goal="Find overly permissive, unused and shadowed firewall rules in the edge rule set.",
  objective="A list of rules to remove or tighten, each with the reason.",
  done="Every rule allowing any source or any port is listed, and each proposal names the rule number.",
  context="The edge firewall has 400 rules accumulated over eight years. Nobody knows why half of them exist.",
  constraints="- Proposals only; the rule set is not changed.\n",
  depts=["network", "security"], tags=["firewall", "network", "audit", "hardening"], risk="low", roi=4.2, value=2500,
  steps=[
    put_file("rules", "Load the rule export", "edge-rules.txt", "10 allow tcp any -> 10.0.1.5 443 hits=91823\n20 allow tcp any -> any 22 hits=12\n30 allow udp 10.0.0.0/8 -> 10.0.2.9 53 hits=55120\n40 allow tcp any -> 10.0.1.7 3389 hits=0\n50 deny ip any -> any any hits=88211\n"),
    cmd("any_any", "Rules from any to any", "grep", ["any -> any", "edge-rules.txt"], after=["rules"]),
    cmd("unused", "Rules never hit", "grep", ["hits=0$", "edge-rules.txt"], after=["rules"]),
    cmd("admin_ports", "Rules opening admin ports", "grep", ["-E", " (22|3389) ", "edge-rules.txt"], after=["rules"]),
    llm("proposal", "Proposed changes", "Propose removals or tightening for these rules, with the reason for each.\n\nAny to any:\n{{any_any.output.stdout}}\nNever hit:\n{{unused.output.stdout}}\nAdmin ports:\n{{admin_ports.output.stdout}}"),
  ])

Q("Security", "incident-postmortem-draft", "Incident Postmortem Draft",
  "Draft a blameless postmortem from an incident's timeline, alerts and chat log.",
  "A postmortem with timeline, impact, root cause, contributing factors and action items.",
  "The draft has all five sections, each action item has an owner role and a due date.",
  "Postmortems are written a week late from memory. The incident tool already holds the timeline and alerts.",
  "Blameless: people are referred to by role, not name.",
  ["security-operations", "sre"], ["incident", "postmortem", "blameless"], "low", 3.5, 1500,
  [("incident", "Fetch the incident", "https://incidents.example.com/api/incidents/INC-2291",
    {"id": "INC-2291", "severity": "SEV-2", "duration_min": 94, "timeline": ["09:12 alert: auth error rate 18%", "09:20 on-call acknowledges", "09:41 bad config push identified", "10:46 rollback complete"], "customers_affected": 3200})],
  [("draft", "Postmortem draft", "Write a blameless postmortem draft with timeline, impact, root cause and contributing factors.", "You are an SRE writing a blameless postmortem."),
   ("actions", "Action items", "List five action items that would have prevented or shortened the incident, each with an owner role and due date.")],
  facts=[("Incident", "{{incident.output.json.id}}"), ("Duration (minutes)", "{{incident.output.json.duration_min}}")])

T("Security", "tls-certificate-expiry", "TLS Certificate Expiry Watch",
  goal="List every TLS certificate expiring in the next 30 days across public endpoints and name the owner to renew it.",
  objective="An expiry list with days left, endpoint and owner, soonest first.",
  done="Every endpoint in the inventory is checked and each certificate under 30 days is listed with its owner.",
  context="Two outages last year were expired certificates on endpoints outside the automated renewal.",
  constraints="- Read-only: endpoints are queried, certificates are not renewed.\n",
  depts=["security", "infrastructure"], tags=["tls", "certificates", "expiry", "outage-prevention"], risk="low", roi=6.5, value=3000,
  steps=[
    api("certs", "Fetch the certificate inventory", "https://cert-monitor.example.com/api/certificates?expires_within_days=30",
        {"checked": 212, "expiring": [{"host": "api.partner.example.com", "days_left": 6, "owner": "integrations"}, {"host": "legacy-sso.example.com", "days_left": 19, "owner": "identity"}]}),
    gate("policy", "Renewal policy", renew_before_days=14, escalate_to="security on-call"),
    put_file("list", "Save the expiry list", "expiring.json", "{{certs.output.json.expiring}}"),
  ],
  facts=[("Endpoints checked", "{{certs.output.json.checked}}"), ("Renew at least this many days before expiry", "{{policy.output.renew_before_days}}"), ("Escalate to", "{{policy.output.escalate_to}}")],
  sections=[("Expiring certificates", "{{certs.output.body}}")], extra_outputs=["expiring.json"], check="words")

Q("Security", "cloud-misconfig-review", "Cloud Misconfiguration Review",
  "Find public storage buckets, open security groups and unencrypted databases in the cloud accounts.",
  "A misconfiguration list by account with severity and the fix.",
  "Each of the three misconfiguration classes is checked in every account and each finding has a fix.",
  "Teams create cloud resources from the console during incidents and never clean up.",
  "Findings only; no resource is changed.",
  ["cloud-security", "infrastructure"], ["cloud", "cspm", "misconfiguration", "s3"], "medium", 6.8, 5000,
  [("posture", "Fetch posture findings", "https://cspm.example.com/api/findings?status=open",
    {"accounts": 6, "findings": [{"account": "prod", "resource": "s3://exports-2021", "issue": "public read"}, {"account": "staging", "resource": "sg-0a12", "issue": "0.0.0.0/0 on 5432"}, {"account": "prod", "resource": "rds-reporting", "issue": "storage not encrypted"}]})],
  [("fixes", "Findings and fixes", "Give severity (public data exposure first) and the exact fix for each finding, and whether data may already have been exposed.")],
  facts=[("Accounts scanned", "{{posture.output.json.accounts}}")], links=["Engineering", "Operations"])

Q("Security", "security-questionnaire", "Customer Security Questionnaire",
  "Answer a customer's security questionnaire from our policies and past answers, flagging what needs an expert.",
  "Draft answers for every question with the policy cited, and the open questions for the security team.",
  "Every question has a draft answer citing a policy or a past answer, or is flagged for an expert.",
  "Sales sends two questionnaires a week; each takes the security team a day.",
  "Answers never promise controls we do not have; unsure answers are flagged.",
  ["security", "sales"], ["questionnaire", "trust", "compliance", "sales-support"], "low", 5.4, 2500,
  [("questions", "Fetch the questionnaire", "https://trust.example.com/api/questionnaires/Q-88/questions",
    {"customer": "Helio Energy", "questions": ["Do you encrypt data at rest?", "How often are penetration tests run?", "Do you support customer-managed keys?"]}),
   ("library", "Fetch the answer library", "https://trust.example.com/api/answers?match=Q-88",
    {"encryption at rest": "AES-256 for all stores, policy SEC-12", "penetration tests": "Annual external test, last in March 2024, policy SEC-30"})],
  [("answers", "Draft answers", "Answer each question from the library, cite the policy, and flag questions the library does not cover.")],
  facts=[("Customer", "{{questions.output.json.customer}}")], links=["Sales"])

T("Security", "log-anomaly-hunt", "Authentication Log Hunt",
  goal="Hunt the authentication log for password spraying, impossible travel and logins at unusual hours.",
  objective="Suspicious accounts and source addresses with the pattern matched.",
  done="The day's log is searched for the three patterns, and each hit names the account and source.",
  context="The SIEM alerts on single failed-login bursts but misses slow spraying across many accounts.",
  constraints="- Accounts are not locked by the mission; findings go to the SOC.\n",
  depts=["security-operations"], tags=["threat-hunting", "authentication", "logs"], risk="medium", roi=5.0, value=3500,
  steps=[
    put_file("log", "Load the authentication log", "auth.log", "2024-06-30T02:11Z fail user=a.khan src=203.0.113.7\n2024-06-30T02:11Z fail user=b.lee src=203.0.113.7\n2024-06-30T02:12Z fail user=c.diaz src=203.0.113.7\n2024-06-30T08:02Z ok user=d.ng src=198.51.100.4 geo=DE\n2024-06-30T08:31Z ok user=d.ng src=192.0.2.80 geo=BR\n"),
    cmd("sources", "Failures per source", "awk", ["$2==\"fail\" {split($4,a,\"=\"); n[a[2]]++} END {for (s in n) print s, n[s]}", "auth.log"], after=["log"]),
    cmd("night", "Logins between 00:00 and 05:00", "grep", ["T0[0-4]:", "auth.log"], after=["log"]),
    cmd("dng", "Logins of d.ng", "grep", ["user=d.ng", "auth.log"], after=["log"]),
    llm("assessment", "Assessment", "Assess these hunting results for password spraying and impossible travel, and say what the SOC should do next.\n\nFailures per source:\n{{sources.output.stdout}}\nNight activity:\n{{night.output.stdout}}\nLogins of one user in two countries:\n{{dng.output.stdout}}"),
  ], check="headings")

# --------------------------------------------------------------------------------------------- Shadow

Q("Shadow", "brand-impersonation-watch", "Brand Impersonation Watch",
  "Find newly registered domains and social accounts impersonating our brand before they are used in scams.",
  "A list of look-alike domains and accounts with the evidence and a takedown priority.",
  "Every look-alike registered in the last 7 days is assessed, and each high-priority one has a takedown note.",
  "Customers were phished last quarter by a look-alike domain registered two days earlier.",
  "Passive only: domains are resolved and looked up, never visited with credentials.",
  ["threat-intelligence", "brand-protection"], ["impersonation", "domains", "takedown", "osint"], "medium", 6.0, 4000,
  [("domains", "Fetch new look-alike domains", "https://dns-watch.example.com/api/lookalikes?brand=missionstudio&days=7",
    {"count": 3, "domains": [{"domain": "missionstudio-login.com", "registered": "2024-06-28", "mx": True, "hosting": "bulletproof-1"}, {"domain": "mission-studi0.app", "registered": "2024-06-27", "mx": False}, {"domain": "missionstudio.fans", "registered": "2024-06-25", "mx": False}]}),
   ("social", "Fetch look-alike social accounts", "https://social-watch.example.com/api/accounts?brand=missionstudio",
    {"accounts": [{"network": "x", "handle": "@MissionStudioHelp", "followers": 210, "created_days": 4}]})],
  [("assessment", "Assessment and priority", "Assess each domain and account: phishing infrastructure (MX, login wording), fan site or squatting. Give a takedown priority.")],
  facts=[("New look-alike domains", "{{domains.output.json.count}}")], links=["Security", "Legal"])

Q("Shadow", "dark-web-credential-exposure", "Credential Exposure Monitor",
  "Check breach dumps and paste sites for our employees' corporate credentials and trigger resets.",
  "A list of exposed corporate accounts with the source and date, and reset requests for the identity team.",
  "Every corporate domain is checked and each exposed account has a reset request with its source.",
  "Infostealer logs sold on forums contain working session cookies, not only passwords.",
  "Only the breach-notification API is used; no forum is accessed directly and no data is bought.",
  ["threat-intelligence", "identity"], ["breach", "credentials", "dark-web", "infostealer"], "high", 7.5, 6000,
  [("exposures", "Query the breach notification service", "https://breach-notify.example.com/api/v2/domains/missionstudio.example/exposures?since=30d",
    {"count": 2, "exposures": [{"account": "E-212", "source": "infostealer log", "date": "2024-06-21", "cookies": True}, {"account": "E-077", "source": "2019 forum dump", "date": "2024-06-10", "cookies": False}]})],
  [("resets", "Reset requests", "Write a reset request for each exposed account; session cookies mean sessions must be revoked too. Rank by urgency.")],
  facts=[("Exposed accounts", "{{exposures.output.json.count}}")], links=["Security"])

Q("Shadow", "fraud-ring-detection", "Fraud Ring Detection",
  "Spot clusters of customer accounts sharing devices, addresses or payment cards that indicate a fraud ring.",
  "Clusters of linked accounts with the shared attributes and the money at risk.",
  "Every cluster of three or more linked accounts is listed with its links and total exposure.",
  "Promo abuse rose sharply: new accounts redeem the welcome offer and cash out through the same cards.",
  "Accounts are flagged for the fraud team; none is blocked by the mission.",
  ["fraud", "risk"], ["fraud", "graph", "promo-abuse", "clusters"], "high", 8.0, 9000,
  [("links", "Fetch shared attributes", "https://fraud.example.com/api/links?window=30d&min_cluster=3",
    {"clusters": [{"id": "CL-A", "accounts": 7, "shared": ["device d-88f1", "card ****4410"], "exposure_eur": 2450}, {"id": "CL-B", "accounts": 3, "shared": ["address Calle Luna 12"], "exposure_eur": 310}]})],
  [("rings", "Ring assessment", "Assess each cluster: likely ring, family or false positive, with the reason and exposure."),
   ("rules", "Rule proposals", "Propose two detection rules that would have stopped the likely rings at sign-up.")])

Q("Shadow", "insider-risk-signals", "Insider Risk Signals",
  "Correlate resignation notices with unusual data downloads to catch data exfiltration before the last day.",
  "A short list of departing employees with unusual data movement and the evidence.",
  "Every employee in notice period is checked against download baselines, and each alert has its evidence.",
  "A departing salesperson took the customer list to a competitor last year; downloads had tripled in the notice period.",
  "Only employees in notice period are checked; alerts go to HR and legal, never to managers directly.",
  ["security", "hr", "legal"], ["insider-risk", "dlp", "data-exfiltration"], "high", 5.5, 8000,
  [("leavers", "Fetch employees in notice period", "https://hris.example.com/api/v2/notice-period",
    {"employees": ["E-140", "E-305"]}),
   ("downloads", "Fetch download volumes", "https://dlp.example.com/api/volumes?users=E-140,E-305&baseline=90d",
    {"E-140": {"last_14d_mb": 4100, "baseline_14d_mb": 380, "top_source": "CRM export"}, "E-305": {"last_14d_mb": 260, "baseline_14d_mb": 240, "top_source": "wiki"}})],
  [("alerts", "Alerts", "Flag departing employees whose downloads exceed three times their baseline, with the evidence. Keep the wording neutral.", "You are an insider-risk analyst. Facts only; no judgement of intent.")],
  links=["HR", "Legal", "Security"])

T("Shadow", "infostealer-domain-sweep", "Typosquat Domain Sweep",
  goal="Generate the typo variants of our main domains and check which ones are registered by someone else.",
  objective="Registered typo domains with registrant, creation date and whether they receive email.",
  done="Every variant of the permutation list is checked and each registered one is listed with its details.",
  context="Typosquatted domains receive misdirected email, including invoices. We own only six variants.",
  constraints="- DNS and WHOIS lookups only; no page of the domains is loaded.\n",
  depts=["threat-intelligence", "it"], tags=["typosquatting", "dns", "domains"], risk="low", roi=4.0, value=1800,
  steps=[
    put_file("variants", "Write the variant list", "variants.txt", "missionstudio.example\nmisionstudio.example\nmissionstudios.example\nmissoinstudio.example\nmission-studio.example\nmissionstuido.example\n"),
    cmd("count", "Count the variants", "wc", ["-l", "variants.txt"], after=["variants"]),
    api("whois", "Look up the variants", "https://whois.example.com/api/bulk",
        {"registered": [{"domain": "missionstudios.example", "created": "2023-11-02", "mx": True, "registrant": "privacy service"}, {"domain": "mission-studio.example", "created": "2019-04-18", "mx": False, "registrant": "Mission Studio (ours)"}]},
        method="POST", body="{{variants.output.path}}"),
    llm("assessment", "Risk of each registered variant", "For each registered variant that is not ours, assess the risk (MX records mean it can receive our mail) and recommend: monitor, acquire or file a complaint.\n\n{{whois.output.body}}"),
  ],
  facts=[("Variants checked", "{{count.output.stdout}}")])

Q("Shadow", "executive-exposure-audit", "Executive Digital Exposure Audit",
  "Measure how much personal information about our executives is publicly available and could be used for targeting.",
  "Per executive: exposed data types, sources and the removal requests to file.",
  "Each executive in scope has an exposure score, the sources found and the removal requests drafted.",
  "Attackers built a convincing CEO voice call from public interviews and a data broker profile.",
  "Public sources only; findings are shared with each executive privately.",
  ["executive-protection", "threat-intelligence"], ["executive-protection", "osint", "privacy", "doxxing"], "medium", 3.8, 4000,
  [("brokers", "Query data broker listings", "https://privacy-scan.example.com/api/scan?people=EX-1,EX-2",
    {"EX-1": {"home_address": True, "phone": True, "family_names": True, "sources": ["peoplefinder.example", "propertyrecords.example"]}, "EX-2": {"home_address": False, "phone": True, "family_names": False, "sources": ["leadlists.example"]}})],
  [("exposure", "Exposure per executive", "Score each executive's exposure (0-10) by data type and list the removal requests to file per source.")])

Q("Shadow", "counterfeit-listing-hunt", "Counterfeit Listing Hunt",
  "Find marketplace listings selling counterfeit versions of our hardware and prepare takedown notices.",
  "Suspect listings with price, seller and the signals of counterfeit, and takedown drafts.",
  "Each listing priced under 60% of retail or using our trademarks without authorisation is assessed, with a draft notice for the likely counterfeits.",
  "Support receives devices bought on marketplaces that fail our serial number check.",
  "Listings are observed, never purchased; notices are sent by legal.",
  ["brand-protection", "legal"], ["counterfeit", "marketplaces", "trademark"], "medium", 4.5, 3000,
  [("listings", "Search marketplaces", "https://marketplace-watch.example.com/api/search?q=mission%20studio%20console",
    {"retail_eur": 349, "listings": [{"market": "shopzone", "seller": "best-deals-88", "price_eur": 119, "units": 200}, {"market": "auctionly", "seller": "refurb-hub", "price_eur": 279, "units": 3}]})],
  [("assessment", "Counterfeit assessment", "Assess each listing against retail price and volume and say which look counterfeit."),
   ("notices", "Takedown drafts", "Draft a short takedown notice for each likely counterfeit listing.")], links=["Legal"])

T("Shadow", "paste-site-leak-monitor", "Code Leak Monitor",
  goal="Detect our source code or internal hostnames appearing on public code-sharing and paste sites.",
  objective="Leaked snippets with the internal identifiers found and the repository they come from.",
  done="Each match of our internal markers is listed with URL and the marker found, and the originating repository is guessed.",
  context="An internal hostname list appeared on a paste site in March and was used for reconnaissance.",
  constraints="- Only the paste-monitoring API is queried.\n",
  depts=["threat-intelligence", "engineering"], tags=["leaks", "source-code", "paste-sites"], risk="medium", roi=3.6, value=2500,
  steps=[
    gate("markers", "Internal markers", hostname_suffix=".corp.missionstudio.example", package_prefix="com.missionstudio.internal"),
    api("pastes", "Query the paste monitor", "https://paste-monitor.example.com/api/search?q=corp.missionstudio.example",
        {"hits": 2, "results": [{"url": "https://paste.example.net/p/8Hq2", "snippet": "db-primary.corp.missionstudio.example:5432"}, {"url": "https://code-share.example.org/s/77a", "snippet": "import com.missionstudio.internal.billing.Ledger"}]}),
    llm("triage", "Leak triage", "For each hit, say which marker matched ({{markers.output.hostname_suffix}}, {{markers.output.package_prefix}}), which internal system or repository it likely comes from, and what to rotate or take down.\n\n{{pastes.output.body}}"),
  ],
  facts=[("Hits", "{{pastes.output.json.hits}}")])

Q("Shadow", "scam-ad-monitor", "Scam Ad Monitor",
  "Find search and social ads that use our brand to push fake investment or support scams.",
  "Scam ads with advertiser, landing domain and report status.",
  "Every ad using our brand terms this week is classified, and scam ads have a report draft for the ad platform.",
  "Fake 'Mission Studio support' ads sent users to a remote-access scam.",
  "Ads are observed through the transparency libraries only.",
  ["brand-protection", "marketing"], ["scam-ads", "brand", "fraud"], "medium", 3.9, 2200,
  [("ads", "Query ad transparency libraries", "https://ad-library.example.com/api/ads?terms=mission%20studio&days=7",
    {"count": 3, "ads": [{"advertiser": "Mission Studio", "landing": "missionstudio.example", "verified": True}, {"advertiser": "MS Support Desk", "landing": "ms-helpdesk.example.net", "verified": False}, {"advertiser": "Crypto Missions", "landing": "mission-profit.example.biz", "verified": False}]})],
  [("classify", "Classification", "Classify each ad as ours, reseller or scam, with the reason."),
   ("reports", "Report drafts", "Draft a report to the ad platform for each scam ad.")], links=["Marketing", "Legal"])

def q1(sector, slug, name, goal, objective, done, context, constraint, depts, tags, risk, roi, value,
       sid, sname, url, data, ask, ask2=None, src2=None, **kw):
    """The shortest shape: one source (src2: a second one, fetched in parallel), one or two analyses."""
    asks = [(f"{sid}_analysis", ask[0], ask[1])]
    if ask2:
        asks.append((f"{sid}_next", ask2[0], ask2[1]))
    src = [(sid, sname, url, data)] + ([src2] if src2 else [])
    Q(sector, slug, name, goal, objective, done, context, constraint, depts, tags, risk, roi, value,
      src, asks, **kw)

# ---------------------------------------------------------------------------------------------
# Fan-out / fan-in: sources fetched in parallel, independent analyses in parallel (each on the
# sources it names), then one synthesis over every analysis. A branch prompt without references
# gets its sources appended; the synthesis gets every branch's answer appended.


def F(sector, slug, name, goal, objective, done, context, constraints, depts, tags, risk, roi, value,
      src, branches, synth, facts=(), **kw):
    names = {sid: sname for sid, sname, _, _ in src}
    steps = [api(sid, sname, url, data) for sid, sname, url, data in src]
    for aid, aname, prompt, uses in branches:
        if "{{" not in prompt:
            prompt += "\n\n" + "\n".join(f"{names[u]}: {{{{{u}.output.body}}}}" for u in uses)
        steps.append(llm(aid, aname, prompt))
    sid, sname, sprompt = synth[:3]
    if "{{" not in sprompt:
        sprompt += "\n\n" + "\n\n".join(f"{b[1]}:\n{{{{{b[0]}.output.text}}}}" for b in branches)
    steps.append(llm(sid, sname, sprompt, system=(synth[3] if len(synth) > 3 else None), max_tokens=700))
    steps += kw.pop("more", [])
    T(sector, slug, name, goal, objective, done, context, constraints if constraints.endswith("\n") else f"- {constraints}\n",
      depts, tags, risk, roi, value, steps, facts=facts, **kw)


# --------------------------------------------------------------------------------------------- Intelligence

q1("Intelligence", "competitor-pricing-watch", "Competitor Pricing Watch",
   "Track competitors' public price changes and explain what each change means for our deals.", "A weekly price-change digest with the deals it affects.",
   "Every competitor plan change of the week is listed with old and new price and the open deals at risk.", "Two competitors cut prices in May and sales learned it from customers.",
   "Public pricing pages only.", ["competitive-intelligence", "sales"], ["pricing", "competitors", "weekly"], "low", 4.5, 1500,
   "prices", "Fetch tracked price pages", "https://pricewatch.example.com/api/changes?week=2024-W27",
   {"changes": [{"competitor": "Orbita", "plan": "Team", "old": 49, "new": 39}, {"competitor": "Cadence Ops", "plan": "Enterprise", "old": 120, "new": 135}], "open_deals_vs_orbita": 14},
   ("Price-change digest", "Summarise each change and what sales should say in deals against that competitor."), facts=[("Open deals against Orbita", "{{prices.output.json.open_deals_vs_orbita}}")],
   src2=("deals", "Fetch open deals against these competitors", "https://crm.example.com/api/opportunities?competitor=Orbita,Cadence%20Ops&status=open", {"Orbita": {"open_deals": 14, "pipeline_eur": 610000, "plan_most_quoted": "Team"}, "Cadence Ops": {"open_deals": 5, "pipeline_eur": 390000, "plan_most_quoted": "Enterprise"}}))

q1("Intelligence", "regulatory-radar", "Regulatory Radar",
   "Catch new regulations and consultations that affect our products within a week of publication.", "A digest of new rules with affected products, deadlines and owners.",
   "Every item published this week in our watched registers is assessed for relevance with a deadline if relevant.", "We found out about the AI Act transparency duties from a customer's lawyer.",
   "Official registers only; relevance calls are reviewed by legal.", ["regulatory-affairs", "legal"], ["regulation", "compliance", "horizon-scanning"], "low", 5.0, 3000,
   "registers", "Fetch new publications", "https://regwatch.example.com/api/publications?since=7d&jurisdictions=EU,UK",
   {"items": [{"title": "Draft guidelines on general-purpose AI transparency", "body": "EU AI Office", "consultation_ends": "2024-09-15"}, {"title": "Cyber Resilience Act implementing act on reporting", "body": "European Commission", "applies_from": "2026-09-11"}]},
   ("Relevance digest", "For each item, say whether it affects an AI-enabled desktop automation product, what it requires and by when."), links=["Legal"],
   src2=("products", "Fetch our product register", "https://pm-docs.example.com/api/products?fields=ai_features,markets", {"products": [{"name": "Mission Studio desktop", "ai_features": ["llm steps", "template suggestions"], "markets": ["EU", "UK"]}, {"name": "Offline runner appliance", "ai_features": [], "markets": ["EU"]}]}))

q1("Intelligence", "market-sizing-brief", "Market Sizing Brief",
   "Size the serviceable market for a new product line bottom-up from public firm counts.", "TAM, SAM and SOM with every assumption visible.",
   "The brief shows three sizes with the arithmetic, sources and the two assumptions that move the result most.", "The board asked for a sizing of the mid-market operations segment before approving a team.",
   "Every number cites its source or is labelled an assumption.", ["strategy", "market-research"], ["market-sizing", "tam", "strategy"], "low", 3.0, 2500,
   "firms", "Fetch firm counts", "https://stats.example.com/api/firms?size=50-999&sectors=logistics,retail,manufacturing&region=EU",
   {"firms": {"logistics": 18400, "retail": 41200, "manufacturing": 62300}, "source": "Eurostat SBS 2022"},
   ("Bottom-up sizing", "Compute TAM, SAM (firms with an operations team, assume 40%) and SOM (3% share in three years) at EUR 9,000 per firm per year."),
   ("Sensitivity", "Which two assumptions move the result most, and what range results?"))

q1("Intelligence", "earnings-call-digest", "Earnings Call Digest",
   "Digest competitors' earnings calls into the signals that matter for our roadmap and pricing.", "Per competitor: growth, strategy shifts, pricing remarks and hiring signals.",
   "Each call of the quarter has a half-page digest with quotes and the implication for us.", "Competitor calls are long; product managers skip them and miss strategy shifts.",
   "Quotes are verbatim and attributed.", ["competitive-intelligence", "product"], ["earnings", "competitors", "strategy"], "low", 2.8, 1200,
   "calls", "Fetch call transcripts", "https://transcripts.example.com/api/calls?tickers=ORBT,CDNC&quarter=2024-Q2",
   {"ORBT": {"revenue_growth": 0.22, "quote": "We will bundle automation into every seat next year."}, "CDNC": {"revenue_growth": 0.08, "quote": "We are raising enterprise prices to reflect value."}},
   ("Call digests", "Write a digest per competitor with the quote and what it means for our roadmap and pricing."))

q1("Intelligence", "supplier-risk-monitor", "Supplier Risk Monitor",
   "Watch critical suppliers for financial distress, sanctions and disruptions and warn before supply is hit.", "A risk rating per critical supplier with the signal behind any change.",
   "Every critical supplier has a current rating, and each change since last week has its evidence.", "A component supplier went insolvent last year with no warning to procurement.",
   "Public filings, news and sanctions lists only.", ["procurement", "risk"], ["suppliers", "third-party-risk", "sanctions"], "medium", 5.5, 4000,
   "suppliers", "Fetch supplier signals", "https://supplier-risk.example.com/api/signals?tier=critical",
   {"suppliers": [{"name": "Kabelwerk", "credit_score": 41, "prev": 63, "news": "Late filing of annual accounts"}, {"name": "Papyrus AG", "credit_score": 77, "prev": 76, "news": None}, {"name": "Shenlux Components", "sanctions_hit": False, "news": "Port strike at Ningbo"}]},
   ("Supplier ratings", "Rate each supplier green, amber or red with the signal, and suggest mitigation for ambers and reds."), links=["Finance", "Operations"],
   src2=("spend", "Fetch spend with the suppliers", "https://erp.example.com/api/spend?suppliers=Kabelwerk,Papyrus%20AG,Shenlux%20Components&months=12", {"Kabelwerk": {"spend_eur": 410000, "single_source_parts": 3}, "Papyrus AG": {"spend_eur": 38000, "single_source_parts": 0}, "Shenlux Components": {"spend_eur": 1200000, "single_source_parts": 5}}))

q1("Intelligence", "patent-landscape", "Patent Landscape Scan",
   "Map recent patent filings in workflow automation to spot competitors' R&D directions and freedom-to-operate risks.", "Clusters of filings by assignee and topic, with the ones to check with counsel.",
   "Filings of the last 18 months are clustered and each possibly blocking claim is flagged for counsel.", "We plan a DAG-based approval feature; a competitor is rumoured to have filed on it.",
   "Analysis is a map for counsel, not a legal opinion.", ["research", "legal"], ["patents", "ip", "landscape"], "medium", 2.5, 3500,
   "patents", "Query the patent index", "https://patents.example.com/api/search?q=workflow%20approval%20dag&since=2023-01-01",
   {"hits": 3, "filings": [{"id": "EP4100221", "assignee": "Orbita", "title": "Budget-capped execution of agent workflows"}, {"id": "US2024011877", "assignee": "Cadence Ops", "title": "Approval gating in directed task graphs"}, {"id": "WO2024055120", "assignee": "Univ. Leiden", "title": "Provenance of automated reports"}]},
   ("Landscape", "Cluster the filings by topic and assignee and flag those whose title suggests overlap with budget caps or approval gates."), links=["Legal"])

q1("Intelligence", "customer-churn-signals", "Customer Churn Signals",
   "Combine product usage, support tickets and billing events to list accounts likely to churn next quarter.", "A churn watchlist with the signals and a save play per account.",
   "Every account with two or more churn signals is listed with its signals and a save play.", "Churn is discovered at renewal, too late to act.",
   "Account data stays in the workspace; the list goes to customer success.", ["customer-success", "analytics"], ["churn", "retention", "health-score"], "medium", 7.0, 6000,
   "health", "Fetch account health signals", "https://cs.example.com/api/accounts/signals?renewal_within_days=120",
   {"accounts": [{"name": "Varda Retail", "usage_drop": 0.45, "tickets_p1": 3, "champion_left": True}, {"name": "Helio Energy", "usage_drop": 0.05, "tickets_p1": 0, "champion_left": False}, {"name": "Quay Logistics", "usage_drop": 0.30, "late_payment": True}]},
   ("Churn watchlist", "List accounts with two or more signals and a save play for each (executive sponsor, training, success plan)."), links=["Sales"],
   src2=("renewals", "Fetch renewal values", "https://billing.example.com/api/renewals?within_days=120", {"Varda Retail": {"arr_eur": 220000, "renewal": "2024-11-30"}, "Helio Energy": {"arr_eur": 140000, "renewal": "2024-09-15"}, "Quay Logistics": {"arr_eur": 60000, "renewal": "2024-10-31"}}))

q1("Intelligence", "talent-movement-tracker", "Talent Movement Tracker",
   "Track senior hires and departures at competitors to anticipate their strategic moves.", "A movement log with the likely strategic meaning of each move.",
   "Every director-level move of the month at tracked competitors is listed with an interpretation.", "When Orbita hired three payments leaders, it launched payments six months later.",
   "Public profiles and press releases only.", ["competitive-intelligence", "strategy"], ["talent", "competitors", "signals"], "low", 2.2, 900,
   "moves", "Fetch announced moves", "https://people-news.example.com/api/moves?companies=Orbita,Cadence%20Ops&level=director_plus",
   {"moves": [{"company": "Orbita", "role": "VP Healthcare", "direction": "joined"}, {"company": "Cadence Ops", "role": "CTO", "direction": "left"}]},
   ("Movement log", "Interpret each move: what it suggests about the company's next year."))

# --------------------------------------------------------------------------------------------- Operations

T("Operations", "inventory-reorder", "Inventory Reorder Planner",
  goal="List the stock items that will fall below safety stock before the next delivery and size the reorder.",
  objective="Reorder quantities per item from on-hand stock, daily demand, lead time and safety stock.",
  done="Every item whose stock runs out before its lead time plus safety stock has a reorder quantity.",
  context="Stock-outs on fast movers cost sales twice last quarter while slow movers fill the warehouse.",
  constraints="- Purchase orders are proposed, not placed.\n",
  depts=["operations", "supply-chain"], tags=["inventory", "reorder", "supply-chain"], risk="low", roi=6.0, value=3000,
  steps=[
    put_file("stock", "Load stock levels", "stock.csv", "sku,on_hand,daily_demand,lead_days,safety\nSKU-1,120,15,10,40\nSKU-2,900,20,14,100\nSKU-3,60,9,21,50\nSKU-4,30,1,7,5\n"),
    cmd("reorder", "Items to reorder", "awk", ["-F,", "NR>1 {need=$3*$4+$5; if ($2<need) printf \"%s reorder %d (on hand %d, need %d)\\n\", $1, need-$2+$3*30, $2, need}", "stock.csv"], after=["stock"]),
    cmd("count", "Items checked", "wc", ["-l", "stock.csv"], after=["stock"]),
  ],
  sections=[("Reorders", "```text\n{{reorder.output.stdout}}\n```\n\nQuantities cover lead time, safety stock and 30 days of demand."), ("Lines in the stock file", "{{count.output.stdout}}")])

T("Operations", "sla-breach-report", "SLA Breach Report",
  goal="Report which support tickets breached their response or resolution SLA this week and why.",
  objective="Breach counts by priority and queue, and the causes behind them.",
  done="Every breached ticket of the week is counted by priority, and the top causes are named.",
  context="Enterprise contracts carry service credits for SLA breaches; finance needs the count by Monday.",
  constraints="- Ticket ids only; no customer content in the report.\n",
  depts=["support", "operations"], tags=["sla", "support", "service-credits"], risk="low", roi=3.5, value=1500,
  steps=[
    put_file("tickets", "Load the week's tickets", "tickets.csv", "id,priority,queue,first_response_min,sla_min\nT-1,P1,platform,22,15\nT-2,P2,billing,50,60\nT-3,P1,platform,9,15\nT-4,P3,billing,400,240\nT-5,P2,integrations,95,60\n"),
    cmd("breaches", "Breached tickets", "awk", ["-F,", "NR>1 && $4>$5 {print $1, $2, $3, $4 \"min\", \"(SLA \" $5 \")\"}", "tickets.csv"], after=["tickets"]),
    cmd("by_queue", "Breaches per queue", "awk", ["-F,", "NR>1 && $4>$5 {n[$3]++} END {for (q in n) print q, n[q]}", "tickets.csv"], after=["tickets"]),
    llm("causes", "Likely causes", "Suggest the likely causes of these breaches and one fix per queue.\n\n{{breaches.output.stdout}}\n{{by_queue.output.stdout}}"),
  ])

q1("Operations", "fleet-maintenance-plan", "Fleet Maintenance Plan",
   "Schedule preventive maintenance for delivery vans before breakdowns, using mileage and fault codes.", "A maintenance schedule for the next four weeks by van.",
   "Every van due by mileage or with an active fault code is scheduled, without taking more than two vans off the road per day.", "Breakdowns cost a day of deliveries each; maintenance is booked when drivers complain.",
   "The schedule is a proposal for the depot manager.", ["operations", "fleet"], ["fleet", "maintenance", "scheduling"], "low", 4.8, 2500,
   "telematics", "Fetch van telematics", "https://telematics.example.com/api/vans?fields=odometer,next_service_km,faults",
   {"vans": [{"van": "V-03", "odometer": 118900, "next_service_km": 120000, "faults": []}, {"van": "V-07", "odometer": 64000, "next_service_km": 90000, "faults": ["P0420"]}, {"van": "V-11", "odometer": 149500, "next_service_km": 150000, "faults": ["P0300"]}]},
   ("Maintenance schedule", "Schedule maintenance per van over four weeks, fault codes first, at most two vans a day, and explain each fault code."),
   src2=("workshop", "Fetch workshop availability", "https://fleet.example.com/api/workshop/slots?weeks=4", {"slots_per_day": 2, "closed_days": ["2024-07-15"], "parts_lead_days": {"catalytic converter": 5, "ignition coil": 2}}))

q1("Operations", "warehouse-slotting", "Warehouse Slotting Review",
   "Re-slot the warehouse so the fastest-moving items sit closest to packing.", "A move list of items to re-slot with the walking distance saved.",
   "The top 20 movers are in the golden zone or have a move proposed, with distance saved per pick.", "Pickers walk 14 km a shift; half the fast movers sit at the back since the spring range change.",
   "Moves are planned for a weekend; the mission proposes them.", ["warehouse", "operations"], ["warehouse", "slotting", "picking"], "low", 4.0, 2000,
   "picks", "Fetch pick frequency and locations", "https://wms.example.com/api/slotting?period=30d",
   {"items": [{"sku": "SKU-88", "picks": 4200, "zone": "C", "distance_m": 62}, {"sku": "SKU-12", "picks": 3100, "zone": "A", "distance_m": 8}, {"sku": "SKU-40", "picks": 2800, "zone": "D", "distance_m": 75}], "golden_zone_free_slots": 6},
   ("Move list", "Propose moves of fast movers into the golden zone (6 free slots) and estimate metres saved per day."))

q1("Operations", "vendor-sla-scorecard", "Vendor SLA Scorecard",
   "Score logistics vendors on on-time delivery, damage and invoice accuracy for the quarterly review.", "A scorecard per vendor with trend and the penalties due.",
   "Each vendor has the three scores, the trend from last quarter and the contractual penalties computed.", "Carrier performance is discussed from anecdotes in quarterly reviews.",
   "Penalties are computed from the contract; claims are raised by procurement.", ["operations", "procurement"], ["vendors", "scorecard", "logistics"], "low", 3.9, 1800,
   "deliveries", "Fetch delivery performance", "https://tms.example.com/api/carriers/performance?quarter=2024-Q2",
   {"carriers": [{"name": "SwiftHaul", "on_time": 0.91, "damage": 0.004, "invoice_accuracy": 0.97, "target_on_time": 0.95}, {"name": "EuroParcel", "on_time": 0.97, "damage": 0.011, "invoice_accuracy": 0.99, "target_on_time": 0.95}]},
   ("Scorecard", "Score each carrier, compare with targets, and compute penalties of 1% of spend per point below the on-time target."), links=["Finance"])

T("Operations", "capacity-plan-support", "Support Capacity Plan",
  goal="Forecast next month's ticket volume per channel and the agents needed per shift.",
  objective="Agents needed per channel and shift to hold the service level at the forecast volume.",
  done="Each channel and shift has a forecast volume and a staffing figure, with the gap to today's roster.",
  context="A product launch next month will raise volume; last launch queues tripled.",
  constraints="- The plan informs scheduling; shifts are not changed by the mission.\n",
  depts=["support", "workforce-management"], tags=["capacity", "forecast", "staffing"], risk="low", roi=4.3, value=2200,
  steps=[
    api("history", "Fetch ticket history", "https://helpdesk.example.com/api/v2/volume?months=6&by=channel",
        {"monthly": {"email": [3100, 3300, 3250, 3400, 3500, 3600], "chat": [2100, 2300, 2600, 2800, 3000, 3300]}, "launch_uplift": 0.35, "roster_agents": 24}),
    gate("assumptions", "Staffing assumptions", tickets_per_agent_day=28, occupancy=0.8, shifts=2),
    llm("plan", "Capacity plan", "Forecast next month's volume per channel with the launch uplift, then agents per shift using {{assumptions.output.tickets_per_agent_day}} tickets per agent-day at {{assumptions.output.occupancy}} occupancy over {{assumptions.output.shifts}} shifts. Compare with the roster of {{history.output.json.roster_agents}}.\n\n{{history.output.body}}"),
  ], facts=[("Agents on the roster", "{{history.output.json.roster_agents}}")])

T("Operations", "office-move-checklist", "Office Move Checklist",
  goal="Turn an office move into a dated checklist with owners and the dependencies between tasks.",
  objective="A move plan from notice to first day with critical path and owners.",
  done="Every task has an owner and a date, and the critical path from lease signature to first day is stated.",
  context="The Lisbon team moves to a larger office in ten weeks; last move forgot the internet line, which takes eight weeks.",
  constraints="- Plan only; no supplier is contacted.\n",
  depts=["operations", "facilities", "it"], tags=["office-move", "facilities", "project-plan"], risk="low", roi=2.0, value=1000,
  steps=[
    put_file("tasks", "Load the move tasks", "move.yaml", "move_date: 2024-09-16\ntasks:\n  - {task: order internet line, lead_weeks: 8, owner: IT}\n  - {task: furniture order, lead_weeks: 6, owner: facilities}\n  - {task: access badges, lead_weeks: 2, owner: security}\n  - {task: notify staff and clients, lead_weeks: 4, owner: office manager}\n"),
    parse("plan", "Parse the move plan", path="move.yaml", yaml=True, after=["tasks"]),
    llm("schedule", "Dated checklist", "Build a dated checklist counting back from the move date, with owners, and name the critical path.\n\n{{plan.output.value}}"),
  ], check="stamp")

T("Operations", "returns-root-cause", "Returns Root Cause",
  goal="Find the products and reasons behind this month's rise in customer returns.",
  objective="Return rate per product and reason, and the top fixes.",
  done="The five products with the highest return rate have their dominant reason and a fix.",
  context="Returns rose from 6% to 9% of orders; each return costs EUR 11 in handling.",
  constraints="- Customer comments are read in aggregate.\n",
  depts=["operations", "quality", "product"], tags=["returns", "quality", "root-cause"], risk="low", roi=5.2, value=2600,
  steps=[
    put_file("returns", "Load returns", "returns.csv", "sku,reason\nSKU-22,size too small\nSKU-22,size too small\nSKU-22,colour differs\nSKU-31,damaged in transit\nSKU-31,damaged in transit\nSKU-09,not as described\n"),
    cmd("reasons", "Sorted return reasons", "sort", ["returns.csv"], after=["returns"]),
    cmd("counted", "Returns per product and reason", "uniq", ["-c"], stdin="{{reasons.output.stdout}}"),
    llm("fixes", "Fixes", "Name the dominant reason per product and a fix (size guide, packaging, listing photos).\n\n{{counted.output.stdout}}"),
  ])

# --------------------------------------------------------------------------------------------- Engineering

T("Engineering", "dependency-license-audit", "Dependency Licence Audit",
  goal="List the licences of every third-party dependency and flag those incompatible with our distribution.",
  objective="A licence inventory with copyleft and unknown licences flagged.",
  done="Every dependency in the lock file has a licence, and each GPL, AGPL or unknown licence is flagged.",
  context="We ship a desktop app; a strong copyleft dependency would force us to publish our source.",
  constraints="- Flags go to legal; no dependency is removed by the mission.\n",
  depts=["engineering", "legal"], tags=["licences", "open-source", "compliance", "sbom"], risk="low", roi=5.0, value=3000,
  steps=[
    put_file("deps", "Load the dependency licences", "licences.csv", "crate,version,licence\nserde,1.0.210,MIT OR Apache-2.0\ntokio,1.40.0,MIT\nsome-parser,0.3.1,GPL-3.0\nfast-hash,2.1.0,unknown\nrusqlite,0.32.1,MIT\n"),
    cmd("copyleft", "Copyleft licences", "grep", ["-E", "GPL|AGPL|LGPL", "licences.csv"], after=["deps"]),
    cmd("unknown", "Unknown licences", "grep", ["unknown", "licences.csv"], after=["deps"]),
    cmd("summary", "Licences by count", "cut", ["-d,", "-f3", "licences.csv"], after=["deps"]),
    cmd("tally", "Tally", "sort", [], stdin="{{summary.output.stdout}}"),
  ],
  sections=[("Copyleft", "```text\n{{copyleft.output.stdout}}\n```"), ("Unknown", "```text\n{{unknown.output.stdout}}\n```"), ("All licences", "```text\n{{tally.output.stdout}}\n```")], links=["Legal"])

T("Engineering", "flaky-test-hunter", "Flaky Test Hunter",
  goal="Find tests that fail intermittently in CI and rank them by how many builds they broke.",
  objective="A flaky test list with failure rate, builds broken and a suspected cause.",
  done="Every test that both passed and failed on the same commit is listed, ranked by builds broken.",
  context="Developers re-run CI until it is green; flaky tests cost an estimated 30 engineer-hours a week.",
  constraints="- Tests are listed for owners; none is disabled by the mission.\n",
  depts=["engineering", "developer-productivity"], tags=["ci", "flaky-tests", "testing"], risk="low", roi=7.5, value=4000,
  steps=[
    put_file("results", "Load CI results", "ci-results.csv", "commit,test,result\na1,auth::login,pass\na1,auth::login,fail\na1,db::migrate,pass\nb2,api::rate_limit,fail\nb2,api::rate_limit,pass\nb2,auth::login,fail\nc3,auth::login,pass\n"),
    cmd("fails", "Failures", "grep", [",fail$", "ci-results.csv"], after=["results"]),
    cmd("per_test", "Failures per test", "awk", ["-F,", "$3==\"fail\" {n[$2]++} END {for (t in n) print n[t], t}", "ci-results.csv"], after=["results"]),
    cmd("ranked", "Ranked", "sort", ["-nr"], stdin="{{per_test.output.stdout}}"),
    llm("causes", "Suspected causes", "For each flaky test suggest a likely cause (timing, shared state, network) and how to confirm it.\n\n{{ranked.output.stdout}}"),
  ], check="headings")

q1("Engineering", "pr-review-backlog", "Pull Request Review Backlog",
   "Shrink the pull request review backlog by routing stale PRs to available reviewers.", "Stale PRs with age, size and a suggested reviewer.",
   "Every PR waiting more than two days for review has a suggested reviewer who knows the code and has capacity.", "Median time to first review is 3.1 days; small PRs wait as long as large ones.",
   "Suggestions only; reviewers are not assigned by the mission.", ["engineering"], ["code-review", "pull-requests", "flow"], "low", 4.4, 2000,
   "prs", "Fetch open pull requests", "https://git.example.com/api/v4/merge_requests?state=opened&review=pending",
   {"prs": [{"id": 812, "age_days": 5, "lines": 40, "paths": ["engine/"]}, {"id": 820, "age_days": 3, "lines": 900, "paths": ["ui/"]}, {"id": 831, "age_days": 1, "lines": 12, "paths": ["docs/"]}], "reviewers": {"engine/": ["R-2", "R-5"], "ui/": ["R-7"]}},
   ("Routing", "Suggest a reviewer for each PR older than two days, small PRs first, and suggest splitting PRs over 500 lines."))

q1("Engineering", "cloud-cost-anomaly", "Cloud Cost Anomaly Review",
   "Explain the week's cloud cost anomalies and propose fixes with their monthly saving.", "Each anomaly with its service, cause and fix.",
   "Every daily cost spike above 20% of baseline is explained and has a fix with a saving.", "Cloud cost jumped 31% last month; nobody could say why for two weeks.",
   "Fixes are proposals; no resource is deleted.", ["engineering", "finops"], ["cloud-cost", "finops", "anomalies"], "low", 8.5, 5000,
   "costs", "Fetch cost anomalies", "https://finops.example.com/api/anomalies?days=7",
   {"anomalies": [{"service": "NAT gateway", "delta_eur_day": 410, "since": "2024-06-24"}, {"service": "GPU instances", "delta_eur_day": 1200, "since": "2024-06-26", "tag": "team=ml-experiments"}]},
   ("Explanations and fixes", "Explain each anomaly's likely cause and propose a fix with monthly saving."), links=["Finance"])

T("Engineering", "api-deprecation-impact", "API Deprecation Impact",
  goal="Find every caller of an API version we plan to retire and estimate the migration work.",
  objective="Callers of v1 by team and endpoint with request volume and migration effort.",
  done="Each v1 endpoint has its callers with volume, and each caller has an effort estimate.",
  context="API v1 retires in six months; internal callers are unknown since the service mesh has no owner tags.",
  constraints="- Read-only access to logs; callers are informed by the platform team.\n",
  depts=["engineering", "platform"], tags=["api", "deprecation", "migration"], risk="low", roi=3.0, value=2000,
  steps=[
    put_file("access", "Load the gateway access log", "gateway.log", "GET /v1/orders svc=checkout n=18211\nGET /v2/orders svc=mobile-bff n=90211\nPOST /v1/refunds svc=support-tool n=312\nGET /v1/customers svc=crm-sync n=5120\n"),
    cmd("v1", "Calls to v1", "grep", ["/v1/", "gateway.log"], after=["access"]),
    cmd("callers", "v1 callers", "awk", ["$2 ~ /^\\/v1\\// {split($3,a,\"=\"); print a[2], $1, $2, $4}", "gateway.log"], after=["access"]),
    llm("effort", "Migration effort", "Estimate migration effort (S/M/L) per caller moving to v2, noting that refunds have no v2 yet.\n\n{{callers.output.stdout}}"),
  ])

q1("Engineering", "incident-alert-tuning", "Alert Noise Tuning",
   "Cut alert noise by finding alerts that fire often but never lead to action.", "Alerts to delete, merge or re-threshold, with pages saved per week.",
   "Every alert that fired more than ten times last month is classified with a tuning proposal.", "On-call engineers get 60 pages a week, 80% closed without action.",
   "Alert changes go through the on-call review.", ["sre", "engineering"], ["alerting", "on-call", "noise"], "low", 5.8, 2500,
   "alerts", "Fetch alert history", "https://alerts.example.com/api/history?days=30&min_fires=10",
   {"alerts": [{"name": "disk-80pct", "fires": 88, "actioned": 2}, {"name": "api-5xx-rate", "fires": 14, "actioned": 11}, {"name": "queue-lag-warn", "fires": 61, "actioned": 0}]},
   ("Tuning proposals", "Classify each alert (keep, re-threshold, merge, delete) with the pages saved per week."),
   src2=("runbooks", "Fetch alert runbooks", "https://wiki.example.com/api/runbooks?alerts=disk-80pct,api-5xx-rate,queue-lag-warn", {"disk-80pct": None, "api-5xx-rate": "roll back the last deploy or scale out", "queue-lag-warn": "no action; consumers catch up within 10 minutes"}))

T("Engineering", "release-notes-draft", "Release Notes Draft",
  goal="Draft customer-facing release notes from the merged changes since the last release.",
  objective="Release notes grouped by feature, fix and breaking change, in customer language.",
  done="Every merged change with a user-visible label is in the notes, and breaking changes carry an upgrade note.",
  context="Release notes are written the night before the release from commit titles nobody outside engineering understands.",
  constraints="- Internal ticket numbers and people's names are left out.\n",
  depts=["engineering", "product"], tags=["release-notes", "changelog", "documentation"], risk="low", roi=2.4, value=800,
  steps=[
    put_file("changes", "Load merged changes", "changes.txt", "feat(runs): live DAG view shows budget gauges\nfix(cli): validate exits 3 on invalid missions\nfeat!(perimeter): approval threshold now in USD\nchore(ci): bump toolchain\n"),
    cmd("visible", "User-visible changes", "grep", ["-E", "^(feat|fix)", "changes.txt"], after=["changes"]),
    cmd("breaking", "Breaking changes", "grep", ["!", "changes.txt"], after=["changes"]),
    llm("notes", "Release notes", "Write release notes grouped as New, Fixed, Breaking (with an upgrade note).\n\nChanges:\n{{visible.output.stdout}}\nBreaking:\n{{breaking.output.stdout}}"),
  ], check="checksum")

q1("Engineering", "db-slow-query-review", "Slow Query Review",
   "Find the database queries that cost the most time per day and propose indexes or rewrites.", "The top slow queries with total time, a fix and the expected gain.",
   "The ten queries with the highest total daily time each have a proposed index or rewrite.", "Checkout latency doubled at peak; the database is the suspect.",
   "Proposals are reviewed by the database owner; nothing is applied.", ["engineering", "database"], ["database", "performance", "sql"], "low", 6.2, 3000,
   "queries", "Fetch query statistics", "https://db-insights.example.com/api/top-queries?by=total_time&limit=3",
   {"queries": [{"sql": "SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC", "calls": 920000, "mean_ms": 38}, {"sql": "SELECT count(*) FROM events WHERE run_id = $1", "calls": 40000, "mean_ms": 410}]},
   ("Fixes", "Propose an index or rewrite per query and estimate daily time saved."),
   src2=("indexes", "Fetch existing indexes", "https://db-insights.example.com/api/indexes?tables=orders,events", {"orders": ["orders_pkey (id)", "orders_created_at_idx (created_at)"], "events": ["events_pkey (id)"]}))

# --------------------------------------------------------------------------------------------- Research

q1("Research", "literature-review-sprint", "Literature Review Sprint",
   "Produce a structured review of the last three years of papers on a research question, with evidence strength.", "A review with themes, key findings, evidence strength and open gaps.",
   "At least the twenty most cited recent papers are grouped into themes, each finding cites its paper.", "The team starts a project on LLM evaluation and needs the state of the art in a week.",
   "Every claim cites its paper.", ["research"], ["literature-review", "papers", "evidence"], "low", 3.0, 2000,
   "papers", "Search the paper index", "https://papers.example.org/api/search?q=llm%20evaluation%20benchmarks&since=2021",
   {"total": 214, "top": [{"title": "Holistic Evaluation of Language Models", "year": 2022, "citations": 1400}, {"title": "Judging LLM-as-a-judge", "year": 2023, "citations": 1900}, {"title": "Benchmark contamination in LLMs", "year": 2024, "citations": 210}]},
   ("Themed review", "Group the papers into themes, summarise findings with citations, and rate evidence strength."),
   ("Open gaps", "List the three open research gaps the review reveals."), facts=[("Papers found", "{{papers.output.json.total}}")])

q1("Research", "experiment-readout", "A/B Experiment Readout",
   "Read out an A/B experiment: effect size, confidence interval and whether to ship.", "A readout with the primary metric effect, guardrails and a ship decision.",
   "The readout states the effect with its 95% interval, checks sample ratio and guardrails, and makes a call.", "Product teams ship on p-values alone and forget guardrail metrics.",
   "The decision is a recommendation to the product owner.", ["research", "data-science"], ["experimentation", "ab-test", "statistics"], "low", 4.0, 2500,
   "experiment", "Fetch experiment results", "https://experiments.example.com/api/experiments/EXP-44/results",
   {"control": {"users": 50120, "conversions": 2406}, "treatment": {"users": 49870, "conversions": 2590}, "guardrails": {"refund_rate_delta": 0.001, "latency_p95_delta_ms": 4}},
   ("Readout", "Compute conversion rates, the relative lift with a 95% interval, check sample ratio mismatch and guardrails, and recommend ship or not."),
   facts=[("Control users", "{{experiment.output.json.control.users}}"), ("Treatment users", "{{experiment.output.json.treatment.users}}")],
   src2=("segments", "Fetch results by platform", "https://experiments.example.com/api/experiments/EXP-44/segments?by=platform", {"desktop": {"control_rate": 0.051, "treatment_rate": 0.055, "users": 61000}, "mobile": {"control_rate": 0.043, "treatment_rate": 0.047, "users": 38990}}))

q1("Research", "user-interview-synthesis", "User Interview Synthesis",
   "Synthesise a round of user interviews into jobs, pains and opportunities ranked by frequency.", "An affinity map in text with quotes and ranked opportunities.",
   "Every interview note is coded, and each opportunity has its frequency and two quotes.", "Twelve interviews about mission approvals are sitting in a folder.",
   "Participants are anonymous (P1, P2, ...).", ["user-research", "product"], ["interviews", "synthesis", "ux-research"], "low", 3.2, 1500,
   "notes", "Fetch interview notes", "https://research-repo.example.com/api/studies/ST-9/notes",
   {"count": 3, "notes": [{"p": "P1", "text": "I approve things blind because the request does not say what it costs."}, {"p": "P2", "text": "I want to set a budget once, not per run."}, {"p": "P3", "text": "Approvals come at night and block the morning batch."}]},
   ("Synthesis", "Code the notes into jobs, pains and opportunities, rank opportunities by frequency, with quotes."))

T("Research", "dataset-quality-profile", "Dataset Quality Profile",
  goal="Profile a dataset before modelling: row count, missing values, duplicates and out-of-range values.",
  objective="A quality profile per column and a go or fix-first verdict.",
  done="Every column has its missing count and range checks, duplicates are counted, and a verdict is given.",
  context="A churn model was trained on a file with duplicated months; the profile catches that first.",
  constraints="- The data stays in the workspace.\n",
  depts=["research", "data-science"], tags=["data-quality", "profiling", "datasets"], risk="low", roi=3.5, value=1200,
  steps=[
    put_file("data", "Load the dataset sample", "sample.csv", "customer,month,spend,age\nC1,2024-01,120,34\nC2,2024-01,,41\nC1,2024-01,120,34\nC3,2024-01,-5,29\nC4,2024-01,88,212\n"),
    cmd("rows", "Row count", "wc", ["-l", "sample.csv"], after=["data"]),
    cmd("missing", "Rows with missing values", "grep", [",,", "sample.csv"], after=["data"]),
    cmd("dupes", "Duplicate rows", "sort", ["sample.csv"], after=["data"]),
    cmd("dupe_rows", "Repeated rows", "uniq", ["-d"], stdin="{{dupes.output.stdout}}"),
    cmd("ranges", "Out-of-range values", "awk", ["-F,", "NR>1 && ($3<0 || $4>120) {print NR\": \"$0}", "sample.csv"], after=["data"]),
  ],
  sections=[("Rows", "{{rows.output.stdout}}"), ("Missing values", "```text\n{{missing.output.stdout}}\n```"), ("Duplicates", "```text\n{{dupe_rows.output.stdout}}\n```"), ("Out of range", "```text\n{{ranges.output.stdout}}\n```")])

q1("Research", "grant-opportunity-scan", "Grant Opportunity Scan",
   "Find open research grants that fit our lab's themes and deadlines in the next quarter.", "A shortlist of grants with fit, amount, deadline and effort.",
   "Every open call closing in the next 120 days is screened and the shortlist ranks fit against effort.", "The lab missed two calls last year because nobody was watching the portals.",
   "Public funding portals only.", ["research", "grants-office"], ["grants", "funding", "academia"], "low", 6.0, 8000,
   "calls", "Fetch open calls", "https://funding.example.eu/api/calls?status=open&keywords=trustworthy%20ai,automation",
   {"calls": [{"id": "HORIZON-CL4-2024-AI-07", "budget_eur": 4000000, "deadline": "2024-10-02", "topic": "Trustworthy AI agents"}, {"id": "NWO-OC-2024", "budget_eur": 750000, "deadline": "2024-09-12", "topic": "Open competition science"}]},
   ("Shortlist", "Rank the calls by fit with a lab working on governed AI automation, with effort to apply."),
   src2=("capacity", "Fetch the lab's capacity", "https://lab-wiki.example.org/api/lab/capacity", {"pis_available": 2, "grants_ending": ["2025-03"], "consortium_partners": ["Univ. Leiden", "TU Delft"], "proposal_weeks_needed": {"large": 10, "small": 4}}))

q1("Research", "benchmark-replication", "Benchmark Replication Plan",
   "Plan the replication of a published benchmark result before we cite it in a paper.", "A replication plan with data, compute, metrics and acceptance criteria.",
   "The plan lists every resource needed and the tolerance within which the result counts as replicated.", "A reviewer questioned a baseline we copied from another paper.",
   "Compute budget is capped at 40 GPU-hours.", ["research", "ml-engineering"], ["replication", "benchmarks", "ml"], "low", 2.0, 1500,
   "paper", "Fetch the paper metadata", "https://papers.example.org/api/papers/2403.01234",
   {"title": "Efficient agents for structured tasks", "reported_accuracy": 0.842, "dataset": "TaskBench-v2", "code": "https://code.example.org/eff-agents", "seeds": 3},
   ("Replication plan", "Plan the replication within 40 GPU-hours: data, code version, seeds, metric, tolerance."))

q1("Research", "survey-design-review", "Survey Design Review",
   "Review a survey draft for biased, double-barrelled and leading questions before it goes out.", "Flagged questions with the problem and a rewrite.",
   "Every question is reviewed and each flagged one has a neutral rewrite.", "Last year's survey asked 'How much do you love the new UI?'.",
   "The review does not change the survey's goals.", ["user-research"], ["survey", "methodology", "bias"], "low", 1.8, 600,
   "survey", "Fetch the survey draft", "https://forms.example.com/api/forms/F-12/questions",
   {"questions": ["How much do you love the new mission library?", "Is the approval flow fast and secure?", "How many missions did you run last week?"]},
   ("Question review", "Flag leading, double-barrelled or vague questions and rewrite them neutrally."))

# --------------------------------------------------------------------------------------------- Marketing

q1("Marketing", "campaign-performance-digest", "Campaign Performance Digest",
   "Explain last week's paid campaign results and move budget from the worst to the best performers.", "Per campaign: spend, CPA, ROAS, and a budget shift proposal.",
   "Every active campaign has its figures and the proposal keeps total spend constant.", "Budget is split evenly across campaigns regardless of results.",
   "Budget changes are proposed, not applied in the ad accounts.", ["marketing", "performance-marketing"], ["paid-media", "roas", "budget"], "low", 5.0, 2500,
   "ads", "Fetch campaign results", "https://ads-reporting.example.com/api/campaigns?week=2024-W27",
   {"campaigns": [{"name": "Search brand", "spend": 4200, "conversions": 310, "revenue": 39000}, {"name": "Social prospecting", "spend": 6100, "conversions": 44, "revenue": 5200}, {"name": "Retargeting", "spend": 1800, "conversions": 120, "revenue": 14100}]},
   ("Digest and budget shift", "Compute CPA and ROAS per campaign and propose a budget shift at constant total spend."),
   src2=("pipeline", "Fetch pipeline created by campaign", "https://crm.example.com/api/campaign-influence?week=2024-W27", {"Search brand": {"opportunities": 9, "pipeline_eur": 118000}, "Social prospecting": {"opportunities": 1, "pipeline_eur": 12000}, "Retargeting": {"opportunities": 4, "pipeline_eur": 52000}}))

q1("Marketing", "seo-content-gaps", "SEO Content Gap Finder",
   "Find search queries where competitors rank and we have no page, and plan the content to win them.", "A content plan of gap keywords with intent, difficulty and a page brief.",
   "The top gap keywords have a page brief each, ordered by traffic potential over difficulty.", "Organic signups stalled; competitors rank for 'mission automation' queries we never wrote about.",
   "Briefs are drafts for the content team.", ["marketing", "content"], ["seo", "content", "keywords"], "low", 4.6, 2000,
   "keywords", "Fetch keyword gaps", "https://seo-tool.example.com/api/gaps?domain=missionstudio.example&competitors=orbita.example",
   {"gaps": [{"kw": "ai workflow approval", "volume": 2900, "difficulty": 31}, {"kw": "budget cap llm agents", "volume": 880, "difficulty": 18}, {"kw": "automation audit trail", "volume": 1600, "difficulty": 44}]},
   ("Content plan", "Rank the gaps by volume over difficulty and write a short page brief for each."))

q1("Marketing", "launch-messaging-kit", "Launch Messaging Kit",
   "Write the messaging kit for a feature launch: positioning, headline options and channel copy.", "A kit with positioning statement, three headlines and copy for email, social and in-app.",
   "The kit holds every piece, each within its channel's length limit, consistent with the positioning.", "The team launches the mission library next month.",
   "No claim without proof; copy is reviewed by product marketing.", ["product-marketing"], ["launch", "messaging", "copywriting"], "low", 3.4, 1500,
   "brief", "Fetch the launch brief", "https://pm-docs.example.com/api/briefs/LIB-LAUNCH",
   {"feature": "Mission library", "audience": "operations leads", "proof_points": ["200 ready missions", "budget caps enforced", "runs offline"], "launch": "2024-09-10"},
   ("Positioning and headlines", "Write the positioning statement and three headline options."),
   ("Channel copy", "Write email (120 words), social (240 characters) and in-app (80 characters) copy from the positioning."))

q1("Marketing", "social-listening-report", "Social Listening Report",
   "Summarise what people said about us and competitors on social media this week, with sentiment and themes.", "Mention volume, sentiment and top themes, with posts worth answering.",
   "The report covers every tracked brand, and each negative theme has a suggested response.", "A complaint thread went viral before anyone on the team saw it.",
   "Public posts only; handles are not stored in the report.", ["marketing", "community"], ["social-listening", "sentiment", "brand"], "low", 2.9, 1000,
   "mentions", "Fetch mentions", "https://listening.example.com/api/mentions?brands=missionstudio,orbita&days=7",
   {"missionstudio": {"mentions": 412, "negative": 0.18, "themes": ["offline mode praise", "approval emails confusing"]}, "orbita": {"mentions": 890, "negative": 0.27, "themes": ["price rise anger"]}},
   ("Listening report", "Summarise volume, sentiment and themes per brand and suggest responses to negative themes."))

q1("Marketing", "email-newsletter-draft", "Monthly Newsletter Draft",
   "Draft the monthly customer newsletter from product updates, a customer story and upcoming events.", "A newsletter draft with subject lines and sections.",
   "The draft has three subject line options, the three sections and a single call to action.", "The newsletter goes out late every month because content is gathered by hand.",
   "Draft only; the email platform is not touched.", ["marketing", "content"], ["newsletter", "email", "content"], "low", 2.2, 700,
   "updates", "Fetch this month's updates", "https://pm-docs.example.com/api/updates?month=2024-07",
   {"features": ["Template library", "Budget gauges"], "story": "Quay Logistics cut month-end close by a day", "events": ["Webinar: governed automation, 2024-07-25"]},
   ("Newsletter", "Write three subject lines and the newsletter with product updates, the customer story and events."))

q1("Marketing", "attribution-sanity-check", "Attribution Sanity Check",
   "Compare last-click and data-driven attribution to find channels that are over- or under-credited.", "Per channel credit under both models and the budget implication.",
   "Every channel's share differs by model is shown and channels off by more than 5 points are discussed.", "Paid search looks like the hero under last-click; brand awareness gets no credit.",
   "Analysis only.", ["marketing", "analytics"], ["attribution", "analytics", "channels"], "low", 3.6, 1800,
   "attribution", "Fetch attribution shares", "https://analytics.example.com/api/attribution?models=last_click,data_driven&period=2024-Q2",
   {"last_click": {"paid_search": 0.46, "social": 0.08, "email": 0.21, "organic": 0.25}, "data_driven": {"paid_search": 0.33, "social": 0.17, "email": 0.19, "organic": 0.31}},
   ("Model comparison", "Compare the shares, flag channels off by more than 5 points, and say what it means for the budget."))

q1("Marketing", "event-roi-review", "Event ROI Review",
   "Measure the pipeline and revenue each trade event produced against its cost to plan next year's calendar.", "Cost, leads, pipeline and ROI per event with keep or drop calls.",
   "Every event of the year has its ROI and a keep, change or drop call.", "Events take 30% of the marketing budget with no shared measure.",
   "Pipeline is counted only for opportunities created within 90 days of the event.", ["marketing", "field-marketing"], ["events", "roi", "pipeline"], "low", 4.1, 2400,
   "events", "Fetch event results", "https://crm.example.com/api/campaigns?type=event&year=2024",
   {"events": [{"name": "OpsWorld Berlin", "cost": 48000, "leads": 310, "pipeline": 620000, "won": 140000}, {"name": "AI Summit Lisbon", "cost": 22000, "leads": 95, "pipeline": 90000, "won": 0}]},
   ("Event ROI", "Compute ROI and cost per lead per event and make a keep, change or drop call."))

q1("Marketing", "brand-voice-audit", "Brand Voice Audit",
   "Check the website's key pages against the brand voice guide and list the passages to rewrite.", "Off-voice passages per page with a rewrite.",
   "Every key page is checked and each off-voice passage has a rewrite in the guide's voice.", "Five writers over three years left the site in five voices.",
   "Rewrites are drafts for the web team.", ["marketing", "brand"], ["brand-voice", "copy", "website"], "low", 1.9, 600,
   "pages", "Fetch key page copy", "https://cms.example.com/api/pages?slugs=home,pricing,security",
   {"voice": "plain, confident, no hype", "pages": {"home": "Revolutionise your synergies with next-gen AI rockets!", "pricing": "Simple plans. Cancel any time.", "security": "We leverage best-in-class military-grade paradigms."}},
   ("Voice audit", "Flag passages that break the voice and rewrite them."))

# --------------------------------------------------------------------------------------------- Sales

q1("Sales", "pipeline-hygiene", "Pipeline Hygiene Sweep",
   "Clean the sales pipeline: stale deals, missing next steps and close dates in the past.", "A fix list per rep with the deals to update or close.",
   "Every open deal breaking a hygiene rule is listed with the rule and the owner.", "Forecast calls waste time on deals that died months ago.",
   "CRM records are not changed; reps update their own deals.", ["sales", "revenue-operations"], ["pipeline", "crm", "forecast"], "low", 4.0, 2000,
   "deals", "Fetch open deals", "https://crm.example.com/api/deals?status=open",
   {"deals": [{"id": "D-1", "owner": "R-3", "close_date": "2024-05-30", "last_activity_days": 41, "next_step": None}, {"id": "D-2", "owner": "R-1", "close_date": "2024-08-15", "last_activity_days": 3, "next_step": "demo"}, {"id": "D-3", "owner": "R-3", "close_date": "2024-07-31", "last_activity_days": 65, "next_step": "call"}]},
   ("Fix list", "List deals with a past close date, no next step, or no activity in 30 days, grouped by owner."),
   src2=("emails", "Fetch buyer replies", "https://sales-engagement.example.com/api/replies?deals=D-1,D-2,D-3&days=60", {"D-1": {"last_buyer_reply_days": 52}, "D-2": {"last_buyer_reply_days": 2}, "D-3": {"last_buyer_reply_days": None}}))

q1("Sales", "account-plan-builder", "Strategic Account Plan",
   "Build an account plan for a strategic customer: org map, whitespace, risks and a 90-day plan.", "An account plan with expansion opportunities sized and a dated plan.",
   "The plan names the buying centre, at least three sized whitespace opportunities and a 90-day plan.", "Our top account renews in six months and only uses one product.",
   "Plan for the account team; the customer is not contacted.", ["sales", "customer-success"], ["account-planning", "expansion", "enterprise"], "low", 6.5, 8000,
   "account", "Fetch the account profile", "https://crm.example.com/api/accounts/A-HELIO/profile",
   {"name": "Helio Energy", "arr": 210000, "products": ["Mission Studio Core"], "business_units": ["Trading", "Grid Ops", "HR"], "renewal": "2025-01-31", "champion": "VP Operations"},
   ("Account plan", "Write the account plan: buying centre, whitespace by business unit with sizes, risks."),
   ("90-day plan", "Turn the plan into a dated 90-day action list."))

q1("Sales", "lead-scoring-review", "Inbound Lead Triage",
   "Score and route this week's inbound leads so reps call the best ones within the hour.", "A ranked lead list with score, reason and routing.",
   "Every inbound lead has a score, a reason and an owner.", "Inbound leads wait a day on average; speed-to-lead is the best predictor of conversion.",
   "Contact details stay in the CRM; the report uses company names.", ["sales", "sales-development"], ["leads", "scoring", "routing"], "low", 5.5, 3000,
   "leads", "Fetch inbound leads", "https://crm.example.com/api/leads?status=new",
   {"leads": [{"company": "Quay Logistics", "employees": 800, "title": "Head of Operations", "action": "pricing page + demo request"}, {"company": "Studio Nine", "employees": 6, "title": "Founder", "action": "ebook download"}, {"company": "Varda Retail", "employees": 2400, "title": "IT Manager", "action": "security page visit"}]},
   ("Lead triage", "Score each lead 0-100 on fit and intent, give the reason, and route to enterprise, mid-market or nurture."))

q1("Sales", "renewal-risk-playbook", "Renewal Risk Playbook",
   "Prepare the renewals due next quarter with risk level and a playbook per account.", "Renewals ranked by risk with the play to run.",
   "Every renewal of the quarter has a risk level and a named play.", "Renewals are handled a month before the date, too late to fix adoption.",
   "Plays are suggestions for account managers.", ["sales", "customer-success"], ["renewals", "retention", "playbook"], "medium", 6.0, 6000,
   "renewals", "Fetch upcoming renewals", "https://crm.example.com/api/renewals?quarter=2024-Q4",
   {"renewals": [{"account": "Varda Retail", "arr": 96000, "usage_trend": -0.3, "nps": 12}, {"account": "Brightpath Ltd", "arr": 40000, "usage_trend": 0.2, "nps": 61}]},
   ("Renewal playbook", "Rank renewals by risk and give a play per account (exec sponsor, adoption plan, multi-year offer)."))

q1("Sales", "deal-desk-discount-check", "Deal Desk Discount Check",
   "Check that quotes awaiting approval stay within discount policy and margin floors.", "A verdict per quote and the approvals each needs.",
   "Every pending quote has a verdict and, above policy, the approver level required.", "Discounts crept from 12% to 24% on average in a year.",
   "The deal desk approves; the mission advises.", ["sales", "deal-desk", "finance"], ["discounts", "pricing", "approvals"], "low", 5.0, 3000,
   "quotes", "Fetch pending quotes", "https://cpq.example.com/api/quotes?status=pending_approval",
   {"policy": {"rep_max": 0.10, "manager_max": 0.20, "vp_max": 0.30}, "quotes": [{"id": "Q-71", "discount": 0.08, "term_years": 1}, {"id": "Q-74", "discount": 0.27, "term_years": 3}, {"id": "Q-80", "discount": 0.35, "term_years": 1}]},
   ("Verdicts", "Give each quote a verdict and required approver per the policy; multi-year terms can justify more discount."), links=["Finance"])

q1("Sales", "territory-balance", "Territory Balance Review",
   "Check that sales territories are balanced in potential and workload and propose moves.", "Potential and account load per territory with proposed account moves.",
   "Every territory's potential is within 15% of the mean after the proposed moves.", "Two reps hit quota in April while others have no pipeline.",
   "Moves are proposals for sales leadership.", ["sales", "revenue-operations"], ["territories", "capacity", "planning"], "low", 3.1, 2000,
   "territories", "Fetch territory potential", "https://crm.example.com/api/territories/summary",
   {"territories": [{"name": "DACH North", "accounts": 140, "potential_eur": 4100000}, {"name": "DACH South", "accounts": 95, "potential_eur": 2200000}, {"name": "Benelux", "accounts": 120, "potential_eur": 3000000}]},
   ("Balance proposal", "Propose account moves so each territory is within 15% of mean potential."))

q1("Sales", "win-loss-analysis", "Win-Loss Analysis",
   "Explain why we won and lost deals last quarter and what to change in product and pitch.", "Win and loss reasons by segment and competitor, with actions.",
   "Every closed deal of the quarter is coded, and the top three loss reasons have an owner action.", "We lose to Orbita in mid-market but nobody agrees why.",
   "Customer quotes are anonymised.", ["sales", "product-marketing"], ["win-loss", "competitive", "pipeline"], "low", 4.2, 2500,
   "closed", "Fetch closed deals", "https://crm.example.com/api/deals?status=closed&quarter=2024-Q2",
   {"won": 18, "lost": 23, "loss_notes": ["Orbita cheaper for small teams", "No SSO on our starter plan", "Orbita cheaper for small teams", "Procurement needed SOC 2 report"]},
   ("Win-loss readout", "Code the loss notes, rank reasons, and propose an owner action per top reason."),
   facts=[("Won", "{{closed.output.json.won}}"), ("Lost", "{{closed.output.json.lost}}")])

q1("Sales", "rfp-response-draft", "RFP Response Draft",
   "Draft answers to an RFP's requirements from past responses and product docs, flagging gaps.", "A compliance matrix and draft answers with gaps flagged.",
   "Every requirement has a comply, partial or gap mark with a draft answer.", "RFPs take three people a week; most answers exist in past responses.",
   "No commitment beyond the current product; gaps are flagged for the bid manager.", ["sales", "presales"], ["rfp", "proposals", "presales"], "medium", 5.8, 7000,
   "rfp", "Fetch the RFP requirements", "https://bids.example.com/api/rfps/RFP-2024-19/requirements",
   {"buyer": "City of Porto", "due": "2024-08-20", "requirements": ["Runs on-premises without internet", "Per-department budget caps", "Audit log retained 7 years", "Portuguese UI"]},
   ("Compliance matrix", "Mark each requirement comply, partial or gap for an offline-first mission automation product, with a draft answer."),
   facts=[("Buyer", "{{rfp.output.json.buyer}}"), ("Due", "{{rfp.output.json.due}}")])

# --------------------------------------------------------------------------------------------- Legal

q1("Legal", "contract-clause-review", "Contract Clause Review",
   "Review an inbound customer contract against our playbook and mark the clauses to negotiate.", "A clause-by-clause table: playbook position, their text, risk and fallback.",
   "Every clause the playbook covers is compared, and each deviation has a risk level and a fallback.", "Legal reviews 30 customer paper contracts a month; most deviations are the same five.",
   "A review aid; counsel decides.", ["legal"], ["contracts", "playbook", "negotiation"], "medium", 5.0, 4000,
   "contract", "Fetch the contract clauses", "https://clm.example.com/api/contracts/K-399/clauses",
   {"customer": "Varda Retail", "clauses": {"liability_cap": "unlimited", "payment_terms": "net 90", "governing_law": "Delaware", "termination": "for convenience on 30 days"}, "playbook": {"liability_cap": "12 months fees", "payment_terms": "net 30", "governing_law": "Netherlands", "termination": "for cause only"}},
   ("Clause review", "Compare each clause with the playbook and give the risk and our fallback position."))

q1("Legal", "dpa-gap-check", "Data Processing Agreement Check",
   "Check a vendor's data processing agreement against GDPR Article 28 requirements.", "The Article 28 checklist with the clause meeting each item or the gap.",
   "All eight Article 28(3) items are checked and each gap has proposed wording.", "Procurement signs vendor DPAs without legal review when the deal is small.",
   "Not legal advice; privacy counsel approves.", ["legal", "privacy"], ["gdpr", "dpa", "vendors", "privacy"], "medium", 4.0, 3000,
   "dpa", "Fetch the vendor DPA", "https://clm.example.com/api/documents/DPA-SURVEYLY",
   {"vendor": "Surveyly", "sections": ["processing on documented instructions", "confidentiality of personnel", "security measures annex", "sub-processors listed"], "missing_hint": "no audit rights, no deletion at end of contract"},
   ("Article 28 checklist", "Check the DPA against each Article 28(3) item and propose wording for the gaps."), links=["Security"])

q1("Legal", "trademark-clearance", "Trademark Clearance Screen",
   "Screen a proposed product name against registered trademarks before marketing falls in love with it.", "Conflicting marks by class and similarity, with a go or rethink call.",
   "Every identical or similar mark in classes 9 and 42 is listed, and a call is made.", "A product name had to be dropped after launch materials were printed.",
   "A screen, not a legal opinion.", ["legal", "marketing"], ["trademarks", "naming", "ip"], "low", 3.0, 2000,
   "marks", "Search trademark registers", "https://tm-search.example.com/api/search?mark=MISSIONFORGE&classes=9,42",
   {"results": [{"mark": "MISSION FORGE", "owner": "Forge Games Ltd", "classes": [9, 41], "status": "registered"}, {"mark": "MISSIONFORCE", "owner": "Force Sec GmbH", "classes": [42], "status": "pending"}]},
   ("Clearance screen", "Assess similarity and class overlap of each mark and give a go or rethink call."), links=["Marketing"],
   src2=("domains", "Check domain availability", "https://whois.example.com/api/availability?names=missionforge.com,missionforge.io,missionforge.eu", {"missionforge.com": "registered 2015, parked", "missionforge.io": "available", "missionforge.eu": "available"}))

q1("Legal", "litigation-hold-tracker", "Litigation Hold Tracker",
   "Track who received a litigation hold notice, who acknowledged it, and which systems still auto-delete.", "Acknowledgement status per custodian and systems needing a retention override.",
   "Every custodian's acknowledgement is tracked and every in-scope system has retention confirmed or flagged.", "A hold was issued but a chat system kept deleting messages after 90 days.",
   "Privileged; the report stays with the legal team.", ["legal", "it"], ["litigation-hold", "ediscovery", "retention"], "high", 3.0, 10000,
   "hold", "Fetch the hold status", "https://legal-hold.example.com/api/holds/LH-07/status",
   {"matter": "LH-07", "custodians": [{"id": "E-14", "ack": True}, {"id": "E-22", "ack": False}, {"id": "E-31", "ack": False}], "systems": {"email": "retained", "chat": "90-day deletion", "drive": "retained"}},
   ("Hold status", "List custodians who have not acknowledged and systems still deleting, with the next action for each."), links=["Operations"])

q1("Legal", "regulatory-filing-calendar", "Regulatory Filing Calendar",
   "Build the next six months' calendar of regulatory filings and renewals with owners.", "A dated calendar with owner and preparation lead time.",
   "Every filing and licence renewal in the next six months is dated with an owner and a start date.", "A licence renewal was filed a week late in 2023.",
   "Calendar only; filings are made by owners.", ["legal", "compliance"], ["filings", "calendar", "licences"], "low", 2.8, 1500,
   "obligations", "Fetch the obligations register", "https://grc.example.com/api/obligations?horizon=6m",
   {"obligations": [{"name": "Annual accounts filing NL", "due": "2024-12-31", "lead_weeks": 8}, {"name": "Data protection registration renewal UK", "due": "2024-09-30", "lead_weeks": 2}, {"name": "Payment institution report", "due": "2024-10-15", "lead_weeks": 6}]},
   ("Filing calendar", "Build the calendar with start dates from lead times and propose an owner role for each."))

q1("Legal", "nda-triage", "NDA Triage",
   "Triage incoming NDAs: sign as is, sign with standard edits, or send to counsel.", "A triage call per NDA with the edits needed.",
   "Each NDA in the queue has a call and, where edited, the exact edits.", "Sales waits a week for NDAs that are almost always standard.",
   "Only mutual NDAs under the standard playbook can be signed without counsel.", ["legal", "sales"], ["nda", "triage", "contracts"], "low", 4.5, 1200,
   "ndas", "Fetch the NDA queue", "https://clm.example.com/api/queue?type=nda",
   {"ndas": [{"id": "N-11", "mutual": True, "term_years": 3, "non_solicit": False}, {"id": "N-12", "mutual": False, "term_years": 10, "non_solicit": True}]},
   ("Triage", "Give each NDA a call (sign, sign with edits, counsel) and the edits."), links=["Sales"],
   src2=("playbook", "Fetch the NDA playbook", "https://clm.example.com/api/playbooks/nda", {"mutual_required": True, "max_term_years": 5, "non_solicit": "delete, or limit to 12 months and direct solicitation", "governing_law": ["Netherlands", "England"]}))

q1("Legal", "ai-use-policy-check", "AI Use Policy Check",
   "Check a new AI feature against our AI use policy and the AI Act risk categories before launch.", "A policy checklist with risk category and required measures.",
   "The feature has a risk category, every policy item is checked, and required measures are listed.", "Product wants to launch automatic candidate screening; HR uses are high-risk under the AI Act.",
   "An assessment aid for the AI governance board.", ["legal", "ai-governance", "product"], ["ai-act", "ai-policy", "risk-assessment"], "high", 3.5, 6000,
   "feature", "Fetch the feature description", "https://pm-docs.example.com/api/features/F-CANDIDATE-SCREEN",
   {"feature": "Automatic candidate screening", "data": ["CVs", "assessment scores"], "decision": "ranks candidates for recruiters", "human_in_loop": True},
   ("Risk assessment", "Classify the feature under the AI Act, check it against a policy of transparency, human oversight, data governance and logging, and list required measures."), links=["HR"])

q1("Legal", "privacy-request-handler", "Privacy Request Handler",
   "Handle data subject access and deletion requests within the legal deadline and keep the evidence.", "A status per request with systems searched, data found and the deadline.",
   "Every open request has its systems checked, a response draft and a deadline within 30 days of receipt.", "Requests arrive by email and are tracked in a spreadsheet; two were answered late.",
   "Identity must be verified before data is released.", ["legal", "privacy", "support"], ["gdpr", "dsar", "privacy"], "medium", 4.2, 2500,
   "requests", "Fetch open privacy requests", "https://privacy.example.com/api/requests?status=open",
   {"requests": [{"id": "DSR-41", "type": "access", "received": "2024-06-10", "verified": True, "systems_with_data": ["crm", "billing"]}, {"id": "DSR-44", "type": "deletion", "received": "2024-06-25", "verified": False}]},
   ("Request status", "For each request give the deadline, next step, and a response draft when verified."))

# --------------------------------------------------------------------------------------------- Health

q1("Health", "clinic-no-show-reduction", "Clinic No-Show Reduction",
   "Cut missed appointments by finding the slots and patient groups with the most no-shows and targeting reminders.", "No-show rates by slot and group with a reminder plan.",
   "No-show rates are shown per weekday, hour and age band, and the reminder plan targets the top three.", "No-shows run at 14%; each costs the clinic EUR 90.",
   "De-identified appointment data only.", ["health-operations", "patient-access"], ["no-shows", "appointments", "reminders"], "low", 5.5, 3000,
   "appts", "Fetch appointment outcomes", "https://clinic-pms.example.com/api/appointments/stats?period=90d&deidentified=true",
   {"overall_no_show": 0.14, "by_slot": {"Mon 08:00": 0.22, "Fri 16:00": 0.19, "Wed 11:00": 0.07}, "by_age": {"18-29": 0.24, "30-49": 0.13, "65+": 0.06}},
   ("Reminder plan", "Identify the worst slots and groups and design a reminder plan (timing, channel) for them, with expected savings."))

q1("Health", "clinical-guideline-digest", "Clinical Guideline Update Digest",
   "Summarise guideline updates published this month for the clinical team with what changes in practice.", "A digest per guideline with the change in practice.",
   "Every updated guideline in the watched specialties has a summary and the practice change.", "Clinicians miss guideline updates in the flood of email.",
   "Summaries are reviewed by the clinical lead before circulation.", ["clinical-governance"], ["guidelines", "clinical", "evidence"], "medium", 3.0, 2000,
   "guidelines", "Fetch guideline updates", "https://guidelines.example.org/api/updates?month=2024-06&specialties=cardiology,diabetes",
   {"updates": [{"title": "Type 2 diabetes in adults: management", "change": "SGLT2 inhibitors earlier for patients with heart failure"}, {"title": "Hypertension in adults", "change": "Home monitoring thresholds revised"}]},
   ("Guideline digest", "Summarise each update and the concrete change in practice; flag anything needing local protocol changes.", "You are a clinical pharmacist summarising for clinicians. Flag uncertainty."))

T("Health", "bed-occupancy-forecast", "Bed Occupancy Forecast",
  goal="Forecast ward bed occupancy for the next seven days and flag the days above 92%.",
  objective="Occupancy per ward and day with the days over threshold and mitigation options.",
  done="Every ward has a seven-day forecast and each day over 92% has a mitigation.",
  context="Winter pressure starts earlier each year; bed managers plan day by day.",
  constraints="- Aggregate counts only.\n",
  depts=["health-operations", "bed-management"], tags=["beds", "occupancy", "forecast", "capacity"], risk="medium", roi=4.8, value=5000,
  steps=[
    put_file("census", "Load the ward census", "census.csv", "ward,beds,occupied,expected_admissions,expected_discharges\nMedical A,32,30,6,4\nSurgical B,28,22,5,6\nCardiology,20,19,3,2\n"),
    cmd("tomorrow", "Tomorrow's occupancy", "awk", ["-F,", "NR>1 {o=($3+$4-$5)/$2*100; printf \"%s %.0f%%%s\\n\", $1, o, (o>92 ? \" OVER\" : \"\")}", "census.csv"], after=["census"]),
    llm("mitigation", "Mitigations", "For the wards over 92%, propose mitigations (early discharge rounds, transfers, elective deferral).\n\n{{tomorrow.output.stdout}}"),
  ])

q1("Health", "medication-stock-watch", "Medication Stock Watch",
   "Warn the pharmacy before critical medicines run out, using stock, usage and supplier shortage notices.", "Days of cover per critical medicine and the orders or substitutes needed.",
   "Every critical medicine under 14 days of cover has an order or substitute proposal.", "A national shortage of an antibiotic caught the hospital with three days of stock.",
   "Substitutions need pharmacist approval.", ["pharmacy", "procurement"], ["medication", "stock", "shortages"], "medium", 5.0, 4000,
   "stock", "Fetch stock and shortages", "https://pharmacy.example.com/api/stock?critical=true",
   {"items": [{"drug": "Amoxicillin 500mg", "on_hand": 1200, "daily_use": 140, "shortage_notice": True}, {"drug": "Insulin glargine", "on_hand": 300, "daily_use": 12, "shortage_notice": False}, {"drug": "Enoxaparin 40mg", "on_hand": 410, "daily_use": 45, "shortage_notice": False}]},
   ("Cover and actions", "Compute days of cover and propose orders or substitutes for anything under 14 days or under a shortage notice."), links=["Operations"],
   src2=("supply", "Fetch supplier availability", "https://procurement.example.org/api/availability?critical=true", {"Amoxicillin 500mg": {"lead_days": 21, "alternatives": ["Amoxicillin 250mg capsules", "Doxycycline 100mg"]}, "Insulin glargine": {"lead_days": 3, "alternatives": []}, "Enoxaparin 40mg": {"lead_days": 5, "alternatives": ["Dalteparin 5000 units"]}}))

q1("Health", "patient-feedback-themes", "Patient Feedback Themes",
   "Turn patient feedback into themes by department so managers know what to fix first.", "Themes per department with volume, sentiment and an improvement action.",
   "Every department with ten or more comments has its themes and one action.", "The feedback kiosk collects 400 comments a month that nobody reads.",
   "Comments are de-identified before analysis.", ["patient-experience"], ["feedback", "patient-experience", "themes"], "low", 2.6, 1000,
   "feedback", "Fetch de-identified feedback", "https://feedback.example.com/api/comments?month=2024-06&deidentified=true",
   {"count": 4, "comments": [{"dept": "Emergency", "text": "Waited four hours with no update."}, {"dept": "Emergency", "text": "Nurses were kind but overwhelmed."}, {"dept": "Outpatients", "text": "Parking impossible, late for appointment."}, {"dept": "Maternity", "text": "Excellent care, clear explanations."}]},
   ("Themes", "Group comments into themes per department with sentiment and propose one improvement action each."))

q1("Health", "clinical-trial-matching", "Clinical Trial Matching Screen",
   "Screen de-identified patient cohorts against open trials' eligibility criteria to find recruitment candidates.", "Cohort counts per trial and the criteria that exclude most patients.",
   "Each open trial has a count of potentially eligible patients and the most limiting criterion.", "Trials close early for lack of recruits while eligible patients go unasked.",
   "Counts only; clinicians approach patients after review.", ["clinical-research", "data"], ["clinical-trials", "recruitment", "eligibility"], "medium", 4.0, 5000,
   "trials", "Fetch open trials and cohort counts", "https://research-db.example.org/api/trials?status=recruiting&site=main",
   {"trials": [{"id": "NCT0555", "criteria": ["age 40-75", "HbA1c > 7.5", "no insulin"], "cohort_counts": [5200, 1100, 640]}, {"id": "NCT0612", "criteria": ["heart failure EF < 40", "no device"], "cohort_counts": [480, 310]}]},
   ("Eligibility screen", "For each trial give the remaining eligible count and the criterion that removes the most patients."))

q1("Health", "infection-control-surveillance", "Infection Control Surveillance",
   "Spot clusters of hospital-acquired infections by ward and organism early enough to act.", "Cases by ward and organism against baseline, with clusters flagged.",
   "Every ward with cases above twice its baseline for an organism is flagged with the case timeline.", "A C. difficile cluster was spotted three weeks late last year.",
   "De-identified case data; flagged clusters go to the infection control nurse.", ["infection-control", "clinical-governance"], ["infection-control", "surveillance", "clusters"], "high", 6.0, 7000,
   "cases", "Fetch lab-confirmed cases", "https://lab.example.org/api/hai-cases?days=28&deidentified=true",
   {"cases": [{"ward": "Medical A", "organism": "C. difficile", "n": 4, "baseline": 1}, {"ward": "Surgical B", "organism": "MRSA", "n": 1, "baseline": 1}]},
   ("Cluster assessment", "Flag ward-organism pairs above twice baseline and propose immediate control measures.", "You are an infection control analyst. Flag, do not diagnose."),
   src2=("wards", "Fetch ward context", "https://bed-management.example.org/api/wards?names=Medical%20A,Surgical%20B", {"Medical A": {"occupancy": 0.97, "antibiotic_days_per_1000": 610, "side_rooms_free": 0}, "Surgical B": {"occupancy": 0.81, "antibiotic_days_per_1000": 420, "side_rooms_free": 3}}))

q1("Health", "discharge-summary-quality", "Discharge Summary Quality Check",
   "Check discharge summaries for the elements GPs need: diagnosis, medication changes, follow-up.", "A completeness score per summary and the elements missing.",
   "Every sampled summary is scored on the five required elements, and missing ones are listed.", "GPs complain that medication changes are missing from discharge letters.",
   "Sampled de-identified summaries only.", ["clinical-governance", "health-operations"], ["discharge", "documentation", "quality"], "low", 3.2, 1500,
   "summaries", "Fetch sampled summaries", "https://ehr-audit.example.org/api/discharge-summaries/sample?n=3&deidentified=true",
   {"required": ["diagnosis", "medication changes", "follow-up", "pending results", "GP actions"], "summaries": [{"id": "S-1", "has": ["diagnosis", "follow-up"]}, {"id": "S-2", "has": ["diagnosis", "medication changes", "follow-up", "GP actions"]}, {"id": "S-3", "has": ["diagnosis"]}]},
   ("Completeness", "Score each summary out of five, list missing elements, and suggest a template change."))

T("Research", "citation-integrity-check", "Citation Integrity Check",
  goal="Check a manuscript's reference list for duplicates, missing years and references never cited in the text.",
  objective="A list of reference problems to fix before submission.",
  done="Every reference is checked for the three problems and each problem is listed with the reference key.",
  context="A journal desk-rejected a paper last year for an inconsistent bibliography.",
  constraints="- The manuscript stays in the workspace.\n",
  depts=["research"], tags=["citations", "manuscript", "publishing"], risk="low", roi=1.5, value=500,
  steps=[
    put_file("refs", "Load the reference list", "refs.txt", "smith2021 Smith, Agents at scale, 2021\nlee2023 Lee, Budgeted planning, 2023\nsmith2021 Smith, Agents at scale, 2021\nng Ng, Provenance of reports, n.d.\n"),
    put_file("text", "Load the manuscript", "paper.md", "As shown by [smith2021], scale matters. Budgets help [lee2023].\n"),
    cmd("dupes", "Duplicate references", "sort", ["refs.txt"], after=["refs"]),
    cmd("dupe_keys", "Repeated entries", "uniq", ["-d"], stdin="{{dupes.output.stdout}}"),
    cmd("no_year", "References without a year", "grep", ["n.d.", "refs.txt"], after=["refs"]),
    search("cited_ng", "Is [ng] cited", "[ng]", path=".", name_contains="paper.md", after=["text"]),
  ],
  sections=[("Duplicates", "```text\n{{dupe_keys.output.stdout}}\n```"), ("Missing year", "```text\n{{no_year.output.stdout}}\n```"), ("Citations of [ng] in the text", "{{cited_ng.output.matches}} (an empty list means it is never cited)")])

# --------------------------------------------------------------------------------------------- Security (second set)

F("Security", "ransomware-readiness-check", "Ransomware Readiness Check",
  "Measure how well we could recover from ransomware tomorrow: immutable backups, restore tests and exposed remote access.",
  "A readiness score per recovery control with the gaps that would turn an incident into weeks of downtime.",
  "Backups, restore tests and remote-access exposure are each scored, and every red control has an owner and a fix date.",
  "The insurer's renewal questionnaire asks for proof of immutable backups and tested restores; a peer company paid a ransom last month after its backups were encrypted too.",
  "Read-only: backup jobs and remote-access settings are inspected, never changed.",
  ["security", "infrastructure", "it"], ["ransomware", "backups", "resilience", "cyber-insurance"], "high", 7.8, 9000,
  [("backups", "Fetch backup job status", "https://backup.example.com/api/v2/jobs?include=immutability,last_restore_test",
    {"jobs": [{"system": "erp-db", "immutable": True, "last_success": "2024-06-30", "last_restore_test": "2024-03-02"},
              {"system": "file-shares", "immutable": False, "last_success": "2024-06-30", "last_restore_test": None},
              {"system": "ad-domain", "immutable": True, "last_success": "2024-06-29", "last_restore_test": "2023-11-20"}]}),
   ("remote", "Fetch exposed remote access", "https://attack-surface.example.com/api/exposures?services=rdp,vpn,citrix",
    {"exposed": [{"host": "vpn-gw-1", "service": "vpn", "mfa": True, "patched": True}, {"host": "ts-legacy-02", "service": "rdp", "mfa": False, "patched": False}]}),
   ("drill", "Fetch the last tabletop exercise", "https://grc.example.com/api/exercises?type=ransomware&latest=true",
    {"date": "2023-09-14", "rto_target_hours": 24, "rto_achieved_hours": 71, "open_actions": 4})],
  [("backup_gaps", "Backup and restore gaps", "Score each backed-up system green, amber or red: immutability, backup age and a restore test within the last 6 months.", ["backups"]),
   ("access_gaps", "Remote access gaps", "Rank the exposed remote-access services by how likely they are to be the entry point of a ransomware attack.", ["remote"]),
   ("drill_gaps", "Recovery time gap", "Compare the recovery time achieved in the last exercise with the target and list what the open actions should fix first.", ["drill"])],
  ("readiness", "Readiness verdict", "Combine the three assessments into an overall readiness score out of 10 and the five fixes that raise it most, each with an owner role.", "You are a security architect preparing evidence for a cyber-insurance renewal. Be concrete."),
  facts=[("Open exercise actions", "{{drill.output.json.open_actions}}"), ("Recovery target (hours)", "{{drill.output.json.rto_target_hours}}")], links=["Operations"])

T("Security", "mfa-coverage-gap", "MFA Coverage Gap",
  goal="Find every application and account still signing in without multi-factor authentication, starting with privileged ones.",
  objective="MFA coverage per application, the accounts left without MFA and an enforcement order.",
  done="Each application in the identity export has its coverage in percent, and every privileged account without MFA is listed.",
  context="Account takeover in the support tool last quarter came through a shared admin account without MFA. The identity provider reports enrolment, not enforcement.",
  constraints="- Accounts are listed by id; enrolment is not forced by the mission.\n",
  depts=["security", "identity"], tags=["mfa", "identity", "account-takeover", "iam"], risk="medium", roi=7.0, value=4000,
  steps=[
    put_file("export", "Load the sign-in export", "signins.csv", "account,app,privileged,mfa\nE-101,aws-console,yes,yes\nE-140,support-tool,yes,no\nE-205,support-tool,no,no\nSVC-9,ci-runner,yes,no\nE-311,crm,no,yes\nE-312,crm,no,no\nE-400,payroll,yes,yes\n"),
    cmd("coverage", "Coverage per application", "awk", ["-F,", "NR>1 {n[$2]++; if ($4==\"yes\") m[$2]++} END {for (a in n) printf \"%s %d/%d with MFA\\n\", a, m[a], n[a]}", "signins.csv"], after=["export"]),
    cmd("priv_no_mfa", "Privileged accounts without MFA", "grep", [",yes,no$", "signins.csv"], after=["export"]),
    cmd("service_accts", "Service accounts", "grep", ["^SVC-", "signins.csv"], after=["export"]),
    llm("plan", "Enforcement order", "Propose the order in which to enforce MFA per application, privileged accounts first. Service accounts cannot use MFA: propose workload identity or IP restrictions for them instead.\n\nCoverage:\n{{coverage.output.stdout}}\nPrivileged without MFA:\n{{priv_no_mfa.output.stdout}}\nService accounts:\n{{service_accts.output.stdout}}"),
  ], links=["HR"])

Q("Security", "edr-sensor-coverage", "Endpoint Sensor Coverage",
  "Reconcile the asset inventory with the endpoint detection console to find machines nobody is watching.",
  "A list of unprotected or silent endpoints with owner and location.",
  "Every asset in the inventory is matched to a detection sensor, and each unmatched or silent one (no check-in for 7 days) has an owner.",
  "An unmanaged build server was the foothold in last year's intrusion; the EDR console only knows what it has seen.",
  "Sensors are not installed or restarted by the mission; the list goes to IT operations.",
  ["security-operations", "it"], ["edr", "endpoints", "asset-inventory", "coverage"], "medium", 6.4, 4500,
  [("inventory", "Fetch the asset inventory", "https://cmdb.example.com/api/assets?class=server,workstation&status=active",
    {"count": 5, "assets": [{"host": "build-07", "owner": "platform"}, {"host": "fin-ws-12", "owner": "finance"}, {"host": "db-replica-3", "owner": "data"}, {"host": "kiosk-lobby", "owner": "facilities"}, {"host": "dev-ws-44", "owner": "engineering"}]}),
   ("sensors", "Fetch endpoint sensors", "https://edr.example.com/api/v1/sensors?fields=host,last_seen",
    {"sensors": [{"host": "build-07", "last_seen_days": 0}, {"host": "fin-ws-12", "last_seen_days": 12}, {"host": "dev-ws-44", "last_seen_days": 1}]})],
  [("gaps", "Coverage gaps", "Match assets to sensors; list assets with no sensor and sensors silent for more than 7 days, with the owner and the risk of each."),
   ("actions", "Remediation plan", "Turn the gaps into a remediation plan per owner team with a deadline, unmanaged servers first.")],
  facts=[("Assets in the inventory", "{{inventory.output.json.count}}")], links=["Operations"])

Q("Security", "vendor-security-review", "Vendor Security Review",
  "Review a new vendor's SOC 2 report and questionnaire before it gets access to customer data.",
  "A vendor risk rating with the report's exceptions, missing controls and the contract clauses to add.",
  "The SOC 2 exceptions, bridge letter gap and data access scope are assessed, and the review ends with approve, approve with conditions or reject.",
  "Procurement wants to onboard a support-chat vendor that will see customer tickets; the last vendor review took five weeks.",
  "The review is advice to the vendor risk committee; no access is granted by the mission.",
  ["security", "procurement", "legal"], ["third-party-risk", "soc2", "vendor", "due-diligence"], "medium", 4.9, 3500,
  [("soc2", "Fetch the SOC 2 summary", "https://trust-portal.example.com/api/vendors/chatly/soc2",
    {"vendor": "Chatly", "type": "Type II", "period_end": "2023-12-31", "exceptions": ["Two terminated users kept access for 21 days", "Quarterly access review missed once"], "subservice": ["AWS", "OpenAI"]}),
   ("scope", "Fetch the requested data access", "https://procurement.example.com/api/requests/PR-5521/data-scope",
    {"data": ["ticket text", "customer email", "order numbers"], "regions": ["US"], "retention_days": 365})],
  [("rating", "Risk rating", "Rate the vendor low, medium or high: weigh the exceptions, the report age (bridge letter needed after 3 months), subservice organisations and the data in scope.", "You are a third-party risk analyst. Cite the report for every point."),
   ("conditions", "Conditions and clauses", "List the conditions for approval and the contract clauses to add (breach notice, subprocessor approval, retention, deletion).")],
  facts=[("Vendor", "{{soc2.output.json.vendor}}"), ("Report period end", "{{soc2.output.json.period_end}}")], links=["Legal"])

Q("Security", "phishing-simulation-results", "Phishing Simulation Debrief",
  "Turn the month's phishing simulation results into targeted training by department.",
  "Click and report rates per department against last month, and a training plan for the weakest.",
  "Every department has click and report rates with the change, and each department above 10% clicks has a training action.",
  "The board's security KPI is the report rate; click rates in finance doubled during the invoice-themed test.",
  "Results are shown per department (10 people or more); nobody is named or disciplined.",
  ["security", "hr"], ["awareness", "phishing-simulation", "training", "human-risk"], "low", 3.6, 1500,
  [("results", "Fetch simulation results", "https://awareness.example.com/api/campaigns/2024-06/results?by=department",
    {"theme": "overdue invoice", "departments": [{"dept": "finance", "size": 34, "clicked": 7, "reported": 9}, {"dept": "engineering", "size": 88, "clicked": 4, "reported": 41}, {"dept": "sales", "size": 52, "clicked": 9, "reported": 12}]}),
   ("previous", "Fetch last month's rates", "https://awareness.example.com/api/campaigns/2024-05/rates",
    {"finance": {"click": 0.09, "report": 0.30}, "engineering": {"click": 0.06, "report": 0.44}, "sales": {"click": 0.15, "report": 0.20}})],
  [("rates", "Rates and trend", "Compute click and report rates per department and the change against last month."),
   ("training", "Training plan", "For every department clicking above 10%, propose a short training tied to this month's theme and a target for next month.")],
  facts=[("Simulation theme", "{{results.output.json.theme}}")], links=["HR"])

T("Security", "privileged-command-review", "Privileged Command Review",
  goal="Review the week's privileged shell commands for risky actions and access outside change windows.",
  objective="Destructive or data-export commands, and privileged commands run without a change ticket.",
  done="Every recorded command is checked against the risky command list, and each hit is linked to a change ticket or flagged.",
  context="Auditors sampled admin activity and found a database dump run outside any change. The bastion records every command.",
  constraints="- Bastion recordings stay in the workspace; the report quotes commands, never output.\n",
  depts=["security", "infrastructure", "audit"], tags=["privileged-access", "pam", "audit", "change-management"], risk="medium", roi=4.5, value=3000,
  steps=[
    put_file("bastion", "Load the bastion command log", "bastion.log", "S-01 ops-2 2024-06-26T10:02 CHG-881 systemctl restart nginx\nS-02 dba-1 2024-06-27T23:40 none pg_dump -t customers prod\nS-03 ops-4 2024-06-28T14:15 CHG-884 rm -rf /var/log/old\nS-04 dev-9 2024-06-29T03:12 none curl -T export.csv https://files.example.net\n"),
    put_file("changes", "Load approved changes", "changes.txt", "CHG-881 restart web tier 2024-06-26\nCHG-884 log cleanup 2024-06-28\n"),
    cmd("no_ticket", "Commands without a change ticket", "grep", [" none ", "bastion.log"], after=["bastion"]),
    cmd("risky", "Destructive or export commands", "grep", ["-E", "pg_dump|rm -rf|curl -T|scp ", "bastion.log"], after=["bastion"]),
    search("approved", "Approved change records", "CHG-", path=".", name_contains="changes.txt", after=["changes"]),
    llm("review", "Command review", "Review these privileged commands. For each risky command say whether an approved change covers it, and flag commands without a ticket for follow-up with the account's manager.\n\nRisky commands:\n{{risky.output.stdout}}\nCommands without a ticket:\n{{no_ticket.output.stdout}}\nApproved changes: {{approved.output.matches}}"),
  ], check="stamp")

T("Security", "container-image-hardening", "Container Image Hardening",
  goal="Check the service Dockerfiles for root users, unpinned base images and secrets baked into layers.",
  objective="Hardening findings per Dockerfile with the fixed line to use instead.",
  done="Every Dockerfile is checked for the four issues, and each finding gives the file, the line and a fix.",
  context="A pentest found a production image running as root with a cloud key in an early layer. Images are built from many Dockerfiles written by different teams.",
  constraints="- Dockerfiles are read, not rebuilt or pushed.\n",
  depts=["security", "platform", "engineering"], tags=["containers", "docker", "hardening", "supply-chain"], risk="low", roi=5.2, value=2500,
  steps=[
    put_file("api_df", "Load the API Dockerfile", "services/api/Dockerfile", "FROM node:latest\nCOPY . /app\nENV NPM_TOKEN=npm_example_token\nRUN npm ci\nCMD [\"node\", \"server.js\"]\n"),
    put_file("worker_df", "Load the worker Dockerfile", "services/worker/Dockerfile", "FROM python:3.12.4-slim@sha256:0a1b2c\nRUN useradd -r worker\nUSER worker\nCOPY worker.py /srv/\nCMD [\"python\", \"/srv/worker.py\"]\n"),
    search("latest", "Unpinned base images", ":latest", path="services", after=["api_df", "worker_df"]),
    search("users", "USER instructions", "USER ", path="services", after=["api_df", "worker_df"]),
    search("secrets", "Secrets in ENV", "TOKEN=", path="services", after=["api_df", "worker_df"]),
    llm("fixes", "Hardening fixes", "Write the findings per Dockerfile with a corrected line for each: pin base images by digest, run as a non-root user (files without a USER line run as root), and pass secrets at build time with a secret mount instead of ENV.\n\nUnpinned: {{latest.output.matches}}\nUSER lines found: {{users.output.matches}}\nSecrets: {{secrets.output.matches}}"),
  ], links=["Engineering"])

T("Security", "subdomain-takeover-check", "Subdomain Takeover Check",
  goal="Find DNS records pointing at deprovisioned cloud resources that an attacker could claim.",
  objective="Dangling CNAME records with the service they point to and the record to delete.",
  done="Every CNAME in the zone export is checked against live resources, and each dangling one is listed for deletion.",
  context="A marketing microsite was deleted in the cloud but its CNAME stayed; researchers reported a takeover of a sister company's subdomain last month.",
  constraints="- Records are proposed for deletion; the zone is not edited.\n",
  depts=["security", "infrastructure"], tags=["dns", "subdomain-takeover", "attack-surface"], risk="medium", roi=5.5, value=3000,
  steps=[
    put_file("zone", "Load the zone export", "zone.txt", "www CNAME web-prod.cdn.example.net\npromo2022 CNAME promo-2022.storage-web.example.com\ndocs CNAME docs-site.pages.example.io\nstatus CNAME status-page.saas.example.com\nold-api CNAME api-v0.apps.example.cloud\n"),
    cmd("cnames", "CNAME records", "grep", ["CNAME", "zone.txt"], after=["zone"]),
    api("resolve", "Check the targets", "https://dns-check.example.com/api/resolve",
        {"results": [{"target": "web-prod.cdn.example.net", "status": "live"}, {"target": "promo-2022.storage-web.example.com", "status": "NoSuchBucket"}, {"target": "docs-site.pages.example.io", "status": "live"}, {"target": "status-page.saas.example.com", "status": "live"}, {"target": "api-v0.apps.example.cloud", "status": "NXDOMAIN"}], "checked": 5},
        method="POST", body={"records": "{{cnames.output.stdout}}"}),
    llm("dangling", "Dangling records", "List the records whose target no longer exists, how an attacker could claim each (bucket name, app name) and the record to delete first.\n\n{{resolve.output.body}}"),
  ], facts=[("Targets checked", "{{resolve.output.json.checked}}")], check="checksum")

# --------------------------------------------------------------------------------------------- Shadow (second set)

Q("Shadow", "rogue-mobile-app-watch", "Rogue Mobile App Watch",
  "Find unofficial apps in mobile app stores that use our name or logo to harvest logins.",
  "A list of rogue apps with publisher, installs and the takedown request for each store.",
  "Every app matching our brand terms is classified as ours, partner or rogue, and each rogue app has a takedown draft.",
  "Customers reviewed a 'Mission Studio Mobile' app that we never published; it asked for their password.",
  "Apps are looked up in the store APIs and never installed.",
  ["brand-protection", "threat-intelligence", "mobile"], ["mobile-apps", "impersonation", "app-stores", "takedown"], "medium", 4.8, 3000,
  [("stores", "Search the app stores", "https://appstore-watch.example.com/api/search?terms=mission%20studio",
    {"count": 3, "apps": [{"store": "play", "title": "Mission Studio", "publisher": "Mission Studio BV", "installs": 52000}, {"store": "play", "title": "Mission Studio Mobile Login", "publisher": "DevTools Hub", "installs": 1800, "permissions": ["SMS", "accessibility"]}, {"store": "apple", "title": "MStudio Companion", "publisher": "Orbit Labs", "installs": 400}]}),
   ("partners", "Fetch the partner app register", "https://partners.example.com/api/apps",
    {"approved": ["MStudio Companion"]})],
  [("classify", "Classification", "Classify each app as ours, approved partner or rogue; treat SMS and accessibility permissions on a login app as a strong sign of credential theft."),
   ("takedowns", "Takedown drafts", "Draft a takedown request per rogue app for its store, citing our trademark and the evidence.")],
  facts=[("Apps found", "{{stores.output.json.count}}")], links=["Legal", "Marketing"])

Q("Shadow", "ransomware-leak-site-watch", "Supplier Leak Site Watch",
  "Check whether any of our suppliers or subsidiaries has been named on ransomware leak sites, and what of ours they might hold.",
  "Named suppliers with the date, the group claiming it and the data we share with them.",
  "Every critical supplier is checked against the leak-site feed, and each hit lists the data we share and the next step.",
  "A payroll processor's breach exposed our employees' data; we learned of it from the news two weeks later.",
  "Only a threat-intelligence feed is queried; leak sites are never visited and nothing is downloaded.",
  ["threat-intelligence", "procurement", "privacy"], ["ransomware", "supply-chain", "leak-sites", "third-party-risk"], "high", 6.2, 7000,
  [("feed", "Query the leak-site feed", "https://cti.example.com/api/leaksites/victims?since=30d&match=suppliers",
    {"hits": [{"victim": "Paycraft Services", "group": "LockSpire", "posted": "2024-06-24", "claimed_gb": 410}, {"victim": "Kabelwerk", "group": "NoEscape", "posted": "2024-06-12", "claimed_gb": 35}]}),
   ("shared", "Fetch what we share with them", "https://vendor-register.example.com/api/vendors?names=Paycraft%20Services,Kabelwerk",
    {"Paycraft Services": {"data": ["employee names", "bank details", "salaries"], "contract_owner": "HR"}, "Kabelwerk": {"data": ["purchase orders"], "contract_owner": "procurement"}})],
  [("impact", "Impact per supplier", "For each named supplier, state what of our data they hold and the possible harm, and whether personal data triggers a breach assessment.", "You are a threat-intelligence analyst. Separate the group's claims from confirmed facts."),
   ("next", "Next steps", "List the next steps per supplier: contact, credential rotation, breach assessment with the privacy team, customer or employee notice.")],
  links=["Legal", "Security", "HR"])

T("Shadow", "card-testing-detection", "Card Testing Detection",
  goal="Detect card-testing attacks on the checkout: bursts of small authorisations from few sources with many cards.",
  objective="Sources and time windows matching the card-testing pattern, with the cards affected and rules to stop it.",
  done="The day's authorisation log is grouped by source, and every source with more than three distinct cards and mostly declines is flagged.",
  context="Card-testing bots ran 4,000 authorisations through the donation page last month; the processor raised our fees.",
  constraints="- Card numbers are kept masked; no card or customer is blocked by the mission.\n",
  depts=["fraud", "payments"], tags=["card-testing", "payments", "bots", "fraud"], risk="high", roi=7.2, value=6500,
  steps=[
    put_file("auths", "Load the authorisation log", "auths.csv", "time,source_ip,card,amount,result\n02:10:01,198.51.100.23,****1111,1.00,declined\n02:10:03,198.51.100.23,****2290,1.00,declined\n02:10:04,198.51.100.23,****8812,1.00,approved\n02:10:06,198.51.100.23,****0442,1.00,declined\n09:15:22,203.0.113.50,****7310,64.90,approved\n11:42:10,192.0.2.14,****5521,19.99,declined\n"),
    cmd("per_source", "Cards and declines per source", "awk", ["-F,", "NR>1 {c[$2]++; if ($5==\"declined\") d[$2]++} END {for (s in c) printf \"%s cards=%d declined=%d\\n\", s, c[s], d[s]}", "auths.csv"], after=["auths"]),
    cmd("small", "Authorisations under EUR 2", "awk", ["-F,", "NR>1 && $4<2", "auths.csv"], after=["auths"]),
    llm("verdict", "Card testing verdict", "Flag the sources matching card testing (more than three cards, mostly declined, amounts under EUR 2) and propose checkout rules: velocity limits per source, CAPTCHA after two declines, minimum amount. List the approved cards that should be reported to the issuer.\n\nPer source:\n{{per_source.output.stdout}}\nSmall authorisations:\n{{small.output.stdout}}"),
  ], links=["Finance"])

F("Shadow", "money-mule-screen", "Money Mule Screen",
  "Screen new customer accounts for money-mule behaviour: many inbound transfers from strangers quickly sent on.",
  "Accounts with the mule pattern, the money that passed through and the report for the financial crime team.",
  "Every account opened in the last 90 days is screened for the pass-through pattern, and each flagged account has its flows and a reporting recommendation.",
  "Police asked about three of our accounts used to launder invoice-fraud proceeds; money stayed in them less than a day.",
  "Accounts are flagged for investigators; nothing is frozen and no suspicious activity report is filed by the mission.",
  ["financial-crime", "fraud", "compliance"], ["money-mules", "aml", "transactions", "fraud"], "high", 6.8, 8000,
  [("flows", "Fetch transaction flows", "https://core-banking.example.com/api/accounts/flows?opened_within_days=90&min_inbound=5",
    {"accounts": [{"id": "AC-7781", "age_days": 21, "inbound": 14, "distinct_payers": 12, "in_eur": 18400, "out_eur": 18050, "median_hold_hours": 3}, {"id": "AC-7790", "age_days": 60, "inbound": 6, "distinct_payers": 2, "in_eur": 5200, "out_eur": 900, "median_hold_hours": 300}]}),
   ("devices", "Fetch device and login data", "https://fraud.example.com/api/devices?accounts=AC-7781,AC-7790",
    {"AC-7781": {"devices": 3, "shared_with_accounts": ["AC-7702", "AC-7815"], "vpn": True}, "AC-7790": {"devices": 1, "shared_with_accounts": [], "vpn": False}}),
   ("complaints", "Fetch fraud reports from other banks", "https://interbank-fraud.example.org/api/reports?beneficiaries=AC-7781,AC-7790",
    {"reports": [{"beneficiary": "AC-7781", "type": "invoice redirection", "amount_eur": 6200}]})],
  [("pattern", "Pass-through pattern", "Flag accounts with many distinct payers, outflow close to inflow and a hold time under 24 hours.", ["flows"]),
   ("network", "Linked accounts", "Describe device sharing and VPN use and which other accounts are linked to the flagged ones.", ["devices"]),
   ("reports", "External reports", "Summarise the other banks' fraud reports per beneficiary account.", ["complaints"])],
  ("case", "Investigation summary", "Write an investigation summary per flagged account: evidence, linked accounts, money passed through, and whether a suspicious activity report is recommended.", "You are a financial crime investigator. State facts and leave the decision to the MLRO."),
  links=["Finance", "Legal"])

Q("Shadow", "fake-recruiter-scam-watch", "Fake Recruiter Scam Watch",
  "Find fake job offers and recruiter profiles using our company name to take fees or identity documents from job seekers.",
  "Scam postings and profiles with the platform, evidence and a report draft, plus a warning text for our careers page.",
  "Every posting and profile using our name outside our ATS is classified, each scam has a report draft, and the careers page warning is written.",
  "Candidates asked why our 'recruiter' wanted a EUR 150 equipment deposit; two paid it.",
  "Public listings only; the scammers are not contacted.",
  ["brand-protection", "talent-acquisition"], ["recruitment-fraud", "impersonation", "job-scams"], "medium", 3.4, 2000,
  [("postings", "Search job boards", "https://jobwatch.example.com/api/postings?company=Mission%20Studio&days=14",
    {"count": 3, "postings": [{"board": "jobs-now", "title": "Remote Data Entry - Mission Studio", "apply": "whatsapp number", "salary": "EUR 45/hour"}, {"board": "linkedjobs", "title": "Senior Rust Engineer", "apply": "careers.missionstudio.example", "salary": None}, {"board": "gig-hub", "title": "Mission Studio Product Tester (paid training)", "apply": "hr.missionstudio-careers.example.net", "fee": "EUR 150"}]}),
   ("ats", "Fetch our open requisitions", "https://ats.example.com/api/requisitions?status=open&fields=title",
    {"titles": ["Senior Rust Engineer", "Product Designer", "Support Specialist"]})],
  [("classify", "Genuine or scam", "Match postings to our open requisitions; classify the rest as scam when they ask for fees, use messaging apps or look-alike domains."),
   ("reports", "Reports and careers warning", "Draft a report per scam posting for its job board, and a short warning for our careers page: we never charge fees and only hire through our own domain.")],
  facts=[("Postings found", "{{postings.output.json.count}}")], links=["HR", "Legal"])

T("Shadow", "credential-stuffing-watch", "Credential Stuffing Watch",
  goal="Spot credential-stuffing waves against the customer login: many accounts tried from rotating addresses with a low success rate.",
  objective="The attack windows, sources and the accounts that were successfully logged into during them.",
  done="The login log is grouped by source, each source with more than three accounts tried is flagged, and every success from a flagged source is listed for a forced reset.",
  context="After a third-party breach, attackers replay leaked passwords against our login; a handful of successes lead to stored card abuse.",
  constraints="- Accounts are listed for the customer security team; no password is reset by the mission.\n",
  depts=["fraud", "customer-security"], tags=["credential-stuffing", "account-takeover", "login", "bots"], risk="high", roi=6.6, value=5500,
  steps=[
    put_file("logins", "Load the login log", "logins.csv", "time,ip,account,result,ua\n01:02,203.0.113.9,cust-118,fail,python-requests\n01:02,203.0.113.9,cust-221,fail,python-requests\n01:03,203.0.113.9,cust-307,ok,python-requests\n01:03,203.0.113.9,cust-412,fail,python-requests\n08:30,198.51.100.77,cust-500,ok,Firefox\n"),
    cmd("per_ip", "Accounts tried per address", "awk", ["-F,", "NR>1 {n[$2]++} END {for (i in n) print i, n[i]}", "logins.csv"], after=["logins"]),
    cmd("scripted", "Scripted clients", "grep", ["python-requests", "logins.csv"], after=["logins"]),
    cmd("successes", "Successful logins from scripted clients", "grep", ["ok,python", "logins.csv"], after=["logins"]),
    llm("response", "Response plan", "Flag the stuffing sources, list the accounts that were logged into during the wave (they need a forced reset and a review of stored cards), and propose bot defences for the login.\n\nAttempts per address:\n{{per_ip.output.stdout}}\nScripted clients:\n{{scripted.output.stdout}}\nSuccesses:\n{{successes.output.stdout}}"),
  ], links=["Security"], check="headings")

F("Shadow", "synthetic-identity-screen", "Synthetic Identity Screen",
  "Screen the week's sign-ups for synthetic identities built from real and invented data to obtain credit.",
  "Applications with synthetic-identity signals, the signals matched and a review priority.",
  "Every credit application of the week is checked against the bureau, the phone and email age and the document check, and each suspect has its signals listed.",
  "Synthetic identities build a thin credit file for months, then max out their limit and vanish; losses reached EUR 90k last quarter.",
  "Applications are routed to manual review; none is declined by the mission.",
  ["fraud", "credit-risk"], ["synthetic-identity", "kyc", "credit", "onboarding"], "high", 5.8, 7500,
  [("apps", "Fetch the week's applications", "https://onboarding.example.com/api/applications?product=credit&days=7",
    {"count": 3, "applications": [{"id": "APP-301", "age": 29, "file_age_months": 4, "limit_requested": 8000}, {"id": "APP-302", "age": 44, "file_age_months": 210, "limit_requested": 3000}, {"id": "APP-303", "age": 23, "file_age_months": 6, "limit_requested": 9500}]}),
   ("contact", "Fetch phone and email age", "https://identity-signals.example.com/api/contact-age?apps=APP-301,APP-302,APP-303",
    {"APP-301": {"email_age_days": 40, "phone": "voip"}, "APP-302": {"email_age_days": 3900, "phone": "mobile"}, "APP-303": {"email_age_days": 12, "phone": "voip"}}),
   ("docs", "Fetch document checks", "https://idv.example.com/api/checks?apps=APP-301,APP-302,APP-303",
    {"APP-301": {"document": "pass", "selfie_match": 0.71}, "APP-302": {"document": "pass", "selfie_match": 0.98}, "APP-303": {"document": "pass", "ssn_issued_after_dob_years": 21}})],
  [("file", "Credit file signals", "Flag applications whose credit file is much younger than the applicant's adult life, with high limits requested.", ["apps"]),
   ("contact_sig", "Contact signals", "Flag young email addresses and VoIP phone numbers.", ["contact"]),
   ("doc_sig", "Document signals", "Flag weak selfie matches and identity numbers issued long after birth.", ["docs"])],
  ("priority", "Review priority", "Combine the signals per application into a review priority (high, medium, none) with the signals behind it."),
  facts=[("Applications screened", "{{apps.output.json.count}}")], links=["Finance"])

Q("Shadow", "code-secret-exposure", "Public Code Secret Exposure",
  "Search public code hosting for our API keys, internal URLs and configuration committed by employees or contractors.",
  "Exposed secrets and internal references by repository, with the rotation owner and a removal request.",
  "Every hit for our key prefixes and internal domains is verified as live or revoked, and each live secret has a rotation owner.",
  "A contractor's public dotfiles repository held a live deploy token for four months.",
  "Secrets are reported by repository and line, never copied; tokens are checked only through the issuing service's verification endpoint.",
  ["threat-intelligence", "security", "engineering"], ["secrets", "public-code", "leaks", "tokens"], "high", 7.4, 6000,
  [("code", "Search public code", "https://code-search.example.com/api/search?q=msk_live_%20OR%20corp.missionstudio.example",
    {"hits": 3, "results": [{"repo": "jdoe/dotfiles", "path": ".env.work", "line": 4, "match": "msk_live_ prefix"}, {"repo": "orbit-contractors/integration-demo", "path": "config/app.yml", "line": 12, "match": "billing.corp.missionstudio.example"}, {"repo": "student123/ml-homework", "path": "notes.md", "line": 88, "match": "msk_test_ prefix"}]}),
   ("verify", "Verify the tokens", "https://api-keys.example.com/api/verify?fingerprints=fp-91a,fp-22c",
    {"fp-91a": {"status": "live", "scope": "deploy", "owner_team": "platform"}, "fp-22c": {"status": "revoked"}})],
  [("triage", "Exposure triage", "For each hit, say whether it is a live secret, a revoked one or an internal reference, and its severity."),
   ("removal", "Rotation and removal", "Name the rotation owner for each live secret and draft a polite removal request to each repository owner.")],
  facts=[("Hits", "{{code.output.json.hits}}")], links=["Security", "Engineering"])

Q("Shadow", "refund-abuse-patterns", "Refund Abuse Patterns",
  "Find customers and rings that abuse refunds: 'item not received' claims on delivered parcels and repeated empty-box returns.",
  "Customers with abusive refund patterns, the money lost and the policy changes that would stop them.",
  "Every customer with three or more refund claims in 90 days is assessed against carrier proof of delivery and return weights.",
  "Refunds rose 40% while sales grew 8%; forums share guides on claiming refunds from us.",
  "Customers are flagged for the trust team; no account is closed by the mission.",
  ["fraud", "customer-service", "operations"], ["refund-abuse", "returns", "fraud", "ecommerce"], "medium", 5.1, 4000,
  [("claims", "Fetch refund claims", "https://orders.example.com/api/refunds?window=90d&min_claims=3",
    {"customers": [{"id": "C-8812", "claims": 6, "type": "not received", "refunded_eur": 1430}, {"id": "C-9015", "claims": 4, "type": "returned", "refunded_eur": 980}, {"id": "C-7301", "claims": 3, "type": "damaged", "refunded_eur": 120}]}),
   ("carrier", "Fetch delivery and return evidence", "https://carrier.example.com/api/evidence?customers=C-8812,C-9015,C-7301",
    {"C-8812": {"delivered_with_photo": 6, "gps_match": 6}, "C-9015": {"return_weight_g": [40, 35, 60, 38], "expected_weight_g": 850}, "C-7301": {"damage_photos": 3}})],
  [("abuse", "Abuse assessment", "Assess each customer: abusive, suspicious or genuine, using proof of delivery and return weights.", "You are a trust and safety analyst. Facts first; say what would change your view."),
   ("policy", "Policy changes", "Propose three policy or process changes (signature on delivery above a value, weight check at returns intake, claim limits) with the loss they would have prevented.")],
  links=["Operations", "Finance"])

# --------------------------------------------------------------------------------------------- Intelligence (second set)

Q("Intelligence", "funding-round-tracker", "Funding Round Tracker",
  "Track funding rounds raised by competitors and adjacent start-ups and read what the money will be spent on.",
  "A monthly funding log with amount, investors, stated use of funds and the threat each round poses to us.",
  "Every round announced this month in our categories is logged with its source, and each competitor round has a threat rating.",
  "A competitor raised EUR 60M and tripled its sales team within a quarter; we noticed when win rates dropped.",
  "Press releases and funding databases only; amounts are quoted as announced.",
  ["competitive-intelligence", "strategy"], ["funding", "venture-capital", "competitors", "market-signals"], "low", 3.1, 1500,
  [("rounds", "Fetch announced rounds", "https://funding-db.example.com/api/rounds?categories=workflow-automation,ai-automation&month=2024-06",
    {"count": 3, "rounds": [{"company": "Orbita", "stage": "Series C", "amount_usd": 60000000, "lead": "Northgate Ventures", "use": "go-to-market in Europe"}, {"company": "Flowlane", "stage": "Seed", "amount_usd": 4000000, "lead": "Tiny Seed", "use": "hire engineers"}, {"company": "Operant", "stage": "Series A", "amount_usd": 18000000, "lead": "Polar Capital", "use": "enterprise governance features"}]}),
   ("overlap", "Fetch product overlap scores", "https://ci-wiki.example.com/api/competitors/overlap?names=Orbita,Flowlane,Operant",
    {"Orbita": 0.8, "Flowlane": 0.3, "Operant": 0.7})],
  [("log", "Funding log", "Log each round with its stated use of funds and rate the threat to us (overlap times funding), with what to watch next quarter.")],
  facts=[("Rounds this month", "{{rounds.output.json.count}}")], links=["Sales", "Finance"])

F("Intelligence", "competitor-release-tracker", "Competitor Release Tracker",
  "Follow competitors' changelogs and documentation updates to catch feature launches the week they ship.",
  "A weekly list of competitor releases with the feature gap or parity it creates for us.",
  "Every changelog entry of the week at tracked competitors is classified as new capability, improvement or fix, and each new capability is compared with our roadmap.",
  "Product learned about a competitor's approval workflow from a lost deal, two months after it shipped.",
  "Public changelogs and documentation only.",
  ["competitive-intelligence", "product"], ["competitors", "releases", "roadmap", "feature-parity"], "low", 3.4, 1800,
  [("changelogs", "Fetch competitor changelogs", "https://changewatch.example.com/api/changelogs?companies=Orbita,Cadence%20Ops&days=7",
    {"entries": [{"company": "Orbita", "title": "Budget caps per workflow", "type": "feature"}, {"company": "Orbita", "title": "Faster trigger polling", "type": "improvement"}, {"company": "Cadence Ops", "title": "SOC 2 evidence export", "type": "feature"}]}),
   ("docs", "Fetch documentation diffs", "https://changewatch.example.com/api/docs-diffs?companies=Orbita,Cadence%20Ops&days=7",
    {"pages": [{"company": "Cadence Ops", "page": "Approvals", "change": "new page: multi-step approvals with thresholds"}]}),
   ("roadmap", "Fetch our roadmap themes", "https://roadmap.example.com/api/themes?quarter=2024-Q3",
    {"themes": ["budget gauges in the live view", "evidence packs for auditors", "template library search"]})],
  [("releases", "Release classification", "Classify each competitor entry and documentation change and summarise what shipped.", ["changelogs", "docs"]),
   ("ours", "Our roadmap position", "Restate our roadmap themes and what each is meant to win.", ["roadmap"])],
  ("gaps", "Parity and gaps", "For every new competitor capability say whether our roadmap covers it, when, and the talking point for sales until then."),
  links=["Sales"])

Q("Intelligence", "review-site-sentiment", "Review Site Sentiment Compare",
  "Compare what customers say about us and our two main competitors on review sites, theme by theme.",
  "Ratings and themes per vendor with the praise and complaints that differ most from ours.",
  "The quarter's reviews of the three vendors are themed, and the three themes where we trail are named with quotes.",
  "Buyers read review sites before shortlisting; our rating slipped from 4.6 to 4.3 and nobody knows why.",
  "Quotes are verbatim from public reviews, with the site and date.",
  ["competitive-intelligence", "product-marketing"], ["reviews", "sentiment", "competitors", "voice-of-customer"], "low", 2.9, 1200,
  [("ours", "Fetch our reviews", "https://reviews.example.com/api/products/mission-studio/reviews?quarter=2024-Q2",
    {"rating": 4.3, "count": 48, "samples": ["Perimeter budgets saved us from a runaway bill.", "Setup of the first mission took a day.", "Support answers within an hour."]}),
   ("theirs", "Fetch competitor reviews", "https://reviews.example.com/api/products?names=orbita,cadence-ops&quarter=2024-Q2",
    {"orbita": {"rating": 4.5, "count": 120, "samples": ["Templates for everything.", "Pricing jumps at scale."]}, "cadence-ops": {"rating": 4.1, "count": 35, "samples": ["Great audit trail.", "UI feels dated."]}})],
  [("themes", "Themes per vendor", "Group the reviews of each vendor into themes with sentiment, and quote one review per theme."),
   ("trail", "Where we trail", "Name the three themes where we trail a competitor, with the quote that shows it and a fix to propose to product.")],
  facts=[("Our rating", "{{ours.output.json.rating}}"), ("Our reviews this quarter", "{{ours.output.json.count}}")], links=["Marketing"])

Q("Intelligence", "public-tender-scan", "Public Tender Scan",
  "Find public-sector tenders we could bid on and qualify them before the bid team spends time.",
  "A qualified list of open tenders with value, deadline, fit and the mandatory requirements we may miss.",
  "Every open tender matching our categories is scored for fit, and each go candidate lists its mandatory requirements and deadline.",
  "We lost a municipal tender we never saw; the bid team learned of it from the award notice.",
  "Official procurement portals only.",
  ["bids", "sales", "strategy"], ["tenders", "public-sector", "procurement", "bids"], "medium", 5.6, 6000,
  [("tenders", "Fetch open tenders", "https://tenders.example.eu/api/notices?cpv=72000000&status=open&countries=NL,BE,DE",
    {"count": 3, "notices": [{"id": "TED-2024-331", "buyer": "City of Utrecht", "title": "Workflow automation platform", "value_eur": 850000, "deadline": "2024-08-19", "mandatory": ["ISO 27001", "EU data residency"]}, {"id": "TED-2024-402", "buyer": "Flemish Agency for Roads", "title": "Document scanning services", "value_eur": 120000, "deadline": "2024-07-30", "mandatory": ["on-site staff"]}, {"id": "TED-2024-417", "buyer": "Land Berlin IT", "title": "Audit-ready process automation", "value_eur": 1400000, "deadline": "2024-09-05", "mandatory": ["BSI C5", "German-language support"]}]}),
   ("certs", "Fetch our certifications", "https://trust.example.com/api/certifications",
    {"held": ["ISO 27001", "SOC 2 Type II"], "data_residency": ["EU"], "languages": ["English", "Dutch"]})],
  [("fit", "Fit and gaps", "Score each tender's fit with an AI automation product and list mandatory requirements we do not meet."),
   ("bid", "Bid or no bid", "Recommend bid or no bid per tender with the deadline and the first three tasks for the bid team.")],
  facts=[("Open tenders found", "{{tenders.output.json.count}}")], links=["Sales", "Legal"])

F("Intelligence", "acquisition-target-screen", "Acquisition Target Screen",
  "Screen small companies that could fill a product gap by acquisition, on fit, size and signals of availability.",
  "A ranked shortlist of targets with fit, estimated price range and the reasons each might sell.",
  "Every candidate in the long list is scored on product fit, financial size and availability signals, and the top three have a one-page profile.",
  "The board wants to buy rather than build a document-extraction capability within a year.",
  "Public and licensed company data only; no target is contacted.",
  ["corporate-development", "strategy", "finance"], ["m-and-a", "acquisitions", "screening", "corporate-development"], "medium", 4.2, 12000,
  [("longlist", "Fetch the candidate long list", "https://company-db.example.com/api/search?keywords=document%20extraction&employees=10-150&region=EU",
    {"count": 4, "companies": [{"name": "Scanwise", "employees": 42, "revenue_eur": 3100000, "last_raise": "2021", "founded": 2016}, {"name": "Parsely AI", "employees": 18, "revenue_eur": 900000, "last_raise": "2023", "founded": 2021}, {"name": "DocuMind", "employees": 120, "revenue_eur": 14000000, "last_raise": "2024", "founded": 2014}, {"name": "Formulate", "employees": 25, "revenue_eur": 2200000, "last_raise": "2019", "founded": 2015}]}),
   ("signals", "Fetch availability signals", "https://company-db.example.com/api/signals?names=Scanwise,Parsely%20AI,DocuMind,Formulate",
    {"Scanwise": ["runway under 12 months (estimate)", "CEO posted about 'next chapter'"], "Formulate": ["founder stepped back", "no raise in 5 years"], "DocuMind": ["hiring 30 roles"], "Parsely AI": []}),
   ("tech", "Fetch technology profiles", "https://techstack.example.com/api/profiles?names=Scanwise,Parsely%20AI,DocuMind,Formulate",
    {"Scanwise": {"stack": "Python, ONNX", "languages_supported": 14}, "Parsely AI": {"stack": "Rust, Python", "languages_supported": 3}, "DocuMind": {"stack": "Java", "languages_supported": 30}, "Formulate": {"stack": "Python", "languages_supported": 8}})],
  [("fit", "Product and technology fit", "Score each candidate's fit for an embedded document-extraction capability in a Rust desktop app.", ["longlist", "tech"]),
   ("availability", "Availability and price", "Rate how likely each candidate is to sell within a year and a price range at 2-5 times revenue.", ["longlist", "signals"])],
  ("shortlist", "Shortlist", "Rank the candidates, write a one-paragraph profile of the top three and the first question to answer in diligence.", "You are a corporate development analyst. Label estimates as estimates."),
  facts=[("Candidates screened", "{{longlist.output.json.count}}")], links=["Finance", "Legal"])

Q("Intelligence", "geopolitical-supply-exposure", "Geopolitical Supply Exposure",
  "Map our hardware supply chain to countries and rate the exposure to sanctions, export controls and conflict.",
  "Exposure per country with the components affected and a mitigation per high-risk country.",
  "Every component's country of origin is mapped, each country has a risk rating from the risk index, and high-risk countries have a mitigation.",
  "New export controls on advanced chips hit a peer's product line with three weeks' notice.",
  "Country ratings come from the licensed risk index; our judgements are labelled.",
  ["procurement", "risk", "strategy"], ["geopolitics", "supply-chain", "export-controls", "country-risk"], "medium", 4.4, 5000,
  [("bom", "Fetch component origins", "https://plm.example.com/api/boms/console-v2/origins",
    {"components": [{"part": "SoC", "country": "TW", "single_source": True, "share_cost": 0.34}, {"part": "Display", "country": "KR", "single_source": False, "share_cost": 0.18}, {"part": "Power supply", "country": "CN", "single_source": True, "share_cost": 0.07}, {"part": "Enclosure", "country": "PL", "single_source": False, "share_cost": 0.05}]}),
   ("index", "Fetch country risk ratings", "https://country-risk.example.com/api/ratings?countries=TW,KR,CN,PL",
    {"TW": {"conflict": "elevated", "export_controls": "medium"}, "KR": {"conflict": "moderate", "export_controls": "low"}, "CN": {"conflict": "moderate", "export_controls": "high"}, "PL": {"conflict": "low", "export_controls": "low"}})],
  [("exposure", "Exposure map", "Combine origin, single sourcing and cost share with the country ratings into an exposure rating per component."),
   ("mitigation", "Mitigations", "Propose a mitigation per high-exposure component: second source, buffer stock, redesign, with lead time.")],
  links=["Operations", "Finance"])

Q("Intelligence", "job-posting-signals", "Competitor Job Posting Signals",
  "Read competitors' open job postings for the products, markets and technologies they are about to invest in.",
  "Hiring themes per competitor with the roles behind each and what they imply for their roadmap.",
  "All open postings at tracked competitors are grouped into themes, and each theme has an implication and a confidence level.",
  "Job ads reveal strategy months before announcements: Orbita advertised for a healthcare compliance lead before entering that market.",
  "Public job postings only; no recruiter or employee is contacted.",
  ["competitive-intelligence", "strategy"], ["hiring-signals", "competitors", "job-postings"], "low", 2.6, 1000,
  [("jobs", "Fetch competitor job postings", "https://jobwatch.example.com/api/postings?companies=Orbita,Cadence%20Ops&status=open",
    {"count": 5, "postings": [{"company": "Orbita", "title": "Head of Public Sector, DACH"}, {"company": "Orbita", "title": "Staff Engineer, On-device Models"}, {"company": "Orbita", "title": "FedRAMP Program Manager"}, {"company": "Cadence Ops", "title": "Partner Manager, SAP ecosystem"}, {"company": "Cadence Ops", "title": "Senior Rust Engineer, Desktop"}]})],
  [("themes", "Hiring themes", "Group the postings into investment themes per competitor (market, technology, channel) with the roles as evidence."),
   ("implications", "Implications", "For each theme, say what it implies for their roadmap in the next 12 months, how confident we can be, and what we should watch.")],
  facts=[("Open postings", "{{jobs.output.json.count}}")])

Q("Intelligence", "integration-ecosystem-map", "Integration Ecosystem Map",
  "Map which integrations our competitors offer in their marketplaces and find the ones customers ask us for.",
  "An integration matrix across vendors with the gaps ranked by customer demand.",
  "Every integration listed by the three vendors is in the matrix, and the gaps are ranked by feature requests and lost deals.",
  "Lost-deal notes mention 'no ServiceNow integration' four times this quarter.",
  "Marketplace listings and our own request data only.",
  ["product", "partnerships", "competitive-intelligence"], ["integrations", "ecosystem", "partners", "product-gaps"], "low", 3.8, 2500,
  [("markets", "Fetch marketplace listings", "https://changewatch.example.com/api/marketplaces?companies=Orbita,Cadence%20Ops",
    {"Orbita": ["Salesforce", "ServiceNow", "Slack", "Jira", "SAP"], "Cadence Ops": ["ServiceNow", "Slack", "Workday"]}),
   ("ours", "Fetch our integrations", "https://api.example.com/api/integrations",
    {"integrations": ["Slack", "Jira", "GitHub"]}),
   ("demand", "Fetch requests and lost deals", "https://crm.example.com/api/feature-requests?category=integration",
    {"ServiceNow": {"requests": 11, "lost_deals": 4}, "SAP": {"requests": 6, "lost_deals": 1}, "Workday": {"requests": 2, "lost_deals": 0}, "Salesforce": {"requests": 9, "lost_deals": 2}})],
  [("matrix", "Integration matrix", "Build the integration matrix across the three vendors and list our gaps."),
   ("priorities", "Build priorities", "Rank our gaps by requests and lost deals and propose build, partner or skip for each.")],
  links=["Sales"])

# --------------------------------------------------------------------------------------------- Operations (second set)

T("Operations", "shift-roster-gap", "Shift Roster Gap Finder",
  goal="Compare next week's warehouse roster with forecast order volume and find the shifts that are short of pickers.",
  objective="Pickers needed versus rostered per shift, with the gap and a cover proposal.",
  done="Every shift of next week has needed and rostered pickers, and each short shift has a cover proposal (overtime, temp agency, moved shift).",
  context="Monday mornings and promotion days run short while Wednesday afternoons have idle pickers; the roster is built from last year's pattern.",
  constraints="- The roster is not changed; proposals go to the shift managers.\n",
  depts=["warehouse", "workforce-management", "operations"], tags=["rostering", "warehouse", "staffing", "forecast"], risk="low", roi=4.6, value=2400,
  steps=[
    api("forecast", "Fetch the order forecast", "https://demand.example.com/api/forecast?site=DC-1&horizon=7d&by=shift",
        {"site": "DC-1", "picks_per_picker_shift": 900, "shifts": {"Mon-AM": 14200, "Mon-PM": 9100, "Tue-AM": 8800, "Wed-PM": 5200, "Fri-AM": 12600}}),
    put_file("roster", "Load the roster", "roster.csv", "shift,pickers\nMon-AM,11\nMon-PM,10\nTue-AM,10\nWed-PM,9\nFri-AM,12\n"),
    cmd("rostered", "Rostered pickers per shift", "awk", ["-F,", "NR>1 {print $1, $2}", "roster.csv"], after=["roster"]),
    llm("gaps", "Gaps and cover", "Compute pickers needed per shift (forecast picks divided by {{forecast.output.json.picks_per_picker_shift}}, rounded up), compare with the roster and propose cover for every short shift, moving idle pickers first.\n\nForecast: {{forecast.output.body}}\nRoster:\n{{rostered.output.stdout}}"),
  ], facts=[("Site", "{{forecast.output.json.site}}")], check="words")

T("Operations", "freight-invoice-audit", "Freight Invoice Audit",
  goal="Audit carrier invoices against contracted rates and catch surcharges and weights that should not be there.",
  objective="Overcharged shipments with the amount to claim back per carrier.",
  done="Every invoiced shipment is priced from the rate card, and each difference above EUR 2 is listed as a claim.",
  context="Freight audit firms charge 30% of recoveries; our invoices show fuel surcharges above the contracted cap.",
  constraints="- Claims are drafted for procurement; no invoice is disputed by the mission.\n",
  depts=["operations", "procurement", "finance"], tags=["freight", "invoice-audit", "logistics", "recovery"], risk="low", roi=8.2, value=4500,
  steps=[
    put_file("invoice", "Load the carrier invoice lines", "freight.csv", "shipment,carrier,kg,billed_eur,fuel_pct\nS-1001,SwiftHaul,120,96.00,18\nS-1002,SwiftHaul,40,41.50,12\nS-1003,EuroParcel,300,199.00,12\nS-1004,EuroParcel,15,22.90,25\n"),
    gate("contract", "Contracted terms", rate_per_kg_eur=0.62, minimum_eur=18, fuel_cap_pct=12),
    cmd("expected", "Expected price per shipment", "awk", ["-F,", "-v", "r={{contract.output.rate_per_kg_eur}}", "-v", "m={{contract.output.minimum_eur}}", "-v", "f={{contract.output.fuel_cap_pct}}", "NR>1 {b=$3*r; if (b<m) b=m; e=b*(1+f/100); printf \"%s %s billed %.2f expected %.2f diff %.2f\\n\", $1, $2, $4, e, $4-e}", "freight.csv"], after=["invoice"]),
    cmd("fuel", "Fuel surcharge above the cap", "awk", ["-F,", "-v", "f={{contract.output.fuel_cap_pct}}", "NR>1 && $5>f {print $1, $2, $5 \"%\"}", "freight.csv"], after=["invoice"]),
    llm("claims", "Claims per carrier", "Turn the differences above EUR 2 into a claim per carrier with the shipments, amounts and the contract clause (fuel cap, rate per kg).\n\nDifferences:\n{{expected.output.stdout}}\nFuel above cap:\n{{fuel.output.stdout}}"),
  ], links=["Finance"])

Q("Operations", "site-energy-review", "Site Energy Review",
  "Find where our sites waste energy out of hours and what it costs, from smart meter data.",
  "Out-of-hours load per site against a baseline, the cost and the fixes.",
  "Every site has its weekday and weekend night load, the share above baseline, its yearly cost and a fix.",
  "Energy bills rose 38% this year; the Rotterdam warehouse draws almost as much at night as by day.",
  "Settings of building systems are not changed; fixes go to facilities.",
  ["facilities", "operations", "sustainability"], ["energy", "sustainability", "facilities", "cost-reduction"], "low", 5.3, 3000,
  [("meters", "Fetch meter data", "https://meters.example.com/api/sites/load-profile?days=28",
    {"tariff_eur_kwh": 0.21, "sites": [{"site": "Rotterdam DC", "day_kw": 310, "night_kw": 240, "weekend_kw": 230}, {"site": "Lisbon office", "day_kw": 85, "night_kw": 22, "weekend_kw": 19}, {"site": "Berlin office", "day_kw": 120, "night_kw": 70, "weekend_kw": 66}]}),
   ("bms", "Fetch building system schedules", "https://bms.example.com/api/schedules",
    {"Rotterdam DC": {"hvac": "24/7", "lighting": "motion off"}, "Lisbon office": {"hvac": "07-19 weekdays", "lighting": "timer"}, "Berlin office": {"hvac": "06-22 all days", "lighting": "manual"}})],
  [("waste", "Out-of-hours waste", "Estimate the avoidable night and weekend load per site (assume a baseline of 25% of day load), its yearly cost at the tariff, and the likely cause from the schedules."),
   ("fixes", "Fixes and savings", "Propose fixes per site with the yearly saving and payback, quickest wins first.")],
  facts=[("Tariff (EUR per kWh)", "{{meters.output.json.tariff_eur_kwh}}")], links=["Finance"])

T("Operations", "laptop-refresh-plan", "Laptop Refresh Plan",
  goal="Plan next quarter's laptop refresh from asset age, warranty and battery health, within the hardware budget.",
  objective="A refresh list per month within budget, worst machines first.",
  done="Every laptop older than four years or out of warranty is scored, and the refresh list fits the quarter's budget.",
  context="Support tickets about slow laptops doubled; the hardware budget allows about 60 machines a quarter.",
  constraints="- Orders are proposed; nothing is bought by the mission.\n",
  depts=["it", "operations", "finance"], tags=["it-assets", "hardware", "lifecycle", "budget"], risk="low", roi=3.0, value=1500,
  steps=[
    put_file("assets", "Load the laptop inventory", "laptops.csv", "asset,user_team,age_months,warranty,battery_pct,tickets_90d\nL-1001,sales,58,expired,61,4\nL-1002,engineering,22,active,94,0\nL-1003,finance,49,expired,72,1\nL-1004,support,63,expired,48,6\nL-1005,engineering,41,active,88,2\n"),
    gate("budget", "Budget", quarter_budget_eur=84000, unit_cost_eur=1400),
    cmd("due", "Laptops due for refresh", "awk", ["-F,", "NR>1 && ($3>=48 || $4==\"expired\") {print $0}", "laptops.csv"], after=["assets"]),
    cmd("worst_first", "Ranked by battery and tickets", "sort", ["-t,", "-k5,5n"], stdin="{{due.output.stdout}}"),
    llm("plan", "Refresh plan", "Schedule the refresh over three months within a budget of EUR {{budget.output.quarter_budget_eur}} at EUR {{budget.output.unit_cost_eur}} per laptop, worst battery and most tickets first, and say what happens to the machines replaced.\n\n{{worst_first.output.stdout}}"),
  ], check="checksum")

Q("Operations", "purchase-order-expedite", "Purchase Order Expedite List",
  "Find open purchase orders that will arrive too late for planned production and decide which to expedite.",
  "Late-risk orders with the production order they block and an expedite or reschedule call.",
  "Every open PO due after its production need date is listed with the days late and an action with its cost.",
  "Line 2 stood still for a day last month waiting for connectors that were a week late on a PO nobody chased.",
  "Suppliers are not contacted by the mission; buyers act on the list.",
  ["procurement", "production-planning", "operations"], ["purchase-orders", "expediting", "supply-chain", "production"], "medium", 5.7, 3500,
  [("pos", "Fetch open purchase orders", "https://erp.example.com/api/purchase-orders?status=open&fields=due,need_date",
    {"count": 3, "orders": [{"po": "PO-7721", "part": "connector J4", "supplier": "Kabelwerk", "confirmed_due": "2024-07-15", "need_date": "2024-07-09", "expedite_fee_eur": 420}, {"po": "PO-7730", "part": "housing", "supplier": "PlastiForm", "confirmed_due": "2024-07-05", "need_date": "2024-07-12"}, {"po": "PO-7744", "part": "PCB rev C", "supplier": "Shenlux", "confirmed_due": "2024-07-22", "need_date": "2024-07-18", "expedite_fee_eur": 1900}]}),
   ("plan", "Fetch the production plan", "https://mes.example.com/api/plan?weeks=4",
    {"orders": [{"mo": "MO-311", "product": "console-v2", "start": "2024-07-09", "revenue_eur": 88000, "parts": ["connector J4", "housing"]}, {"mo": "MO-320", "product": "dock", "start": "2024-07-18", "revenue_eur": 21000, "parts": ["PCB rev C"]}]})],
  [("late", "Late-risk orders", "List POs confirmed after their need date, the days late and the production order blocked with its revenue."),
   ("actions", "Expedite or reschedule", "Decide per late PO: expedite (fee against revenue at risk), reschedule the production order, or use an alternative part.")],
  facts=[("Open POs checked", "{{pos.output.json.count}}")], links=["Finance"])

F("Operations", "late-order-triage", "Late Order Triage",
  "Triage today's customer orders at risk of missing their promised delivery date and decide what to do for each.",
  "At-risk orders with the cause (stock, carrier, picking) and the action that saves the promise or informs the customer.",
  "Every order promised within three days and not yet shipped is checked against stock, picking queue and carrier cut-off, with an action per order.",
  "Late deliveries drive half of support contacts; customers forgive a delay they hear about first.",
  "Customers are not messaged by the mission; the customer service team sends the notices.",
  ["operations", "customer-service", "warehouse"], ["orders", "fulfilment", "delivery-promise", "triage"], "low", 4.9, 2500,
  [("orders", "Fetch at-risk orders", "https://oms.example.com/api/orders?status=unshipped&promised_within_days=3",
    {"count": 3, "orders": [{"order": "O-55120", "promised": "2024-07-02", "sku": "SKU-22", "priority": "express"}, {"order": "O-55134", "promised": "2024-07-03", "sku": "SKU-88", "priority": "standard"}, {"order": "O-55141", "promised": "2024-07-02", "sku": "SKU-40", "priority": "standard"}]}),
   ("stock", "Fetch stock and picking queue", "https://wms.example.com/api/availability?skus=SKU-22,SKU-88,SKU-40",
    {"SKU-22": {"available": 0, "inbound": "2024-07-03"}, "SKU-88": {"available": 140, "pick_queue_hours": 9}, "SKU-40": {"available": 12, "pick_queue_hours": 2}}),
   ("carrier", "Fetch carrier cut-offs", "https://tms.example.com/api/cutoffs?date=today",
    {"express": "17:00", "standard": "15:00", "now": "13:10"})],
  [("cause", "Cause per order", "Find the cause that puts each order at risk: no stock, long picking queue or carrier cut-off.", ["orders", "stock", "carrier"]),
   ("options", "Recovery options", "List the recovery options per cause: priority picking, split shipment, carrier upgrade, substitute product.", ["stock", "carrier"])],
  ("actions", "Action per order", "Choose one action per order and, where the promise cannot be kept, draft the two-sentence notice for customer service."),
  facts=[("Orders at risk", "{{orders.output.json.count}}")])

T("Operations", "maintenance-backlog-review", "Facility Maintenance Backlog",
  goal="Sort the facility maintenance backlog by safety and business impact so the technicians fix the right things first.",
  objective="The work-order backlog ranked by safety, compliance and impact, with a two-week plan for the technicians.",
  done="Every open work order has a priority class, safety and compliance items are all in the first week, and the plan fits the technicians' hours.",
  context="The backlog holds 140 work orders sorted by date; a broken fire door waited behind a flickering light.",
  constraints="- The plan is a proposal for the facilities manager; work orders are not edited.\n",
  depts=["facilities", "operations", "health-and-safety"], tags=["maintenance", "work-orders", "safety", "facilities"], risk="low", roi=3.5, value=1600,
  steps=[
    put_file("orders", "Load the work-order backlog", "work-orders.csv", "wo,site,category,hours,age_days,description\nWO-401,Berlin,lighting,1,40,flickering light in meeting room\nWO-415,Berlin,fire-safety,3,12,fire door does not close\nWO-422,Lisbon,hvac,6,30,server room AC alarm\nWO-430,Rotterdam,dock,4,8,dock leveller sticks\nWO-433,Rotterdam,compliance,2,5,emergency lighting test overdue\n"),
    cmd("safety", "Safety and compliance orders", "grep", ["-E", "fire-safety|compliance", "work-orders.csv"], after=["orders"]),
    cmd("hours", "Hours in the backlog", "awk", ["-F,", "NR>1 {h+=$4} END {print h, \"hours\"}", "work-orders.csv"], after=["orders"]),
    read("all", "Read the whole backlog", "work-orders.csv", after=["orders"]),
    llm("plan", "Two-week plan", "Rank the backlog (safety and compliance first, then items that stop operations such as the server room and dock, then comfort) and plan two weeks for two technicians at 30 hours a week each.\n\nSafety and compliance:\n{{safety.output.stdout}}\nTotal: {{hours.output.stdout}}\nAll orders:\n{{all.output.content}}"),
  ], check="stamp")

Q("Operations", "continuity-plan-test", "Business Continuity Plan Check",
  "Check the business continuity plans of critical processes for stale contacts, untested recovery steps and missing dependencies.",
  "A readiness status per critical process with the gaps to fix before the next test.",
  "Every critical process has its plan's age, test date, contacts and dependencies checked, and each gap has an owner.",
  "During the March power cut the payments recovery plan listed a supplier we left two years ago.",
  "Plans are reviewed, not edited; owners update them.",
  ["operations", "risk", "it"], ["business-continuity", "resilience", "disaster-recovery", "audit"], "medium", 4.0, 3500,
  [("plans", "Fetch the continuity plans", "https://grc.example.com/api/bcp/plans?criticality=high",
    {"count": 3, "plans": [{"process": "customer payments", "updated": "2022-05-10", "last_test": "2022-11-01", "rto_hours": 4, "dependencies": ["payment gateway", "core banking"]}, {"process": "order fulfilment", "updated": "2024-02-01", "last_test": "2024-03-15", "rto_hours": 24, "dependencies": ["WMS", "carrier API"]}, {"process": "payroll", "updated": "2023-09-20", "last_test": None, "rto_hours": 72, "dependencies": ["payroll provider"]}]}),
   ("contacts", "Fetch the contacts directory", "https://hris.example.com/api/v2/contacts/bcp-check",
    {"stale_contacts": {"customer payments": ["former treasury lead", "supplier Paylink (contract ended 2022)"], "payroll": []}})],
  [("status", "Readiness status", "Rate each plan ready, needs work or not ready: plan older than 12 months, no test in 12 months, stale contacts, undeclared dependencies."),
   ("fixes", "Fixes before the next test", "List the fixes per plan with an owner role and a date before the next continuity test.")],
  facts=[("Critical plans checked", "{{plans.output.json.count}}")], links=["Security", "Finance"])

# --------------------------------------------------------------------------------------------- Research (second set)

T("Research", "reproducibility-audit", "Reproducibility Audit",
  goal="Audit a research code repository for what another lab would need to reproduce its results: pinned dependencies, seeds, data sources and a run script.",
  objective="A reproducibility checklist with each item found or missing, and the fixes before publication.",
  done="The repository is checked for pinned requirements, fixed random seeds, documented data sources and an entry-point script, and every missing item has a fix.",
  context="The journal now asks for a reproducibility statement; our last artefact evaluation failed on unpinned packages.",
  constraints="- The repository copy stays in the workspace; nothing is pushed.\n",
  depts=["research", "ml-engineering"], tags=["reproducibility", "open-science", "code-review", "artefacts"], risk="low", roi=2.2, value=900,
  steps=[
    put_file("reqs", "Load requirements", "repo/requirements.txt", "numpy\ntorch==2.3.1\npandas>=2.0\nscikit-learn==1.5.0\n"),
    put_file("train", "Load the training script", "repo/train.py", "import numpy as np\nimport torch\n\ntorch.manual_seed(7)\n# numpy seed missing\ndata = np.load('data/features.npy')\n"),
    put_file("readme", "Load the README", "repo/README.md", "# Budget-aware planners\nRun `python train.py`.\nData: ask the authors.\n"),
    cmd("unpinned", "Unpinned requirements", "grep", ["-v", "==", "repo/requirements.txt"], after=["reqs"]),
    search("seeds", "Random seeds set", "seed(", path="repo", after=["train"]),
    search("data_doc", "Data source documented", "Data:", path="repo", name_contains="README", after=["readme"]),
    llm("checklist", "Reproducibility checklist", "Write the reproducibility checklist (dependencies pinned, all random generators seeded, data source with licence and download instructions, one command to reproduce each table) marking each found or missing with evidence, then the fixes.\n\nUnpinned packages:\n{{unpinned.output.stdout}}\nSeed calls: {{seeds.output.matches}}\nData documentation: {{data_doc.output.matches}}"),
  ], check="headings")

T("Research", "sample-size-planner", "Sample Size Planner",
  goal="Work out how many participants or users a planned study needs to detect the effect we care about, before it starts.",
  objective="Sample size per arm for the minimum detectable effect at the chosen power, and the study duration at current traffic.",
  done="The sample size is computed for three effect sizes, with the assumptions stated and the number of days needed at current traffic.",
  context="Two experiments last quarter ended inconclusive because they stopped after a week; nobody had sized them.",
  constraints="- Assumptions are shown next to every figure.\n",
  depts=["research", "data-science"], tags=["power-analysis", "sample-size", "experimentation", "statistics"], risk="low", roi=3.9, value=1800,
  steps=[
    gate("design", "Study design", baseline_rate=0.048, alpha_z=1.96, power_z=0.84, daily_users=6200),
    put_file("effects", "Write the effects to size", "effects.csv", "relative_lift\n0.05\n0.10\n0.20\n"),
    cmd("sizes", "Sample size per arm", "awk", ["-F,", "-v", "p={{design.output.baseline_rate}}", "-v", "za={{design.output.alpha_z}}", "-v", "zb={{design.output.power_z}}", "-v", "d={{design.output.daily_users}}", "NR>1 {q=p*(1+$1); n=(za+zb)^2*(p*(1-p)+q*(1-q))/(q-p)^2; printf \"lift %.0f%%: %d per arm, %.1f days\\n\", $1*100, n, 2*n/d}", "effects.csv"], after=["effects"]),
    llm("advice", "Design advice", "Explain these sample sizes to a product team: which lift is realistic to detect, how long the test must run, and what to do if the run is too long (bigger effect, better metric, variance reduction).\n\n{{sizes.output.stdout}}"),
  ], facts=[("Baseline conversion", "{{design.output.baseline_rate}}"), ("Daily users", "{{design.output.daily_users}}")])

Q("Research", "preprint-watch", "Preprint Watch",
  "Scan the week's preprints in our research areas and pick the few the lab should read.",
  "A ranked reading list with a two-line summary and the relevance to our projects.",
  "Every preprint of the week in the watched categories is screened, and at most five are recommended with their relevance.",
  "Forty preprints a day appear in our categories; reading groups pick papers by who shouted loudest on social media.",
  "Summaries are from abstracts; claims are attributed to the authors.",
  ["research"], ["preprints", "reading-list", "literature", "weekly"], "low", 2.0, 600,
  [("preprints", "Fetch the week's preprints", "https://preprints.example.org/api/list?categories=cs.AI,cs.SE&days=7&match=automation,planning,budget",
    {"count": 4, "items": [{"id": "2407.01122", "title": "Cost-aware tool use for language models", "abstract": "We bound API spend per task and show 38% savings with no loss in success rate."}, {"id": "2407.01310", "title": "A survey of automation benchmarks", "abstract": "We review 60 benchmarks and find widespread test-set leakage."}, {"id": "2407.01455", "title": "Protein folding with diffusion", "abstract": "Unrelated to planning."}, {"id": "2407.01502", "title": "Verifiable evidence for automated reports", "abstract": "Hash-linked provenance for generated documents."}]}),
   ("projects", "Fetch our active projects", "https://lab-wiki.example.org/api/projects?status=active",
    {"projects": ["budget-capped automated execution", "provenance of generated reports", "benchmark hygiene"]})],
  [("screen", "Screening", "Screen each preprint for relevance to our active projects (high, medium, none) with one line of reason."),
   ("list", "Reading list", "Pick at most five preprints for the reading group, each with a two-line summary and the project it informs.")],
  facts=[("Preprints screened", "{{preprints.output.json.count}}")])

T("Research", "conference-deadline-planner", "Conference Deadline Planner",
  goal="Plan the lab's submissions for the next six months against conference deadlines and each paper's readiness.",
  objective="A submission plan matching each draft to a venue, with internal milestones counted back from the deadline.",
  done="Every draft has a target venue with its deadline and three internal milestones, and no author has two submissions due in the same week.",
  context="Three papers were rushed into the same deadline last year while a better-suited venue closed unnoticed.",
  constraints="- The plan is a proposal for the principal investigator.\n",
  depts=["research"], tags=["conferences", "deadlines", "publishing", "planning"], risk="low", roi=1.9, value=700,
  steps=[
    put_file("venues", "Load venue deadlines", "venues.yaml", "venues:\n  - {name: ICSE, deadline: 2024-08-02, topics: [software engineering]}\n  - {name: AAAI, deadline: 2024-08-15, topics: [ai, planning]}\n  - {name: CHI, deadline: 2024-09-12, topics: [hci, user studies]}\n  - {name: ICLR, deadline: 2024-10-01, topics: [ml, representation]}\n"),
    put_file("drafts", "Load draft status", "drafts.csv", "draft,lead,topic,readiness_pct\nbudgeted-planners,A.K.,planning,70\napproval-ux-study,M.S.,user studies,40\nprovenance-hashes,A.K.,software engineering,55\n"),
    parse("calendar", "Parse the venues", path="venues.yaml", yaml=True, after=["venues"]),
    cmd("by_lead", "Drafts per lead", "awk", ["-F,", "NR>1 {n[$2]++} END {for (l in n) print l, n[l]}", "drafts.csv"], after=["drafts"]),
    read("draft_list", "Read the drafts", "drafts.csv", after=["drafts"]),
    llm("plan", "Submission plan", "Match each draft to the best venue whose deadline leaves enough time for its readiness, set milestones (full draft, internal review, camera-ready) counted back from the deadline, and avoid two deadlines in one week for the same lead.\n\nVenues: {{calendar.output.value}}\nDrafts:\n{{draft_list.output.content}}\nDrafts per lead:\n{{by_lead.output.stdout}}"),
  ], check="stamp")

Q("Research", "dataset-licence-check", "Dataset Licence Check",
  "Check the licences of the datasets a study uses against how we plan to use and share the results.",
  "A licence verdict per dataset for training, publication and commercial use, with the attribution text.",
  "Every dataset in the study plan has its licence, a verdict for each intended use, and attribution text where required.",
  "A paper had to be withdrawn from a workshop because a dataset's licence forbade commercial derivatives.",
  "The check is a research aid; unclear licences go to the legal team.",
  ["research", "legal"], ["datasets", "licensing", "open-data", "compliance"], "medium", 2.8, 2000,
  [("plan", "Fetch the study's data plan", "https://lab-wiki.example.org/api/studies/ST-14/data-plan",
    {"uses": ["model training", "publication of results", "commercial product"], "datasets": ["TaskBench-v2", "OpenForms-10k", "SupportChats-EN"]}),
   ("licences", "Fetch dataset licences", "https://datasets.example.org/api/licences?names=TaskBench-v2,OpenForms-10k,SupportChats-EN",
    {"TaskBench-v2": "CC BY 4.0", "OpenForms-10k": "CC BY-NC-SA 4.0", "SupportChats-EN": "custom research-only licence, no redistribution"})],
  [("verdicts", "Licence verdicts", "Give a verdict per dataset and intended use (allowed, allowed with conditions, not allowed) and the attribution text where needed.", "You are a research data steward. Quote the licence terms you rely on."),
   ("alternatives", "Alternatives", "For every use that is not allowed, propose an alternative dataset or a change to the study plan.")],
  links=["Legal"])

Q("Research", "reviewer-response-letter", "Reviewer Response Letter",
  "Turn peer-review comments into a point-by-point response plan and a draft response letter.",
  "Each comment classified with the change promised, the new analysis needed and a courteous reply.",
  "Every reviewer comment has a classification, a planned change or a reasoned rebuttal, and the letter answers each one.",
  "The revision deadline is in three weeks; the last revision missed one reviewer point and went to a second round.",
  "Promised analyses must be feasible within the deadline; the lead author approves every reply.",
  ["research"], ["peer-review", "revision", "publishing", "writing"], "low", 2.5, 1000,
  [("reviews", "Fetch the reviews", "https://submissions.example.org/api/papers/P-2207/reviews",
    {"decision": "major revision", "deadline": "2024-07-22", "comments": [{"reviewer": 1, "text": "The baseline uses a different budget than the proposed method."}, {"reviewer": 1, "text": "Please report variance over seeds."}, {"reviewer": 2, "text": "Related work misses cost-aware RL."}, {"reviewer": 3, "text": "The claim of 38% savings is not supported outside one benchmark."}]})],
  [("plan", "Response plan", "Classify each comment (fix, new analysis, clarify, respectful disagreement) and plan the change with an effort estimate."),
   ("letter", "Response letter", "Draft the response letter: thank the reviewers, then answer each comment in order, quoting it and stating the change with its location in the paper.")],
  facts=[("Decision", "{{reviews.output.json.decision}}"), ("Revision deadline", "{{reviews.output.json.deadline}}")])

Q("Research", "ethics-application-prep", "Ethics Application Prep",
  "Prepare the ethics board application for a user study: risks, consent, data handling and the gaps the board usually flags.",
  "A completed application outline with the risk assessment and the missing documents.",
  "Every section of the board's template is drafted or marked missing, and each risk to participants has a mitigation.",
  "The ethics board sends back half of first submissions for missing consent details, adding six weeks.",
  "The draft is for the principal investigator; it is not submitted by the mission.",
  ["research", "user-research", "privacy"], ["ethics", "irb", "user-study", "consent"], "medium", 2.3, 1500,
  [("study", "Fetch the study protocol", "https://lab-wiki.example.org/api/studies/ST-19/protocol",
    {"title": "Trust in budget-capped assistants", "participants": 24, "population": "office workers, 18+", "recording": ["screen", "audio"], "compensation_eur": 30, "storage": "university cloud"}),
   ("template", "Fetch the board's template", "https://ethics.example.org/api/templates/user-studies",
    {"sections": ["purpose", "participants and recruitment", "risks and mitigations", "consent and withdrawal", "data management and retention", "compensation"], "common_rejections": ["no withdrawal procedure", "retention period missing", "audio recordings not justified"]})],
  [("draft", "Application outline", "Draft each section of the template from the protocol and mark what is missing."),
   ("risks", "Risks and gaps", "List the risks to participants with mitigations, and check the draft against the board's common rejection reasons.")],
  facts=[("Participants", "{{study.output.json.participants}}")], links=["Legal"])

T("Research", "model-eval-regression", "Model Evaluation Regression Check",
  goal="Compare a candidate model's evaluation results with the current one and find the tasks where it got worse.",
  objective="Per-task score changes with the regressions beyond noise and a ship or hold recommendation.",
  done="Every evaluation task has old and new scores and the change, regressions larger than two points are listed, and a recommendation is made.",
  context="The new model is better on average, but a regression on form extraction reached customers last time because only the mean was checked.",
  constraints="- Evaluation data stays in the workspace.\n",
  depts=["research", "ml-engineering"], tags=["evaluation", "regression", "models", "benchmarks"], risk="medium", roi=4.7, value=3000,
  steps=[
    put_file("results", "Load evaluation results", "eval.csv", "task,current,candidate,n\nform-extraction,91.2,86.9,800\ninvoice-totals,88.0,90.4,600\nemail-triage,79.5,81.0,1200\ntable-qa,70.1,69.6,400\nsummary-faithfulness,83.3,87.8,500\n"),
    cmd("deltas", "Score change per task", "awk", ["-F,", "NR>1 {printf \"%s %+.1f (n=%d)\\n\", $1, $3-$2, $4}", "eval.csv"], after=["results"]),
    cmd("regressions", "Regressions over two points", "awk", ["-F,", "NR>1 && $2-$3>2 {print $1, $2, \"->\", $3}", "eval.csv"], after=["results"]),
    cmd("mean", "Mean change", "awk", ["-F,", "NR>1 {s+=$3-$2; n++} END {printf \"%+.2f\\n\", s/n}", "eval.csv"], after=["results"]),
    llm("recommendation", "Ship or hold", "Recommend ship or hold. Judge whether each regression is beyond noise for its sample size, which customers depend on that task, and what would unblock shipping.\n\nChanges:\n{{deltas.output.stdout}}\nRegressions:\n{{regressions.output.stdout}}\nMean change: {{mean.output.stdout}}"),
  ], facts=[("Mean change (points)", "{{mean.output.stdout}}")], links=["Engineering"])

# --------------------------------------------------------------------------------------------- Marketing (second set)

T("Marketing", "ppc-negative-keywords", "Paid Search Negative Keywords",
  goal="Find search terms that spend ad budget without converting and propose negative keywords.",
  objective="Wasted spend by search term and a negative keyword list with match types.",
  done="Every search term with spend above EUR 20 and no conversion is reviewed, and the negative list states the spend it saves per month.",
  context="Broad match brings clicks from people looking for jobs, free tools and a video game that shares our name.",
  constraints="- Negatives are proposed; the ad accounts are not edited.\n",
  depts=["marketing", "performance-marketing"], tags=["paid-search", "ppc", "keywords", "budget"], risk="low", roi=6.8, value=3000,
  steps=[
    put_file("terms", "Load the search term report", "search-terms.csv", "term,clicks,cost_eur,conversions\nmission studio pricing,210,388.50,14\nmission studio jobs,96,141.20,0\nfree workflow automation,180,242.00,1\nmission studio game cheats,75,98.40,0\nai mission automation tool,140,301.90,9\n"),
    cmd("waste", "Terms with spend and no conversion", "awk", ["-F,", "NR>1 && $3>20 && $4==0 {print $1, $3}", "search-terms.csv"], after=["terms"]),
    cmd("cpa", "Cost per conversion", "awk", ["-F,", "NR>1 && $4>0 {printf \"%s %.2f\\n\", $1, $3/$4}", "search-terms.csv"], after=["terms"]),
    llm("negatives", "Negative keyword list", "Propose negative keywords (exact or phrase match) that block the wasted spend without blocking buyers, with the monthly saving, and flag terms with a very high cost per conversion for bid review.\n\nNo conversions:\n{{waste.output.stdout}}\nCost per conversion:\n{{cpa.output.stdout}}"),
  ], check="words")

Q("Marketing", "case-study-draft", "Customer Case Study Draft",
  "Draft a customer case study from the interview notes and the account's usage figures, ready for the customer's approval.",
  "A case study with challenge, solution, measurable results and a pull quote.",
  "The draft has the four parts, every figure comes from the usage data or the interview, and claims are marked for customer approval.",
  "Sales asks for a logistics case study; Quay Logistics agreed to be featured and gave a 45-minute interview.",
  "Nothing is published; the customer approves every quote and figure.",
  ["product-marketing", "customer-success"], ["case-study", "customer-story", "content", "proof"], "low", 3.5, 1500,
  [("interview", "Fetch the interview notes", "https://research-repo.example.com/api/notes?study=case-quay",
    {"customer": "Quay Logistics", "speaker_role": "Head of Operations", "notes": ["We ran 14 manual reports every Monday.", "Perimeter budgets convinced our CFO.", "Now the Monday pack is ready at 7:00."]}),
   ("usage", "Fetch the account's usage", "https://analytics.example.com/api/accounts/quay-logistics/usage?months=6",
    {"missions_run": 1840, "hours_saved_estimate": 620, "failed_runs_pct": 1.2, "templates_used": ["Late Order Triage", "Freight Invoice Audit"]})],
  [("draft", "Case study draft", "Write a 400-word case study: challenge, solution, results with figures, and a pull quote from the notes."),
   ("approvals", "Approval checklist", "List every quote and figure in the draft that the customer must approve, with its source.")],
  facts=[("Customer", "{{interview.output.json.customer}}"), ("Missions run", "{{usage.output.json.missions_run}}")], links=["Sales"])

F("Marketing", "content-calendar-plan", "Content Calendar Plan",
  "Plan next quarter's content calendar from search demand, sales questions and the product launches.",
  "A week-by-week calendar with topic, format, channel and the goal each piece serves.",
  "Every week of the quarter has at least one planned piece tied to a search topic, a sales question or a launch, with owner and channel.",
  "Content is planned week to week; launches get no build-up and sales' top questions have no answer page.",
  "The calendar is a plan; nothing is scheduled or published.",
  ["marketing", "content"], ["content-calendar", "editorial", "seo", "planning"], "low", 3.3, 1600,
  [("search", "Fetch search demand", "https://seo-tools.example.com/api/keywords?seed=ai%20automation%20governance&limit=5",
    {"keywords": [{"kw": "ai automation budget limits", "volume": 1900}, {"kw": "automation audit trail", "volume": 1300}, {"kw": "approve ai actions", "volume": 900}]}),
   ("questions", "Fetch sales questions", "https://crm.example.com/api/notes/questions?quarter=2024-Q2&top=3",
    {"questions": ["Can it run offline?", "How do approvals work for finance teams?", "What happens when a budget is hit?"]}),
   ("launches", "Fetch planned launches", "https://roadmap.example.com/api/launches?quarter=2024-Q3",
    {"launches": [{"name": "Template library (200+ missions)", "date": "2024-08-20"}, {"name": "Live budget gauges", "date": "2024-09-17"}]})],
  [("topics", "Topic pool", "Turn search demand and sales questions into content topics with the best format for each.", ["search", "questions"]),
   ("launch_arcs", "Launch arcs", "Plan a build-up for each launch: teaser, launch piece, follow-up, with dates.", ["launches"])],
  ("calendar", "Quarter calendar", "Merge the topic pool and launch arcs into a 13-week calendar: week, piece, format, channel, goal."))

Q("Marketing", "webinar-followup", "Webinar Follow-up Segmentation",
  "Segment webinar registrants by what they did and draft a follow-up for each segment.",
  "Segments (attended and asked, attended, left early, no-show) with size and a follow-up draft each.",
  "Every registrant is in exactly one segment, and each segment has a follow-up email draft and a next step for sales where relevant.",
  "Everyone got the same 'thanks for attending' email last time, including the 40% who never came.",
  "Drafts only; emails are sent by the marketing operations team.",
  ["marketing", "demand-generation", "sales"], ["webinars", "segmentation", "nurture", "email"], "low", 4.1, 1800,
  [("attendance", "Fetch webinar attendance", "https://webinar.example.com/api/webinars/W-88/attendance",
    {"title": "Governed AI automation for finance teams", "registered": 412, "attended": 238, "left_before_half": 61, "asked_question": 19, "polls": {"evaluating_now": 44}})],
  [("segments", "Segments", "Define the four segments with their sizes, and flag attendees who answered that they are evaluating now for sales."),
   ("emails", "Follow-up drafts", "Draft a short follow-up email for each segment with a different call to action (demo, recording, template pack, office hours).")],
  facts=[("Registered", "{{attendance.output.json.registered}}"), ("Attended", "{{attendance.output.json.attended}}")], links=["Sales"])

Q("Marketing", "landing-page-audit", "Landing Page Conversion Audit",
  "Audit the campaign landing pages for what loses visitors: speed, form length, message match and proof.",
  "A scored audit per landing page with the three fixes most likely to raise conversion.",
  "Each active landing page is scored on speed, form fields, message match with its ads and social proof, and has three ranked fixes.",
  "Paid traffic converts at 1.1% on the landing pages against 3.4% on the pricing page.",
  "Pages are analysed, not changed; tests are proposed for the web team.",
  ["marketing", "web", "growth"], ["landing-pages", "cro", "conversion", "web-performance"], "low", 5.5, 2500,
  [("pages", "Fetch landing page analytics", "https://analytics.example.com/api/pages?tag=landing&days=30",
    {"pages": [{"url": "/lp/finance-automation", "visits": 8200, "conversion": 0.009, "lcp_s": 4.1, "form_fields": 11, "ad_headline": "Close the books two days faster"}, {"url": "/lp/ai-governance", "visits": 5100, "conversion": 0.016, "lcp_s": 1.9, "form_fields": 5, "ad_headline": "AI you can audit"}]}),
   ("content", "Fetch the page headlines and proof", "https://cms.example.com/api/pages?tag=landing&fields=h1,proof",
    {"/lp/finance-automation": {"h1": "The automation platform for every team", "proof": []}, "/lp/ai-governance": {"h1": "AI you can audit", "proof": ["3 customer logos", "SOC 2 badge"]}})],
  [("audit", "Page audit", "Score each page on speed (largest contentful paint), form length, message match between ad headline and page headline, and proof."),
   ("tests", "Fixes to test", "Propose the three fixes per page most likely to raise conversion, each as an A/B test with the expected effect.")],
  links=["Engineering"])

Q("Marketing", "influencer-shortlist", "Creator Partnership Shortlist",
  "Shortlist creators and newsletter authors whose audience matches our buyers, with fit and cost per reach.",
  "A ranked shortlist with audience fit, engagement, cost per thousand and brand safety notes.",
  "Every candidate is scored on audience match, engagement and cost, brand safety is checked, and the top five have an outreach angle.",
  "Sponsoring a large tech channel brought views but no sign-ups; the audience was students.",
  "No creator is contacted; the shortlist goes to the partnerships lead.",
  ["marketing", "partnerships"], ["creators", "sponsorship", "newsletters", "audience"], "low", 3.0, 1500,
  [("creators", "Fetch creator profiles", "https://creator-db.example.com/api/search?topics=operations,automation,finance-ops",
    {"creators": [{"name": "Ops Weekly", "type": "newsletter", "subscribers": 42000, "audience_managers_pct": 0.61, "open_rate": 0.48, "price_eur": 2400}, {"name": "AutomateEverything", "type": "video", "subscribers": 510000, "audience_managers_pct": 0.09, "engagement": 0.031, "price_eur": 9000}, {"name": "The CFO Stack", "type": "podcast", "subscribers": 18000, "audience_managers_pct": 0.74, "price_eur": 1500}]}),
   ("safety", "Fetch brand safety checks", "https://brand-safety.example.com/api/check?names=Ops%20Weekly,AutomateEverything,The%20CFO%20Stack",
    {"Ops Weekly": "clean", "AutomateEverything": "promoted a crypto scheme in 2023", "The CFO Stack": "clean"})],
  [("ranking", "Ranking", "Compute cost per thousand decision-makers reached for each creator and rank them, noting brand safety issues."),
   ("outreach", "Outreach angles", "Write an outreach angle for the top candidates that fits their audience.")])

Q("Marketing", "competitor-ad-copy-review", "Competitor Ad Copy Review",
  "Review competitors' current ads and landing messages to find angles they own and angles nobody claims.",
  "A message map of competitor claims with the open positions we could own.",
  "The active ads of each tracked competitor are grouped by claim, and at least three unclaimed angles are proposed with a headline each.",
  "Our ads say 'powerful automation' like everyone else's; click-through has fallen for three months.",
  "Ad libraries and public pages only; our drafts follow the claims policy.",
  ["marketing", "brand", "competitive-intelligence"], ["advertising", "messaging", "positioning", "competitors"], "low", 3.2, 1400,
  [("ads", "Fetch competitor ads", "https://ad-library.example.com/api/ads?advertisers=Orbita,Cadence%20Ops&active=true",
    {"count": 5, "ads": [{"advertiser": "Orbita", "headline": "Automate anything in minutes"}, {"advertiser": "Orbita", "headline": "1,000+ templates"}, {"advertiser": "Cadence Ops", "headline": "Audit-ready automation"}, {"advertiser": "Cadence Ops", "headline": "Enterprise-grade compliance"}, {"advertiser": "Orbita", "headline": "No code needed"}]}),
   ("ours", "Fetch our proof points", "https://cms.example.com/api/proof-points",
    {"proof": ["hard budget caps that cannot be overridden", "runs offline", "evidence pack for every run"]})],
  [("map", "Message map", "Group competitor headlines by claim (speed, breadth, compliance, ease) and say who owns each."),
   ("angles", "Open angles", "Propose three angles no competitor claims that our proof points support, with a headline and a description line each.")],
  facts=[("Competitor ads reviewed", "{{ads.output.json.count}}")], links=["Intelligence"])

T("Marketing", "localisation-readiness", "Localisation Readiness Check",
  goal="Check the website and product copy for what blocks a launch in German and French: hard-coded text, missing translations and legal pages.",
  objective="Missing keys per language, hard-coded strings and the legal pages still needed, with an effort estimate.",
  done="Every message key is checked in both languages, hard-coded strings are listed by file, and the legal pages per market are checked.",
  context="Sales signed two German customers; the product still shows English error messages and the site has no German imprint.",
  constraints="- Copy is not machine-translated into production; translations go to the agency.\n",
  depts=["marketing", "engineering", "legal"], tags=["localisation", "i18n", "launch", "translation"], risk="low", roi=2.9, value=1300,
  steps=[
    put_file("en", "Load English messages", "i18n/en.json", "{\"run.start\": \"Start run\", \"run.budget\": \"Budget left\", \"error.budget\": \"Budget exceeded\", \"approve\": \"Approve\"}\n"),
    put_file("de", "Load German messages", "i18n/de.json", "{\"run.start\": \"Lauf starten\", \"approve\": \"Freigeben\"}\n"),
    put_file("ui", "Load a UI component", "src/RunPanel.tsx", "export const RunPanel = () => <div><h2>Live run</h2><Button label={t('run.start')} /><p>Waiting for approval</p></div>;\n"),
    parse("en_keys", "Parse English keys", path="i18n/en.json", after=["en"]),
    parse("de_keys", "Parse German keys", path="i18n/de.json", after=["de"]),
    search("hardcoded", "Hard-coded text in components", "<p>", path="src", after=["ui"]),
    llm("readiness", "Readiness report", "List the message keys missing in German (French has no file yet), the hard-coded strings to move into message files, and the legal pages a German and French site needs (imprint, privacy notice, terms). Estimate the effort.\n\nEnglish: {{en_keys.output.value}}\nGerman: {{de_keys.output.value}}\nHard-coded: {{hardcoded.output.matches}}"),
  ], links=["Engineering", "Legal"])

# --------------------------------------------------------------------------------------------- Sales (second set)

F("Sales", "forecast-call-prep", "Forecast Call Prep",
  "Prepare the weekly forecast call: challenge the commit deals with evidence from activity, stage age and buyer engagement.",
  "Commit and best-case totals with the deals whose evidence does not support their category, and the questions to ask each owner.",
  "Every commit and best-case deal is checked against stage age, last buyer meeting and mutual plan, and each weak deal has a question for its owner.",
  "The quarter missed by 14% after three 'commit' deals had not seen a buyer in a month.",
  "Forecast categories are not changed in the CRM; the sales leader decides on the call.",
  ["sales", "revenue-operations"], ["forecast", "pipeline", "deal-review", "commit"], "medium", 5.8, 4000,
  [("deals", "Fetch commit and best-case deals", "https://crm.example.com/api/opportunities?forecast=commit,best_case&close_quarter=current",
    {"commit_total_eur": 1240000, "best_case_total_eur": 680000, "deals": [{"name": "Varda Retail expansion", "category": "commit", "amount_eur": 420000, "stage_days": 12}, {"name": "Helio Energy platform", "category": "commit", "amount_eur": 510000, "stage_days": 64}, {"name": "Quay Logistics add-on", "category": "best_case", "amount_eur": 90000, "stage_days": 20}]}),
   ("activity", "Fetch buyer activity", "https://sales-engagement.example.com/api/activity?deals=varda,helio,quay&days=30",
    {"Varda Retail expansion": {"buyer_meetings": 3, "exec_sponsor_met": True}, "Helio Energy platform": {"buyer_meetings": 0, "last_reply_days": 26}, "Quay Logistics add-on": {"buyer_meetings": 2, "exec_sponsor_met": False}}),
   ("plans", "Fetch mutual action plans", "https://crm.example.com/api/mutual-plans?deals=varda,helio,quay",
    {"Varda Retail expansion": {"signed_off_by_buyer": True, "legal_review": "done"}, "Helio Energy platform": {"signed_off_by_buyer": False, "legal_review": "not started"}, "Quay Logistics add-on": {"signed_off_by_buyer": True, "legal_review": "in progress"}})],
  [("engagement", "Engagement evidence", "Judge buyer engagement per deal from meetings, sponsor contact and reply times.", ["deals", "activity"]),
   ("process", "Process evidence", "Judge how far each deal's mutual plan and legal review are from signature.", ["deals", "plans"])],
  ("prep", "Call prep", "Say which deals' evidence supports their forecast category, give an evidence-adjusted commit total, and write one pointed question per weak deal for its owner.", "You are a revenue operations analyst. Be fair to the reps and precise with amounts."),
  facts=[("Commit total (EUR)", "{{deals.output.json.commit_total_eur}}"), ("Best case total (EUR)", "{{deals.output.json.best_case_total_eur}}")])

Q("Sales", "champion-change-alert", "Champion Change Alert",
  "Catch when a key contact at a customer or open deal changes jobs, and plan how to protect the account and follow the person.",
  "Contacts who moved, the accounts left without a champion and a plan for both the old account and the new company.",
  "Every champion or economic buyer who changed jobs this month is listed with the account risk and two next steps.",
  "Two renewals churned last year after their champions left; one of those champions became a buyer elsewhere and nobody called.",
  "No contact is emailed and no CRM record is changed by the mission.",
  ["sales", "customer-success"], ["champions", "job-changes", "account-risk", "pipeline"], "medium", 6.1, 3500,
  [("moves", "Fetch contact job changes", "https://contact-data.example.com/api/job-changes?since=30d&list=crm-key-contacts",
    {"count": 2, "moves": [{"contact": "CT-118", "role": "Head of Operations", "from": "Varda Retail", "to": "Nordlicht Logistics"}, {"contact": "CT-204", "role": "CFO", "from": "Helio Energy", "to": "retired"}]}),
   ("accounts", "Fetch the affected accounts", "https://crm.example.com/api/accounts?names=Varda%20Retail,Helio%20Energy,Nordlicht%20Logistics",
    {"Varda Retail": {"arr_eur": 220000, "renewal": "2024-11-30", "other_contacts": 4}, "Helio Energy": {"arr_eur": 140000, "renewal": "2024-09-15", "other_contacts": 1}, "Nordlicht Logistics": {"customer": False, "employees": 2300}})],
  [("risk", "Account risk", "Rate the risk to each account left behind (ARR, renewal date, remaining contacts) and name who should become the new champion."),
   ("plays", "Plays", "For each move give two next steps: protect the old account and open the new company, with a message outline for the rep.")],
  facts=[("Job changes this month", "{{moves.output.json.count}}")], links=["Intelligence"])

T("Sales", "expansion-whitespace", "Expansion Whitespace Map",
  goal="Map which products each customer has not bought yet and rank the expansion opportunities by fit and size.",
  objective="A customer-by-product whitespace matrix with the top expansion plays and their estimated value.",
  done="Every active customer has its owned and missing products, and the ten biggest whitespace cells have a play with value and rationale.",
  context="Net revenue retention fell to 104%; account managers focus on renewals and rarely pitch the newer modules.",
  constraints="- Plays are suggestions for account managers; nothing is sent to customers.\n",
  depts=["sales", "account-management"], tags=["expansion", "upsell", "whitespace", "net-retention"], risk="low", roi=6.4, value=5000,
  steps=[
    put_file("owned", "Load product ownership", "ownership.csv", "customer,seats,core,templates,evidence_pack,offline_runner\nVarda Retail,180,yes,yes,no,no\nQuay Logistics,60,yes,no,no,yes\nHelio Energy,240,yes,yes,yes,no\nMarlow Bank,90,yes,no,no,no\n"),
    gate("prices", "List prices per seat per year", templates_eur=60, evidence_pack_eur=45, offline_runner_eur=80),
    cmd("missing", "Missing modules per customer", "awk", ["-F,", "NR>1 {m=\"\"; if ($4==\"no\") m=m \" templates\"; if ($5==\"no\") m=m \" evidence_pack\"; if ($6==\"no\") m=m \" offline_runner\"; print $1 \" (\" $2 \" seats):\" m}", "ownership.csv"], after=["owned"]),
    api("signals", "Fetch usage signals", "https://analytics.example.com/api/accounts/signals?metric=module_interest",
        {"Marlow Bank": ["visited evidence pack docs 14 times", "audit in Q4"], "Varda Retail": ["runs blocked by network rules 22 times"], "Quay Logistics": ["asked for more templates in QBR"]}),
    llm("plays", "Expansion plays", "Value each missing module at seats times the list price per seat (templates EUR {{prices.output.templates_eur}}, evidence pack EUR {{prices.output.evidence_pack_eur}}, offline runner EUR {{prices.output.offline_runner_eur}}), raise the rank where usage signals show interest, and write the top plays with value and rationale.\n\nMissing:\n{{missing.output.stdout}}\nSignals: {{signals.output.body}}"),
  ], links=["Marketing"])

T("Sales", "call-coaching-review", "Sales Call Coaching Review",
  goal="Review recorded discovery calls for talk ratio, questions asked and next steps agreed, and give each rep one coaching point.",
  objective="Per call: talk ratio, open questions, pain found, next step, and one coaching point per rep.",
  done="Every sampled call is scored on the four criteria and each rep has one concrete coaching point with a quote.",
  context="New reps talk 70% of discovery calls; managers have no time to listen to recordings.",
  constraints="- Transcripts stay in the workspace; scores are for coaching, not performance reviews.\n",
  depts=["sales", "sales-enablement"], tags=["coaching", "discovery", "call-review", "enablement"], risk="low", roi=4.4, value=2000,
  steps=[
    put_file("transcript", "Load the call transcript", "calls/call-311.txt", "REP: Thanks for joining. Let me show you our platform, it does budgets, approvals, templates and more.\nREP: We also have an offline runner and evidence packs.\nBUYER: Interesting. Our issue is month-end reports take three days.\nREP: Great, our templates cover that. Shall I send pricing?\nBUYER: Maybe later.\n"),
    put_file("stats", "Load talk-time statistics", "calls/stats.csv", "call,rep,rep_talk_pct,questions_asked,next_step\ncall-311,R-14,78,1,none\ncall-315,R-09,44,9,demo booked\n"),
    cmd("rep_lines", "Rep turns", "grep", ["-c", "^REP:", "calls/call-311.txt"], after=["transcript"]),
    search("questions", "Questions asked", "?", path="calls", name_contains="call-311", after=["transcript"]),
    cmd("talkers", "Calls above 60% rep talk time", "awk", ["-F,", "NR>1 && $3>60 {print $1, $2, $3 \"%\"}", "calls/stats.csv"], after=["stats"]),
    llm("coaching", "Coaching points", "Score call-311 on talk ratio, open questions, pain uncovered and next step agreed, and give the rep one coaching point with a quote from the transcript and a better question they could have asked. Compare with the calls below.\n\nRep turns: {{rep_lines.output.stdout}}\nQuestion lines: {{questions.output.matches}}\nHigh talk-time calls:\n{{talkers.output.stdout}}"),
  ], check="headings")

Q("Sales", "deal-registration-conflicts", "Partner Deal Registration Check",
  "Check new partner deal registrations for conflicts with direct deals and other partners before approval.",
  "An approve, reject or escalate call per registration with the conflicting record.",
  "Every pending registration is matched against open direct opportunities and other registrations, and each has a call with the reason.",
  "Two partners registered the same bank and a direct rep was already in talks; the dispute took a month and lost the deal.",
  "Registrations are not approved in the partner portal by the mission; the channel manager decides.",
  ["sales", "channel", "partnerships"], ["partners", "deal-registration", "channel-conflict"], "medium", 4.0, 2500,
  [("regs", "Fetch pending registrations", "https://partner-portal.example.com/api/registrations?status=pending",
    {"count": 3, "registrations": [{"id": "DR-501", "partner": "Nimbus Consulting", "account": "Marlow Bank", "amount_eur": 160000, "submitted": "2024-06-27"}, {"id": "DR-502", "partner": "Orange Grove IT", "account": "Marlow Bank", "amount_eur": 140000, "submitted": "2024-06-29"}, {"id": "DR-503", "partner": "Nimbus Consulting", "account": "Tallis Insurance", "amount_eur": 75000, "submitted": "2024-06-30"}]}),
   ("direct", "Fetch direct opportunities", "https://crm.example.com/api/opportunities?accounts=Marlow%20Bank,Tallis%20Insurance&status=open",
    {"Marlow Bank": {"owner": "R-07", "stage": "discovery", "created": "2024-06-20"}, "Tallis Insurance": None})],
  [("conflicts", "Conflicts", "Match each registration against direct opportunities and other registrations; the earliest valid claim wins under the partner policy."),
   ("calls", "Calls", "Give approve, reject or escalate per registration with the reason and a message outline for the partner.")],
  facts=[("Pending registrations", "{{regs.output.json.count}}")], links=["Legal"])

T("Sales", "quota-attainment-review", "Quota Attainment Review",
  goal="Review quota attainment by rep and team at mid-quarter and find who needs help, pipeline or a territory change.",
  objective="Attainment and pipeline coverage per rep, the reps at risk and the cause for each.",
  done="Every rep has attainment to date and pipeline coverage for the rest of the quarter, and each rep under 40% with coverage below 3x has a named cause and action.",
  context="Half the team is below plan at mid-quarter; leadership asks whether it is the reps, the pipeline or the territories.",
  constraints="- Figures go to sales managers only; no rep is ranked publicly.\n",
  depts=["sales", "revenue-operations"], tags=["quota", "attainment", "coverage", "sales-management"], risk="low", roi=3.7, value=2000,
  steps=[
    put_file("reps", "Load rep figures", "reps.csv", "rep,team,quota_eur,closed_eur,open_pipeline_eur\nR-03,enterprise,900000,410000,1600000\nR-07,enterprise,900000,220000,900000\nR-09,mid-market,500000,120000,1500000\nR-14,mid-market,500000,90000,420000\n"),
    cmd("attainment", "Attainment and coverage", "awk", ["-F,", "NR>1 {a=$4/$3*100; c=$5/($3-$4); printf \"%s %s attainment %.0f%% coverage %.1fx\\n\", $1, $2, a, c}", "reps.csv"], after=["reps"]),
    cmd("at_risk", "Reps under 40% with coverage below 3x", "awk", ["-F,", "NR>1 {a=$4/$3*100; c=$5/($3-$4); if (a<40 && c<3) print $1, $2}", "reps.csv"], after=["reps"]),
    api("territory", "Fetch territory potential", "https://sales-ops.example.com/api/territories/potential?reps=R-03,R-07,R-09,R-14",
        {"R-03": {"accounts": 40, "potential_eur": 9000000}, "R-07": {"accounts": 38, "potential_eur": 3100000}, "R-09": {"accounts": 120, "potential_eur": 6000000}, "R-14": {"accounts": 95, "potential_eur": 2400000}}),
    llm("review", "Mid-quarter review", "For each rep at risk, say whether the cause is pipeline, conversion or territory potential, and propose one action (pipeline blitz, deal support, territory change).\n\nAttainment:\n{{attainment.output.stdout}}\nAt risk:\n{{at_risk.output.stdout}}\nTerritory potential: {{territory.output.body}}"),
  ], check="words")

F("Sales", "meeting-prep-brief", "Executive Meeting Prep Brief",
  "Brief a rep before a first meeting with a prospect's executive: company priorities, recent news, our history with them and the questions to ask.",
  "A one-page brief with the company's priorities, the people in the room, our past touches and three tailored questions.",
  "The brief covers priorities from the annual report, news of the last 90 days, every past interaction in the CRM and three questions tied to those priorities.",
  "Reps walk into executive meetings having read the website; a CFO ended one after ten minutes.",
  "Public information and our CRM only; nothing is sent to the prospect.",
  ["sales", "sales-enablement"], ["meeting-prep", "account-research", "executives", "enterprise"], "low", 3.9, 1800,
  [("company", "Fetch the company profile", "https://company-db.example.com/api/companies/marlow-bank",
    {"name": "Marlow Bank", "employees": 3400, "annual_report_priorities": ["cost-to-income below 55%", "regulatory reporting automation", "branch consolidation"]}),
   ("news", "Fetch recent news", "https://news.example.com/api/search?q=Marlow%20Bank&days=90",
    {"items": [{"date": "2024-05-14", "headline": "Marlow Bank fined for late regulatory reporting"}, {"date": "2024-06-02", "headline": "Marlow Bank appoints new COO from fintech"}]}),
   ("history", "Fetch our history with them", "https://crm.example.com/api/accounts/marlow-bank/history",
    {"touches": [{"date": "2023-10-11", "type": "webinar", "contact": "Head of Finance Ops"}, {"date": "2024-02-20", "type": "lost deal", "reason": "no on-prem option"}], "meeting_with": "COO"})],
  [("priorities", "Priorities and news", "Summarise what the company is trying to achieve and what recent news changes for the new COO.", ["company", "news"]),
   ("past", "Our history", "Summarise our past touches and what the lost deal teaches us for this meeting.", ["history"])],
  ("brief", "Meeting brief", "Write the one-page brief: context, what the COO likely cares about, our angle (offline runs answer the on-prem objection), and three questions tied to their priorities."),
  links=["Intelligence"])

Q("Sales", "winback-campaign", "Churned Customer Win-back",
  "Pick the churned customers most worth winning back and draft a tailored win-back offer for each.",
  "A win-back list ranked by value and fixability of the churn reason, with an offer and an opener.",
  "Every customer churned in the last 12 months is scored on value and whether the reason has since been fixed, and the top five have an offer.",
  "Several customers left for reasons we have since fixed (offline runs, SSO), but nobody told them.",
  "Offers stay within the discount policy; nothing is sent by the mission.",
  ["sales", "customer-success", "marketing"], ["win-back", "churn", "reactivation", "offers"], "low", 5.0, 3000,
  [("churned", "Fetch churned customers", "https://billing.example.com/api/churned?months=12",
    {"count": 4, "customers": [{"name": "Tallis Insurance", "arr_eur": 96000, "reason": "no SSO", "churned": "2023-11-30"}, {"name": "Brightpath Ltd", "arr_eur": 18000, "reason": "budget cut", "churned": "2024-03-31"}, {"name": "Nordwind GmbH", "arr_eur": 54000, "reason": "needed offline runs", "churned": "2024-01-31"}, {"name": "Castell Foods", "arr_eur": 30000, "reason": "moved to competitor on price", "churned": "2024-05-31"}]}),
   ("shipped", "Fetch features shipped since", "https://roadmap.example.com/api/shipped?since=2023-11-01",
    {"features": [{"name": "SSO with SAML", "date": "2024-02-15"}, {"name": "Offline runner", "date": "2024-04-30"}, {"name": "Template library", "date": "2024-06-30"}]})],
  [("ranking", "Win-back ranking", "Score each churned customer on ARR and whether the churn reason is now fixed, and rank them."),
   ("offers", "Offers and openers", "Write a tailored offer (within 15% discount) and a two-sentence opener for the top customers, naming the fix that answers their reason.")],
  facts=[("Churned customers reviewed", "{{churned.output.json.count}}")], links=["Marketing"])

# --------------------------------------------------------------------------------------------- Legal (second set)

T("Legal", "auto-renewal-notice-tracker", "Auto-Renewal Notice Tracker",
  goal="Track supplier contracts that renew automatically and warn owners before the notice window to cancel or renegotiate closes.",
  objective="Contracts whose notice deadline falls in the next 90 days, with value, owner and the decision needed.",
  done="Every auto-renewing contract has its notice deadline computed, and each deadline within 90 days has an owner and a decision prompt.",
  context="A EUR 80k analytics contract renewed for two years because the 90-day notice window passed unnoticed.",
  constraints="- No notice is sent to suppliers; owners decide.\n",
  depts=["legal", "procurement", "finance"], tags=["contracts", "auto-renewal", "notice-periods", "spend"], risk="medium", roi=7.5, value=5000,
  steps=[
    put_file("contracts", "Load the contract register", "contracts.csv", "contract,supplier,end_date,notice_days,annual_eur,owner\nC-210,Datalytics,2024-10-31,90,80000,finance\nC-214,SignFast,2024-12-31,30,6000,legal\nC-222,CloudLogs,2024-09-30,60,42000,engineering\nC-230,OfficeSnacks,2025-03-31,30,9000,facilities\n"),
    gate("asof", "Review date", as_of="2024-07-01", horizon_days=90),
    cmd("deadlines", "Days left to give notice", "awk", ["-F,", "-v", "asof={{asof.output.as_of}}", "function days(s,  y, m, d) {y=substr(s,1,4)+0; m=substr(s,6,2)+0; d=substr(s,9,2)+0; if (m<3) {y--; m+=12}; return 365*y+int(y/4)-int(y/100)+int(y/400)+int((153*(m-3)+2)/5)+d} NR>1 {printf \"%d days: %s %s (ends %s, %d days notice, EUR %s a year, owner %s)\\n\", days($3)-$4-days(asof), $1, $2, $3, $4, $5, $6}", "contracts.csv"], after=["contracts"]),
    cmd("sorted", "Soonest first", "sort", ["-n"], stdin="{{deadlines.output.stdout}}"),
    api("usage", "Fetch usage of the services", "https://spend.example.com/api/usage?contracts=C-210,C-214,C-222,C-230",
        {"C-210": {"active_users": 4, "licensed": 40}, "C-214": {"envelopes_used": 310, "included": 500}, "C-222": {"gb_ingested": 920, "included": 1000}, "C-230": {"orders": 48}}),
    llm("decisions", "Decisions needed", "For each contract whose notice deadline falls within {{asof.output.horizon_days}} days of {{asof.output.as_of}}, state the deadline, the value, and a recommendation (cancel, renegotiate, renew) based on usage.\n\nDeadlines (soonest first):\n{{sorted.output.stdout}}\nUsage: {{usage.output.body}}"),
  ], links=["Finance", "Operations"], check="stamp")

Q("Legal", "sanctions-screening", "Counterparty Sanctions Screening",
  "Screen new customers, suppliers and their owners against sanctions lists and resolve the potential matches.",
  "A screening result per counterparty: clear, false positive with the reason, or true match escalated.",
  "Every counterparty onboarded this week and its owners above 25% are screened, and each potential match is resolved or escalated with the evidence.",
  "A reseller's majority owner was added to a sanctions list; we kept invoicing for two months.",
  "Screening results are advice to compliance; no relationship is ended by the mission.",
  ["legal", "compliance", "finance"], ["sanctions", "screening", "kyc", "trade-compliance"], "high", 5.0, 8000,
  [("parties", "Fetch new counterparties and owners", "https://onboarding.example.com/api/counterparties?since=7d&include=owners",
    {"count": 3, "parties": [{"name": "Baltic Freight OU", "country": "EE", "owners": [{"name": "Ivan Petrov", "share": 0.6}]}, {"name": "Sunrise Trading FZE", "country": "AE", "owners": [{"name": "Sunrise Holdings Ltd", "share": 1.0}]}, {"name": "Kohler Maschinen GmbH", "country": "DE", "owners": []}]}),
   ("hits", "Screen against the sanctions lists", "https://screening.example.com/api/screen?lists=EU,UN,OFAC,UK",
    {"potential_matches": [{"query": "Ivan Petrov", "listed": "Ivan Sergeyevich Petrov", "dob_listed": "1961-03-02", "dob_known": "1988-07-19", "score": 0.82}, {"query": "Sunrise Holdings Ltd", "listed": "Sunrise Holdings Limited", "country_listed": "IR", "score": 0.91}]})],
  [("resolve", "Match resolution", "Resolve each potential match using date of birth, country and ownership: false positive with the reason, or likely true match.", "You are a sanctions compliance analyst. Never clear a match without a distinguishing identifier."),
   ("actions", "Actions", "List the action per counterparty: clear, request more information, or escalate to the compliance officer before any transaction.")],
  facts=[("Counterparties screened", "{{parties.output.json.count}}")], links=["Finance", "Sales"])

T("Legal", "terms-change-review", "Terms of Service Change Review",
  goal="Compare the draft of our new terms of service with the current ones and list every change that needs customer notice or counsel's review.",
  objective="A change list with the clauses changed, their effect on customers and the notice required.",
  done="Every changed line between the two versions is listed, each change is classified as editorial or material, and material ones state the notice period.",
  context="The product team rewrote the terms for the template library; consumer law requires notice for material changes and some contracts give 30 days to object.",
  constraints="- Counsel approves the final text and the notice.\n",
  depts=["legal", "product"], tags=["terms-of-service", "contracts", "change-review", "consumer-law"], risk="medium", roi=3.4, value=2500,
  steps=[
    put_file("current", "Load the current terms", "terms/current.md", "1. Service. We provide the mission runner as described.\n2. Fees. Fees are billed yearly in advance.\n3. Liability. Our liability is capped at the fees paid in the last 12 months.\n4. Data. We process run data only to provide the service.\n"),
    put_file("draft", "Load the draft terms", "terms/draft.md", "1. Service. We provide the mission runner and the template library as described.\n2. Fees. Fees are billed yearly in advance; templates may carry usage fees.\n3. Liability. Our liability is capped at the fees paid in the last 6 months.\n4. Data. We process run data to provide and improve the service.\n"),
    cmd("added", "Lines new in the draft", "grep", ["-v", "-x", "-F", "-f", "terms/current.md", "terms/draft.md"], after=["current", "draft"]),
    cmd("removed", "Lines dropped from the current terms", "grep", ["-v", "-x", "-F", "-f", "terms/draft.md", "terms/current.md"], after=["current", "draft"]),
    llm("review", "Change review", "Pair each dropped line with its new version, classify each change as editorial or material, explain its effect on customers (new fees, lower liability cap, new data use), and say which need counsel, notice to customers and consent under data protection law.\n\nCurrent wording:\n{{removed.output.stdout}}\nDraft wording:\n{{added.output.stdout}}"),
  ])

Q("Legal", "marketing-claims-review", "Marketing Claims Review",
  "Review draft marketing copy for claims that need substantiation, comparative claims and words our claims policy forbids.",
  "Each claim in the copy with its risk, the evidence needed and a safer wording.",
  "Every claim in the drafts is classified (puffery, factual, comparative, forbidden), and each factual or comparative claim has its evidence or a rewrite.",
  "A regulator made a competitor withdraw 'the most secure platform'; our launch copy says 'guaranteed savings'.",
  "The review is advice; marketing owns the final copy.",
  ["legal", "marketing"], ["advertising-law", "claims", "substantiation", "copy-review"], "medium", 3.1, 2000,
  [("copy", "Fetch the draft copy", "https://cms.example.com/api/drafts?campaign=template-library-launch",
    {"drafts": [{"id": "D-1", "text": "Guaranteed savings of 40% on reporting time."}, {"id": "D-2", "text": "The only AI automation platform with hard budget caps."}, {"id": "D-3", "text": "Loved by finance teams everywhere."}, {"id": "D-4", "text": "2x faster than Orbita."}]}),
   ("evidence", "Fetch available evidence", "https://cms.example.com/api/evidence?campaign=template-library-launch",
    {"reporting_time_savings": "customer survey n=38, median 31%", "competitor_benchmark": None, "budget_caps_uniqueness": "analyst note, March 2024, covers 6 vendors"})],
  [("claims", "Claim review", "Classify each claim and say what evidence it needs and whether the evidence available supports it.", "You are advertising counsel. Cite the evidence or its absence for every claim."),
   ("rewrites", "Safer wording", "Rewrite each unsupported claim so it is accurate and still persuasive.")],
  links=["Marketing"])

Q("Legal", "subprocessor-change-notice", "Subprocessor Change Notice",
  "Prepare the customer notice for a new subprocessor and check which contracts give customers a right to object.",
  "The notice text, the list of customers with an objection right and the deadline for each.",
  "The notice names the subprocessor, purpose, data and location; every customer contract with an objection clause is listed with its notice period.",
  "We are adding a model hosting provider in the EU; three enterprise contracts require 30 days' notice and allow objection.",
  "The notice is a draft for counsel; it is not sent by the mission.",
  ["legal", "privacy", "customer-success"], ["subprocessors", "gdpr", "dpa", "customer-notice"], "medium", 3.0, 2500,
  [("vendor", "Fetch the new subprocessor's details", "https://vendor-register.example.com/api/vendors/infera-eu",
    {"name": "Infera EU", "purpose": "hosting of language models for optional AI steps", "data": ["prompts", "step outputs"], "location": "Frankfurt, Germany", "transfer_outside_eea": False}),
   ("contracts", "Fetch customer DPA terms", "https://clm.example.com/api/dpas?clause=subprocessor_changes",
    {"contracts": [{"customer": "Marlow Bank", "notice_days": 30, "objection_right": True}, {"customer": "Helio Energy", "notice_days": 30, "objection_right": True}, {"customer": "Varda Retail", "notice_days": 14, "objection_right": False}, {"customer": "Tallis Insurance", "notice_days": 60, "objection_right": True}]})],
  [("notice", "Notice draft", "Draft the subprocessor change notice with name, purpose, data, location and how to object."),
   ("objectors", "Objection rights", "List the customers with an objection right and their notice periods, and the earliest date the subprocessor may be used for all customers.\n\n{{contracts.output.body}}")],
  facts=[("New subprocessor", "{{vendor.output.json.name}}")], links=["Engineering"])

Q("Legal", "ip-assignment-check", "IP Assignment Check",
  "Check that everyone who wrote code or content for us has signed an IP assignment, starting with contractors.",
  "Contributors without a signed assignment, what they contributed and the document to obtain.",
  "Every contributor of the last two years is matched against signed agreements, and each gap names the contribution and the document needed.",
  "Due diligence for an investment round asks for proof that we own our code; a freelance designer's logo work has no contract.",
  "Contributors are not contacted by the mission; legal sends the documents.",
  ["legal", "engineering", "hr"], ["intellectual-property", "contractors", "due-diligence", "assignments"], "medium", 4.3, 6000,
  [("contributors", "Fetch contributors", "https://git.example.com/api/v4/contributors?since=2022-07-01&include=external",
    {"count": 4, "contributors": [{"handle": "dev-k", "type": "employee", "commits": 1820}, {"handle": "ext-ana", "type": "contractor", "commits": 240, "area": "pricing engine"}, {"handle": "ext-lo", "type": "freelancer", "commits": 0, "area": "logo and brand assets"}, {"handle": "intern-p", "type": "intern", "commits": 95, "area": "CLI"}]}),
   ("agreements", "Fetch signed agreements", "https://clm.example.com/api/agreements?type=ip_assignment,employment",
    {"dev-k": "employment contract with IP clause", "ext-ana": "consulting agreement, no IP clause", "intern-p": None})],
  [("gaps", "Assignment gaps", "Match contributors to agreements and list every contributor without an effective IP assignment, with what they contributed and its importance.", "You are IP counsel. Distinguish a missing document from a document without an IP clause."),
   ("documents", "Documents to obtain", "Say which document each gap needs (confirmatory assignment, amendment) and the order to get them in before due diligence.")],
  facts=[("Contributors checked", "{{contributors.output.json.count}}")], links=["Engineering", "HR"])

Q("Legal", "export-control-classification", "Export Control Classification",
  "Classify our products and planned shipments under export control rules and flag destinations that need a licence.",
  "A classification per product with the rule it falls under and the shipments that need a licence or screening.",
  "Every product has a proposed classification with its reasoning, and every planned shipment to a controlled destination is flagged.",
  "A customer asked for the export classification of the offline runner, which includes encryption; sales promised delivery to a restricted country.",
  "Proposed classifications are confirmed by trade compliance counsel.",
  ["legal", "trade-compliance", "engineering"], ["export-control", "encryption", "dual-use", "trade-compliance"], "high", 3.6, 7000,
  [("products", "Fetch product technical data", "https://plm.example.com/api/products?fields=crypto,functions",
    {"products": [{"name": "Mission Studio desktop", "crypto": "TLS via standard libraries, mass market", "functions": ["automation"]}, {"name": "Offline runner appliance", "crypto": "AES-256 disk encryption, custom key management", "functions": ["automation", "air-gapped operation"]}]}),
   ("shipments", "Fetch planned shipments", "https://erp.example.com/api/shipments?status=planned&product=appliance",
    {"shipments": [{"customer": "Kohler Maschinen GmbH", "country": "DE"}, {"customer": "Sunrise Trading FZE", "country": "AE"}, {"customer": "Almaty Data LLP", "country": "KZ"}]})],
  [("classify", "Classification", "Propose a classification for each product under the dual-use rules for information security items, with the reasoning and what would change it."),
   ("licences", "Shipments needing action", "Flag the planned shipments that need a licence, an end-user statement or denied-party screening, and why.")],
  links=["Sales", "Engineering"])

Q("Legal", "whistleblower-case-triage", "Whistleblower Report Triage",
  "Triage new whistleblowing reports by severity and route each to an investigator without conflicts, within the legal deadlines.",
  "A triage record per report with category, severity, investigator and the acknowledgement and feedback deadlines.",
  "Every new report is categorised, has an investigator with no conflict of interest, and its 7-day acknowledgement and 3-month feedback deadlines are set.",
  "The EU whistleblower rules require acknowledgement within 7 days; one report last year waited three weeks.",
  "Reporters stay anonymous; the triage record holds no identifying detail beyond what the reporter chose to give.",
  ["legal", "compliance", "ethics"], ["whistleblowing", "investigations", "compliance", "speak-up"], "high", 3.2, 6000,
  [("reports", "Fetch new reports", "https://speakup.example.com/api/reports?status=new",
    {"count": 3, "reports": [{"id": "WB-31", "received": "2024-06-28", "category_claimed": "fraud", "summary": "Expenses approved for a supplier owned by a manager's relative", "department": "procurement"}, {"id": "WB-32", "received": "2024-06-29", "category_claimed": "harassment", "summary": "Repeated comments in team meetings", "department": "sales"}, {"id": "WB-33", "received": "2024-07-01", "category_claimed": "safety", "summary": "Fire exit blocked in the Rotterdam warehouse", "department": "operations"}]}),
   ("investigators", "Fetch the investigator roster", "https://speakup.example.com/api/investigators",
    {"investigators": [{"id": "INV-1", "areas": ["fraud", "financial"], "conflicts": ["procurement"]}, {"id": "INV-2", "areas": ["fraud", "conduct"], "conflicts": []}, {"id": "INV-3", "areas": ["conduct", "safety"], "conflicts": ["sales"]}]})],
  [("triage", "Triage", "Categorise each report, rate its severity and set the acknowledgement (7 days) and feedback (3 months) deadlines from the received date.", "You are a compliance officer. Keep the reporter's anonymity and avoid judging the merits."),
   ("routing", "Routing", "Assign each report to an investigator whose areas match and who has no conflict with the department, and name any immediate safety action.")],
  facts=[("New reports", "{{reports.output.json.count}}")], links=["HR", "Operations"])

# --------------------------------------------------------------------------------------------- Engineering (second set)

T("Engineering", "feature-flag-cleanup", "Stale Feature Flag Cleanup",
  goal="Find feature flags that have been fully rolled out or abandoned for months and plan their removal from the code.",
  objective="Stale flags with their state, age and every code location that still reads them.",
  done="Every flag in the flag service export is classified live, fully on, fully off or unknown, and each stale flag lists its code references.",
  context="The codebase reads 140 flags; half have been at 100% for over a year and every branch doubles the test matrix.",
  constraints="- Flags are not changed in the flag service and no code is edited; removals are proposed.\n",
  depts=["engineering", "platform"], tags=["feature-flags", "tech-debt", "cleanup", "code-health"], risk="low", roi=4.1, value=2000,
  steps=[
    api("flags", "Fetch flag states", "https://flags.example.com/api/v1/flags?fields=rollout,updated",
        {"count": 4, "flags": [{"key": "new_run_view", "rollout": 100, "updated_days": 410}, {"key": "budget_gauges", "rollout": 35, "updated_days": 6}, {"key": "legacy_export", "rollout": 0, "updated_days": 280}, {"key": "approval_v2", "rollout": 100, "updated_days": 190}]}),
    put_file("code_a", "Load the run page source", "src/runs/RunPage.tsx", "if (flags.new_run_view) { renderLive(); } else { renderLegacy(); }\nif (flags.budget_gauges) { showGauges(); }\n"),
    put_file("code_b", "Load the export module", "src/export/index.ts", "export function exportRun(r) { if (flags.legacy_export) return legacy(r); return modern(r); }\n// approval_v2 handled server side\n"),
    search("refs_view", "References to new_run_view", "new_run_view", path="src", after=["code_a", "code_b"]),
    search("refs_export", "References to legacy_export", "legacy_export", path="src", after=["code_a", "code_b"]),
    search("refs_approval", "References to approval_v2", "approval_v2", path="src", after=["code_a", "code_b"]),
    llm("plan", "Removal plan", "Classify each flag (live rollout, fully on for over 90 days, fully off for over 90 days) and write the removal plan for the stale ones: which branch of the code to keep at each reference, and the tests to delete.\n\nFlags: {{flags.output.body}}\nnew_run_view: {{refs_view.output.matches}}\nlegacy_export: {{refs_export.output.matches}}\napproval_v2: {{refs_approval.output.matches}}"),
  ], facts=[("Flags in the service", "{{flags.output.json.count}}")])

T("Engineering", "ci-pipeline-duration", "CI Pipeline Duration Review",
  goal="Find the CI jobs that make pull requests wait and propose how to cut the pipeline's wall-clock time.",
  objective="Median and slowest duration per job, the critical path and the fixes with minutes saved.",
  done="Every CI job of the last week has its median duration, the critical path is named, and each fix states the minutes it saves per run.",
  context="A pull request waits 38 minutes for CI; developers batch changes to avoid the wait, which makes reviews harder.",
  constraints="- The pipeline definition is not edited; changes are proposed.\n",
  depts=["engineering", "developer-productivity"], tags=["ci", "build-time", "developer-experience", "pipelines"], risk="low", roi=6.9, value=3500,
  steps=[
    put_file("runs", "Load the job durations", "ci-jobs.csv", "job,stage,median_min,p90_min,cache_hit\nlint,check,2.1,3.0,yes\nunit-tests,test,11.4,14.2,no\nintegration-tests,test,24.8,31.5,no\nbuild-app,build,9.6,12.1,yes\ne2e,test,18.0,26.0,no\n"),
    put_file("pipeline", "Load the pipeline definition", "pipeline.yaml", "stages: [check, build, test]\njobs:\n  lint: {stage: check}\n  build-app: {stage: build, needs: [lint]}\n  unit-tests: {stage: test, needs: [build-app]}\n  integration-tests: {stage: test, needs: [build-app]}\n  e2e: {stage: test, needs: [build-app, unit-tests]}\n"),
    parse("graph", "Parse the pipeline", path="pipeline.yaml", yaml=True, after=["pipeline"]),
    cmd("slowest", "Jobs by median duration", "sort", ["-t,", "-k3,3", "-nr", "ci-jobs.csv"], after=["runs"]),
    cmd("no_cache", "Jobs without cache hits", "grep", [",no$", "ci-jobs.csv"], after=["runs"]),
    llm("fixes", "Fixes", "Find the critical path through the job graph with the median durations, then propose fixes (caching, test splitting and sharding, dropping a needs edge) with the minutes each saves on the critical path.\n\nJob graph: {{graph.output.value}}\nDurations:\n{{slowest.output.stdout}}\nNo cache:\n{{no_cache.output.stdout}}"),
  ], check="headings")

F("Engineering", "error-budget-report", "SLO Error Budget Report",
  "Report each service's SLO error budget burn for the month and decide where reliability work must take priority over features.",
  "Budget remaining per service, the incidents that burned it and a feature-freeze recommendation where the budget is spent.",
  "Every service with an SLO has its budget consumed in percent, the top burning incidents are named, and each service over 100% has a recommendation.",
  "Teams agreed to pause features when a budget is spent, but nobody computes the budgets until the quarterly review.",
  "Recommendations go to the engineering managers; no deploy is blocked by the mission.",
  ["sre", "engineering"], ["slo", "error-budget", "reliability", "incidents"], "low", 4.6, 2500,
  [("slos", "Fetch SLO attainment", "https://slo.example.com/api/slos?month=2024-06",
    {"services": [{"service": "run-api", "target": 0.999, "actual": 0.9978}, {"service": "template-registry", "target": 0.995, "actual": 0.9981}, {"service": "evidence-store", "target": 0.999, "actual": 0.9993}]}),
   ("incidents", "Fetch the month's incidents", "https://incidents.example.com/api/incidents?month=2024-06",
    {"incidents": [{"id": "INC-2291", "service": "run-api", "minutes": 94, "cause": "bad config push"}, {"id": "INC-2302", "service": "evidence-store", "minutes": 18, "cause": "disk full"}]}),
   ("deploys", "Fetch deploy frequency", "https://deploys.example.com/api/stats?month=2024-06",
    {"run-api": {"deploys": 41, "rollbacks": 3}, "template-registry": {"deploys": 12, "rollbacks": 0}, "evidence-store": {"deploys": 8, "rollbacks": 1}})],
  [("budget", "Budget consumed", "Compute the error budget consumed per service (allowed downtime = (1 - target) of the month) and which incidents burned it.", ["slos", "incidents"]),
   ("change", "Change risk", "Relate rollbacks to deploys per service and say where change is the main source of failure.", ["deploys", "incidents"])],
  ("decision", "Recommendations", "Recommend per service: continue features, slow down, or freeze features until the budget recovers, with the reliability work to do first."))

T("Engineering", "todo-debt-census", "TODO and FIXME Census",
  goal="Count the TODO, FIXME and HACK markers in the code by module and pick the ones that hide real risk.",
  objective="A marker census per module and a short list of risky markers to turn into tickets.",
  done="Every source file is searched for the three markers, counts per module are reported, and each risky marker becomes a proposed ticket with its location.",
  context="Engineers leave TODOs for security checks and error handling that never come back; one caused last month's outage.",
  constraints="- Tickets are proposed, not created; code is not changed.\n",
  depts=["engineering"], tags=["tech-debt", "code-health", "todo", "risk"], risk="low", roi=2.8, value=1200,
  steps=[
    put_file("engine", "Load engine source", "src/engine/budget.rs", "fn check(cost: f64) -> bool {\n    // TODO: handle NaN costs\n    cost <= self.cap\n}\n// FIXME: race when two steps finish together\n"),
    put_file("api", "Load API source", "src/api/auth.rs", "// HACK: skip token expiry check in dev\nfn verify(t: &str) -> bool { true }\n// TODO: rename module\n"),
    put_file("ui", "Load UI source", "src/ui/list.tsx", "// TODO: nicer empty state\nexport const List = () => null;\n"),
    search("todos", "TODO markers", "TODO", path="src", after=["engine", "api", "ui"]),
    search("fixmes", "FIXME markers", "FIXME", path="src", after=["engine", "api", "ui"]),
    search("hacks", "HACK markers", "HACK", path="src", after=["engine", "api", "ui"]),
    llm("risky", "Risky markers", "Count markers per module, then pick the markers that hide real risk (security, data races, money or budget checks) and write a ticket for each with title, location and why it matters. Ignore cosmetic ones.\n\nTODO: {{todos.output.matches}}\nFIXME: {{fixmes.output.matches}}\nHACK: {{hacks.output.matches}}"),
  ], check="words")

Q("Engineering", "k8s-rightsizing", "Kubernetes Rightsizing",
  "Compare container resource requests with real usage and propose requests and limits that cut waste without risking throttling.",
  "Per workload: requested versus used CPU and memory, the proposed values and the monthly saving.",
  "Every workload in the production namespaces has its p95 usage against requests, and each over-provisioned one has new values and a saving.",
  "The cluster runs at 22% CPU utilisation but the autoscaler keeps adding nodes because requests are inflated.",
  "New values are proposed as a change for the owning team; nothing is applied.",
  ["platform", "engineering", "finops"], ["kubernetes", "rightsizing", "finops", "capacity"], "low", 7.1, 4500,
  [("usage", "Fetch usage against requests", "https://metrics.example.com/api/workloads/usage?namespace=prod&window=14d",
    {"node_cost_eur_month": 310, "workloads": [{"name": "run-api", "replicas": 6, "cpu_request": 2.0, "cpu_p95": 0.45, "mem_request_gi": 4, "mem_p95_gi": 1.6}, {"name": "evidence-store", "replicas": 3, "cpu_request": 1.0, "cpu_p95": 0.9, "mem_request_gi": 8, "mem_p95_gi": 7.1}, {"name": "template-indexer", "replicas": 2, "cpu_request": 4.0, "cpu_p95": 0.3, "mem_request_gi": 6, "mem_p95_gi": 0.8}]}),
   ("throttling", "Fetch throttling and OOM events", "https://metrics.example.com/api/workloads/events?namespace=prod&window=14d",
    {"run-api": {"cpu_throttled_pct": 0.2, "oom_kills": 0}, "evidence-store": {"cpu_throttled_pct": 4.5, "oom_kills": 2}, "template-indexer": {"cpu_throttled_pct": 0, "oom_kills": 0}})],
  [("sizing", "Proposed requests", "Propose CPU and memory requests at p95 plus 30% headroom per workload, keeping workloads with throttling or OOM kills at or above today."),
   ("saving", "Saving", "Estimate the nodes freed and the monthly saving, and list the rollout order, least risky first.")],
  facts=[("Node cost (EUR per month)", "{{usage.output.json.node_cost_eur_month}}")], links=["Finance"])

T("Engineering", "openapi-breaking-changes", "API Breaking Change Check",
  goal="Compare the next release's OpenAPI description with the published one and catch breaking changes before clients do.",
  objective="Breaking and non-breaking changes per endpoint, with the clients affected and a versioning decision.",
  done="Every endpoint of both versions is compared, each removed endpoint, removed field or new required field is flagged as breaking, and the release gets a versioning decision.",
  context="A field rename in a minor release broke two partner integrations last quarter.",
  constraints="- The API description is read, not changed.\n",
  depts=["engineering", "api-platform"], tags=["api", "openapi", "breaking-changes", "versioning"], risk="medium", roi=4.8, value=3000,
  steps=[
    put_file("published", "Load the published API", "api/published.json", "{\"paths\": {\"/runs\": {\"post\": {\"required\": [\"mission_id\"]}}, \"/runs/{id}\": {\"get\": {\"fields\": [\"status\", \"cost_usd\", \"started_at\"]}}, \"/templates\": {\"get\": {\"fields\": [\"id\", \"name\"]}}}}\n"),
    put_file("next", "Load the next release's API", "api/next.json", "{\"paths\": {\"/runs\": {\"post\": {\"required\": [\"mission_id\", \"perimeter\"]}}, \"/runs/{id}\": {\"get\": {\"fields\": [\"status\", \"cost\", \"started_at\"]}}, \"/templates\": {\"get\": {\"fields\": [\"id\", \"name\", \"sector\"]}}, \"/active-missions\": {\"post\": {\"required\": [\"template_id\"]}}}}\n"),
    parse("old", "Parse the published API", path="api/published.json", after=["published"]),
    parse("new", "Parse the next API", path="api/next.json", after=["next"]),
    api("clients", "Fetch API clients per endpoint", "https://gateway.example.com/api/clients?window=30d",
        {"/runs": ["desktop-app", "partner-nimbus"], "/runs/{id}": ["desktop-app", "partner-nimbus", "partner-orange"], "/templates": ["desktop-app"]}),
    llm("changes", "Breaking change report", "Compare the two API descriptions endpoint by endpoint. Flag removed endpoints, removed or renamed fields and new required fields as breaking; added endpoints and optional fields as non-breaking. Name the clients affected and decide: ship as minor, ship with a deprecation period, or move to a new major version.\n\nPublished: {{old.output.value}}\nNext: {{new.output.value}}\nClients: {{clients.output.body}}"),
  ], links=["Sales"])

Q("Engineering", "dependency-update-plan", "Dependency Update Plan",
  "Plan the month's dependency updates: which to take, which are risky, and in what order, from the outdated list and the changelogs.",
  "An update plan grouping dependencies by risk, with the breaking changes to handle and security fixes first.",
  "Every outdated dependency is classified (security fix, minor, major with breaking changes), and the plan orders them with the work each needs.",
  "Updates pile up until a security fix forces a jump across three major versions under pressure.",
  "Updates are proposed; no lock file is changed by the mission.",
  ["engineering", "security"], ["dependencies", "updates", "supply-chain", "maintenance"], "low", 3.6, 1800,
  [("outdated", "Fetch outdated dependencies", "https://deps.example.com/api/projects/mission-studio/outdated",
    {"count": 4, "packages": [{"name": "tokio", "current": "1.37.0", "latest": "1.40.0"}, {"name": "rustls", "current": "0.22.2", "latest": "0.23.12", "advisory": "RUSTSEC-2024-0336"}, {"name": "serde_yaml", "current": "0.9.30", "latest": "0.9.34", "note": "deprecated upstream"}, {"name": "axum", "current": "0.6.20", "latest": "0.7.5"}]}),
   ("changelogs", "Fetch changelog summaries", "https://deps.example.com/api/changelogs?packages=tokio,rustls,serde_yaml,axum",
    {"tokio": "minor, no breaking changes", "rustls": "0.23: new crypto provider API, ServerConfig builder changed", "serde_yaml": "unmaintained; consider a maintained fork", "axum": "0.7: hyper 1.0, Router state changes, body type changed"})],
  [("classify", "Classification", "Classify each update as security fix, safe minor, or major with breaking changes, and summarise the work each needs."),
   ("plan", "Update plan", "Order the updates for the month (security first, then batches of safe minors, then majors one per pull request) with an effort estimate each, and a replacement for the unmaintained package.")],
  facts=[("Outdated dependencies", "{{outdated.output.json.count}}")], links=["Security"])

F("Engineering", "oncall-handover-digest", "On-call Handover Digest",
  "Write the weekly on-call handover: what paged, what is still open, and what the next on-call should watch.",
  "A handover digest with pages by cause, open follow-ups, risky changes planned for next week and known flaky alerts.",
  "Every page of the week is grouped by cause, every open follow-up has an owner, and next week's risky changes are listed with their date.",
  "Handover happens in a five-minute call; the incoming engineer learns about a half-fixed disk issue at 3 a.m.",
  "The digest is internal to the on-call rota.",
  ["sre", "engineering"], ["on-call", "handover", "incidents", "operations"], "low", 3.0, 1200,
  [("pages", "Fetch the week's pages", "https://alerts.example.com/api/pages?days=7",
    {"count": 9, "pages": [{"alert": "disk-80pct", "host": "evidence-store-2", "times": 4, "resolved": "temporarily, logs deleted"}, {"alert": "api-5xx-rate", "times": 2, "resolved": "rollback"}, {"alert": "queue-lag-warn", "times": 3, "resolved": "self-resolved"}]}),
   ("followups", "Fetch open follow-ups", "https://tickets.example.com/api/issues?label=oncall-followup&state=open",
    {"issues": [{"id": "OPS-412", "title": "Grow evidence-store volume", "owner": None}, {"id": "OPS-415", "title": "Add canary to config pushes", "owner": "platform"}]}),
   ("changes", "Fetch next week's planned changes", "https://changes.example.com/api/calendar?days=7",
    {"changes": [{"date": "2024-07-09", "change": "Postgres minor upgrade", "risk": "medium"}, {"date": "2024-07-11", "change": "Template registry reindex", "risk": "low"}]})],
  [("week", "The week on call", "Group the pages by cause and say which were fixed for good and which only temporarily.", ["pages"]),
   ("ahead", "Open work and changes ahead", "List open follow-ups (flag those without an owner) and next week's risky changes with what to watch during each.", ["followups", "changes"])],
  ("digest", "Handover digest", "Write the handover digest in under 300 words: top risks for the coming week first."),
  facts=[("Pages this week", "{{pages.output.json.count}}")])

# --------------------------------------------------------------------------------------------- Health (second set)

F("Health", "readmission-risk-review", "Readmission Risk Review",
  "Find the patient groups and wards with the highest 30-day readmission rates and the discharge gaps behind them.",
  "Readmission rates by condition and ward against the benchmark, with the discharge process gaps and interventions.",
  "Every condition with more than 20 discharges has its 30-day readmission rate against the benchmark, and the worst three have interventions.",
  "Heart failure readmissions run at 24% against a 19% benchmark, and the hospital faces a payment penalty.",
  "De-identified, aggregate data only; interventions go to the clinical governance committee.",
  ["clinical-governance", "health-operations"], ["readmissions", "discharge", "quality", "heart-failure"], "medium", 6.0, 8000,
  [("rates", "Fetch readmission rates", "https://quality.example.org/api/readmissions?days=30&period=2024-Q2&deidentified=true",
    {"conditions": [{"condition": "heart failure", "discharges": 212, "readmitted": 51, "benchmark": 0.19}, {"condition": "COPD", "discharges": 140, "readmitted": 28, "benchmark": 0.18}, {"condition": "hip replacement", "discharges": 96, "readmitted": 4, "benchmark": 0.05}]}),
   ("process", "Fetch discharge process measures", "https://quality.example.org/api/discharge-process?period=2024-Q2",
    {"heart failure": {"follow_up_within_7d": 0.41, "med_reconciliation": 0.78, "weekend_discharge_share": 0.31}, "COPD": {"follow_up_within_7d": 0.62, "inhaler_technique_checked": 0.35}}),
   ("social", "Fetch social risk factors", "https://population-health.example.org/api/social-risk?conditions=heart%20failure,COPD&deidentified=true",
    {"heart failure": {"lives_alone_pct": 0.38, "no_transport_pct": 0.12}, "COPD": {"lives_alone_pct": 0.29, "smoker_pct": 0.44}})],
  [("clinical", "Rates and process gaps", "Compute readmission rates against benchmarks and relate them to discharge process gaps.", ["rates", "process"]),
   ("social_risk", "Social factors", "Describe the social risk factors that may drive readmissions in each condition.", ["social"])],
  ("interventions", "Interventions", "Propose interventions for the worst conditions (7-day follow-up calls, pharmacist reconciliation, virtual ward), each with the readmissions it could avoid per quarter.", "You are a clinical quality analyst. Flag every clinical judgement for clinician review."),
  links=["Operations"])

T("Health", "early-warning-score-audit", "Early Warning Score Audit",
  goal="Audit whether deteriorating patients' early warning scores were escalated to a doctor within the required time.",
  objective="Escalation compliance per ward for scores of 5 or more, with the delays and their pattern by time of day.",
  done="Every observation set with a score of 5 or more in the sample is checked for escalation within 30 minutes, and compliance is reported per ward and shift.",
  context="A review of a cardiac arrest found a score of 7 recorded four hours earlier without escalation.",
  constraints="- Audit data is de-identified; findings go to the deteriorating patient group, not to individuals.\n",
  depts=["clinical-governance", "nursing"], tags=["news2", "deterioration", "escalation", "patient-safety"], risk="high", roi=5.2, value=6000,
  steps=[
    put_file("obs", "Load the observation sample", "obs.csv", "obs_id,ward,time,score,escalated_min\nO-1,Medical A,02:10,6,95\nO-2,Medical A,10:30,5,20\nO-3,Surgical B,03:45,7,140\nO-4,Surgical B,14:00,5,25\nO-5,Cardiology,22:15,8,15\nO-6,Medical A,04:20,5,none\n"),
    cmd("late", "Late or missing escalations", "awk", ["-F,", "NR>1 && $4>=5 && ($5==\"none\" || $5>30) {print $2, $3, \"score\", $4, \"escalated after\", $5}", "obs.csv"], after=["obs"]),
    cmd("by_ward", "Compliance per ward", "awk", ["-F,", "NR>1 && $4>=5 {n[$2]++; if ($5!=\"none\" && $5<=30) ok[$2]++} END {for (w in n) printf \"%s %d/%d on time\\n\", w, ok[w], n[w]}", "obs.csv"], after=["obs"]),
    cmd("night", "Escalations due between 22:00 and 06:00", "grep", ["-E", ",(2[2-3]|0[0-5]):", "obs.csv"], after=["obs"]),
    llm("findings", "Audit findings", "Summarise escalation compliance per ward, the pattern by time of day, and propose improvements (night-time medical cover, automated paging from the observation system).\n\nLate or missing:\n{{late.output.stdout}}\nPer ward:\n{{by_ward.output.stdout}}\nNight observations:\n{{night.output.stdout}}", system="You are a patient safety analyst. Describe system issues, never individual blame."),
  ], check="checksum")

Q("Health", "ed-wait-time-analysis", "Emergency Department Wait Analysis",
  "Find where patients lose time in the emergency department, from arrival to decision, and which fixes would cut the four-hour breaches.",
  "Median time per stage by hour of arrival, the bottleneck stage and the fixes ranked by breaches avoided.",
  "Each stage (triage, first clinician, decision, departure) has its median by hour of arrival, the bottleneck is named, and fixes are ranked.",
  "Only 68% of patients leave within four hours against a 95% standard; the board asks where the time goes.",
  "Aggregate, de-identified stage timestamps only.",
  ["health-operations", "emergency-medicine"], ["emergency-department", "flow", "waiting-times", "four-hour-standard"], "medium", 5.0, 6000,
  [("stages", "Fetch stage times", "https://ed-flow.example.org/api/stages?period=28d&deidentified=true",
    {"attendances": 6120, "within_4h": 0.68, "median_min_by_arrival": {"08-12": {"triage": 12, "clinician": 55, "decision": 140, "departure": 210}, "12-18": {"triage": 18, "clinician": 95, "decision": 190, "departure": 280}, "18-24": {"triage": 15, "clinician": 120, "decision": 220, "departure": 330}}}),
   ("beds", "Fetch bed waits", "https://bed-management.example.org/api/ed-bed-waits?period=28d",
    {"admitted_share": 0.31, "median_wait_for_bed_min": 190, "boarding_peak": "20:00-02:00"})],
  [("bottleneck", "Bottleneck", "Find the stage and time of day where the most time is lost, separating discharged and admitted patients."),
   ("fixes", "Fixes", "Rank fixes (rapid assessment at peak, senior review at front door, earlier inpatient discharges) by four-hour breaches avoided per week.")],
  facts=[("Attendances", "{{stages.output.json.attendances}}"), ("Share within four hours", "{{stages.output.json.within_4h}}")], links=["Operations"])

Q("Health", "vaccination-coverage-gap", "Vaccination Coverage Gap",
  "Find the practices and age groups where childhood and seasonal vaccination coverage falls below target, and plan catch-up outreach.",
  "Coverage per practice and programme against target, the gaps in doses and an outreach plan.",
  "Every practice has coverage per programme, each gap below target is quantified in doses, and the worst gaps have an outreach plan.",
  "A measles outbreak in a neighbouring region started where MMR coverage had slipped to 84%.",
  "Counts only; practices contact patients through their usual channels.",
  ["public-health", "primary-care"], ["vaccination", "immunisation", "coverage", "outreach"], "medium", 5.9, 5000,
  [("coverage", "Fetch coverage by practice", "https://immunisation.example.org/api/coverage?programmes=MMR2,flu65&deidentified=true",
    {"targets": {"MMR2": 0.95, "flu65": 0.75}, "practices": [{"practice": "Riverside", "MMR2": {"eligible": 410, "vaccinated": 344}, "flu65": {"eligible": 1900, "vaccinated": 1520}}, {"practice": "Hillview", "MMR2": {"eligible": 260, "vaccinated": 249}, "flu65": {"eligible": 1200, "vaccinated": 780}}]}),
   ("barriers", "Fetch outreach history", "https://immunisation.example.org/api/outreach?practices=Riverside,Hillview",
    {"Riverside": {"reminders": "letter only", "languages_needed": ["Polish", "Somali"]}, "Hillview": {"reminders": "SMS", "clinic_hours": "weekdays 9-17"}})],
  [("gaps", "Coverage gaps", "Compute coverage against target per practice and programme and the doses needed to reach target."),
   ("outreach", "Outreach plan", "Plan outreach for the worst gaps using the barriers known (translated reminders, evening or weekend clinics, school clinics).")],
  links=["Operations"])

Q("Health", "adverse-drug-event-review", "Adverse Drug Event Review",
  "Review the month's reported adverse drug events for patterns by drug, ward and stage of the medication process.",
  "Events grouped by drug and process stage with severity, the recurring patterns and system fixes.",
  "Every reported event is classified by process stage and severity, patterns with two or more events are named, and each has a system fix.",
  "Two insulin dosing errors in one month on the same ward prompted the medication safety committee to ask for a monthly pattern review.",
  "De-identified incident reports; fixes are for the medication safety committee to approve.",
  ["pharmacy", "patient-safety", "clinical-governance"], ["medication-safety", "adverse-events", "pharmacovigilance", "incidents"], "high", 4.6, 6000,
  [("events", "Fetch reported events", "https://incident-reporting.example.org/api/events?type=medication&month=2024-06&deidentified=true",
    {"count": 5, "events": [{"drug": "insulin", "ward": "Medical A", "stage": "administration", "severity": "moderate", "detail": "units misread from handwritten chart"}, {"drug": "insulin", "ward": "Medical A", "stage": "prescribing", "severity": "low", "detail": "sliding scale not updated"}, {"drug": "enoxaparin", "ward": "Surgical B", "stage": "prescribing", "severity": "moderate", "detail": "dose not adjusted for renal function"}, {"drug": "gentamicin", "ward": "Cardiology", "stage": "monitoring", "severity": "low", "detail": "level not taken"}, {"drug": "morphine", "ward": "Surgical B", "stage": "administration", "severity": "severe", "detail": "duplicate dose at handover"}]}),
   ("alerts", "Fetch drug safety alerts", "https://drug-safety.example.org/api/alerts?drugs=insulin,enoxaparin,gentamicin,morphine",
    {"insulin": "Never abbreviate 'units'", "enoxaparin": "Adjust dose when creatinine clearance is below 30 ml/min"})],
  [("patterns", "Patterns", "Classify events by stage and severity and name the recurring patterns by drug and ward.", "You are a medication safety pharmacist. Focus on systems, not individuals."),
   ("fixes", "System fixes", "Propose a system fix per pattern (electronic prescribing rule, double check at handover, renal dosing alert) and say which national alert applies.")],
  facts=[("Events reviewed", "{{events.output.json.count}}")])

T("Health", "theatre-utilisation", "Operating Theatre Utilisation",
  goal="Measure how well operating theatre lists are used and find the causes of late starts, early finishes and cancellations.",
  objective="Utilisation per theatre and specialty, minutes lost by cause and the changes that recover the most theatre lists.",
  done="Every theatre list of the month has its utilisation, minutes lost are split into late start, early finish and turnaround, and the top causes have a fix.",
  context="Theatres run at 71% utilisation while the elective waiting list grew by 900 patients this year.",
  constraints="- Theatre list data is aggregated; no surgeon or patient is named.\n",
  depts=["health-operations", "surgery"], tags=["theatres", "utilisation", "elective-recovery", "scheduling"], risk="low", roi=6.3, value=7000,
  steps=[
    put_file("lists", "Load the theatre list log", "theatre-lists.csv", "list,theatre,specialty,planned_min,used_min,late_start_min,early_finish_min,cancellations\nS-01,T1,orthopaedics,240,190,25,25,0\nS-02,T1,orthopaedics,240,225,5,10,0\nS-03,T2,general,240,150,40,50,1\nS-04,T3,urology,240,200,30,10,0\nS-05,T2,general,240,170,35,35,1\n"),
    cmd("util", "Utilisation per specialty", "awk", ["-F,", "NR>1 {p[$3]+=$4; u[$3]+=$5} END {for (s in p) printf \"%s %.0f%%\\n\", s, u[s]/p[s]*100}", "theatre-lists.csv"], after=["lists"]),
    cmd("lost", "Minutes lost by cause", "awk", ["-F,", "NR>1 {l+=$6; e+=$7; c+=$8} END {print \"late starts\", l, \"min; early finishes\", e, \"min; cancellations\", c}", "theatre-lists.csv"], after=["lists"]),
    api("cancels", "Fetch cancellation reasons", "https://theatre-system.example.org/api/cancellations?month=2024-06",
        {"reasons": [{"reason": "no bed", "n": 6}, {"reason": "patient not fit", "n": 3}, {"reason": "list overrun", "n": 4}]}),
    llm("changes", "Changes to recover theatre time", "Explain the utilisation gaps and propose changes (first-patient-ready checks, pre-assessment, ring-fenced elective beds) with the theatre lists they recover per month.\n\nUtilisation:\n{{util.output.stdout}}\nMinutes lost: {{lost.output.stdout}}\nCancellation reasons: {{cancels.output.body}}"),
  ], links=["Operations"])

Q("Health", "referral-backlog-triage", "Referral Backlog Triage",
  "Triage the outpatient referral backlog so urgent referrals waiting too long are found and seen first.",
  "Referrals by priority and wait, those over their target wait, and a clinic capacity plan to clear them.",
  "Every waiting referral is bucketed by priority and weeks waited, each urgent one over target is listed, and a capacity plan clears the urgent backlog within four weeks.",
  "Referral letters wait for consultant grading for up to three weeks; an urgent suspected-cancer referral waited five.",
  "De-identified referral data; clinicians grade and book the patients.",
  ["health-operations", "outpatients"], ["referrals", "waiting-list", "triage", "capacity"], "high", 5.4, 6500,
  [("backlog", "Fetch the referral backlog", "https://referrals.example.org/api/backlog?specialty=dermatology&deidentified=true",
    {"total": 1460, "by_priority": {"urgent_suspected_cancer": {"waiting": 64, "over_2_weeks": 11}, "urgent": {"waiting": 210, "over_4_weeks": 58}, "routine": {"waiting": 1186, "over_18_weeks": 240}}, "ungraded": 130}),
   ("capacity", "Fetch clinic capacity", "https://outpatients.example.org/api/capacity?specialty=dermatology&weeks=4",
    {"slots_per_week": {"new_urgent": 40, "new_routine": 120}, "extra_clinics_possible": 6, "slots_per_clinic": 12, "advice_and_guidance_share": 0.2})],
  [("triage", "Backlog triage", "Summarise the backlog by priority and wait, and flag urgent suspected-cancer and urgent referrals over target as the first to book; ungraded letters need grading within 48 hours.", "You are an outpatient operations analyst. Clinical prioritisation stays with clinicians."),
   ("plan", "Capacity plan", "Plan slots and extra clinics over four weeks to clear the urgent backlog, and estimate how many routine referrals advice and guidance could resolve without a visit.")],
  facts=[("Referrals waiting", "{{backlog.output.json.total}}")], links=["Operations"])

# --------------------------------------------------------------------------------------------- Health, Finance, Wealth (additions)

T("Health", "nurse-rota-fatigue", "Nurse Rota Fatigue Check",
  goal="Check the next four weeks of nursing rotas for fatigue risks: long runs of night shifts, short rest between shifts and excessive hours.",
  objective="Rota patterns breaking the fatigue rules per ward, with the shifts to swap.",
  done="Every rostered line is checked against the four fatigue rules, each breach is listed by ward and rota line, and a swap is proposed for each.",
  context="A medication error on the fourth consecutive night shift led the trust to adopt fatigue rules; the rota tool does not enforce them.",
  constraints="- Rota lines are identified by number, not by name; rotas are not changed by the mission.\n",
  depts=["nursing", "workforce-management", "health-operations"], tags=["rostering", "fatigue", "nursing", "patient-safety"], risk="medium", roi=4.0, value=3500,
  steps=[
    put_file("rota", "Load the rota export", "rota.csv", "line,ward,consecutive_nights,min_rest_hours,hours_week_max,long_days_in_row\nR-101,Medical A,4,11,48,2\nR-102,Medical A,2,8,44,3\nR-205,Surgical B,3,12,52,2\nR-206,Surgical B,1,12,37,4\nR-310,Cardiology,2,11,40,1\n"),
    gate("rules", "Fatigue rules", max_nights=3, min_rest=11, max_hours=48, max_long_days=3),
    cmd("breaches", "Lines breaking a rule", "awk", ["-F,", "-v", "n={{rules.output.max_nights}}", "-v", "r={{rules.output.min_rest}}", "-v", "h={{rules.output.max_hours}}", "-v", "d={{rules.output.max_long_days}}", "NR>1 {b=\"\"; if ($3>n) b=b \" nights=\" $3; if ($4<r) b=b \" rest=\" $4 \"h\"; if ($5>h) b=b \" hours=\" $5; if ($6>d) b=b \" long-days=\" $6; if (b!=\"\") print $1, $2 \":\" b}", "rota.csv"], after=["rota"]),
    cmd("wards", "Breaches per ward", "awk", ["-F,", "-v", "n={{rules.output.max_nights}}", "-v", "r={{rules.output.min_rest}}", "NR>1 && ($3>n || $4<r) {c[$2]++} END {for (w in c) print w, c[w]}", "rota.csv"], after=["rota"]),
    llm("swaps", "Proposed swaps", "For each rota line breaking a rule, propose a swap or an extra rest day that fixes it without leaving a shift uncovered, and say which breaches carry the most patient-safety risk.\n\nBreaches:\n{{breaches.output.stdout}}\nPer ward:\n{{wards.output.stdout}}"),
  ], links=["HR"], check="headings")

T("Finance", "intercompany-reconciliation", "Intercompany Reconciliation",
  goal="Match intercompany balances between group entities before consolidation and explain every difference.",
  objective="Matched and unmatched intercompany pairs with the differences, their causes and the adjusting entries to propose.",
  done="Every pair of entities has receivable and payable compared in group currency, and each difference above EUR 500 has a cause and a proposed entry.",
  context="Consolidation is held up two days every quarter by intercompany differences that turn out to be FX timing and invoices booked in one entity only.",
  constraints="- Adjusting entries are proposed for the group controller; nothing is posted.\n",
  depts=["finance", "group-reporting"], tags=["intercompany", "consolidation", "reconciliation", "month-end"], risk="medium", roi=5.4, value=4000,
  steps=[
    put_file("balances", "Load intercompany balances", "intercompany.csv", "from,to,receivable_eur,payable_eur\nNL,DE,182400,182400\nNL,PT,64200,61850\nDE,UK,39000,33120\nUK,NL,12800,12800\n"),
    api("fx", "Fetch month-end FX rates", "https://fx.example.com/api/rates?date=2024-06-30&base=EUR&symbols=GBP",
        {"date": "2024-06-30", "GBP": 0.8467, "booking_rate_used_by_UK": 0.8552}),
    cmd("differences", "Differences above EUR 500", "awk", ["-F,", "NR>1 {d=$3-$4; if (d>500 || d<-500) printf \"%s-%s receivable %d payable %d difference %d\\n\", $1, $2, $3, $4, d}", "intercompany.csv"], after=["balances"]),
    cmd("matched", "Matched pairs", "awk", ["-F,", "NR>1 && $3==$4 {print $1 \"-\" $2}", "intercompany.csv"], after=["balances"]),
    llm("causes", "Causes and entries", "Explain each difference (FX rate used versus month-end rate, invoice booked on one side only, timing) and propose the adjusting entry with the entity that books it.\n\nDifferences:\n{{differences.output.stdout}}\nMatched: {{matched.output.stdout}}\nFX: {{fx.output.body}}"),
  ], facts=[("FX rate date", "{{fx.output.json.date}}")], check="checksum")

Q("Wealth", "client-onboarding-chase", "Client Onboarding Document Chase",
  "Find new wealth clients whose onboarding is stuck on missing documents and draft the adviser's chase list.",
  "Stuck onboardings with the documents missing, days waiting and the assets waiting to be invested.",
  "Every onboarding open for more than 10 days is listed with its missing documents, and each has a chase message for the adviser.",
  "New clients wait a month to invest because a proof of address or source-of-wealth letter is missing; two went to a competitor.",
  "Clients are not contacted by the mission; advisers send the chases.",
  ["wealth-operations", "client-service", "compliance"], ["onboarding", "kyc", "documents", "client-experience"], "low", 4.5, 2200,
  [("onboardings", "Fetch open onboardings", "https://crm-wealth.example.com/api/onboardings?status=open&min_days=10",
    {"count": 3, "cases": [{"client": "CL-88", "days_open": 23, "assets_pending_eur": 1200000, "missing": ["source of wealth letter"]}, {"client": "CL-91", "days_open": 14, "assets_pending_eur": 340000, "missing": ["proof of address", "tax residency form"]}, {"client": "CL-93", "days_open": 11, "assets_pending_eur": 90000, "missing": ["signed mandate"]}]}),
   ("rules", "Fetch document requirements", "https://compliance.example.com/api/requirements?type=onboarding",
    {"source of wealth letter": "from accountant or lawyer, required above EUR 1M", "proof of address": "under 3 months old", "tax residency form": "self-certification", "signed mandate": "wet or qualified e-signature"})],
  [("chase", "Chase list", "Rank stuck onboardings by assets pending and days open, and state exactly what each missing document must contain."),
   ("messages", "Chase messages", "Draft a short, friendly chase message per client for the adviser, with a checklist of what to send.")],
  facts=[("Stuck onboardings", "{{onboardings.output.json.count}}")], links=["Legal"])

# === END OF TABLE ===

# Templates whose steps show one step family each live beside this script, one table per family
# (missions/template_tables/<family>.py), written with the same helpers.
for _table in sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "template_tables", "*.py"))):
    with open(_table, encoding="utf-8") as _f:
        exec(compile(_f.read(), _table, "exec"), globals())

if __name__ == "__main__":
    main()
