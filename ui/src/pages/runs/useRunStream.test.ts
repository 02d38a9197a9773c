import { act, renderHook } from "@testing-library/react";
import type { RunEventDto } from "../../ipc";
import { clearMocks, mockCommands } from "../../ipc/testing";
import { eventMaker } from "./testEvents";
import { useRunStream } from "./useRunStream";

const { ev: event, reset } = eventMaker();
const ev = (stepId: string, stepStatus: string) =>
  event({ stepId, stepStatus, attempt: 1, phase: stepStatus === "running" ? "started" : "finished" } as Partial<RunEventDto>);

const STEPS = ["a", "b"];

/** Follows run r1 with attach_run mocked; returns what the channel's messages go to. */
async function follow() {
  /** The Channel attach_run was given (what its messages are handed to). */
  type EventChannel = { onmessage: (m: RunEventDto[]) => void };
  let channel: EventChannel | null = null;
  mockCommands({
    attach_run: (args) => {
      channel = args.onEvent as EventChannel;
      return null;
    },
  });
  const hook = renderHook(() => useRunStream("r1", STEPS));
  await act(async () => {});
  if (!channel) throw new Error("attach_run was not called");
  const send = (events: RunEventDto[]) => (channel as EventChannel | null)?.onmessage(events);
  return { hook, send };
}

describe("useRunStream", () => {
  beforeEach(() => {
    reset();
    sessionStorage.clear();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "requestAnimationFrame", "cancelAnimationFrame", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
    clearMocks();
  });

  it("applies an event that arrives after a quiet moment at once, without waiting for a frame", async () => {
    const { hook, send } = await follow();
    await act(async () => send([ev("a", "running")]));
    // No frame and no timer has run: the node's state changed in the message's own task.
    expect(hook.result.current.state?.steps.a?.status).toBe("running");
  });

  it("applies a burst once per frame", async () => {
    const { hook, send } = await follow();
    await act(async () => send([ev("a", "running")]));
    // Right after: queued until the next frame.
    await act(async () => send([ev("a", "success"), ev("b", "running")]));
    expect(hook.result.current.state?.steps.a?.status).toBe("running");
    expect(hook.result.current.state?.steps.b?.status).toBe("pending");
    await act(async () => {
      vi.advanceTimersToNextFrame();
    });
    expect(hook.result.current.state?.steps.a?.status).toBe("success");
    expect(hook.result.current.state?.steps.b?.status).toBe("running");
    expect(hook.result.current.state?.lastSeq).toBe(3);
  });
});
