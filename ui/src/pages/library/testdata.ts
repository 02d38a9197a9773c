// Templates and perimeters for the library's unit tests.
import type { PerimeterDto, TemplateDetail, TemplateSummary } from "../../ipc/library";

export function tpl(id: string, name: string, sector: string, extra: Partial<TemplateSummary> = {}): TemplateSummary {
  return {
    id,
    name,
    sector,
    goal: `Goal of ${name}`,
    requiredDepts: ["ops"],
    risk: "low",
    riskLevel: "low",
    estRoi: 2,
    valueUsd: 1000,
    tags: [],
    logicHash: "h",
    path: `/lib/${id}.yaml`,
    source: "builtin",
    stats: null,
    badges: [],
    roi: 2,
    roiIsEstimate: true,
    needs: ["model", "simulated_network"],
    ...extra,
  };
}

export const TEMPLATES: TemplateSummary[] = [
  tpl("studio.hr.burnout-recruiter", "Burnout Recruiter", "HR", { tags: ["wellbeing"] }),
  tpl("studio.finance.cash-forecast", "Cash Forecast", "Finance", { risk: "high", riskLevel: "high" }),
  tpl("studio.finance.invoice-audit", "Invoice Audit", "Finance", {
    riskLevel: "medium",
    badges: ["top_performance"],
    stats: {
      runs: 12,
      successRate: 0.92,
      avgCostUsd: 0.04,
      avgProfitUsd: 50,
      measuredRoi: 4.2,
      p50DurationMs: 1200,
      p95DurationMs: 3000,
      derivedRisk: "medium",
      lastRunAt: null,
    },
    roi: 4.2,
    roiIsEstimate: false,
  }),
  tpl("studio.security.phish-triage", "Phishing Triage", "Security"),
];

export const EMPTY_PERIMETER: PerimeterDto = {
  budget: { maxCostUsd: null, maxTokens: null, maxLlmCalls: null, maxSteps: null, maxRuntimeMinutes: null },
  approvalMode: null,
  thresholdUsd: null,
  requiredFor: [],
  sandbox: null,
  allowedTools: [],
  forbiddenTools: [],
  connectedSectors: [],
};

export const CAPS: PerimeterDto = {
  ...EMPTY_PERIMETER,
  budget: { maxCostUsd: 2, maxTokens: 10000, maxLlmCalls: 5, maxSteps: 20, maxRuntimeMinutes: 30 },
};

export function detailOf(t: TemplateSummary): TemplateDetail {
  return {
    ...t,
    description: null,
    objective: "**Find** the callers",
    doneDefinition: "Every caller listed",
    context: "<script>alert(1)</script> context",
    constraints: "- read only",
    steps: [
      { id: "fetch", name: "Fetch", description: null, stepType: "http", dependsOn: [] },
      { id: "write", name: "Write report", description: null, stepType: "create_file", dependsOn: ["fetch"] },
    ],
    levels: [["fetch"], ["write"]],
    perimeter: { ...EMPTY_PERIMETER, budget: { ...EMPTY_PERIMETER.budget, maxCostUsd: 0.5, maxSteps: 10 } },
    outputs: ["report.md"],
  };
}

const SECTORS = ["Finance", "HR", "Security", "Legal", "Sales"];

/** `n` templates named "Template 001"… across five sectors, for the windowed list. */
export function manyTemplates(n: number): TemplateSummary[] {
  return Array.from({ length: n }, (_, i) => {
    const num = String(i + 1).padStart(3, "0");
    const sector = SECTORS[i % SECTORS.length] ?? "Finance";
    return tpl(`studio.test.t${num}`, `Template ${num}`, sector, { tags: [`tag${num}`] });
  });
}
