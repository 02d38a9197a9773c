# Templates of the git family (git_status, git_diff, git_commit, git_branch, git_merge).
# Exec'd into missions/generate_templates.py (see its module doc): the helpers there are in scope.
# Each template creates its own repository inside the run's workspace (`init: true` on its first
# git_commit), writes its sample files, and works on it with branches, commits, diffs and merges,
# so it runs offline on any machine with `git`.

OUTPUT_FIELDS.update({
    "git_status": ["branch", "commit", "upstream", "ahead", "behind", "clean", "files", "counts"],
    "git_diff": ["files", "stats", "patch", "truncated", "from", "to"],
    "git_commit": ["commit", "short", "branch", "files_committed", "message", "committed", "initialized"],
    "git_branch": ["branch", "action", "current", "commit", "branches"],
    "git_merge": ["merged", "status", "fast_forward", "commit", "conflicts", "branch", "into"],
})


def gcommit(sid, title, repo, message, after=(), **params):
    """A git_commit in the repository `repo` (everything changed is staged unless `files`)."""
    return _step(sid, "git_commit", title, dict({"repo_path": repo, "message": message}, **params), after)


def gbranch(sid, title, repo, after=(), **params):
    return _step(sid, "git_branch", title, dict({"repo_path": repo}, **params), after)


def gmerge(sid, title, repo, branch, after=(), **params):
    return _step(sid, "git_merge", title, dict({"repo_path": repo, "branch": branch}, **params), after)


def gstatus(sid, title, repo, after=(), **params):
    return _step(sid, "git_status", title, dict({"repo_path": repo}, **params), after)


def gdiff(sid, title, repo, after=(), **params):
    return _step(sid, "git_diff", title, dict({"repo_path": repo}, **params), after)


# --------------------------------------------------------------------------------------------- Operations

T("Operations", "config-change-window", "Config Change Window",
  goal="Carry a configuration change through a change window in git: baseline, change branch, reviewed diff, commit and a recorded merge into main.",
  objective="A merge commit on main that holds the approved change, with the reviewed diff and a clean working tree after it.",
  done="The change branch is merged into main with a merge commit naming the change, the diff reviewed before the commit is in the report, and the working tree is clean.",
  context="Change CHG-2291 raises the application's connection limit and the proxy's read timeout after last week's saturation incident. The change advisory board wants every configuration change as a reviewed diff and a merge commit on main, so the next incident review can see exactly what changed and when.",
  constraints="- The configuration lives in the run's workspace; applying it to servers is a separate, human step.\n- Only the two settings named in the change are touched.\n",
  depts=["operations", "sre", "change-management"], tags=["change-management", "configuration", "git", "audit-trail"],
  risk="low", roi=4.0, value=1500,
  steps=[
    put_file("site_conf", "Load the proxy configuration", "infra/nginx/site.conf",
             "server {\n    listen 443 ssl;\n    server_name shop.example.com;\n    location / {\n        proxy_pass http://app:8080;\n        proxy_read_timeout 30s;\n    }\n}\n"),
    put_file("limits", "Load the application limits", "infra/app/limits.env",
             "MAX_CONNECTIONS=200\nWORKER_THREADS=16\nQUEUE_DEPTH=500\n"),
    gcommit("baseline", "Record the baseline", "infra", "Baseline before CHG-2291", after=["site_conf", "limits"], init=True),
    gbranch("open_change", "Open the change branch", "infra", after=["baseline"], name="change/CHG-2291", checkout=True),
    edit("raise_limit", "Raise the connection limit", "infra/app/limits.env", find="MAX_CONNECTIONS=200", replace="MAX_CONNECTIONS=350", after=["open_change"]),
    edit("raise_timeout", "Raise the proxy read timeout", "infra/nginx/site.conf", find="proxy_read_timeout 30s;", replace="proxy_read_timeout 60s;", after=["raise_limit"]),
    gdiff("review", "Review the change before committing", "infra", after=["raise_timeout"]),
    gcommit("change", "Commit the change", "infra", "CHG-2291: raise connection limit to 350 and proxy read timeout to 60s", after=["review"]),
    gmerge("merge", "Merge the approved change into main", "infra", "change/CHG-2291", after=["change"], into="main", no_ff=True,
           message="Merge CHG-2291 (approved by the change advisory board)"),
    gstatus("after", "Confirm a clean working tree", "infra", after=["merge"]),
  ],
  facts=[("Files changed", "{{review.output.stats.files_changed}}"), ("Lines added / removed", "{{review.output.stats.additions}} / {{review.output.stats.deletions}}"),
         ("Merge commit", "{{merge.output.commit}}")],
  sections=[("Change record", "Change commit {{change.output.short}} on `{{change.output.branch}}`, merged into `{{merge.output.into}}` ({{merge.output.status}}).\nWorking tree clean after the merge: {{after.output.clean}}."),
            ("Reviewed diff", "```diff\n{{review.output.patch}}\n```")],
  check="words")

