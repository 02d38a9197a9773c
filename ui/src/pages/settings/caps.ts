// The global hard caps form: text fields as typed, validation with messages, and the DTO.
import type { ApprovalMode, Budget, PerimeterDto, SandboxMode } from "../../ipc/library";

export type BudgetKey = keyof Budget;

export interface CapField {
  key: BudgetKey;
  label: string;
  unit: string;
  hint: string;
  integer: boolean;
  /** The smallest value a cap may hold (0 tokens, calls or steps would stop every run). */
  min: number;
  placeholder: string;
}

export const CAP_FIELDS: CapField[] = [
  { key: "maxCostUsd", label: "Cost", unit: "USD", hint: "LLM and paid-tool spend per run", integer: false, min: 0, placeholder: "e.g. 5.00" },
  { key: "maxTokens", label: "Tokens", unit: "tokens", hint: "Prompt and completion tokens per run", integer: true, min: 1, placeholder: "e.g. 200000" },
  { key: "maxLlmCalls", label: "LLM calls", unit: "calls", hint: "Model requests per run", integer: true, min: 1, placeholder: "e.g. 50" },
  { key: "maxSteps", label: "Steps", unit: "steps", hint: "Steps per run, retries included", integer: true, min: 1, placeholder: "e.g. 100" },
  { key: "maxRuntimeMinutes", label: "Runtime", unit: "min", hint: "Wall-clock time per run", integer: false, min: 0, placeholder: "e.g. 60" },
];

export interface CapsForm {
  budget: Record<BudgetKey, string>;
  approvalMode: ApprovalMode | "";
  thresholdUsd: string;
  sandbox: SandboxMode | "";
  allowedTools: string;
  forbiddenTools: string;
  requiredFor: string;
  connectedSectors: string;
}

export type CapsErrors = Partial<Record<BudgetKey | "thresholdUsd" | "tools", string>>;

const numText = (v: number | null) => (v === null || v === undefined ? "" : String(v));
const listText = (v: string[]) => v.join(", ");

export function formFromDto(dto: PerimeterDto): CapsForm {
  return {
    budget: {
      maxCostUsd: numText(dto.budget.maxCostUsd),
      maxTokens: numText(dto.budget.maxTokens),
      maxLlmCalls: numText(dto.budget.maxLlmCalls),
      maxSteps: numText(dto.budget.maxSteps),
      maxRuntimeMinutes: numText(dto.budget.maxRuntimeMinutes),
    },
    approvalMode: dto.approvalMode ?? "",
    thresholdUsd: numText(dto.thresholdUsd),
    sandbox: dto.sandbox ?? "",
    allowedTools: listText(dto.allowedTools),
    forbiddenTools: listText(dto.forbiddenTools),
    requiredFor: listText(dto.requiredFor),
    connectedSectors: listText(dto.connectedSectors),
  };
}

/** "a, b  c" → ["a", "b", "c"], without duplicates. */
export function parseList(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

function parseNumber(text: string): number | null {
  const t = text.trim();
  return t === "" ? null : Number(t);
}

function checkCap(field: CapField, text: string): string | undefined {
  const t = text.trim();
  if (t === "") return undefined;
  const n = Number(t);
  if (!Number.isFinite(n)) return `${field.label}: enter a number, or leave it empty for no cap.`;
  if (n < 0) return `${field.label} cannot be negative.`;
  if (field.integer && !Number.isInteger(n)) return `${field.label} is a whole number.`;
  if (field.key === "maxRuntimeMinutes" && n <= 0) return "Runtime must be more than 0 minutes; leave it empty for no cap.";
  if (n < field.min) return `A cap of 0 ${field.unit} would stop every run; leave it empty for no cap.`;
  return undefined;
}

export function validateCaps(form: CapsForm): CapsErrors {
  const errors: CapsErrors = {};
  for (const f of CAP_FIELDS) {
    const e = checkCap(f, form.budget[f.key]);
    if (e) errors[f.key] = e;
  }
  const t = form.thresholdUsd.trim();
  if (form.approvalMode === "threshold" && t === "") {
    errors.thresholdUsd = "Threshold mode needs an amount in USD above which a step waits for approval.";
  } else if (t !== "" && (!Number.isFinite(Number(t)) || Number(t) < 0)) {
    errors.thresholdUsd = "The threshold is an amount in USD, 0 or more.";
  }
  const allowed = parseList(form.allowedTools);
  const both = parseList(form.forbiddenTools).filter((tool) => allowed.includes(tool));
  if (both.length > 0) errors.tools = `${both.map((b) => `“${b}”`).join(", ")} cannot be both allowed and forbidden.`;
  return errors;
}

export function dtoFromForm(form: CapsForm): PerimeterDto {
  const b = form.budget;
  return {
    budget: {
      maxCostUsd: parseNumber(b.maxCostUsd),
      maxTokens: parseNumber(b.maxTokens),
      maxLlmCalls: parseNumber(b.maxLlmCalls),
      maxSteps: parseNumber(b.maxSteps),
      maxRuntimeMinutes: parseNumber(b.maxRuntimeMinutes),
    },
    approvalMode: form.approvalMode === "" ? null : form.approvalMode,
    thresholdUsd: form.approvalMode === "threshold" ? parseNumber(form.thresholdUsd) : null,
    requiredFor: parseList(form.requiredFor),
    sandbox: form.sandbox === "" ? null : form.sandbox,
    allowedTools: parseList(form.allowedTools),
    forbiddenTools: parseList(form.forbiddenTools),
    connectedSectors: parseList(form.connectedSectors),
  };
}

export function sameForm(a: CapsForm, b: CapsForm): boolean {
  return JSON.stringify(dtoFromForm(a)) === JSON.stringify(dtoFromForm(b));
}
