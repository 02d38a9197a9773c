// The Editor page's pure logic: the debounce of checks, Rust's diagnostics placed in the text,
// the plan of "Generate from a plan", and the text of a template's copy.
import type { DiagnosticItem } from "../../gen/DiagnosticItem";

/** How long typing must pause before the text is checked. */
export const CHECK_DELAY_MS = 250;

/**
 * Calls `fn` with the latest value once `delayMs` have passed without a new one. `flush` runs a
 * pending call now; `cancel` drops it.
 */
export function debounce<T>(fn: (value: T) => void, delayMs: number) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let pending: { value: T } | null = null;
  const run = () => {
    timer = null;
    const p = pending;
    pending = null;
    if (p) fn(p.value);
  };
  return {
    push(value: T) {
      pending = { value };
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(run, delayMs);
    },
    flush() {
      if (timer !== null) clearTimeout(timer);
      run();
    },
    cancel() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      pending = null;
    },
  };
}

/** A diagnostic placed in the text: character offsets, as CodeMirror's lint wants them. */
export interface PlacedDiagnostic {
  from: number;
  to: number;
  severity: "error" | "warning";
  message: string;
  source: string;
}

const WORD = /[A-Za-z0-9_.\-$]/;

/**
 * Places each diagnostic at its line and column (both from 1) in `text`: from the column to the
 * end of the word there (at least one character; the line's end when the column is past it). A
 * diagnostic without a place, or past the end, marks the first line.
 */
export function placeDiagnostics(text: string, items: readonly DiagnosticItem[]): PlacedDiagnostic[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  const lineEnd = (l: number) => (l + 1 < starts.length ? (starts[l + 1] ?? 0) - 1 : text.length);
  return items.map((d) => {
    const message = d.help ? `${d.message}\n${d.help}` : d.message;
    const base = { severity: d.severity, message, source: d.code };
    let line = (d.line ?? 1) - 1;
    if (line < 0 || line >= starts.length) line = 0;
    const start = starts[line] ?? 0;
    const end = lineEnd(line);
    if (d.line === null) return { ...base, from: start, to: end };
    let from = Math.min(start + Math.max(0, (d.column ?? 1) - 1), end);
    let to = from;
    while (to < end && WORD.test(text.charAt(to))) to++;
    if (to === from) {
      if (from < end) to = from + 1;
      else {
        // At the line's end: mark the line's last character, or an empty line as it is.
        from = Math.max(start, end - 1);
        to = end;
      }
    }
    return { ...base, from, to };
  });
}

/**
 * The plan of "Generate from a plan": `,` chains groups, `|` runs the steps of a group in
 * parallel. The Rust side generates the mission; this gives the form its preview and message.
 */
export function parsePlan(plan: string): { groups: string[][] } | { error: string } {
  if (!plan.trim()) return { error: "Name the steps, e.g. fetch,parse|score,report" };
  const seen = new Set<string>();
  const groups: string[][] = [];
  const parts = plan.split(",");
  for (let g = 0; g < parts.length; g++) {
    const steps: string[] = [];
    for (const raw of (parts[g] ?? "").split("|")) {
      const id = raw
        .trim()
        .toLowerCase()
        .replace(/[^a-z0-9_-]/g, "_");
      if (!id) return { error: `Group ${g + 1} has an empty step` };
      if (seen.has(id)) return { error: `The step ${id} is named twice` };
      seen.add(id);
      steps.push(id);
    }
    groups.push(steps);
  }
  return { groups };
}

/** A one-line description of a plan: "a → b ∥ c → d". */
export function planSummary(groups: string[][]): string {
  return groups.map((g) => g.join(" ∥ ")).join(" → ");
}

/**
 * A template's text made a copy: its top-level `id` gets `-copy` and its `name` " (copy)", so
 * saving it adds a template instead of shadowing the original. A text without an `id` gets one
 * after its name.
 */
export function copyOfTemplate(text: string, id: string): string {
  const newId = `${id}-copy`;
  let sawId = false;
  let out = text.replace(/^id:[ \t]*(.*)$/m, () => {
    sawId = true;
    return `id: ${newId}`;
  });
  out = out.replace(/^name:[ \t]*(["']?)(.*?)\1[ \t]*$/m, (_m, _q: string, name: string) => {
    const copy = `${name} (copy)`;
    const line = `name: ${JSON.stringify(copy)}`;
    return sawId ? line : `${line}\nid: ${newId}`;
  });
  return out;
}

/** The file name of a path, either separator. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** A mission file the editor opens. */
export function isMissionFile(path: string): boolean {
  return /\.(ya?ml|json)$/i.test(path);
}
