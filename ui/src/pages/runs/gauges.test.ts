import { gaugeLevel, liveTimes, refusedCaps } from "./gauges";

const usage = { runtimeMs: 2000, llmCalls: 1, tokens: 100, costUsd: 0.01, approvalWaitMs: 5000 };

describe("gauge colours", () => {
  it("is neutral under 70 %, a warning from 70 %, red from 90 % while the run goes on", () => {
    expect(gaugeLevel(0, 10)).toBe("ok");
    expect(gaugeLevel(6.9, 10)).toBe("ok");
    expect(gaugeLevel(7, 10)).toBe("warn");
    expect(gaugeLevel(8.9, 10)).toBe("warn");
    expect(gaugeLevel(9, 10)).toBe("hot");
    expect(gaugeLevel(10, 10)).toBe("hot");
    expect(gaugeLevel(5, null)).toBe("uncapped");
  });

  it("is never red on a completed run that stayed within its caps", () => {
    // One LLM call of one allowed: the run used its whole cap and completed.
    expect(gaugeLevel(1, 1, { completed: true })).toBe("warn");
    expect(gaugeLevel(3, 10, { completed: true })).toBe("ok");
  });

  it("is red when the cap refused an attempt, whatever the figures", () => {
    expect(gaugeLevel(280, 300, { refused: true })).toBe("hot");
    expect(gaugeLevel(0, 300, { refused: true })).toBe("hot");
  });

  it("reads which caps refused from why the run ended", () => {
    expect([...refusedCaps("run failed: budget_exceeded: step `s`: budget_exceeded: max_tokens is 300; 0 used or reserved, this attempt needs up to 338", "failed")]).toEqual(["tokens"]);
    expect([...refusedCaps("run timed_out: the run timed out after 0.6s (perimeter: max_runtime_minutes)", "timed_out")]).toEqual(["runtime"]);
    expect(refusedCaps("run failed: step `x` failed: exit code 1", "failed").size).toBe(0);
    expect(refusedCaps(null, "completed").size).toBe(0);
  });
});

describe("live runtime and wait", () => {
  it("runs the runtime on between events while steps work", () => {
    expect(liveTimes(usage, 1000, 1500, { live: true, waiting: false })).toEqual({ runtimeMs: 2500, waitMs: 5000 });
  });

  it("runs the wait on, not the runtime, while the run waits only for a person", () => {
    expect(liveTimes(usage, 1000, 4000, { live: true, waiting: true })).toEqual({ runtimeMs: 2000, waitMs: 8000 });
  });

  it("stops both once the run ended", () => {
    expect(liveTimes(usage, 1000, 9000, { live: false, waiting: false })).toEqual({ runtimeMs: 2000, waitMs: 5000 });
  });
});
