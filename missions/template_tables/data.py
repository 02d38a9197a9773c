# Templates of the data family: csv_process, parse_xml, validate_schema.
#
# Exec'd into missions/generate_templates.py after its own table (see the loop at its end): the
# helpers (`_step`, `put_file`, `llm`, `T`, ...) and OUTPUT_FIELDS come from there. Each template
# ships its sample data inline (a `put_file` step) and runs offline: no service is reached.

OUTPUT_FIELDS.update({
    "csv_process": ["rows_in", "rows_out", "columns", "operations", "statistics", "validation",
                    "output_file", "preview"],
    "parse_xml": ["value", "root"],
    "validate_schema": ["valid", "error_count", "errors", "truncated"],
})


def csv(sid, name, input_file, operations, output_file=None, after=()):
    """A csv_process step over a workspace file: `operations` applied in order."""
    params = {"input_file": input_file}
    if output_file:
        params["output_file"] = output_file
    params["operations"] = operations
    return _step(sid, "csv_process", name, params, after)


def xml(sid, name, path, after=()):
    return _step(sid, "parse_xml", name, {"path": path}, after)


def schema_check(sid, name, data, schema=None, schema_path=None, fail_on_invalid=True, after=()):
    params = {"data": data}
    if schema_path:
        params["schema_path"] = schema_path
    else:
        params["schema"] = schema
    if not fail_on_invalid:
        params["fail_on_invalid"] = False
    return _step(sid, "validate_schema", name, params, after)


# --------------------------------------------------------------------------------------- Finance

T("Finance", "sales-export-cleanup", "Sales Export Cleanup and Regional Totals",
  goal="Turn the month's raw sales export into a clean ledger-ready file and regional totals, listing every row left out and why.",
  objective="A de-duplicated, typed sales file, revenue per region, and the rows that could not be booked with their reason.",
  done="The clean file holds only rows with a valid amount and date, each region has its total and average invoice, and every row left out is listed with its row number and problem.",
  context="The CRM export that feeds month-end arrives with thousands separators, 'n/a' amounts, impossible dates and invoices exported twice. Accountants fix it by hand in a spreadsheet every month; the fixes are not recorded and the totals drift from the ledger.",
  constraints="- The raw export is kept as received; corrections go to a new file.\n- A row that cannot be booked is left out and reported, never guessed.\n",
  depts=["finance", "accounting", "revenue-operations"], tags=["sales", "data-quality", "month-end", "csv", "ledger"],
  risk="low", roi=5.5, value=2600,
  steps=[
    put_file("export", "Load the sales export", "sales_export.csv",
             "Invoice No,Region,Customer,Amount (EUR),Booked On\n"
             "INV-1001,EMEA,Alder GmbH,\"12,400.00\",2024-06-03\n"
             "INV-1002, APAC ,Kiwi Ltd,\"3,150.50\",2024-06-04\n"
             "INV-1003,EMEA,Birch SA,n/a,2024-06-05\n"
             "INV-1002,APAC,Kiwi Ltd,\"3,150.50\",2024-06-04\n"
             "INV-1004,AMER,Cedar Inc,\"8,720.25\",2024-06-31\n"
             "INV-1005,AMER,Dogwood LLC,\"1,980.00\",2024-06-07\n"
             "INV-1006,EMEA,Elm BV,\"5,600.75\",2024-06-10\n"),
    csv("clean", "Clean, de-duplicate and check the rows", "sales_export.csv", [
        {"normalize": {"numbers": True}},
        {"dedupe": {"columns": ["invoice_no"]}},
        {"validate": {"types": {"amount_eur": "number", "booked_on": "date"}, "required": ["amount_eur"],
                      "unique": ["invoice_no"], "fail_on_invalid": False, "drop_invalid": True}},
    ], output_file="sales_clean.csv", after=["export"]),
    csv("totals", "Revenue per region", "sales_clean.csv", [
        {"aggregate": {"group_by": "region", "metrics": {"amount_eur": ["sum", "mean"]}}},
        {"sort": {"by": "amount_eur_sum", "descending": True}},
    ], output_file="region_totals.csv", after=["clean"]),
    csv("stats", "Invoice amount figures", "sales_clean.csv", [{"statistics": ["amount_eur"]}], after=["clean"]),
    llm("commentary", "Month-end commentary",
        "Write the month-end sales note for the controller: revenue by region, the average invoice, and what must be fixed in the CRM before the rows left out can be booked.\n\n"
        "Regional totals: {{totals.output.preview}}\nInvoice amount figures: {{stats.output.statistics.amount_eur}}\n"
        "Rows left out: {{clean.output.validation.errors}}",
        system="You are a financial controller. Quote amounts in EUR exactly as given and never invent a figure."),
  ],
  facts=[("Rows in the export", "{{clean.output.rows_in}}"), ("Rows booked", "{{clean.output.rows_out}}"),
         ("Rows left out", "{{clean.output.validation.invalid_rows}}"),
         ("Revenue booked (EUR)", "{{stats.output.statistics.amount_eur.sum}}")],
  sections=[("Revenue per region", "```json\n{{totals.output.preview}}\n```"),
            ("Rows left out", "```json\n{{clean.output.validation.errors}}\n```")],
  extra_outputs=["sales_clean.csv", "region_totals.csv"], check="headings")