# --------------------------------------------------------------------------------------------- Engineering

T("Engineering", "retry-patch-proposal", "Retry Backoff Patch Proposal",
  goal="Prepare a reviewed patch that replaces a fixed retry delay with capped exponential backoff, on its own branch, without merging it.",
  objective="A patch file and diff statistics for the fix branch against main, with main left untouched and checked out.",
  done="The fix is committed on its branch, the patch against main is saved in the workspace, and main is checked out again with a clean tree.",
  context="The payments client retries failed calls every second, which hammered the provider during its last outage. The fix is small, but the team reviews every change as a patch before anyone merges it, so the mission prepares the branch and the patch and stops there.",
  constraints="- The mission proposes the patch; merging is for a reviewer.\n- Tests change together with the code they cover.\n",
  depts=["engineering", "platform"], tags=["patch", "code-review", "retries", "git"],
  risk="low", roi=3.5, value=1200,
  steps=[
    put_file("code", "Load the retry module", "service/src/retry.py",
             "MAX_RETRIES = 3\n\n\ndef next_delay(attempt):\n    delay = 1\n    return delay\n"),
    put_file("tests", "Load its tests", "service/tests/test_retry.py",
             "from src.retry import next_delay\n\n\ndef test_first_delay():\n    assert next_delay(0) == 1\n"),
    gcommit("base", "Record the current code", "service", "Import the retry module and its tests", after=["code", "tests"], init=True),
    gbranch("fix_branch", "Open the fix branch", "service", after=["base"], name="fix/retry-backoff", checkout=True),
    edit("backoff", "Back off exponentially", "service/src/retry.py", find="    delay = 1\n", replace="    delay = min(2 ** attempt, 30)\n", after=["fix_branch"]),
    edit("cap_test", "Test the cap", "service/tests/test_retry.py", append=True,
         content="\n\ndef test_delay_is_capped():\n    assert next_delay(10) == 30\n", after=["backoff"]),
    gcommit("fix", "Commit the fix", "service", "Back off exponentially between retries, capped at 30 s", after=["cap_test"]),
    gdiff("proposal", "Diff the fix branch against main", "service", after=["fix"], **{"from": "main", "to": "fix/retry-backoff"}),
    put_file("patch", "Save the patch for review", "proposals/retry-backoff.patch", "{{proposal.output.patch}}"),
    gbranch("back_to_main", "Check main out again", "service", after=["patch"], action="checkout", name="main"),
    gstatus("clean", "Confirm main is untouched", "service", after=["back_to_main"]),
  ],
  facts=[("Files in the patch", "{{proposal.output.stats.files_changed}}"), ("Lines added / removed", "{{proposal.output.stats.additions}} / {{proposal.output.stats.deletions}}"),
         ("Fix commit", "{{fix.output.commit}}")],
  sections=[("Proposal", "Branch `fix/retry-backoff` ({{fix.output.short}}) against main ({{proposal.output.from}}). Current branch afterwards: `{{clean.output.branch}}`, clean: {{clean.output.clean}}.\nThe patch is saved as `proposals/retry-backoff.patch`."),
            ("Patch", "```diff\n{{proposal.output.patch}}\n```")],
  extra_outputs=["proposals/retry-backoff.patch"], check="headings")

# --------------------------------------------------------------------------------------------- HR

