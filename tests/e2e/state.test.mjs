// The typed state in the run view: while a run waits for an approval, a person edits a state
// field (a wrong-typed value is refused with what is expected), and the next step uses it.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { byTestId, launchApp, screenshot } from "./app.mjs";

const MISSION = path.resolve("missions", "state-edit.yaml");
let app;

before(async () => {
  app = await launchApp();
});

after(async () => {
  await app?.stop();
});

async function text(browser, id) {
  return (await byTestId(browser, id, 15_000)).getText();
}

describe("typed state", () => {
  it("edits a field while the run waits for approval and the next step uses the value", async () => {
    const { browser } = app;
    await browser.setWindowSize(1400, 900);
    await (await byTestId(browser, "nav-runs")).click();
    await (await byTestId(browser, "run-file-path")).setValue(MISSION);
    await (await byTestId(browser, "run-file-start")).click();
    await byTestId(browser, "run-dag", 15_000);
    await byTestId(browser, "approval-review", 20_000);
    // Defaults and what the first step wrote.
    await browser.waitUntil(async () => (await text(browser, "state-value-pages")) === "3", {
      timeout: 10_000,
      timeoutMsg: "the state shows what step draft wrote",
    });
    assert.equal(await text(browser, "state-value-reviewer"), "nobody");
    assert.match(await text(browser, "run-plan"), /\[x\] draft[\s\S]*\[~\] review[\s\S]*\[ \] publish/);

    // A value of the wrong type is refused, saying what is expected.
    await (await byTestId(browser, "state-edit-pages")).click();
    const pages = await byTestId(browser, "state-input-pages");
    await pages.clearValue();
    await pages.setValue("three");
    await (await byTestId(browser, "state-save-pages")).click();
    assert.match(await text(browser, "state-error"), /whole number/);
    await browser.keys("Escape");

    await (await byTestId(browser, "state-edit-reviewer")).click();
    const input = await byTestId(browser, "state-input-reviewer");
    await input.clearValue();
    await input.setValue("Ada Lovelace");
    await (await byTestId(browser, "state-save-reviewer")).click();
    await browser.waitUntil(async () => (await text(browser, "state-value-reviewer")) === "Ada Lovelace", {
      timeout: 10_000,
      timeoutMsg: "the edited value is not shown",
    });
    assert.match(await text(browser, "run-state"), /edited by ui/);
    await screenshot(browser, "state-01-edited-while-waiting");

    await (await byTestId(browser, "approve-review")).click();
    await browser.waitUntil(
      async () => (await (await byTestId(browser, "run-view")).getAttribute("data-final")) === "true",
      { timeout: 30_000, timeoutMsg: "the run did not end" },
    );
    assert.equal(await (await byTestId(browser, "run-view")).getAttribute("data-run-status"), "completed");
    await (await byTestId(browser, "dag-node-publish")).click();
    const drawer = await byTestId(browser, "step-drawer", 10_000);
    await browser.waitUntil(async () => /Reviewed by Ada Lovelace, 3 pages/.test(await drawer.getText()), {
      timeout: 10_000,
      timeoutMsg: "the next step did not use the edited value",
    });
    await screenshot(browser, "state-02-used-by-the-next-step");
  });
});
