// The step catalogue in the real window: a mission of data, database, git, code and system steps
// runs to the end, each node reaches success, and a database step's drawer shows the rows its
// bound query returned; the About page counts the step types that run.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { byTestId, DATA_DIR, launchApp, screenshot } from "./app.mjs";

const MISSION = path.resolve("missions/catalogue.yaml");
// A data folder of this file's own, so its run does not show in the other files' History.
const OWN_DATA = DATA_DIR ? path.join(path.dirname(DATA_DIR), "catalogue-data") : undefined;

let app;

before(async () => {
  assert.ok(DATA_DIR, "MISSION_STUDIO_DATA_DIR is set by run.sh");
  mkdirSync(OWN_DATA, { recursive: true });
  process.env.MISSION_STUDIO_DATA_DIR = OWN_DATA;
  app = await launchApp();
});

after(async () => {
  await app?.stop();
});

describe("step catalogue", () => {
  it("runs data, database, git, code and system steps to success and shows a query's rows", async () => {
    const { browser } = app;
    await (await byTestId(browser, "nav-runs")).click();
    await (await byTestId(browser, "run-file-path")).setValue(MISSION);
    await (await byTestId(browser, "run-file-start")).click();
    await browser.waitUntil(async () => /\/runs\/[0-9a-f-]{36}$/.test(await browser.execute(() => location.hash)), {
      timeout: 15_000,
      timeoutMsg: "the run view did not open",
    });
    const view = await byTestId(browser, "run-view");
    await browser.waitUntil(async () => (await view.getAttribute("data-final")) === "true", {
      timeout: 120_000,
      timeoutMsg: "the catalogue run did not finish",
    });
    const statuses = await browser.execute(() =>
      Object.fromEntries(
        [...document.querySelectorAll("[data-step-status]")].map((el) => [
          el.closest("[data-testid^='dag-node-']").getAttribute("data-testid").slice("dag-node-".length),
          el.getAttribute("data-step-status"),
        ]),
      ),
    );
    assert.equal(await view.getAttribute("data-run-status"), "completed", JSON.stringify(statuses));
    assert.equal(Object.keys(statuses).length, 12);
    for (const [id, status] of Object.entries(statuses)) assert.equal(status, "success", `${id} is ${status}`);
    await screenshot(browser, "catalogue-run");

    await (await byTestId(browser, "dag-node-query")).click();
    const drawer = await byTestId(browser, "step-drawer");
    await drawer.waitForDisplayed({ timeout: 10_000 });
    let text = "";
    await browser.waitUntil(
      async () => /"row_count": 1/.test((text = await browser.execute((el) => el.textContent, drawer))),
      { timeout: 10_000, timeoutMsg: "the query's output did not show in its drawer" },
    );
    assert.match(text, /"region": "EMEA"/);
    assert.match(text, /"total": 1650/);
    await browser.execute((el) => [...el.querySelectorAll(".drawer-section")].pop()?.scrollIntoView(), drawer);
    await screenshot(browser, "catalogue-query-drawer");
  });

  it("counts the step types that run on the About page", async () => {
    const { browser } = app;
    await (await byTestId(browser, "nav-about")).click();
    const summary = await byTestId(browser, "about-step-types-summary");
    await summary.waitForDisplayed({ timeout: 10_000 });
    const text = await browser.execute((el) => el.textContent, summary);
    assert.match(text, /all 51 step types/);
    const match = /runs (?:all )?(\d+) of them/.exec(text);
    assert.ok(match, `the summary says how many of the 51 run: ${text}`);
    assert.ok(Number(match[1]) >= 40, `at least 40 of the 51 types run: ${text}`);
    await (await byTestId(browser, "about-step-types")).scrollIntoView();
    await screenshot(browser, "catalogue-about");
  });
});
