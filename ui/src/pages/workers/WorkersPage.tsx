// The Workers page (DESIGN §13): the department worker pools at the NATS URL of the settings,
// read from their heartbeats about every second while the page is open.
import { AlertTriangle, Cpu, RadioTower, Settings as SettingsIcon, Users } from "lucide-react";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { EmptyState } from "../../components/EmptyState";
import { PageHeader } from "../../components/PageHeader";
import { inDesktopApp, toApiError } from "../../ipc";
import { squad, type DeptWorkersDto, type SquadStatus, type WorkerStatusDto } from "../../ipc/squad";
import { formatDateTime } from "../../lib/dates";
import { formatAgo, jobsLabel, workersView } from "./workersState";
import "./workers.css";

/** How often the page reads the heartbeats. */
export const POLL_MS = 1000;

/** Reads the squad status now and then every `POLL_MS` after the last answer, while mounted. */
function useSquadStatus(): { status: SquadStatus | null; failure: string | null } {
  // Outside the desktop app (a plain browser) there is no backend: no URL to read.
  const [status, setStatus] = useState<SquadStatus | null>(() =>
    inDesktopApp() ? null : { url: null, reachable: false, error: null, checkedAt: "", liveWithinS: 5, departments: [] },
  );
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    if (!inDesktopApp()) return;
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async () => {
      try {
        const s = await squad.status();
        if (!alive) return;
        setStatus(s);
        setFailure(null);
      } catch (e) {
        if (alive) setFailure(toApiError(e).message);
      }
      if (alive) timer = setTimeout(() => void read(), POLL_MS);
    };
    void read();
    return () => {
      alive = false;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, []);
  return { status, failure };
}

function WorkerRow({ w }: { w: WorkerStatusDto }) {
  return (
    <li className={`wk-worker${w.live ? " is-live" : " is-silent"}`} data-testid={`worker-${w.workerId}`} data-live={w.live}>
      <div className="wk-worker-main">
        <span
          className={`wk-pill ${w.live ? "is-live" : "is-silent"}`}
          data-testid={`worker-state-${w.workerId}`}
          title={w.live ? "Its heartbeat is recent" : "No heartbeat for a while: its jobs go back to the queue"}
        >
          <span className="wk-dot" aria-hidden />
          {w.live ? "Live" : "Silent"}
        </span>
        <span className="wk-worker-id mono" data-testid={`worker-id-${w.workerId}`}>
          {w.workerId}
        </span>
        <span className="wk-worker-beat" title={formatDateTime(w.lastHeartbeatAt, { seconds: true })} data-testid={`worker-beat-${w.workerId}`}>
          last heartbeat {formatAgo(w.secondsSince)}
        </span>
        <span className={`wk-worker-running${w.running > 0 ? " is-busy" : ""}`} data-testid={`worker-running-${w.workerId}`}>
          {w.running > 0 ? `running ${jobsLabel(w.running)}` : "idle"}
        </span>
      </div>
      {w.jobs.length > 0 ? (
        <ul className="wk-jobs" aria-label={`Jobs of ${w.workerId}`}>
          {w.jobs.map((j) => (
            <li key={`${j.runId}/${j.stepId}`} className="wk-job" data-testid={`worker-job-${w.workerId}-${j.stepId}`}>
              <Link to={`/runs/${encodeURIComponent(j.runId)}`} className="wk-job-run mono" title={`Open run ${j.runId}`}>
                {j.runId}
              </Link>
              <span className="wk-job-step mono">step {j.stepId}</span>
              {j.attempt > 1 ? <span className="wk-job-attempt">attempt {j.attempt}</span> : null}
              <span className="wk-job-mission muted mono">{j.missionId}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}

function DeptCard({ d }: { d: DeptWorkersDto }) {
  return (
    <section className="card wk-dept" data-testid={`dept-${d.dept}`} aria-labelledby={`dept-title-${d.dept}`}>
      <header className="wk-dept-head">
        <div className="wk-dept-icon" aria-hidden>
          <Users size={16} />
        </div>
        <h2 className="card-title wk-dept-name" id={`dept-title-${d.dept}`}>
          {d.dept}
        </h2>
        <span className="wk-dept-count" data-testid={`dept-count-${d.dept}`}>
          {d.live} of {d.workers.length} live
        </span>
      </header>
      <ul className="wk-workers">
        {d.workers.map((w) => (
          <WorkerRow key={w.workerId} w={w} />
        ))}
      </ul>
    </section>
  );
}

export function WorkersPage() {
  const { status, failure } = useSquadStatus();
  const view = workersView(status, failure);
  const url = "url" in view ? view.url : null;
  return (
    <div className="page wk-page" data-testid="page-workers">
      <PageHeader
        title="Workers"
        subtitle="Department worker pools connected over NATS JetStream: their heartbeats and the jobs they run."
        actions={
          url ? (
            <div className="wk-broker" data-testid="workers-broker">
              <RadioTower size={14} aria-hidden />
              <span className="mono">{url}</span>
              {view.kind === "workers" ? (
                <span className="wk-broker-count" data-testid="workers-live-count">
                  {view.live} of {view.total} live
                </span>
              ) : null}
            </div>
          ) : null
        }
      />
      {view.kind === "loading" ? <p className="muted">Reading the heartbeats…</p> : null}
      {view.kind === "unset" ? (
        <EmptyState icon={SettingsIcon} title="No squad connected" testId="workers-unset">
          <p>
            Runs use the local engine. <Link to="/settings#settings-squad" className="wk-link">Set a NATS URL in Settings</Link> to see
            workers.
          </p>
          <p className="muted">
            Start workers on any machine with <code>mission worker --nats URL --dept DEPT</code>.
          </p>
        </EmptyState>
      ) : null}
      {view.kind === "unreachable" ? (
        <div className="card wk-error" role="alert" data-testid="workers-error">
          <AlertTriangle size={18} aria-hidden />
          <div>
            <strong>The NATS server does not answer.</strong>
            <p className="wk-error-text mono" data-testid="workers-error-message">
              {view.message}
            </p>
            <p className="muted">
              Still trying every second. <Link to="/settings#settings-squad" className="wk-link">Check the NATS URL in Settings</Link>.
            </p>
          </div>
        </div>
      ) : null}
      {view.kind === "empty" ? (
        <EmptyState icon={Cpu} title="No workers yet" testId="workers-empty">
          <p>
            Connected to <code>{view.url}</code>, and no worker is beating. Start one with{" "}
            <code>mission worker --nats {view.url} --dept DEPT</code>.
          </p>
        </EmptyState>
      ) : null}
      {view.kind === "workers" && status ? (
        <div className="wk-depts" data-testid="workers-departments">
          {status.departments.map((d) => (
            <DeptCard key={d.dept} d={d} />
          ))}
        </div>
      ) : null}
    </div>
  );
}
