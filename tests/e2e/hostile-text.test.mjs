// Hostile text in the window: a template and a run whose name, goal, context, step names,
// outputs, error and evidence hold HTML, script and `javascript:` links. Every view shows them as
// text: no script runs (a marker global stays unset), no element is injected, and the text
// itself is on screen. Its own data folder, so other files' libraries and histories stay as they
// were.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { byTestId, DATA_DIR, launchApp, screenshot } from "./app.mjs";

const CLI = process.env.E2E_CLI ?? path.resolve("../../target/debug/mission");
const OWN_DATA = DATA_DIR ? path.join(path.dirname(DATA_DIR), "hostile-data") : undefined;
const TEMPLATES = path.join(OWN_DATA ?? "/tmp", "templates");
const ID = "com.example.hostile-text";
const IMG = "<img src=x onerror=window.__pwned=1>";
const SCRIPT = "<script>window.__pwned=2</script>";

// Each payload sets `window.__pwned` if it ever runs; the `x` images would also stay in the DOM.
const MISSION = `version: "1.0"
id: ${ID}
name: "Hostile ${IMG} name"
sector: Intelligence
required_depts: [research]
goal: "Goal with ${SCRIPT} and [a link](javascript:window.__pwned=3) and **bold**"
context: |
  Described with ${IMG} and [click me](javascript:window.__pwned=4).

  <iframe src="javascript:window.__pwned=5"></iframe>
steps:
  - id: shout
    name: "<b onmouseover=window.__pwned=6>Shout</b>"
    step_type: create_file
    parameters:
      path: page.md
      content: "# Page ${IMG}\\n\\n[click](javascript:window.__pwned=7)\\n\\n${SCRIPT}\\n"
  - id: echo
    name: Echo
    step_type: read_file
    depends_on: [shout]
    parameters:
      path: page.md
  - id: broken
    name: "Broken ${IMG}"
    step_type: read_file
    depends_on: [echo]
    parameters:
      path: "missing-${IMG}.txt"
outputs: [page.md]
`;

let app;
let runId;

