# Templates whose core is an agent (a tool-calling loop whose every call passes the gate) or a
# chain of prompts (DESIGN §5.2).
#
# Exec'd into missions/generate_templates.py after its own table: the helpers (`_step`,
# `put_file`, `llm`, `T`, ...) come from there. Each agent ships a script (`simulation.agents`)
# that the simulated provider plays — its tool calls are real calls on the workspace files the
# mission writes first, gated like steps — so the templates run offline; with a real provider
# chosen in Settings the model decides the calls itself. Helpers are prefixed `ag_`.


def ag_agent(sid, name, objective, tools, turns, plan=None, strategy=None, system=None,
             max_iterations=6, after=()):
    params = {"name": name, "objective": objective, "tools": list(tools),
              "max_iterations": max_iterations}
    if system:
        params["system_message"] = system
    script = {"step": sid, "turns": turns}
    if plan:
        script["plan"] = plan
    extra = {"agent_script": script, "timeout_seconds": 300}
    if strategy:
        extra["strategy"] = strategy
    return _step(sid, "agent", name, params, after, **extra)


def ag_chain(sid, name, prompts, system=None, after=()):
    params = {"prompts": list(prompts)}
    if system:
        params["system_message"] = system
    params["max_tokens"] = 600
    return _step(sid, "chain", name, params, after, timeout_seconds=180)


def ag_call(tool, **input):
    return {"tool": tool, "input": input}


def ag_turn(thought, *calls):
    return {"thought": thought, "tool_calls": list(calls)}


def ag_answer(text):
    return {"answer": text}


# ------------------------------------------------------------------------------------ Engineering

T("Engineering", "incident-triage-agent", "Incident Triage Agent",
  goal="Let an agent read the failing service's logs and recent deploys, find the first error and the change that most likely caused it, and hand the on-call engineer a triage note.",
  objective="A triage note naming the first error, the suspect deploy and the next diagnostic step, with every file the agent read listed.",
  done="The note names the first error with its timestamp, links it to a deploy or rules deploys out, and proposes one next step; every tool call is in the timeline.",
  context="Pages at night start with twenty minutes of grepping. The agent does that reading under the perimeter: it may only read and search the workspace, so it can be trusted at 3 a.m.",
  constraints="- The agent may read and search files only; it writes nothing and calls nothing outside.\n- The note is advice for the on-call engineer, not an action.\n",
  depts=["engineering", "sre", "on-call"], tags=["agent", "incident", "triage", "logs", "deploys"],
  risk="low", roi=7.5, value=5200,
  steps=[
    put_file("log", "Write the service log", "logs/checkout.log",
             "2024-06-03T02:10:01Z INFO  checkout started version=4.18.0\n2024-06-03T02:11:40Z INFO  payments client pool=32\n2024-06-03T02:14:07Z ERROR payments timeout after 3000ms order=88213\n2024-06-03T02:14:09Z ERROR payments timeout after 3000ms order=88214\n2024-06-03T02:15:30Z WARN  retry queue depth=412\n"),
    put_file("deploys", "Write the deploy history", "deploys.json",
             "{\"deploys\": [{\"service\": \"checkout\", \"version\": \"4.18.0\", \"at\": \"2024-06-03T02:09:55Z\", \"change\": \"payments client timeout lowered from 10s to 3s\"}, {\"service\": \"search\", \"version\": \"2.7.1\", \"at\": \"2024-06-02T16:00:00Z\", \"change\": \"index refresh\"}]}\n"),
    ag_agent("triage", "Triage the incident",
             "Find the first error in logs/checkout.log, check deploys.json for a change shortly before it, and write a triage note: first error, suspect change, next step.",
             ["file_search", "read_file", "parse_json"],
             [ag_turn("Search the log for the first error.", ag_call("file_search", pattern="ERROR", path="logs")),
              ag_turn("Read the deploy history to see what changed just before 02:14.", ag_call("parse_json", path="deploys.json")),
              ag_answer("First error: 2024-06-03T02:14:07Z `payments timeout after 3000ms` (order 88213), repeated two seconds later, retry queue at 412 by 02:15.\nSuspect change: checkout 4.18.0 deployed at 02:09:55Z lowered the payments client timeout from 10s to 3s, four minutes before the first timeout.\nNext step: compare the payments p99 latency with 3s; if it is above, roll the timeout back to 10s (or roll back 4.18.0).")],
             system="You are an on-call SRE. Quote timestamps and versions exactly.",
             after=["log", "deploys"]),
  ],
  facts=[("Agent turns", "{{triage.output.iterations}}"), ("Stopped because", "{{triage.output.stopped_because}}")],
  report="incident-triage.md", check="words")

