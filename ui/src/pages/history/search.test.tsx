import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";
import type { RunList, RunListItem, RunListQuery, RunMatchItem } from "../../ipc";
import { mockCommands } from "../../ipc/testing";
import { HistoryPage } from "../HistoryPage";
import { DEFAULT_FILTERS, filtersFromParams, filtersToParams, nextSort, toQuery, withText } from "./filters";

function run(runId: string, missionName: string, matches?: RunMatchItem[]): RunListItem {
  return {
    runId,
    missionId: `com.acme.${missionName.toLowerCase().replace(/ /g, "-")}`,
    missionName,
    sector: "default",
    status: "completed",
    reason: null,
    startedAt: "2026-01-02T10:00:00.000Z",
    finishedAt: "2026-01-02T10:00:02.000Z",
    durationMs: 2000,
    costUsd: 0,
    tokens: 0,
    llmCalls: 0,
    stepCount: 2,
    resumedFrom: null,
    evidenceDir: null,
    simulated: false,
    ...(matches ? { matches } : {}),
  };
}

const TIDE_LINE: RunMatchItem = {
  field: "output",
  stepId: "report",
  parts: [
    { text: "high ", hit: false },
    { text: "tide", hit: true },
    { text: " at 06:12 (Brest)", hit: false },
  ],
};
const COAST = run("run-coast-0001", "Coast Watch", [TIDE_LINE, { field: "output_name", stepId: null, parts: [{ text: "tide", hit: true }, { text: "s.csv", hit: false }] }]);
const TABLES = run("run-table-0002", "Tide Tables", [{ field: "mission", stepId: null, parts: [{ text: "Tide", hit: true }, { text: " Tables", hit: false }] }]);

function list(runs: RunListItem[]): RunList {
  return { runs, missions: [], sectors: ["default"], totalRuns: 2 };
}

/** Mocks both commands; returns the queries each received. */
function mockHistory(found: (q: RunListQuery) => RunListItem[]) {
  const searched: RunListQuery[] = [];
  const listed: RunListQuery[] = [];
  mockCommands({
    list_runs: (a) => {
      listed.push(a.query as RunListQuery);
      return list([run(COAST.runId, "Coast Watch"), run(TABLES.runId, "Tide Tables")]);
    },
    search_runs: (a) => {
      const q = a.query as RunListQuery;
      searched.push(q);
      return list(found(q));
    },
  });
  return { searched, listed };
}

function renderHistory() {
  return render(
    <MemoryRouter initialEntries={["/history"]}>
      <Routes>
        <Route path="/history/*" element={<HistoryPage />} />
      </Routes>
    </MemoryRouter>,
  );
}

describe("the search's order", () => {
  it("is best match first while searching unless a column was chosen", () => {
    const searching = withText(DEFAULT_FILTERS, "tide");
    expect(searching).toMatchObject({ sort: "relevance", descending: false });
    expect(filtersToParams(searching).toString()).toBe("q=tide");
    expect(filtersFromParams(new URLSearchParams("q=tide"))).toEqual(searching);
    expect(toQuery(searching)).toMatchObject({ text: "tide", sort: "relevance" });
    expect(withText(searching, "")).toEqual(DEFAULT_FILTERS);

    const byCost = { ...searching, ...nextSort(searching, "cost") };
    expect(withText(byCost, "ebb")).toMatchObject({ sort: "cost", descending: true, text: "ebb" });
    expect(filtersFromParams(filtersToParams(byCost))).toEqual(byCost);
    // Best match means nothing without text.
    expect(toQuery({ ...DEFAULT_FILTERS, sort: "relevance", descending: false })).toEqual({ sort: "started", descending: true });
  });
});

describe("History search", () => {
  it("finds runs by what they produced and shows the matching lines under each", async () => {
    const { searched } = mockHistory((q) => (q.text === "tide" ? [COAST, TABLES] : []));
    renderHistory();
    await screen.findByTestId(`run-row-${COAST.runId}`);
    await userEvent.type(screen.getByTestId("history-search"), "tide");
    const lines = await screen.findByTestId(`run-matches-${COAST.runId}`);
    expect(searched.at(-1)).toMatchObject({ text: "tide", sort: "relevance" });
    expect(searched.filter((q) => q.text === "t")).toHaveLength(0);

    const shown = within(lines).getAllByTestId("run-match");
    expect(shown).toHaveLength(2);
    const [first, second] = shown as [HTMLElement, HTMLElement];
    expect(first).toHaveAttribute("data-field", "output");
    expect(first).toHaveTextContent("report · output");
    expect(first).toHaveTextContent("high tide at 06:12 (Brest)");
    expect(first.querySelector("mark")).toHaveTextContent(/^tide$/);
    expect(second).toHaveTextContent("output file");
    expect(within(screen.getByTestId(`run-matches-${TABLES.runId}`)).getByTestId("run-match")).toHaveTextContent("mission");
    expect(screen.getByTestId("history-subtitle")).toHaveTextContent("2 of 2 runs match “tide” · best match first");

    // Sorting by a column while searching, then back to the best match.
    await userEvent.click(screen.getByTestId("sort-cost"));
    await waitFor(() => expect(searched.at(-1)).toMatchObject({ text: "tide", sort: "cost" }));
    await userEvent.click(screen.getByTestId("sort-relevance"));
    await waitFor(() => expect(searched.at(-1)).toMatchObject({ text: "tide", sort: "relevance" }));
  });

  it("searches at once on Enter and clears on Escape", async () => {
    const { searched, listed } = mockHistory(() => [COAST]);
    renderHistory();
    await screen.findByTestId(`run-row-${COAST.runId}`);
    const box = screen.getByTestId("history-search");
    fireEvent.change(box, { target: { value: "brest" } });
    fireEvent.keyDown(box, { key: "Enter" });
    // Well before the pause after typing would search.
    await waitFor(() => expect(searched.at(-1)?.text).toBe("brest"), { timeout: 120 });
    await screen.findByTestId(`run-matches-${COAST.runId}`);

    const listedBefore = listed.length;
    fireEvent.keyDown(box, { key: "Escape" });
    expect(box).toHaveValue("");
    await waitFor(() => expect(listed.length).toBeGreaterThan(listedBefore));
    expect(listed.at(-1)?.text).toBeUndefined();
    await waitFor(() => expect(screen.queryByTestId(`run-matches-${COAST.runId}`)).not.toBeInTheDocument());

    // Down from the box goes to the first run.
    fireEvent.keyDown(box, { key: "ArrowDown" });
    expect(screen.getByTestId(`run-row-${COAST.runId}`)).toHaveFocus();
  });

  it("says so when nothing matches, and offers to clear the search", async () => {
    mockHistory(() => []);
    renderHistory();
    await screen.findByTestId(`run-row-${COAST.runId}`);
    await userEvent.type(screen.getByTestId("history-search"), "zeppelin{Enter}");
    const empty = await screen.findByTestId("history-search-empty");
    expect(empty).toHaveTextContent("No run matches “zeppelin”.");
    expect(empty).toHaveTextContent("step outputs and errors");
    expect(screen.getByTestId("history-subtitle")).toHaveTextContent("No run of 2 runs matches “zeppelin”");
    expect(screen.queryByTestId("history-no-match")).not.toBeInTheDocument();
    await userEvent.click(screen.getByTestId("history-search-empty-clear"));
    expect(await screen.findByTestId(`run-row-${COAST.runId}`)).toBeInTheDocument();
    expect(screen.getByTestId("history-search")).toHaveValue("");
  });
});
