// Resume, fixed: before a failed run runs again, the operator sees the perimeter it will run
// under (and raises a cap or changes approvals), whether the mission file changed since (and may
// resume with the current file: only the unchanged steps are reused), which steps run again and
// why, and the launch forecast.
import { FileDiff, Play, RotateCcw, X } from "lucide-react";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { LaunchForecast } from "../../gen/LaunchForecast";
import type { ResumeOptions } from "../../gen/ResumeOptions";
import type { ResumePreview } from "../../gen/ResumePreview";
import type { ResumeStarted } from "../../gen/ResumeStarted";
import { call, toApiError } from "../../ipc";
import { library, type ApprovalMode, type PerimeterDto } from "../../ipc/library";
import { ForecastPanel } from "../library/ForecastPanel";
import "../library/library.css";
import { BUDGET_FIELDS, clampValue, formatCap, hasCap, maxOf, type BudgetField } from "../library/perimeter";

const resumeIpc = {
  preview: (runId: string, options: ResumeOptions) => call<ResumePreview>("resume_preview", { runId, options }),
  forecast: (runId: string, options: ResumeOptions) => call<LaunchForecast>("forecast_resume", { runId, options }),
  start: (runId: string, options: ResumeOptions) => call<ResumeStarted>("resume_run_with", { runId, options }),
};

const MODES: ApprovalMode[] = ["strict", "threshold", "auto"];

export function ResumeDialog({ runId, onClose, onStarted }: { runId: string; onClose: () => void; onStarted: (s: ResumeStarted) => void }) {
  const [preview, setPreview] = useState<ResumePreview | null>(null);
  const [perimeter, setPerimeter] = useState<PerimeterDto | null>(null);
  const [caps, setCaps] = useState<PerimeterDto | null>(null);
  const [useCurrentFile, setUseCurrentFile] = useState(false);
  const [forecast, setForecast] = useState<LaunchForecast | null>(null);
  const [forecastError, setForecastError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const dialogRef = useRef<HTMLDivElement>(null);
  const onCloseRef = useRef(onClose);
  useLayoutEffect(() => {
    onCloseRef.current = onClose;
  });

  // The starting point: the earlier run's perimeter, and whether its file changed since.
  useEffect(() => {
    let alive = true;
    Promise.all([resumeIpc.preview(runId, { useCurrentFile: false, perimeter: null }), library.getCaps()]).then(
      ([p, c]) => {
        if (!alive) return;
        setPreview(p);
        setPerimeter(p.perimeter);
        setCaps(c);
        setUseCurrentFile(p.fileChanged && p.fileExists);
      },
      (e) => alive && setError(toApiError(e).message),
    );
    return () => {
      alive = false;
    };
  }, [runId]);

  useEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    dialogRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        onCloseRef.current();
      }
    };
    window.addEventListener("keydown", onKey, true);
    return () => {
      window.removeEventListener("keydown", onKey, true);
      prev?.focus?.();
    };
  }, []);

  const options = useMemo<ResumeOptions | null>(() => (perimeter ? { useCurrentFile, perimeter } : null), [perimeter, useCurrentFile]);
  const optionsKey = JSON.stringify(options);

  // What this resume would reuse and run again, and its forecast, as the choices change.
  useEffect(() => {
    if (!options) return;
    const timer = window.setTimeout(() => {
      resumeIpc.preview(runId, options).then(setPreview, (e) => setError(toApiError(e).message));
      resumeIpc.forecast(runId, options).then(
        (f) => {
          setForecast(f);
          setForecastError(null);
        },
        (e) => {
          setForecast(null);
          setForecastError(toApiError(e).message);
        },
      );
    }, 150);
    return () => window.clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the key captures the options
  }, [runId, optionsKey]);

  // An empty field is no cap at this level (the mission's and the global caps still hold).
  const setBudget = (field: BudgetField, value: number | null) =>
    setPerimeter((p) =>
      p ? { ...p, budget: { ...p.budget, [field.key]: value === null ? null : clampValue(field, value, caps) } } : p,
    );

  const start = () => {
    if (!options) return;
    setStarting(true);
    setError(null);
    resumeIpc.start(runId, options).then(onStarted, (e) => {
      setStarting(false);
      setError(toApiError(e).message);
    });
  };

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={dialogRef}
        className="modal perimeter-modal resume-modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="resume-title"
        tabIndex={-1}
        data-testid="resume-dialog"
        onKeyDown={(e) => {
          if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
            e.preventDefault();
            start();
          }
        }}
      >
        <header className="modal-head">
          <div>
            <div className="modal-kicker">Resume · the perimeter it runs under</div>
            <h2 id="resume-title">
              Resume <span className="mono">{runId}</span>
            </h2>
          </div>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            <X size={15} aria-hidden />
          </button>
        </header>
        {!preview || !perimeter ? (
          <div className="modal-body">{error ? <p className="error-text">{error}</p> : <div className="skeleton-lines" aria-busy="true" />}</div>
        ) : (
          <div className="modal-body perimeter-grid">
            <div className="perimeter-form">
              {preview.missionFile && preview.fileChanged ? (
                <div className="resume-file" data-testid="resume-file-changed">
                  <FileDiff size={16} aria-hidden />
                  <div>
                    <strong>The mission file changed since this run.</strong>
                    <p className="mono resume-file-path">{preview.missionFile}</p>
                    {preview.fileExists ? (
                      <label className="resume-file-choice">
                        <input
                          type="checkbox"
                          checked={useCurrentFile}
                          data-testid="resume-use-file"
                          onChange={(e) => setUseCurrentFile(e.target.checked)}
                        />
                        <span>Resume with the current file (validated again; only the steps it did not change are reused)</span>
                      </label>
                    ) : (
                      <p>The file is gone: the run's recorded mission is resumed.</p>
                    )}
                  </div>
                </div>
              ) : null}
              <fieldset className="pgroup">
                <legend>Budget</legend>
                <p className="pgroup-hint">Raise a cap the earlier run hit. The maximum of each is the global hard cap (Settings).</p>
                {BUDGET_FIELDS.map((f) => (
                  <CapRow key={f.key} field={f} value={perimeter.budget[f.key] ?? null} caps={caps} onChange={(v) => setBudget(f, v)} />
                ))}
              </fieldset>
              <fieldset className="pgroup">
                <legend>Approval mode</legend>
                <div className="segmented" role="radiogroup" aria-label="Approval mode">
                  {MODES.map((m) => (
                    <button
                      key={m}
                      type="button"
                      role="radio"
                      aria-checked={(perimeter.approvalMode ?? "auto") === m}
                      className={`segment${(perimeter.approvalMode ?? "auto") === m ? " selected" : ""}`}
                      data-testid={`resume-approval-${m}`}
                      onClick={() =>
                        setPerimeter((p) =>
                          p ? { ...p, approvalMode: m, thresholdUsd: m === "threshold" ? (p.thresholdUsd ?? 0.05) : p.thresholdUsd } : p,
                        )
                      }
                    >
                      {m}
                    </button>
                  ))}
                </div>
              </fieldset>
            </div>
            <aside className="perimeter-side">
              <div className="side-head">
                <h3>What runs again</h3>
                <span className="pill" data-testid="resume-counts">
                  {preview.reusedSteps.length} reused · {preview.rerunSteps.length} run again
                </span>
              </div>
              <ul className="resume-steps" data-testid="resume-steps">
                {preview.rerunSteps.map((id) => (
                  <li key={id} data-testid={`resume-rerun-${id}`}>
                    <RotateCcw size={12} aria-hidden /> <strong className="mono">{id}</strong>
                    <span className="muted"> {preview.rerunReasons[id] ?? ""}</span>
                  </li>
                ))}
                {preview.reusedSteps.map((id) => (
                  <li key={id} className="muted" data-testid={`resume-reused-${id}`}>
                    ✓ <span className="mono">{id}</span> reused
                  </li>
                ))}
              </ul>
              <ForecastPanel forecast={forecast} error={forecastError} />
            </aside>
          </div>
        )}
        <footer className="modal-foot">
          {error && preview ? (
            <p className="error-text foot-error" role="alert" data-testid="resume-error">
              {error}
            </p>
          ) : (
            <p className="muted foot-note">
              A new run, linked to this one. <kbd>Ctrl</kbd>+<kbd>Enter</kbd> resumes.
            </p>
          )}
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" data-testid="resume-start" disabled={!options || starting} onClick={start}>
            <Play size={14} aria-hidden /> {starting ? "Resuming…" : "Resume"}
          </button>
        </footer>
      </div>
    </div>
  );
}

