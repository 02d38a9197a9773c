import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, useLocation } from "react-router";
import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, mockCommands } from "../../ipc/testing";
import { ThemeProvider } from "../../theme/ThemeProvider";
import { CommandPalette } from "./CommandPalette";
import { fuzzyMatch } from "./fuzzy";

afterEach(() => clearMocks());

function Where() {
  const loc = useLocation();
  return <output data-testid="where">{`${loc.pathname}${loc.search}`}</output>;
}

function setup() {
  const started: string[] = [];
  mockCommands({
    get_settings: () => ({ theme: "light" }),
    set_theme: (a) => ({ theme: a.theme }),
    list_templates: () => [
      { id: "studio.hr.burnout-recruiter", name: "Burnout Recruiter", sector: "HR" },
      { id: "studio.finance.invoice-chaser", name: "Invoice Chaser", sector: "Finance" },
    ],
    list_active_missions: () => [{ id: "am-1", templateId: "studio.hr.burnout-recruiter", name: "Burnout watch" }],
    run_active_mission: (a) => {
      started.push(a.id as string);
      return { runId: "run-42" };
    },
  });
  render(
    <ThemeProvider>
      <MemoryRouter initialEntries={["/library"]}>
        <button type="button">outside</button>
        <CommandPalette />
        <Where />
      </MemoryRouter>
    </ThemeProvider>,
  );
  return { started };
}

describe("fuzzyMatch", () => {
  it("matches characters in order and ranks prefixes and word starts first", () => {
    expect(fuzzyMatch("bur rec", "Burnout Recruiter")?.positions).toEqual([0, 1, 2, 8, 9, 10]);
    expect(fuzzyMatch("qdb", "Quick Deploy Burnout Recruiter")?.positions).toEqual([0, 6, 13]);
    expect(fuzzyMatch("hist", "Shift Roster Gap Finder")).toBeNull();
    expect(fuzzyMatch("xyz", "Burnout Recruiter")).toBeNull();
    const prefix = fuzzyMatch("set", "Settings")?.score ?? 0;
    const inside = fuzzyMatch("set", "Reset caps")?.score ?? 0;
    expect(prefix).toBeGreaterThan(inside);
    expect(fuzzyMatch("br", "Burnout Recruiter")?.positions).toEqual([0, 8]);
    expect(fuzzyMatch("bu", "Burnout Recruiter")?.positions).toEqual([0, 1]);
    expect(fuzzyMatch("bre", "Burnout Recruiter")?.positions).toEqual([0, 8, 9]);
  });
});

describe("CommandPalette", () => {
  it("opens on Ctrl+K with focus in the search, filters, and Enter navigates", async () => {
    const user = userEvent.setup();
    setup();
    expect(screen.queryByRole("dialog")).toBeNull();
    await user.keyboard("{Control>}k{/Control}");
    const dialog = screen.getByRole("dialog", { name: "Command palette" });
    expect(dialog).toHaveAttribute("aria-modal", "true");
    const input = screen.getByRole("combobox");
    expect(input).toHaveFocus();
    expect(screen.getByRole("listbox")).toBeInTheDocument();
    expect(screen.getAllByRole("option").length).toBeGreaterThanOrEqual(5);

    await user.type(input, "hist");
    const options = screen.getAllByRole("option");
    expect(options[0]).toHaveTextContent("History");
    expect(options[0]).toHaveAttribute("aria-selected", "true");
    expect(input).toHaveAttribute("aria-activedescendant", options[0]?.id);
    await user.keyboard("{Enter}");
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.getByTestId("where")).toHaveTextContent("/history");
  });

  it("opens with Cmd+K too, keeps Tab inside, and Esc closes", async () => {
    const user = userEvent.setup();
    setup();
    await user.keyboard("{Meta>}k{/Meta}");
    expect(screen.getByRole("dialog")).toBeInTheDocument();
    await user.tab();
    expect(screen.getByRole("combobox")).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.getByTestId("where")).toHaveTextContent("/library");
  });

  it("moves with the arrows and says when nothing matches", async () => {
    const user = userEvent.setup();
    setup();
    await user.keyboard("{Control>}k{/Control}");
    const first = screen.getAllByRole("option")[0];
    expect(first).toHaveAttribute("aria-selected", "true");
    await user.keyboard("{ArrowDown}");
    expect(screen.getAllByRole("option")[1]).toHaveAttribute("aria-selected", "true");
    await user.keyboard("{ArrowUp}{ArrowUp}");
    const all = screen.getAllByRole("option");
    expect(all[all.length - 1]).toHaveAttribute("aria-selected", "true");
    await user.type(screen.getByRole("combobox"), "zzzz");
    expect(screen.queryAllByRole("option")).toHaveLength(0);
    expect(screen.getByText(/Nothing matches “zzzz”/)).toBeInTheDocument();
  });

  it("opens a template's detail and Quick Deploy in the Library by name", async () => {
    const user = userEvent.setup();
    setup();
    await user.keyboard("{Control>}k{/Control}");
    await user.type(screen.getByRole("combobox"), "burnout recr");
    await waitFor(() => expect(screen.getAllByRole("option")[0]).toHaveTextContent("Burnout Recruiter"));
    await user.keyboard("{Enter}");
    expect(screen.getByTestId("where")).toHaveTextContent("/library?t=studio.hr.burnout-recruiter");

    await user.keyboard("{Control>}k{/Control}");
    await user.type(screen.getByRole("combobox"), "quick deploy invoice");
    await waitFor(() => expect(screen.getAllByRole("option")[0]).toHaveTextContent("Quick Deploy Invoice Chaser"));
    await user.keyboard("{Enter}");
    expect(screen.getByTestId("where")).toHaveTextContent("/library?deploy=studio.finance.invoice-chaser");
  });

  it("runs an active mission and lands on its run view", async () => {
    const user = userEvent.setup();
    const { started } = setup();
    await user.keyboard("{Control>}k{/Control}");
    await user.type(screen.getByRole("combobox"), "run burnout");
    await waitFor(() => expect(screen.getAllByRole("option")[0]).toHaveTextContent("Run Burnout watch"));
    await user.keyboard("{Enter}");
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent("/runs/run-42"));
    expect(started).toEqual(["am-1"]);
  });

  it("toggles the theme", async () => {
    const user = userEvent.setup();
    setup();
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe("light"));
    await user.keyboard("{Control>}k{/Control}");
    await user.type(screen.getByRole("combobox"), "theme");
    expect(screen.getAllByRole("option")[0]).toHaveTextContent("Switch to the dark theme");
    await user.keyboard("{Enter}");
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe("dark"));
  });
});
