import { ArrowLeft, FolderOpen, ListTree, Play, RotateCcw } from "lucide-react";
import { Fragment, useCallback, useEffect, useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { CopyButton } from "../../components/CopyButton";
import { DagView, type DagNodeData } from "../../components/dag";
import { historyIpc, type ApiError, type RunDetail, type RunStepItem } from "../../ipc";
import { EvidenceInspector } from "./EvidenceInspector";
import { formatDateTime } from "../../lib/dates";
import { FINAL_RUN_STATUSES, formatCost, formatDuration, shortId } from "./format";
import { ResumeDialog } from "./ResumeDialog";
import { StatusBadge } from "./StatusBadge";
import { SimulatedTag } from "../../components/SimulatedTag";

/** Step statuses as the shared DAG names them. */
function dagStatus(status: string): string {
  return status === "success" ? "succeeded" : status;
}

function stepBadge(s: RunStepItem): string | undefined {
  if (s.reusedFrom) return "reused";
  if (s.attempts > 1) return `×${s.attempts}`;
  if (s.status === "success" || s.status === "failed") return formatDuration(s.durationMs);
  return undefined;
}

function Output({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span className="muted">No output</span>;
  return <pre className="hx-pre">{JSON.stringify(value, null, 2)}</pre>;
}

function StepsTable({ steps, selected, onSelect }: { steps: RunStepItem[]; selected: string | undefined; onSelect: (id: string | undefined) => void }) {
  return (
    <table className="hx-table hx-steps" data-testid="run-steps">
      <thead>
        <tr>
          <th>Status</th>
          <th>Step</th>
          <th>Type</th>
          <th className="num">Attempts</th>
          <th className="num">Duration</th>
          <th>Note</th>
        </tr>
      </thead>
      <tbody>
        {steps.map((s) => {
          const open = selected === s.id;
          return (
            <Fragment key={s.id}>
              <tr
                className={`hx-row${open ? " is-selected" : ""}`}
                onClick={() => onSelect(open ? undefined : s.id)}
                onKeyDown={(e) => {
                  if (e.key === "Enter") onSelect(open ? undefined : s.id);
                }}
                tabIndex={0}
                aria-expanded={open}
                data-testid={`step-row-${s.id}`}
                data-status={s.status}
              >
                <td>
                  <StatusBadge status={s.status} compact />
                </td>
                <td>
                  <div className="hx-mission-name">
                    {s.name ?? s.id} {s.simulated ? <SimulatedTag why={s.simulated} testId={`step-simulated-${s.id}`} size={11} /> : null}
                  </div>
                  {s.name ? <div className="hx-mission-sub mono">{s.id}</div> : null}
                </td>
                <td className="mono hx-dim">{s.stepType}</td>
                <td className="num mono">{s.attempts}</td>
                <td className="num mono">{s.startedAt ? formatDuration(s.durationMs) : "—"}</td>
                <td className="hx-note">
                  {s.error ? (
                    <span className="hx-error-text" title={s.error}>
                      {s.error}
                    </span>
                  ) : s.reusedFrom ? (
                    <span className="hx-dim">Output reused from run {shortId(s.reusedFrom)}</span>
                  ) : null}
                </td>
              </tr>
              {open ? (
                <tr className="hx-step-detail">
                  <td colSpan={6}>
                    <div className="hx-step-detail-grid">
                      <div>
                        <div className="hx-label">Output</div>
                        <Output value={s.output} />
                      </div>
                      <dl className="hx-kv">
                        <dt>Started</dt>
                        <dd>{formatDateTime(s.startedAt, { seconds: true })}</dd>
                        <dt>Finished</dt>
                        <dd>{formatDateTime(s.finishedAt, { seconds: true })}</dd>
                        <dt>Depends on</dt>
                        <dd className="mono">{s.dependsOn.length ? s.dependsOn.join(", ") : "—"}</dd>
                        {s.error ? (
                          <>
                            <dt>Error</dt>
                            <dd className="hx-error-text">{s.error}</dd>
                          </>
                        ) : null}
                      </dl>
                    </div>
                  </td>
                </tr>
              ) : null}
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}

export function RunDetailView({ tab }: { tab: "overview" | "evidence" }) {
  const { runId = "" } = useParams();
  const navigate = useNavigate();
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [selected, setSelected] = useState<string | undefined>();
  const [resuming, setResuming] = useState(false);
  const [resumeError, setResumeError] = useState<string | null>(null);
  const [openError, setOpenError] = useState<string | null>(null);

  const load = useCallback(() => {
    historyIpc.getRun(runId).then(
      (d) => {
        setDetail(d);
        setError(null);
      },
      (e: ApiError) => setError(e),
    );
  }, [runId]);
  useEffect(load, [load]);

  const live = detail ? !FINAL_RUN_STATUSES.has(detail.run.status) : false;
  useEffect(() => {
    if (!live) return;
    const t = window.setInterval(load, 1000);
    return () => window.clearInterval(t);
  }, [live, load]);

  const nodes: DagNodeData[] = useMemo(
    () =>
      (detail?.steps ?? []).map((s) => {
        const badge = stepBadge(s);
        return { id: s.id, label: s.name ?? s.id, stepType: s.stepType, status: dagStatus(s.status), ...(badge ? { badge } : {}) };
      }),
    [detail],
  );
  const edges = useMemo(
    () => (detail?.steps ?? []).flatMap((s) => s.dependsOn.map((d) => ({ source: d, target: s.id }))),
    [detail],
  );

  // Resume opens the perimeter first (and offers the current mission file when it changed).
  const resume = () => {
    setResumeError(null);
    setResuming(true);
  };

  const openFolder = () => {
    setOpenError(null);
    historyIpc.openEvidenceFolder(runId).catch((e: ApiError) => setOpenError(e.message));
  };

  if (error) {
    return (
      <div className="page page-wide hx" data-testid="page-history">
        <Link to="/history" className="hx-back">
          <ArrowLeft size={15} aria-hidden /> History
        </Link>
        <section className="card error-card" role="alert" data-testid="run-error">
          <div>
            <strong>{error.code === "not_found" ? "This run is not in the history." : "The run could not be read."}</strong>
            <p>{error.message}</p>
          </div>
        </section>
      </div>
    );
  }
  if (!detail) {
    return (
      <div className="page page-wide hx" data-testid="page-history">
        <div className="hx-loading">Loading the run…</div>
      </div>
    );
  }

  const { run } = detail;
  const counts = detail.steps.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s.status]: (acc[s.status] ?? 0) + 1 }), {});
  const base = `/history/${encodeURIComponent(run.runId)}`;

  return (
    <div className="page page-wide hx" data-testid="page-history">
      <Link to="/history" className="hx-back" data-testid="run-back">
        <ArrowLeft size={15} aria-hidden /> History
      </Link>
      <header className="hx-run-header" data-testid="run-detail" data-run-id={run.runId} data-status={run.status}>
        <div className="hx-run-title">
          <StatusBadge status={run.status} testId="run-status" />
          <h1 data-testid="page-title-run">{run.missionName || run.missionId}</h1>
          {run.sector !== "default" ? <span className="hx-sector">{run.sector}</span> : null}
          {run.simulated ? (
            <SimulatedTag
              testId="run-simulated"
              label="Simulated answers"
              title={`Not real answers: ${detail.steps
                .filter((s) => s.simulated)
                .map((s) => s.id)
                .join(", ")}`}
            />
          ) : null}
        </div>
        <div className="hx-run-id">
          <span className="mono">{run.runId}</span>
          <CopyButton value={run.runId} label="run id" />
          {run.resumedFrom ? (
            <Link className="hx-link" to={`/history/${encodeURIComponent(run.resumedFrom)}`} data-testid="run-resumed-from">
              resumes {shortId(run.resumedFrom)}
            </Link>
          ) : null}
          {detail.resumedBy.map((id) => (
            <Link key={id} className="hx-link" to={`/history/${encodeURIComponent(id)}`} data-testid="run-resumed-by">
              resumed by {shortId(id)}
            </Link>
          ))}
        </div>
        {run.reason && run.status !== "completed" ? (
          <p className={`hx-run-reason tone-${run.status === "cancelled" ? "warn" : "bad"}`} data-testid="run-reason">
            {run.reason}
          </p>
        ) : null}
        <div className="hx-run-actions">
          {detail.resumable ? (
            <button type="button" className="hx-btn hx-btn-primary" onClick={resume} disabled={resuming} data-testid="run-resume">
              <RotateCcw size={15} aria-hidden /> Resume from failure…
            </button>
          ) : null}
          {live ? (
            <Link className="hx-btn" to={`/runs/${encodeURIComponent(runId)}`} data-testid="run-watch-live">
              <Play size={15} aria-hidden /> Watch live
            </Link>
          ) : null}
          <button type="button" className="hx-btn" onClick={openFolder} disabled={!run.evidenceDir} data-testid="run-open-folder">
            <FolderOpen size={15} aria-hidden /> Open folder
          </button>
        </div>
        {resumeError ? (
          <p className="error-text" role="alert" data-testid="run-resume-error">
            {resumeError}
          </p>
        ) : null}
        {resuming ? (
          <ResumeDialog
            runId={runId}
            onClose={() => setResuming(false)}
            onStarted={(started) => {
              setResuming(false);
              navigate(`/runs/${encodeURIComponent(started.runId)}`);
            }}
          />
        ) : null}
        {openError ? (
          <p className="error-text" role="alert">
            {openError}
          </p>
        ) : null}
      </header>

      <dl className="hx-stats" data-testid="run-usage">
        <div>
          <dt>Started</dt>
          <dd>{formatDateTime(run.startedAt, { seconds: true })}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd className="mono">{formatDuration(run.durationMs)}</dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd className="mono">{formatCost(run.costUsd)}</dd>
        </div>
        <div>
          <dt>Tokens</dt>
          <dd className="mono">{run.tokens.toLocaleString()}</dd>
        </div>
        <div>
          <dt>LLM calls</dt>
          <dd className="mono">{run.llmCalls}</dd>
        </div>
        <div>
          <dt>Steps</dt>
          <dd className="hx-step-counts">
            {(["success", "failed", "skipped", "cancelled", "pending"] as const)
              .filter((s) => counts[s])
              .map((s) => (
                <span key={s} className={`hx-count tone-${s === "success" ? "ok" : s === "failed" ? "bad" : s === "cancelled" ? "warn" : "muted"}`}>
                  {counts[s]} {s}
                </span>
              ))}
          </dd>
        </div>
      </dl>

      <nav className="hx-tabs" aria-label="Run views">
        <Link to={base} className={`hx-tab${tab === "overview" ? " is-active" : ""}`} data-testid="tab-overview" aria-current={tab === "overview" ? "page" : undefined}>
          <ListTree size={15} aria-hidden /> Steps
        </Link>
        <Link to={`${base}/evidence`} className={`hx-tab${tab === "evidence" ? " is-active" : ""}`} data-testid="tab-evidence" aria-current={tab === "evidence" ? "page" : undefined}>
          <FolderOpen size={15} aria-hidden /> Evidence
        </Link>
      </nav>

      {tab === "overview" ? (
        <>
          <section className="hx-card hx-dag-card">
            <DagView
              nodes={nodes}
              edges={edges}
              onNodeClick={(id) => setSelected((s) => (s === id ? undefined : id))}
              selectedId={selected}
              controls
              height={Math.min(420, Math.max(220, 90 + 70 * Math.min(6, detail.steps.length)))}
              testId="run-dag"
              ariaLabel="The run's steps with their final states"
            />
          </section>
          <section className="hx-card hx-table-wrap">
            <StepsTable steps={detail.steps} selected={selected} onSelect={setSelected} />
          </section>
        </>
      ) : (
        <EvidenceInspector runId={run.runId} live={live} />
      )}
    </div>
  );
}