T("HR", "handbook-policy-release", "Handbook Policy Release",
  goal="Publish a revised remote-work policy in the employee handbook repository through a draft branch, a reviewed diff and a fast-forward onto main.",
  objective="The handbook's main branch carries the new policy, the draft branch is cleaned up, and the report shows exactly what changed for employees.",
  done="Main holds the three-days remote-work policy, the diff against the previous edition is in the report, and only main remains as a branch.",
  context="The 2025 handbook moves remote work from two to three days a week and adds core hours. HR keeps the handbook in git so every published wording has an author, a date and a diff that employee representatives can read.",
  constraints="- Only the remote-work policy changes in this release.\n- The draft is signed by the HR partner who wrote it.\n",
  depts=["hr", "people-operations"], tags=["handbook", "policy", "versioning", "git"],
  risk="low", roi=2.5, value=900,
  steps=[
    put_file("remote_policy", "Load the remote-work policy", "handbook/policies/remote-work.md",
             "# Remote work\n\nEmployees may work remotely up to 2 days a week.\nAgree your remote days with your manager.\n"),
    put_file("leave_policy", "Load the leave policy", "handbook/policies/leave.md",
             "# Leave\n\nFull-time employees accrue 25 days of paid leave a year.\n"),
    gcommit("edition_2024", "Record the 2024 edition", "handbook", "Handbook, 2024 edition", after=["remote_policy", "leave_policy"],
            init=True, author="People Operations <people-ops@example.com>"),
    gbranch("draft", "Open the policy draft", "handbook", after=["edition_2024"], name="policy/2025-remote-work", checkout=True),
    edit("three_days", "Allow three remote days", "handbook/policies/remote-work.md", find="up to 2 days a week.", replace="up to 3 days a week.\nCore hours are 10:00 to 15:00 on every working day.", after=["draft"]),
    gcommit("draft_commit", "Commit the draft", "handbook", "Remote work: three days a week, core hours", after=["three_days"],
            author_name="Dana Whitfield", author_email="dana.whitfield@example.com"),
    gdiff("changes", "Diff the draft against the published edition", "handbook", after=["draft_commit"], **{"from": "main", "to": "policy/2025-remote-work"}),
    gmerge("publish", "Publish the draft onto main", "handbook", "policy/2025-remote-work", after=["changes"], into="main", ff_only=True),
    gbranch("cleanup", "Delete the merged draft branch", "handbook", after=["publish"], action="delete", name="policy/2025-remote-work"),
  ],
  facts=[("Published commit", "{{publish.output.commit}}"), ("Publication", "{{publish.output.status}}"), ("Branches left", "{{cleanup.output.branches}}")],
  sections=[("What changes for employees", "```diff\n{{changes.output.patch}}\n```"),
            ("Files touched", "{{changes.output.stats.files_changed}} file(s), {{changes.output.stats.additions}} line(s) added, {{changes.output.stats.deletions}} removed.")],
  check="checksum")

# --------------------------------------------------------------------------------------------- Finance

T("Finance", "close-adjustment-trail", "Close Adjustment Trail",
  goal="Keep an audit trail of month-end trial balance adjustments in git: the extract as booked, the adjustments as one commit, and the diff between the two.",
  objective="Two commits (extract and adjustments) and a line-level diff of every adjusted account for the controller's review.",
  done="The adjustments commit contains only the trial balance, and the report lists each adjusted account line before and after.",
  context="Auditors asked how the June trial balance moved from the system extract to the reported figures. The close team now records the raw extract and the manual adjustments as separate commits, so the difference is a diff anyone can read.",
  constraints="- The extract is recorded exactly as exported, before any adjustment.\n- Each adjustment keeps its account number and name.\n",
  depts=["finance", "accounting", "audit"], tags=["month-end", "trial-balance", "audit-trail", "git"],
  risk="low", roi=3.0, value=1100,
  steps=[
    put_file("extract", "Load the trial balance extract", "ledger/trial_balance.csv",
             "account,name,balance_eur\n1000,Cash,182400.00\n1200,Receivables,96350.00\n2100,Payables,-74210.00\n2400,Accrued expenses,0.00\n4000,Revenue,-412900.00\n7800,FX revaluation,0.00\n"),
    put_file("notes", "Load the close notes", "ledger/close-notes.md",
             "# June close\n\n- Accrue the unbilled cloud invoice (EUR 4,200).\n- Revalue the USD receivable at the closing rate (EUR -1,150).\n"),
    gcommit("as_extracted", "Record the extract as booked", "ledger", "June trial balance as extracted", after=["extract", "notes"], init=True),
    edit("accrual", "Book the cloud accrual", "ledger/trial_balance.csv", find="2400,Accrued expenses,0.00", replace="2400,Accrued expenses,-4200.00", after=["as_extracted"]),
    edit("fx", "Book the FX revaluation", "ledger/trial_balance.csv", find="7800,FX revaluation,0.00", replace="7800,FX revaluation,-1150.00", after=["accrual"]),
    gstatus("pending", "List what the adjustments touch", "ledger", after=["fx"]),
    gcommit("adjusted", "Commit the adjustments", "ledger", "June close adjustments: cloud accrual and FX revaluation", after=["pending"], files=["trial_balance.csv"]),
    gdiff("trail", "Diff the extract against the adjusted balance", "ledger", after=["adjusted"], context_lines=0,
          **{"from": "{{as_extracted.output.commit}}", "to": "{{adjusted.output.commit}}"}),
  ],
  facts=[("Files with pending adjustments", "{{pending.output.counts.modified}}"), ("Adjusted lines", "{{trail.output.stats.additions}}"),
         ("Extract commit", "{{as_extracted.output.short}}"), ("Adjustments commit", "{{adjusted.output.short}}")],
  sections=[("Adjusted accounts", "```diff\n{{trail.output.patch}}\n```"),
            ("Commit contents", "The adjustments commit changed: {{adjusted.output.files_committed}}.")],
  check="stamp")

