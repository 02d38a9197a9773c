# Templates whose core is retrieval over the knowledge store (DESIGN §5.3): documents added with
# `rag_add` (chunked, embedded, indexed for keyword search) and found again with `rag_query`
# (hybrid BM25 + vector ranking), answered by an `llm`, a `chain` or an `agent` that calls
# `rag_query` as a tool.
#
# Exec'd into missions/generate_templates.py after its own table: the helpers (`_step`,
# `put_file`, `llm`, `T`, and the `ag_` helpers of agents.py) come from there. The embedder is
# the built-in `local` one (lexical, offline), so the templates run anywhere; each template
# keeps its documents in a collection of its own, and adding a document id again replaces it,
# so runs do not pile up copies. Helpers are prefixed `kn_`.

OUTPUT_FIELDS.update({
    "rag_add": ["id", "collection", "chunks", "characters", "replaced", "store", "model", "provider",
                "lexical", "dimensions", "simulated", "usage"],
    "rag_query": ["results", "count", "query", "store", "model", "provider", "lexical", "dimensions",
                  "simulated", "usage"],
    "similarity_search": ["results", "count", "candidates", "model", "provider", "lexical",
                          "dimensions", "simulated", "usage"],
    "generate_embedding": ["embedding", "embeddings", "dimensions", "model", "provider", "lexical",
                           "simulated", "usage"],
})


def kn_add(sid, name, path, doc_id, collection, metadata=None, source=None, after=()):
    params = {"id": doc_id, "content_file": path, "collection": collection}
    if metadata:
        params["metadata"] = metadata
    if source:
        params["source"] = source
    params["chunk_size"] = 600
    return _step(sid, "rag_add", name, params, after)


def kn_query(sid, name, query, collection, top_k=3, filter=None, after=()):
    params = {"query": query, "collection": collection, "top_k": top_k}
    if filter:
        params["filter"] = filter
    return _step(sid, "rag_query", name, params, after)


# --------------------------------------------------------------------------------------------- HR

T("HR", "handbook-answer-desk", "Handbook Answer Desk",
  goal="Answer an employee's policy question from the handbook itself: the relevant sections are retrieved from the knowledge store and the answer quotes them.",
  objective="An answer to the question with the handbook sections it rests on, and a note when the handbook is silent.",
  done="The answer cites at least one retrieved section by its source, and says plainly when no section covers the question.",
  context="People ask HR the same twenty questions. The handbook answers most of them, but nobody finds the right section. Retrieval from the knowledge store finds it; the model only phrases the answer.",
  constraints="- Answers come from the handbook sections retrieved; nothing is invented.\n- Individual cases (pay, health) are referred to an HR partner.\n",
  depts=["hr", "people-operations"], tags=["rag", "handbook", "policy", "employee-questions"],
  risk="low", roi=5.0, value=2400,
  steps=[
    put_file("leave", "Write the leave section", "handbook/leave.md",
             "# Leave\nEvery employee has 25 days of paid leave a year, plus public holidays. Up to 5 unused days carry over to the next year and must be taken by 31 March. Parental leave is 16 weeks at full pay for every parent.\n"),
    put_file("remote", "Write the remote work section", "handbook/remote.md",
             "# Remote work\nEmployees may work remotely up to 3 days a week. Working from another country is allowed for up to 20 working days a year with the manager's approval and a tax check by HR.\n"),
    put_file("expenses", "Write the equipment section", "handbook/equipment.md",
             "# Equipment\nA home office budget of EUR 500 is paid once, on joining, against receipts. Laptops are replaced every 4 years.\n"),
    kn_add("add_leave", "Index the leave section", "handbook/leave.md", "handbook-leave", "hr-handbook", {"section": "leave"}, after=["leave"]),
    kn_add("add_remote", "Index the remote work section", "handbook/remote.md", "handbook-remote", "hr-handbook", {"section": "remote"}, after=["remote"]),
    kn_add("add_equipment", "Index the equipment section", "handbook/equipment.md", "handbook-equipment", "hr-handbook", {"section": "equipment"}, after=["expenses"]),
    kn_query("find", "Retrieve the sections for the question", "Can I work from Portugal for two weeks?", "hr-handbook",
             after=["add_leave", "add_remote", "add_equipment"]),
    llm("answer", "Answer from the handbook",
        "Answer the employee's question using only these handbook sections. Quote the rule and name its section; if they do not cover it, say so and refer to an HR partner.\n\nQuestion: Can I work from Portugal for two weeks?\n\nSections (best first):\n{{find.output.results}}",
        system="You are an HR partner. Be brief and exact."),
  ],
  facts=[("Best section", "{{find.output.results.0.id}}"), ("Its score", "{{find.output.results.0.score}}"),
         ("Embedder", "{{find.output.model}}")],
  report="handbook-answer.md", check="words")

