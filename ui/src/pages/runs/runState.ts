// The run view's state, built from run events (pure). Events carry a gapless `seq` per run; an
// event at or below the last seq applied is a duplicate (a replay overlapping the live stream)
// and is ignored. Steps that did not change keep their object identity, so memoised nodes of a
// large graph do not re-render.
import type { RunEventDto, RunStepDto, UsageDto } from "../../ipc";
import { agentRecord, type AgentRecord } from "./agentTimeline";
import { workerOf, type StepWorker } from "./stepWorker";
import { applyStateEvent, type StateValues } from "./stateValues";

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
  /** The squad worker that runs (or ran) the step, when it was dispatched over NATS. */
  worker?: StepWorker;
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
  /** Epoch ms of the newest event applied (the live runtime and wait run on from it). */
  lastEventAt?: number | null;
  /** Each agent step's turns and calls as its events reported them, in order. */
  agents?: Record<string, AgentRecord[]>;
  /** Typed state values as steps wrote them and people edited them (see `stateValues`). */
  stateValues?: StateValues;
}

export const LOG_LIMIT = 400;
const FINAL_STEP: ReadonlySet<string> = new Set(["success", "failed", "skipped", "cancelled"]);
const FINAL_EVENT: ReadonlySet<string> = new Set([
  "mission.completed",
  "mission.failed",
  "mission.cancelled",
  "mission.timed_out",
]);

export const ZERO_USAGE: UsageDto = { runtimeMs: 0, llmCalls: 0, tokens: 0, costUsd: 0, approvalWaitMs: 0 };

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
    lastEventAt: null,
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
  let lastEventAt = state.lastEventAt ?? null;
  let agents = state.agents ?? {};
  let stateValues = state.stateValues ?? {};
  const newLog: LogEntry[] = [];
  for (const e of fresh) {
    if (e.seq <= lastSeq) continue; // a duplicate within the batch
    lastSeq = e.seq;
    const at = parseTime(e.emittedAt);
    if (startedAt === null && at !== null) startedAt = at;
    if (at !== null) lastEventAt = at;
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
    const worker = e.stepId !== null ? workerOf(e) : null;
    if (worker && e.stepId !== null) {
      if (!copied) {
        steps = { ...steps };
        copied = true;
      }
      steps[e.stepId] = { ...(steps[e.stepId] ?? blankStep(e.stepId)), worker };
    }
    const record = e.stepId !== null ? agentRecord(e) : null;
    if (record && e.stepId !== null) {
      agents = { ...agents, [e.stepId]: [...(agents[e.stepId] ?? []), record] };
    }
    stateValues = applyStateEvent(stateValues, e);
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
    lastEventAt,
    agents,
    stateValues,
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

/**
 * What the run view's summary says about the steps, derived from their statuses only (never
 * from events or the run's status): a step is `done` when it succeeded; failed, skipped and
 * cancelled steps are counted apart; `notStarted` are still pending.
 */
export interface StepCounts {
  total: number;
  done: number;
  failed: number;
  skipped: number;
  cancelled: number;
  running: number;
  blocked: number;
  notStarted: number;
  /** Steps in a final status (done, failed, skipped or cancelled). */
  ended: number;
}

export function stepCounts(statuses: Iterable<StepStatus>): StepCounts {
  const c: StepCounts = { total: 0, done: 0, failed: 0, skipped: 0, cancelled: 0, running: 0, blocked: 0, notStarted: 0, ended: 0 };
  for (const s of statuses) {
    c.total += 1;
    switch (s) {
      case "success":
        c.done += 1;
        break;
      case "failed":
        c.failed += 1;
        break;
      case "skipped":
        c.skipped += 1;
        break;
      case "cancelled":
        c.cancelled += 1;
        break;
      case "running":
        c.running += 1;
        break;
      case "blocked":
        c.blocked += 1;
        break;
      default:
        c.notStarted += 1;
    }
  }
  c.ended = c.done + c.failed + c.skipped + c.cancelled;
  return c;
}

/** The counts of a run's steps (see [`stepCounts`]). */
export function runStepCounts(state: RunState): StepCounts {
  return stepCounts(Object.values(state.steps).map((s) => s.status));
}

/** One part of the summary line ("3 of 6 done", "1 failed", …) and its tone. */
export interface CountPart {
  key: keyof StepCounts;
  text: string;
  tone: "ok" | "bad" | "warn" | "muted" | "live";
}

/** The summary line's parts: "3 of 6 done · 1 failed · 2 skipped"; zero counts are left out. */
export function countParts(c: StepCounts): CountPart[] {
  const parts: CountPart[] = [{ key: "done", text: `${c.done} of ${c.total} done`, tone: "ok" }];
  if (c.running) parts.push({ key: "running", text: `${c.running} running`, tone: "live" });
  if (c.blocked) parts.push({ key: "blocked", text: `${c.blocked} waiting for approval`, tone: "warn" });
  if (c.failed) parts.push({ key: "failed", text: `${c.failed} failed`, tone: "bad" });
  if (c.cancelled) parts.push({ key: "cancelled", text: `${c.cancelled} cancelled`, tone: "warn" });
  if (c.skipped) parts.push({ key: "skipped", text: `${c.skipped} skipped`, tone: "muted" });
  if (c.notStarted) parts.push({ key: "notStarted", text: `${c.notStarted} not started`, tone: "muted" });
  return parts;
}

/**
 * The steps the live graph keeps in view, in step order: while the run goes on, those running or
 * waiting for approval; once it ended, where it went wrong — the failed steps, else the cancelled,
 * else the skipped ones (a denial); none for a run whose every step succeeded (the graph then
 * shows itself whole, or its start, as when a finished run is opened).
 */
export function stepsToFollow(steps: readonly { id: string; status: StepStatus }[], final: boolean): string[] {
  if (!final) return steps.filter((s) => s.status === "running" || s.status === "blocked").map((s) => s.id);
  for (const status of ["failed", "cancelled", "skipped"] as const) {
    const ids = steps.filter((s) => s.status === status).map((s) => s.id);
    if (ids.length > 0) return ids;
  }
  return [];
}

/** Whether the run waits only for a person: steps blocked on approval and none running. */
export function waitsForApproval(c: StepCounts): boolean {
  return c.blocked > 0 && c.running === 0;
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
