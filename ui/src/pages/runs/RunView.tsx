// One run, live: the mission's DAG (following the running steps) with each step's status, the
// counts by status, budget gauges, approvals and who answered them, the event log, a Cancel
// button while the run goes on — and once it ended, how and why, with links to its result and
// evidence — and a drawer with a step's details.
import { ArrowLeft, CircleStop, FlaskConical, History as HistoryIcon, ListTree, Server, X } from "lucide-react";
import { memo, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { SIMULATED_WHY } from "../../components/SimulatedTag";
import { Link } from "react-router";
import { CopyButton } from "../../components/CopyButton";
import { DagView, StatusIcon, StepTypeIcon, type DagNodeData } from "../../components/dag";
import { runsIpc, toApiError, type ApprovalDto, type RunViewDto, type StepDetailDto } from "../../ipc";
import { AgentTimeline } from "./AgentTimeline";
import type { AgentRecord } from "./agentTimeline";
import { ApprovalCard } from "./ApprovalCard";
import { formatClock, formatDuration, formatUsd } from "./format";
import { Gauges } from "./Gauges";
import { RunDecisions, RunOutcome } from "./RunOutcome";
import { workerLabel } from "./stepWorker";
import { PlanPanel, StatePanel } from "./StatePlanPanels";
import {
  countParts,
  isFinalStep,
  runStepCounts,
  stepsToFollow,
  type LogEntry,
  type RunState,
  type StepState,
} from "./runState";
import { useNow, useRunStream } from "./useRunStream";
import { usePendingApprovals } from "./usePendingApprovals";
import { useThrottled } from "./useThrottled";

const LARGE_GRAPH = 150;
/**
 * The graph fits in its box when it can at this zoom or more (labels of 14 px stay at least
 * 10.5 px on screen; a three-step chain fits a 1280 px window); a longer graph opens at this zoom
 * on its first steps, and the view follows the running steps.
 */
const READABLE_ZOOM = 0.75;
/**
 * While a large run goes on, the header, gauges and event log follow it once a second (the nodes
 * follow every frame). Painted without compositing, a change of their text or of the log's rows
 * still costs a frame of about 90 ms beside a large graph (a node's change: about 16 ms): at four
 * updates a second those frames were one in ten (frame p95 75-100 ms), at one a second they are
 * under one in twenty (p95 28-33 ms).
 */
const LARGE_RUN_PANEL_MS = 1000;

/** Node data built for a step state object: a step that did not change keeps its node. */
const nodeCache = new WeakMap<StepState, RunNodeData>();

function blankStep(id: string): StepState {
  return { id, status: "pending", attempts: 0, startedAt: null, finishedAt: null, costUsd: 0, changedAt: null };
}

// ---------- the node ----------

type RunNodeData = DagNodeData & { step: StepState; large: boolean };

function Elapsed({ since }: { since: number }) {
  const now = useNow(true);
  return <>{formatDuration(Math.max(0, now - since))}</>;
}

const RunNodeBody = memo(function RunNodeBody({ data }: { data: RunNodeData }) {
  const s = data.step;
  const meta: string[] = [];
  if (s.attempts > 1) meta.push(`×${s.attempts}`);
  if (s.costUsd > 0) meta.push(formatUsd(s.costUsd));
  return (
    <>
      <span className="dag-node-icon" aria-hidden>
        <StepTypeIcon stepType={data.stepType} size={14} />
      </span>
      <span className="dag-node-text">
        <span className="dag-node-label" title={data.label}>
          {data.label}
        </span>
        <span className="run-node-meta">
          <span className="dag-node-type">{data.stepType}</span>
          {s.status === "running" && s.startedAt !== null && !data.large ? (
            <span className="run-node-elapsed">
              <Elapsed since={s.startedAt} />
            </span>
          ) : s.finishedAt !== null && s.startedAt !== null && isFinalStep(s.status) ? (
            <span className="run-node-time">{formatDuration(s.finishedAt - s.startedAt)}</span>
          ) : null}
          {meta.length > 0 ? <span className="run-node-extra">{meta.join(" · ")}</span> : null}
          {s.worker && !data.large ? (
            <span className="run-node-worker" title={`Run by worker ${workerLabel(s.worker)}`} data-testid={`run-node-worker-${s.id}`}>
              <Server size={10} aria-hidden />
              <span className="run-node-worker-id">{s.worker.workerId}</span>
            </span>
          ) : null}
        </span>
      </span>
      <span
        className={`dag-node-status run-status status-${s.status}`}
        title={s.status}
        aria-label={s.status}
        data-step-status={s.status}
        data-changed-at={s.changedAt ?? undefined}
      >
        <StatusIcon status={s.status} size={14} still={data.large} />
      </span>
    </>
  );
});

function renderRunNode(data: DagNodeData) {
  return <RunNodeBody data={data as RunNodeData} />;
}

// ---------- event log ----------

/** The summary without the "step `id` " the row already shows as a link. */
function stepSummary(l: LogEntry): string {
  const prefix = `step \`${l.stepId}\` `;
  return l.stepId && l.summary.startsWith(prefix) ? l.summary.slice(prefix.length) : l.summary;
}

/** One row of the log; rows never change once written, so they render once. */
const EventRow = memo(function EventRow({ l, onPick }: { l: LogEntry; onPick: (id: string) => void }) {
  return (
    <div className={`event-row ev-${l.stepStatus ?? l.phase}`}>
      <span className="event-seq mono">{l.seq}</span>
      <span className="event-time mono">{l.at ? formatClock(l.at) : ""}</span>
      <span className="event-icon" aria-hidden>
        {l.stepStatus ? <StatusIcon status={l.stepStatus} size={12} still /> : null}
      </span>
      <span className="event-text">
        {l.stepId ? (
          <button type="button" className="event-step" onClick={() => onPick(l.stepId ?? "")}>
            {l.stepId}
          </button>
        ) : (
          <span className="event-kind">{l.eventType.replace("mission.", "")}</span>
        )}{" "}
        {stepSummary(l)}
      </span>
    </div>
  );
});

/** The log shows the newest events only: a large mission's thousands of rows would slow every frame. */
const LOG_SHOWN = 400;
/**
 * While a large run goes on, the log shows only its newest rows (about a panel's height): every
 * row in the page made each frame of the live view slower (no rows: 17 ms a frame; 60: 64 ms;
 * 400: 120–250 ms). All the newest rows show again once the run ends.
 */
const LOG_LIVE_TAIL = 24;

const EventLog = memo(function EventLog({
  log,
  onPick,
  shown = LOG_SHOWN,
}: {
  log: LogEntry[];
  onPick: (id: string) => void;
  shown?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [log]);
  return (
    <div
      className="event-log"
      ref={box}
      data-testid="event-log"
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      }}
    >
      {/* The rows change below a wrapper: changes of the contained box's own children would lay
          out the page again (see runs.css). */}
      <div className="event-rows">
        {log.length === 0 ? <p className="muted event-empty">Waiting for the first event…</p> : null}
        {log.length > shown ? (
          <p className="muted event-empty" data-testid="event-log-earlier">
            {shown < LOG_SHOWN
              ? `The newest events while the run goes on; the earlier ones show when it ends, and the run's History page and events.jsonl hold them all.`
              : `${log.length - shown} earlier events: the run's History page and events.jsonl hold them all.`}
          </p>
        ) : null}
        {(log.length > shown ? log.slice(-shown) : log).map((l) => (
          <EventRow key={l.seq} l={l} onPick={onPick} />
        ))}
      </div>
    </div>
  );
});

