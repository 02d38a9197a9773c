import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TemplateSummary } from "../../ipc/library";
import { clearMocks, mockCommands } from "../../ipc/testing";
import { LibraryPage } from "../../pages/library/LibraryPage";
import { CAPS, detailOf, TEMPLATES, tpl } from "../../pages/library/testdata";
import { FirstRunTour, TOUR_KEY } from "./FirstRunTour";
import { PERIMETER_TEXT, PerimeterExplanation, roiText } from "./glossary";
import { InfoTip } from "./InfoTip";

beforeAll(() => {
  if (!("ResizeObserver" in globalThis)) {
    (globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver = class {
      observe() {}
      unobserve() {}
      disconnect() {}
    };
  }
});

beforeEach(() => window.localStorage.clear());
afterEach(() => clearMocks());

describe("the ⓘ explanations", () => {
  it("are described by their text, open on focus, close on Escape, and keep a card closed", async () => {
    const user = userEvent.setup();
    let opened = 0;
    render(
      <div role="button" tabIndex={0} onClick={() => (opened += 1)}>
        Card
        <InfoTip term="the perimeter" testId="tip">
          <PerimeterExplanation />
        </InfoTip>
      </div>,
    );
    const button = screen.getByTestId("tip");
    const text = screen.getByTestId("tip-text");
    expect(button).toHaveAccessibleName("What is the perimeter?");
    expect(button).toHaveAttribute("aria-describedby", text.id);
    expect(text).toHaveAttribute("role", "tooltip");
    expect(text).toHaveTextContent("budget caps: cost, tokens, model calls, steps and runtime");
    expect(text).toHaveTextContent("approval mode");
    expect(text).toHaveTextContent("sandbox");
    expect(text).toHaveTextContent("allowed and forbidden tools");
    expect(button).toHaveAttribute("aria-expanded", "false");

    await user.tab();
    await user.tab();
    expect(button).toHaveFocus();
    expect(button).toHaveAttribute("aria-expanded", "true");
    expect(text).toHaveClass("is-open");
    await user.keyboard("{Escape}");
    expect(text).not.toHaveClass("is-open");

    await user.click(button);
    expect(text).toHaveClass("is-open");
    expect(opened).toBe(0);
  });

  it("say what Est. ROI means and that it stays an estimate until runs measure it", () => {
    const est = roiText({ roi: 8, roiIsEstimate: true, valueUsd: 40 });
    expect(est).toContain("Est. ROI 8.0×");
    expect(est).toContain("worth $40");
    expect(est).toContain("marked (est.) until runs measure it");
    expect(roiText({ roi: 12.3, roiIsEstimate: false, valueUsd: null })).toMatch(/^ROI 12×: measured from this template's runs/);
    expect(PERIMETER_TEXT).toMatch(/what a run may spend and touch/);
  });
});

describe("the first-run tour", () => {
  it("shows four steps until dismissed, then stays away", async () => {
    const user = userEvent.setup();
    const { unmount } = render(<FirstRunTour show />);
    const tour = screen.getByTestId("first-run-tour");
    const steps = [...tour.querySelectorAll(".tour-step")].map((li) => li.textContent);
    expect(steps).toHaveLength(4);
    expect(steps[0]).toContain("Pick a template");
    expect(steps[1]).toContain("Set the perimeter");
    expect(steps[2]).toContain("Run it");
    expect(steps[3]).toContain("Inspect the evidence");
    await user.click(screen.getByTestId("first-run-tour-dismiss"));
    expect(screen.queryByTestId("first-run-tour")).toBeNull();
    expect(window.localStorage.getItem(TOUR_KEY)).toBe("1");
    unmount();
    render(<FirstRunTour show />);
    expect(screen.queryByTestId("first-run-tour")).toBeNull();
  });

  it("is not shown when the page says the operator is not new", () => {
    render(<FirstRunTour show={false} />);
    expect(screen.queryByTestId("first-run-tour")).toBeNull();
  });
});

function renderLibrary(list: TemplateSummary[]) {
  mockCommands({
    list_templates: () => list,
    list_active_missions: () => [],
    get_template: (a) => detailOf(list.find((t) => t.id === a.id) ?? (list[0] as TemplateSummary)),
    template_runs: () => [],
    get_caps: () => CAPS,
    approval_preview: () => [],
    template_problems: () => [],
  });
  return render(
    <MemoryRouter initialEntries={["/library"]}>
      <LibraryPage />
    </MemoryRouter>,
  );
}

describe("the Library for a first-time operator", () => {
  const fresh = [tpl("studio.legal.nda-triage", "NDA Triage", "Legal", { roi: 8, estRoi: 8, valueUsd: 40 })];

  it("shows the tour and explains Est. ROI on the card", async () => {
    renderLibrary(fresh);
    expect(await screen.findByTestId("first-run-tour")).toBeInTheDocument();
    const term = screen.getByTestId("card-roi-term");
    expect(term).toHaveTextContent("Est. ROI");
    expect(term.getAttribute("title")).toContain("Est. ROI 8.0×");
  });

  it("explains the ROI in the detail panel with a keyboard-reachable ⓘ", async () => {
    renderLibrary(fresh);
    fireEvent.click(await screen.findByTestId("template-card-studio.legal.nda-triage"));
    const info = await screen.findByTestId("roi-info");
    expect(info.tagName).toBe("BUTTON");
    expect(screen.getByTestId("roi-info-text")).toHaveTextContent("It stays marked (est.) until runs measure it");
  });

  it("keeps quiet once templates have runs", async () => {
    renderLibrary(TEMPLATES);
    await screen.findByTestId("template-list");
    expect(screen.queryByTestId("first-run-tour")).toBeNull();
  });
});
