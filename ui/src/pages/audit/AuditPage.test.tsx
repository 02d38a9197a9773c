import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { afterEach, describe, expect, it } from "vitest";
import type { AuditPage as AuditPageData, AuditQuery, AuditRow } from "../../ipc/oversight";
import { clearMocks, mockCommands } from "../../ipc/testing";
import { AuditPage } from "./AuditPage";
import { filtersFromParams, filtersToParams, pageRange, toAuditQuery } from "./filters";

afterEach(() => clearMocks());

function row(over: Partial<AuditRow>): AuditRow {
  return {
    at: "2026-03-04T10:00:00.000Z",
    runId: "aaaa1111-0000-4000-8000-000000000001",
    missionId: "e2e.approval",
    stepId: "plan",
    attempt: 1,
    tool: "noop",
    toolSector: "common",
    missionSector: "default",
    authorisingSector: "common",
    decision: "allowed",
    check: "approval",
    reason: "no approval needed",
    traceId: "t1",
    who: "gate",
    ...over,
  };
}

const DENIED = row({
  at: "2026-03-04T10:00:01.000Z",
  stepId: "deploy",
  tool: "command",
  decision: "denied",
  reason: "approval_denied: command steps need approval; denied by approve-none",
  who: "approve-none",
  authorisingSector: null,
});

/** Answers `audit_rows` from `rows` the way the backend filters them, and records each query. */
function setup(rows: AuditRow[], url = "/audit") {
  const queries: AuditQuery[] = [];
  mockCommands({
    audit_rows: (a) => {
      const q = (a.query ?? {}) as AuditQuery;
      queries.push(q);
      const matching = rows.filter(
        (r) =>
          (!q.decision || r.decision === q.decision) &&
          (!q.tool || r.tool === q.tool) &&
          (!q.runId || r.runId.startsWith(q.runId)),
      );
      const offset = q.offset ?? 0;
      const page: AuditPageData = {
        rows: matching.slice(offset, offset + (q.limit ?? 100)),
        total: matching.length,
        offset,
        all: rows.length,
        tools: [...new Set(rows.map((r) => r.tool))].sort(),
      };
      return page;
    },
  });
  let location = "";
  function Where() {
    const l = useLocation();
    location = l.pathname + l.search;
    return null;
  }
  render(
    <MemoryRouter initialEntries={[url]}>
      <Routes>
        <Route path="/audit" element={<AuditPage />} />
        <Route path="/history/:runId" element={<p>History run</p>} />
      </Routes>
      <Where />
    </MemoryRouter>,
  );
  return { queries, location: () => location };
}