# ------------------------------------------------------------------------------------ Engineering

T("Engineering", "postmortem-memory-agent", "Postmortem Memory Agent",
  goal="Give an incident to an agent that searches the team's past postmortems in the knowledge store and says whether this has happened before and what fixed it.",
  objective="The past incidents that match the new one, what fixed them, and the first thing to try now.",
  done="The agent's answer names the matching postmortems with their dates and fixes, found through its own `rag_query` calls, all in its timeline.",
  context="The same outages come back every few quarters and the fix is rediscovered at 3 a.m. The postmortems are indexed once; the agent queries them like an engineer with a good memory would.",
  constraints="- The agent reads the knowledge store and workspace only; it changes nothing.\n",
  depts=["engineering", "sre"], tags=["rag", "agent", "postmortems", "incidents"],
  risk="low", roi=6.5, value=4200,
  steps=[
    put_file("pm1", "Write the March postmortem", "postmortems/2024-03-db-pool.md",
             "# 2024-03-12 checkout outage\nCause: the database connection pool (20) was exhausted after a deploy doubled the workers. Fix: pool raised to 60 and a saturation alert at 80%.\n"),
    put_file("pm2", "Write the May postmortem", "postmortems/2024-05-dns.md",
             "# 2024-05-02 search latency\nCause: DNS resolver timeouts after a resolver upgrade. Fix: resolver rolled back; a local DNS cache added.\n"),
    put_file("incident", "Write the new incident", "incident.md",
             "Checkout errors since 14:05: 'timeout acquiring connection from pool'. A deploy at 13:58 raised the worker count from 8 to 16.\n"),
    kn_add("add_pm1", "Index the March postmortem", "postmortems/2024-03-db-pool.md", "pm-2024-03-12", "postmortems", {"service": "checkout"}, after=["pm1"]),
    kn_add("add_pm2", "Index the May postmortem", "postmortems/2024-05-dns.md", "pm-2024-05-02", "postmortems", {"service": "search"}, after=["pm2"]),
    ag_agent("recall", "Recall similar incidents",
             "Read incident.md, search the postmortems collection for similar past incidents, and say what fixed them and what to try first now.",
             ["read_file", "rag_query"],
             [ag_turn("Read the new incident.", ag_call("read_file", path="incident.md")),
              ag_turn("Search the postmortems for connection pool exhaustion.", ag_call("rag_query", query="connection pool exhausted after deploy workers", collection="postmortems", top_k=2)),
              ag_answer("This happened before: pm-2024-03-12 (checkout outage, 2024-03-12) — the database connection pool (20) was exhausted after a deploy doubled the workers; it was fixed by raising the pool to 60 and alerting at 80% saturation.\nNow: the 13:58 deploy doubled workers from 8 to 16 and the errors are 'timeout acquiring connection from pool' — the same pattern. First try: raise the pool size (or roll the worker count back to 8), then check the saturation alert fired.\nThe DNS incident (pm-2024-05-02) does not match.")],
             after=["incident", "add_pm1", "add_pm2"]),
  ],
  facts=[("Agent turns", "{{recall.output.iterations}}"), ("Stopped because", "{{recall.output.stopped_because}}")],
  report="incident-recall.md", check="headings")

