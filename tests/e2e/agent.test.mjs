// An agent template in the real window: the Phishing Report Triage Agent runs offline (its model
// is the simulated provider playing the template's script), and its node opens a timeline of
// iterations, each tool call with its decision, input and output.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { byTestId, DATA_DIR, launchApp, screenshot } from "./app.mjs";

const TEMPLATE = path.resolve("../../missions/templates/security/phishing-report-triage-agent.yaml");
// A data folder of this file's own, so its run does not show in the other files' History.
const OWN_DATA = DATA_DIR ? path.join(path.dirname(DATA_DIR), "agent-data") : undefined;

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

describe("agent timeline", () => {
  it("runs an agent template and shows its iterations and gated calls", async () => {
    const { browser } = app;
    await (await byTestId(browser, "nav-runs")).click();
    await (await byTestId(browser, "run-file-path")).setValue(TEMPLATE);
    await (await byTestId(browser, "run-file-start")).click();
    await browser.waitUntil(async () => /\/runs\/[0-9a-f-]{36}$/.test(await browser.execute(() => location.hash)), {
      timeout: 15_000,
      timeoutMsg: "the run view did not open",
    });
    const view = await byTestId(browser, "run-view");
    await browser.waitUntil(async () => (await view.getAttribute("data-final")) === "true", {
      timeout: 60_000,
      timeoutMsg: "the agent run did not finish",
    });
    assert.equal(await view.getAttribute("data-run-status"), "completed");

    await (await byTestId(browser, "dag-node-verdict")).click();
    const drawer = await byTestId(browser, "step-drawer");
    await drawer.waitForDisplayed({ timeout: 10_000 });
    const timeline = await byTestId(browser, "agent-timeline");
    await timeline.waitForDisplayed({ timeout: 10_000 });
    await browser.waitUntil(
      async () => (await browser.execute((el) => el.querySelectorAll("[data-testid='agent-call']").length, timeline)) === 2,
      { timeout: 10_000, timeoutMsg: "the timeline did not show the agent's two calls" },
    );
    const iterations = await browser.execute(
      (el) => el.querySelectorAll("[data-testid='agent-iteration']").length,
      timeline,
    );
    assert.equal(iterations, 3, "two iterations with a call each, then the answer");
    const decisions = await browser.execute(
      (el) => [...el.querySelectorAll("[data-testid='agent-call']")].map((c) => c.getAttribute("data-decision")),
      timeline,
    );
    assert.deepEqual(decisions, ["allowed", "allowed"]);
    const text = await browser.execute((el) => el.textContent, timeline);
    assert.match(text, /read_file/);
    assert.match(text, /file_search/);
    assert.match(text, /Verdict: PHISHING/);
    // The answer is labelled as the simulated model's.
    assert.ok(await (await byTestId(browser, "step-simulated")).isDisplayed());
    await browser.execute((el) => el.scrollIntoView({ block: "start" }), timeline);
    await screenshot(browser, "agent-timeline");
  });
});
