// The Library driven for real: search, sector filter, template detail with its DAG, Quick Deploy
// under the global hard caps, the active mission in the list and in the database; screenshots
// in both themes; render and filter timings.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { byTestId, DATA_DIR, launchApp, screenshot } from "./app.mjs";

let app;
const CAP_COST = 1.5;

before(async () => {
  // Global hard caps the configurator must respect.
  mkdirSync(DATA_DIR, { recursive: true });
  writeFileSync(
    path.join(DATA_DIR, "perimeter.yaml"),
    `budget:\n  max_cost_usd: ${CAP_COST}\n  max_tokens: 20000\n  max_llm_calls: 10\n  max_steps: 40\n  max_runtime_minutes: 30\n`,
  );
  app = await launchApp();
});

after(async () => {
  await app?.stop();
  // The caps are this file's own: the next test files start without them.
  rmSync(path.join(DATA_DIR, "perimeter.yaml"), { force: true });
});

async function setTheme(browser, theme) {
  await browser.execute((t) => document.documentElement.setAttribute("data-theme", t), theme);
}

/** Brings a field into view, focuses it, selects what it holds and types over it key by key. */
async function typeInto(browser, el, text) {
  await browser.execute((e) => e.scrollIntoView({ block: "center" }), el);
  await el.click();
  await browser.execute((e) => e.focus(), el);
  await browser.keys(["Control", "a"]);
  // One key per action, as a person types: a whole string in one action can lose keys while
  // the page re-renders under load.
  for (const ch of text) await browser.keys(ch);
}

async function cardCount(browser) {
  return Number(await (await byTestId(browser, "template-list")).getAttribute("data-count"));
}

/** Cards in the DOM: the list is windowed, so only those near the view. */
async function renderedCards(browser) {
  return browser.execute(() =>
    [...document.querySelectorAll('[data-testid="template-list"] [data-index]')].map((e) => Number(e.getAttribute("data-index"))),
  );
}

/** Scrolls the page down until a card is rendered, brings it to the middle of the view and returns it. */
async function scrollToCard(browser, id) {
  const selector = `[data-testid="template-card-${id}"]`;
  await browser.execute(() => document.querySelector(".app-main")?.scrollTo(0, 0));
  for (let step = 0; step < 60; step += 1) {
    // Found and scrolled in one script: the window may re-render between two commands.
    const found = await browser.execute((sel) => {
      const el = document.querySelector(sel);
      el?.scrollIntoView({ block: "center" });
      return Boolean(el);
    }, selector);
    if (found) {
      await browser.pause(100);
      return byTestId(browser, `template-card-${id}`);
    }
    await browser.execute(() => document.querySelector(".app-main")?.scrollBy(0, 400));
    await browser.pause(50);
  }
  throw new Error(`the card ${id} never came into the window`);
}

const phases = (list) => list.map((p) => `${p.commitMs}+${p.layoutMs} ms (${p.cards} cards)`).join(", ");

