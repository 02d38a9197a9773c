// The run view, driven for real: run missions and watch every node reach its state, approve and
// deny from the approval card, cancel a long run (no child process left), reload mid-run and see
// the DAG catch up, and measure event-to-screen latency and frame times on a 1,000-step mission.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { byTestId, DATA_DIR, launchApp, OUT_DIR, screenshot } from "./app.mjs";

const MISSIONS = path.resolve("missions");
let app;

before(async () => {
  // No global hard caps left by another test file: the 1,000-step mission needs none.
  rmSync(path.join(DATA_DIR, "perimeter.yaml"), { force: true });
  app = await launchApp();
});

after(async () => {
  await app?.stop();
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

/** The visible text of an element once it shows (entry animations start from transparent). */
async function textOf(browser, id, timeout = 10_000) {
  const el = await byTestId(browser, id, timeout);
  await el.waitForDisplayed({ timeout });
  let text = "";
  await browser.waitUntil(async () => (text = await el.getText()).trim() !== "", {
    timeout: 5000,
    timeoutMsg: `data-testid="${id}" shows no text`,
  });
  return text;
}

async function waitFinal(browser, timeout = 60_000) {
  await browser.waitUntil(
    async () => (await (await byTestId(browser, "run-view")).getAttribute("data-final")) === "true",
    { timeout, timeoutMsg: "the run did not reach its final event" },
  );
  return (await byTestId(browser, "run-view")).getAttribute("data-run-status");
}

/** Status of each node in the DOM, by step id. */
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

async function setTheme(browser, want) {
  for (let i = 0; i < 3; i++) {
    const btn = await byTestId(browser, "theme-cycle");
    if ((await btn.getAttribute("data-theme-choice")) === want) return;
    await btn.click();
    await browser.pause(150);
  }
}

/** Processes named `sleep 30` whose ancestors include the app. */
function sleepChildrenOfApp() {
  const appExe = realpathSync(process.env.E2E_APP);
  const parent = (pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      return 0;
    }
  };
  const isApp = (pid) => {
    try {
      return realpathSync(`/proc/${pid}/exe`) === appExe;
    } catch {
      return false;
    }
  };
  const out = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let cmd;
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (cmd !== "sleep\u000030\u0000") continue;
    for (let p = Number(name), hops = 0; p > 1 && hops < 20; p = parent(p), hops++) {
      if (isApp(p)) {
        out.push(Number(name));
        break;
      }
    }
  }
  return out;
}

function p95(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)] : NaN;
}

/** Records, in the page, how long after the engine emitted a step's state its node showed it. */
async function installLatencyProbe(browser) {
  await browser.execute(() => {
    window.__latency = [];
    window.__latencyFrom = 0;
    window.__probe?.disconnect();
    window.__probe = new MutationObserver((records) => {
      const now = Date.now();
      if (!window.__latencyFrom) return;
      for (const r of records) {
        // Only states the engine emitted once the view followed the run live (a replay of
        // older events is not a latency).
        const at = Number(r.target.getAttribute("data-changed-at"));
        if (at && at >= window.__latencyFrom) window.__latency.push(now - at);
      }
    });
    window.__probe.observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-step-status"] });
  });
}

/** Starts taking samples once the run view follows the run (its first events arrive as a replay). */
async function startLatencySamples(browser) {
  await browser.waitUntil(async () => Number(await (await byTestId(browser, "run-view")).getAttribute("data-last-seq")) > 0, {
    timeout: 15_000,
    timeoutMsg: "the run view received no event",
  });
  await browser.execute(() => {
    window.__latencyFrom = Date.now();
  });
}

