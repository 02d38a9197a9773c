import { describe, expect, it } from "vitest";
import { decisionTone, timelineFromOutput, timelineFromRecords } from "./agentTimeline";

describe("agent timeline", () => {
  it("groups turns and calls by iteration, a blocked call replaced by its outcome", () => {
    const t = timelineFromRecords([
      { plan: ["Read", "Answer"] },
      { iteration: 1, text: "Reading.", tool_calls: 1, cost_usd: 0.001, tokens: 40 },
      { iteration: 1, call: 1, tool: "create_file", decision: "blocked", input: { path: "a" } },
      { iteration: 1, call: 1, tool: "create_file", decision: "approved" },
      { n: 1, iteration: 1, call_id: "c1", tool: "create_file", decision: "approved", input: { path: "a" }, output: { bytes: 3 }, error: null, cost_usd: 0, duration_ms: 4 },
      { iteration: 2, text: "Done.", tool_calls: 0, cost_usd: 0.002, tokens: 50 },
    ]);
    expect(t.plan).toEqual(["Read", "Answer"]);
    expect(t.iterations).toHaveLength(2);
    expect(t.iterations[0]?.text).toBe("Reading.");
    expect(t.iterations[0]?.calls).toHaveLength(1);
    expect(t.iterations[0]?.calls[0]).toMatchObject({ decision: "approved", output: { bytes: 3 }, durationMs: 4 });
    expect(t.iterations[1]?.text).toBe("Done.");
  });

  it("reads a finished step's output", () => {
    const t = timelineFromOutput({
      answer: "42",
      iterations: 2,
      plan: [],
      calls: [{ n: 1, iteration: 1, call_id: "x", tool: "ghost", decision: "refused", error: "not offered", cost_usd: 0 }],
    });
    expect(t?.iterations.map((i) => i.iteration)).toEqual([1, 2]);
    expect(t?.iterations[0]?.calls[0]?.error).toBe("not offered");
    expect(t?.iterations[1]?.text).toBe("42");
    expect(timelineFromOutput({ text: "plain llm" })).toBeNull();
  });

  it("colours decisions", () => {
    expect(decisionTone("approved")).toBe("ok");
    expect(decisionTone("refused")).toBe("bad");
    expect(decisionTone("blocked")).toBe("warn");
  });
});