# ----------------------------------------------------------------------------------------- Health

T("Health", "guideline-retrieval-brief", "Clinical Guideline Retrieval Brief",
  goal="Retrieve the passages of the ward's local guidelines that answer a clinical question, restricted to the current versions, and brief the nurse in charge with citations.",
  objective="A short brief answering the question, each statement citing the guideline passage it comes from.",
  done="Only current guideline versions are retrieved (metadata filter), and every statement of the brief cites one of them.",
  context="Local guidelines change twice a year and old versions linger in shared folders. The knowledge store keeps their status as metadata, so retrieval only returns the current ones.",
  constraints="- Only guidelines marked current are used.\n- The brief supports, never replaces, clinical judgement.\n",
  depts=["health", "nursing", "clinical-governance"], tags=["rag", "guidelines", "clinical", "citations"],
  risk="medium", roi=4.5, value=3000,
  steps=[
    put_file("g_new", "Write the current sepsis guideline", "guidelines/sepsis-v4.md",
             "Sepsis screening v4 (current): screen every adult with NEWS2 of 5 or more. Take blood cultures and lactate before antibiotics; give antibiotics within 1 hour of recognition.\n"),
    put_file("g_old", "Write the superseded sepsis guideline", "guidelines/sepsis-v3.md",
             "Sepsis screening v3 (superseded): screen adults with NEWS2 of 7 or more; antibiotics within 3 hours.\n"),
    kn_add("add_new", "Index the current version", "guidelines/sepsis-v4.md", "sepsis-v4", "ward-guidelines", {"status": "current", "topic": "sepsis"}, after=["g_new"]),
    kn_add("add_old", "Index the superseded version", "guidelines/sepsis-v3.md", "sepsis-v3", "ward-guidelines", {"status": "superseded", "topic": "sepsis"}, after=["g_old"]),
    kn_query("find", "Retrieve current guidance", "When must antibiotics be given for suspected sepsis and at what NEWS2 score do we screen?", "ward-guidelines",
             filter={"status": "current"}, after=["add_new", "add_old"]),
    llm("brief", "Brief for the nurse in charge",
        "Write a 5-line brief answering: when do we screen for sepsis and how fast must antibiotics be given? Cite the guideline id after each statement. Use only these passages:\n\n{{find.output.results}}",
        system="You are a clinical nurse educator. Cite every statement."),
  ],
  facts=[("Passages retrieved", "{{find.output.count}}"), ("Guideline used", "{{find.output.results.0.id}}")],
  report="guideline-brief.md", check="stamp")

# --------------------------------------------------------------------------------------- Research

