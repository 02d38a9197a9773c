// The run view's state, built from run events (pure). Events carry a gapless `seq` per run; an
// event at or below the last seq applied is a duplicate (a replay overlapping the live stream)
// and is ignored. Steps that did not change keep their object identity, so memoised nodes of a
// large graph do not re-render.
import type { RunEventDto, RunStepDto, UsageDto } from "../../ipc";

export type StepStatus = RunStepDto["status"];
export type RunStatus = RunEventDto["status"];

export interface StepState {
  id: string;
  status: StepStatus;
  attempts: number;
  /** Epoch ms of the step's first `started` event. */
  startedAt: number | null;
  /** Epoch ms of the event that made the step final. */
  finishedAt: number | null;
  /** Money the run spent when this step ended (the rise of the run's cost at its final event). */
  costUsd: number;
  /** Epoch ms at which the engine emitted the step's latest status. */
  changedAt: number | null;
}

export interface LogEntry {
  seq: number;
  at: number;
  eventType: string;
  phase: string;
  stepId: string | null;
  stepStatus: StepStatus | null;
  summary: string;
}

export interface RunState {
  runId: string;
  lastSeq: number;
  status: RunStatus;
  usage: UsageDto;
  steps: Record<string, StepState>;
  /** The most recent events, oldest first (bounded). */
  log: LogEntry[];
  /** The final event arrived. */
  final: boolean;
  /** The final event's summary (why the run ended as it did). */
  outcome: string | null;
  startedAt: number | null;
  finishedAt: number | null;
}

export const LOG_LIMIT = 400;
const FINAL_STEP: ReadonlySet<string> = new Set(["success", "failed", "skipped", "cancelled"]);
const FINAL_EVENT: ReadonlySet<string> = new Set([
  "mission.completed",
  "mission.failed",
  "mission.cancelled",
  "mission.timed_out",
]);

export const ZERO_USAGE: UsageDto = { runtimeMs: 0, llmCalls: 0, tokens: 0, costUsd: 0 };

export function isFinalStep(status: string): boolean {
  return FINAL_STEP.has(status);
}

export function isFinalEvent(eventType: string): boolean {
  return FINAL_EVENT.has(eventType);
}

function parseTime(text: string): number | null {
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : t;
}

function blankStep(id: string): StepState {
  return { id, status: "pending", attempts: 0, startedAt: null, finishedAt: null, costUsd: 0, changedAt: null };
}

/** A run whose steps are all pending and which has seen no event. */
export function initialRunState(runId: string, stepIds: readonly string[]): RunState {
  const steps: Record<string, StepState> = {};
  for (const id of stepIds) steps[id] = blankStep(id);
  return {
    runId,
    lastSeq: 0,
    status: "queued",
    usage: ZERO_USAGE,
    steps,
    log: [],
    final: false,
    outcome: null,
    startedAt: null,
    finishedAt: null,
  };
}

/** Applies a batch of events in seq order; returns the same object when nothing was new. */
export function applyEvents(state: RunState, events: readonly RunEventDto[]): RunState {
  const fresh = events
    .filter((e) => e.runId === state.runId && e.seq > state.lastSeq)
    .sort((a, b) => a.seq - b.seq);
  if (fresh.length === 0) return state;
  let steps = state.steps;
  let copied = false;
  let { lastSeq, status, usage, final, outcome, startedAt, finishedAt } = state;
  const newLog: LogEntry[] = [];
  for (const e of fresh) {
    if (e.seq <= lastSeq) continue; // a duplicate within the batch
    lastSeq = e.seq;
    const at = parseTime(e.emittedAt);
    if (startedAt === null && at !== null) startedAt = at;
    const costBefore = usage.costUsd;
    status = e.status;
    usage = e.usage;
    if (e.stepId !== null && e.stepStatus !== null) {
      if (!copied) {
        steps = { ...steps };
        copied = true;
      }
      const prev = steps[e.stepId] ?? blankStep(e.stepId);
      const next: StepState = {
        ...prev,
        status: e.stepStatus,
        attempts: Math.max(prev.attempts, e.attempt ?? 0),
        changedAt: at,
      };
      if ((e.stepStatus === "running" || e.phase === "started") && prev.startedAt === null) next.startedAt = at;
      if (isFinalStep(e.stepStatus)) {
        next.finishedAt = at;
        const spent = e.usage.costUsd - costBefore;
        if (spent > 0) next.costUsd = prev.costUsd + spent;
      } else {
        next.finishedAt = null;
      }
      steps[e.stepId] = next;
    }
    if (isFinalEvent(e.eventType)) {
      final = true;
      outcome = e.summary;
      finishedAt = at;
    }
    newLog.push({
      seq: e.seq,
      at: at ?? 0,
      eventType: e.eventType,
      phase: e.phase,
      stepId: e.stepId,
      stepStatus: e.stepStatus,
      summary: e.summary,
    });
  }
  const log = state.log.concat(newLog);
  return {
    ...state,
    lastSeq,
    status,
    usage,
    steps,
    log: log.length > LOG_LIMIT ? log.slice(log.length - LOG_LIMIT) : log,
    final,
    outcome,
    startedAt,
    finishedAt,
  };
}

/** Counts of steps by status. */
export function countByStatus(state: RunState): Record<StepStatus, number> {
  const out: Record<StepStatus, number> = {
    pending: 0,
    running: 0,
    blocked: 0,
    success: 0,
    failed: 0,
    skipped: 0,
    cancelled: 0,
  };
  for (const s of Object.values(state.steps)) out[s.status] += 1;
  return out;
}

// ---------- keeping the state across a reload (sessionStorage) ----------

const KEY_PREFIX = "mission-studio.run.";

/** Saves the state with its last seq: a reloaded window re-attaches after it. */
export function saveRunState(state: RunState, storage: Storage = sessionStorage): void {
  try {
    storage.setItem(KEY_PREFIX + state.runId, JSON.stringify(state));
  } catch {
    // A full or unavailable storage only means a longer replay after a reload.
  }
}

/** The saved state of a run, if it matches the graph (same step ids). */
export function loadRunState(
  runId: string,
  stepIds: readonly string[],
  storage: Storage = sessionStorage,
): RunState | null {
  try {
    const text = storage.getItem(KEY_PREFIX + runId);
    if (!text) return null;
    const saved = JSON.parse(text) as RunState;
    if (saved.runId !== runId || typeof saved.lastSeq !== "number") return null;
    if (stepIds.some((id) => !saved.steps[id])) return null;
    return saved;
  } catch {
    return null;
  }
}
