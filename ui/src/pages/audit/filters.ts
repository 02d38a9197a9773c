// The Audit page's filters, kept in the URL (`/audit?run=…&decision=denied`) so a link can open
// the decisions of one run, and turned into the `audit_rows` query.
import { dayEnd, dayStart } from "../../lib/dates";
import type { AuditDecisionFilter, AuditQuery } from "../../ipc/oversight";

export const PAGE_SIZE = 100;

export interface AuditFilters {
  run: string;
  decision: AuditDecisionFilter | "";
  tool: string;
  /** Local calendar days, `YYYY-MM-DD`, inclusive. */
  from: string;
  to: string;
  page: number;
}

export const DEFAULT_AUDIT_FILTERS: AuditFilters = { run: "", decision: "", tool: "", from: "", to: "", page: 0 };

export const DECISIONS: { value: AuditDecisionFilter | ""; label: string; hint: string }[] = [
  { value: "", label: "All", hint: "Every decision" },
  { value: "allowed", label: "Allowed", hint: "Every check passed" },
  { value: "refused", label: "Refused", hint: "A check of the perimeter refused the step (tool, sector, sandbox, budget)" },
  { value: "denied", label: "Denied", hint: "An approver denied the step, or nobody could be asked" },
  { value: "approval", label: "Needed approval", hint: "Decisions an approval rule applied to: approved or denied" },
];

const DECISION_VALUES = new Set<string>(["allowed", "refused", "denied", "approval"]);
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function filtersFromParams(params: URLSearchParams): AuditFilters {
  const decision = params.get("decision") ?? "";
  const page = Number(params.get("page") ?? "1");
  const day = (key: string) => {
    const v = params.get(key) ?? "";
    return DAY.test(v) ? v : "";
  };
  return {
    run: params.get("run") ?? "",
    decision: DECISION_VALUES.has(decision) ? (decision as AuditDecisionFilter) : "",
    tool: params.get("tool") ?? "",
    from: day("from"),
    to: day("to"),
    page: Number.isInteger(page) && page > 1 ? page - 1 : 0,
  };
}

export function filtersToParams(f: AuditFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.run.trim()) p.set("run", f.run.trim());
  if (f.decision) p.set("decision", f.decision);
  if (f.tool) p.set("tool", f.tool);
  if (f.from) p.set("from", f.from);
  if (f.to) p.set("to", f.to);
  if (f.page > 0) p.set("page", String(f.page + 1));
  return p;
}

/** How many filters are set (the page number is not one). */
export function activeFilterCount(f: AuditFilters): number {
  return [f.run.trim(), f.decision, f.tool, f.from || f.to].filter(Boolean).length;
}

export function toAuditQuery(f: AuditFilters): AuditQuery {
  const q: AuditQuery = { offset: f.page * PAGE_SIZE, limit: PAGE_SIZE };
  if (f.run.trim()) q.runId = f.run.trim();
  if (f.decision) q.decision = f.decision;
  if (f.tool) q.tool = f.tool;
  const after = f.from ? dayStart(f.from) : undefined;
  const before = f.to ? dayEnd(f.to) : undefined;
  if (after) q.after = after;
  if (before) q.before = before;
  return q;
}

/** "1–100 of 2,345" for the page's place in the matching rows. */
export function pageRange(offset: number, shown: number, total: number): string {
  const n = (v: number) => v.toLocaleString();
  if (total === 0) return "0 of 0";
  return `${n(offset + 1)}–${n(offset + shown)} of ${n(total)}`;
}

/** The words of a decision, for people. */
export function decisionLabel(decision: string): string {
  return decision === "allowed" ? "Allowed" : decision === "refused" ? "Refused" : decision === "denied" ? "Denied" : decision;
}