describe("run view", () => {
  it("runs a mission file and sees every node reach success", async () => {
    const { browser } = app;
    await startMission(browser, path.join(MISSIONS, "fan-out.yaml"));
    assert.equal(await waitFinal(browser), "completed");
    const statuses = await nodeStatuses(browser);
    assert.deepEqual(Object.keys(statuses).sort(), ["fetch_a", "fetch_b", "fetch_c", "merge", "prepare", "report"]);
    for (const [id, s] of Object.entries(statuses)) assert.equal(s, "success", `${id} is ${s}`);
    // The step drawer shows the command's output.
    await (await byTestId(browser, "dag-node-fetch_a")).click();
    const stdout = await byTestId(browser, "step-stdout");
    await browser.waitUntil(async () => String(await stdout.getProperty("textContent")).includes("alpha"), {
      timeout: 10_000,
      timeoutMsg: "the drawer does not show the step's stdout",
    });
    await screenshot(browser, "run-01-completed-drawer");
  });

  it("runs a template of the library and sees every node reach success", async () => {
    const { browser } = app;
    await openRuns(browser);
    const select = await byTestId(browser, "run-template-select");
    const id = "studio.engineering.todo-debt-census";
    await browser.waitUntil(async () => (await select.$(`option[value="${id}"]`)).isExisting(), {
      timeout: 10_000,
      timeoutMsg: "the template picker did not list the library",
    });
    await select.selectByAttribute("value", id);
    await (await byTestId(browser, "run-template-start")).click();
    await browser.waitUntil(async () => /\/runs\/[0-9a-f-]{36}$/.test(await browser.execute(() => location.hash)), {
      timeout: 15_000,
      timeoutMsg: "the template's run view did not open",
    });
    await byTestId(browser, "run-dag");
    assert.equal(await waitFinal(browser), "completed");
    const statuses = await nodeStatuses(browser);
    assert.ok(Object.keys(statuses).length >= 3, "the template's steps are drawn");
    for (const [step, s] of Object.entries(statuses)) assert.equal(s, "success", `${step} is ${s}`);
    assert.match(await (await byTestId(browser, "page-title")).getProperty("textContent"), /TODO and FIXME Census/);
  });

  it("approves a Threshold approval from the card and the run finishes", async () => {
    const { browser } = app;
    await setTheme(browser, "light");
    await startMission(browser, path.join(MISSIONS, "approval.yaml"));
    const card = await byTestId(browser, "approval-deploy", 20_000);
    assert.match(await textOf(browser, "approval-program"), /echo/);
    const args = await textOf(browser, "approval-args");
    assert.match(args, /deploying/);
    assert.match(args, /staging/, "references are resolved in what will run");
    assert.equal(await textOf(browser, "nav-runs-badge"), "1");
    assert.equal((await nodeStatuses(browser)).deploy, "blocked");
    await card.scrollIntoView();
    await screenshot(browser, "run-02-approval-light");
    await setTheme(browser, "dark");
    await screenshot(browser, "run-03-approval-dark");
    await (await byTestId(browser, "approve-deploy")).click();
    assert.equal(await waitFinal(browser), "completed");
    const statuses = await nodeStatuses(browser);
    assert.deepEqual(statuses, { plan: "success", deploy: "success", verify: "success" });
    await browser.waitUntil(async () => !(await (await browser.$('[data-testid="nav-runs-badge"]')).isExisting()), {
      timeout: 5000,
      timeoutMsg: "the approval badge did not clear",
    });
  });

  it("denies another and sees the run fail with the step skipped", async () => {
    const { browser } = app;
    await startMission(browser, path.join(MISSIONS, "approval.yaml"));
    await byTestId(browser, "approval-deploy", 20_000);
    await (await byTestId(browser, "deny-deploy")).click();
    assert.equal(await waitFinal(browser), "failed");
    const statuses = await nodeStatuses(browser);
    assert.equal(statuses.deploy, "skipped");
    assert.equal(statuses.verify, "skipped");
    assert.match(await textOf(browser, "run-outcome"), /denied|skipped/i);
    await screenshot(browser, "run-04-denied-dark");
  });

  it("cancels a long run: nodes cancelled, no child process left", async () => {
    const { browser } = app;
    await startMission(browser, path.join(MISSIONS, "long.yaml"));
    await browser.waitUntil(async () => (await nodeStatuses(browser)).wait === "running", {
      timeout: 15_000,
      timeoutMsg: "the sleep step did not start",
    });
    await browser.waitUntil(async () => sleepChildrenOfApp().length >= 2, {
      timeout: 25_000,
      timeoutMsg: "no `sleep 30` child of the app was found",
    });
    await screenshot(browser, "run-05-running-dark");
    await (await byTestId(browser, "cancel-run")).click();
    assert.equal(await waitFinal(browser, 20_000), "cancelled");
    const statuses = await nodeStatuses(browser);
    assert.equal(statuses.wait, "cancelled");
    assert.equal(statuses.side, "cancelled");
    assert.equal(statuses.after, "skipped");
    assert.deepEqual(sleepChildrenOfApp(), [], "no `sleep 30` left after cancel");
    await screenshot(browser, "run-06-cancelled-dark");
  });

  it("reloads the window mid-run and the DAG catches up", async () => {
    const { browser } = app;
    await setTheme(browser, "light");
    await installLatencyProbe(browser);
    const runId = await startMission(browser, path.join(MISSIONS, "slow-chain.yaml"));
    await startLatencySamples(browser);
    // Half of the chain, so the samples before the reload cover several steps however late the
    // events reach the page.
    await browser.waitUntil(async () => (await nodeStatuses(browser)).s06 === "success", {
      timeout: 20_000,
      timeoutMsg: "s06 did not finish",
    });
    await screenshot(browser, "run-07-mid-run-light");
    const before = Number(await (await byTestId(browser, "run-view")).getAttribute("data-last-seq"));
    const latencyBefore = await browser.execute(() => window.__latency);
    await browser.refresh();
    const view = await byTestId(browser, "run-view", 15_000);
    const pathAfter = await browser.execute(() => location.hash);
    assert.equal(pathAfter, `#/runs/${runId}`);
    // The state seen before the reload is back at once (sessionStorage), then the rest arrives.
    await browser.waitUntil(async () => Number(await view.getAttribute("data-last-seq")) >= before, { timeout: 5000 });
    assert.equal(await waitFinal(browser), "completed");
    const statuses = await nodeStatuses(browser);
    assert.equal(Object.keys(statuses).length, 12);
    for (const [id, s] of Object.entries(statuses)) assert.equal(s, "success", `${id} is ${s}`);
    // Every event exactly once in the log, gapless.
    const seqs = await browser.execute(() =>
      [...document.querySelectorAll(".event-seq")].map((e) => Number(e.textContent)),
    );
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), "the event log has every seq once, in order");
    writeFileSync(path.join(OUT_DIR, "latency-slow-chain.json"), JSON.stringify(latencyBefore));
  });

  it("measures a 1,000-step mission: latency to screen and frame times", async () => {
    const { browser } = app;
    const steps = [];
    const lanes = 25;
    const depth = 40;
    for (let d = 0; d < depth; d++) {
      for (let l = 0; l < lanes; l++) {
        const id = `s${String(d).padStart(2, "0")}_${String(l).padStart(2, "0")}`;
        const dep = d > 0 ? `, depends_on: [s${String(d - 1).padStart(2, "0")}_${String(l).padStart(2, "0")}]` : "";
        // Every fifth step sleeps a little so the run takes a few seconds (watched live, not
        // replayed once over).
        const body =
          (d * lanes + l) % 5 === 0
            ? `step_type: command, parameters: {command: sleep, args: ["0.5"]}`
            : `step_type: noop, parameters: {n: ${d * lanes + l}}`;
        steps.push(`  - {id: ${id}${dep}, ${body}}`);
      }
    }
    const file = path.join(OUT_DIR, "thousand-steps.yaml");
    writeFileSync(
      file,
      `version: "1.0"\nid: e2e.thousand\nname: Thousand steps\nconfig:\n  max_concurrent_steps: 8\nsteps:\n${steps.join("\n")}\n`,
    );
    await installLatencyProbe(browser);
    await startMission(browser, file);
    await startLatencySamples(browser);
    // The view opens on the first steps, which are done within a second or two: pan it a few
    // columns ahead, where steps start and finish while the frames are counted.
    const pane = await browser.$('[data-testid="run-dag"] .react-flow__pane');
    for (let i = 0; i < 2; i++) {
      await browser
        .action("pointer")
        .move({ origin: pane, x: 0, y: 0 })
        .down()
        .move({ origin: "pointer", x: -450, y: 0, duration: 150 })
        .up()
        .perform();
    }
    // Frames while the run goes on, from the moment the view follows it live.
    await browser.execute(() => {
      window.__frames = [];
      let last = performance.now();
      window.__frameStop = false;
      const loop = (t) => {
        window.__frames.push(t - last);
        last = t;
        if (!window.__frameStop) requestAnimationFrame(loop);
      };
      requestAnimationFrame(loop);
    });
    const status = await waitFinal(browser, 120_000);
    const { frames, latency } = await browser.execute(() => {
      // The frames after the final event (the view at rest) are not counted.
      window.__frameStop = true;
      return { frames: window.__frames, latency: window.__latency };
    });
    assert.equal(status, "completed");
    await screenshot(browser, "run-08-thousand-light");
    const slow = JSON.parse(readFileSync(path.join(OUT_DIR, "latency-slow-chain.json"), "utf8"));
    const result = {
      slowChain: { samples: slow.length, p50: p95(slow.map((x) => x)) && slow.sort((a, b) => a - b)[Math.floor(slow.length / 2)], p95: p95(slow), max: Math.max(...slow) },
      thousand: {
        latencySamples: latency.length,
        latencyP95: p95(latency),
        latencyMax: Math.max(...latency),
        frames: frames.length,
        frameP50: [...frames].sort((a, b) => a - b)[Math.floor(frames.length / 2)],
        frameP95: p95(frames),
        frameMax: Math.max(...frames),
        frameTimes: frames.map((f) => Math.round(f)),
      },
    };
    writeFileSync(path.join(OUT_DIR, "run-measurements.json"), JSON.stringify(result, null, 2));
    console.log("run view measurements:", JSON.stringify({ ...result, thousand: { ...result.thousand, frameTimes: undefined } }));
    assert.ok(slow.length >= 4, `latency samples on the slow chain (${slow.length})`);
    assert.ok(frames.length > 10, "frames were drawn while the mission ran");
    // The targets (latency p95 < 100 ms, frame p95 < 50 ms) are reported, not asserted: on a
    // shared 2-core machine with software rendering the figures follow the machine's load.
    const verdict = (value, target) => (value < target ? "met" : "MISSED");
    console.log(
      `latency p95 ${Math.round(result.slowChain.p95)} ms (target < 100: ${verdict(result.slowChain.p95, 100)}); ` +
        `frame p95 ${Math.round(result.thousand.frameP95)} ms (target < 50: ${verdict(result.thousand.frameP95, 50)})`,
    );
  });
});
