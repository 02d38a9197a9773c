// Run events for tests: numbered from 1, a tenth of a second apart.
import type { RunEventDto } from "../../ipc";

/** Makes events of run `r1` with consecutive seqs; `reset` starts again from 1. */
export function eventMaker() {
  let seq = 0;
  const ev = (partial: Partial<RunEventDto> = {}): RunEventDto => {
    seq += 1;
    return {
      eventType: "mission.progress",
      missionId: "m",
      runId: "r1",
      seq,
      phase: "started",
      stepId: null,
      attempt: null,
      status: "running",
      stepStatus: null,
      summary: "",
      artifactRefs: [],
      usage: { runtimeMs: 0, llmCalls: 0, tokens: 0, costUsd: 0, approvalWaitMs: 0 },
      emittedAt: new Date(1_700_000_000_000 + seq * 100).toISOString(),
      detail: null,
      ...partial,
    };
  };
  const reset = () => {
    seq = 0;
  };
  return { ev, reset };
}
