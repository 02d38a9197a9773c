import { ArrowLeft, ArrowLeftRight, Equal } from "lucide-react";
import { useEffect, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { historyIpc, type ApiError, type RunCompare, type RunListItem, type StepSideItem } from "../../ipc";
import { formatDateTime } from "../../lib/dates";
import { formatCost, formatDuration, shortId } from "./format";
import { StatusBadge } from "./StatusBadge";

function RunCard({ run, side }: { run: RunListItem; side: "A" | "B" }) {
  return (
    <Link to={`/history/${encodeURIComponent(run.runId)}`} className="hx-cmp-run" data-testid={`compare-run-${side.toLowerCase()}`}>
      <span className="hx-cmp-side">{side}</span>
      <div>
        <div className="hx-cmp-run-title">
          <StatusBadge status={run.status} compact />
          <strong>{run.missionName || run.missionId}</strong>
        </div>
        <div className="hx-mission-sub">
          <span className="mono">{shortId(run.runId)}</span> · {formatDateTime(run.startedAt)}
        </div>
      </div>
    </Link>
  );
}

type Metric = { label: string; a: string; b: string; differs: boolean; delta?: string };

function metrics(a: RunListItem, b: RunListItem): Metric[] {
  const pct = (x: number, y: number) => {
    if (!x || x === y) return undefined;
    const p = Math.round(((y - x) / x) * 100);
    return `${p > 0 ? "+" : ""}${p}%`;
  };
  const row = (label: string, x: string, y: string, delta?: string): Metric => ({ label, a: x, b: y, differs: x !== y, ...(delta ? { delta } : {}) });
  return [
    row("Status", a.status, b.status),
    row("Reason", a.reason ?? "—", b.reason ?? "—"),
    row("Duration", formatDuration(a.durationMs), formatDuration(b.durationMs), pct(a.durationMs, b.durationMs)),
    row("Cost", formatCost(a.costUsd), formatCost(b.costUsd), pct(a.costUsd, b.costUsd)),
    row("Tokens", a.tokens.toLocaleString(), b.tokens.toLocaleString(), pct(a.tokens, b.tokens)),
    row("LLM calls", String(a.llmCalls), String(b.llmCalls)),
    row("Steps", String(a.stepCount), String(b.stepCount)),
  ];
}

function outputText(side: StepSideItem | null): string {
  if (!side) return "";
  if (side.output === null || side.output === undefined) return side.error ?? "";
  return JSON.stringify(side.output, null, 2);
}

function SideCell({ side, differs }: { side: StepSideItem | null; differs: boolean }) {
  if (!side) return <td className="hx-cmp-cell is-missing">Not in this run</td>;
  return (
    <td className={`hx-cmp-cell${differs ? " is-diff" : ""}`}>
      <div className="hx-cmp-cell-head">
        <StatusBadge status={side.status} compact />
        <span className="mono hx-dim">
          {formatDuration(side.durationMs)}
          {side.attempts > 1 ? ` · ${side.attempts} attempts` : ""}
        </span>
        {side.reusedFrom ? <span className="hx-tag">reused</span> : null}
      </div>
      {side.error ? <div className="hx-error-text hx-cmp-error">{side.error}</div> : null}
      {side.output !== null && side.output !== undefined ? <pre className="hx-pre hx-cmp-pre">{JSON.stringify(side.output, null, 2)}</pre> : null}
    </td>
  );
}

export function CompareView() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const a = params.get("a") ?? "";
  const b = params.get("b") ?? "";
  const [cmp, setCmp] = useState<RunCompare | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [onlyDiff, setOnlyDiff] = useState(false);

  useEffect(() => {
    historyIpc.diffRuns(a, b).then(
      (c) => {
        setCmp(c);
        setError(null);
      },
      (e: ApiError) => setError(e),
    );
  }, [a, b]);

  const steps = cmp?.steps.filter((s) => !onlyDiff || !s.sameStatus || !s.sameOutput) ?? [];
  const differing = cmp?.steps.filter((s) => !s.sameStatus || !s.sameOutput).length ?? 0;

  return (
    <div className="page page-wide hx" data-testid="page-history">
      <Link to="/history" className="hx-back">
        <ArrowLeft size={15} aria-hidden /> History
      </Link>
      <header className="hx-header">
        <div>
          <h1 data-testid="page-title-compare">Compare runs</h1>
          <p className="page-subtitle">
            {cmp ? `${differing} of ${cmp.steps.length} steps differ` : "Two runs side by side: status, outputs, timings and usage."}
          </p>
        </div>
        <div className="hx-actions">
          <label className="hx-toggle">
            <input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.target.checked)} data-testid="compare-only-diff" />
            Only differences
          </label>
          <button type="button" className="hx-btn" onClick={() => navigate(`/history/compare?a=${encodeURIComponent(b)}&b=${encodeURIComponent(a)}`, { replace: true })}>
            <ArrowLeftRight size={15} aria-hidden /> Swap
          </button>
        </div>
      </header>
      {error ? (
        <section className="card error-card" role="alert" data-testid="compare-error">
          <div>
            <strong>These runs cannot be compared.</strong>
            <p>{error.message}</p>
          </div>
        </section>
      ) : null}
      {cmp ? (
        <div data-testid="compare-view">
          <div className="hx-cmp-runs">
            <RunCard run={cmp.a} side="A" />
            <RunCard run={cmp.b} side="B" />
          </div>
          <section className="hx-card hx-table-wrap">
            <table className="hx-table hx-cmp-metrics" data-testid="compare-metrics">
              <thead>
                <tr>
                  <th />
                  <th>A</th>
                  <th>B</th>
                </tr>
              </thead>
              <tbody>
                {metrics(cmp.a, cmp.b).map((m) => (
                  <tr key={m.label} className={m.differs ? "is-diff" : ""} data-differs={m.differs}>
                    <th scope="row">{m.label}</th>
                    <td className="mono">{m.label === "Status" ? <StatusBadge status={m.a} compact /> : m.a}</td>
                    <td className="mono">
                      {m.label === "Status" ? <StatusBadge status={m.b} compact /> : m.b}
                      {m.delta ? <span className="hx-delta">{m.delta}</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section className="hx-card hx-table-wrap">
            <table className="hx-table hx-cmp-steps" data-testid="compare-steps">
              <thead>
                <tr>
                  <th>Step</th>
                  <th>A</th>
                  <th>B</th>
                </tr>
              </thead>
              <tbody>
                {steps.map((s) => {
                  const same = s.sameStatus && s.sameOutput;
                  return (
                    <tr key={s.stepId} className={same ? "" : "is-diff"} data-testid={`compare-step-${s.stepId}`} data-same={same}>
                      <th scope="row" className="hx-cmp-step">
                        <span className="mono">{s.stepId}</span>
                        {same ? (
                          <span className="hx-same" title="Same status and output">
                            <Equal size={12} aria-hidden /> same
                          </span>
                        ) : (
                          <span className="hx-differs">{!s.a ? "only in B" : !s.b ? "only in A" : !s.sameStatus ? "status differs" : "output differs"}</span>
                        )}
                      </th>
                      <SideCell side={s.a} differs={!same && outputText(s.a) !== outputText(s.b)} />
                      <SideCell side={s.b} differs={!same && outputText(s.a) !== outputText(s.b)} />
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {steps.length === 0 ? <div className="hx-no-match">No step differs.</div> : null}
          </section>
        </div>
      ) : !error ? (
        <div className="hx-loading">Comparing…</div>
      ) : null}
    </div>
  );
}
