import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunList, RunListQuery } from "../../ipc";
import { clearMocks, mockCommands } from "../../ipc/testing";
import { localDay, setDateLocale } from "../../lib/dates";
import { HistoryPage } from "../HistoryPage";

const EMPTY: RunList = { runs: [], missions: [], sectors: [], totalRuns: 3 };

let queries: RunListQuery[] = [];

beforeEach(() => {
  setDateLocale("en-US");
  queries = [];
  mockCommands({
    list_runs: (args) => {
      queries.push(args.query as RunListQuery);
      return EMPTY;
    },
  });
});

afterEach(() => {
  clearMocks();
  setDateLocale(undefined);
});

function renderAt(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <Routes>
        <Route path="/history/*" element={<HistoryPage />} />
      </Routes>
    </MemoryRouter>,
  );
}

const last = (): RunListQuery => queries[queries.length - 1] ?? { sort: "started", descending: true };
/** The local day an instant of the query falls on. */
const dayOf = (iso: string | undefined) => localDay(new Date(iso ?? ""));
const at = (iso: string | undefined) => new Date(iso ?? "").getTime();

describe("the History's date filter", () => {
  it("starts empty: no date shown, no filter applied", async () => {
    renderAt("/history");
    await waitFor(() => expect(queries.length).toBeGreaterThan(0));
    expect(screen.getByTestId("filter-from")).toHaveValue("");
    expect(screen.getByTestId("filter-to")).toHaveValue("");
    expect(screen.getByTestId("filter-date-preset")).toHaveValue("");
    expect(last().startedAfter).toBeUndefined();
  });

  it("reads a typed ISO day as year 2026 and shows it in the locale's form", async () => {
    const user = userEvent.setup();
    renderAt("/history");
    const from = await screen.findByTestId("filter-from");
    await user.type(from, "2026-12-01{Enter}");
    await waitFor(() => expect(last().startedAfter).toBeDefined());
    expect(new Date(last().startedAfter ?? "").getFullYear()).toBe(2026);
    expect(dayOf(last().startedAfter)).toBe("2026-12-01");
    expect(from).toHaveValue("12/01/2026");
    expect(screen.queryByTestId("filter-date-error")).toBeNull();
  });

  it("reads the locale's short form on leaving the field", async () => {
    const user = userEvent.setup();
    renderAt("/history");
    const to = await screen.findByTestId("filter-to");
    await user.type(to, "12/1/26");
    await user.tab();
    await waitFor(() => expect(last().startedBefore).toBeDefined());
    expect(dayOf(last().startedBefore)).toBe("2026-12-02");
    expect(to).toHaveValue("12/01/2026");
  });

  it("shows an inline error for what is not a day and keeps the filter", async () => {
    const user = userEvent.setup();
    renderAt("/history?from=2026-11-01");
    const from = await screen.findByTestId("filter-from");
    expect(from).toHaveValue("11/01/2026");
    await user.clear(from);
    await user.type(from, "12/1/6{Enter}");
    const error = await screen.findByTestId("filter-date-error");
    expect(error).toHaveTextContent("From: the year needs four digits");
    expect(from).toHaveAttribute("aria-invalid", "true");
    expect(from).toHaveAttribute("aria-describedby", error.id);
    expect(dayOf(last().startedAfter)).toBe("2026-11-01");
    // Escape puts the filter's day back.
    await user.type(from, "{Escape}");
    expect(from).toHaveValue("11/01/2026");
    expect(screen.queryByTestId("filter-date-error")).toBeNull();
  });

  it("refuses a From after the To", async () => {
    const user = userEvent.setup();
    renderAt("/history?to=2026-11-01");
    const from = await screen.findByTestId("filter-from");
    await user.type(from, "2026-12-01{Enter}");
    expect(await screen.findByTestId("filter-date-error")).toHaveTextContent("From is after To");
    expect(last().startedAfter).toBeUndefined();
  });

  it("offers presets and clears", async () => {
    const user = userEvent.setup();
    renderAt("/history");
    const preset = await screen.findByTestId("filter-date-preset");
    await user.selectOptions(preset, "last7");
    const today = localDay(new Date());
    await waitFor(() => expect(last().startedBefore).toBeDefined());
    const after = at(last().startedAfter);
    const before = at(last().startedBefore);
    expect(localDay(new Date(before - 1))).toBe(today);
    expect(Math.round((before - after) / 86_400_000)).toBe(7);
    expect(preset).toHaveValue("last7");
    expect(screen.getByTestId("filter-to")).not.toHaveValue("");

    await user.selectOptions(preset, "yesterday");
    await waitFor(() => expect(at(last().startedAfter)).not.toBe(after));
    expect(Math.round((at(last().startedBefore) - at(last().startedAfter)) / 86_400_000)).toBe(1);

    await user.click(screen.getByTestId("filter-date-clear"));
    await waitFor(() => expect(last().startedAfter).toBeUndefined());
    expect(screen.getByTestId("filter-from")).toHaveValue("");
    expect(preset).toHaveValue("");
  });
});