/** One cap of the resumed run: a number, or empty for no cap at the operator's level. */
function CapRow({
  field,
  value,
  caps,
  onChange,
}: {
  field: BudgetField;
  value: number | null;
  caps: PerimeterDto | null;
  onChange: (v: number | null) => void;
}) {
  const [draft, setDraft] = useState<string | null>(null);
  const shown = draft ?? (value === null ? "" : formatCap(field, value));
  return (
    <div className="budget-row resume-cap" data-testid={`budget-${field.key}`}>
      <label className="budget-label" htmlFor={`resume-${field.key}`}>
        {field.label}
      </label>
      <span className="input-affix budget-num">
        <span aria-hidden>{field.key === "maxCostUsd" ? "$" : ""}</span>
        <input
          id={`resume-${field.key}`}
          className="input input-num"
          type="number"
          min={0}
          step={field.integer ? field.step : "any"}
          value={shown}
          placeholder="no cap"
          aria-label={`${field.label} (${field.unit})`}
          data-testid={`input-${field.key}`}
          onChange={(e) => {
            const raw = e.target.value;
            setDraft(raw);
            if (raw.trim() === "") onChange(null);
            else if (Number.isFinite(Number(raw))) onChange(Number(raw));
          }}
          onBlur={() => setDraft(null)}
        />
        <span>{field.key !== "maxCostUsd" ? field.unit : ""}</span>
      </span>
      <span className="budget-cap">
        {hasCap(field, caps) ? `global cap ${field.key === "maxCostUsd" ? "$" : ""}${formatCap(field, maxOf(field, caps))}` : "no global cap"}
      </span>
    </div>
  );
}
