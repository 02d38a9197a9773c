// Settings and the command palette, driven for real: a hard cap saved to perimeter.yaml, a
// provider whose key is kept in the settings file (with its warning), Ctrl+K to reach a page.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Key } from "webdriverio";
import { byTestId, DATA_DIR, launchApp, screenshot } from "./app.mjs";

let app;

before(async () => {
  app = await launchApp();
});

after(async () => {
  await app?.stop();
});

async function waitForPage(browser, title, why) {
  await browser.waitUntil(async () => (await (await byTestId(browser, "page-title")).getText()) === title, {
    timeout: 10_000,
    timeoutMsg: `${why}: the ${title} page did not show`,
  });
}

async function setTheme(browser, theme) {
  await (await byTestId(browser, `theme-${theme}`)).click();
  await browser.waitUntil(async () => (await browser.execute(() => document.documentElement.dataset.theme)) === theme, {
    timeout: 5_000,
    timeoutMsg: `${theme} theme not applied`,
  });
}

async function openPalette(browser) {
  await browser.keys([Key.Ctrl, "k"]);
  const palette = await byTestId(browser, "command-palette", 5_000);
  const input = await byTestId(browser, "palette-input");
  await browser.waitUntil(async () => input.isFocused(), { timeout: 3_000, timeoutMsg: "the palette's search has no focus" });
  return palette;
}

/** Types into the focused element one key at a time, as a person would. */
async function type(browser, text) {
  for (const ch of text) await browser.keys(ch);
}

/** Replaces a field's text the way a person does: select all, then type. */
async function fill(browser, el, text) {
  await el.click();
  await browser.keys([Key.Ctrl, "a"]);
  await browser.keys(Key.Backspace);
  await type(browser, text);
}

async function scrollIntoView(browser, el) {
  await browser.execute((node) => node.scrollIntoView({ block: "center" }), el);
}

async function scrollToTop(browser) {
  await browser.execute(() => document.querySelector(".app-main")?.scrollTo(0, 0));
}

describe("Settings", () => {
  it("saves a cost cap to perimeter.yaml", async () => {
    const { browser } = app;
    await waitForPage(browser, "Library", "at start");
    await (await byTestId(browser, "nav-settings")).click();
    await waitForPage(browser, "Settings", "after clicking nav-settings");
    await setTheme(browser, "light");

    const cost = await byTestId(browser, "caps-maxCostUsd");
    await fill(browser, cost, "-4");
    await browser.waitUntil(async () => (await browser.$('[data-testid="caps-error-maxCostUsd"]')).isExisting(), {
      timeout: 3_000,
      timeoutMsg: "no message for a negative cost cap",
    });
    assert.match(await (await byTestId(browser, "caps-error-maxCostUsd")).getText(), /cannot be negative/);

    await fill(browser, cost, "3.25");
    await (await byTestId(browser, "caps-save")).click();
    const status = await byTestId(browser, "caps-status");
    await browser.waitUntil(async () => /Saved to perimeter\.yaml/.test(await status.getText()), {
      timeout: 5_000,
      timeoutMsg: "the caps were not saved",
    });
    const file = path.join(DATA_DIR, "perimeter.yaml");
    assert.ok(existsSync(file), "perimeter.yaml is written");
    assert.match(readFileSync(file, "utf8"), /"max_cost_usd": 3\.25/);
    await scrollToTop(browser);
    await screenshot(browser, "settings-light");
  });

  it("adds a provider with its key in the settings file and shows the warning", async () => {
    const { browser } = app;
    await (await byTestId(browser, "provider-add")).click();
    await fill(browser, await byTestId(browser, "provider-id"), "local-llm");
    await fill(browser, await byTestId(browser, "provider-base-url"), "http://127.0.0.1:11434/v1");
    await fill(browser, await byTestId(browser, "provider-model"), "llama3.1:8b");
    await fill(browser, await byTestId(browser, "provider-key"), "sk-e2e-secret");
    await (await byTestId(browser, "key-storage-settings")).click();
    const warning = await byTestId(browser, "provider-file-warning");
    assert.match(await warning.getText(), /stored in plain text/);
    await scrollIntoView(browser, warning);
    await screenshot(browser, "settings-provider-warning");

    await (await byTestId(browser, "provider-save")).click();
    const badge = await byTestId(browser, "provider-key-file-local-llm");
    assert.match(await badge.getText(), /Key in settings file/);
    const stored = JSON.parse(readFileSync(path.join(DATA_DIR, "providers.json"), "utf8"));
    assert.equal(stored.providers[0].id, "local-llm");
    assert.equal(stored.providers[0].key_storage, "settings");
    assert.equal(stored.providers[0].api_key, "sk-e2e-secret");
    const html = await browser.execute(() => document.body.innerHTML);
    assert.ok(!html.includes("sk-e2e-secret"), "the key never comes back to the page");
    await scrollIntoView(browser, await byTestId(browser, "provider-row-local-llm"));
    await screenshot(browser, "settings-provider-saved");
  });

  it("shows the data folder", async () => {
    const { browser } = app;
    assert.equal(await (await byTestId(browser, "settings-data-dir")).getProperty("textContent"), DATA_DIR);
  });
});

