import { describe, expect, it } from "vitest";
import type { SquadStatus } from "../../ipc/squad";
import { formatAgo, jobsLabel, workersView } from "./workersState";

function status(over: Partial<SquadStatus> = {}): SquadStatus {
  return {
    url: "nats://127.0.0.1:4222",
    reachable: true,
    error: null,
    checkedAt: "2026-12-07T19:00:00Z",
    liveWithinS: 5,
    departments: [],
    ...over,
  };
}

const worker = (id: string, live: boolean) => ({
  workerId: id,
  dept: "ops",
  lastHeartbeatAt: "2026-12-07T19:00:00Z",
  secondsSince: live ? 1 : 9,
  live,
  running: 0,
  jobs: [],
});

describe("formatAgo", () => {
  it("says seconds, then minutes, then hours", () => {
    expect(formatAgo(0)).toBe("just now");
    expect(formatAgo(0.7)).toBe("just now");
    expect(formatAgo(1)).toBe("1 s ago");
    expect(formatAgo(59)).toBe("59 s ago");
    expect(formatAgo(60)).toBe("1 min ago");
    expect(formatAgo(3599)).toBe("59 min ago");
    expect(formatAgo(7200)).toBe("2 h ago");
    expect(formatAgo(-3)).toBe("just now");
  });
});

describe("workersView", () => {
  it("is loading before the first read and unset without a NATS URL", () => {
    expect(workersView(null)).toEqual({ kind: "loading" });
    expect(workersView(status({ url: null }))).toEqual({ kind: "unset" });
  });

  it("carries the broker's message when it cannot be reached, or the call's failure", () => {
    const down = status({ reachable: false, error: "cannot reach NATS at nats://127.0.0.1:4222: connection refused" });
    expect(workersView(down)).toEqual({
      kind: "unreachable",
      url: "nats://127.0.0.1:4222",
      message: "cannot reach NATS at nats://127.0.0.1:4222: connection refused",
    });
    expect(workersView(null, "boom")).toEqual({ kind: "unreachable", url: "", message: "boom" });
  });

  it("counts live workers across departments", () => {
    expect(workersView(status())).toEqual({ kind: "empty", url: "nats://127.0.0.1:4222" });
    const two = status({
      departments: [
        { dept: "ops", live: 1, workers: [worker("w-1", true), worker("w-2", false)] },
        { dept: "research", live: 1, workers: [worker("r-1", true)] },
      ],
    });
    expect(workersView(two)).toEqual({ kind: "workers", url: "nats://127.0.0.1:4222", live: 2, total: 3 });
  });
});

describe("jobsLabel", () => {
  it("agrees in number", () => {
    expect(jobsLabel(1)).toBe("1 job");
    expect(jobsLabel(0)).toBe("0 jobs");
  });
});