T("Research", "related-work-finder", "Related Work Finder",
  goal="Index the group's paper abstracts and retrieve the ones closest to a new manuscript's abstract, then draft its related-work paragraph from them.",
  objective="The three closest abstracts with their scores and a related-work paragraph that cites them.",
  done="Three abstracts are retrieved with scores and sources, and the paragraph cites each by its id.",
  context="Every manuscript's related-work section is written from memory and misses the group's own earlier papers. Retrieval over their abstracts fixes that.",
  constraints="- Only the indexed abstracts are cited.\n",
  depts=["research", "publications"], tags=["rag", "literature", "related-work", "abstracts"],
  risk="low", roi=3.5, value=1500,
  steps=[
    put_file("a1", "Write abstract 1", "abstracts/soil-sensors.txt",
             "Soil moisture sensors guiding drip irrigation cut vineyard water use by 23% without yield loss across 48 sites.\n"),
    put_file("a2", "Write abstract 2", "abstracts/canopy-thermal.txt",
             "Thermal imaging of vine canopies detects water stress two days before visible wilting, enabling targeted irrigation.\n"),
    put_file("a3", "Write abstract 3", "abstracts/grape-prices.txt",
             "Wholesale grape prices in southern Europe followed export demand more than harvest size between 2010 and 2020.\n"),
    kn_add("add1", "Index abstract 1", "abstracts/soil-sensors.txt", "soil-sensors-2023", "group-abstracts", {"year": 2023}, after=["a1"]),
    kn_add("add2", "Index abstract 2", "abstracts/canopy-thermal.txt", "canopy-thermal-2022", "group-abstracts", {"year": 2022}, after=["a2"]),
    kn_add("add3", "Index abstract 3", "abstracts/grape-prices.txt", "grape-prices-2021", "group-abstracts", {"year": 2021}, after=["a3"]),
    kn_query("closest", "Retrieve the closest abstracts", "precision irrigation of vineyards using sensors to detect water stress", "group-abstracts",
             after=["add1", "add2", "add3"]),
    llm("related", "Related-work paragraph",
        "Draft a related-work paragraph for a manuscript on sensor-driven precision irrigation of vineyards, citing each relevant abstract below by its id in brackets and leaving out the irrelevant ones:\n\n{{closest.output.results}}"),
  ],
  facts=[("Closest abstract", "{{closest.output.results.0.id}}"), ("Its score", "{{closest.output.results.0.score}}")],
  report="related-work.md", check="checksum")

# ------------------------------------------------------------------------------------------- Sales

T("Sales", "objection-playbook-chain", "Objection Playbook Chain",
  goal="Retrieve the playbook entries for a prospect's objection from the knowledge store, then write the reply in a chain: the objection's root, the proof points, the email.",
  objective="A reply email to the prospect's objection, built from the retrieved playbook entries in three linked steps.",
  done="The playbook entries are retrieved with their scores, the chain keeps all three answers, and the email uses at least one proof point from the playbook.",
  context="Sellers answer the same objections with different, sometimes wrong, claims. The playbook is indexed; retrieval finds the right entry and the chain keeps the reasoning reviewable.",
  constraints="- Claims come from the playbook only; no discount is offered.\n",
  depts=["sales", "enablement"], tags=["rag", "chain", "objections", "playbook"],
  risk="low", roi=4.0, value=1900,
  steps=[
    put_file("price", "Write the price objection entry", "playbook/price.md",
             "Objection: too expensive. Root: value not quantified. Proof: customers cut routing time 31% on average; payback in 5 months for fleets above 50 vehicles.\n"),
    put_file("security", "Write the security objection entry", "playbook/security.md",
             "Objection: data security. Root: unknown certifications. Proof: ISO 27001 certified; EU data residency; annual penetration test summaries on request.\n"),
    kn_add("add_price", "Index the price entry", "playbook/price.md", "objection-price", "sales-playbook", after=["price"]),
    kn_add("add_security", "Index the security entry", "playbook/security.md", "objection-security", "sales-playbook", after=["security"]),
    kn_query("entries", "Retrieve the playbook entries", "your platform is too expensive for our budget", "sales-playbook", top_k=2,
             after=["add_price", "add_security"]),
    ag_chain("reply", "Root, proof points, email",
             ["From these playbook entries, name the root of the objection 'your platform is too expensive for our budget':\n\n{{entries.output.results}}",
              "List the proof points from the playbook entries that answer this root:\n\n{{previous}}\n\nEntries:\n{{entries.output.results}}",
              "Write a 100-word reply email to the prospect using these proof points, with no discount:\n\n{{previous}}"],
             system="You are a senior account executive. Quote numbers exactly as the playbook gives them."),
  ],
  facts=[("Best entry", "{{entries.output.results.0.id}}"), ("Entries retrieved", "{{entries.output.count}}")],
  report="objection-reply.md", check="words")
