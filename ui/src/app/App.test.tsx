import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { mockCommands } from "../ipc/testing";
import { ThemeProvider } from "../theme/ThemeProvider";
import { App } from "./App";

function renderApp(path = "/") {
  return render(
    <ThemeProvider>
      <MemoryRouter initialEntries={[path]}>
        <App />
      </MemoryRouter>
    </ThemeProvider>,
  );
}

describe("App frame", () => {
  it("opens on the Library and navigates to every page from the sidebar", async () => {
    const user = userEvent.setup();
    renderApp();
    expect(screen.getByTestId("page-title")).toHaveTextContent("Library");
    for (const [id, title] of [
      ["runs", "Runs"],
      ["history", "History"],
      ["settings", "Settings"],
      ["library", "Library"],
    ] as const) {
      await user.click(screen.getByTestId(`nav-${id}`));
      expect(screen.getByTestId("page-title")).toHaveTextContent(title);
      expect(screen.getByTestId(`nav-${id}`)).toHaveClass("active");
    }
  });

  it("opens pages with Ctrl+digit shortcuts", async () => {
    const user = userEvent.setup();
    renderApp();
    await user.keyboard("{Control>}3{/Control}");
    expect(screen.getByTestId("page-title")).toHaveTextContent("History");
  });

  it("switches the theme from Settings and applies it to the document", async () => {
    const user = userEvent.setup();
    renderApp("/settings");
    await user.click(screen.getByTestId("theme-dark"));
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(screen.getByTestId("theme-dark")).toHaveAttribute("aria-checked", "true");
    await user.click(screen.getByTestId("theme-light"));
    expect(document.documentElement.dataset.theme).toBe("light");
  });

  it("saves the chosen theme through the IPC when running in the app", async () => {
    const saved: unknown[] = [];
    mockCommands({
      get_settings: () => ({ theme: "system" }),
      set_theme: (args) => {
        saved.push(args.theme);
        return { theme: args.theme };
      },
      diagnostics: () => ({}),
    });
    const user = userEvent.setup();
    renderApp("/settings");
    await user.click(screen.getByTestId("theme-dark"));
    expect(saved).toEqual(["dark"]);
  });
});