T("Engineering", "dependency-upgrade-planner", "Dependency Upgrade Planner",
  goal="Have an agent plan first, then work through the project's manifest and changelog notes to propose a safe order for this month's dependency upgrades.",
  objective="An ordered upgrade plan with the breaking change behind each risky bump and the tests to run after it.",
  done="Every outdated dependency is in the plan with its risk, the breaking ones cite the changelog line, and the plan the agent made first is shown beside its result.",
  context="Upgrades pile up because nobody wants to read five changelogs. A plan-and-solve agent reads them in the order it planned, under a read-only perimeter.",
  constraints="- The agent reads the manifest and notes only; nothing is upgraded by the mission.\n",
  depts=["engineering", "platform"], tags=["agent", "plan-and-solve", "dependencies", "upgrades"],
  risk="low", roi=4.5, value=2600,
  steps=[
    put_file("manifest", "Write the dependency manifest", "deps.json",
             "{\"dependencies\": {\"http-client\": {\"current\": \"2.4.1\", \"latest\": \"3.0.0\"}, \"json-schema\": {\"current\": \"1.9.0\", \"latest\": \"1.10.2\"}, \"logger\": {\"current\": \"0.8.3\", \"latest\": \"0.8.5\"}}}\n"),
    put_file("notes", "Write the changelog notes", "changelogs.md",
             "# http-client 3.0.0\n- BREAKING: timeouts are now per request, the global `timeout` option is removed.\n- Retries default to 0.\n\n# json-schema 1.10.2\n- Draft 2020-12 by default; 1.10.0 deprecated `draft7()`.\n\n# logger 0.8.5\n- Fixes a rare panic when the log file rotates.\n"),
    ag_agent("plan", "Plan the upgrades",
             "Propose an upgrade order for the outdated dependencies in deps.json, using changelogs.md: risk of each, breaking changes, tests to run.",
             ["parse_json", "read_file"],
             [ag_turn("Read the manifest.", ag_call("parse_json", path="deps.json")),
              ag_turn("Read the changelogs for breaking changes.", ag_call("read_file", path="changelogs.md")),
              ag_answer("1. logger 0.8.3 → 0.8.5 (low risk: bug fix for a panic on rotation). Run the logging smoke test.\n2. json-schema 1.9.0 → 1.10.2 (medium: draft 2020-12 becomes the default; replace `draft7()` calls). Run the validation suite.\n3. http-client 2.4.1 → 3.0.0 (high: the global `timeout` option is removed and retries default to 0). Set per-request timeouts and explicit retries first; run the integration tests against the payments sandbox.")],
             plan=["Read the manifest for what is outdated", "Read the changelogs for breaking changes", "Order the upgrades by risk", "Name the tests to run after each"],
             strategy="plan_and_solve", after=["manifest", "notes"]),
  ],
  facts=[("Strategy", "{{plan.output.strategy}}"), ("Agent turns", "{{plan.output.iterations}}")],
  report="upgrade-plan.md", check="headings")

# ---------------------------------------------------------------------------------------- Security

