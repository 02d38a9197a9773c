import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { clearMocks, mockCommands } from "../../ipc/testing";
import { applyFilter, EMPTY_FILTER, indexTemplates } from "./filter";
import { LibraryPage } from "./LibraryPage";
import type { TemplateSummary } from "../../ipc/library";
import { CAPS, detailOf, TEMPLATES } from "./testdata";

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

function mockLibrary() {
  return mockCommands({
    list_templates: () => TEMPLATES,
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