function cli(args) {
  try {
    return execFileSync(CLI, [...args, "--data-dir", OWN_DATA], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    if (err.stdout === undefined) throw err;
    return err.stdout;
  }
}

/** Fails when any payload ran or left an element behind. */
async function assertInert(browser, where) {
  const found = await browser.execute(() => ({
    pwned: window.__pwned ?? null,
    images: document.querySelectorAll('img[src="x"], [onerror], [onmouseover]').length,
    frames: document.querySelectorAll("iframe").length,
    jsLinks: document.querySelectorAll('a[href^="javascript:" i]').length,
    scripts: [...document.querySelectorAll("script")].filter((s) => s.textContent.includes("__pwned")).length,
  }));
  assert.deepEqual(found, { pwned: null, images: 0, frames: 0, jsLinks: 0, scripts: 0 }, `in ${where}`);
}

async function shown(browser, id) {
  const el = await byTestId(browser, id);
  await el.waitForDisplayed({ timeout: 10_000, timeoutMsg: `data-testid="${id}" is not displayed` });
  return el;
}

async function pageText(browser) {
  return browser.execute(() => document.body.innerText);
}

before(async () => {
  assert.ok(DATA_DIR, "MISSION_STUDIO_DATA_DIR is set by run.sh");
  assert.ok(existsSync(CLI), `the CLI is built at ${CLI}`);
  rmSync(OWN_DATA, { recursive: true, force: true });
  mkdirSync(TEMPLATES, { recursive: true });
  const file = path.join(TEMPLATES, "hostile-text.yaml");
  writeFileSync(file, MISSION);
  const out = JSON.parse(cli(["run", file, "--json"]));
  runId = out.run_id;
  assert.equal(out.status, "failed", "the run fails at its broken step");
  process.env.MISSION_STUDIO_DATA_DIR = OWN_DATA;
  app = await launchApp();
});

after(async () => {
  await app?.stop();
  process.env.MISSION_STUDIO_DATA_DIR = DATA_DIR;
  rmSync(OWN_DATA, { recursive: true, force: true });
});

describe("Hostile text", () => {
  it("shows the template's name, goal and description as text in the Library", async () => {
    const { browser } = app;
    await (await shown(browser, "nav-library")).click();
    const search = await shown(browser, "library-search");
    await search.click();
    for (const ch of "Hostile") await browser.keys(ch);
    await (await byTestId(browser, `template-card-${ID}`)).click();
    await byTestId(browser, "template-detail");
    // The context is Markdown (loaded with the template's detail): its raw HTML is dropped,
    // its link is inert text.
    await browser.waitUntil(async () => (await pageText(browser)).includes("Described with"), {
      timeout: 10_000,
      timeoutMsg: "the template's context is not shown",
    });
    const text = await pageText(browser);
    assert.ok(text.includes(`Hostile ${IMG} name`), "the name is shown as written");
    assert.ok(text.includes(`Goal with ${SCRIPT} and`), "the goal is shown as written");
    assert.match(text, /click me/);
    await assertInert(browser, "the Library");
    await screenshot(browser, "hostile-01-library");
  });

  it("shows the run's name, reason, step names, outputs and error as text in History", async () => {
    const { browser } = app;
    // The template's detail is still open over the page: go by the address, as a link does.
    await browser.keys(["Escape"]);
    await browser.execute(() => {
      location.hash = "#/history";
    });
    const row = await shown(browser, `run-row-${runId}`);
    assert.ok((await row.getText()).includes(`Hostile ${IMG} name`));
    await (await row.$(".hx-mission-name")).click();
    await shown(browser, "run-detail");
    await (await (await shown(browser, "step-row-broken")).$("td:nth-child(2)")).click();
    await browser.waitUntil(async () => (await pageText(browser)).includes(`missing-${IMG}.txt`), {
      timeout: 10_000,
      timeoutMsg: "the step's error with the hostile path is not shown as text",
    });
    assert.ok((await pageText(browser)).includes(`Broken ${IMG}`), "the step name is text");
    await assertInert(browser, "the run's detail");
    await screenshot(browser, "hostile-02-history-run");
  });

  it("renders the evidence's markdown with the HTML dropped and links inert", async () => {
    const { browser } = app;
    await (await shown(browser, "tab-evidence")).click();
    await byTestId(browser, "evidence-tree");
    await byTestId(browser, "viewer-markdown");
    await assertInert(browser, "outputs/answer.md");
    await screenshot(browser, "hostile-03-evidence-answer");
    await (await shown(browser, "evidence-node-outputs/page.md")).click();
    const viewer = await byTestId(browser, "evidence-viewer");
    await browser.waitUntil(async () => (await viewer.getAttribute("data-path")) === "outputs/page.md", { timeout: 10_000 });
    const md = await byTestId(browser, "viewer-markdown");
    assert.match(await md.getText(), /click/);
    await assertInert(browser, "outputs/page.md");
    await screenshot(browser, "hostile-04-evidence-page");
  });

  it("shows the step's output and error as text in the run view", async () => {
    const { browser } = app;
    await browser.execute((id) => {
      location.hash = `#/runs/${id}`;
    }, runId);
    await browser.waitUntil(async () => (await (await byTestId(browser, "run-view")).getAttribute("data-final")) === "true", {
      timeout: 15_000,
      timeoutMsg: "the run view did not show the finished run",
    });
    await (await byTestId(browser, "dag-node-broken")).click();
    const error = await shown(browser, "step-error");
    assert.ok((await error.getText()).includes(`missing-${IMG}.txt`));
    await assertInert(browser, "the run view");
    await screenshot(browser, "hostile-05-run-view");
    await (await byTestId(browser, "dag-node-echo")).click();
    await browser.waitUntil(async () => (await pageText(browser)).includes("window.__pwned=7"), {
      timeout: 10_000,
      timeoutMsg: "the read file's content is not shown as text",
    });
    await assertInert(browser, "the run view's output");
  });
});
