import { InfoTip } from "../../components/firstrun/InfoTip";
import { roiText } from "../../components/firstrun/glossary";
import { Copy, FilePen, History, Rocket, X } from "lucide-react";
import { useNavigate } from "react-router";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { DagView, type DagNodeData } from "../../components/dag";
import { library, type TemplateDetail, type TemplateRun, type TemplateSummary } from "../../ipc/library";
import { isTop } from "./filter";
import { HistoryChart } from "./HistoryChart";
import { Markdown } from "./Markdown";
import {
  formatDuration,
  formatInt,
  formatPct,
  formatRoi,
  formatUsd,
  NeedsMarks,
  RiskBadge,
  SectorMark,
  TopBadge,
} from "./parts";

export function dagOf(detail: Pick<TemplateDetail, "steps">): {
  nodes: DagNodeData[];
  edges: { source: string; target: string }[];
} {
  return {
    nodes: detail.steps.map((s) => ({ id: s.id, label: s.name ?? s.id, stepType: s.stepType })),
    edges: detail.steps.flatMap((s) => s.dependsOn.map((d) => ({ source: d, target: s.id }))),
  };
}

/**
 * Height of the panel's step graph, drawn top to bottom: room for every level at a readable zoom
 * (about 0.75), between a short box for one or two steps and a tall one for long missions.
 */
export function detailDagHeight(levels: number): number {
  return Math.round(Math.min(560, Math.max(200, 40 + levels * 68)));
}

