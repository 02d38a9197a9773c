// Squads in the app, for real: a private `nats-server -js` on a free port, its URL set and
// checked in Settings, then two real `mission worker` processes in two departments that the
// Workers page shows live; a mission run over NATS by the CLI shows as a worker's job, and its
// run view names the worker of each step; then one worker stops and turns silent, and the
// server stops and the page says it cannot reach it. Every process this file starts is stopped
// by its pid, also on failure.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Key } from "webdriverio";
import { byTestId, DATA_DIR, launchApp, screenshot } from "./app.mjs";

const MISSION = process.env.E2E_MISSION ?? path.resolve("../../target/debug/mission");
const WORKERS = [
  { id: "w-research-1", dept: "research" },
  { id: "w-ops-1", dept: "ops" },
];

let app;
let tmp;
let nats;
let natsUrl;
const workers = new Map();
let run;

// One step per department; the research one lasts long enough to be seen as a running job.
const SQUAD_MISSION = `version: "1.0"
id: e2e.squad
name: Squad check
steps:
  - {id: gather, name: Gather tides, step_type: command, dept: research, parameters: {command: sleep, args: ["4"]}}
  - {id: publish, name: Publish, step_type: noop, dept: ops, depends_on: [gather], parameters: {value: 1}}
`;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** True once a NATS server greets on `port` with its INFO line. */
function greets(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on("data", (d) => {
      text += d.toString();
      if (text.includes("\n")) {
        socket.destroy();
        resolve(text.startsWith("INFO "));
      }
    });
    socket.on("error", () => resolve(false));
  });
}

/** Starts a child with its output in a log file of the temporary folder. */
function start(program, args, logName) {
  const log = openSync(path.join(tmp, logName), "a");
  const child = spawn(program, args, { stdio: ["ignore", log, log] });
  child.logFile = path.join(tmp, logName);
  child.on("error", (e) => {
    child.spawnError = e;
  });
  return child;
}

function logOf(child) {
  try {
    return readFileSync(child.logFile, "utf8").slice(-2_000);
  } catch {
    return "";
  }
}

/** Stops a child by its pid: TERM, then KILL after `graceMs`. */
async function stop(child, graceMs = 5_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(child.pid, "SIGTERM");
  const timer = new Promise((resolve) => setTimeout(() => resolve("timeout"), graceMs));
  if ((await Promise.race([exited, timer])) === "timeout") {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
    await exited;
  }
}

async function startNats() {
  const port = await freePort();
  nats = start("nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", path.join(tmp, "jetstream")], "nats-server.log");
  const deadline = Date.now() + 30_000;
  while (!(await greets(port))) {
    if (nats.spawnError) {
      throw new Error(`cannot start nats-server (${nats.spawnError.message}): install the Debian package nats-server (.ci/setup-debian.sh --test)`);
    }
    if (nats.exitCode !== null) throw new Error(`nats-server exited with ${nats.exitCode}: ${logOf(nats)}`);
    if (Date.now() > deadline) throw new Error(`nats-server did not greet on port ${port}: ${logOf(nats)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  natsUrl = `nats://127.0.0.1:${port}`;
}

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "e2e-workers-"));
  await startNats();
  app = await launchApp();
});

after(async () => {
  try {
    await app?.stop();
  } finally {
    await stop(run);
    for (const w of workers.values()) await stop(w);
    await stop(nats);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    // The NATS URL set here would send the later files' runs to a server that is gone.
    forgetNatsUrl();
  }
});

function forgetNatsUrl() {
  const file = path.join(DATA_DIR, "settings.json");
  let settings;
  try {
    settings = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return;
  }
  delete settings.nats_url;
  delete settings.natsUrl;
  writeFileSync(file, JSON.stringify(settings, null, 2));
}

async function waitForPage(browser, title, why) {
  await browser.waitUntil(async () => (await (await byTestId(browser, "page-title")).getText()) === title, {
    timeout: 10_000,
    timeoutMsg: `${why}: the ${title} page did not show`,
  });
}