# ------------------------------------------------------------------------------------ Operations

DELIVERY_SCHEMA = """{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["deliveries"],
  "properties": {
    "deliveries": {
      "type": "object",
      "required": ["@supplier", "delivery"],
      "properties": {
        "delivery": {
          "type": "array",
          "items": {
            "type": "object",
            "required": ["@id", "@status", "sku", "qty", "promised", "received"],
            "properties": {
              "@status": {"enum": ["on_time", "late"]},
              "qty": {"type": "string", "pattern": "^[0-9]+$"}
            }
          }
        }
      }
    }
  }
}
"""

T("Operations", "supplier-delivery-feed-check", "Supplier Delivery Feed Check",
  goal="Check the supplier's weekly XML delivery feed against the agreed record format and match it with the warehouse's goods receipts.",
  objective="The feed's format violations, the late deliveries, and the receipts still waiting for inspection.",
  done="Every delivery record that breaks the agreed format is listed with its path, late deliveries are named, and every receipt not yet inspected is listed with its quantity.",
  context="Nordic Fasteners sends a weekly XML feed of deliveries; the ERP import rejects a record silently when a field is missing, and the warehouse keeps its own receipt sheet. Planners found the gaps only when a line stopped for lack of washers.",
  constraints="- The feed and the receipt sheet are read, never corrected in place.\n- The supplier is not contacted by the mission: the planner sends the follow-ups.\n",
  depts=["operations", "procurement", "warehouse"], tags=["supplier", "xml", "deliveries", "goods-receipt", "data-quality"],
  risk="low", roi=4.0, value=1800,
  steps=[
    put_file("feed", "Load the supplier's delivery feed", "deliveries.xml",
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<deliveries supplier=\"Nordic Fasteners\" week=\"2024-W27\">\n"
             "  <delivery id=\"D-501\" status=\"on_time\"><sku>BOLT-M8</sku><qty>1200</qty><promised>2024-07-01</promised><received>2024-07-01</received></delivery>\n"
             "  <delivery id=\"D-502\" status=\"late\"><sku>NUT-M8</sku><qty>800</qty><promised>2024-07-02</promised><received>2024-07-05</received></delivery>\n"
             "  <delivery id=\"D-503\" status=\"late\"><sku>WASHER-8</sku><promised>2024-07-03</promised><received>2024-07-04</received></delivery>\n"
             "  <delivery id=\"D-504\" status=\"on_time\"><sku>BOLT-M10</sku><qty>600</qty><promised>2024-07-04</promised><received>2024-07-04</received></delivery>\n"
             "</deliveries>\n"),
    put_file("format", "Load the agreed record format", "delivery.schema.json", DELIVERY_SCHEMA),
    xml("parsed", "Read the feed", "deliveries.xml", after=["feed"]),
    schema_check("conform", "Check the feed against the format", "{{parsed.output.value}}",
                 schema_path="delivery.schema.json", fail_on_invalid=False, after=["format"]),
    put_file("receipts", "Load the warehouse receipts", "receipts.csv",
             "delivery,sku,qty_received,inspected\nD-501,BOLT-M8,1200,yes\nD-502,NUT-M8,760,yes\nD-503,WASHER-8,500,no\nD-504,BOLT-M10,600,no\n"),
    csv("uninspected", "Receipts waiting for inspection", "receipts.csv", [
        {"validate": {"types": {"qty_received": "integer", "inspected": "boolean"}, "required": ["delivery", "sku"]}},
        {"filter": {"column": "inspected", "op": "==", "value": "no", "ignore_case": True}},
        {"select": ["delivery", "sku", "qty_received"]},
    ], output_file="uninspected.csv", after=["receipts"]),
  ],
  facts=[("Feed root element", "{{parsed.output.root}}"), ("Format violations", "{{conform.output.error_count}}"),
         ("Receipts waiting for inspection", "{{uninspected.output.rows_out}}")],
  sections=[("Format violations", "```json\n{{conform.output.errors}}\n```"),
            ("Deliveries in the feed", "```json\n{{parsed.output.value}}\n```"),
            ("Receipts waiting for inspection", "```json\n{{uninspected.output.preview}}\n```\n\nEach is inspected before its stock is released to the line.")],
  extra_outputs=["uninspected.csv"], check="checksum")

