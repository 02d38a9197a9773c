// The run view tells the truth: counts by step status after a failure, a denial and a cancel;
// the end of a run with its links and no dead button; the approver's note; Strict asking for an
// HTTP GET and a model call; the wait for approval kept out of the runtime cap; gauges coloured
// by how close they came to a cap; a 12-step chain followed to its end; and the approval card
// whole at 1280×800.
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { byTestId, DATA_DIR, launchApp, OUT_DIR, screenshot } from "./app.mjs";

const MISSIONS = path.resolve("missions");
let app;
let server;
let base;
const requests = [];

before(async () => {
  // No global hard caps left by another test file.
  rmSync(path.join(DATA_DIR, "perimeter.yaml"), { force: true });
  server = http.createServer((req, res) => {
    requests.push(req.url);
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ open: [{ supplier: "Acme", orders: 3, total: 1250.5 }], late: 1 }));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  app = await launchApp();
});

after(async () => {
  await app?.stop();
  server?.close();
});

async function openRuns(browser) {
  await (await byTestId(browser, "nav-runs")).click();
  await byTestId(browser, "run-file-path");
}

/** Starts a mission file from the Runs page; returns the run id once its view shows. */
async function startMission(browser, file) {
  await openRuns(browser);
  const input = await byTestId(browser, "run-file-path");
  await input.setValue(file);
  await (await byTestId(browser, "run-file-start")).click();
  await browser.waitUntil(async () => /\/runs\/[0-9a-f-]{36}$/.test(await browser.execute(() => location.hash)), {
    timeout: 15_000,
    timeoutMsg: `the run view of ${file} did not open`,
  });
  await byTestId(browser, "run-dag");
  return (await browser.execute(() => location.hash)).split("/").pop();
}

async function waitFinal(browser, timeout = 60_000) {
  await browser.waitUntil(
    async () => (await (await byTestId(browser, "run-view")).getAttribute("data-final")) === "true",
    { timeout, timeoutMsg: "the run did not reach its final event" },
  );
  return (await byTestId(browser, "run-view")).getAttribute("data-run-status");
}

/** The summary's text and counts, read once the counts show the run's end. */
async function counts(browser) {
  const el = await byTestId(browser, "run-counts");
  return browser.execute((e) => ({ text: e.textContent, ...e.dataset }), el);
}

/** Status of each node, by step id. */
async function nodeStatuses(browser) {
  return browser.execute(() =>
    Object.fromEntries(
      [...document.querySelectorAll("[data-step-status]")].map((el) => [
        el.closest("[data-testid^='dag-node-']").getAttribute("data-testid").slice("dag-node-".length),
        el.getAttribute("data-step-status"),
      ]),
    ),
  );
}

/** Whether the ended run shows no Cancel button, and the links to what it left. */
async function assertEndedCleanly(browser, runId) {
  assert.equal(await (await browser.$('[data-testid="cancel-run"]')).isExisting(), false, "no Cancel once the run ended");
  const href = async (id) => browser.execute((e) => e.getAttribute("href"), await byTestId(browser, id));
  assert.equal(await href("run-result-link"), `#/history/${runId}/evidence`);
  assert.equal(await href("run-evidence-link"), `#/history/${runId}`);
}

/** The rectangles of the Approve and Deny buttons and the window's viewport. */
async function actionRects(browser, stepId) {
  return browser.execute((id) => {
    const r = (el) => {
      const b = el.getBoundingClientRect();
      return { top: b.top, left: b.left, bottom: b.bottom, right: b.right, width: b.width, height: b.height };
    };
    return {
      approve: r(document.querySelector(`[data-testid="approve-${id}"]`)),
      deny: r(document.querySelector(`[data-testid="deny-${id}"]`)),
      card: r(document.querySelector(`[data-testid="approval-${id}"]`)),
      viewport: { width: window.innerWidth, height: window.innerHeight },
    };
  }, stepId);
}

function assertInside(rect, viewport, what) {
  assert.ok(rect.width > 0 && rect.height > 0, `${what} has a size`);
  assert.ok(
    rect.top >= 0 && rect.left >= 0 && rect.bottom <= viewport.height && rect.right <= viewport.width,
    `${what} ${JSON.stringify(rect)} lies inside the ${viewport.width}×${viewport.height} viewport`,
  );
}

function strictMission() {
  const text = readFileSync(path.join(MISSIONS, "strict-fetch.yaml"), "utf8").replaceAll("__BASE__", base);
  const file = path.join(OUT_DIR, "runview-strict-fetch.yaml");
  writeFileSync(file, text);
  return file;
}

