// The operator's loop in the real window: a simulated run says so; a mission file with a typo
// is refused with the CLI's report (line, column, code frame, "did you mean"); a broken
// template file is listed; Quick Deploy's forecast blocks Save when a cap cannot hold, a
// sub-cent cap is kept exactly, Save and run starts the run; Resume raises the cap that
// stopped a run, and resumes a fixed mission file reusing the unchanged steps; a keyboard-only
// walk from the search box to an approved run.
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Key } from "webdriverio";
import { byTestId, DATA_DIR, launchApp, screenshot } from "./app.mjs";

const TEMPLATES = path.join(DATA_DIR, "templates");
const WORK = path.join(path.dirname(DATA_DIR), "loop-missions");
const OWN_TEMPLATES = ["loop-forecast.yaml", "loop-walk.yaml", "loop-broken.yaml"];
let app;

const TYPO = `name: Typo
steps:
  - id: hello
    step_type: noop
  - id: bye
    step_type: noop
    depends_on: [helo]
`;

const fixable = (program) => `name: Fixable Report
id: e2e.loop.fixable
steps:
  - id: write
    step_type: create_file
    parameters: {path: report.md, content: "# Report"}
  - id: check
    step_type: command
    depends_on: [write]
    parameters: {command: "${program}"}
  - id: after
    step_type: noop
    depends_on: [check]
`;

// A template whose model step needs more tokens than a 300-token cap gives: its prompt alone
// is over 300 tokens (the forecast and the gate estimate it the same way).
const INCIDENTS = Array.from(
  { length: 8 },
  (_, i) =>
    `Incident ${i}: the payment gateway answered slowly between 02:0${i} and 02:1${i}; retries succeeded; no customer data was affected; on-call acknowledged within five minutes.`,
).join(" ");
const FORECAST_TEMPLATE = `version: "1.0"
id: e2e.loop.summary
name: Loop Summary
sector: Operations
goal: Summarise the night's incidents for the morning stand-up
required_depts: [ops]
risk: low
config: {timeout_seconds: 120}
perimeter:
  budget: {max_cost_usd: 0.5, max_tokens: 4000, max_llm_calls: 2, max_steps: 5, max_runtime_minutes: 5}
  approval: {mode: auto}
steps:
  - id: summarise
    name: Summarise the incidents
    step_type: llm
    timeout_seconds: 60
    parameters:
      prompt: "Summarise last night's incidents in three lines for the morning stand-up. ${INCIDENTS}"
      max_tokens: 300
`;

// A strict template: its file step waits for a person.
const WALK_TEMPLATE = `version: "1.0"
id: e2e.loop.walk
name: Keyboard Walk Review
sector: Legal
goal: Write the weekly contract review note
required_depts: [legal]
risk: medium
perimeter:
  budget: {max_cost_usd: 0.2, max_tokens: 2000, max_llm_calls: 1, max_steps: 5, max_runtime_minutes: 5}
  approval: {mode: strict}
config: {timeout_seconds: 120}
steps:
  - id: note
    name: Write the review note
    step_type: create_file
    timeout_seconds: 30
    parameters: {path: review.md, content: "# Weekly contract review"}
`;

const BROKEN_TEMPLATE = `version: "1.0"
id: e2e.loop.broken
name: Broken Loop
sector: Operations
goal: Never listed
required_depts: [ops]
steps:
  - id: hello
    step_type: noop
  - id: bye
    step_type: noop
    depends_on: [helo]
`;

before(async () => {
  rmSync(path.join(DATA_DIR, "perimeter.yaml"), { force: true });
  mkdirSync(TEMPLATES, { recursive: true });
  mkdirSync(WORK, { recursive: true });
  writeFileSync(path.join(TEMPLATES, "loop-forecast.yaml"), FORECAST_TEMPLATE);
  writeFileSync(path.join(TEMPLATES, "loop-walk.yaml"), WALK_TEMPLATE);
  writeFileSync(path.join(TEMPLATES, "loop-broken.yaml"), BROKEN_TEMPLATE);
  writeFileSync(path.join(WORK, "typo.yaml"), TYPO);
  writeFileSync(path.join(WORK, "fixable.yaml"), fixable("false"));
  app = await launchApp();
  await app.browser.setWindowSize(1280, 800);
});

