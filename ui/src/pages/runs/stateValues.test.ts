import { describe, expect, it } from "vitest";
import { applyStateEvent, parseStateInput, planMark, showValue, stateRows } from "./stateValues";

describe("typed state in the run view", () => {
  const fields = [
    { name: "reviewer", fieldType: "string", required: false, default: "nobody" },
    { name: "count", fieldType: "int", required: true, default: null },
  ];

  it("starts from the defaults, then follows steps and edits", () => {
    let v = applyStateEvent({}, { stepId: null, detail: null });
    expect(stateRows(fields, v).map((r) => [r.name, r.value, r.source])).toEqual([
      ["reviewer", "nobody", "default"],
      ["count", null, "unset"],
    ]);
    v = applyStateEvent(v, { stepId: "load", detail: { state: { count: 3 } } });
    v = applyStateEvent(v, { stepId: null, detail: { state_edit: { field: "reviewer", value: "Ada", previous: "nobody", by: "ui" } } });
    expect(stateRows(fields, v).map((r) => [r.name, r.value, r.source])).toEqual([
      ["reviewer", "Ada", "edited by ui"],
      ["count", 3, "step load"],
    ]);
  });

  it("reads typed input and says what is expected", () => {
    expect(parseStateInput("int", " 42 ")).toEqual({ ok: true, value: 42 });
    expect(parseStateInput("int", "4.2")).toEqual({ ok: false, error: "a whole number is expected (e.g. 42)" });
    expect(parseStateInput("float", "0.5")).toEqual({ ok: true, value: 0.5 });
    expect(parseStateInput("bool", "true")).toEqual({ ok: true, value: true });
    expect(parseStateInput("list", "[1, 2]")).toEqual({ ok: true, value: [1, 2] });
    expect(parseStateInput("object", "{")).toEqual({ ok: false, error: "JSON is expected for a object" });
    expect(parseStateInput("string", " Ada ")).toEqual({ ok: true, value: " Ada " });
  });

  it("shows values and plan marks", () => {
    expect(showValue(null)).toBe("—");
    expect(showValue({ a: 1 })).toBe('{"a":1}');
    expect(["success", "failed", "running", "skipped", "pending"].map(planMark)).toEqual(["[x]", "[!]", "[~]", "[-]", "[ ]"]);
  });
});
