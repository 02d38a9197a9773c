import { describe, expect, it } from "vitest";
import { applyEvents, initialRunState } from "./runState";
import { workerLabel, workerOf, workersByStep } from "./stepWorker";
import { eventMaker } from "./testEvents";

describe("the worker of a step", () => {
  it("is read from a progress event's detail.worker", () => {
    const { ev } = eventMaker();
    expect(workerOf(ev({ detail: { worker: { worker_id: "w-a", dept: "ops", attempt: 2 } } }))).toEqual({
      workerId: "w-a",
      dept: "ops",
      attempt: 2,
    });
    expect(workerOf(ev({ attempt: 1, detail: { worker: { worker_id: "w-b" } } }))).toEqual({
      workerId: "w-b",
      dept: "",
      attempt: 1,
    });
    expect(workerOf(ev({ detail: null }))).toBeNull();
    expect(workerOf(ev({ detail: { agent: { iteration: 1 } } }))).toBeNull();
    expect(workerOf(ev({ detail: { worker: { dept: "ops" } } }))).toBeNull();
    expect(workerOf(ev({ detail: { worker: "w-a" } }))).toBeNull();
  });

  it("is labelled with its department", () => {
    expect(workerLabel({ workerId: "w-a", dept: "ops", attempt: 1 })).toBe("w-a (dept ops)");
    expect(workerLabel({ workerId: "w-a", dept: "", attempt: 1 })).toBe("w-a");
  });

  it("follows the latest attempt: a redelivered step names its new worker", () => {
    const { ev } = eventMaker();
    const events = [
      ev({ stepId: "fetch", stepStatus: "running", attempt: 1, detail: { worker: { worker_id: "w-a", dept: "ops", attempt: 1 } } }),
      ev({ stepId: "other", stepStatus: "running" }),
      ev({ stepId: "fetch", phase: "retry", stepStatus: "running", attempt: 2, detail: { worker: { worker_id: "w-b", dept: "ops", attempt: 2 } } }),
    ];
    expect(workersByStep(events)).toEqual({ fetch: { workerId: "w-b", dept: "ops", attempt: 2 } });
  });

  it("lands in the run state, also from an event that does not change the step's status", () => {
    const { ev } = eventMaker();
    let state = initialRunState("r1", ["fetch", "sum"]);
    state = applyEvents(state, [ev({ stepId: "fetch", stepStatus: "running", attempt: 1 })]);
    const before = state.steps.sum;
    state = applyEvents(state, [
      ev({ stepId: "fetch", stepStatus: null, phase: "progress", detail: { worker: { worker_id: "w-a", dept: "research", attempt: 1 } } }),
    ]);
    expect(state.steps.fetch?.worker).toEqual({ workerId: "w-a", dept: "research", attempt: 1 });
    expect(state.steps.fetch?.status).toBe("running");
    expect(state.steps.sum).toBe(before);
    state = applyEvents(state, [ev({ stepId: "fetch", stepStatus: "success", phase: "finished" })]);
    expect(state.steps.fetch?.worker?.workerId).toBe("w-a");
  });
});