describe("Library", () => {
  it("renders the whole library quickly", async () => {
    const { browser } = app;
    await byTestId(browser, "page-library", 20_000);
    await byTestId(browser, "template-list", 60_000);
    await browser.waitUntil(() => browser.execute(() => window.__libraryMetrics?.renderMs != null), {
      timeout: 10_000,
      timeoutMsg: "the library never reported the complete list laid out",
    });
    const m = await browser.execute(() => window.__libraryMetrics);
    console.log(
      `library: ${m.templateCount} templates; data arrived → list committed and laid out ${m.renderMs} ms ` +
        `(every load: ${m.renders.join(", ")} ms; commit + style/layout: ${phases(m.loads)}` +
        (m.paintMs.length ? `; next animation frame ${m.paintMs.join(", ")} ms)` : "; no animation frame yet)") +
        `; list model (index, filter and sort) ${m.modelMs.join(", ")} ms`,
    );
    assert.ok(m.templateCount >= 200, `expected the ~212 templates, got ${m.templateCount}`);
    assert.equal(await cardCount(browser), m.templateCount);
    // Windowed: the cards near the view are in the DOM, not all of them.
    const rendered = await renderedCards(browser);
    assert.ok(rendered.length > 0 && rendered.length < m.templateCount, `${rendered.length} cards rendered`);
    // Target: the list within 100 ms of the data. Reported, asserted loosely: this debug build
    // shares two cores with other work.
    if (m.renderMs >= 100) console.log(`library: above the 100 ms target on this machine`);
    assert.ok(m.renderMs < 1000, `the list took ${m.renderMs} ms`);
    await setTheme(browser, "light");
    await screenshot(browser, "library-light");
    await setTheme(browser, "dark");
    await screenshot(browser, "library-dark");
    await setTheme(browser, "light");
  });

  it("renders a reload of the library (code already run once) as quickly", async () => {
    const { browser } = app;
    const before = (await browser.execute(() => window.__libraryMetrics.renders.length)) ?? 0;
    await browser.execute(() => document.querySelector('button[title="Reload the library"]')?.click());
    await browser.waitUntil(() => browser.execute((n) => window.__libraryMetrics.renders.length > n, before), {
      timeout: 10_000,
      timeoutMsg: "the reload was never reported",
    });
    const m = await browser.execute(() => window.__libraryMetrics);
    console.log(`library reload: ${m.renders.at(-1)} ms (every load: ${m.renders.join(", ")} ms; ${phases(m.loads)})`);
    assert.ok(m.renders.at(-1) < 1000, `the reload took ${m.renders.at(-1)} ms`);
  });

  it("renders rows as the page scrolls, and the keyboard reaches every card", async () => {
    const { browser } = app;
    const total = await cardCount(browser);
    // The list has the height of all its rows: scrolling to the end renders the last cards.
    await browser.execute(() => {
      const main = document.querySelector(".app-main");
      main?.scrollTo(0, main.scrollHeight);
    });
    await browser.waitUntil(async () => (await renderedCards(browser)).includes(total - 1), {
      timeout: 5000,
      timeoutMsg: "the last card was not rendered at the end of the list",
    });
    const gaps = await browser.execute(() => {
      const cards = [...document.querySelectorAll('[data-testid="template-list"] [data-index]')];
      const main = document.querySelector(".app-main").getBoundingClientRect();
      const visible = cards.map((c) => c.getBoundingClientRect()).filter((r) => r.bottom > main.top && r.top < main.bottom);
      return { visible: visible.length, overlapping: visible.some((r, i) => visible.slice(i + 1).some((o) => r.left < o.right && o.left < r.right && r.top < o.bottom && o.top < r.bottom)) };
    });
    assert.ok(gaps.visible > 0, "no card in view at the end of the list");
    assert.equal(gaps.overlapping, false, "cards overlap");
    await screenshot(browser, "library-end");
    // Home from the last card goes back to the first, End to the last, scrolling each into view.
    await browser.execute((n) => document.querySelector(`[data-index="${n}"]`)?.focus(), total - 1);
    await browser.keys(["Home"]);
    await browser.waitUntil(
      () => browser.execute(() => document.activeElement?.getAttribute("data-index") === "0"),
      { timeout: 3000, timeoutMsg: "Home did not reach the first card" },
    );
    await browser.keys(["PageDown"]);
    await browser.keys(["End"]);
    await browser.waitUntil(
      () => browser.execute((n) => document.activeElement?.getAttribute("data-index") === String(n), total - 1),
      { timeout: 3000, timeoutMsg: "End did not reach the last card" },
    );
    await browser.keys(["Home"]);
    await browser.execute(() => document.querySelector(".app-main")?.scrollTo(0, 0));
  });

  it("finds Burnout Recruiter by search, keeping up with typing", async () => {
    const { browser } = app;
    const search = await byTestId(browser, "library-search");
    await search.click();
    for (const ch of "Burnout Recruiter") await browser.keys(ch);
    await browser.waitUntil(async () => (await cardCount(browser)) === 1, { timeout: 5000 });
    const card = await byTestId(browser, "template-card-studio.hr.burnout-recruiter");
    // The text of the card, not its visible text: the name ends in an ellipsis when too long.
    assert.match(await browser.execute((e) => e.textContent, card), /Burnout Recruiter/);
    const m = await browser.execute(() => window.__libraryMetrics);
    const max = Math.max(...m.filterMs);
    console.log(
      `filter: ${m.filterMs.length} updates, ${m.filterMs.join(", ")} ms filter+render (max ${max} ms; ` +
        `commit + style/layout: ${phases(m.filters)}), key-to-commit ${m.keyToCommitMs.join(", ")} ms`,
    );
    if (max >= 100) console.log(`filter: above the 100 ms target on this machine`);
    // Reported, loosely asserted: the figure depends on the load of this shared machine.
    assert.ok(max < 1000, `a filter update took ${max} ms`);
    await search.click();
    await browser.keys(["Escape"]);
    await browser.waitUntil(async () => (await cardCount(browser)) >= 200, { timeout: 5000 });
  });

  it("filters by a sector and shows only that sector", async () => {
    const { browser } = app;
    await (await byTestId(browser, "sector-chip-Finance")).click();
    await browser.waitUntil(async () => (await cardCount(browser)) < 200, { timeout: 5000 });
    const sectors = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="template-list"] [data-sector]')].map((e) => e.getAttribute("data-sector")),
    );
    assert.ok(sectors.length > 0 && sectors.every((s) => s === "Finance"), `sectors: ${[...new Set(sectors)]}`);
    await (await byTestId(browser, "sector-chip-all")).click();
  });

  it("opens a template and shows its DAG", async () => {
    const { browser } = app;
    await (await scrollToCard(browser, "studio.hr.burnout-recruiter")).click();
    await byTestId(browser, "template-detail");
    const dag = await byTestId(browser, "detail-dag");
    await browser.waitUntil(async () => (await dag.$$(".react-flow__node")).length > 1, { timeout: 10_000 });
    await screenshot(browser, "detail-light");
    await setTheme(browser, "dark");
    await screenshot(browser, "detail-dark");
    await setTheme(browser, "light");
  });

  it("Quick Deploy stops the sliders at the cap and saves a Threshold perimeter", async () => {
    const { browser } = app;
    await (await byTestId(browser, "quick-deploy")).click();
    await byTestId(browser, "perimeter-modal");
    // WebKitWebDriver aims a pointer action at where the element was when it computed the
    // point: let the dialog's entry animation end and bring the slider into view first, or the
    // press lands beside the thumb (on the dialog, which then takes the focus).
    await browser.waitUntil(
      () =>
        browser.execute(
          () => document.querySelector('[data-testid="perimeter-modal"]')?.getAnimations().length === 0,
        ),
      { timeout: 5000, timeoutMsg: "the configurator's entry animation did not end" },
    );
    const slider = await byTestId(browser, "slider-maxCostUsd");
    assert.equal(Number(await slider.getAttribute("max")), CAP_COST);
    await browser.execute((el) => el.scrollIntoView({ block: "center" }), slider);
    // Drag the thumb well past the right end of the track: it stops at the cap.
    await browser.action("pointer").move({ origin: slider }).down().move({ origin: slider, x: 600, y: 0 }).up().perform();
    const cost = await byTestId(browser, "input-maxCostUsd");
    await browser.waitUntil(async () => Number(await cost.getValue()) === CAP_COST, {
      timeout: 3000,
      timeoutMsg: `the cost field shows ${await cost.getValue()} after the drag, not the cap`,
    });
    assert.equal(Number(await slider.getValue()), CAP_COST);
    // The keyboard cannot push it further either.
    await browser.keys(["End", "ArrowRight", "ArrowRight"]);
    assert.equal(Number(await cost.getValue()), CAP_COST);
    assert.match(await (await byTestId(browser, "budget-maxCostUsd")).getAttribute("class"), /at-cap/);
    // Typing above the cap clamps too.
    const tokens = await byTestId(browser, "input-maxTokens");
    await typeInto(browser, tokens, "99999");
    await browser
      .waitUntil(async () => Number(await tokens.getValue()) === 20000, { timeout: 3000 })
      .catch(async (e) => {
        const at = await browser.execute(() => document.activeElement?.getAttribute("data-testid"));
        throw new Error(`the tokens field shows ${await tokens.getValue()} (focus on ${at}), not the cap of 20000`, { cause: e });
      });
    const mode = await byTestId(browser, "approval-threshold");
    await browser.execute((el) => el.scrollIntoView({ block: "center" }), mode);
    await mode.click();
    await browser.waitUntil(async () => (await mode.getAttribute("aria-checked")) === "true", { timeout: 3000 });
    const threshold = await byTestId(browser, "threshold-input");
    await typeInto(browser, threshold, "0.05");
    await browser.waitUntil(async () => Number(await threshold.getValue()) === 0.05, { timeout: 3000 });
    await browser.execute(() => document.querySelector(".perimeter-modal .modal-body")?.scrollTo(0, 0));
    await screenshot(browser, "configurator-light");
    await setTheme(browser, "dark");
    await screenshot(browser, "configurator-dark");
    await setTheme(browser, "light");
    await (await byTestId(browser, "perimeter-save")).click();
    const list = await byTestId(browser, "active-missions");
    await browser.waitUntil(async () => (await list.getText()).includes("Burnout Recruiter"), { timeout: 10_000 });
    // Saved: the detail panel steps aside and the confirmation, with a Run button, is shown.
    const saved = await byTestId(browser, "deploy-saved");
    assert.match(await saved.getText(), /as an active mission/);
    await byTestId(browser, "deploy-saved-run");
    await browser.waitUntil(async () => !(await browser.$('[data-testid="template-detail"]').isExisting()), {
      timeout: 5000,
      timeoutMsg: "the detail panel stayed open after Save",
    });
    // The panel gives the focus back to the card (which scrolls to it): then go to the top.
    await browser.pause(300);
    await browser.execute(() => document.querySelector(".app-main")?.scrollTo(0, 0));
    await screenshot(browser, "active-missions");
  });

  it("the saved active mission is in the database", (t) => {
    const cli = path.resolve("../../target/debug/mission");
    if (!existsSync(cli)) return t.skip("target/debug/mission is not built");
    const out = execFileSync(cli, ["active", "list", "--json", "--data-dir", DATA_DIR], { encoding: "utf8" });
    const saved = JSON.parse(out).find((m) => m.template_id === "studio.hr.burnout-recruiter");
    assert.ok(saved, `no active mission of the template in: ${out.slice(0, 300)}`);
    assert.equal(saved.perimeter.budget.max_cost_usd, CAP_COST);
    assert.equal(saved.perimeter.budget.max_tokens, 20000);
    const approval = JSON.stringify(saved.perimeter.approval);
    assert.match(approval, /threshold/);
    assert.match(approval, /0\.05/);
    console.log(`database: ${saved.id} ${saved.name}: cost ${saved.perimeter.budget.max_cost_usd} USD, approval ${approval}`);
  });
});
