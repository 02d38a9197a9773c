// History and the evidence inspector, driven for real: runs recorded by the `mission` CLI in the
// shared data folder, then listed, filtered, opened, compared and resumed in the app.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { byTestId, DATA_DIR, launchApp, screenshot } from "./app.mjs";

const CLI = process.env.E2E_CLI ?? path.resolve("../../target/debug/mission");
const MISSIONS = path.resolve("missions");
const FLAG = path.join(DATA_DIR ?? "/tmp", "history-e2e-flag");

let app;
const ids = {};

/** Runs a mission with the CLI (JSON result on stdout); returns the run id. */
function runMission(file, vars = [], expectFailure = false) {
  const args = ["run", path.join(MISSIONS, file), "--json", "--data-dir", DATA_DIR];
  for (const v of vars) args.push("--var", v);
  let out;
  try {
    out = execFileSync(CLI, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    assert.ok(!expectFailure, `${file} was expected to fail`);
  } catch (err) {
    if (!expectFailure || err.stdout === undefined) throw err;
    out = err.stdout;
  }
  return JSON.parse(out).run_id;
}

before(async () => {
  assert.ok(DATA_DIR, "MISSION_STUDIO_DATA_DIR is set by run.sh");
  assert.ok(existsSync(CLI), `the CLI is built at ${CLI}`);
  mkdirSync(DATA_DIR, { recursive: true });
  rmSync(FLAG, { force: true });
  ids.ok = runMission("history-report.yaml");
  ids.failed = runMission("history-flaky.yaml", [`flag=${FLAG}`], true);
  app = await launchApp();
});

after(async () => {
  await app?.stop();
});

/** An element once it is displayed (pages fade in, and a fading element is not interactable). */
async function shown(browser, id) {
  const el = await byTestId(browser, id);
  await el.waitForDisplayed({ timeout: 10_000, timeoutMsg: `data-testid="${id}" is not displayed` });
  return el;
}

async function openHistory(browser) {
  await (await shown(browser, "nav-history")).click();
  await shown(browser, "history-table");
}

/** Opens a run from the list (a click on its mission cell: a table row itself is not clickable). */
async function openRun(browser, runId) {
  const row = await shown(browser, `run-row-${runId}`);
  await (await row.$(".hx-mission-name")).click();
  await shown(browser, "run-detail");
}

async function rowCount(browser) {
  return (await browser.$$('[data-testid^="run-row-"]')).length;
}

async function waitRows(browser, n, why) {
  await browser.waitUntil(async () => (await rowCount(browser)) === n, {
    timeout: 10_000,
    timeoutMsg: `${why}: expected ${n} rows, saw ${await rowCount(browser)}`,
  });
}

async function nodeStatus(browser, id) {
  return (await byTestId(browser, `dag-node-${id}`)).getAttribute("data-status");
}

async function setTheme(browser, theme) {
  await (await shown(browser, "nav-settings")).click();
  await (await shown(browser, `theme-${theme}`)).click();
  await browser.waitUntil(async () => (await browser.execute(() => document.documentElement.dataset.theme)) === theme, {
    timeout: 5_000,
    timeoutMsg: `${theme} theme not applied`,
  });
}

describe("History", () => {
  it("lists the runs recorded by the CLI and filters them by status", async () => {
    const { browser } = app;
    await setTheme(browser, "light");
    await openHistory(browser);
    await waitRows(browser, 2, "both CLI runs are listed");
    const failedRow = await byTestId(browser, `run-row-${ids.failed}`);
    assert.equal(await failedRow.getAttribute("data-status"), "failed");
    assert.match(await failedRow.getText(), /History Flaky/);
    await screenshot(browser, "history-01-list-light");

    await (await shown(browser, "filter-status")).selectByAttribute("value", "failed");
    await waitRows(browser, 1, "filtered by status failed");
    assert.ok(await (await byTestId(browser, `run-row-${ids.failed}`)).isExisting());
    await screenshot(browser, "history-02-filtered-light");
    await (await shown(browser, "filter-clear")).click();
    await waitRows(browser, 2, "filters cleared");
  });

  it("opens a run and shows its DAG with final states", async () => {
    const { browser } = app;
    await openRun(browser, ids.failed);
    const detail = await byTestId(browser, "run-detail");
    assert.equal(await detail.getAttribute("data-run-id"), ids.failed);
    assert.match(await (await shown(browser, "run-reason")).getText(), /check/);
    await byTestId(browser, "dag-node-check");
    assert.equal(await nodeStatus(browser, "prepare"), "succeeded");
    assert.equal(await nodeStatus(browser, "check"), "failed");
    assert.equal(await nodeStatus(browser, "publish"), "skipped");
    assert.equal(await (await byTestId(browser, "step-row-check")).getAttribute("data-status"), "failed");
    await (await (await shown(browser, "step-row-check")).$("td:nth-child(2)")).click();
    await screenshot(browser, "history-03-run-detail-light");
  });

  it("reads outputs/answer.md in the evidence inspector", async () => {
    const { browser } = app;
    await (await shown(browser, "tab-evidence")).click();
    await byTestId(browser, "evidence-tree");
    const viewer = await byTestId(browser, "evidence-viewer");
    await browser.waitUntil(async () => (await viewer.getAttribute("data-path")) === "outputs/answer.md", {
      timeout: 10_000,
      timeoutMsg: "answer.md is not opened by default",
    });
    const md = await byTestId(browser, "viewer-markdown");
    const heading = await md.$("h1");
    assert.equal(await heading.getText(), "History Flaky", "the markdown is rendered, not shown as source");
    assert.match(await md.getText(), /failed/);
    assert.match(await (await byTestId(browser, "evidence-root")).getProperty("textContent"), /history-flaky/);
    await screenshot(browser, "history-04-evidence-light");

    // Another kind: the raw step record as pretty JSON.
    await (await shown(browser, "evidence-node-evidence/raw")).click();
    await (await shown(browser, "evidence-node-evidence/raw/check.json")).click();
    const json = await byTestId(browser, "viewer-json");
    await browser.waitUntil(async () => (await json.getText()).includes('"status"'), { timeout: 5_000 });
  });

  it("compares the two runs side by side", async () => {
    const { browser } = app;
    await openHistory(browser);
    await waitRows(browser, 2, "back on the list");
    await (await shown(browser, `run-select-${ids.ok}`)).click();
    await (await shown(browser, `run-select-${ids.failed}`)).click();
    await (await shown(browser, "history-compare")).click();
    await byTestId(browser, "compare-view");
    const check = await byTestId(browser, "compare-step-check");
    assert.equal(await check.getAttribute("data-same"), "false", "the check step differs");
    await screenshot(browser, "history-05-compare-light");
  });

  it("resumes the failed run once its flag exists and shows the resumed run in history", async () => {
    const { browser } = app;
    writeFileSync(FLAG, "ok\n");
    await openHistory(browser);
    await openRun(browser, ids.failed);
    await (await shown(browser, "run-resume")).click();
    // Resume opens the perimeter first; the resumed run opens in the live run view.
    await byTestId(browser, "resume-dialog");
    await byTestId(browser, "resume-steps");
    await (await shown(browser, "resume-start")).click();
    await browser.waitUntil(async () => /\/runs\/[0-9a-f-]{36}$/.test(await browser.execute(() => location.hash)), {
      timeout: 10_000,
      timeoutMsg: "the resumed run did not open",
    });
    ids.resumed = (await browser.execute(() => location.hash)).split("/").pop();
    assert.notEqual(ids.resumed, ids.failed);
    await browser.waitUntil(async () => (await (await byTestId(browser, "run-view")).getAttribute("data-final")) === "true", {
      timeout: 20_000,
      timeoutMsg: "the resumed run did not end",
    });
    await browser.execute((id) => {
      location.hash = `#/history/${id}`;
    }, ids.resumed);
    await browser.waitUntil(async () => (await (await byTestId(browser, "run-detail")).getAttribute("data-run-id")) === ids.resumed, {
      timeout: 10_000,
      timeoutMsg: "the resumed run's detail did not open",
    });
    await browser.waitUntil(async () => (await (await byTestId(browser, "run-detail")).getAttribute("data-status")) === "completed", {
      timeout: 20_000,
      timeoutMsg: "the resumed run did not complete",
    });
    assert.match(await (await shown(browser, "run-resumed-from")).getText(), new RegExp(ids.failed.slice(0, 8)));
    assert.equal(await nodeStatus(browser, "check"), "succeeded");
    assert.equal(await nodeStatus(browser, "publish"), "succeeded");
    await screenshot(browser, "history-06-resumed-light");

    await openHistory(browser);
    await waitRows(browser, 3, "the resumed run is listed");
    const row = await byTestId(browser, `run-row-${ids.resumed}`);
    assert.equal(await row.getAttribute("data-status"), "completed");
    assert.match(await row.getText(), /resumed/);
  });

  it("looks right in the dark theme", async () => {
    const { browser } = app;
    await setTheme(browser, "dark");
    await openHistory(browser);
    await waitRows(browser, 3, "dark list");
    await screenshot(browser, "history-11-list-dark");
    await openRun(browser, ids.failed);
    await byTestId(browser, "dag-node-check");
    await screenshot(browser, "history-12-run-detail-dark");
    await (await shown(browser, "tab-evidence")).click();
    await byTestId(browser, "viewer-markdown");
    await screenshot(browser, "history-13-evidence-dark");
    await openHistory(browser);
    await (await shown(browser, `run-select-${ids.ok}`)).click();
    await (await shown(browser, `run-select-${ids.failed}`)).click();
    await (await shown(browser, "history-compare")).click();
    await byTestId(browser, "compare-view");
    await screenshot(browser, "history-14-compare-dark");
  });
});
