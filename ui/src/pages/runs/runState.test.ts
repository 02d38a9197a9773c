import type { RunEventDto } from "../../ipc";
import {
  applyEvents,
  countByStatus,
  countParts,
  initialRunState,
  loadRunState,
  runStepCounts,
  saveRunState,
  stepCounts,
  stepsToFollow,
  waitsForApproval,
  type RunState,
  type StepState,
} from "./runState";
import { eventMaker } from "./testEvents";

const { ev, reset } = eventMaker();

function runEvents(): RunEventDto[] {
  reset();
  return [
    ev({ eventType: "mission.accepted", phase: "accepted", status: "queued" }),
    ev({ stepId: "a", attempt: 1, stepStatus: "running", phase: "started" }),
    ev({ stepId: "a", attempt: 1, stepStatus: "success", phase: "finished", usage: { runtimeMs: 5, llmCalls: 1, tokens: 10, costUsd: 0.02, approvalWaitMs: 0 } }),
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

describe("step counts", () => {
  it("counts a failure with steps that never ran apart from the done ones", () => {
    // Six steps: three succeeded, one failed, two were skipped (fail-fast).
    const c = stepCounts(["success", "success", "success", "failed", "skipped", "skipped"]);
    expect(c).toMatchObject({ total: 6, done: 3, failed: 1, skipped: 2, notStarted: 0, ended: 6 });
    expect(countParts(c).map((p) => p.text)).toEqual(["3 of 6 done", "1 failed", "2 skipped"]);
  });

  it("counts a cancel: cancelled and skipped steps are not done", () => {
    const c = stepCounts(["success", "cancelled", "cancelled", "skipped"]);
    expect(countParts(c).map((p) => p.text)).toEqual(["1 of 4 done", "2 cancelled", "1 skipped"]);
  });

  it("says what runs, waits and has not started while the run goes on", () => {
    const c = stepCounts(["success", "running", "blocked", "pending", "pending"]);
    expect(countParts(c).map((p) => p.text)).toEqual([
      "1 of 5 done",
      "1 running",
      "1 waiting for approval",
      "2 not started",
    ]);
    expect(waitsForApproval(c)).toBe(false);
    expect(waitsForApproval(stepCounts(["success", "blocked", "pending"]))).toBe(true);
  });

  it("derives the counts of a run from its step states only", () => {
    const s = applyEvents(initialRunState("r1", ["a", "b", "c"]), runEvents());
    // The run failed; the counts still say exactly what each step did.
    expect(runStepCounts(s)).toMatchObject({ total: 3, done: 1, skipped: 1, notStarted: 1, failed: 0 });
    expect(s.lastEventAt).toBe(Date.parse((runEvents()[5] as RunEventDto).emittedAt));
  });
});

describe("the steps the graph follows", () => {
  const steps = (...statuses: StepState["status"][]) => statuses.map((status, i) => ({ id: `s${i + 1}`, status }));

  it("follows the running and waiting steps while the run goes on", () => {
    expect(stepsToFollow(steps("success", "running", "blocked", "pending"), false)).toEqual(["s2", "s3"]);
    expect(stepsToFollow(steps("success", "pending"), false)).toEqual([]);
  });

  it("shows where the run ended once it did", () => {
    expect(stepsToFollow(steps("success", "failed", "skipped"), true)).toEqual(["s2"]);
    expect(stepsToFollow(steps("success", "cancelled", "cancelled", "skipped"), true)).toEqual(["s2", "s3"]);
    expect(stepsToFollow(steps("success", "skipped", "skipped"), true)).toEqual(["s2", "s3"]);
    expect(stepsToFollow(steps("success", "success", "success"), true)).toEqual([]);
  });
});
