// The typed state in the run view (DESIGN §14): each field's value and who set it, from the
// events: a step that succeeded carries what it wrote in `detail.state`; a person's edit while
// the run waited for an approval carries `detail.state_edit`. Pure, so it is tested alone.
import type { RunEventDto, StateFieldDto } from "../../ipc";

export interface StateValue {
  value: unknown;
  /** The step that wrote it, or `null` for a person's edit. */
  step: string | null;
  /** Who edited it (a person), when it was edited. */
  by: string | null;
}

export type StateValues = Record<string, StateValue>;

/** Folds one event into the values; the same object when the event sets nothing. */
export function applyStateEvent(values: StateValues, e: Pick<RunEventDto, "stepId" | "detail">): StateValues {
  const detail = e.detail;
  if (!detail) return values;
  const written = detail.state;
  if (written && typeof written === "object" && !Array.isArray(written) && e.stepId !== null) {
    const next = { ...values };
    for (const [name, value] of Object.entries(written as Record<string, unknown>)) {
      next[name] = { value, step: e.stepId, by: null };
    }
    return next;
  }
  const edit = detail.state_edit;
  if (edit && typeof edit === "object") {
    const r = edit as Record<string, unknown>;
    if (typeof r.field === "string") {
      return { ...values, [r.field]: { value: r.value, step: null, by: typeof r.by === "string" ? r.by : "someone" } };
    }
  }
  return values;
}

export interface StateRow {
  name: string;
  fieldType: string;
  required: boolean;
  value: unknown;
  /** "default", "step load", "edited by ui". */
  source: string;
}

/** One row per declared field: its current value (the default until something sets it). */
export function stateRows(fields: readonly StateFieldDto[], values: StateValues | undefined): StateRow[] {
  return fields.map((f) => {
    const v = values?.[f.name];
    const source = v ? (v.step !== null ? `step ${v.step}` : `edited by ${v.by ?? "someone"}`) : f.default !== null && f.default !== undefined ? "default" : "unset";
    return { name: f.name, fieldType: f.fieldType, required: f.required, value: v ? v.value : (f.default ?? null), source };
  });
}

/** How a value reads in the table. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** Reads what a person typed as a value of the field's type; an error says what is expected. */
export function parseStateInput(fieldType: string, text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const t = text.trim();
  switch (fieldType) {
    case "string":
      return { ok: true, value: text };
    case "int": {
      if (!/^-?\d+$/.test(t)) return { ok: false, error: "a whole number is expected (e.g. 42)" };
      return { ok: true, value: Number(t) };
    }
    case "float": {
      const n = Number(t);
      if (t === "" || !Number.isFinite(n)) return { ok: false, error: "a number is expected (e.g. 0.5)" };
      return { ok: true, value: n };
    }
    case "bool":
      if (t === "true" || t === "false") return { ok: true, value: t === "true" };
      return { ok: false, error: "true or false is expected" };
    default:
      try {
        return { ok: true, value: JSON.parse(t) as unknown };
      } catch {
        return { ok: false, error: `JSON is expected for a ${fieldType}` };
      }
  }
}

/** Spark's plan marks: [x] done, [!] failed, [~] running or waiting, [-] skipped, [ ] pending. */
export function planMark(status: string): string {
  switch (status) {
    case "success":
      return "[x]";
    case "failed":
      return "[!]";
    case "running":
    case "blocked":
      return "[~]";
    case "skipped":
    case "cancelled":
      return "[-]";
    default:
      return "[ ]";
  }
}
