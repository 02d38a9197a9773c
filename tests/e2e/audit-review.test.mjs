// The Audit and Review pages, driven for real: runs recorded by the `mission` CLI in the shared
// data folder (one whose write an approver denied, three of a library template whose check
// keeps failing, then the batch that raises the review flag), then found in the app: the denial
// by the decision filter and by its run, the run opened from its row, the flag resolved with a
// note.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { byTestId, DATA_DIR, launchApp, screenshot } from "./app.mjs";

const CLI = process.env.E2E_CLI ?? path.resolve("../../target/debug/mission");
const MISSIONS = path.resolve("missions");
// A data folder of its own: its runs and its flag stay out of the other files' history.
const OWN_DATA = DATA_DIR ? path.join(path.dirname(DATA_DIR), "audit-data") : undefined;
const TEMPLATE = path.join(OWN_DATA ?? "/tmp", "templates", "review-flaky.yaml");
const NOTE = "the export job was moved to 02:00; check fixed";

let app;
const ids = { flaky: [] };

/** Runs the CLI with this file's data folder; returns stdout (also when it exits non-zero). */
function cli(args, expectFailure = false) {
  try {
    const out = execFileSync(CLI, [...args, "--data-dir", OWN_DATA], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    assert.ok(!expectFailure, `mission ${args.join(" ")} was expected to fail`);
    return out;
  } catch (err) {
    if (!expectFailure || err.stdout === undefined) throw err;
    return err.stdout;
  }
}

before(async () => {
  assert.ok(DATA_DIR, "MISSION_STUDIO_DATA_DIR is set by run.sh");
  assert.ok(existsSync(CLI), `the CLI is built at ${CLI}`);
  mkdirSync(path.dirname(TEMPLATE), { recursive: true });
  // A template of the operator's own library, beside the bundled one.
  copyFileSync(path.join(MISSIONS, "review-flaky.yaml"), TEMPLATE);
  ids.denied = JSON.parse(cli(["run", path.join(MISSIONS, "approval.yaml"), "--approve", "none", "--json"], true)).run_id;
  for (let i = 0; i < 3; i++) ids.flaky.push(JSON.parse(cli(["run", TEMPLATE, "--json"], true)).run_id);
  const batch = JSON.parse(cli(["batch", "run", "--json"]));
  assert.ok(batch.flags_created >= 1, `the batch raised a flag: ${JSON.stringify(batch)}`);
  process.env.MISSION_STUDIO_DATA_DIR = OWN_DATA;
  app = await launchApp();
});

after(async () => {
  await app?.stop();
  rmSync(OWN_DATA, { recursive: true, force: true });
});

/** An element once it is displayed (pages fade in, and a fading element is not interactable). */
async function shown(browser, id, timeout = 10_000) {
  const el = await byTestId(browser, id, timeout);
  await el.waitForDisplayed({ timeout, timeoutMsg: `data-testid="${id}" is not displayed` });
  return el;
}

async function waitForPage(browser, title) {
  await browser.waitUntil(async () => (await (await byTestId(browser, "page-title")).getText()) === title, {
    timeout: 10_000,
    timeoutMsg: `the ${title} page did not show`,
  });
}

/** The audit rows on screen: run, step, decision, who, reason. */
async function auditRows(browser) {
  return browser.execute(() =>
    [...document.querySelectorAll('[data-testid="audit-row"]')].map((tr) => ({
      run: tr.getAttribute("data-run"),
      step: tr.getAttribute("data-step"),
      decision: tr.getAttribute("data-decision"),
      check: tr.getAttribute("data-check"),
      who: tr.querySelector('[data-testid="audit-who"]')?.textContent ?? "",
      reason: tr.querySelector('[data-testid="audit-reason"]')?.textContent ?? "",
    })),
  );
}

async function setTheme(browser, want) {
  for (let i = 0; i < 3; i++) {
    const btn = await byTestId(browser, "theme-cycle");
    if ((await btn.getAttribute("data-theme-choice")) === want) return;
    await btn.click();
    await browser.pause(150);
  }
}

describe("Audit", () => {
  it("lists the gate's decisions, and the denial by the decision filter", async () => {
    const { browser } = app;
    await waitForPage(browser, "Library");
    await setTheme(browser, "light");
    await (await shown(browser, "nav-audit")).click();
    await waitForPage(browser, "Audit");
    await shown(browser, "audit-table");
    const all = await auditRows(browser);
    // approval.yaml: plan allowed, deploy denied (verify never asked); each flaky run: prepare
    // and check allowed.
    assert.ok(all.length >= 2 + 3 * 2, `every decision is listed: ${all.length}`);
    assert.ok(all.some((r) => r.run === ids.flaky[2]), "the newest runs are there");

    await (await shown(browser, "audit-decision-denied")).click();
    await browser.waitUntil(async () => {
      const rows = await auditRows(browser);
      return rows.length > 0 && rows.every((r) => r.decision === "denied");
    }, { timeout: 10_000, timeoutMsg: "the decision filter did not leave only denials" });
    const denied = await auditRows(browser);
    assert.deepEqual(
      denied.map((r) => [r.run, r.step, r.check, r.who]),
      [[ids.denied, "deploy", "approval", "approve-none"]],
    );
    assert.match(denied[0].reason, /denied by approve-none/);
    assert.match(await browser.execute(() => location.hash), /#\/audit\?decision=denied$/);
    assert.match(await (await byTestId(browser, "audit-range")).getText(), /^1–1 of 1$/);
    await screenshot(browser, "audit-denied");
  });

  it("narrows to the denied run by its id, and opens it in History", async () => {
    const { browser } = app;
    await (await shown(browser, "audit-decision-all")).click();
    const field = await shown(browser, "audit-filter-run");
    await field.click();
    for (const ch of ids.denied.slice(0, 8)) await browser.keys(ch);
    await browser.waitUntil(async () => {
      const rows = await auditRows(browser);
      return rows.length > 0 && rows.every((r) => r.run === ids.denied);
    }, { timeout: 10_000, timeoutMsg: "the run filter did not leave only the denied run's rows" });
    const rows = await auditRows(browser);
    assert.deepEqual(
      rows.map((r) => [r.step, r.decision]).sort(),
      [["deploy", "denied"], ["plan", "allowed"]],
      "the denied step, and the one before it; the step after it never reached the gate",
    );
    assert.deepEqual(rows.find((r) => r.step === "plan")?.who, "gate");
    await screenshot(browser, "audit-run");

    const link = await browser.$('[data-testid="audit-row"] [data-testid="audit-run-link"]');
    await link.click();
    await browser.waitUntil(async () => (await browser.execute(() => location.hash)) === `#/history/${ids.denied}`, {
      timeout: 10_000,
      timeoutMsg: "the row's run link did not open the run in History",
    });
    const title = await shown(browser, "page-title-run");
    assert.equal(await title.getText(), "Deploy with approval");
  });
});

describe("Review", () => {
  it("lists the flag the batch raised, with its runs", async () => {
    const { browser } = app;
    await (await shown(browser, "nav-review")).click();
    await waitForPage(browser, "Review");
    const card = await browser.$('[data-testid^="review-flag-"][data-status="open"]');
    await card.waitForDisplayed({ timeout: 10_000, timeoutMsg: "no open flag is listed" });
    const text = await card.getText();
    assert.match(text, /Review Flaky Check/);
    assert.match(text, /Step check failed in 3 of the last 3 runs/);
    const runs = await card.$$('[data-testid="review-run-link"]');
    const hrefs = [];
    // The link's target, whatever form the driver reports it in (`#/…` or the whole URL).
    for (const a of runs) hrefs.push((await a.getAttribute("href")).replace(/^[^#]*/, ""));
    assert.deepEqual(hrefs, [...ids.flaky].reverse().map((id) => `#/history/${id}`), "the failing runs, newest first");
    await screenshot(browser, "review-open");
  });

  it("resolves it with a note, in place, and the note is kept", async () => {
    const { browser } = app;
    const card = await browser.$('[data-testid^="review-flag-"][data-status="open"]');
    const flagId = (await card.getAttribute("data-testid")).slice("review-flag-".length);
    await (await card.$('[data-testid="review-resolve"]')).click();
    const note = await card.$('[data-testid="review-note-input"]');
    await note.waitForDisplayed({ timeout: 5_000 });
    assert.ok(await note.isFocused(), "the note has the focus");
    for (const ch of NOTE) await browser.keys(ch);
    await (await card.$('[data-testid="review-resolve-confirm"]')).click();
    const resolved = await byTestId(browser, `review-flag-${flagId}`);
    await browser.waitUntil(async () => (await resolved.getAttribute("data-status")) === "resolved", {
      timeout: 10_000,
      timeoutMsg: "the flag did not turn resolved in place",
    });
    assert.equal(await (await resolved.$('[data-testid="review-flag-note"]')).getText(), NOTE);
    assert.match(await (await byTestId(browser, "review-notice")).getText(), new RegExp(`Flag #${flagId} resolved`));
    await screenshot(browser, "review-resolved");

    // The history keeps it: the Resolved filter lists it, and so does the CLI.
    await (await shown(browser, "review-status-resolved")).click();
    const again = await byTestId(browser, `review-flag-${flagId}`);
    assert.equal(await again.getAttribute("data-status"), "resolved");
    await (await shown(browser, "review-status-open")).click();
    await browser.waitUntil(async () => !(await (await browser.$(`[data-testid="review-flag-${flagId}"]`)).isExisting()), {
      timeout: 5_000,
      timeoutMsg: "a resolved flag is still listed as open",
    });
    const listed = JSON.parse(cli(["review", "list", "--status", "resolved", "--json"]));
    const flag = listed.find((f) => String(f.flag_id) === flagId);
    assert.equal(flag?.note, NOTE);
    assert.equal(flag?.status, "resolved");
  });
});
