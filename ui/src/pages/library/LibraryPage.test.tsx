import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { clearMocks, mockCommands } from "../../ipc/testing";
import { applyFilter, EMPTY_FILTER, indexTemplates } from "./filter";
import { LibraryPage } from "./LibraryPage";
import type { TemplateSummary } from "../../ipc/library";
import { CAPS, detailOf, manyTemplates, TEMPLATES } from "./testdata";

beforeAll(() => {
  if (!("ResizeObserver" in globalThis)) {
    (globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver = class {
      observe() {}
      unobserve() {}
      disconnect() {}
    };
  }
});

const first = TEMPLATES[0] as TemplateSummary;

function mockLibrary(list: TemplateSummary[] = TEMPLATES) {
  return mockCommands({
    list_templates: () => list,
    list_active_missions: () => [],
    get_template: (a) => detailOf(TEMPLATES.find((t) => t.id === a.id) ?? first),
    template_runs: () => [],
    get_caps: () => CAPS,
    approval_preview: () => [],
  });
}

function renderPage() {
  return render(
    <MemoryRouter initialEntries={["/library"]}>
      <LibraryPage />
    </MemoryRouter>,
  );
}

afterEach(() => clearMocks());

describe("library filters (pure)", () => {
  const index = indexTemplates(TEMPLATES);
  it("matches every word of the search in name, goal, sector or tags", () => {
    const r = applyFilter(index, { ...EMPTY_FILTER, text: "burnout recr" });
    expect(r.items.map((t) => t.name)).toEqual(["Burnout Recruiter"]);
    expect(applyFilter(index, { ...EMPTY_FILTER, text: "wellbeing" }).items).toHaveLength(1);
  });
  it("counts sectors without the sector chip and filters by sector, risk and badge", () => {
    const r = applyFilter(index, { ...EMPTY_FILTER, sector: "Finance" });
    expect(r.items.map((t) => t.sector)).toEqual(["Finance", "Finance"]);
    expect(r.sectorCounts.get("HR")).toBe(1);
    expect(applyFilter(index, { ...EMPTY_FILTER, risks: new Set(["high"]) }).items.map((t) => t.name)).toEqual([
      "Cash Forecast",
    ]);
    expect(applyFilter(index, { ...EMPTY_FILTER, badge: "top_performance" }).items.map((t) => t.name)).toEqual([
      "Invoice Audit",
    ]);
  });
  it("sorts by measured success first", () => {
    const r = applyFilter(index, { ...EMPTY_FILTER, sort: "success" });
    expect(r.items[0]?.name).toBe("Invoice Audit");
  });
});

describe("LibraryPage", () => {
  it("shows every template as a card with sector chips and counts", async () => {
    mockLibrary();
    renderPage();
    expect(await screen.findByTestId("template-card-studio.hr.burnout-recruiter")).toBeInTheDocument();
    expect(screen.getByTestId("template-list")).toHaveAttribute("data-count", "4");
    expect(screen.getByTestId("sector-chip-Finance")).toHaveTextContent("2");
    const top = screen.getByTestId("template-card-studio.finance.invoice-audit");
    expect(within(top).getByText("Top Performance")).toBeInTheDocument();
    expect(within(screen.getByTestId("template-card-studio.hr.burnout-recruiter")).getByText("est.")).toBeInTheDocument();
  });

  it("filters as one types and by sector chip, and says what to do when nothing matches", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    mockLibrary();
    renderPage();
    await screen.findByTestId("template-list");
    fireEvent.change(screen.getByTestId("library-search"), { target: { value: "Burnout Recruiter" } });
    await act(async () => {
      vi.advanceTimersByTime(200);
    });
    expect(screen.getByTestId("template-list")).toHaveAttribute("data-count", "1");
    fireEvent.change(screen.getByTestId("library-search"), { target: { value: "" } });
    await act(async () => {
      vi.advanceTimersByTime(200);
    });
    fireEvent.click(screen.getByTestId("sector-chip-Finance"));
    const cards = [...screen.getByTestId("template-list").querySelectorAll("[data-sector]")];
    expect(cards).toHaveLength(2);
    expect(cards.every((c) => c.getAttribute("data-sector") === "Finance")).toBe(true);
    fireEvent.change(screen.getByTestId("library-search"), { target: { value: "zzz-nothing" } });
    await act(async () => {
      vi.advanceTimersByTime(200);
    });
    expect(screen.getByTestId("library-no-results")).toHaveTextContent("Clear all filters");
    vi.useRealTimers();
  });

  it("shows loading cards that are not template cards until the data arrives", async () => {
    let answer: (list: TemplateSummary[]) => void = () => {};
    mockCommands({
      list_templates: () => new Promise<TemplateSummary[]>((resolve) => (answer = resolve)),
      list_active_missions: () => [],
    });
    const { container } = renderPage();
    const busy = container.querySelector('[aria-busy="true"]');
    expect(busy?.querySelectorAll(".tcard-skeleton").length).toBeGreaterThan(0);
    expect(busy?.querySelector("[data-testid^='template-card-'], [data-sector], [data-index]")).toBeNull();
    expect(screen.queryAllByRole("listitem")).toHaveLength(0);
    await act(async () => answer(TEMPLATES));
    expect(await screen.findByTestId("template-card-studio.hr.burnout-recruiter")).toBeInTheDocument();
    expect(container.querySelector(".tcard-skeleton")).toBeNull();
  });

  it("moves between cards with the arrow keys and opens one with Enter", async () => {
    mockLibrary();
    renderPage();
    const first = await screen.findByTestId("template-card-studio.hr.burnout-recruiter");
    first.focus();
    fireEvent.keyDown(first, { key: "ArrowRight" });
    const second = screen.getByTestId("template-card-studio.finance.cash-forecast");
    expect(second).toHaveFocus();
    fireEvent.keyDown(second, { key: "Enter" });
    expect(await screen.findByTestId("template-detail")).toBeInTheDocument();
    expect(await screen.findByTestId("detail-dag")).toHaveAttribute("data-node-count", "2");
    // Raw HTML in a mission's text is not interpreted.
    expect(document.querySelector("script")).toBeNull();
  });
});

