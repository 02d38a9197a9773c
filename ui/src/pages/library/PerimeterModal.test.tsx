import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
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
      // Strict: the step with side effects and the HTTP step (it calls out) wait; threshold/auto:
      // none in this fixture.
      const strict = p.approvalMode === "strict";
      return [
        { stepId: "fetch", needsApproval: strict, reason: strict ? "strict approval: `http` calls out (the network)" : null },
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
    expect(screen.getByTestId("dag-node-fetch")).toHaveAttribute("data-highlight", "true");
    expect(screen.getByTestId("approval-count")).toHaveTextContent("2 steps wait for approval");
    expect(previews.at(-1)?.approvalMode).toBe("strict");
    fireEvent.click(screen.getByTestId("approval-auto"));
    await act(async () => {
      vi.advanceTimersByTime(300);
    });
    await waitFor(() => expect(screen.getByTestId("dag-node-write")).not.toHaveAttribute("data-highlight"));
    expect(screen.getByTestId("dag-node-fetch")).not.toHaveAttribute("data-highlight");
    vi.useRealTimers();
  });

  it("says what Strict waits for: changes and calls out, HTTP requests and model calls included", async () => {
    setup();
    const strict = await screen.findByTestId("approval-strict");
    expect(strict).toHaveTextContent(/calls out/);
    expect(strict).toHaveTextContent(/HTTP requests \(GETs too\)/);
    expect(strict).toHaveTextContent(/model calls/);
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

function forecastOf(canComplete: boolean) {
  return {
    missionId: T.id,
    missionName: T.name,
    canComplete,
    holds: canComplete,
    caps: [
      {
        cap: "max_tokens",
        label: "tokens",
        worstCase: 338,
        worstCaseText: "338 tokens",
        limit: 300,
        limitText: "300 tokens",
        verdict: canComplete ? "holds" : "short",
        holds: canComplete,
        culprits: canComplete ? [] : ["summarise"],
        setBy: ["operator"],
        settingsField: null,
      },
    ],
    findings: canComplete
      ? []
      : [
          {
            severity: "blocking",
            cap: "max_tokens",
            stepId: "summarise",
            need: 338,
            used: 0,
            limit: 300,
            message: "cannot complete: `summarise` needs up to 338 tokens, cap 300",
            settingsField: null,
          },
        ],
    steps: [],
    unknownValues: [],
  };
}

function setupLaunch(canComplete: (p: PerimeterDto) => boolean) {
  const sent: Record<string, unknown>[] = [];
  const calls = mockCommands({
    get_template: () => detailOf(T),
    get_caps: () => CAPS,
    approval_preview: () => [],
    forecast_template: (a) => forecastOf(canComplete(a.perimeter as PerimeterDto)),
    deploy_mission: (a) => {
      sent.push(a);
      return { id: "am-7", templateId: a.templateId, name: a.name, perimeter: a.perimeter };
    },
    run_active_mission: () => ({ runId: "run-7" }),
  });
  const saved: [string, string | undefined][] = [];
  render(<PerimeterModal templateId={T.id} templateName={T.name} onClose={() => {}} onSaved={(id, run) => saved.push([id, run])} />);
  // Strict approval: a perimeter with nothing else to fix (threshold mode asks for an amount).
  void screen.findByTestId("approval-strict").then((b) => fireEvent.click(b));
  return { sent, saved, calls };
}

describe("the launch", () => {
  it("blocks Save while the forecast says the run cannot complete, unless the operator confirms", async () => {
    setupLaunch((p) => (p.budget.maxTokens ?? 0) >= 400);
    fireEvent.change(await screen.findByTestId("input-maxTokens"), { target: { value: "300" } });
    await waitFor(() => expect(screen.getByTestId("forecast-verdict")).toHaveTextContent("cannot complete"));
    expect(screen.getByTestId("forecast-blocking")).toHaveTextContent("`summarise` needs up to 338 tokens, cap 300");
    expect(screen.getByTestId("perimeter-save")).toBeDisabled();
    expect(screen.getByTestId("perimeter-save-run")).toBeDisabled();
    fireEvent.click(within(screen.getByTestId("forecast-accept")).getByRole("checkbox"));
    expect(screen.getByTestId("perimeter-save")).toBeEnabled();
    // Raising the cap clears the finding (and the confirmation, which was for the old caps).
    fireEvent.change(screen.getByTestId("input-maxTokens"), { target: { value: "500" } });
    await waitFor(() => expect(screen.getByTestId("forecast-verdict")).toHaveTextContent("every cap holds"));
    expect(screen.queryByTestId("forecast-accept")).toBeNull();
    expect(screen.getByTestId("perimeter-save")).toBeEnabled();
  });

  it("keeps a sub-cent cost cap exactly (never rounded up to a cent)", async () => {
    const { sent, saved } = setupLaunch(() => true);
    const cost = await screen.findByTestId("input-maxCostUsd");
    fireEvent.change(cost, { target: { value: "0.005" } });
    fireEvent.blur(cost);
    expect(cost).toHaveValue(0.005);
    await waitFor(() => expect(screen.getByTestId("perimeter-save")).toBeEnabled());
    fireEvent.click(screen.getByTestId("perimeter-save"));
    await waitFor(() => expect(saved).toEqual([["am-7", undefined]]));
    expect((sent[0]?.perimeter as PerimeterDto).budget.maxCostUsd).toBe(0.005);
  });

  it("saves and runs in one step, also with Ctrl+Enter", async () => {
    const { saved, calls } = setupLaunch(() => true);
    await waitFor(() => expect(screen.getByTestId("perimeter-save-run")).toBeEnabled());
    fireEvent.keyDown(screen.getByTestId("perimeter-modal"), { key: "Enter", ctrlKey: true });
    await waitFor(() => expect(saved).toEqual([["am-7", "run-7"]]));
    expect(calls).toContain("run_active_mission");
  });
});

describe("editing an active mission", () => {
  it("starts from its saved perimeter, name and inputs and saves them in place", async () => {
    const updates: Record<string, unknown>[] = [];
    mockCommands({
      get_template: () => detailOf(T),
      get_caps: () => CAPS,
      approval_preview: () => [],
      forecast_active: () => forecastOf(true),
      update_active_mission: (a) => {
        updates.push(a);
        return { id: a.id, templateId: T.id, name: a.name, perimeter: a.perimeter, inputs: a.inputs };
      },
    });
    const active = {
      id: "am-1234",
      templateId: T.id,
      name: "Nightly watch",
      perimeter: {
        budget: { maxCostUsd: 0.005, maxTokens: 300, maxLlmCalls: 2, maxSteps: 10, maxRuntimeMinutes: 5 },
        approvalMode: "strict" as const,
        thresholdUsd: null,
        requiredFor: [],
        sandbox: "full-access" as const,
        allowedTools: [],
        forbiddenTools: [],
        connectedSectors: ["Legal"],
      },
      inputs: { team: "ops" },
      logicHash: "h",
      createdAt: "2026-12-01T10:00:00Z",
      updatedAt: "2026-12-01T10:00:00Z",
    };
    const saved: string[] = [];
    render(<PerimeterModal templateId={T.id} templateName={active.name} active={active} onClose={() => {}} onSaved={(id) => saved.push(id)} />);
    expect(await screen.findByTestId("deploy-name")).toHaveValue("Nightly watch");
    expect(screen.getByTestId("perimeter-modal")).toHaveTextContent("Edit active mission");
    expect(screen.getByTestId("input-maxCostUsd")).toHaveValue(0.005);
    expect(screen.getByTestId("input-maxTokens")).toHaveValue(300);
    fireEvent.change(screen.getByTestId("input-maxTokens"), { target: { value: "400" } });
    fireEvent.change(screen.getByTestId("input-var-team"), { target: { value: "sales" } });
    await waitFor(() => expect(screen.getByTestId("perimeter-save")).toBeEnabled());
    fireEvent.click(screen.getByTestId("perimeter-save"));
    await waitFor(() => expect(saved).toEqual(["am-1234"]));
    const sent = updates[0] as { id: string; perimeter: PerimeterDto; inputs: Record<string, string> };
    expect(sent.id).toBe("am-1234");
    expect(sent.perimeter.budget.maxTokens).toBe(400);
    expect(sent.perimeter.budget.maxCostUsd).toBe(0.005);
    expect(sent.perimeter.connectedSectors).toEqual(["Legal"]);
    expect(sent.inputs).toEqual({ team: "sales" });
  });
});
