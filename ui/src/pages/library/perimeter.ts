// The configurator's model: budget fields, their limits, clamping and validation (pure).
import type { ApprovalMode, Budget, PerimeterDto, SandboxMode } from "../../ipc/library";

export type BudgetKey = keyof Budget & string;

export interface BudgetField {
  key: BudgetKey;
  label: string;
  unit: string;
  step: number;
  /** Slider range when no global cap is set. */
  fallbackMax: number;
  integer: boolean;
}

export const BUDGET_FIELDS: BudgetField[] = [
  { key: "maxCostUsd", label: "Cost", unit: "USD", step: 0.01, fallbackMax: 50, integer: false },
  { key: "maxTokens", label: "Tokens", unit: "tokens", step: 100, fallbackMax: 200_000, integer: true },
  { key: "maxLlmCalls", label: "LLM calls", unit: "calls", step: 1, fallbackMax: 100, integer: true },
  { key: "maxSteps", label: "Steps", unit: "attempts", step: 1, fallbackMax: 200, integer: true },
  { key: "maxRuntimeMinutes", label: "Runtime", unit: "min", step: 1, fallbackMax: 240, integer: false },
];

export interface PerimeterForm {
  name: string;
  budget: Record<BudgetKey, number>;
  approvalMode: ApprovalMode;
  thresholdUsd: number | null;
  sandbox: SandboxMode;
  allowedTools: string[];
  forbiddenTools: string[];
  connectedSectors: string[];
}

/** The largest value a field may take: the global hard cap, or the field's default range. */
export function maxOf(field: BudgetField, caps: PerimeterDto | null): number {
  const cap = caps?.budget[field.key];
  return cap === null || cap === undefined ? field.fallbackMax : cap;
}

export function hasCap(field: BudgetField, caps: PerimeterDto | null): boolean {
  const cap = caps?.budget[field.key];
  return cap !== null && cap !== undefined;
}

/** Keeps a typed or dragged value inside [0, cap]; integers stay whole. Money keeps the
 * precision it needs (to the micro-dollar, like the engine's ledger) and is never rounded up:
 * a cap of $0.005 stays $0.005, not $0.01. */
export function clampValue(field: BudgetField, value: number, caps: PerimeterDto | null): number {
  if (!Number.isFinite(value)) return 0;
  const max = maxOf(field, caps);
  let v = Math.min(Math.max(0, value), max);
  if (field.integer) v = Math.floor(v);
  else v = Math.floor(v * 1e6 + 1e-6) / 1e6;
  return Math.min(v, max);
}

/** A cap as typed: money with its cents and any sub-cent digits it has (`0.50`, `0.005`). */
export function formatCap(field: BudgetField, v: number): string {
  if (field.key !== "maxCostUsd") return String(v);
  const exact = Number(v.toFixed(6)).toString();
  const decimals = exact.split(".")[1]?.length ?? 0;
  return decimals <= 2 ? v.toFixed(2) : exact;
}

/** The form's starting point: the template's defaults, clamped to the caps. */
export function initialForm(name: string, template: PerimeterDto | null, caps: PerimeterDto | null): PerimeterForm {
  const budget = {} as Record<BudgetKey, number>;
  for (const f of BUDGET_FIELDS) {
    const fromTemplate = template?.budget[f.key];
    const start = fromTemplate ?? Math.min(maxOf(f, caps), f.fallbackMax / 10);
    budget[f.key] = clampValue(f, start, caps);
  }
  return {
    name,
    budget,
    approvalMode: template?.approvalMode ?? caps?.approvalMode ?? "threshold",
    thresholdUsd: template?.thresholdUsd ?? caps?.thresholdUsd ?? null,
    sandbox: caps?.sandbox === "read-only" ? "read-only" : (template?.sandbox ?? "full-access"),
    allowedTools: [...(template?.allowedTools ?? [])],
    forbiddenTools: [...(template?.forbiddenTools ?? [])],
    connectedSectors: [],
  };
}

export function toPerimeter(form: PerimeterForm): PerimeterDto {
  return {
    budget: { ...form.budget },
    approvalMode: form.approvalMode,
    thresholdUsd: form.approvalMode === "threshold" ? form.thresholdUsd : null,
    requiredFor: [],
    sandbox: form.sandbox,
    allowedTools: form.allowedTools,
    forbiddenTools: form.forbiddenTools,
    connectedSectors: form.connectedSectors,
  };
}

const STRICTNESS: Record<ApprovalMode, number> = { auto: 0, threshold: 1, strict: 2 };

export interface Problem {
  field: string;
  message: string;
  /** Errors block saving; warnings do not. */
  level: "error" | "warning";
}

/** Live validation: what blocks saving and what deserves a second look. */
export function validate(form: PerimeterForm, caps: PerimeterDto | null): Problem[] {
  const out: Problem[] = [];
  if (!form.name.trim()) out.push({ field: "name", level: "error", message: "Give the active mission a name." });
  for (const f of BUDGET_FIELDS) {
    const v = form.budget[f.key];
    if (v > maxOf(f, caps) && hasCap(f, caps))
      out.push({ field: f.key, level: "error", message: `${f.label} is above the global hard cap.` });
    if (v <= 0)
      out.push({
        field: f.key,
        level: f.key === "maxRuntimeMinutes" ? "error" : "warning",
        message:
          f.key === "maxRuntimeMinutes"
            ? "Runtime must be more than 0 minutes."
            : `${f.label} is 0: any step that uses it will stop the run.`,
      });
  }
  if (form.approvalMode === "threshold") {
    if (form.thresholdUsd === null || !Number.isFinite(form.thresholdUsd) || form.thresholdUsd < 0)
      out.push({ field: "thresholdUsd", level: "error", message: "Threshold mode needs an amount in USD (0 or more)." });
    else if (caps?.thresholdUsd != null && form.thresholdUsd > caps.thresholdUsd)
      out.push({ field: "thresholdUsd", level: "error", message: `The threshold is above the global cap of $${caps.thresholdUsd}.` });
  }
  if (caps?.approvalMode && STRICTNESS[form.approvalMode] < STRICTNESS[caps.approvalMode])
    out.push({
      field: "approvalMode",
      level: "error",
      message: `The global caps require at least ${caps.approvalMode} approval.`,
    });
  if (caps?.sandbox === "read-only" && form.sandbox === "full-access")
    out.push({ field: "sandbox", level: "error", message: "The global caps allow the read-only sandbox only." });
  const both = form.allowedTools.filter((t) => form.forbiddenTools.includes(t));
  if (both.length > 0)
    out.push({
      field: "tools",
      level: "warning",
      message: `${both.join(", ")} ${both.length === 1 ? "is" : "are"} both allowed and forbidden: forbidden wins.`,
    });
  if (form.approvalMode === "auto" && form.sandbox === "full-access")
    out.push({
      field: "approvalMode",
      level: "warning",
      message: "Auto approval with full access: steps with side effects run without asking.",
    });
  return out;
}