// ---------- step drawer ----------

function tail(text: string, lines = 40): string {
  const all = text.split("\n");
  return all.length > lines ? `… ${all.length - lines} earlier lines\n` + all.slice(-lines).join("\n") : text;
}

function StepDrawer({
  runId,
  stepId,
  step,
  agentRecords,
  onClose,
}: {
  runId: string;
  stepId: string;
  step: StepState | undefined;
  agentRecords: readonly AgentRecord[] | undefined;
  onClose: () => void;
}) {
  const [detail, setDetail] = useState<StepDetailDto | null>(null);
  const [error, setError] = useState<string | null>(null);
  const status = step?.status;
  useEffect(() => {
    let alive = true;
    runsIpc
      .stepDetail(runId, stepId)
      .then((d) => alive && setDetail(d))
      .catch((e) => alive && setError(toApiError(e).message));
    return () => {
      alive = false;
    };
  }, [runId, stepId, status]);
  const out = detail?.output as Record<string, unknown> | null | undefined;
  const stdout = typeof out?.stdout === "string" ? out.stdout : null;
  const stderr = typeof out?.stderr === "string" ? out.stderr : null;
  const running = status === "running";
  const now = useNow(running);
  const d = detail?.step;
  return (
    <aside className="step-drawer" data-testid="step-drawer" aria-label={`Step ${stepId}`}>
      <header className="drawer-head">
        <div className="drawer-title">
          <StatusIcon status={status ?? "pending"} size={16} />
          <div>
            <div className="drawer-name">{d?.name ?? stepId}</div>
            <div className="drawer-id mono">
              {stepId} · {d?.stepType ?? ""}
            </div>
          </div>
        </div>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close the step drawer">
          <X size={15} />
        </button>
      </header>
      {error ? <p className="error-text">{error}</p> : null}
      <div className="drawer-body">
        <dl className="drawer-facts">
          <dt>Status</dt>
          <dd>
            <span className={`status-pill status-${status ?? "pending"}`}>{status ?? "pending"}</span>
          </dd>
          {step?.worker ? (
            <>
              <dt>Worker</dt>
              <dd data-testid="step-worker">
                <span className="drawer-worker" title={`The squad worker that ran attempt ${step.worker.attempt ?? "?"}`}>
                  <Server size={12} aria-hidden /> <span className="mono">{step.worker.workerId}</span>
                  {step.worker.dept ? <span className="muted"> (dept {step.worker.dept})</span> : null}
                </span>
              </dd>
            </>
          ) : null}
          <dt>Attempts</dt>
          <dd>{Math.max(step?.attempts ?? 0, d?.attempts ?? 0)}</dd>
          <dt>Started</dt>
          <dd className="mono">{step?.startedAt ? formatClock(step.startedAt) : "—"}</dd>
          <dt>Duration</dt>
          <dd className="mono">
            {running && step?.startedAt
              ? formatDuration(now - step.startedAt)
              : d && d.durationMs > 0
                ? formatDuration(d.durationMs)
                : step?.finishedAt && step.startedAt
                  ? formatDuration(step.finishedAt - step.startedAt)
                  : "—"}
          </dd>
          {d?.timeoutSeconds ? (
            <>
              <dt>Timeout</dt>
              <dd className="mono">{d.timeoutSeconds} s</dd>
            </>
          ) : null}
          {step && step.costUsd > 0 ? (
            <>
              <dt>Cost</dt>
              <dd className="mono">{formatUsd(step.costUsd)}</dd>
            </>
          ) : null}
          {d?.dependsOn.length ? (
            <>
              <dt>Depends on</dt>
              <dd className="mono">{d.dependsOn.join(", ")}</dd>
            </>
          ) : null}
          {detail?.reusedFrom ? (
            <>
              <dt>Reused from</dt>
              <dd className="mono">{detail.reusedFrom}</dd>
            </>
          ) : null}
          {d?.simulated ? (
            <>
              <dt>Answer</dt>
              <dd>
                <span className="sim-pill" data-testid="step-simulated" data-why={d.simulated} title={SIMULATED_WHY[d.simulated]}>
                  <FlaskConical size={12} aria-hidden /> {d.simulated === "model" ? "Simulated model" : "Simulation block"}
                </span>
                <div className="drawer-note">{SIMULATED_WHY[d.simulated]}</div>
              </dd>
            </>
          ) : null}
        </dl>
        {d?.stepType === "agent" || (agentRecords?.length ?? 0) > 0 ? (
          <section className="drawer-section">
            <h4>Agent timeline</h4>
            <AgentTimeline records={agentRecords} output={out} />
          </section>
        ) : null}
        {detail?.error ? (
          <section className="drawer-section">
            <h4>Error</h4>
            <pre className="drawer-pre drawer-error" data-testid="step-error">
              {detail.error}
            </pre>
          </section>
        ) : null}
        {detail?.resolvedParameters ? (
          <section className="drawer-section">
            <h4>Resolved parameters</h4>
            <pre className="drawer-pre">{JSON.stringify(detail.resolvedParameters, null, 2)}</pre>
          </section>
        ) : null}
        <section className="drawer-section">
          <h4>{detail?.resolvedParameters ? "Declared parameters" : "Parameters"}</h4>
          <pre className="drawer-pre">{detail ? JSON.stringify(detail.parameters, null, 2) : "…"}</pre>
        </section>
        {stdout !== null ? (
          <section className="drawer-section">
            <h4>stdout (tail)</h4>
            <pre className="drawer-pre" data-testid="step-stdout">
              {stdout === "" ? "(empty)" : tail(stdout)}
            </pre>
          </section>
        ) : null}
        {stderr ? (
          <section className="drawer-section">
            <h4>stderr (tail)</h4>
            <pre className="drawer-pre drawer-error">{tail(stderr)}</pre>
          </section>
        ) : null}
        {out !== undefined && out !== null ? (
          <section className="drawer-section">
            <h4>Output</h4>
            <pre className="drawer-pre">{JSON.stringify(out, null, 2)}</pre>
          </section>
        ) : null}
      </div>
    </aside>
  );
}