T("Security", "phishing-report-triage-agent", "Phishing Report Triage Agent",
  goal="Let an agent examine a reported email's headers and links against the blocklist and decide whether it is phishing, spam or safe, with its evidence.",
  objective="A verdict for the reported email (phishing, spam, safe) with the header and link evidence and the containment step.",
  done="The verdict cites the sender domain check, each link's match against the blocklist, and gives one containment action when it is phishing.",
  context="The phishing mailbox gets forty reports a day. An agent confined to reading the report and the blocklist does the first pass; analysts review its timeline.",
  constraints="- The agent reads the report and blocklist only; it opens no link.\n- Containment is proposed, not executed.\n",
  depts=["security", "soc"], tags=["agent", "phishing", "email", "triage"],
  risk="medium", roi=6.0, value=3900,
  steps=[
    put_file("report", "Write the reported email", "reports/msg-5521.eml.txt",
             "From: \"IT Service Desk\" <it-support@acme-helpdesk.co>\nReply-To: reset@acme-helpdesk.co\nSubject: Your password expires today\nAuthentication-Results: spf=fail dkim=none dmarc=fail\n\nClick https://acme-helpdesk.co/reset?u=jdoe to keep your account.\n"),
    put_file("blocklist", "Write the domain blocklist", "blocklist.txt",
             "acme-helpdesk.co\nacme-payroll.net\nsecure-acme-login.com\n"),
    ag_agent("verdict", "Triage the report",
             "Decide whether reports/msg-5521.eml.txt is phishing, spam or safe. Check its authentication results and every link's domain against blocklist.txt, then give the verdict, the evidence and one containment step.",
             ["read_file", "file_search"],
             [ag_turn("Read the reported message.", ag_call("read_file", path="reports/msg-5521.eml.txt")),
              ag_turn("Check the link's domain against the blocklist.", ag_call("file_search", pattern="acme-helpdesk.co", path=".", name_contains="blocklist")),
              ag_answer("Verdict: PHISHING.\nEvidence: SPF fail, no DKIM, DMARC fail; the sender and reply-to use acme-helpdesk.co, which is on the blocklist; the only link points to https://acme-helpdesk.co/reset (blocklisted) asking for a password reset.\nContainment: purge the message from all mailboxes and block acme-helpdesk.co at the mail gateway and proxy.")],
             after=["report", "blocklist"]),
  ],
  facts=[("Calls made", "{{verdict.output.usage.model_calls}}")],
  report="phishing-verdict.md", check="stamp")

# ------------------------------------------------------------------------------------------ Legal

T("Legal", "contract-clause-agent", "Contract Clause Review Agent",
  goal="Have an agent read a supplier contract against the company's clause playbook and list every clause that deviates, with the fallback wording to propose.",
  objective="A deviation list: clause, what the contract says, what the playbook requires, and the fallback wording.",
  done="Liability, termination, data protection and payment terms are each checked against the playbook, and every deviation has a proposed fallback.",
  context="Legal reviews 30 supplier contracts a month against the same playbook. The agent does the first comparison; a lawyer reviews its findings and its timeline.",
  constraints="- The agent reads the contract and playbook only; no redline is sent.\n- The output is a first review for a lawyer.\n",
  depts=["legal", "procurement"], tags=["agent", "contracts", "playbook", "review"],
  risk="medium", roi=8.0, value=6400,
  steps=[
    put_file("contract", "Write the supplier contract", "contracts/cloudhost-msa.md",
             "## 9. Liability\nSupplier's total liability is capped at the fees paid in the previous 3 months.\n\n## 12. Termination\nEither party may terminate for convenience with 12 months' notice.\n\n## 14. Data protection\nSupplier may use subprocessors without notice.\n\n## 6. Payment\nInvoices are payable within 15 days.\n"),
    put_file("playbook", "Write the clause playbook", "playbook.json",
             "{\"liability\": \"cap at 12 months of fees, uncapped for data breaches\", \"termination\": \"for convenience with at most 3 months' notice\", \"data_protection\": \"30 days' prior notice of new subprocessors with a right to object\", \"payment\": \"60 days from invoice\"}\n"),
    ag_agent("review", "Review the contract",
             "Compare contracts/cloudhost-msa.md with playbook.json clause by clause and list every deviation with the fallback wording to propose.",
             ["read_file", "parse_json"],
             [ag_turn("Read the playbook first, then the contract.", ag_call("parse_json", path="playbook.json"), ag_call("read_file", path="contracts/cloudhost-msa.md")),
              ag_answer("Four deviations.\n- §9 Liability: cap is 3 months of fees; playbook requires 12 months, uncapped for data breaches. Fallback: \"capped at the fees paid in the previous 12 months, except for breaches of §14, which are uncapped.\"\n- §12 Termination: 12 months' notice; playbook allows at most 3. Fallback: \"with 3 months' written notice.\"\n- §14 Data protection: subprocessors without notice; playbook needs 30 days' notice and a right to object. Fallback: \"Supplier gives 30 days' prior written notice of any new subprocessor; Customer may object on reasonable grounds.\"\n- §6 Payment: 15 days; playbook says 60. Fallback: \"payable within 60 days of receipt of a valid invoice.\"")],
             after=["contract", "playbook"]),
  ],
  facts=[("Stopped because", "{{review.output.stopped_because}}")],
  report="clause-review.md", check="headings")

# ---------------------------------------------------------------------------------------- Finance

