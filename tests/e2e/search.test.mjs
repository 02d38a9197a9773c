// The History's search, driven for real: a mission run by the `mission` CLI in the shared data
// folder prints a tide table; on the History page, a word of that output finds the run, with
// the line that holds it under the run's row.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { byTestId, DATA_DIR, launchApp, screenshot } from "./app.mjs";

const CLI = process.env.E2E_CLI ?? path.resolve("../../target/debug/mission");
const MISSIONS = path.resolve("missions");

let app;
const ids = {};

/** Runs a mission with the CLI; returns the run id. */
function runMission(file) {
  const out = execFileSync(CLI, ["run", path.join(MISSIONS, file), "--json", "--data-dir", DATA_DIR], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return JSON.parse(out).run_id;
}

before(async () => {
  assert.ok(DATA_DIR, "MISSION_STUDIO_DATA_DIR is set by run.sh");
  assert.ok(existsSync(CLI), `the CLI is built at ${CLI}`);
  mkdirSync(DATA_DIR, { recursive: true });
  ids.tides = runMission("harbour-tides.yaml");
  ids.report = runMission("history-report.yaml");
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

/** The run ids of the History table's rows, in order. */
async function rowIds(browser) {
  return browser.execute(() =>
    [...document.querySelectorAll('[data-testid^="run-row-"]')].map((r) => r.dataset.testid.slice("run-row-".length)),
  );
}

/** Waits until the rows pass `check` (other test files share the data folder: more runs may be listed). */
async function waitRows(browser, check, why) {
  await browser.waitUntil(async () => check(await rowIds(browser)), {
    timeout: 10_000,
    timeoutMsg: `${why}: saw rows ${JSON.stringify(await rowIds(browser))}`,
  });
}

const only = (id) => (rows) => rows.length === 1 && rows[0] === id;
/** Both runs of this file, newest first, at the top of the list. */
const bothFirst = (rows) => rows[0] === ids.report && rows[1] === ids.tides;

async function setTheme(browser, theme) {
  await (await shown(browser, "nav-settings")).click();
  await (await shown(browser, `theme-${theme}`)).click();
  await browser.waitUntil(async () => (await browser.execute(() => document.documentElement.dataset.theme)) === theme, {
    timeout: 5_000,
    timeoutMsg: `${theme} theme not applied`,
  });
}

describe("History search", () => {
  it("finds a run by a word of its output and shows the matching line", async () => {
    const { browser } = app;
    await setTheme(browser, "light");
    await (await shown(browser, "nav-history")).click();
    await shown(browser, "history-table");
    await waitRows(browser, bothFirst, "both runs are listed, newest first");

    const box = await shown(browser, "history-search");
    await box.click();
    await box.setValue("barges");
    await waitRows(browser, only(ids.tides), "only the run whose output says 'barges'");
    const lines = await shown(browser, `run-matches-${ids.tides}`);
    const match = await lines.$('[data-testid="run-match"]');
    assert.equal(await match.getAttribute("data-field"), "output");
    assert.equal(await match.getAttribute("data-step"), "tides");
    assert.match(await match.getText(), /spring tide: moor the barges twice/);
    assert.equal(await (await match.$("mark")).getText(), "barges", "the word found is marked");
    assert.match(await (await shown(browser, "history-subtitle")).getText(), /^1 of \d+ runs matches “barges”$/);
    await screenshot(browser, "search-01-found-light");

    // Escape clears the search: both runs again, no lines under them.
    await browser.keys("Escape");
    await waitRows(browser, bothFirst, "the search is cleared");
    assert.equal(await box.getValue(), "");
    assert.equal(await (await browser.$(`[data-testid="run-matches-${ids.tides}"]`)).isExisting(), false);

    // Two words, Enter searches at once; the report's output file name is found too.
    await box.setValue("quarterly report");
    await browser.keys("Enter");
    await waitRows(browser, (rows) => rows[0] === ids.report && !rows.includes(ids.tides), "the report's runs, this one first");
    assert.match(await (await shown(browser, `run-matches-${ids.report}`)).getText(), /Quarterly report/i);
    await screenshot(browser, "search-02-two-words-light");
  });

  it("says so when nothing matches, and opens a run from its matching line", async () => {
    const { browser } = app;
    const box = await shown(browser, "history-search");
    await box.clearValue();
    await box.setValue("zeppelin");
    await browser.keys("Enter");
    const empty = await shown(browser, "history-search-empty");
    assert.match(await empty.getText(), /No run matches “zeppelin”/);
    await screenshot(browser, "search-03-nothing-light");

    await (await shown(browser, "history-search-empty-clear")).click();
    await waitRows(browser, bothFirst, "cleared from the empty result");
    await box.setValue("coefficient");
    // A table row is not clickable for WebDriver: the line inside it is.
    await (await (await shown(browser, `run-matches-${ids.tides}`)).$(".hx-match-line")).click();
    const detail = await shown(browser, "run-detail");
    assert.equal(await detail.getAttribute("data-run-id"), ids.tides);
  });

  it("looks right in the dark theme", async () => {
    const { browser } = app;
    await setTheme(browser, "dark");
    await (await shown(browser, "nav-history")).click();
    const box = await shown(browser, "history-search");
    await box.setValue("tide");
    await browser.keys("Enter");
    await waitRows(browser, only(ids.tides), "the tide run");
    await shown(browser, `run-matches-${ids.tides}`);
    await screenshot(browser, "search-04-found-dark");
  });
});
