import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockCommands } from "../../ipc/testing";
import type { PerimeterDto, TemplateSummary } from "../../ipc/library";
import { PerimeterModal } from "./PerimeterModal";
import { clampValue, BUDGET_FIELDS, type BudgetField } from "./perimeter";
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
afterEach(() => clearMocks());

const T = TEMPLATES[0] as TemplateSummary;

function setup(onDeploy?: (args: Record<string, unknown>) => unknown) {
  const previews: PerimeterDto[] = [];
  mockCommands({
    get_template: () => detailOf(T),
    get_caps: () => CAPS,
    approval_preview: (a) => {
      const p = a.perimeter as PerimeterDto;
      previews.push(p);
      // Strict: the step with side effects waits; threshold/auto: none in this fixture.
      return [
        { stepId: "fetch", needsApproval: false, reason: null },
        {
          stepId: "write",
          needsApproval: p.approvalMode === "strict",
          reason: p.approvalMode === "strict" ? "strict approval" : null,
        },
      ];
    },
    deploy_mission: onDeploy ?? ((a) => ({ id: "am-1", templateId: a.templateId, name: a.name, perimeter: a.perimeter })),
  });
  const saved: string[] = [];
  render(<PerimeterModal templateId={T.id} templateName={T.name} onClose={() => {}} onSaved={(id) => saved.push(id)} />);
  return { previews, saved };
}

describe("budget caps", () => {
  it("clamps to the global cap and keeps integers whole", () => {
    const steps = BUDGET_FIELDS.find((f) => f.key === "maxSteps") as BudgetField;
    expect(clampValue(steps, 500, CAPS)).toBe(20);
    expect(clampValue(steps, 3.7, CAPS)).toBe(3);
    expect(clampValue(steps, -4, CAPS)).toBe(0);
  });
});

describe("PerimeterModal", () => {
  it("stops the sliders and the fields at the global hard cap", async () => {
    setup();
    const slider = await screen.findByTestId("slider-maxCostUsd");
    expect(slider).toHaveAttribute("max", "2");
    fireEvent.change(slider, { target: { value: "9" } });
    expect(screen.getByTestId("input-maxCostUsd")).toHaveValue(2);
    fireEvent.change(screen.getByTestId("input-maxTokens"), { target: { value: "999999" } });
    expect(screen.getByTestId("input-maxTokens")).toHaveValue(10000);
    expect(screen.getByTestId("cap-maxTokens")).toHaveTextContent("cap 10000");
    // The template's default (0.5) starts below the cap.
    expect(screen.getByTestId("input-maxSteps")).toHaveValue(10);
  });

  it("highlights in the DAG the steps that will wait for approval", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { previews } = setup();
    await screen.findByTestId("approval-dag");
    fireEvent.click(screen.getByTestId("approval-strict"));
    await act(async () => {
      vi.advanceTimersByTime(300);
    });
    await waitFor(() => expect(screen.getByTestId("dag-node-write")).toHaveAttribute("data-highlight", "true"));
    expect(screen.getByTestId("dag-node-fetch")).not.toHaveAttribute("data-highlight");
    expect(screen.getByTestId("approval-count")).toHaveTextContent("1 step waits for approval");
    expect(previews.at(-1)?.approvalMode).toBe("strict");
    fireEvent.click(screen.getByTestId("approval-auto"));
    await act(async () => {
      vi.advanceTimersByTime(300);
    });
    await waitFor(() => expect(screen.getByTestId("dag-node-write")).not.toHaveAttribute("data-highlight"));
    vi.useRealTimers();
  });

  it("asks for a threshold in Threshold mode and saves the perimeter", async () => {
    let sent: Record<string, unknown> | null = null;
    const { saved } = setup((a) => {
      sent = a;
      return { id: "am-42", templateId: a.templateId, name: a.name, perimeter: a.perimeter };
    });
    await screen.findByTestId("approval-threshold");
    fireEvent.click(screen.getByTestId("approval-threshold"));
    fireEvent.change(screen.getByTestId("threshold-input"), { target: { value: "" } });
    expect(screen.getByTestId("perimeter-validation")).toHaveTextContent("Threshold mode needs an amount");
    expect(screen.getByTestId("perimeter-save")).toBeDisabled();
    fireEvent.change(screen.getByTestId("threshold-input"), { target: { value: "0.25" } });
    fireEvent.click(screen.getByTestId("perimeter-save"));
    await waitFor(() => expect(saved).toEqual(["am-42"]));
    const p = (sent as unknown as { perimeter: PerimeterDto }).perimeter;
    expect(p.approvalMode).toBe("threshold");
    expect(p.thresholdUsd).toBe(0.25);
    expect(p.budget.maxCostUsd).toBeLessThanOrEqual(2);
  });
});
