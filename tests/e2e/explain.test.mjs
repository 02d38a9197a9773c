// What the window explains to a first-time operator, driven for real: the first-run tour and
// the ⓘ explanations of the perimeter and the ROI (reached by keyboard), the search that puts
// NDA Triage first for "nda t", the Settings menu following the section in view, and the About
// page's step catalogue.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Key } from "webdriverio";
import { byTestId, DATA_DIR, launchApp, screenshot } from "./app.mjs";

let app;

before(async () => {
  // A data folder of this file's own: a first-time operator has no run and no active mission.
  assert.ok(DATA_DIR, "MISSION_STUDIO_DATA_DIR is set by run.sh");
  const own = path.join(path.dirname(DATA_DIR), "explain-data");
  mkdirSync(own, { recursive: true });
  process.env.MISSION_STUDIO_DATA_DIR = own;
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

async function isOpen(browser, id) {
  return (await (await byTestId(browser, id)).getAttribute("class")).includes("is-open");
}

/** The data-testid of the settings menu link marked as the current location. */
async function currentSection(browser) {
  return browser.execute(() => document.querySelector('.st-toc [aria-current="location"]')?.getAttribute("data-testid") ?? null);
}

async function waitSection(browser, id, why) {
  await browser.waitUntil(async () => (await currentSection(browser)) === id, {
    timeout: 5_000,
    timeoutMsg: `${why}: expected ${id}, saw ${await currentSection(browser)}`,
  });
}

describe("First-run explanations", () => {
  it("greets a first-time operator on the Library with a four-step tour", async () => {
    const { browser } = app;
    // The page's storage outlives a run of the tests: start as a first-time operator.
    await browser.execute(() => window.localStorage.removeItem("mission-studio.tour.dismissed"));
    await (await shown(browser, "nav-history")).click();
    await (await shown(browser, "nav-library")).click();
    const tour = await shown(browser, "first-run-tour");
    const steps = await tour.$$(".tour-step");
    assert.equal(steps.length, 4);
    assert.match(await tour.getText(), /Pick a template[\s\S]*Set the perimeter[\s\S]*Run it[\s\S]*Inspect the evidence/);
    await screenshot(browser, "explain-01-library-tour");
  });

  it("explains the perimeter from the keyboard", async () => {
    const { browser } = app;
    const info = await shown(browser, "first-run-tour-perimeter-info");
    await browser.execute((el) => el.focus(), info);
    await browser.waitUntil(async () => isOpen(browser, "first-run-tour-perimeter-info-text"), {
      timeout: 3_000,
      timeoutMsg: "focus does not open the explanation",
    });
    const text = await (await byTestId(browser, "first-run-tour-perimeter-info-text")).getText();
    assert.match(text, /what a run may spend and touch/);
    assert.match(text, /budget caps/);
    assert.match(text, /approval mode/);
    assert.match(text, /sandbox/);
    assert.equal(await info.getAttribute("aria-describedby"), await (await byTestId(browser, "first-run-tour-perimeter-info-text")).getAttribute("id"));
    await screenshot(browser, "explain-02-perimeter-tip");
    await browser.keys(Key.Escape);
    assert.equal(await isOpen(browser, "first-run-tour-perimeter-info-text"), false, "Escape closes it");
  });

  it("ranks NDA Triage first for \"nda t\" and explains Est. ROI in its detail", async () => {
    const { browser } = app;
    const search = await shown(browser, "library-search");
    await search.click();
    // Two names start with "NDA" (NDA Triage, NDA Register Review); "nda t" starts only one.
    for (const ch of "nda t") await browser.keys(ch);
    const first = '[data-testid="template-list"] [data-index="0"]';
    await browser.waitUntil(
      async () => (await (await browser.$(first)).getAttribute("data-testid")) === "template-card-studio.legal.nda-triage",
      { timeout: 5_000, timeoutMsg: `the first card for "nda t" is ${await (await browser.$(first)).getAttribute("data-testid")}` },
    );
    assert.ok(Number(await (await byTestId(browser, "template-list")).getAttribute("data-count")) > 1, "other matches are still listed");
    const term = await (await browser.$(first)).$('[data-testid="card-roi-term"]');
    assert.match(await term.getAttribute("title"), /Est\. ROI [\d.]+×/);

    await (await browser.$(first)).click();
    await shown(browser, "template-detail");
    const roi = await shown(browser, "roi-info");
    await browser.execute((el) => el.focus(), roi);
    await browser.waitUntil(async () => isOpen(browser, "roi-info-text"), { timeout: 3_000, timeoutMsg: "the ROI explanation does not open" });
    assert.match(await (await byTestId(browser, "roi-info-text")).getText(), /marked \(est\.\) until runs measure it/);
    await screenshot(browser, "explain-03-roi-tip");
    await browser.keys(Key.Escape);
    await (await shown(browser, "detail-close")).click();
  });

  it("keeps quiet once dismissed, on the next visit too", async () => {
    const { browser } = app;
    await (await shown(browser, "first-run-tour-dismiss")).click();
    await browser.waitUntil(async () => !(await (await browser.$('[data-testid="first-run-tour"]')).isExisting()), {
      timeout: 3_000,
      timeoutMsg: "the tour did not close",
    });
    assert.equal(await browser.execute(() => window.localStorage.getItem("mission-studio.tour.dismissed")), "1");
    // The Runs page would show it while no run exists; the Library is mounted again from scratch.
    await (await shown(browser, "nav-runs")).click();
    await shown(browser, "page-title");
    assert.equal(await (await browser.$('[data-testid="runs-tour"]')).isExisting(), false, "the Runs page remembers it too");
    await (await shown(browser, "nav-library")).click();
    await shown(browser, "template-list");
    assert.equal(await (await browser.$('[data-testid="first-run-tour"]')).isExisting(), false, "the dismissal is remembered");
  });
});

describe("Settings' section menu", () => {
  it("highlights the section in view at the top, at the bottom and after a click", async () => {
    const { browser } = app;
    await (await shown(browser, "nav-settings")).click();
    await shown(browser, "page-settings");
    const links = await browser.execute(() => [...document.querySelectorAll(".st-toc a")].map((a) => a.getAttribute("data-testid")));
    assert.ok(links.length >= 3, `menu items: ${links}`);
    await browser.execute(() => document.querySelector(".app-main")?.scrollTo(0, 0));
    await waitSection(browser, links[0], "at the top");

    await browser.execute(() => {
      const main = document.querySelector(".app-main");
      main?.scrollTo(0, main.scrollHeight);
    });
    await waitSection(browser, links[links.length - 1], "at the bottom");
    await screenshot(browser, "explain-04-settings-bottom");

    await (await shown(browser, links[1])).click();
    await waitSection(browser, links[1], "right after the click");
    await browser.pause(1_200);
    await waitSection(browser, links[1], "once the scroll is over");
    const id = links[1].replace("settings-toc-", "");
    const top = await browser.execute((sid) => {
      const main = document.querySelector(".app-main");
      return document.getElementById(sid).getBoundingClientRect().top - main.getBoundingClientRect().top;
    }, id);
    assert.ok(top >= -2 && top < 120, `the clicked section is at the top of the view (${top} px)`);
    await screenshot(browser, "explain-05-settings-clicked");
  });
});

describe("About", () => {
  it("explains which step types run and what happens to the others", async () => {
    const { browser } = app;
    await (await shown(browser, "nav-about")).click();
    const section = await shown(browser, "about-step-types");
    const summary = await (await byTestId(browser, "about-step-types-summary")).getText();
    const m = /reads all (\d+) step types of RustChain.s catalogue, and this version runs (?:all )?(\d+) of them/.exec(summary);
    assert.ok(m, summary);
    assert.match(summary, /refused when it is validated, before anything runs/);
    const chips = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid^="about-step-"][data-available]')].map((c) => c.getAttribute("data-available")),
    );
    assert.equal(chips.length, Number(m[1]));
    assert.equal(chips.filter((a) => a === "true").length, Number(m[2]));
    await browser.execute((el) => el.scrollIntoView({ block: "start" }), section);
    await screenshot(browser, "explain-06-about-steps");
  });
});