# -------------------------------------------------------------------------------------- Research

T("Research", "dose-response-summary", "Dose-Response Trial Summary",
  goal="Summarise a small dose-finding trial: check the measurements, then report the response per dose arm with its spread.",
  objective="Validated measurements, mean, minimum and maximum response per arm, and the overall spread, with the caveats a reviewer needs.",
  done="Every measurement is either used or listed as left out with its reason, each dose arm has its mean, range and count, and the summary states the uncertainty of each comparison.",
  context="The trial team exports measurements from the electronic case report form as CSV. Before the weekly science review someone recomputes the arm summaries by hand, and incomplete records have slipped into the means twice.",
  constraints="- Measurements are never imputed: an incomplete record is left out and reported.\n- Summaries are descriptive; no efficacy claim is made from this data.\n",
  depts=["research", "biostatistics", "clinical-operations"], tags=["trial", "dose-response", "statistics", "csv", "data-quality"],
  risk="low", roi=4.5, value=2200,
  steps=[
    put_file("trials", "Load the trial measurements", "trials.csv",
             "subject,arm,dose_mg,response,measured_on\nS01,placebo,0,2.1,2024-03-04\nS02,placebo,0,1.8,2024-03-04\n"
             "S03,low,10,3.9,2024-03-05\nS04,low,10,4.4,2024-03-05\nS05,low,10,,2024-03-06\nS06,high,40,7.2,2024-03-06\n"
             "S07,high,40,6.5,2024-03-07\nS08,high,40,8.1,2024-03-07\nS09,placebo,0,2.6,2024-03-08\n"),
    csv("checked", "Check the measurements", "trials.csv", [
        {"validate": {"types": {"dose_mg": "number", "response": "number", "measured_on": "date"},
                      "required": ["subject", "arm", "response"], "unique": ["subject"],
                      "fail_on_invalid": False, "drop_invalid": True}},
    ], output_file="trials_valid.csv", after=["trials"]),
    csv("by_arm", "Response per dose arm", "trials_valid.csv", [
        {"aggregate": {"group_by": ["arm", "dose_mg"], "metrics": {"response": ["mean", "min", "max", "count"]}}},
        {"sort": {"by": "dose_mg"}},
    ], output_file="arm_summary.csv", after=["checked"]),
    csv("spread", "Overall response figures", "trials_valid.csv", [{"statistics": ["response", "dose_mg"]}], after=["checked"]),
    llm("reading", "Reading of the results",
        "Describe the dose-response pattern for the science review: mean response per arm with its range and number of subjects, the overall spread, and the uncertainty of each comparison given the small arms. Name every record left out.\n\n"
        "Per arm: {{by_arm.output.preview}}\nOverall: {{spread.output.statistics.response}}\nLeft out: {{checked.output.validation.errors}}",
        system="You are a biostatistician. Be descriptive, state sample sizes next to every figure and do not claim efficacy."),
  ],
  facts=[("Measurements received", "{{checked.output.rows_in}}"), ("Measurements used", "{{checked.output.rows_out}}"),
         ("Median response", "{{spread.output.statistics.response.median}}"),
         ("Standard deviation of response", "{{spread.output.statistics.response.stddev}}")],
  sections=[("Per arm", "```json\n{{by_arm.output.preview}}\n```")],
  extra_outputs=["trials_valid.csv", "arm_summary.csv"], check="words")

# ----------------------------------------------------------------------------------------- Sales

