import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, mockCommands } from "../ipc/testing";
import { ThemeProvider } from "../theme/ThemeProvider";
import { App } from "./App";
import { NAV_ITEMS } from "./nav";

afterEach(() => clearMocks());

function renderApp() {
  mockCommands({
    get_settings: () => ({ theme: "light", simulateLlm: false }),
    list_templates: () => [],
    list_active_missions: () => [],
    list_live_runs: () => [],
    pending_approvals: () => [],
    audit_rows: () => ({ rows: [], total: 0, offset: 0, all: 0, tools: [] }),
    review_flags: () => [],
  });
  return render(
    <ThemeProvider>
      <MemoryRouter initialEntries={["/history"]}>
        <App />
      </MemoryRouter>
    </ThemeProvider>,
  );
}

describe("the Audit and Review pages in the navigation", () => {
  it("sit after History, with shortcuts in the order of the sidebar", () => {
    expect(NAV_ITEMS.map((i) => `${i.id}:${i.shortcut}`)).toEqual([
      "library:1",
      "runs:2",
      "history:3",
      "audit:4",
      "review:5",
      "workers:6",
      "editor:7",
      "settings:8",
    ]);
  });

  it("open from the sidebar and with Ctrl+4 / Ctrl+5", async () => {
    const user = userEvent.setup();
    renderApp();
    await user.click(screen.getByTestId("nav-audit"));
    expect(screen.getByTestId("page-title")).toHaveTextContent("Audit");
    expect(await screen.findByTestId("audit-empty")).toBeInTheDocument();
    await user.keyboard("{Control>}5{/Control}");
    expect(screen.getByTestId("page-title")).toHaveTextContent("Review");
    expect(screen.getByTestId("nav-review")).toHaveClass("active");
    await user.keyboard("{Control>}4{/Control}");
    expect(screen.getByTestId("page-title")).toHaveTextContent("Audit");
  });

  it("open from the command palette", async () => {
    const user = userEvent.setup();
    renderApp();
    await user.keyboard("{Control>}k{/Control}");
    const palette = screen.getByRole("dialog", { name: "Command palette" });
    await user.type(within(palette).getByRole("combobox"), "audit");
    await waitFor(() => expect(within(palette).getAllByRole("option")[0]).toHaveTextContent("Audit"));
    await user.keyboard("{Enter}");
    await waitFor(() => expect(screen.getByTestId("page-title")).toHaveTextContent("Audit"));
  });
});
