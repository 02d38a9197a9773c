// Which worker ran a step (DESIGN §13): a step dispatched to a squad gets a `mission.progress`
// event whose `detail.worker` names the worker, its department and the attempt. A redelivered
// step names the worker of its latest attempt.
import type { RunEventDto } from "../../ipc";

export interface StepWorker {
  workerId: string;
  dept: string;
  attempt: number | null;
}

/** The worker an event names, if any. */
export function workerOf(e: Pick<RunEventDto, "detail" | "attempt">): StepWorker | null {
  const w: unknown = e.detail?.worker;
  if (!w || typeof w !== "object") return null;
  const r = w as Record<string, unknown>;
  const workerId = r.worker_id ?? r.workerId;
  if (typeof workerId !== "string" || workerId === "") return null;
  const dept = typeof r.dept === "string" ? r.dept : "";
  const attempt = typeof r.attempt === "number" ? r.attempt : e.attempt;
  return { workerId, dept, attempt };
}

/** "w-a (dept ops)". */
export function workerLabel(w: StepWorker): string {
  return w.dept ? `${w.workerId} (dept ${w.dept})` : w.workerId;
}

/** The worker of each step, from events in order (a later attempt's worker wins). */
export function workersByStep(events: readonly RunEventDto[]): Record<string, StepWorker> {
  const out: Record<string, StepWorker> = {};
  for (const e of events) {
    if (e.stepId === null) continue;
    const w = workerOf(e);
    if (w) out[e.stepId] = w;
  }
  return out;
}
