// The Runs page: runs started in this window (live first) and the recent history, approvals
// waiting across runs, and a form to run a mission file. `/runs/:runId` opens one run live.
import { FirstRunTour } from "../components/firstrun/FirstRunTour";
import { Activity, FileCode2, Hand, LayoutTemplate, Play } from "lucide-react";
import { useCallback, useEffect, useMemo, useState, type FormEvent } from "react";
import { Link, Navigate, Route, Routes, useNavigate, useParams, useSearchParams } from "react-router";
import "./runs/runs.css";
import { EmptyState } from "../components/EmptyState";
import { MissionReportView } from "../components/MissionReportView";
import { PageHeader } from "../components/PageHeader";
import { StatusIcon } from "../components/dag";
import { historyIpc, inDesktopApp, runsIpc, toApiError, type ApiError, type LiveRunDto, type RunListItem } from "../ipc";
import { library, type TemplateSummary } from "../ipc/library";
import { formatDateTime } from "../lib/dates";
import { ApprovalCard } from "./runs/ApprovalCard";
import { formatDuration, formatUsd } from "./runs/format";
import { RunView } from "./runs/RunView";
import { usePendingApprovals } from "./runs/usePendingApprovals";

interface Row {
  runId: string;
  missionName: string;
  status: string;
  startedAt: string;
  durationMs: number | null;
  costUsd: number;
  stepCount: number;
  pendingApprovals: number;
  live: boolean;
}

function fromLive(r: LiveRunDto): Row {
  const started = Date.parse(r.startedAt);
  const end = r.finishedAt ? Date.parse(r.finishedAt) : null;
  return {
    runId: r.runId,
    missionName: r.missionName,
    status: r.status,
    startedAt: r.startedAt,
    durationMs: end !== null ? end - started : null,
    costUsd: r.usage.costUsd,
    stepCount: r.stepCount,
    pendingApprovals: r.pendingApprovals,
    live: r.finishedAt === null,
  };
}

function fromHistory(r: RunListItem): Row {
  return {
    runId: r.runId,
    missionName: r.missionName,
    status: r.status,
    startedAt: r.startedAt,
    durationMs: r.finishedAt ? r.durationMs : null,
    costUsd: r.costUsd,
    stepCount: r.stepCount,
    pendingApprovals: 0,
    live: false,
  };
}

/** Why a run could not start: an invalid mission shows every problem as the CLI reports them. */
function RunError({ error, testId }: { error: ApiError | null; testId: string }) {
  if (!error) return null;
  return (
    <div className="run-file-error-box" data-testid={testId} role="alert">
      <p className="error-text run-file-error">{error.message}</p>
      {error.report ? <MissionReportView report={error.report} /> : null}
    </div>
  );
}

function RunFileForm() {
  const navigate = useNavigate();
  const [path, setPath] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!path.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const runId = await runsIpc.startRun({ path: path.trim() });
      navigate(`/runs/${encodeURIComponent(runId)}`);
    } catch (err) {
      setError(toApiError(err));
      setBusy(false);
    }
  };
  return (
    <form className="run-file-form" onSubmit={(e) => void submit(e)}>
      <div className="run-file-row">
        <FileCode2 size={16} aria-hidden className="muted" />
        <input
          type="text"
          className="text-input mono"
          placeholder="/path/to/mission.yaml"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          aria-label="Mission file to run"
          data-testid="run-file-path"
          spellCheck={false}
        />
        <button type="submit" className="rbtn rbtn-primary" disabled={busy || !path.trim()} data-testid="run-file-start">
          <Play size={15} aria-hidden /> {busy ? "Starting…" : "Run"}
        </button>
      </div>
      <RunError error={error} testId="run-file-error" />
    </form>
  );
}