/** Replaces a field's text the way a person does: select all, then type. */
async function fill(browser, el, text) {
  await el.click();
  await browser.keys([Key.Ctrl, "a"]);
  await browser.keys(Key.Backspace);
  for (const ch of text) await browser.keys(ch);
}

async function scrollIntoView(browser, el) {
  await browser.execute((node) => node.scrollIntoView({ block: "center" }), el);
}

/** True once the child has exited. */
async function runDoneYet(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

async function attr(browser, id, name) {
  const el = await browser.$(`[data-testid="${id}"]`);
  return (await el.isExisting()) ? el.getAttribute(name) : null;
}

describe("Workers", () => {
  it("sets the NATS URL in Settings and checks the connection", async () => {
    const { browser } = app;
    await waitForPage(browser, "Library", "at start");
    await (await byTestId(browser, "nav-settings")).click();
    await waitForPage(browser, "Settings", "after clicking nav-settings");
    await (await byTestId(browser, "theme-light")).click();

    const input = await byTestId(browser, "nats-url");
    await browser.waitUntil(async () => input.isEnabled(), { timeout: 5_000, timeoutMsg: "the NATS URL field stays disabled" });
    await scrollIntoView(browser, input);
    await fill(browser, input, natsUrl);
    await (await byTestId(browser, "nats-save")).click();
    await byTestId(browser, "nats-saved", 5_000);
    const settings = JSON.parse(readFileSync(path.join(DATA_DIR, "settings.json"), "utf8"));
    assert.equal(settings.natsUrl, natsUrl);

    await (await byTestId(browser, "nats-check")).click();
    await browser.waitUntil(async () => (await attr(browser, "nats-check-result", "data-state")) === "ok", {
      timeout: 10_000,
      timeoutMsg: "Check connection did not report a connected server",
    });
    const result = await (await byTestId(browser, "nats-check-result")).getText();
    assert.match(result, /Connected to NATS 2\.\d+\.\d+/);
    assert.match(result, /JetStream on/);
    await scrollIntoView(browser, await byTestId(browser, "nats-url"));
    await screenshot(browser, "workers-settings-check");
  });

  it("shows two real workers of two departments live", async () => {
    const { browser } = app;
    for (const w of WORKERS) {
      const child = start(MISSION, ["worker", "--nats", natsUrl, "--dept", w.dept, "--id", w.id], `${w.id}.log`);
      workers.set(w.id, child);
    }
    await (await byTestId(browser, "nav-workers")).click();
    await waitForPage(browser, "Workers", "after clicking nav-workers");
    await browser.waitUntil(
      async () => {
        for (const [id, child] of workers) {
          if (child.spawnError) throw new Error(`cannot start ${MISSION}: ${child.spawnError.message}; build it with make app`);
          if (child.exitCode !== null) throw new Error(`worker ${id} exited with ${child.exitCode}: ${logOf(child)}`);
        }
        const live = await Promise.all(WORKERS.map((w) => attr(browser, `worker-${w.id}`, "data-live")));
        return live.every((l) => l === "true");
      },
      { timeout: 30_000, interval: 250, timeoutMsg: "the two workers did not show live on the Workers page" },
    );
    for (const w of WORKERS) {
      const dept = await byTestId(browser, `dept-${w.dept}`);
      assert.ok(await (await dept.$(`[data-testid="worker-${w.id}"]`)).isExisting(), `${w.id} is listed under ${w.dept}`);
      assert.equal(await (await byTestId(browser, `worker-state-${w.id}`)).getText(), "Live");
      assert.match(await (await byTestId(browser, `worker-beat-${w.id}`)).getText(), /last heartbeat (just now|\d s ago)/);
    }
    assert.equal(await (await byTestId(browser, "workers-live-count")).getText(), "2 of 2 live");
    // The age follows the heartbeats: it never grows past a few seconds while a worker beats.
    await browser.pause(2_500);
    assert.match(await (await byTestId(browser, "worker-beat-w-ops-1")).getText(), /last heartbeat (just now|[0-3] s ago)/);
    await screenshot(browser, "workers-live");
    // The same page in the dark theme (light → dark), then back (dark → system → light).
    await (await byTestId(browser, "theme-cycle")).click();
    await browser.waitUntil(async () => (await browser.execute(() => document.documentElement.dataset.theme)) === "dark", {
      timeout: 5_000,
      timeoutMsg: "dark theme not applied",
    });
    await screenshot(browser, "workers-live-dark");
    await (await byTestId(browser, "theme-cycle")).click();
    await (await byTestId(browser, "theme-cycle")).click();
    await browser.waitUntil(async () => (await browser.execute(() => document.documentElement.dataset.theme)) === "light", {
      timeout: 5_000,
      timeoutMsg: "light theme not applied again",
    });
  });

  it("shows a step's job on its worker and the worker in the run view", async () => {
    const { browser } = app;
    const file = path.join(tmp, "squad.yaml");
    writeFileSync(file, SQUAD_MISSION);
    run = start(MISSION, ["run", file, "--nats", natsUrl], "run.log");
    const runDone = new Promise((resolve) => run.once("exit", resolve));

    const job = await byTestId(browser, "worker-job-w-research-1-gather", 30_000);
    assert.match(await (await byTestId(browser, "worker-running-w-research-1")).getText(), /running 1 job/);
    assert.match(await job.getText(), /step gather/);
    await screenshot(browser, "workers-running-job");

    // The job's run id opens the run view, which follows the CLI's run to its end.
    await (await job.$("a")).click();
    await browser.waitUntil(
      async () => (await attr(browser, "run-dag", "data-testid")) !== null && (await runDoneYet(run)),
      { timeout: 30_000, interval: 250, timeoutMsg: `the run did not end: ${logOf(run)}` },
    );
    assert.equal(await runDone, 0, `mission run --nats failed: ${logOf(run)}`);
    await browser.waitUntil(
      async () => {
        const status = await browser.$('[data-testid="dag-node-publish"] [data-step-status]');
        return (await status.isExisting()) && (await status.getAttribute("data-step-status")) === "success";
      },
      { timeout: 15_000, timeoutMsg: "the run view did not show the last step done" },
    );
    // A node shows the worker's id (cut short when long) and names it in full on hover.
    assert.equal(await attr(browser, "run-node-worker-gather", "title"), "Run by worker w-research-1 (dept research)");
    assert.equal(await attr(browser, "run-node-worker-publish", "title"), "Run by worker w-ops-1 (dept ops)");
    await (await byTestId(browser, "dag-node-gather")).click();
    const worker = await byTestId(browser, "step-worker");
    assert.equal(await worker.getText(), "w-research-1 (dept research)");
    await screenshot(browser, "workers-run-view");
    await (await byTestId(browser, "nav-workers")).click();
    await waitForPage(browser, "Workers", "back to the Workers page");
  });

  it("turns a stopped worker silent, then says when the server is gone", async () => {
    const { browser } = app;
    if ((await (await byTestId(browser, "page-title")).getText()) !== "Workers") {
      await (await byTestId(browser, "nav-workers")).click();
      await waitForPage(browser, "Workers", "after clicking nav-workers");
    }
    await stop(workers.get("w-ops-1"));
    await browser.waitUntil(async () => (await attr(browser, "worker-w-ops-1", "data-live")) === "false", {
      timeout: 15_000,
      interval: 250,
      timeoutMsg: "the stopped worker never turned silent",
    });
    assert.equal(await (await byTestId(browser, "worker-state-w-ops-1")).getText(), "Silent");
    assert.equal(await attr(browser, "worker-w-research-1", "data-live"), "true");
    await screenshot(browser, "workers-silent");

    await stop(nats);
    const message = await byTestId(browser, "workers-error-message", 15_000);
    assert.match(await message.getText(), /cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+: connection refused/);
    await screenshot(browser, "workers-unreachable");
  });
});