after(async () => {
  await app?.stop();
  // The templates are this file's own: later test files see the library as it was.
  for (const f of OWN_TEMPLATES) rmSync(path.join(TEMPLATES, f), { force: true });
  rmSync(WORK, { recursive: true, force: true });
});

async function go(browser, hash) {
  await browser.execute((h) => {
    location.hash = h;
  }, hash);
}

async function currentRunId(browser) {
  try {
    await browser.waitUntil(async () => /\/runs\/[0-9a-f-]{36}$/.test(await browser.execute(() => location.hash)), {
      timeout: 15_000,
      timeoutMsg: "the run view did not open",
    });
  } catch (e) {
    const shown = await browser.execute(() =>
      [...document.querySelectorAll('[role="alert"], .error-text')].map((el) => el.textContent).join(" | "),
    );
    await screenshot(browser, "loop-no-run-view");
    throw new Error(`${e.message} (at ${await browser.execute(() => location.hash)}; errors shown: ${shown || "none"})`);
  }
  return (await browser.execute(() => location.hash)).split("/").pop();
}

async function waitFinal(browser, timeout = 60_000) {
  await browser.waitUntil(async () => (await (await byTestId(browser, "run-view")).getAttribute("data-final")) === "true", {
    timeout,
    timeoutMsg: "the run did not reach its final event",
  });
  return (await byTestId(browser, "run-view")).getAttribute("data-run-status");
}

/** Types into a field key by key, over what it holds. */
async function typeInto(browser, el, text) {
  await browser.execute((e) => e.scrollIntoView({ block: "center" }), el);
  await el.click();
  await browser.keys([Key.Ctrl, "a"]);
  for (const ch of text) await browser.keys(ch);
}

/** Closes what a failed test may have left open (a dialog's backdrop would take the clicks). */
async function closeDialogs(browser) {
  for (let i = 0; i < 3; i += 1) {
    if (!(await browser.execute(() => Boolean(document.querySelector(".modal-backdrop"))))) return;
    await browser.keys(Key.Escape);
    await browser.pause(150);
  }
}

async function openLibrary(browser) {
  await closeDialogs(browser);
  await (await byTestId(browser, "nav-library")).click();
  await byTestId(browser, "page-library");
}

/** Opens Quick Deploy for a template through its detail panel. */
async function quickDeploy(browser, templateId) {
  await closeDialogs(browser);
  await go(browser, `#/library?t=${encodeURIComponent(templateId)}&deploy=${encodeURIComponent(templateId)}`);
  const modal = await byTestId(browser, "perimeter-modal", 15_000);
  await byTestId(browser, "deploy-name");
  return modal;
}

async function forecastVerdict(browser, want) {
  try {
    // The text itself: the panel may sit below the fold of the dialog's side column.
    const verdict = () => browser.execute(() => document.querySelector('[data-testid="forecast-verdict"]')?.textContent ?? "");
    await browser.waitUntil(async () => (await verdict()) === want, {
      timeout: 10_000,
      timeoutMsg: `the forecast did not say "${want}"`,
    });
  } catch (e) {
    const shown = await browser.execute(() => document.querySelector('[data-testid="forecast"]')?.textContent ?? "(no forecast panel)");
    await screenshot(browser, `loop-forecast-failure-${want.replace(/\W+/g, "-")}`);
    throw new Error(`${e.message}; the panel says: ${shown}`);
  }
}