describe("LibraryPage, windowed", () => {
  // 120 cards in a 900 × 424 view: three columns of 292 px, rows of 200 px and a 12 px gap; two rows
  // in view plus one of overscan below.
  const MANY = manyTemplates(120);
  const VIEW = { width: 900, height: 424 };
  const PITCH = 212;

  function renderWindowed() {
    mockLibrary(MANY);
    return render(
      <MemoryRouter initialEntries={["/library"]}>
        <div data-testid="scroller" style={{ overflowY: "auto" }}>
          <LibraryPage viewport={VIEW} />
        </div>
      </MemoryRouter>,
    );
  }
  const list = () => screen.getByTestId("template-list");
  const indices = () => [...list().querySelectorAll("[data-index]")].map((e) => Number(e.getAttribute("data-index")));
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  /** The first card, once the row of overscan below the view has followed it. */
  async function firstCardSettled() {
    const card = await screen.findByTestId("template-card-studio.test.t001");
    await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
    return card;
  }

  it("renders only the rows in view, at the list's full height", async () => {
    renderWindowed();
    await firstCardSettled();
    expect(list()).toHaveAttribute("data-count", "120");
    expect(indices()).toEqual(range(0, 9));
    expect(screen.queryByTestId("template-card-studio.test.t010")).toBeNull();
    // 40 rows, 3 rendered: the other 37 are padding below.
    expect(list().style.paddingBottom).toBe(`${37 * PITCH}px`);
    expect(list().querySelector('[data-index="0"]')).toHaveAttribute("aria-setsize", "120");
  });

  it("moves the window as the page scrolls", async () => {
    renderWindowed();
    await firstCardSettled();
    const scroller = screen.getByTestId("scroller");
    scroller.scrollTop = 20 * PITCH;
    fireEvent.scroll(scroller);
    // Rows 20-21 in view, one above and one below.
    expect(indices()).toEqual(range(57, 69));
    expect(list().style.paddingTop).toBe(`${19 * PITCH}px`);
    expect(screen.getByTestId("template-card-studio.test.t061")).toBeInTheDocument();
    expect(screen.queryByTestId("template-card-studio.test.t001")).toBeNull();
  });

  it("reaches every card from the keyboard, scrolling each into the window", async () => {
    renderWindowed();
    const firstCard = await firstCardSettled();
    firstCard.focus();
    fireEvent.keyDown(firstCard, { key: "ArrowDown" });
    expect(screen.getByTestId("template-card-studio.test.t004")).toHaveFocus();
    // Page Down moves by the two whole rows in view.
    fireEvent.keyDown(document.activeElement as HTMLElement, { key: "PageDown" });
    expect(screen.getByTestId("template-card-studio.test.t010")).toHaveFocus();
    // End: the last card, far outside the first window, is rendered and focused.
    fireEvent.keyDown(document.activeElement as HTMLElement, { key: "End" });
    const last = screen.getByTestId("template-card-studio.test.t120");
    expect(last).toHaveFocus();
    expect(last).toHaveAttribute("tabindex", "0");
    expect(screen.getByTestId("scroller").scrollTop).toBeGreaterThan(30 * PITCH);
    expect(screen.queryByTestId("template-card-studio.test.t001")).toBeNull();
    fireEvent.keyDown(last, { key: "PageUp" });
    expect(screen.getByTestId("template-card-studio.test.t114")).toHaveFocus();
    fireEvent.keyDown(document.activeElement as HTMLElement, { key: "Home" });
    expect(screen.getByTestId("template-card-studio.test.t001")).toHaveFocus();
    expect(screen.getByTestId("scroller").scrollTop).toBe(0);
  });

  it("keeps filtering the whole list, not only the window", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    renderWindowed();
    await firstCardSettled();
    // A card far outside the window is found by search.
    fireEvent.change(screen.getByTestId("library-search"), { target: { value: "tag117" } });
    await act(async () => {
      vi.advanceTimersByTime(200);
    });
    expect(list()).toHaveAttribute("data-count", "1");
    expect(screen.getByTestId("template-card-studio.test.t117")).toBeInTheDocument();
    fireEvent.change(screen.getByTestId("library-search"), { target: { value: "" } });
    await act(async () => {
      vi.advanceTimersByTime(200);
    });
    fireEvent.click(screen.getByTestId("sector-chip-Legal"));
    expect(list()).toHaveAttribute("data-count", "24");
    const sectors = [...list().querySelectorAll("[data-sector]")].map((c) => c.getAttribute("data-sector"));
    expect(sectors).toHaveLength(9);
    expect(sectors.every((s) => s === "Legal")).toBe(true);
    vi.useRealTimers();
  });

  it("windows the one-column list too", async () => {
    renderWindowed();
    await firstCardSettled();
    fireEvent.click(screen.getByTestId("view-list"));
    // Rows of 52 px: 9 in a 424 px view, plus one of overscan.
    expect(indices()).toEqual(range(0, 10));
    expect(list().style.paddingBottom).toBe(`${(120 - 10) * 52}px`);
  });
});