T("Finance", "expense-policy-audit-agent", "Expense Policy Audit Agent",
  goal="Let an agent check the month's expense claims against the travel and expense policy and flag the claims that break it, with the rule each one breaks.",
  objective="A list of flagged claims with the policy rule, the amount over the limit and the action for the approver.",
  done="Every claim above a policy limit or missing a receipt is flagged with its rule and amount; compliant claims are counted.",
  context="Finance samples 10% of claims by hand. An agent reading all of them against the policy finds more, and its timeline shows exactly what it read.",
  constraints="- The agent reads the claims and policy only; no claim is approved or rejected by the mission.\n",
  depts=["finance", "accounts-payable"], tags=["agent", "expenses", "policy", "audit"],
  risk="low", roi=5.0, value=3100,
  steps=[
    put_file("claims", "Write the month's claims", "claims.csv",
             "claim,employee,category,amount_eur,receipt\nE-301,emp-12,hotel,410,yes\nE-302,emp-07,meal,38,yes\nE-303,emp-12,meal,95,no\nE-304,emp-19,taxi,22,yes\nE-305,emp-07,flight,1240,yes\n"),
    put_file("policy", "Write the expense policy", "policy.md",
             "- Hotel: at most EUR 250 a night.\n- Meals: at most EUR 60 a person; a receipt is required above EUR 25.\n- Flights: economy; above EUR 800 needs prior approval.\n- Taxis: receipts above EUR 50.\n"),
    ag_agent("audit", "Audit the claims",
             "Check every claim in claims.csv against policy.md and flag each one that breaks a rule: claim, rule, amount over, action for the approver.",
             ["read_file"],
             [ag_turn("Read the policy and the claims.", ag_call("read_file", path="policy.md"), ag_call("read_file", path="claims.csv")),
              ag_answer("3 of 5 claims break the policy.\n- E-301 (emp-12, hotel EUR 410): above the EUR 250 a night limit by EUR 160. Action: ask for the number of nights or reduce to the limit.\n- E-303 (emp-12, meal EUR 95, no receipt): above the EUR 60 limit by EUR 35 and no receipt above EUR 25. Action: request the receipt; reimburse at most EUR 60.\n- E-305 (emp-07, flight EUR 1240): above EUR 800 without a recorded prior approval. Action: attach the approval or escalate.\nCompliant: E-302, E-304.")],
             after=["claims", "policy"]),
  ],
  facts=[("Agent turns", "{{audit.output.iterations}}")],
  report="expense-audit.md", check="checksum")

# ------------------------------------------------------------------------------------- Operations

T("Operations", "runbook-navigator-agent", "Runbook Navigator Agent",
  goal="Give an alert to an agent that finds the matching runbook in the team's folder and turns it into the exact steps for this alert.",
  objective="The runbook that matches the alert and its steps filled in with the alert's host and values.",
  done="The matching runbook is named, its steps are rewritten for the alert's host, and the escalation contact is given.",
  context="Runbooks exist but nobody finds them at 2 a.m. The agent lists the runbooks, reads the right one and adapts it, with read-only access.",
  constraints="- The agent reads runbooks only; no remediation is executed.\n",
  depts=["operations", "sre"], tags=["agent", "runbooks", "alerts", "on-call"],
  risk="low", roi=4.0, value=2000,
  steps=[
    put_file("alert", "Write the alert", "alert.json",
             "{\"alert\": \"DiskAlmostFull\", \"host\": \"db-replica-3\", \"mount\": \"/var/lib/postgresql\", \"used_percent\": 93}\n"),
    put_file("rb_disk", "Write the disk runbook", "runbooks/disk-almost-full.md",
             "# DiskAlmostFull\n1. Check the largest folders under the mount (du -xh --max-depth=2).\n2. On database hosts, check WAL retention before deleting anything.\n3. Expand the volume if growth is organic.\nEscalate: storage on-call, #storage-oncall.\n"),
    put_file("rb_cpu", "Write the CPU runbook", "runbooks/high-cpu.md",
             "# HighCPU\n1. Find the top processes.\n2. Check recent deploys.\nEscalate: service owner.\n"),
    ag_agent("navigate", "Find and adapt the runbook",
             "Read alert.json, find the matching runbook under runbooks/, and rewrite its steps for this alert's host and mount, with the escalation contact.",
             ["parse_json", "list_directory", "read_file"],
             [ag_turn("Read the alert, then list the runbooks.", ag_call("parse_json", path="alert.json"), ag_call("list_directory", path="runbooks")),
              ag_turn("The disk runbook matches DiskAlmostFull.", ag_call("read_file", path="runbooks/disk-almost-full.md")),
              ag_answer("Runbook: runbooks/disk-almost-full.md (DiskAlmostFull).\nFor db-replica-3, /var/lib/postgresql at 93%:\n1. On db-replica-3 run `du -xh --max-depth=2 /var/lib/postgresql` and note the largest folders.\n2. It is a database replica: check WAL retention (replication slots, wal_keep_size) before deleting anything.\n3. If growth is organic, expand the volume.\nEscalate to storage on-call in #storage-oncall.")],
             after=["alert", "rb_disk", "rb_cpu"]),
  ],
  facts=[("Runbook calls", "{{navigate.output.iterations}}")],
  report="runbook-steps.md", check="words")

