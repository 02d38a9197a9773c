// How the run view's budget gauges read: each gauge's colour says how close the run came to that
// cap, and the runtime gauge leaves out the time the run waited for a person.
import type { RunStatus } from "./runState";
import type { UsageDto } from "../../ipc";

export type CapKey = "cost" | "tokens" | "llm" | "steps" | "runtime";

/**
 * `ok` (neutral): under 70 % of the cap; `warn`: 70–90 %, or a completed run that came within
 * 10 % of a cap (it stayed within it: the ledger never lets a run past a cap); `hot` (red): 90 %
 * or more while the run goes on or after it did not complete, or the cap refused an attempt.
 */
export type GaugeLevel = "uncapped" | "ok" | "warn" | "hot";

export const WARN_AT = 0.7;
export const HOT_AT = 0.9;

export function gaugeLevel(
  spent: number,
  cap: number | null,
  { refused = false, completed = false }: { refused?: boolean; completed?: boolean } = {},
): GaugeLevel {
  if (cap === null) return "uncapped";
  if (refused) return "hot";
  const ratio = cap > 0 ? spent / cap : spent > 0 ? Infinity : 0;
  if (ratio >= HOT_AT) return completed ? "warn" : "hot";
  if (ratio >= WARN_AT) return "warn";
  return "ok";
}

const CAP_OF_FIELD: Record<string, CapKey> = {
  max_cost_usd: "cost",
  max_tokens: "tokens",
  max_llm_calls: "llm",
  max_steps: "steps",
  max_runtime_minutes: "runtime",
};

/**
 * The caps that stopped the run, read from why it ended: `budget_exceeded: max_tokens is …`
 * (the gate's refusal), or a time-out by the perimeter's `max_runtime_minutes`.
 */
export function refusedCaps(outcome: string | null | undefined, status: RunStatus): Set<CapKey> {
  const out = new Set<CapKey>();
  if (!outcome) return out;
  for (const m of outcome.matchAll(/budget_exceeded:[^;]*?\b(max_(?:cost_usd|tokens|llm_calls|steps))\b/g)) {
    const key = CAP_OF_FIELD[m[1] ?? ""];
    if (key) out.add(key);
  }
  if (status === "timed_out" && /max_runtime_minutes/.test(outcome)) out.add("runtime");
  return out;
}

/**
 * The run's counted runtime and its wait for approval now. The engine reports both with every
 * event; between events the clock that runs on is the wait's while the run waits only for a
 * person, the runtime's otherwise.
 */
export function liveTimes(
  usage: UsageDto,
  lastEventAt: number | null | undefined,
  now: number,
  { live, waiting }: { live: boolean; waiting: boolean },
): { runtimeMs: number; waitMs: number } {
  const since = live && lastEventAt ? Math.max(0, now - lastEventAt) : 0;
  return waiting
    ? { runtimeMs: usage.runtimeMs, waitMs: usage.approvalWaitMs + since }
    : { runtimeMs: usage.runtimeMs + since, waitMs: usage.approvalWaitMs };
}