# --------------------------------------------------------------------------------------------- Marketing

T("Marketing", "campaign-copy-merge", "Campaign Copy Merge",
  goal="Bring two writers' campaign copy branches together in the content repository with recorded merges, ready for brand review.",
  objective="Main holds the new email and landing-page copy through two merge commits, and the report shows the final state of the repository.",
  done="Both copy branches are merged into main with merge commits, no conflict is left, and the working tree is clean.",
  context="The spring campaign's email and landing page are written in parallel by two copywriters on their own branches. The brand team reviews one consolidated version on main, and wants each writer's contribution visible as its own merge.",
  constraints="- Copy stays a draft until the brand team approves main.\n- Each writer commits under their own name.\n",
  depts=["marketing", "content", "brand"], tags=["campaign", "copywriting", "content-ops", "git"],
  risk="low", roi=2.0, value=700,
  steps=[
    put_file("email_copy", "Load the email draft", "campaign/email.md", "# Spring email\n\nSubject: Spring is here\n\nShop the new collection.\n"),
    put_file("landing_copy", "Load the landing page draft", "campaign/landing.md", "# Spring landing page\n\nHeadline: New season, new look\n"),
    gcommit("base", "Record the first drafts", "campaign", "First drafts of the spring campaign", after=["email_copy", "landing_copy"], init=True),
    gbranch("landing_branch", "Open the landing-page branch", "campaign", after=["base"], name="copy/landing", checkout=True),
    edit("landing_edit", "Sharpen the landing headline", "campaign/landing.md", find="Headline: New season, new look", replace="Headline: Fresh styles for longer days\nCall to action: Explore the collection", after=["landing_branch"]),
    gcommit("landing_commit", "Commit the landing copy", "campaign", "Landing page: sharper headline and call to action", after=["landing_edit"], author="Sam Ortega <sam.ortega@example.com>"),
    gbranch("email_branch", "Open the email branch from main", "campaign", after=["landing_commit"], name="copy/email", checkout=True, **{"from": "main"}),
    edit("email_edit", "Tighten the email subject", "campaign/email.md", find="Subject: Spring is here", replace="Subject: 20% off your spring wardrobe, this week only", after=["email_branch"]),
    gcommit("email_commit", "Commit the email copy", "campaign", "Email: subject line with the offer", after=["email_edit"], author="Priya Natarajan <priya.natarajan@example.com>"),
    gmerge("merge_landing", "Merge the landing copy into main", "campaign", "copy/landing", after=["email_commit"], into="main", no_ff=True),
    gmerge("merge_email", "Merge the email copy into main", "campaign", "copy/email", after=["merge_landing"], message="Merge the spring email copy"),
    gstatus("final", "Check the consolidated main", "campaign", after=["merge_email"]),
  ],
  facts=[("Landing merge", "{{merge_landing.output.status}} ({{merge_landing.output.commit}})"), ("Email merge", "{{merge_email.output.status}} ({{merge_email.output.commit}})"),
         ("Clean after merging", "{{final.output.clean}}")],
  sections=[("Contributions", "- Landing page: {{landing_commit.output.short}} ({{landing_commit.output.files_committed}})\n- Email: {{email_commit.output.short}} ({{email_commit.output.files_committed}})\n\nMain is at {{final.output.commit}} on branch `{{final.output.branch}}`.")],
  check="words")
