// The run's budget gauges: spending against each cap of its perimeter, coloured by how close it
// came (see gauges.ts); the runtime gauge shows the wait for approval apart.
import type { RunViewDto } from "../../ipc";
import { formatCount, formatDuration, formatUsd } from "./format";
import { gaugeLevel, liveTimes, refusedCaps, type CapKey } from "./gauges";
import { runStepCounts, waitsForApproval, type RunState } from "./runState";
import { useNow } from "./useRunStream";

const LEVEL_TEXT = {
  uncapped: "no cap",
  ok: "well under its cap",
  warn: "close to its cap",
  hot: "at its cap",
} as const;

function Gauge({
  label,
  spent,
  cap,
  format,
  testId,
  refused,
  completed,
  note,
}: {
  label: string;
  spent: number;
  cap: number | null;
  format: (v: number) => string;
  testId: string;
  refused: boolean;
  completed: boolean;
  note?: string | undefined;
}) {
  const ratio = cap && cap > 0 ? Math.min(1, spent / cap) : 0;
  const level = gaugeLevel(spent, cap, { refused, completed });
  const percent = cap && cap > 0 ? Math.round((spent / cap) * 100) : null;
  const title =
    cap === null
      ? `${label}: no cap`
      : `${label}: ${format(spent)} of ${format(cap)} (${percent}%)${refused ? ", the cap refused an attempt" : `, ${LEVEL_TEXT[level]}`}`;
  return (
    <div className={`gauge gauge-${level}`} data-testid={testId} data-level={level} title={title}>
      <div className="gauge-head">
        <span className="gauge-label">{label}</span>
        <span className="gauge-cap">{cap === null ? "no cap" : `of ${format(cap)}`}</span>
      </div>
      <div className="gauge-value">{format(spent)}</div>
      <div className="gauge-bar" role="meter" aria-valuemin={0} aria-valuemax={cap ?? 0} aria-valuenow={spent} aria-label={title}>
        <div className="gauge-fill" style={{ width: `${cap === null ? 0 : Math.max(ratio * 100, spent > 0 ? 2 : 0)}%` }} />
      </div>
      {note ? (
        <div className="gauge-note" data-testid={`${testId}-note`} title={note}>
          {note}
        </div>
      ) : null}
    </div>
  );
}

export function Gauges({ view, state }: { view: RunViewDto; state: RunState }) {
  const live = !state.final && state.startedAt !== null;
  const now = useNow(live);
  const caps = view.caps;
  const counts = runStepCounts(state);
  // Steps that passed the gate (what `max_steps` counts): the ones that ran or run.
  const stepsRun = counts.done + counts.failed + counts.running + counts.blocked + counts.cancelled;
  const { runtimeMs, waitMs } = liveTimes(state.usage, state.lastEventAt, now, { live, waiting: waitsForApproval(counts) });
  const refused = refusedCaps(state.outcome, state.status);
  const completed = state.final && state.status === "completed";
  const common = (key: CapKey) => ({ refused: refused.has(key), completed });
  const waited = waitMs >= 1000 ? `waited ${formatDuration(waitMs)} for approval` : undefined;
  return (
    <div className={waited ? "gauges gauges-noted" : "gauges"} data-testid="run-gauges" data-approval-wait-ms={Math.round(waitMs)}>
      <Gauge label="Cost" spent={state.usage.costUsd} cap={caps.maxCostUsd} format={formatUsd} testId="gauge-cost" {...common("cost")} />
      <Gauge label="Tokens" spent={state.usage.tokens} cap={caps.maxTokens} format={formatCount} testId="gauge-tokens" {...common("tokens")} />
      <Gauge label="LLM calls" spent={state.usage.llmCalls} cap={caps.maxLlmCalls} format={formatCount} testId="gauge-llm" {...common("llm")} />
      <Gauge label="Steps" spent={stepsRun} cap={caps.maxSteps} format={formatCount} testId="gauge-steps" {...common("steps")} />
      <Gauge
        label="Runtime"
        spent={runtimeMs}
        cap={caps.maxRuntimeMinutes === null ? null : caps.maxRuntimeMinutes * 60_000}
        format={formatDuration}
        testId="gauge-runtime"
        note={waited}
        {...common("runtime")}
      />
    </div>
  );
}
