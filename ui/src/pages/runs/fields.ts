// A JSON value as readable rows (the approval card's parameters): `key: value`, nested objects
// and lists indented under their key, strings as they are (never quoted or escaped). A string
// that holds a JSON object or list (a request body written as text) is shown as one.

export type FieldKind = "string" | "number" | "boolean" | "null" | "group" | "empty";

export interface FieldRow {
  /** Nesting level, 0 at the top. */
  depth: number;
  /** The key, a list position ("1", "2", …), or null for a bare value. */
  key: string | null;
  /** The text shown; null for a group whose members follow. */
  value: string | null;
  kind: FieldKind;
}

/** Rows beyond this are summarised (a huge preview stays readable and cheap). */
export const MAX_ROWS = 400;

function parsedJsonText(text: string): unknown {
  const t = text.trim();
  if (!((t.startsWith("{") && t.endsWith("}")) || (t.startsWith("[") && t.endsWith("]")))) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    return v !== null && typeof v === "object" ? v : undefined;
  } catch {
    return undefined;
  }
}

function leaf(v: unknown): { value: string; kind: FieldKind } | null {
  if (v === null || v === undefined) return { value: "null", kind: "null" };
  if (typeof v === "string") return parsedJsonText(v) === undefined ? { value: v, kind: "string" } : null;
  if (typeof v === "number") return { value: String(v), kind: "number" };
  if (typeof v === "boolean") return { value: v ? "true" : "false", kind: "boolean" };
  if (Array.isArray(v)) return v.length === 0 ? { value: "(empty list)", kind: "empty" } : null;
  if (typeof v === "object") return Object.keys(v).length === 0 ? { value: "(empty)", kind: "empty" } : null;
  return { value: String(v), kind: "string" };
}

function entries(v: unknown): [string, unknown][] {
  const inner = typeof v === "string" ? parsedJsonText(v) : v;
  if (Array.isArray(inner)) return inner.map((x, i) => [String(i + 1), x]);
  if (inner !== null && typeof inner === "object") return Object.entries(inner as Record<string, unknown>);
  return [];
}

/** The rows of `value`, depth first. */
export function fieldRows(value: unknown, limit = MAX_ROWS): FieldRow[] {
  const out: FieldRow[] = [];
  let truncated = 0;
  const walk = (key: string | null, v: unknown, depth: number) => {
    if (out.length >= limit) {
      truncated += 1;
      return;
    }
    const l = leaf(v);
    if (l) {
      out.push({ depth, key, ...l });
      return;
    }
    if (key !== null) out.push({ depth, key, value: null, kind: "group" });
    const childDepth = key === null ? depth : depth + 1;
    for (const [k, x] of entries(v)) walk(k, x, childDepth);
  };
  walk(null, value, 0);
  if (truncated > 0) out.push({ depth: 0, key: null, value: `… ${truncated} more values`, kind: "empty" });
  return out;
}