# ----------------------------------------------------------------------------------------- Health

T("Health", "discharge-checklist-agent", "Discharge Checklist Agent",
  goal="Let an agent check a patient's discharge bundle for missing items against the ward's discharge checklist before the patient leaves.",
  objective="The checklist with each item marked present or missing, and who must complete each missing item.",
  done="Every checklist item is marked, each missing item names its owner, and no patient identifier beyond the bundle id appears in the result.",
  context="Discharges are delayed by a missing letter or prescription found at the door. The agent checks the bundle as soon as it is assembled.",
  constraints="- The bundle is pseudonymised; the agent quotes only the bundle id.\n- The agent reads only; it changes no record.\n",
  depts=["health", "ward-operations"], tags=["agent", "discharge", "checklist", "patient-flow"],
  risk="medium", roi=5.5, value=4100,
  steps=[
    put_file("bundle", "Write the discharge bundle index", "bundle-7731.json",
             "{\"bundle\": \"B-7731\", \"items\": {\"discharge_letter\": true, \"medication_reconciliation\": true, \"prescription\": false, \"follow_up_appointment\": false, \"transport\": true}}\n"),
    put_file("checklist", "Write the ward checklist", "checklist.md",
             "- discharge_letter: ward doctor\n- medication_reconciliation: pharmacist\n- prescription: ward doctor\n- follow_up_appointment: ward clerk\n- transport: nurse in charge\n"),
    ag_agent("check", "Check the bundle",
             "Check bundle-7731.json against checklist.md: mark each item present or missing and name who completes each missing one.",
             ["parse_json", "read_file"],
             [ag_turn("Read the bundle and the checklist.", ag_call("parse_json", path="bundle-7731.json"), ag_call("read_file", path="checklist.md")),
              ag_answer("Bundle B-7731: 3 of 5 items present.\n- discharge_letter: present\n- medication_reconciliation: present\n- prescription: MISSING — ward doctor\n- follow_up_appointment: MISSING — ward clerk\n- transport: present\nThe patient should not leave before the prescription is written.")],
             after=["bundle", "checklist"]),
  ],
  facts=[("Stopped because", "{{check.output.stopped_because}}")],
  report="discharge-check.md", check="stamp")

# ------------------------------------------------------------------------------------------- Sales

T("Sales", "account-brief-agent", "Account Brief Agent",
  goal="Have an agent gather what the CRM export and meeting notes say about an account and write the brief a seller reads before the renewal call.",
  objective="A one-page account brief: usage trend, open issues, stakeholders, renewal risk and the ask for the call.",
  done="The brief cites usage figures and open tickets from the files, names the stakeholders, and ends with a renewal risk and one ask.",
  context="Sellers spend an hour per renewal stitching the CRM and notes together. The agent does it with read access to the exported files.",
  constraints="- The agent reads the exports only; nothing is written to the CRM.\n",
  depts=["sales", "customer-success"], tags=["agent", "renewal", "account-brief", "crm"],
  risk="low", roi=6.0, value=3600,
  steps=[
    put_file("crm", "Write the CRM export", "crm/northwind.json",
             "{\"account\": \"Northwind Logistics\", \"arr_eur\": 186000, \"renewal\": \"2024-09-30\", \"seats_licensed\": 400, \"seats_active\": [312, 298, 271], \"open_tickets\": [{\"id\": \"T-981\", \"severity\": \"high\", \"subject\": \"Route export times out\"}]}\n"),
    put_file("notes", "Write the meeting notes", "notes/northwind-qbr.md",
             "QBR 2024-05-14. Attendees: Dana Reyes (VP Ops, sponsor), Lee Park (IT lead). Dana: export timeouts block the monthly board report. Lee: evaluating a cheaper routing tool for two depots.\n"),
    ag_agent("brief", "Write the account brief",
             "Write the renewal brief for Northwind Logistics from crm/northwind.json and notes/northwind-qbr.md: usage trend, open issues, stakeholders, renewal risk, the ask.",
             ["parse_json", "read_file"],
             [ag_turn("Read the CRM export and the QBR notes.", ag_call("parse_json", path="crm/northwind.json"), ag_call("read_file", path="notes/northwind-qbr.md")),
              ag_answer("Northwind Logistics — ARR EUR 186,000, renews 2024-09-30.\nUsage: active seats fell 312 → 298 → 271 of 400 licensed (68%).\nOpen issue: T-981 (high) route export times out — it blocks the sponsor's monthly board report.\nStakeholders: Dana Reyes (VP Ops, sponsor), Lee Park (IT lead, evaluating a cheaper routing tool for two depots).\nRenewal risk: HIGH (falling usage, a blocking ticket, a competitor in evaluation).\nAsk for the call: commit a fix date for T-981 and propose right-sizing to 320 seats with a 2-year term.")],
             after=["crm", "notes"]),
  ],
  facts=[("Agent turns", "{{brief.output.iterations}}")],
  report="account-brief.md", check="headings")

