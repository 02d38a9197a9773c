import type { RunEventDto } from "../../ipc";
import { applyEvents, countByStatus, initialRunState, loadRunState, saveRunState, type RunState } from "./runState";
import { eventMaker } from "./testEvents";

const { ev, reset } = eventMaker();

function runEvents(): RunEventDto[] {
  reset();
  return [
    ev({ eventType: "mission.accepted", phase: "accepted", status: "queued" }),
    ev({ stepId: "a", attempt: 1, stepStatus: "running", phase: "started" }),
    ev({ stepId: "a", attempt: 1, stepStatus: "success", phase: "finished", usage: { runtimeMs: 5, llmCalls: 1, tokens: 10, costUsd: 0.02 } }),
    ev({ stepId: "b", attempt: 1, stepStatus: "blocked", phase: "blocked", status: "blocked" }),
    ev({ stepId: "b", attempt: 1, stepStatus: "skipped", phase: "skipped" }),
    ev({ eventType: "mission.failed", phase: "final", status: "failed", summary: "step `b` skipped: denied" }),
  ];
}

describe("run state", () => {
  it("turns events into node states, attempts, cost and the outcome", () => {
    const events = runEvents();
    const s = applyEvents(initialRunState("r1", ["a", "b", "c"]), events);
    expect(s.lastSeq).toBe(6);
    expect(s.steps.a).toMatchObject({ status: "success", attempts: 1, costUsd: 0.02 });
    expect(s.steps.a?.startedAt).toBe(Date.parse((events[1] as RunEventDto).emittedAt));
    expect(s.steps.b?.status).toBe("skipped");
    expect(s.steps.c?.status).toBe("pending");
    expect(s.final).toBe(true);
    expect(s.status).toBe("failed");
    expect(s.outcome).toContain("denied");
    expect(s.log.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(countByStatus(s)).toMatchObject({ success: 1, skipped: 1, pending: 1 });
  });

  it("drops events at or below the last seq, within a batch and across batches", () => {
    const events = runEvents();
    const first = applyEvents(initialRunState("r1", ["a", "b"]), events.slice(0, 3));
    // A replay that overlaps what was seen, out of order, with a duplicate inside the batch.
    const again = applyEvents(first, [(events[4] as RunEventDto), (events[1] as RunEventDto), (events[2] as RunEventDto), (events[3] as RunEventDto), (events[3] as RunEventDto), (events[5] as RunEventDto)]);
    expect(again.log.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(again.steps.a?.costUsd).toBe(0.02);
    expect(applyEvents(again, events)).toBe(again);
  });

  it("keeps the identity of steps that did not change", () => {
    const events = runEvents();
    const s1 = applyEvents(initialRunState("r1", ["a", "b", "c"]), events.slice(0, 2));
    const s2 = applyEvents(s1, events.slice(2, 3));
    expect(s2.steps.a).not.toBe(s1.steps.a);
    expect(s2.steps.b).toBe(s1.steps.b);
    expect(s2.steps.c).toBe(s1.steps.c);
  });

  it("ignores events of another run", () => {
    const s = applyEvents(initialRunState("r1", ["a"]), [{ ...(runEvents()[1] as RunEventDto), runId: "other" }]);
    expect(s.lastSeq).toBe(0);
  });

  it("survives a reload through storage and resumes after the last seq", () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    } as unknown as Storage;
    const events = runEvents();
    const s = applyEvents(initialRunState("r1", ["a", "b"]), events.slice(0, 4));
    saveRunState(s, storage);
    const back = loadRunState("r1", ["a", "b"], storage);
    expect(back?.lastSeq).toBe(4);
    expect(back?.steps.b?.status).toBe("blocked");
    expect(loadRunState("r1", ["a", "b", "new"], storage)).toBeNull();
    const done = applyEvents(back as RunState, events);
    expect(done.log.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
