import { InfoTip } from "../../components/firstrun/InfoTip";
import { PerimeterExplanation } from "../../components/firstrun/glossary";
import { Hand, Lock, Pencil, Play, Rocket, ShieldCheck, Trash2, Zap } from "lucide-react";
import { useState } from "react";
import { useNavigate } from "react-router";
import { MissionReportView } from "../../components/MissionReportView";
import { toApiError, type ApiError } from "../../ipc";
import { library, type ActiveMission, type TemplateSummary } from "../../ipc/library";
import { formatInt, formatUsd, SectorMark } from "./parts";

const MODE_ICON = { strict: Lock, threshold: Hand, auto: Zap } as const;

/** Saved active missions: a template under a perimeter, ready to run. */
export function ActiveMissions({
  missions,
  templates,
  onChanged,
  onOpenTemplate,
  onEdit,
}: {
  missions: ActiveMission[];
  templates: TemplateSummary[];
  onChanged: () => void;
  onOpenTemplate: (id: string) => void;
  onEdit: (m: ActiveMission) => void;
}) {
  const navigate = useNavigate();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  if (missions.length === 0) return null;
  const byId = new Map(templates.map((t) => [t.id, t]));

  const run = (m: ActiveMission) => {
    setBusy(m.id);
    setError(null);
    library.runActive(m.id).then(
      (r) => {
        setBusy(null);
        navigate(`/runs?run=${encodeURIComponent(r.runId)}`);
      },
      (e: unknown) => {
        setBusy(null);
        setError(toApiError(e));
      },
    );
  };
  const remove = (m: ActiveMission) => {
    setBusy(m.id);
    library.deleteActive(m.id).then(
      () => {
        setBusy(null);
        onChanged();
      },
      (e: unknown) => {
        setBusy(null);
        setError(toApiError(e));
      },
    );
  };

  return (
    <section className="active-missions" data-testid="active-missions" aria-label="Active missions">
      <header className="active-head">
        <h2>
          <Rocket size={14} aria-hidden /> Active missions <span className="chip-count">{missions.length}</span>
        </h2>
        <span className="muted">
          Saved with their perimeter
          <InfoTip term="the perimeter" testId="active-perimeter-info">
            <PerimeterExplanation />
          </InfoTip>
          , ready to run.
        </span>
      </header>
      {error ? (
        <div role="alert" data-testid="active-error">
          <p className="error-text">{error.message}</p>
          {error.report ? <MissionReportView report={error.report} /> : null}
        </div>
      ) : null}
      <ul className="active-list">
        {missions.map((m) => {
          const t = byId.get(m.templateId);
          const mode = m.perimeter.approvalMode ?? "auto";
          const ModeIcon = MODE_ICON[mode];
          return (
            <li key={m.id} id={`active-mission-${m.id}`} className="active-item" data-testid={`active-mission-${m.id}`}>
              <SectorMark sector={t?.sector ?? "Other"} size={28} />
              <button type="button" className="active-main" onClick={() => onOpenTemplate(m.templateId)}>
                <span className="active-name">{m.name}</span>
                <span className="active-meta mono">{m.id}</span>
              </button>
              <span className="active-perimeter">
                <span title="Cost cap">
                  {formatUsd(m.perimeter.budget.maxCostUsd ?? null, (m.perimeter.budget.maxCostUsd ?? 1) >= 0.01 ? 2 : undefined)}
                </span>
                <span title="Token cap">{formatInt(m.perimeter.budget.maxTokens ?? null)} tok</span>
                <span className={`mode-pill mode-${mode}`} title={`Approval: ${mode}`}>
                  <ModeIcon size={11} aria-hidden /> {mode}
                  {mode === "threshold" && m.perimeter.thresholdUsd !== null ? ` ≥ ${formatUsd(m.perimeter.thresholdUsd, m.perimeter.thresholdUsd >= 0.01 ? 2 : undefined)}` : ""}
                </span>
                {m.perimeter.sandbox === "read-only" ? (
                  <span className="mode-pill" title="Read-only sandbox">
                    <ShieldCheck size={11} aria-hidden /> read-only
                  </span>
                ) : null}
              </span>
              <button
                type="button"
                className="btn btn-primary btn-sm"
                disabled={busy === m.id}
                onClick={() => run(m)}
                data-testid={`run-active-${m.id}`}
              >
                <Play size={13} aria-hidden /> Run
              </button>
              <button
                type="button"
                className="btn btn-sm"
                disabled={busy === m.id}
                onClick={() => onEdit(m)}
                data-testid={`edit-active-${m.id}`}
                title="Change its perimeter, inputs or name"
              >
                <Pencil size={13} aria-hidden /> Edit
              </button>
              <button
                type="button"
                className="icon-button"
                aria-label={`Delete ${m.name}`}
                title="Delete this active mission (its runs stay in the history)"
                disabled={busy === m.id}
                onClick={() => remove(m)}
                data-testid={`delete-active-${m.id}`}
              >
                <Trash2 size={13} aria-hidden />
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
