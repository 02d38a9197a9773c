import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it } from "vitest";
import type { ReviewFlagDto } from "../../ipc/oversight";
import { clearMocks, mockCommands } from "../../ipc/testing";
import { patternLabel, ReviewPage } from "./ReviewPage";

afterEach(() => clearMocks());

function flag(over: Partial<ReviewFlagDto>): ReviewFlagDto {
  return {
    flagId: 7,
    templateId: "e2e.review.flaky",
    templateName: "Flaky Check",
    stepId: "check",
    pattern: "repeated_step_failure",
    failures: 3,
    windowRuns: 4,
    runIds: ["cccc3333-0000-4000-8000-000000000003", "bbbb2222-0000-4000-8000-000000000002", "aaaa1111-0000-4000-8000-000000000001"],
    status: "open",
    note: null,
    createdAt: "2026-03-04T10:00:00.000Z",
    updatedAt: "2026-03-04T10:00:00.000Z",
    ...over,
  };
}

function setup(flags: ReviewFlagDto[], url = "/review") {
  const asked: unknown[] = [];
  const resolved: { flagId: unknown; note: unknown }[] = [];
  let list = [...flags];
  mockCommands({
    review_flags: (a) => {
      asked.push(a.status);
      return a.status === "all" ? list : list.filter((f) => f.status === a.status);
    },
    resolve_review_flag: (a) => {
      resolved.push({ flagId: a.flagId, note: a.note });
      const f = list.find((x) => x.flagId === a.flagId);
      if (!f) throw { code: "not_found", message: `no review flag with id ${String(a.flagId)}` };
      const updated: ReviewFlagDto = { ...f, status: "resolved", note: (a.note as string | null) ?? null, updatedAt: "2026-03-04T11:00:00.000Z" };
      list = list.map((x) => (x.flagId === f.flagId ? updated : x));
      return updated;
    },
  });
  render(
    <MemoryRouter initialEntries={[url]}>
      <ReviewPage />
    </MemoryRouter>,
  );
  return { asked, resolved };
}

describe("Review page", () => {
  it("lists open flags with the pattern and links to the runs", async () => {
    const { asked } = setup([flag({}), flag({ flagId: 8, status: "resolved", note: "fixed" })]);
    const card = await screen.findByTestId("review-flag-7");
    expect(asked).toEqual(["open"]);
    expect(screen.queryByTestId("review-flag-8")).not.toBeInTheDocument();
    expect(within(card).getByRole("heading")).toHaveTextContent("Flaky Check");
    expect(within(card).getByTestId("review-flag-pattern")).toHaveTextContent("Step check failed in 3 of the last 4 runs · Repeated step failure");
    const links = within(card).getAllByTestId("review-run-link");
    expect(links.map((l) => l.textContent)).toEqual(["cccc3333", "bbbb2222", "aaaa1111"]);
    expect(links[0]).toHaveAttribute("href", "/history/cccc3333-0000-4000-8000-000000000003");
    expect(within(card).getByTestId("review-flag-status")).toHaveTextContent("Open");
    expect(screen.getByTestId("review-count")).toHaveTextContent("1 flag");
  });

  it("switches the status filter", async () => {
    const user = userEvent.setup();
    const { asked } = setup([flag({}), flag({ flagId: 8, status: "resolved", note: "fixed" })]);
    await screen.findByTestId("review-flag-7");
    await user.click(screen.getByTestId("review-status-resolved"));
    const resolved = await screen.findByTestId("review-flag-8");
    expect(within(resolved).getByTestId("review-flag-note")).toHaveTextContent("fixed");
    expect(within(resolved).queryByTestId("review-resolve")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("review-status-all"));
    await waitFor(() => expect(screen.getByTestId("review-count")).toHaveTextContent("2 flags"));
    expect(asked).toEqual(["open", "resolved", "all"]);
    expect(screen.getByTestId("review-status-all")).toHaveAttribute("aria-pressed", "true");
  });

  it("resolves a flag with a note, and it updates in place", async () => {
    const user = userEvent.setup();
    const { resolved } = setup([flag({}), flag({ flagId: 9, templateName: null, templateId: "x.other" })]);
    const card = await screen.findByTestId("review-flag-7");
    await user.click(within(card).getByTestId("review-resolve"));
    const note = within(card).getByTestId("review-note-input");
    expect(note).toHaveFocus();
    await user.type(note, "  restored the flag file  ");
    await user.click(within(card).getByTestId("review-resolve-confirm"));
    await waitFor(() => expect(card).toHaveAttribute("data-status", "resolved"));
    expect(resolved).toEqual([{ flagId: 7, note: "restored the flag file" }]);
    expect(within(card).getByTestId("review-flag-status")).toHaveTextContent("Resolved");
    expect(within(card).getByTestId("review-flag-note")).toHaveTextContent("restored the flag file");
    expect(within(card).queryByTestId("review-resolve")).not.toBeInTheDocument();
    expect(screen.getByTestId("review-notice")).toHaveTextContent("Flag #7 resolved");
    // The other flag is untouched, named by its id when the library lacks its name.
    expect(within(screen.getByTestId("review-flag-9")).getByRole("heading")).toHaveTextContent("x.other");
  });

  it("resolves without a note, and Escape cancels", async () => {
    const user = userEvent.setup();
    const { resolved } = setup([flag({})]);
    const card = await screen.findByTestId("review-flag-7");
    await user.click(within(card).getByTestId("review-resolve"));
    await user.keyboard("{Escape}");
    expect(within(card).queryByTestId("review-note-input")).not.toBeInTheDocument();
    await user.click(within(card).getByTestId("review-resolve"));
    await user.click(within(card).getByTestId("review-resolve-confirm"));
    await waitFor(() => expect(card).toHaveAttribute("data-status", "resolved"));
    expect(resolved).toEqual([{ flagId: 7, note: null }]);
  });

  it("says how flags are raised when there is none", async () => {
    setup([]);
    const empty = await screen.findByTestId("review-empty");
    expect(empty).toHaveTextContent("No open flag");
    expect(empty).toHaveTextContent("mission batch run");
  });

  it("names patterns in words", () => {
    expect(patternLabel("repeated_step_failure")).toBe("Repeated step failure");
  });
});
