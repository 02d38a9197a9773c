// A real provider, driven for real: a local OpenAI-compatible server started here (127.0.0.1, a
// random port; /v1/models and /v1/chat/completions with a fixed answer and usage) is added in
// Settings, "Test connection" says ok (and names a refused connection for a closed port), it is
// made the default provider, and a library template whose llm step names no provider runs
// against it: the run's answer is the server's, nothing says simulated, and the server saw the
// request.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Key } from "webdriverio";
import { byTestId, DATA_DIR, launchApp, screenshot } from "./app.mjs";

const MODEL = "e2e-local-model";
const ANSWER =
  "ANSWER FROM THE LOCAL E2E SERVER: We are hiring a backend engineer to build and run our Go services. " +
  "You bring three or more years of Go, care about reliable systems, and work well in a team that values balance.";
const TEMPLATE = "studio.hr.job-description-inclusivity";
const LLM_STEP = "rewrite";

let app;
let server;
let port;
const seen = [];
// The files this test changes, restored after it: the other test files share the data folder.
const kept = {};

function startServer() {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        let json = null;
        try {
          json = body ? JSON.parse(body) : null;
        } catch {
          json = null;
        }
        seen.push({ method: req.method, path: req.url, headers: req.headers, body: json });
        const reply = (status, value) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(value));
        };
        if (req.method === "GET" && req.url === "/v1/models") {
          return reply(200, { object: "list", data: [{ id: MODEL, object: "model", owned_by: "e2e" }] });
        }
        if (req.method === "POST" && req.url === "/v1/chat/completions") {
          return reply(200, {
            id: "chatcmpl-e2e",
            object: "chat.completion",
            created: Math.floor(Date.now() / 1000),
            model: MODEL,
            choices: [{ index: 0, message: { role: "assistant", content: ANSWER }, finish_reason: "stop" }],
            usage: { prompt_tokens: 87, completion_tokens: 41, total_tokens: 128 },
          });
        }
        return reply(404, { error: { message: `no route ${req.method} ${req.url}`, type: "not_found" } });
      });
    });
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
}

/** A port nothing listens on. */
function closedPort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

before(async () => {
  assert.ok(DATA_DIR, "MISSION_STUDIO_DATA_DIR is set by run.sh");
  for (const name of ["providers.json", "settings.json"]) {
    const file = path.join(DATA_DIR, name);
    kept[name] = existsSync(file) ? readFileSync(file, "utf8") : null;
  }
  server = await startServer();
  port = server.address().port;
  app = await launchApp();
});

after(async () => {
  await app?.stop();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  for (const [name, text] of Object.entries(kept)) {
    const file = path.join(DATA_DIR, name);
    if (text === null) rmSync(file, { force: true });
    else writeFileSync(file, text);
  }
});

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

/** Replaces a field's text the way a person does: select all, then type. */
async function fill(browser, el, text) {
  await el.click();
  await browser.keys([Key.Ctrl, "a"]);
  await browser.keys(Key.Backspace);
  for (const ch of text) await browser.keys(ch);
}

async function addProvider(browser, id, baseUrl) {
  await (await shown(browser, "provider-add")).click();
  await fill(browser, await shown(browser, "provider-id"), id);
  await fill(browser, await shown(browser, "provider-base-url"), baseUrl);
  await fill(browser, await shown(browser, "provider-model"), MODEL);
  await (await shown(browser, "provider-save")).click();
  await shown(browser, `provider-row-${id}`);
}

/** Clicks Test connection and waits for its result; returns the result's state. The result is
 * read in the page (no element handle): the row re-renders while the check runs. */
async function testResult(browser, id) {
  await (await shown(browser, `provider-test-${id}`)).click();
  let state = null;
  await browser.waitUntil(
    async () => {
      state = await browser.execute(
        (testId) => document.querySelector(`[data-testid="${testId}"]`)?.getAttribute("data-state") ?? null,
        `provider-test-result-${id}`,
      );
      return state === "ok" || state === "error";
    },
    { timeout: 20_000, timeoutMsg: `the check of ${id} did not finish` },
  );
  await browser.execute((testId) => document.querySelector(`[data-testid="${testId}"]`)?.scrollIntoView({ block: "center" }), `provider-test-result-${id}`);
  return state;
}

