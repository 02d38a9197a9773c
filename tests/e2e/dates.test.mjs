// Dates in the real window: the History's "Started" filter read from typed days (ISO and the
// locale's own form, never year 0006), its inline error and presets, empty fields that look
// empty, and relative dates counted in calendar days (the page's clock moved forward to see a
// run as yesterday's, then as two days old).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Key } from "webdriverio";
import { byTestId, DATA_DIR, launchApp, screenshot } from "./app.mjs";

const CLI = process.env.E2E_CLI ?? path.resolve("../../target/debug/mission");
const MISSIONS = path.resolve("missions");
// A data folder of this file's own (beside the run's), so the runs it records do not show in the
// other files' History.
const OWN_DATA = DATA_DIR ? path.join(path.dirname(DATA_DIR), "dates-data") : undefined;

let app;
const runs = [];

/** Runs a mission with the CLI; returns its id and start time. */
function runMission(file) {
  const out = execFileSync(CLI, ["run", path.join(MISSIONS, file), "--json", "--data-dir", OWN_DATA], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const result = JSON.parse(out);
  return { id: result.run_id, startedAt: result.started_at };
}

before(async () => {
  assert.ok(DATA_DIR, "MISSION_STUDIO_DATA_DIR is set by run.sh");
  assert.ok(existsSync(CLI), `the CLI is built at ${CLI}`);
  mkdirSync(OWN_DATA, { recursive: true });
  runs.push(runMission("history-report.yaml"), runMission("history-report.yaml"));
  // The app started below (through tauri-driver) inherits this environment.
  process.env.MISSION_STUDIO_DATA_DIR = OWN_DATA;
  app = await launchApp();
});

after(async () => {
  await app?.stop();
});

async function shown(browser, id) {
  const el = await byTestId(browser, id);
  await el.waitForDisplayed({ timeout: 10_000, timeoutMsg: `data-testid="${id}" is not displayed` });
  return el;
}

async function rowCount(browser) {
  // Counted in the page: the rows are replaced as the list reloads.
  return browser.execute(() => document.querySelectorAll('[data-testid^="run-row-"]').length);
}

async function waitRows(browser, n, why) {
  await browser.waitUntil(async () => (await rowCount(browser)) === n, {
    timeout: 10_000,
    timeoutMsg: `${why}: expected ${n} rows, saw ${await rowCount(browser)}`,
  });
}

/** Replaces a field's text the way a person does (select all, type), then presses `end`. */
async function typeInto(browser, el, text, end = Key.Enter) {
  await el.click();
  await browser.keys([Key.Ctrl, "a"]);
  await browser.keys(Key.Backspace);
  for (const ch of text) await browser.keys(ch);
  if (end) await browser.keys(end);
}

async function openHistory(browser) {
  await (await shown(browser, "nav-history")).click();
  await shown(browser, "history-table");
}

/** The local day of the page's clock, as YYYY-MM-DD, `days` days from today. */
async function pageDay(browser, days = 0) {
  return browser.execute((n) => {
    const d = new Date(Date.now());
    d.setDate(d.getDate() + n);
    const p = (x) => String(x).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  }, days);
}

/** Moves the page's clock to `target(runStartMs)` (or back to the real one with null). */
async function setPageClock(browser, runStartedAt, mode) {
  await browser.execute(
    (iso, how) => {
      const w = window;
      w.__realNow ??= Date.now.bind(Date);
      if (!how) {
        Date.now = w.__realNow;
        return;
      }
      const run = new Date(iso);
      const day = new Date(run.getFullYear(), run.getMonth(), run.getDate());
      // "yesterday": 08:00 the day after the run; "two-days": 15:00 two days after it.
      const target = new Date(day);
      target.setDate(day.getDate() + (how === "yesterday" ? 1 : 2));
      target.setHours(how === "yesterday" ? 8 : 15);
      const shift = target.getTime() - w.__realNow();
      Date.now = () => w.__realNow() + shift;
    },
    runStartedAt,
    mode,
  );
}

describe("Dates", () => {
  it("starts with empty date fields that look empty, and a relative start time", async () => {
    const { browser } = app;
    await openHistory(browser);
    await waitRows(browser, 2, "both CLI runs are listed");
    const from = await shown(browser, "filter-from");
    const to = await shown(browser, "filter-to");
    assert.equal(await from.getValue(), "");
    assert.equal(await to.getValue(), "");
    assert.equal(await from.getAttribute("type"), "text", "a typed field, not a date picker showing today in grey");
    assert.equal(await browser.execute((el) => el.hasAttribute("placeholder"), from), false, "no placeholder that could pass for a date");
    assert.equal(await (await byTestId(browser, "filter-date-preset")).getValue(), "");
    const started = await (await byTestId(browser, `run-started-${runs[0].id}`)).getText();
    assert.match(started, /^(just now|\d+ min ago)$/, `a run of a moment ago: ${started}`);
    await screenshot(browser, "dates-01-empty-filter");
  });

  it("reads a typed ISO day as this year's day and shows it in the locale's form", async () => {
    const { browser } = app;
    const today = await pageDay(browser);
    const year = today.slice(0, 4);
    const from = await shown(browser, "filter-from");
    await typeInto(browser, from, today);
    await browser.waitUntil(async () => (await browser.getUrl()).includes(`from=${today}`), {
      timeout: 5_000,
      timeoutMsg: `the filter is not applied: ${await browser.getUrl()}`,
    });
    await waitRows(browser, 2, "both runs started today");
    const shownDay = await from.getValue();
    assert.ok(shownDay.includes(year), `the field keeps the four-digit year ${year}: ${shownDay}`);
    assert.ok(!shownDay.includes("0006"), `no mangled year: ${shownDay}`);
    assert.equal(await (await byTestId(browser, "filter-date-preset")).getValue(), "custom");

    // The locale's own form, typed back, is the same day.
    await typeInto(browser, await shown(browser, "filter-to"), shownDay);
    await browser.waitUntil(async () => (await browser.getUrl()).includes(`to=${today}`), {
      timeout: 5_000,
      timeoutMsg: `the locale's form "${shownDay}" was not read as ${today}: ${await browser.getUrl()}`,
    });
    await waitRows(browser, 2, "from and to today");
    assert.equal(await (await byTestId(browser, "filter-date-preset")).getValue(), "today", "the range is the Today preset");
    await screenshot(browser, "dates-02-typed-day");
  });

  it("shows an inline error for what is not a day and keeps the last good filter", async () => {
    const { browser } = app;
    const to = await shown(browser, "filter-to");
    await typeInto(browser, to, "12/1/6");
    const error = await shown(browser, "filter-date-error");
    assert.match(await error.getText(), /year needs four digits/);
    assert.equal(await to.getAttribute("aria-invalid"), "true");
    await waitRows(browser, 2, "the filter did not change");
    await screenshot(browser, "dates-03-invalid-day");
    await browser.keys(Key.Escape);
    await browser.waitUntil(async () => !(await (await browser.$('[data-testid="filter-date-error"]')).isExisting()), {
      timeout: 3_000,
      timeoutMsg: "Escape did not put the day back",
    });
  });

  it("filters out a past year and offers presets", async () => {
    const { browser } = app;
    const preset = await shown(browser, "filter-date-preset");
    await (await shown(browser, "filter-date-clear")).click();
    await waitRows(browser, 2, "dates cleared");
    await typeInto(browser, await shown(browser, "filter-from"), "2020-01-01");
    await typeInto(browser, await shown(browser, "filter-to"), "2020-12-31");
    await waitRows(browser, 0, "no run in 2020");
    await shown(browser, "history-no-match");

    await preset.selectByAttribute("value", "yesterday");
    await waitRows(browser, 0, "no run yesterday");
    assert.equal(await (await byTestId(browser, "filter-from")).getValue(), await (await byTestId(browser, "filter-to")).getValue());
    await preset.selectByAttribute("value", "last7");
    await waitRows(browser, 2, "both runs in the last 7 days");
    await screenshot(browser, "dates-04-preset-last7");
    await preset.selectByAttribute("value", "");
    await waitRows(browser, 2, "any time");
    assert.equal(await (await byTestId(browser, "filter-from")).getValue(), "");
  });

  it("counts relative dates in calendar days", async () => {
    const { browser } = app;
    const { id: runId, startedAt: iso } = runs[1];
    assert.ok(iso, "the CLI reports when the run started");
    const time = await browser.execute(
      (s) => new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" }).format(new Date(s)),
      iso,
    );
    const weekday = await browser.execute((s) => new Intl.DateTimeFormat(undefined, { weekday: "short" }).format(new Date(s)), iso);

    // The next morning at 08:00: "yesterday" with the time, whatever the hours in between.
    await setPageClock(browser, iso, "yesterday");
    await (await shown(browser, "nav-library")).click();
    await openHistory(browser);
    const yesterday = await (await byTestId(browser, `run-started-${runId}`)).getText();
    assert.equal(yesterday, `yesterday ${time}`);
    await screenshot(browser, "dates-05-yesterday");

    // Two calendar days later: the weekday, never "yesterday".
    await setPageClock(browser, iso, "two-days");
    await (await shown(browser, "nav-library")).click();
    await openHistory(browser);
    const older = await (await byTestId(browser, `run-started-${runId}`)).getText();
    assert.equal(older, `${weekday} ${time}`);
    await screenshot(browser, "dates-06-two-days");
    await setPageClock(browser, iso, null);
  });
});
