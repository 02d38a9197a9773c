// An agent step's iterations and tool calls, live while it runs (DESIGN §5.2): the plan of a
// plan-and-solve agent, then per iteration the model's words and each call with its decision,
// input, output or error, cost and duration.
import { memo, useMemo } from "react";
import { formatUsd } from "./format";
import {
  decisionTone,
  timelineFromOutput,
  timelineFromRecords,
  type AgentCall,
  type AgentRecord,
} from "./agentTimeline";

function short(value: unknown, limit = 1200): string {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  if (text === undefined) return "";
  return text.length > limit ? `${text.slice(0, limit)}\n… (${text.length - limit} more characters)` : text;
}

/** What a call gave, as a person reads it: a file's or a program's text as text, else JSON. */
function readable(output: unknown): string {
  if (output && typeof output === "object" && !Array.isArray(output)) {
    const o = output as Record<string, unknown>;
    for (const key of ["content", "stdout", "text", "answer"]) {
      const v = o[key];
      if (typeof v === "string" && v.length > 0) return short(v);
    }
  }
  return short(output);
}

function CallCard({ call }: { call: AgentCall }) {
  const tone = decisionTone(call.decision);
  return (
    <li className={`agent-call tone-${tone}`} data-testid="agent-call" data-decision={call.decision}>
      <div className="agent-call-head">
        <span className="agent-call-n mono">#{call.n}</span>
        <span className="agent-call-tool mono">{call.tool}</span>
        <span className={`agent-decision tone-${tone}`}>{call.decision}</span>
        {call.simulated ? <span className="agent-call-meta">simulated</span> : null}
        <span className="agent-call-meta mono">
          {call.costUsd > 0 ? formatUsd(call.costUsd) : ""}
          {call.durationMs !== null ? ` · ${call.durationMs} ms` : ""}
        </span>
      </div>
      {call.input !== null && call.input !== undefined ? (
        <pre className="drawer-pre agent-pre" aria-label="Input">
          {short(call.input, 600)}
        </pre>
      ) : null}
      {call.error ? (
        <pre className="drawer-pre drawer-error agent-pre" aria-label="Error">
          {call.error}
        </pre>
      ) : call.output !== null && call.output !== undefined ? (
        <pre className="drawer-pre agent-pre" aria-label="Output">
          {readable(call.output)}
        </pre>
      ) : null}
    </li>
  );
}

export const AgentTimeline = memo(function AgentTimeline({
  records,
  output,
}: {
  records: readonly AgentRecord[] | undefined;
  output: unknown;
}) {
  const timeline = useMemo(() => {
    const fromOutput = timelineFromOutput(output);
    if (records && records.length > 0) {
      const live = timelineFromRecords(records);
      // The output, once there, holds every call whole; the events hold the model's words.
      if (fromOutput) {
        for (const it of fromOutput.iterations) {
          const said = live.iterations.find((x) => x.iteration === it.iteration);
          if (said) Object.assign(it, { text: said.text || it.text, costUsd: said.costUsd, tokens: said.tokens });
        }
        return fromOutput.plan.length ? fromOutput : { ...fromOutput, plan: live.plan };
      }
      return live;
    }
    return fromOutput;
  }, [records, output]);
  if (!timeline || (timeline.iterations.length === 0 && timeline.plan.length === 0)) {
    return <p className="muted agent-empty">The agent has not taken a turn yet.</p>;
  }
  return (
    <div className="agent-timeline" data-testid="agent-timeline">
      {timeline.plan.length > 0 ? (
        <div className="agent-plan" data-testid="agent-plan">
          <div className="agent-iter-head">Plan</div>
          <ol>
            {timeline.plan.map((item, i) => (
              <li key={i}>{item}</li>
            ))}
          </ol>
        </div>
      ) : null}
      {timeline.iterations.map((it) => (
        <div className="agent-iter" key={it.iteration} data-testid="agent-iteration">
          <div className="agent-iter-head">
            <span>Iteration {it.iteration}</span>
            <span className="agent-call-meta mono">
              {it.calls.length === 0 ? "answer" : `${it.calls.length} call${it.calls.length === 1 ? "" : "s"}`}
              {it.tokens > 0 ? ` · ${it.tokens} tokens` : ""}
              {it.costUsd > 0 ? ` · ${formatUsd(it.costUsd)}` : ""}
            </span>
          </div>
          {it.text ? <p className="agent-said">{short(it.text, 800)}</p> : null}
          {it.calls.length > 0 ? (
            <ul className="agent-calls">
              {it.calls.map((c) => (
                <CallCard key={c.n} call={c} />
              ))}
            </ul>
          ) : null}
        </div>
      ))}
    </div>
  );
});
