// The app frame, driven for real: window title, navigation, About, theme.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { byTestId, DATA_DIR, launchApp, screenshot } from "./app.mjs";

let app;

before(async () => {
  app = await launchApp();
});

after(async () => {
  await app?.stop();
});

async function pageTitle(browser) {
  return (await byTestId(browser, "page-title")).getText();
}

async function waitForPage(browser, title, why) {
  await browser.waitUntil(async () => (await pageTitle(browser)) === title, {
    timeout: 10_000,
    timeoutMsg: `${why}: the ${title} page did not show`,
  });
}

describe("Mission Studio window", () => {
  it("has the product's title and opens on the Library", async () => {
    const { browser } = app;
    assert.equal(await browser.getTitle(), "Mission Studio");
    await waitForPage(browser, "Library", "at start");
    await screenshot(browser, "01-library");
  });

  it("navigates to every page from the sidebar", async () => {
    const { browser } = app;
    const pages = [
      ["runs", "Runs"],
      ["history", "History"],
      ["editor", "Editor"],
      ["settings", "Settings"],
      ["library", "Library"],
    ];
    for (const [id, title] of pages) {
      await (await byTestId(browser, `nav-${id}`)).click();
      await waitForPage(browser, title, `after clicking nav-${id}`);
      const cls = await (await byTestId(browser, `nav-${id}`)).getAttribute("class");
      assert.match(cls, /active/, `nav-${id} is marked active`);
      await screenshot(browser, `02-page-${id}`);
    }
  });

  it("shows the data folder from Rust on the About page", async () => {
    const { browser } = app;
    await (await byTestId(browser, "nav-about")).click();
    await waitForPage(browser, "About", "after clicking nav-about");
    const dataDir = await byTestId(browser, "about-data-dir");
    await browser.waitUntil(async () => (await dataDir.getText()).length > 0, { timeout: 5_000 });
    assert.equal(await dataDir.getText(), DATA_DIR, "About shows MISSION_STUDIO_DATA_DIR");
    const db = await (await byTestId(browser, "about-database-path")).getText();
    assert.equal(db, path.join(DATA_DIR, "mission-studio.db"));
    const logs = await (await byTestId(browser, "about-log-dir")).getText();
    assert.equal(logs, path.join(DATA_DIR, "logs"));
    assert.match(await (await byTestId(browser, "about-version")).getText(), /^v\d+\.\d+\.\d+/);
    await screenshot(browser, "03-about");
  });

  it("switches the theme and saves it in the settings file", async () => {
    const { browser } = app;
    await (await byTestId(browser, "nav-settings")).click();
    await waitForPage(browser, "Settings", "after clicking nav-settings");
    const themeOf = () => browser.execute(() => document.documentElement.dataset.theme);

    await (await byTestId(browser, "theme-dark")).click();
    await browser.waitUntil(async () => (await themeOf()) === "dark", { timeout: 5_000, timeoutMsg: "dark theme not applied" });
    await screenshot(browser, "04-settings-dark");
    await (await byTestId(browser, "nav-about")).click();
    await waitForPage(browser, "About", "after clicking nav-about");
    await byTestId(browser, "about-data-dir");
    await screenshot(browser, "05-about-dark");
    await (await byTestId(browser, "nav-library")).click();
    await waitForPage(browser, "Library", "after clicking nav-library");
    await screenshot(browser, "06-library-dark");

    const settingsFile = path.join(DATA_DIR, "settings.json");
    await browser.waitUntil(async () => readFileSync(settingsFile, "utf8").includes('"dark"'), {
      timeout: 5_000,
      timeoutMsg: "settings.json does not record the dark theme",
    });

    await (await byTestId(browser, "nav-settings")).click();
    await waitForPage(browser, "Settings", "after clicking nav-settings");
    await (await byTestId(browser, "theme-light")).click();
    await browser.waitUntil(async () => (await themeOf()) === "light", { timeout: 5_000, timeoutMsg: "light theme not applied" });
    assert.match(readFileSync(settingsFile, "utf8"), /"light"/);
    await screenshot(browser, "07-settings-light");
  });
});