# --------------------------------------------------------------------------------------- Research

T("Research", "abstract-to-summary-chain", "Abstract to Lay Summary Chain",
  goal="Turn a paper's abstract into a lay summary through a chain of prompts: extract the claims, check them against the abstract, then write for a general reader.",
  objective="A lay summary of the paper whose claims were extracted and checked in earlier links of the chain.",
  done="The chain's three answers are kept: the claims, the check and the summary; the summary makes no claim the check rejected.",
  context="The research office publishes lay summaries of staff papers. A chain keeps the steps apart so each answer can be reviewed.",
  constraints="- Only the abstract is used; no claim is added.\n",
  depts=["research", "communications"], tags=["chain", "summaries", "papers", "plain-language"],
  risk="low", roi=3.0, value=900,
  steps=[
    put_file("abstract", "Write the abstract", "abstract.txt",
             "We measured soil moisture at 48 vineyard sites over three seasons. Drip irrigation scheduled from soil sensors used 23% less water than calendar scheduling with no loss in yield (p = 0.41). Savings were largest on sandy soils.\n"),
    read("text", "Read the abstract", "abstract.txt", after=["abstract"]),
    ag_chain("summary", "Claims, check, lay summary",
             ["List the factual claims of this abstract, one per line:\n\n{{text.output.content}}",
              "Check each claim below against the abstract and mark it SUPPORTED or NOT SUPPORTED.\n\nClaims:\n{{previous}}\n\nAbstract:\n{{text.output.content}}",
              "Write a 90-word lay summary for a general reader using only the SUPPORTED claims:\n\n{{previous}}"],
             system="You write plainly and never add facts."),
  ],
  facts=[("Links in the chain", "3")],
  report="lay-summary.md", check="words")

# -------------------------------------------------------------------------------------- Marketing

T("Marketing", "launch-copy-chain", "Launch Copy Chain",
  goal="Write launch copy in a chain: the message house from the product notes, then the headline options, then the final announcement that uses the chosen headline.",
  objective="A message house, three headline options and a 120-word announcement, each step building on the last.",
  done="The chain keeps all three answers; the announcement uses the first headline and the message house's proof points.",
  context="Launch copy goes through three rounds of review. Keeping each round as a link of a chain makes the reviews faster and the history visible.",
  constraints="- Claims come from the product notes only.\n",
  depts=["marketing", "product-marketing"], tags=["chain", "copywriting", "launch", "messaging"],
  risk="low", roi=3.5, value=1200,
  steps=[
    put_file("notes", "Write the product notes", "product-notes.md",
             "Feature: offline mode for the field app. Works for 72 hours without signal; syncs conflicts automatically; tested by 40 field engineers in a 6-week beta with 0 data loss.\n"),
    read("brief", "Read the product notes", "product-notes.md", after=["notes"]),
    ag_chain("copy", "Message house, headlines, announcement",
             ["Build a message house (one core message, three pillars, one proof point each) from these notes:\n\n{{brief.output.content}}",
              "Write three headline options for this message house:\n\n{{previous}}",
              "Write a 120-word announcement that uses the first headline below and the message house's proof points.\n\nHeadlines:\n{{previous}}\n\nMessage house:\n{{answers.1}}"],
             system="You are a product marketer. No superlatives without a proof point."),
  ],
  facts=[("Links in the chain", "3")],
  report="launch-copy.md", check="checksum")