describe("the operator's loop", () => {
  it("refuses a mission file with a typo with every problem as the CLI reports it", async () => {
    const { browser } = app;
    await (await byTestId(browser, "nav-runs")).click();
    const input = await byTestId(browser, "run-file-path");
    await input.setValue(path.join(WORK, "typo.yaml"));
    await (await byTestId(browser, "run-file-start")).click();
    const report = await byTestId(browser, "mission-report", 15_000);
    const item = await byTestId(browser, "mission-report-item");
    const text = await item.getText();
    assert.match(text, /7:18/, text);
    assert.match(text, /unknown_dependency/, text);
    assert.match(text, /did you mean `hello`/, text);
    const rendered = await (await byTestId(browser, "mission-report-rendered")).getText();
    assert.match(rendered, /typo\.yaml:7:18/, rendered);
    assert.match(rendered, /depends_on: \[helo\]/, "the code frame shows the line");
    await browser.execute((e) => e.scrollIntoView({ block: "center" }), report);
    await screenshot(browser, "loop-typo-diagnostic");
  });

  it("lists a broken template file with its problems instead of dropping it", async () => {
    const { browser } = app;
    await openLibrary(browser);
    const notice = await byTestId(browser, "library-problems", 15_000);
    assert.match(await notice.getText(), /1 template file has errors/);
    await (await byTestId(browser, "library-problems-toggle")).click();
    const problem = await byTestId(browser, "library-problem");
    assert.match(await problem.getAttribute("data-file"), /loop-broken\.yaml$/);
    assert.match(await problem.getText(), /did you mean `hello`/);
    await screenshot(browser, "loop-broken-template");
  });

  it("blocks Save when the forecast says a cap cannot hold, then Save and run; the simulated answer is labelled", async () => {
    const { browser } = app;
    await quickDeploy(browser, "e2e.loop.summary");
    await typeInto(browser, await byTestId(browser, "input-maxTokens"), "300");
    await forecastVerdict(browser, "cannot complete");
    const blocking = await browser.execute(() => document.querySelector('[data-testid="forecast-blocking"]')?.textContent ?? "");
    assert.match(blocking, /`summarise` needs up to \d+ tokens, cap 300/, blocking);
    assert.equal(await (await byTestId(browser, "perimeter-save")).isEnabled(), false, "Save is blocked");
    assert.equal(await (await byTestId(browser, "perimeter-save-run")).isEnabled(), false);
    await browser.execute(() => document.querySelector('[data-testid="forecast"]')?.scrollIntoView({ block: "center" }));
    await screenshot(browser, "loop-forecast-blocks");

    // A cap that holds: Save and run starts the run at once.
    await typeInto(browser, await byTestId(browser, "input-maxTokens"), "3000");
    await forecastVerdict(browser, "every cap holds");
    await (await byTestId(browser, "perimeter-save-run")).click();
    await currentRunId(browser);
    assert.equal(await waitFinal(browser), "completed");
    const pill = await byTestId(browser, "run-simulated", 10_000);
    assert.match(await pill.getText(), /Simulated/);
    await (await byTestId(browser, "dag-node-summarise")).click();
    const why = await byTestId(browser, "step-simulated");
    assert.equal(await why.getAttribute("data-why"), "model");
    await screenshot(browser, "loop-simulated-run");
  });

  it("keeps a sub-cent cost cap exactly and confirms the save with a way to run it", async () => {
    const { browser } = app;
    await quickDeploy(browser, "e2e.loop.summary");
    await typeInto(browser, await byTestId(browser, "deploy-name"), "Penny watch");
    await typeInto(browser, await byTestId(browser, "input-maxCostUsd"), "0.005");
    await forecastVerdict(browser, "every cap holds");
    await (await byTestId(browser, "perimeter-save")).click();
    const saved = await byTestId(browser, "deploy-saved", 10_000);
    assert.match(await saved.getText(), /Saved Penny watch as an active mission/);
    await byTestId(browser, "deploy-saved-run");
    await screenshot(browser, "loop-saved-confirmation");
    // Opened again for editing, the cap is still half a cent.
    await go(browser, "#/library");
    await byTestId(browser, "active-missions");
    const editId = await browser.execute(() => {
      const row = [...document.querySelectorAll('[data-testid^="active-mission-"]')].find((li) => li.textContent.includes("Penny watch"));
      return row?.querySelector('[data-testid^="edit-active-"]')?.getAttribute("data-testid") ?? null;
    });
    assert.ok(editId, "the saved active mission is listed with an Edit button");
    const edit = await byTestId(browser, editId);
    await browser.execute((e) => e.scrollIntoView({ block: "center" }), edit);
    await edit.click();
    const cost = await byTestId(browser, "input-maxCostUsd");
    assert.equal(await cost.getValue(), "0.005");
    await browser.keys(Key.Escape);
  });

  it("resumes a run stopped by a cap under a raised cap", async () => {
    const { browser } = app;
    await quickDeploy(browser, "e2e.loop.summary");
    await typeInto(browser, await byTestId(browser, "deploy-name"), "Too tight");
    await typeInto(browser, await byTestId(browser, "input-maxTokens"), "300");
    await forecastVerdict(browser, "cannot complete");
    await (await (await byTestId(browser, "forecast-accept")).$("input")).click();
    await (await byTestId(browser, "perimeter-save-run")).click();
    const failed = await currentRunId(browser);
    assert.equal(await waitFinal(browser), "failed");

    await go(browser, `#/history/${failed}`);
    await (await byTestId(browser, "run-resume", 15_000)).click();
    await byTestId(browser, "resume-dialog");
    const tokens = await byTestId(browser, "input-maxTokens");
    await browser.waitUntil(async () => (await tokens.getValue()) === "300", { timeout: 10_000, timeoutMsg: "the dialog did not start from the run's cap" });
    await typeInto(browser, tokens, "3000");
    await forecastVerdict(browser, "every cap holds");
    await screenshot(browser, "loop-resume-raised-cap");
    await (await byTestId(browser, "resume-start")).click();
    const resumed = await currentRunId(browser);
    assert.notEqual(resumed, failed);
    assert.equal(await waitFinal(browser), "completed");
  });

  it("resumes a fixed mission file: the fixed step runs again, the others are reused", async () => {
    const { browser } = app;
    await closeDialogs(browser);
    await (await byTestId(browser, "nav-runs")).click();
    const input = await byTestId(browser, "run-file-path");
    await input.setValue(path.join(WORK, "fixable.yaml"));
    await (await byTestId(browser, "run-file-start")).click();
    const failed = await currentRunId(browser);
    assert.equal(await waitFinal(browser), "failed");

    writeFileSync(path.join(WORK, "fixable.yaml"), fixable("true"));
    await go(browser, `#/history/${failed}`);
    await (await byTestId(browser, "run-resume", 15_000)).click();
    const changed = await byTestId(browser, "resume-file-changed", 15_000);
    assert.match(await changed.getText(), /The mission file changed since this run/);
    assert.equal(await (await byTestId(browser, "resume-use-file")).isSelected(), true);
    await browser.waitUntil(async () => (await browser.$('[data-testid="resume-reused-write"]').isExisting()), {
      timeout: 10_000,
      timeoutMsg: "the unchanged step is not listed as reused",
    });
    await byTestId(browser, "resume-rerun-check");
    await screenshot(browser, "loop-resume-fixed-file");
    await (await byTestId(browser, "resume-start")).click();
    const resumed = await currentRunId(browser);
    assert.equal(await waitFinal(browser), "completed");
    await go(browser, `#/history/${resumed}`);
    const write = await byTestId(browser, "step-row-write", 15_000);
    assert.match(await write.getText(), /reused/i, "the unchanged step's output was reused");
    assert.equal(await (await byTestId(browser, "step-row-check")).getAttribute("data-status"), "success");
  });
  it("walks by keyboard alone from the search box to an approved run (key presses counted)", async () => {
    const { browser } = app;
    await openLibrary(browser);
    await byTestId(browser, "template-list", 15_000);
    await browser.execute(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
    let presses = 0;
    const press = async (...keys) => {
      presses += 1; // a chord (Ctrl+Enter) is one press
      await browser.keys(keys.length === 1 ? keys[0] : keys);
    };
    await press("/");
    for (const ch of "keyb") await press(ch);
    await browser.waitUntil(async () => (await (await byTestId(browser, "template-list")).getAttribute("data-count")) === "1", {
      timeout: 10_000,
      timeoutMsg: "the search did not narrow the library to the one template",
    });
    await press(Key.Enter); // opens the only match; Quick Deploy has the focus
    await byTestId(browser, "template-detail");
    await browser.waitUntil(async () => (await browser.execute(() => document.activeElement?.getAttribute("data-testid"))) === "quick-deploy", {
      timeout: 5000,
      timeoutMsg: "Quick Deploy did not take the focus",
    });
    await press(Key.Enter); // Quick Deploy
    await byTestId(browser, "deploy-name", 15_000);
    await forecastVerdict(browser, "every cap holds");
    await press(Key.Ctrl, Key.Enter); // Save and run
    await currentRunId(browser);
    const note = await byTestId(browser, "approval-note-note", 30_000);
    await browser.waitUntil(async () => (await browser.execute(() => document.activeElement?.getAttribute("data-testid"))) === "approval-note-note", {
      timeout: 5000,
      timeoutMsg: "the approval card did not take the focus",
    });
    await note.waitForDisplayed();
    await screenshot(browser, "loop-keyboard-approval");
    await press(Key.Ctrl, Key.Enter); // approve
    assert.equal(await waitFinal(browser), "completed");
    console.log(`keyboard walk: search → open → Quick Deploy → Save and run → approve in ${presses} key presses`);
    assert.ok(presses <= 15, `${presses} key presses`);
  });
});