/** Runs a template of the library as it is (its own perimeter), picked by sector and name. */
function RunTemplateForm() {
  const navigate = useNavigate();
  const [templates, setTemplates] = useState<TemplateSummary[] | null>(null);
  const [picked, setPicked] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    if (!inDesktopApp()) return;
    let alive = true;
    library.listTemplates().then(
      (list) => alive && setTemplates(list),
      (e) => alive && setError(toApiError(e)),
    );
    return () => {
      alive = false;
    };
  }, []);
  const groups = useMemo(() => {
    const bySector = new Map<string, TemplateSummary[]>();
    for (const t of templates ?? []) {
      const sector = t.sector ?? "Other";
      bySector.set(sector, [...(bySector.get(sector) ?? []), t]);
    }
    return [...bySector.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([sector, list]) => [sector, list.sort((a, b) => a.name.localeCompare(b.name))] as const);
  }, [templates]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!picked) return;
    setBusy(true);
    setError(null);
    try {
      const runId = await runsIpc.startRun({ templateId: picked });
      navigate(`/runs/${encodeURIComponent(runId)}`);
    } catch (err) {
      setError(toApiError(err));
      setBusy(false);
    }
  };
  return (
    <form className="run-file-form" onSubmit={(e) => void submit(e)}>
      <div className="run-file-row">
        <LayoutTemplate size={16} aria-hidden className="muted" />
        <select
          className="text-input"
          value={picked}
          onChange={(e) => setPicked(e.target.value)}
          aria-label="Template to run"
          data-testid="run-template-select"
          disabled={templates === null || templates.length === 0}
        >
          <option value="">
            {templates === null ? "Loading the library…" : templates.length === 0 ? "No template in the library" : "Pick a template of the library…"}
          </option>
          {groups.map(([sector, list]) => (
            <optgroup key={sector} label={sector}>
              {list.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
        <button type="submit" className="rbtn rbtn-primary" disabled={busy || !picked} data-testid="run-template-start">
          <Play size={15} aria-hidden /> {busy ? "Starting…" : "Run"}
        </button>
      </div>
      <RunError error={error} testId="run-template-error" />
    </form>
  );
}

function RunList() {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { approvals, answer } = usePendingApprovals();
  const load = useCallback(async () => {
    try {
      const [live, recent] = await Promise.all([
        runsIpc.listLiveRuns(),
        historyIpc.listRuns({ limit: 30 }).catch(() => ({ runs: [] as RunListItem[] })),
      ]);
      const seen = new Set(live.map((r) => r.runId));
      setRows([...live.map(fromLive), ...recent.runs.filter((r) => !seen.has(r.runId)).map(fromHistory)]);
    } catch (e) {
      setError(toApiError(e).message);
    }
  }, []);
  useEffect(() => {
    if (!inDesktopApp()) {
      // eslint-disable-next-line react-hooks/set-state-in-effect -- nothing to load outside the app
      setRows([]);
      return;
    }
    void load();
    const t = setInterval(() => void load(), 2000);
    return () => clearInterval(t);
  }, [load]);

  return (
    <div className="page runs-list-page" data-testid="page-runs">
      <PageHeader title="Runs" subtitle="Missions running now and lately: open one to watch its graph live." />
      {approvals.length > 0 ? (
        <section className="runs-approvals" data-testid="pending-approvals">
          <h2 className="section-title">
            <Hand size={15} aria-hidden /> Waiting for your approval <span className="count-badge">{approvals.length}</span>
          </h2>
          {approvals.map((a) => (
            <div key={`${a.runId}/${a.stepId}`} className="runs-approval-wrap">
              <ApprovalCard approval={a} showRun onAnswer={(ok, note) => answer(a, ok, note)} />
              <Link className="runs-approval-open" to={`/runs/${encodeURIComponent(a.runId)}`}>
                Open the run →
              </Link>
            </div>
          ))}
        </section>
      ) : null}
      <section className="run-start card" aria-label="Start a run">
        <RunFileForm />
        <RunTemplateForm />
      </section>
      {error ? <p className="error-text">{error}</p> : null}
      {rows !== null && rows.length === 0 ? (
        <>
          <FirstRunTour show testId="runs-tour" />
          <EmptyState icon={Activity} title="No run yet" testId="runs-empty">
            <p>Run a mission file above, or deploy a template from the Library and run it.</p>
          </EmptyState>
        </>
      ) : null}
      {rows && rows.length > 0 ? (
        <div className="runs-table card" role="table" aria-label="Runs" data-testid="runs-table">
          <div className="runs-row runs-head" role="row">
            <span role="columnheader">Mission</span>
            <span role="columnheader">Status</span>
            <span role="columnheader">Started</span>
            <span role="columnheader" className="num">
              Duration
            </span>
            <span role="columnheader" className="num">
              Cost
            </span>
            <span role="columnheader" className="num">
              Steps
            </span>
          </div>
          {rows.map((r) => (
            <Link
              key={r.runId}
              to={`/runs/${encodeURIComponent(r.runId)}`}
              className="runs-row"
              role="row"
              data-testid={`run-row-${r.runId}`}
            >
              <span className="runs-mission" role="cell">
                <span className="runs-name">{r.missionName}</span>
                <span className="runs-id mono">{r.runId.slice(0, 8)}</span>
              </span>
              <span role="cell">
                <span className={`status-pill status-${r.status}`}>
                  <StatusIcon status={r.status} size={12} /> {r.status.replace("_", " ")}
                </span>
                {r.pendingApprovals > 0 ? <span className="count-badge">{r.pendingApprovals}</span> : null}
                {r.live ? <span className="live-dot" title="Followed live" /> : null}
              </span>
              <span role="cell" className="mono muted">
                {formatDateTime(r.startedAt)}
              </span>
              <span role="cell" className="num mono">
                {r.durationMs === null ? "…" : formatDuration(r.durationMs)}
              </span>
              <span role="cell" className="num mono">
                {formatUsd(r.costUsd)}
              </span>
              <span role="cell" className="num mono">
                {r.stepCount}
              </span>
            </Link>
          ))}
        </div>
      ) : null}
    </div>
  );
}

function RunRoute() {
  const { runId } = useParams();
  if (!runId) return <Navigate to="/runs" replace />;
  return <RunView key={runId} runId={runId} />;
}

function RunsIndex() {
  // The Library links to `/runs?run=<id>`.
  const [params] = useSearchParams();
  const run = params.get("run");
  if (run) return <Navigate to={`/runs/${encodeURIComponent(run)}`} replace />;
  return <RunList />;
}

export function RunsPage() {
  return (
    <Routes>
      <Route index element={<RunsIndex />} />
      <Route path=":runId" element={<RunRoute />} />
    </Routes>
  );
}