// ---------- the view ----------

const RUN_STATUS_LABEL: Record<string, string> = {
  queued: "Queued",
  running: "Running",
  blocked: "Waiting for approval",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
  timed_out: "Timed out",
};

export function RunView({ runId }: { runId: string }) {
  const [view, setView] = useState<RunViewDto | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [cancelError, setCancelError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    runsIpc
      .runView(runId)
      .then((v) => alive && setView(v))
      .catch((e) => alive && setLoadError(toApiError(e).message));
    return () => {
      alive = false;
    };
  }, [runId]);

  // Keyed by the ids themselves: reading the view again at the end does not restart the stream.
  const stepKey = view ? JSON.stringify(view.steps.map((s) => s.id)) : null;
  const stepIds = useMemo(() => (stepKey === null ? null : (JSON.parse(stepKey) as string[])), [stepKey]);
  const { state, error: streamError } = useRunStream(runId, stepIds);
  const ended = state?.final ?? false;
  useEffect(() => {
    // What only the end knows (which answers were simulated, the evidence folder): read again.
    if (!ended) return;
    let alive = true;
    runsIpc
      .runView(runId)
      .then((v) => alive && setView(v))
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, [runId, ended]);
  // Who answered an approval (and their note) is read again each time a step stops waiting.
  const blockedNow = state ? runStepCounts(state).blocked : 0;
  const blockedBefore = useRef(blockedNow);
  useEffect(() => {
    const before = blockedBefore.current;
    blockedBefore.current = blockedNow;
    if (blockedNow >= before) return;
    let alive = true;
    runsIpc
      .runView(runId)
      .then((v) => alive && setView(v))
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, [runId, blockedNow]);
  const simulatedSteps = useMemo(() => (view ? view.steps.filter((s) => s.simulated) : []), [view]);
  const { approvals, answer } = usePendingApprovals();
  const mine = useMemo(() => approvals.filter((a) => a.runId === runId), [approvals, runId]);

  const edges = useMemo(
    () => (view ? view.steps.flatMap((s) => s.dependsOn.map((d) => ({ source: d, target: s.id }))) : []),
    [view],
  );
  const large = (view?.steps.length ?? 0) > LARGE_GRAPH;
  // What the panels around the graph show: the same state, at a calmer pace during a large run.
  const panel = useThrottled(state, LARGE_RUN_PANEL_MS, large && !(state?.final ?? false));
  // Node data objects are rebuilt only for steps whose state object changed.
  const nodes = useMemo(() => {
    if (!view || !state) return [];
    return view.steps.map((s) => {
      const step = state.steps[s.id] ?? blankStep(s.id);
      const hit = nodeCache.get(step);
      if (hit) return hit;
      const node: RunNodeData = {
        id: s.id,
        label: s.name ?? s.id,
        stepType: s.stepType,
        status: step.status,
        step,
        large,
        ...(step.status === "blocked" ? { badge: "approval" } : {}),
      };
      nodeCache.set(step, node);
      return node;
    });
  }, [view, state, large]);

  // The steps the graph keeps in view (see `stepsToFollow`).
  const followKey = state ? stepsToFollow(Object.values(state.steps), state.final).join("\u0000") : "";
  const follow = useMemo(() => (followKey ? followKey.split("\u0000") : []), [followKey]);

  const onCancel = useCallback(async () => {
    setCancelling(true);
    setCancelError(null);
    try {
      await runsIpc.cancelRun(runId);
    } catch (e) {
      setCancelError(toApiError(e).message);
      setCancelling(false);
    }
  }, [runId]);

  if (loadError) {
    return (
      <div className="page run-page" data-testid="run-view">
        <Link to="/runs" className="back-link">
          <ArrowLeft size={14} /> Runs
        </Link>
        <div className="card error-card">
          <div>
            <strong>This run cannot be shown</strong>
            <p>{loadError}</p>
          </div>
        </div>
      </div>
    );
  }

  const status = state?.status ?? (view?.status as RunState["status"] | undefined) ?? "queued";
  const final = state?.final ?? false;
  const counts = panel ? runStepCounts(panel) : null;
  const total = counts?.total ?? view?.steps.length ?? 0;
  const endedSteps = counts?.ended ?? 0;

  return (
    <div className={`run-page${large ? " run-page-large" : ""}${mine.length > 0 ? " run-page-asking" : ""}`} data-testid="run-view" data-run-status={status} data-final={final ? "true" : "false"} data-last-seq={state?.lastSeq ?? 0}>
      <header className="run-header">
        <div className="run-header-main">
          <Link to="/runs" className="back-link" aria-label="Back to the runs">
            <ArrowLeft size={14} /> Runs
          </Link>
          <div className="run-title-row">
            <h1 className="run-title" data-testid="page-title">
              {view?.missionName ?? "Run"}
            </h1>
            <span className={`status-pill status-${status}`} data-testid="run-status">
              <StatusIcon status={status === "blocked" ? "blocked" : status} size={13} />
              {RUN_STATUS_LABEL[status] ?? status}
            </span>
            {simulatedSteps.length > 0 || view?.simulateLlm ? (
              <span
                className="sim-pill"
                data-testid="run-simulated"
                title={
                  view?.simulateLlm
                    ? "Every model call of this run was answered by the built-in simulated provider (the Settings switch or --simulate-llm): the answers are not a model's."
                    : `Not real answers: ${simulatedSteps.map((s) => `${s.id} (${SIMULATED_WHY[s.simulated ?? "model"]})`).join(", ")}.`
                }
              >
                <FlaskConical size={13} aria-hidden /> {view?.simulateLlm ? "Simulated models" : "Simulated answers"}
              </span>
            ) : null}
          </div>
          <div className="run-sub">
            <span className="mono run-id">{runId}</span>
            <CopyButton value={runId} label="Copy the run id" />
            {counts ? (
              <span className="run-progress-text has-counts">
                <span
                  className="run-counts"
                  data-testid="run-counts"
                  data-done={counts.done}
                  data-failed={counts.failed}
                  data-skipped={counts.skipped}
                  data-cancelled={counts.cancelled}
                  data-not-started={counts.notStarted}
                  data-total={counts.total}
                >
                  {countParts(counts).map((p) => (
                    <span key={p.key} className={`run-count tone-${p.tone}`}>
                      {p.text}
                    </span>
                  ))}
                </span>
              </span>
            ) : null}
          </div>
        </div>
        <div className="run-actions">
          <Link to="/history" className="rbtn rbtn-ghost" title="All runs in the history">
            <HistoryIcon size={15} aria-hidden /> History
          </Link>
          {final ? null : (
            <button
              type="button"
              className="rbtn rbtn-danger"
              onClick={() => void onCancel()}
              disabled={cancelling || !view?.live}
              data-testid="cancel-run"
              title={
                view && !view.live
                  ? "This run was not started from this window: stop it where it runs (Ctrl-C for the CLI)"
                  : "Stop the run: running steps are cancelled and their processes killed"
              }
            >
              <CircleStop size={15} aria-hidden /> {cancelling ? "Cancelling…" : "Cancel run"}
            </button>
          )}
        </div>
      </header>
      <div className="run-progress" aria-hidden>
        <div className="run-progress-fill" style={{ width: `${total ? (endedSteps / total) * 100 : 0}%` }} />
      </div>
      {cancelError || streamError ? <p className="error-text run-error">{cancelError ?? streamError}</p> : null}
      {final ? (
        <RunOutcome runId={runId} status={status} outcome={state?.outcome ?? view?.reason ?? null} hasEvidence={Boolean(view?.evidenceDir)} />
      ) : null}
      {view ? <RunDecisions approvals={view.approvals} /> : null}
      {mine.length > 0 ? (
        <div className="run-approvals" data-testid="run-approvals">
          {mine.map((a: ApprovalDto, i: number) => (
            <ApprovalCard key={`${a.runId}/${a.stepId}`} approval={a} autoFocus={i === 0} onAnswer={(ok, note) => answer(a, ok, note)} />
          ))}
        </div>
      ) : null}
      {view && panel ? <Gauges view={view} state={panel} /> : null}
      <div className="run-body">
        <div className="run-graph card-flat">
          {view && state ? (
            <DagView
              nodes={nodes}
              edges={edges}
              renderNode={renderRunNode}
              onNodeClick={setSelected}
              selectedId={selected ?? undefined}
              controls
              height="100%"
              className={large ? "run-dag run-dag-large" : "run-dag"}
              testId="run-dag"
              ariaLabel="The run's step graph"
              onlyRenderVisible={large}
              minFitZoom={READABLE_ZOOM}
              follow={follow}
              settled={final}
            />
          ) : (
            <div className="run-loading muted">Loading the mission…</div>
          )}
        </div>
        <div className="run-side">
          {selected ? (
            <StepDrawer
              runId={runId}
              stepId={selected}
              step={state?.steps[selected]}
              agentRecords={state?.agents?.[selected]}
              onClose={() => setSelected(null)}
            />
          ) : (
            <>
            {view && state ? <PlanPanel steps={view.steps} states={state.steps} /> : null}
            {view && state ? (
              <StatePanel runId={runId} fields={view.stateFields} values={state.stateValues} editable={mine.length > 0 && !final} />
            ) : null}
            <section className="side-panel">
              <header className="side-head">
                <ListTree size={14} aria-hidden /> Events
                <span className="muted side-count">
                  <span>{panel?.lastSeq ?? 0}</span>
                </span>
              </header>
              <EventLog
                log={panel?.log ?? []}
                onPick={setSelected}
                {...(large && !final ? { shown: LOG_LIVE_TAIL } : {})}
              />
            </section>
            </>
          )}
        </div>
      </div>
    </div>
  );
}
