// An agent step's timeline (DESIGN §5.2), built from its events' `detail.agent` records while
// it runs, or from its output's `calls` and `plan` once it has one: the plan, then each
// iteration's model turn and the tool calls it made, each with its decision, input, output
// or error, and cost.
import type { RunEventDto } from "../../ipc";

export interface AgentCall {
  n: number;
  tool: string;
  /** allowed, approved, refused, denied, failed, invalid; `blocked` while it waits. */
  decision: string;
  input: unknown;
  output: unknown;
  error: string | null;
  costUsd: number;
  durationMs: number | null;
  simulated: boolean;
}

export interface AgentIteration {
  iteration: number;
  /** What the model said with its calls (or its answer). */
  text: string;
  costUsd: number;
  tokens: number;
  calls: AgentCall[];
}

export interface AgentTimeline {
  plan: string[];
  iterations: AgentIteration[];
}

/** One agent record as an event carries it. */
export type AgentRecord = Record<string, unknown>;

/** The agent record of an event, if it has one. */
export function agentRecord(e: Pick<RunEventDto, "detail">): AgentRecord | null {
  const agent = e.detail?.agent;
  return agent && typeof agent === "object" ? (agent as AgentRecord) : null;
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function iterationOf(map: Map<number, AgentIteration>, i: number): AgentIteration {
  let it = map.get(i);
  if (!it) {
    it = { iteration: i, text: "", costUsd: 0, tokens: 0, calls: [] };
    map.set(i, it);
  }
  return it;
}

function callFrom(r: AgentRecord): AgentCall {
  return {
    n: num(r.n ?? r.call),
    tool: str(r.tool),
    decision: str(r.decision) || "allowed",
    input: r.input ?? null,
    output: r.output ?? null,
    error: typeof r.error === "string" ? r.error : null,
    costUsd: num(r.cost_usd),
    durationMs: typeof r.duration_ms === "number" ? r.duration_ms : null,
    simulated: r.simulated === true,
  };
}

/** The timeline from the step's agent records, in the order they came. */
export function timelineFromRecords(records: readonly AgentRecord[]): AgentTimeline {
  let plan: string[] = [];
  const iterations = new Map<number, AgentIteration>();
  for (const r of records) {
    if (Array.isArray(r.plan)) {
      plan = r.plan.map(String);
      continue;
    }
    const i = num(r.iteration);
    const it = iterationOf(iterations, i);
    if ("call_id" in r || ("n" in r && "decision" in r)) {
      const call = callFrom(r);
      const at = it.calls.findIndex((c) => c.n === call.n);
      if (at >= 0) it.calls[at] = call;
      else it.calls.push(call);
    } else if ("call" in r) {
      // A call waiting for approval, or just decided.
      const n = num(r.call);
      const at = it.calls.findIndex((c) => c.n === n);
      const before = at >= 0 ? it.calls[at] : undefined;
      const waiting: AgentCall = { ...(before ?? callFrom(r)), n, decision: str(r.decision) || "blocked" };
      if (at >= 0) it.calls[at] = waiting;
      else it.calls.push(waiting);
    } else {
      it.text = str(r.text);
      it.costUsd = num(r.cost_usd);
      it.tokens = num(r.tokens);
    }
  }
  return { plan, iterations: [...iterations.values()].sort((a, b) => a.iteration - b.iteration) };
}

/** The timeline from an agent step's output (when its events are not at hand). */
export function timelineFromOutput(output: unknown): AgentTimeline | null {
  if (!output || typeof output !== "object") return null;
  const o = output as Record<string, unknown>;
  if (!Array.isArray(o.calls)) return null;
  const records: AgentRecord[] = [];
  if (Array.isArray(o.plan) && o.plan.length > 0) records.push({ plan: o.plan });
  for (const c of o.calls) if (c && typeof c === "object") records.push(c as AgentRecord);
  const t = timelineFromRecords(records);
  if (typeof o.answer === "string" && o.answer) {
    const last = num(o.iterations);
    const it = t.iterations.find((x) => x.iteration === last);
    if (it) it.text = it.text || o.answer;
    else t.iterations.push({ iteration: last, text: o.answer, costUsd: 0, tokens: 0, calls: [] });
  }
  return t;
}

/** The tone of a decision, for its pill. */
export function decisionTone(decision: string): "ok" | "bad" | "warn" | "muted" {
  switch (decision) {
    case "allowed":
    case "approved":
      return "ok";
    case "blocked":
      return "warn";
    case "refused":
    case "denied":
    case "failed":
    case "invalid":
      return "bad";
    default:
      return "muted";
  }
}