describe("Command palette", () => {
  it("opens with Ctrl+K, filters to a page and lands on it with Enter", async () => {
    const { browser } = app;
    await openPalette(browser);
    await type(browser, "hist");
    const first = await browser.$('[role="option"][aria-selected="true"]');
    await browser.waitUntil(async () => (await first.getText()).includes("History"), {
      timeout: 3_000,
      timeoutMsg: "History is not the first result for 'hist'",
    });
    // Let the window paint the filtered list before the picture.
    await browser.pause(600);
    await screenshot(browser, "palette-light");
    await browser.keys(Key.Enter);
    await waitForPage(browser, "History", "after Enter in the palette");
    assert.equal(await (await browser.$('[data-testid="command-palette"]')).isExisting(), false, "the palette closed");
  });

  it("opens a template by name in the Library", async () => {
    const { browser } = app;
    await openPalette(browser);
    await type(browser, "burnout recruiter");
    await browser.waitUntil(async () => (await (await browser.$('[role="option"][aria-selected="true"]')).getText()).includes("Burnout Recruiter"), {
      timeout: 5_000,
      timeoutMsg: "Burnout Recruiter is not the first result",
    });
    await browser.keys(Key.Enter);
    await waitForPage(browser, "Library", "after opening a template from the palette");
    await browser.waitUntil(async () => (await browser.getUrl()).includes("t=studio.hr.burnout-recruiter"), {
      timeout: 5_000,
      timeoutMsg: "the Library does not show the template's detail",
    });
  });

  it("looks right in the dark theme and closes with Esc", async () => {
    const { browser } = app;
    // The template's detail panel is open: the palette reaches Settings over it.
    await openPalette(browser);
    await type(browser, "settings");
    await browser.keys(Key.Enter);
    await waitForPage(browser, "Settings", "after choosing Settings in the palette");
    await setTheme(browser, "dark");
    await scrollToTop(browser);
    await screenshot(browser, "settings-dark");
    await openPalette(browser);
    await type(browser, "li");
    await browser.waitUntil(async () => (await (await browser.$('[role="option"][aria-selected="true"]')).getText()).includes("Library"), {
      timeout: 3_000,
      timeoutMsg: "Library is not the first result for 'li'",
    });
    await browser.pause(600);
    await screenshot(browser, "palette-dark");
    await browser.keys(Key.Escape);
    await browser.waitUntil(async () => !(await (await browser.$('[data-testid="command-palette"]')).isExisting()), {
      timeout: 3_000,
      timeoutMsg: "Esc did not close the palette",
    });
    await waitForPage(browser, "Settings", "after Esc");
    await (await byTestId(browser, "theme-system")).click();
    await browser.waitUntil(async () => (await (await byTestId(browser, "theme-system")).getAttribute("aria-checked")) === "true", {
      timeout: 3_000,
      timeoutMsg: "the system theme is not selected",
    });
  });
});