T("Sales", "stale-deal-sweep", "Stale Deal Sweep",
  goal="Find the open deals nobody has touched for a month, largest first, and draft a nudge for each owner.",
  objective="A list of stale open deals by amount, the open pipeline per owner, and a short nudge per stale deal.",
  done="Every open deal with no activity since the cut-off date is listed with its owner and amount, and each has a drafted nudge for its owner.",
  context="Forecast calls keep discovering six-figure deals that went quiet weeks ago. The CRM export has the last activity date, but amounts arrive formatted as text and closed deals are mixed in, so nobody sorts it before the call.",
  constraints="- The cut-off is 2024-06-01 for this sweep.\n- Nudges are drafts for the owners' manager; nothing is sent.\n",
  depts=["sales", "revenue-operations"], tags=["pipeline", "crm", "forecast", "csv", "hygiene"],
  risk="low", roi=6.0, value=3500,
  steps=[
    put_file("crm", "Load the CRM opportunity export", "opportunities.csv",
             "Deal ID,Owner,Stage,Amount,Close Date,Last Activity\n"
             "OPP-210,Maya,Negotiation,\"$48,000\",2024-06-28,2024-05-02\n"
             "OPP-211,Leo,Closed Won,\"$12,500\",2024-06-10,2024-06-10\n"
             "OPP-212,Maya,Proposal,\"$9,900\",2024-07-15,2024-06-25\n"
             "OPP-213,Ivan,Discovery,\"$120,000\",2024-06-20,2024-04-11\n"
             "OPP-214,Leo,Proposal,\"$31,250\",2024-06-30,2024-05-20\n"
             "OPP-215,Ivan,Closed Lost,\"$7,000\",2024-06-05,2024-06-01\n"
             "OPP-216,Maya,Negotiation,\"$22,400\",2024-07-02,2024-06-27\n"),
    csv("stale", "Stale open deals, largest first", "opportunities.csv", [
        {"normalize": {"numbers": True}},
        {"filter": {"column": "stage", "op": "not_in", "value": ["Closed Won", "Closed Lost"]}},
        {"filter": {"column": "last_activity", "op": "<", "value": "2024-06-01"}},
        {"sort": {"by": "amount", "descending": True}},
        {"select": ["deal_id", "owner", "stage", "amount", "last_activity"]},
    ], output_file="stale_deals.csv", after=["crm"]),
    csv("by_owner", "Open pipeline per owner", "opportunities.csv", [
        {"normalize": {"numbers": True}},
        {"filter": {"column": "stage", "op": "not_in", "value": ["Closed Won", "Closed Lost"]}},
        {"aggregate": {"group_by": "owner", "metrics": {"amount": ["sum", "max"]}}},
        {"sort": {"by": "amount_sum", "descending": True}},
    ], after=["crm"]),
    llm("nudges", "Nudges for the owners",
        "For each stale deal below, draft a two-line nudge to its owner: what the next step should be and by when. Mention the owner's other open pipeline when it is large.\n\n"
        "Stale deals: {{stale.output.preview}}\nOpen pipeline per owner: {{by_owner.output.preview}}",
        system="You are a sales manager. Be specific and friendly; never promise discounts."),
  ],
  facts=[("Deals in the export", "{{stale.output.rows_in}}"), ("Stale open deals", "{{stale.output.rows_out}}")],
  sections=[("Stale deals", "```json\n{{stale.output.preview}}\n```"),
            ("Open pipeline per owner", "```json\n{{by_owner.output.preview}}\n```")],
  extra_outputs=["stale_deals.csv"], check="stamp")

# ----------------------------------------------------------------------------------- Engineering

JUNIT_SHAPE = {
    "type": "object",
    "required": ["testsuites"],
    "properties": {"testsuites": {
        "type": "object",
        "required": ["@tests", "testsuite"],
        "properties": {"testsuite": {"type": "array", "items": {
            "type": "object",
            "required": ["@name", "@time", "testcase"],
            "properties": {"testcase": {"type": "array", "items": {
                "type": "object", "required": ["@classname", "@name", "@time"]}}},
        }}},
    }},
}