export function TemplateDetailPanel({
  id,
  summary,
  onClose,
  onDeploy,
}: {
  id: string;
  summary: TemplateSummary | null;
  onClose: () => void;
  onDeploy: (id: string) => void;
}) {
  const [detail, setDetail] = useState<TemplateDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [runs, setRuns] = useState<TemplateRun[] | null>(null);
  const panelRef = useRef<HTMLElement>(null);
  const navigate = useNavigate();
  const logicHash = summary?.logicHash;

  useEffect(() => {
    let live = true;
    library.getTemplate(id).then(
      (d) => {
        if (live) {
          setDetail(d);
          setError(null);
        }
      },
      (e: { message: string }) => live && setError(e.message),
    );
    library.templateRuns(id).then(
      (r) => live && setRuns(r),
      () => live && setRuns([]),
    );
    return () => {
      live = false;
    };
    // The logic hash changes when the file is edited: reload the detail then.
  }, [id, logicHash]);

  // Focus moves in once per opening: onClose changes with the page's URL (opening the configurator
  // changes it), and re-running this would pull the focus back from the configurator.
  const onCloseRef = useRef(onClose);
  useLayoutEffect(() => {
    onCloseRef.current = onClose;
  });
  useEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    // The panel's primary action takes the keyboard: Enter opens Quick Deploy at once.
    const deploy = panelRef.current?.querySelector<HTMLButtonElement>('[data-testid="quick-deploy"]:not(:disabled)');
    (deploy ?? panelRef.current)?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && !document.querySelector(".modal-backdrop")) onCloseRef.current();
    };
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("keydown", onKey);
      prev?.focus?.();
    };
  }, []);

  const t: TemplateSummary | null = detail ?? summary;
  const dag = useMemo(() => (detail ? dagOf(detail) : null), [detail]);

  return (
    <>
      <div className="panel-scrim" onClick={onClose} aria-hidden />
      <aside
        ref={panelRef}
        className="detail-panel"
        role="dialog"
        aria-modal="false"
        aria-label={t ? `Template ${t.name}` : "Template"}
        tabIndex={-1}
        data-testid="template-detail"
      >
        <header className="detail-head">
          {t ? <SectorMark sector={t.sector ?? "Other"} size={34} /> : null}
          <div className="detail-title">
            <div className="detail-kicker">
              {t?.sector ?? "—"}
              {t && isTop(t) ? <TopBadge /> : null}
            </div>
            <h2 data-testid="detail-name">{t?.name ?? id}</h2>
            <div className="detail-id mono" title={t?.path}>
              {id}
              <button
                type="button"
                className="icon-button icon-button-sm"
                aria-label="Copy the template id"
                onClick={() => void navigator.clipboard?.writeText(id)}
              >
                <Copy size={12} aria-hidden />
              </button>
            </div>
          </div>
          <div className="detail-actions">
            <button
              type="button"
              className="btn btn-primary"
              data-testid="quick-deploy"
              onClick={() => onDeploy(id)}
              disabled={!t}
            >
              <Rocket size={14} aria-hidden /> Quick Deploy
            </button>
            <button
              type="button"
              className="btn"
              data-testid="edit-copy"
              title="Open a copy of this template in the Editor"
              onClick={() => navigate(`/editor?template=${encodeURIComponent(id)}`)}
              disabled={!t}
            >
              <FilePen size={14} aria-hidden /> Edit a copy
            </button>
            <button type="button" className="icon-button" aria-label="Close" onClick={onClose} data-testid="detail-close">
              <X size={15} aria-hidden />
            </button>
          </div>
        </header>

        <div className="detail-body">
          {error ? (
            <div className="card error-card" role="alert">
              <div>
                <strong>This template could not be read.</strong>
                <p>{error}</p>
              </div>
            </div>
          ) : null}

          {t ? (
            <>
              {t.goal ? <p className="detail-goal">{t.goal}</p> : null}
              <div className="detail-metrics">
                <Metric
                  label={
                    <>
                      {t.roiIsEstimate ? "Est. ROI" : "ROI"}
                      <InfoTip term="ROI" testId="roi-info">
                        {roiText(t)}
                      </InfoTip>
                    </>
                  }
                  value={formatRoi(t).value}
                  note={t.roiIsEstimate ? "estimate" : "measured"}
                />
                <Metric label="Risk" value={<RiskBadge template={t} compact />} />
                <Metric label="Success" value={t.stats?.runs ? formatPct(t.stats.successRate) : "—"} />
                <Metric label="Avg cost" value={t.stats?.runs ? formatUsd(t.stats.avgCostUsd) : "—"} />
                <Metric label="Runs" value={formatInt(t.stats?.runs ?? 0)} />
                <Metric label="p50 time" value={t.stats?.runs ? formatDuration(t.stats.p50DurationMs) : "—"} />
              </div>
              <div className="detail-tags">
                <NeedsMarks needs={t.needs} full />
                {t.requiredDepts.map((d) => (
                  <span key={`d-${d}`} className="tag tag-dept">
                    {d}
                  </span>
                ))}
                {t.tags.map((tag) => (
                  <span key={`t-${tag}`} className="tag">
                    #{tag}
                  </span>
                ))}
              </div>
            </>
          ) : (
            <div className="skeleton-lines" aria-busy="true" />
          )}

          <section className="detail-section">
            <h3>
              Steps{" "}
              {detail ? (
                <span className="muted">
                  {detail.steps.length} steps · {detail.levels.length} levels
                </span>
              ) : null}
            </h3>
            {dag ? (
              <DagView
                nodes={dag.nodes}
                edges={dag.edges}
                direction="TB"
                height={detailDagHeight(detail?.levels.length ?? 1)}
                minFitZoom={0.6}
                controls
                testId="detail-dag"
              />
            ) : (
              <div className="dag-placeholder" />
            )}
          </section>

          {detail ? (
            <>
              <TextSection title="Objective" text={detail.objective} />
              <TextSection title="Done when" text={detail.doneDefinition} />
              <TextSection title="Context" text={detail.context} />
              <TextSection title="Constraints" text={detail.constraints} />
            </>
          ) : null}

          <section className="detail-section">
            <h3>
              <History size={14} aria-hidden /> History
            </h3>
            {runs === null ? (
              <div className="dag-placeholder small" />
            ) : runs.length === 0 ? (
              <p className="muted detail-empty" data-testid="template-history-empty">
                No runs yet. Quick Deploy this template and run it: its success rate, cost and ROI are measured from
                then on.
              </p>
            ) : (
              <HistoryChart runs={runs} />
            )}
          </section>

          {detail?.outputs.length ? (
            <section className="detail-section">
              <h3>Delivers</h3>
              <ul className="detail-outputs">
                {detail.outputs.map((o) => (
                  <li key={o} className="mono">
                    {o}
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
        </div>
      </aside>
    </>
  );
}

function Metric({ label, value, note }: { label: React.ReactNode; value: React.ReactNode; note?: string }) {
  return (
    <div className="metric">
      <div className="metric-label">{label}</div>
      <div className="metric-value">
        {value}
        {note ? <span className="metric-note">{note}</span> : null}
      </div>
    </div>
  );
}

function TextSection({ title, text }: { title: string; text: string | null }) {
  if (!text || !text.trim()) return null;
  return (
    <section className="detail-section">
      <h3>{title}</h3>
      <Markdown text={text} />
    </section>
  );
}