describe("run view", () => {
  it("counts a failure: three done, one failed, two skipped, and links to the result", async () => {
    const { browser } = app;
    const runId = await startMission(browser, path.join(MISSIONS, "fail-midway.yaml"));
    assert.equal(await waitFinal(browser), "failed");
    const c = await counts(browser);
    assert.equal(c.text, "3 of 6 done·1 failed·2 skipped".replaceAll("·", ""), JSON.stringify(c));
    assert.deepEqual([c.done, c.failed, c.skipped, c.cancelled, c.notStarted], ["3", "1", "2", "0", "0"]);
    assert.equal(await (await byTestId(browser, "run-outcome-label")).getText(), "Failed");
    assert.match(await (await byTestId(browser, "run-outcome-reason")).getText(), /check/);
    await assertEndedCleanly(browser, runId);
    await screenshot(browser, "runview-01-failed-counts");
  });

  it("asks for the HTTP GET and the model call under Strict; the wait is not runtime; gauges stay calm", async () => {
    const { browser } = app;
    await startMission(browser, strictMission());
    const fetchCard = await byTestId(browser, "approval-fetch", 20_000);
    await fetchCard.waitForDisplayed();
    assert.match(await fetchCard.getText(), /calls out \(the network\)/);
    assert.equal(requests.length, 0, "nothing was sent before the approval");
    // Longer than the run's 3 s runtime cap: the run must not time out while a person decides.
    await browser.pause(4000);
    assert.equal(await (await byTestId(browser, "run-view")).getAttribute("data-final"), "false", "still waiting, not timed out");
    await (await byTestId(browser, "approve-fetch")).click();
    const llmCard = await byTestId(browser, "approval-summarise", 20_000);
    assert.match(await llmCard.getText(), /calls out \(a model\)/);
    await (await byTestId(browser, "approve-summarise")).click();
    await (await byTestId(browser, "approve-report", 20_000)).click();
    assert.equal(await waitFinal(browser), "completed");
    assert.equal(requests.length, 1, "the approved GET reached the server once");
    const wait = Number(await (await byTestId(browser, "run-gauges")).getAttribute("data-approval-wait-ms"));
    assert.ok(wait >= 3500, `the wait for approval is reported apart (${wait} ms)`);
    const note = await browser.execute((e) => e.textContent, await byTestId(browser, "gauge-runtime-note"));
    assert.match(note, /^waited \d+(\.\d)? s for approval$/);
    // One model call of one allowed, on a run that completed: close to its cap, never red.
    assert.equal(await (await byTestId(browser, "gauge-llm")).getAttribute("data-level"), "warn");
    assert.equal(await (await byTestId(browser, "gauge-runtime")).getAttribute("data-level"), "ok");
    const c = await counts(browser);
    assert.equal(c.text, "4 of 4 done");
    await screenshot(browser, "runview-02-strict-completed");
  });

  it("shows the approval card whole at 1280×800 and the denial with the approver's note", async () => {
    const { browser } = app;
    await browser.setWindowSize(1280, 800);
    await browser.pause(300);
    const runId = await startMission(browser, strictMission());
    await (await byTestId(browser, "approve-fetch", 20_000)).click();
    const card = await byTestId(browser, "approval-summarise", 20_000);
    await card.waitForDisplayed();
    await browser.pause(400);
    const rects = await actionRects(browser, "summarise");
    console.log("approval card at 1280×800:", JSON.stringify(rects));
    assert.ok(rects.viewport.width <= 1280 && rects.viewport.height <= 800, JSON.stringify(rects.viewport));
    assertInside(rects.approve, rects.viewport, "Approve");
    assertInside(rects.deny, rects.viewport, "Deny");
    // The parameters read as fields, not escaped JSON; the prompt is shown as written.
    const bodyText = await (await byTestId(browser, "approval-body-scroll")).getText();
    assert.doesNotMatch(bodyText, /\\n|\\"/, "no escaped JSON in the card");
    assert.match(bodyText, /Summarise the open purchase orders/);
    await screenshot(browser, "runview-03-approval-1280x800");
    const note = await card.$('input[aria-label="Note for the audit log"]');
    await note.setValue("numbers look stale, fetch again tomorrow");
    await (await byTestId(browser, "deny-summarise")).click();
    assert.equal(await waitFinal(browser), "failed");
    assert.equal(await (await byTestId(browser, "run-outcome-label")).getText(), "Denied");
    const decision = await byTestId(browser, "run-decision-summarise", 15_000);
    await browser.waitUntil(async () => /numbers look stale/.test(await decision.getText()), {
      timeout: 10_000,
      timeoutMsg: "the approver's note is not shown",
    });
    assert.match(await decision.getText(), /summarise denied by ui/);
    assert.match(await (await byTestId(browser, "run-decision-fetch")).getText(), /fetch approved by ui/);
    assert.match(await (await byTestId(browser, "run-outcome-reason")).getText(), /denied by ui: "numbers look stale, fetch again tomorrow"/);
    const c = await counts(browser);
    assert.equal(c.text, "2 of 4 done2 skipped");
    await assertEndedCleanly(browser, runId);
    await screenshot(browser, "runview-04-denied-note");
  });

  it("counts a cancel: one done, two cancelled, one skipped; no Cancel button left", async () => {
    const { browser } = app;
    const runId = await startMission(browser, path.join(MISSIONS, "long.yaml"));
    await browser.waitUntil(async () => (await nodeStatuses(browser)).wait === "running", {
      timeout: 15_000,
      timeoutMsg: "the sleep step did not start",
    });
    assert.match((await counts(browser)).text, /1 of 4 done.*2 running.*1 not started/);
    // A small graph (three ranks) is fitted whole into its box.
    const outside = await browser.execute(() => {
      const box = document.querySelector('[data-testid="run-dag"]').getBoundingClientRect();
      return [...document.querySelectorAll("[data-testid^='dag-node-']")]
        .filter((n) => {
          const r = n.getBoundingClientRect();
          return r.left < box.left || r.right > box.right || r.top < box.top || r.bottom > box.bottom;
        })
        .map((n) => n.getAttribute("data-testid"));
    });
    assert.deepEqual(outside, [], "every node of a small run is in view");
    await (await byTestId(browser, "cancel-run")).click();
    assert.equal(await waitFinal(browser, 20_000), "cancelled");
    const c = await counts(browser);
    assert.equal(c.text, "1 of 4 done2 cancelled1 skipped");
    assert.equal(await (await byTestId(browser, "run-outcome-label")).getText(), "Cancelled");
    await assertEndedCleanly(browser, runId);
    await screenshot(browser, "runview-05-cancelled");
  });

  it("follows a 12-step chain to its end, and stops following while the user pans", async () => {
    const { browser } = app;
    await browser.setWindowSize(1280, 800);
    await startMission(browser, path.join(MISSIONS, "chain-12.yaml"));
    // Each time a step runs, its node must lie inside the graph's box.
    const seen = {};
    let beforePan = {};
    let panned = false;
    let resumed = false;
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline) {
      const probe = await browser.execute(() => {
        const box = document.querySelector('[data-testid="run-dag"]').getBoundingClientRect();
        const running = [...document.querySelectorAll('[data-step-status="running"]')].map((s) => {
          const node = s.closest("[data-testid^='dag-node-']");
          const r = node.getBoundingClientRect();
          return {
            id: node.getAttribute("data-testid").slice("dag-node-".length),
            inside: r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1,
          };
        });
        return { running, final: document.querySelector('[data-testid="run-view"]').getAttribute("data-final") };
      });
      for (const r of probe.running) {
        if (seen[r.id] === undefined || seen[r.id] === false) seen[r.id] = r.inside;
      }
      if (probe.final === "true") break;
      // (The view glides to each new step in a quarter of a second: c04 is first seen in view.)
      if (!panned && seen.c04 === true) {
        // The user pans by hand: the view stops following and offers to follow again.
        const pane = await browser.$('[data-testid="run-dag"] .react-flow__pane');
        await browser.action("pointer").move({ origin: pane, x: 0, y: 0 }).down().move({ origin: "pointer", x: 300, y: 80, duration: 120 }).up().perform();
        panned = true;
        await byTestId(browser, "dag-follow", 5000);
        await screenshot(browser, "runview-06-chain-panned");
        await (await byTestId(browser, "dag-follow")).click();
        resumed = true;
        // Steps that ran while the view was left alone are not counted against it.
        beforePan = { ...seen };
        for (const id of Object.keys(seen)) delete seen[id];
      }
      await browser.pause(120);
    }
    assert.ok(panned && resumed, "the pan and the Follow button were exercised");
    assert.equal(await waitFinal(browser), "completed");
    console.log("running steps seen inside the graph's box:", JSON.stringify({ beforePan, afterFollow: seen }));
    for (const [id, inside] of Object.entries(beforePan)) assert.equal(inside, true, `${id} ran off-screen before the pan`);
    assert.equal(seen.c12, true, "the last step was in view while it ran");
    for (const [id, inside] of Object.entries(seen)) assert.equal(inside, true, `${id} ran off-screen`);
    assert.ok(Object.keys(seen).length >= 6, `steps seen running after the pan: ${Object.keys(seen).join(", ")}`);
    // Labels: two lines at a readable size, the full name on hover. (The completed run's view
    // glides back to its start first.)
    await browser.pause(800);
    const label = await browser.execute(() => {
      const el = document.querySelector('[data-testid="dag-node-c12"] .dag-node-label');
      const style = getComputedStyle(el);
      // The graph is drawn scaled: the label's size on screen is its font size times the zoom.
      const zoom = el.getBoundingClientRect().height / el.offsetHeight;
      return {
        title: el.getAttribute("title"),
        size: parseFloat(style.fontSize) * zoom,
        lines: Math.round(el.offsetHeight / parseFloat(style.lineHeight)),
      };
    });
    console.log("label of c12:", JSON.stringify(label));
    assert.ok(label.size >= 10.5, `label drawn at ${label.size}px`);
    assert.equal(label.lines, 2, "a long name wraps to two lines");
    assert.match(label.title, /Notify the purchasing team that the review is done/);
    await screenshot(browser, "runview-07-chain-end");
  });
});