T("Engineering", "slow-test-triage", "Slow Test Triage",
  goal="Find the tests that make the API suite slow, from the latest JUnit report and the CI duration history, and plan how to speed them up.",
  objective="The slowest tests by 95th-percentile duration, time per suite, the failing test of the latest run, and a plan to split or fix the worst.",
  done="Every test with a median of 5 seconds or more is listed with its median and p95, each suite has its total time, and the plan names a change for each of the three slowest tests.",
  context="The API pipeline went from 20 to 45 minutes in a quarter. The JUnit report shows one run; CI keeps medians and p95 per test. Nobody has joined the two, so flaky slow tests and genuinely heavy ones are treated alike.",
  constraints="- Read-only: no test is skipped or quarantined by the mission.\n",
  depts=["engineering", "developer-productivity", "qa"], tags=["ci", "tests", "junit", "performance", "xml"],
  risk="low", roi=7.0, value=4200,
  steps=[
    put_file("junit", "Load the latest JUnit report", "junit.xml",
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<testsuites name=\"api\" tests=\"6\" failures=\"1\" time=\"41.9\">\n"
             "  <testsuite name=\"orders\" tests=\"3\" failures=\"1\" time=\"27.4\">\n"
             "    <testcase classname=\"orders.CheckoutTest\" name=\"pays_with_card\" time=\"12.8\"/>\n"
             "    <testcase classname=\"orders.CheckoutTest\" name=\"refunds_partial\" time=\"9.1\"><failure message=\"expected 200, got 503\">timeout calling the payments stub</failure></testcase>\n"
             "    <testcase classname=\"orders.CartTest\" name=\"adds_item\" time=\"5.5\"/>\n"
             "  </testsuite>\n"
             "  <testsuite name=\"users\" tests=\"3\" failures=\"0\" time=\"14.5\">\n"
             "    <testcase classname=\"users.SignupTest\" name=\"sends_welcome_mail\" time=\"11.2\"/>\n"
             "    <testcase classname=\"users.SignupTest\" name=\"rejects_weak_password\" time=\"0.4\"/>\n"
             "    <testcase classname=\"users.LoginTest\" name=\"locks_after_five_tries\" time=\"2.9\"/>\n"
             "  </testsuite>\n"
             "</testsuites>\n"),
    xml("report", "Read the JUnit report", "junit.xml", after=["junit"]),
    schema_check("shape", "Check the report's shape", "{{report.output.value}}", schema=JUNIT_SHAPE),
    put_file("history", "Load the CI duration history", "durations.csv",
             "test,suite,median_s,p95_s,runs\n"
             "orders.CheckoutTest.pays_with_card,orders,12.1,14.0,40\n"
             "orders.CheckoutTest.refunds_partial,orders,8.7,30.2,40\n"
             "orders.CartTest.adds_item,orders,5.2,5.9,40\n"
             "users.SignupTest.sends_welcome_mail,users,10.9,11.8,40\n"
             "users.SignupTest.rejects_weak_password,users,0.4,0.6,40\n"
             "users.LoginTest.locks_after_five_tries,users,2.8,3.4,40\n"),
    csv("slowest", "Tests of 5 seconds or more, worst p95 first", "durations.csv", [
        {"validate": {"types": {"median_s": "number", "p95_s": "number", "runs": "integer"}, "required": ["test"]}},
        {"filter": {"column": "median_s", "op": ">=", "value": 5}},
        {"sort": {"by": "p95_s", "descending": True}},
    ], output_file="slow_tests.csv", after=["history"]),
    csv("per_suite", "Time per suite", "durations.csv", [
        {"aggregate": {"group_by": "suite", "metrics": {"median_s": "sum", "p95_s": "max"}}},
    ], after=["history"]),
    llm("plan", "Speed-up plan",
        "Plan how to bring the API suite back under 20 minutes. For the three slowest tests by p95, say whether the time is inherent (real work), waiting (timeouts, sleeps, external stubs) or flakiness (p95 far above the median), and propose one change each. Mention the failing test of the latest run.\n\n"
        "Slow tests: {{slowest.output.preview}}\nTime per suite: {{per_suite.output.preview}}\nLatest JUnit report: {{report.output.value}}",
        system="You are a staff engineer responsible for CI. Point to the test by its full name for every claim."),
  ],
  facts=[("Report root element", "{{report.output.root}}"), ("Report shape valid", "{{shape.output.valid}}"),
         ("Tests of 5 seconds or more", "{{slowest.output.rows_out}}")],
  sections=[("Slowest tests", "```json\n{{slowest.output.preview}}\n```")],
  extra_outputs=["slow_tests.csv"], check="headings")