/** The text of an element, read in the page. */
function textOf(browser, testId) {
  return browser.execute((t) => document.querySelector(`[data-testid="${t}"]`)?.textContent ?? null, testId);
}

async function setTheme(browser, want) {
  for (let i = 0; i < 3; i++) {
    const btn = await byTestId(browser, "theme-cycle");
    if ((await btn.getAttribute("data-theme-choice")) === want) return;
    await btn.click();
    await browser.pause(150);
  }
}

describe("a local OpenAI-compatible provider", () => {
  it("is added in Settings and Test connection says ok, with latency and the model", async () => {
    const { browser } = app;
    await waitForPage(browser, "Library");
    await setTheme(browser, "light");
    await (await shown(browser, "nav-settings")).click();
    await waitForPage(browser, "Settings");
    await addProvider(browser, "e2e-local", `http://127.0.0.1:${port}/v1`);

    const before = seen.length;
    const state = await testResult(browser, "e2e-local");
    assert.equal(state, "ok", await textOf(browser, "provider-test-result-e2e-local"));
    assert.match(await textOf(browser, "provider-test-latency-e2e-local"), /^\d+ ms$/);
    assert.equal(await textOf(browser, "provider-test-model-e2e-local"), MODEL);
    assert.match(await textOf(browser, "provider-test-result-e2e-local"), new RegExp(`http://127\\.0\\.0\\.1:${port}/v1/models`));
    const asked = seen.slice(before);
    assert.deepEqual(
      asked.map((r) => `${r.method} ${r.path}`),
      ["GET /v1/models"],
      "one real request, the list of models",
    );
    await screenshot(browser, "provider-test-ok");
  });

  it("names a refused connection for a port nothing listens on", async () => {
    const { browser } = app;
    const closed = await closedPort();
    await addProvider(browser, "e2e-closed", `http://127.0.0.1:${closed}/v1`);
    assert.equal(await testResult(browser, "e2e-closed"), "error");
    assert.equal(await textOf(browser, "provider-test-headline-e2e-closed"), `Connection refused at http://127.0.0.1:${closed}/v1/models`);
    assert.match(await textOf(browser, "provider-test-error-e2e-closed"), /cannot connect .*[Cc]onnection refused/);
    await screenshot(browser, "provider-test-refused");
    await (await shown(browser, "provider-delete-e2e-closed")).click();
    await (await shown(browser, "provider-confirm-delete-e2e-closed")).click();
    await browser.waitUntil(async () => !(await (await browser.$('[data-testid="provider-row-e2e-closed"]')).isExisting()), {
      timeout: 5_000,
      timeoutMsg: "the closed provider was not deleted",
    });
  });

  it("is made the default provider", async () => {
    const { browser } = app;
    const select = await shown(browser, "default-provider");
    await browser.execute((el) => el.scrollIntoView({ block: "center" }), select);
    await select.selectByAttribute("value", "e2e-local");
    await browser.waitUntil(
      () => {
        const file = path.join(DATA_DIR, "settings.json");
        return existsSync(file) && JSON.parse(readFileSync(file, "utf8")).defaultProvider === "e2e-local";
      },
      { timeout: 5_000, timeoutMsg: "settings.json does not name e2e-local as the default provider" },
    );
    assert.equal(await (await byTestId(browser, "default-provider")).getValue(), "e2e-local");
    await screenshot(browser, "provider-default");
  });

  it("answers a library template's llm step that names no provider: the server's answer, nothing simulated", async () => {
    const { browser } = app;
    const file = readdirSync(path.resolve("../../missions/templates"), { recursive: true }).find((f) => String(f).endsWith("job-description-inclusivity.yaml"));
    const text = readFileSync(path.resolve("../../missions/templates", String(file)), "utf8");
    assert.ok(!/^\s*provider:/m.test(text), "the template's llm step names no provider: the default one answers it");

    await (await shown(browser, "nav-runs")).click();
    const select = await shown(browser, "run-template-select");
    await browser.waitUntil(async () => (await select.$(`option[value="${TEMPLATE}"]`)).isExisting(), {
      timeout: 10_000,
      timeoutMsg: "the template picker did not list the library",
    });
    await select.selectByAttribute("value", TEMPLATE);
    const before = seen.length;
    await (await shown(browser, "run-template-start")).click();
    await browser.waitUntil(async () => /\/runs\/[0-9a-f-]{36}$/.test(await browser.execute(() => location.hash)), {
      timeout: 15_000,
      timeoutMsg: "the template's run view did not open",
    });
    const runId = (await browser.execute(() => location.hash)).split("/").pop();
    const view = await byTestId(browser, "run-view");
    await browser.waitUntil(async () => (await view.getAttribute("data-final")) === "true", {
      timeout: 60_000,
      timeoutMsg: "the run did not end",
    });
    assert.equal(await view.getAttribute("data-run-status"), "completed");

    // The server saw the model call, with its model and the template's prompt.
    const calls = seen.slice(before).filter((r) => r.path === "/v1/chat/completions");
    assert.equal(calls.length, 1, `one model call: ${JSON.stringify(seen.slice(before).map((r) => r.path))}`);
    assert.equal(calls[0].body.model, MODEL);
    assert.match(JSON.stringify(calls[0].body.messages), /Rewrite this job description/);

    // Nothing on the run says simulated; the step's answer is the server's.
    assert.equal(await (await browser.$('[data-testid="run-simulated"]')).isExisting(), false, "the run header says nothing is simulated");
    // The graph may still be moving to follow the run: the node is clicked in the page.
    await shown(browser, `dag-node-${LLM_STEP}`);
    await browser.execute((id) => document.querySelector(`[data-testid="dag-node-${id}"]`)?.click(), LLM_STEP);
    const drawer = await shown(browser, "step-drawer");
    await browser.waitUntil(async () => (await drawer.getText()).includes("ANSWER FROM THE LOCAL E2E SERVER"), {
      timeout: 10_000,
      timeoutMsg: "the step drawer does not show the server's answer",
    });
    assert.equal(await (await browser.$('[data-testid="step-simulated"]')).isExisting(), false, "the step says nothing is simulated");
    assert.doesNotMatch(await view.getText(), /simulated/i);
    // The answer in the drawer's output, in the picture.
    await browser.execute(() => {
      const heads = [...document.querySelectorAll('[data-testid="step-drawer"] h4')];
      heads.find((h) => h.textContent === "Output")?.scrollIntoView({ block: "start" });
    });
    await screenshot(browser, "provider-run-answer");

    // The evidence: the report carries the server's answer, meta.json names the provider and
    // its model and no simulated step, answer.md has no simulation notice.
    const runsDir = path.join(DATA_DIR, "runs");
    const folder = readdirSync(runsDir)
      .map((d) => path.join(runsDir, d))
      .find((d) => existsSync(path.join(d, "meta.json")) && JSON.parse(readFileSync(path.join(d, "meta.json"), "utf8")).run_id === runId);
    assert.ok(folder, `the evidence folder of ${runId}`);
    const meta = JSON.parse(readFileSync(path.join(folder, "meta.json"), "utf8"));
    assert.ok(!meta.simulate_llm, "not a run that simulates every model call");
    assert.deepEqual(meta.simulated_llm_steps ?? [], [], "no model answer simulated");
    assert.deepEqual(meta.simulated_steps ?? [], [], "no step answered by a simulation block");
    assert.match(String(meta.model), new RegExp(MODEL));
    assert.match(String(meta.broker), /e2e-local/);
    const report = readFileSync(path.join(folder, "outputs", "job-description-inclusivity-report.md"), "utf8");
    assert.ok(report.includes(ANSWER), "the report holds the server's whole answer");
    const answer = readFileSync(path.join(folder, "outputs", "answer.md"), "utf8");
    assert.doesNotMatch(answer, /simulated/i);
    assert.match(answer, /completed/);
  });
});