describe("Audit page", () => {
  it("lists every decision with its run, step, tool, decision, reason and who", async () => {
    setup([DENIED, row({})]);
    const table = await screen.findByTestId("audit-table");
    const rows = within(table).getAllByTestId("audit-row");
    expect(rows).toHaveLength(2);
    const [first, second] = rows as [HTMLElement, HTMLElement];
    expect(first).toHaveAttribute("data-decision", "denied");
    expect(within(first).getByTestId("audit-decision")).toHaveTextContent("Denied");
    expect(within(first).getByTestId("audit-who")).toHaveTextContent("approve-none");
    expect(within(first).getByTestId("audit-reason")).toHaveTextContent("denied by approve-none");
    expect(within(first).getByText("deploy")).toBeInTheDocument();
    expect(within(second).getByTestId("audit-who")).toHaveTextContent("gate");
    const link = within(first).getByTestId("audit-run-link");
    expect(link).toHaveTextContent("aaaa1111");
    expect(link).toHaveAttribute("href", "/history/aaaa1111-0000-4000-8000-000000000001");
    expect(screen.getByTestId("page-title")).toHaveTextContent("Audit");
    expect(screen.getByTestId("audit-range")).toHaveTextContent("1–2 of 2");
  });

  it("filters by decision through the query and keeps the filter in the URL", async () => {
    const user = userEvent.setup();
    const { queries, location } = setup([DENIED, row({})]);
    await screen.findByTestId("audit-table");
    await user.click(screen.getByTestId("audit-decision-denied"));
    await waitFor(() => expect(screen.getAllByTestId("audit-row")).toHaveLength(1));
    expect(queries.at(-1)).toMatchObject({ decision: "denied", offset: 0, limit: 100 });
    expect(location()).toBe("/audit?decision=denied");
    expect(screen.getByTestId("audit-decision-denied")).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByTestId("audit-filter-clear")).toHaveTextContent("Clear filter");
  });

  it("narrows to one run from a row and by a typed run id", async () => {
    const user = userEvent.setup();
    const other = row({ runId: "bbbb2222-0000-4000-8000-000000000002", at: "2026-03-05T09:00:00.000Z" });
    const { queries } = setup([other, DENIED, row({})]);
    await screen.findByTestId("audit-table");
    await user.click(screen.getByRole("button", { name: "Only the decisions of run bbbb2222" }));
    await waitFor(() => expect(screen.getAllByTestId("audit-row")).toHaveLength(1));
    expect(queries.at(-1)?.runId).toBe("bbbb2222-0000-4000-8000-000000000002");
    expect(screen.getByTestId("audit-filter-run")).toHaveValue("bbbb2222-0000-4000-8000-000000000002");

    await user.clear(screen.getByTestId("audit-filter-run"));
    await user.type(screen.getByTestId("audit-filter-run"), "aaaa");
    await waitFor(() => expect(queries.at(-1)?.runId).toBe("aaaa"));
    await waitFor(() => expect(screen.getAllByTestId("audit-row")).toHaveLength(2));
  });

  it("filters by tool from the tools the rows name", async () => {
    const user = userEvent.setup();
    const { queries } = setup([DENIED, row({})]);
    await screen.findByTestId("audit-table");
    const select = screen.getByTestId("audit-filter-tool");
    expect(within(select).getAllByRole("option").map((o) => o.textContent)).toEqual(["Any", "command", "noop"]);
    await user.selectOptions(select, "command");
    await waitFor(() => expect(queries.at(-1)?.tool).toBe("command"));
    await waitFor(() => expect(screen.getAllByTestId("audit-row")).toHaveLength(1));
  });

  it("pages through many rows, newest page first", async () => {
    const user = userEvent.setup();
    const many = Array.from({ length: 230 }, (_, i) => row({ stepId: `s${i}`, at: `2026-03-04T10:00:${String(i % 60).padStart(2, "0")}.000Z` }));
    const { queries } = setup(many);
    await screen.findByTestId("audit-table");
    expect(screen.getAllByTestId("audit-row")).toHaveLength(100);
    expect(screen.getByTestId("audit-prev")).toBeDisabled();
    await user.click(screen.getByTestId("audit-next"));
    await waitFor(() => expect(screen.getByTestId("audit-range")).toHaveTextContent("101–200 of 230"));
    expect(queries.at(-1)).toMatchObject({ offset: 100 });
    await user.click(screen.getByTestId("audit-next"));
    await waitFor(() => expect(screen.getByTestId("audit-range")).toHaveTextContent("201–230 of 230"));
    expect(screen.getAllByTestId("audit-row")).toHaveLength(30);
    expect(screen.getByTestId("audit-next")).toBeDisabled();
  });

  it("explains the page when there is no decision yet", async () => {
    setup([]);
    expect(await screen.findByTestId("audit-empty")).toHaveTextContent("No decision yet");
  });

  it("says when no decision matches", async () => {
    setup([row({})], "/audit?decision=refused");
    expect(await screen.findByTestId("audit-no-match")).toHaveTextContent("No decision matches these filters");
  });

  it("shows the backend's error", async () => {
    mockCommands({});
    render(
      <MemoryRouter initialEntries={["/audit"]}>
        <AuditPage />
      </MemoryRouter>,
    );
    expect(await screen.findByTestId("audit-error")).toHaveTextContent("no mock for command audit_rows");
  });
});

describe("audit filters", () => {
  it("round-trip through the URL and become the query", () => {
    const f = filtersFromParams(new URLSearchParams("run=abc&decision=approval&tool=http&from=2026-03-01&to=2026-03-02&page=3"));
    expect(f).toEqual({ run: "abc", decision: "approval", tool: "http", from: "2026-03-01", to: "2026-03-02", page: 2 });
    expect(filtersFromParams(filtersToParams(f))).toEqual(f);
    const q = toAuditQuery(f);
    expect(q).toMatchObject({ runId: "abc", decision: "approval", tool: "http", offset: 200, limit: 100 });
    expect(new Date(q.after ?? "").getDate()).toBe(1);
    expect(new Date(q.before ?? "").getDate()).toBe(3);
    expect(filtersFromParams(new URLSearchParams("decision=maybe&from=06-01-01&page=-2"))).toMatchObject({ decision: "", from: "", page: 0 });
  });

  it("writes page ranges", () => {
    expect(pageRange(0, 100, 2345)).toBe(`1–100 of ${(2345).toLocaleString()}`);
    expect(pageRange(0, 0, 0)).toBe("0 of 0");
  });
});
