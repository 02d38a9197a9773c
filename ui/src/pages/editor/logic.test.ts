import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { DiagnosticItem } from "../../gen/DiagnosticItem";
import { type PlacedDiagnostic, baseName, copyOfTemplate, debounce, isMissionFile, parsePlan, placeDiagnostics, planSummary } from "./logic";

function item(line: number | null, column: number | null, extra: Partial<DiagnosticItem> = {}): DiagnosticItem {
  return { severity: "error", code: "unknown_dependency", message: "m", file: "mission.yaml", line, column, field: "", help: null, ...extra };
}

describe("debounce", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("calls once with the latest value after the pause", () => {
    const fn = vi.fn();
    const d = debounce(fn, 250);
    d.push("a");
    vi.advanceTimersByTime(200);
    d.push("ab");
    vi.advanceTimersByTime(200);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(50);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith("ab");
  });

  it("flushes and cancels", () => {
    const fn = vi.fn();
    const d = debounce(fn, 250);
    d.push(1);
    d.flush();
    expect(fn).toHaveBeenCalledWith(1);
    d.push(2);
    d.cancel();
    vi.advanceTimersByTime(500);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe("placeDiagnostics", () => {
  const text = "name: x\nsteps:\n  - id: b\n    depends_on: [colect]\n";

  it("marks the word at the line and column", () => {
    const [d] = placeDiagnostics(text, [item(4, 18, { help: "did you mean `collect`?" })]) as [PlacedDiagnostic];
    expect(text.slice(d.from, d.to)).toBe("colect");
    expect(d.message).toContain("did you mean");
    expect(d.severity).toBe("error");
    expect(d.source).toBe("unknown_dependency");
  });

  it("marks one character on punctuation, the last one past the end of the line", () => {
    const [a, b] = placeDiagnostics(text, [item(4, 17), item(1, 40)]) as [PlacedDiagnostic, PlacedDiagnostic];
    expect(text.slice(a.from, a.to)).toBe("[");
    expect(b.to).toBe(7);
    expect(b.from).toBe(6);
  });

  it("puts a diagnostic without a place, or out of the text, on the first line", () => {
    const [a, b] = placeDiagnostics(text, [item(null, null), item(99, 1)]) as [PlacedDiagnostic, PlacedDiagnostic];
    expect([a.from, a.to]).toEqual([0, 7]);
    expect(b.from).toBe(0);
    expect(placeDiagnostics("", [item(1, 1)])[0]).toMatchObject({ from: 0, to: 0 });
  });
});

describe("parsePlan", () => {
  it("chains groups and runs bars in parallel", () => {
    const p = parsePlan("a, b|c ,d");
    expect(p).toEqual({ groups: [["a"], ["b", "c"], ["d"]] });
    if ("groups" in p) expect(planSummary(p.groups)).toBe("a → b ∥ c → d");
    expect(parsePlan("Fetch Data")).toEqual({ groups: [["fetch_data"]] });
  });

  it("says what is wrong", () => {
    expect(parsePlan(" ")).toHaveProperty("error");
    expect(parsePlan("a,,b")).toEqual({ error: "Group 2 has an empty step" });
    expect(parsePlan("a|a")).toEqual({ error: "The step a is named twice" });
  });
});

describe("copyOfTemplate", () => {
  it("renames the id and the name", () => {
    const out = copyOfTemplate('version: "1.0"\nid: acme.x\nname: "Nightly"\nsteps: []\n', "acme.x");
    expect(out).toContain("id: acme.x-copy\n");
    expect(out).toContain('name: "Nightly (copy)"\n');
  });

  it("adds an id after the name when there is none", () => {
    const out = copyOfTemplate("name: Nightly\nsteps:\n  - id: a\n", "nightly");
    expect(out).toBe('name: "Nightly (copy)"\nid: nightly-copy\nsteps:\n  - id: a\n');
  });
});

it("names files", () => {
  expect(baseName("/a/b/c.yaml")).toBe("c.yaml");
  expect(baseName("C:\\x\\y.json")).toBe("y.json");
  expect(isMissionFile("x.YML")).toBe(true);
  expect(isMissionFile("x.txt")).toBe(false);
});
