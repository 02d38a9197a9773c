import { AlertCircle, AlertTriangle, Hand, Lock, LockOpen, Play, Rocket, ShieldCheck, X, Zap } from "lucide-react";
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { DagView } from "../../components/dag";
import {
  library,
  type ActiveMission,
  type ApprovalMode,
  type PerimeterDto,
  type StepApprovalPreview,
  type TemplateDetail,
} from "../../ipc/library";
import type { LaunchForecast } from "../../gen/LaunchForecast";
import { toApiError } from "../../ipc";
import { ForecastPanel } from "./ForecastPanel";
import { SectorIcon } from "./parts";
import { InfoTip } from "../../components/firstrun/InfoTip";
import { PerimeterExplanation } from "../../components/firstrun/glossary";
import {
  BUDGET_FIELDS,
  clampValue,
  formatCap,
  hasCap,
  initialForm,
  maxOf,
  toPerimeter,
  validate,
  type BudgetField,
  type PerimeterForm,
} from "./perimeter";
import { dagOf, detailDagHeight } from "./TemplateDetailPanel";

const SECTORS = [
  "Engineering",
  "Finance",
  "HR",
  "Health",
  "Intelligence",
  "Legal",
  "Marketing",
  "Operations",
  "Research",
  "Sales",
  "Security",
  "Shadow",
  "Wealth",
];

const MODES: { value: ApprovalMode; label: string; icon: typeof Lock; explain: string }[] = [
  {
    value: "strict",
    label: "Strict",
    icon: Lock,
    explain:
      "Every step that changes something or calls out waits for your approval: file writes, commands, HTTP requests (GETs too) and model calls. Only reads and parsing inside the run go on their own.",
  },
  {
    value: "threshold",
    label: "Threshold",
    icon: Hand,
    explain: "Only steps whose estimated cost reaches the threshold wait for approval; cheaper ones run.",
  },
  {
    value: "auto",
    label: "Auto",
    icon: Zap,
    explain: "Nothing waits for approval. The budget, tools, sectors and sandbox still hold.",
  },
];

export function PerimeterModal({
  templateId,
  templateName,
  active,
  onClose,
  onSaved,
}: {
  templateId: string;
  templateName: string;
  /** Editing a saved active mission (its perimeter, name and inputs) rather than deploying. */
  active?: ActiveMission;
  onClose: () => void;
  /** Called once saved: the active mission's id, and the run started when it was "Save and run". */
  onSaved: (id: string, runId?: string) => void;
}) {
  const [detail, setDetail] = useState<TemplateDetail | null>(null);
  const [caps, setCaps] = useState<PerimeterDto | null>(null);
  const [form, setForm] = useState<PerimeterForm | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [preview, setPreview] = useState<StepApprovalPreview[] | null>(null);
  const [forecast, setForecast] = useState<LaunchForecast | null>(null);
  const [forecastError, setForecastError] = useState<string | null>(null);
  /** The perimeter (its key) under which the operator chose to save although the forecast
   * says the run cannot complete: a change of the caps asks again. */
  const [acceptedFor, setAcceptedFor] = useState<string | null>(null);
  /** An active mission's run inputs, as name and text (edit mode). */
  const [inputs, setInputs] = useState<[string, string][]>([]);
  const dialogRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let live = true;
    Promise.all([library.getTemplate(templateId), library.getCaps()]).then(
      ([d, c]) => {
        if (!live) return;
        setDetail(d);
        setCaps(c);
        if (active) {
          setForm({ ...initialForm(active.name, active.perimeter, c), connectedSectors: [...active.perimeter.connectedSectors] });
          setInputs(Object.entries(active.inputs).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
        } else {
          setForm(initialForm(d.name, d.perimeter, c));
        }
      },
      (e: { message: string }) => live && setLoadError(e.message),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- read once per opening (template or active mission)
  }, [templateId, active?.id]);

  // The parent may pass a new onClose on every render; the focus move and the key handler must
  // happen once per opening, or a re-render of the page would pull focus off the field in use.
  const onCloseRef = useRef(onClose);
  useLayoutEffect(() => {
    onCloseRef.current = onClose;
  });
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

  const perimeter = useMemo(() => (form ? toPerimeter(form) : null), [form]);
  const perimeterKey = JSON.stringify(perimeter);

  // Which steps will wait for approval, asked of the engine's own rule (debounced).
  useEffect(() => {
    if (!perimeter) return;
    const timer = window.setTimeout(() => {
      library.approvalPreview(templateId, perimeter).then(setPreview, () => setPreview(null));
    }, 120);
    return () => window.clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the key captures the perimeter
  }, [templateId, perimeterKey]);

  // The launch forecast under this perimeter: each cap's worst case (debounced).
  useEffect(() => {
    if (!perimeter) return;
    const timer = window.setTimeout(() => {
      (active ? library.forecastActive(active.id, perimeter) : library.forecastTemplate(templateId, perimeter)).then(
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
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the key captures the perimeter
  }, [templateId, perimeterKey]);
  const blocked = forecast !== null && !forecast.canComplete;
  const acceptShort = acceptedFor === perimeterKey;

  const problems = useMemo(() => (form ? validate(form, caps) : []), [form, caps]);
  const errors = problems.filter((p) => p.level === "error");

  const dag = useMemo(() => {
    if (!detail) return null;
    const base = dagOf(detail);
    const need = new Map((preview ?? []).map((p) => [p.stepId, p]));
    return {
      nodes: base.nodes.map((n) =>
        need.get(n.id)?.needsApproval ? { ...n, highlight: true, badge: "approval" } : n,
      ),
      edges: base.edges,
    };
  }, [detail, preview]);
  const needCount = (preview ?? []).filter((p) => p.needsApproval).length;

  const update = (patch: Partial<PerimeterForm>) => setForm((f) => (f ? { ...f, ...patch } : f));
  const setBudget = (field: BudgetField, value: number) =>
    setForm((f) => (f ? { ...f, budget: { ...f.budget, [field.key]: clampValue(field, value, caps) } } : f));

  const canSave = Boolean(form && perimeter) && errors.length === 0 && !saving && (!blocked || acceptShort);
  const save = (andRun: boolean) => {
    if (!form || !perimeter || !canSave) return;
    setSaving(true);
    setSaveError(null);
    const saved = active
      ? library.updateActive(active.id, perimeter, form.name.trim(), Object.fromEntries(inputs))
      : library.deploy(templateId, perimeter, form.name.trim());
    saved
      .then(async (m) => {
        const runId = andRun ? (await library.runActive(m.id)).runId : undefined;
        setSaving(false);
        onSaved(m.id, runId);
      })
      .catch((e: unknown) => {
        setSaving(false);
        setSaveError(toApiError(e).message);
      });
  };
  // Ctrl+Enter: save and run; Ctrl+S: save.
  const onDialogKey = (e: React.KeyboardEvent) => {
    if (!(e.ctrlKey || e.metaKey)) return;
    if (e.key === "Enter") {
      e.preventDefault();
      save(true);
    } else if (e.key === "s" || e.key === "S") {
      e.preventDefault();
      save(false);
    }
  };

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={dialogRef}
        className="modal perimeter-modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="perimeter-title"
        tabIndex={-1}
        data-testid="perimeter-modal"
        onKeyDown={onDialogKey}
      >
        <header className="modal-head">
          <div>
            <div className="modal-kicker">
              {active ? "Edit active mission · Agency perimeter" : "Quick Deploy · Agency perimeter"}
              <InfoTip term="the perimeter" testId="perimeter-info">
                <PerimeterExplanation />
              </InfoTip>
            </div>
            <h2 id="perimeter-title">{templateName}</h2>
          </div>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            <X size={15} aria-hidden />
          </button>
        </header>

        {loadError ? (
          <div className="modal-body">
            <div className="card error-card" role="alert">
              <div>
                <strong>The configurator could not open.</strong>
                <p>{loadError}</p>
              </div>
            </div>
          </div>
        ) : !form ? (
          <div className="modal-body">
            <div className="skeleton-lines" aria-busy="true" />
          </div>
        ) : (
          <div className="modal-body perimeter-grid">
            <div className="perimeter-form">
              <Field label="Name" hint="How this active mission is listed.">
                <input
                  className="input"
                  value={form.name}
                  data-testid="deploy-name"
                  onChange={(e) => update({ name: e.target.value })}
                />
              </Field>

              {active && inputs.length > 0 ? (
                <Group title="Inputs" hint="The run inputs saved with this active mission ({{name}} in the mission).">
                  {inputs.map(([k, v], i) => (
                    <label key={k} className="inline-field">
                      <span className="mono">{k}</span>
                      <input
                        className="input"
                        value={v}
                        data-testid={`input-var-${k}`}
                        onChange={(e) => setInputs((all) => all.map((pair, j) => (j === i ? [k, e.target.value] : pair)))}
                      />
                    </label>
                  ))}
                </Group>
              ) : null}

              <Group title="Budget" hint="Hard limits for one run. The maximum of each is the global hard cap.">
                {BUDGET_FIELDS.map((f) => (
                  <BudgetRow key={f.key} field={f} value={form.budget[f.key]} caps={caps} onChange={(v) => setBudget(f, v)} />
                ))}
              </Group>

              <Group title="Approval mode" hint="Which steps wait for a person before they run.">
                <div className="mode-cards" role="radiogroup" aria-label="Approval mode">
                  {MODES.map(({ value, label, icon: Icon, explain }) => (
                    <button
                      key={value}
                      type="button"
                      role="radio"
                      aria-checked={form.approvalMode === value}
                      className={`mode-card${form.approvalMode === value ? " is-on" : ""}`}
                      data-testid={`approval-${value}`}
                      onClick={() =>
                        update({
                          approvalMode: value,
                          thresholdUsd: value === "threshold" && form.thresholdUsd === null ? 0.05 : form.thresholdUsd,
                        })
                      }
                    >
                      <span className="mode-card-title">
                        <Icon size={14} aria-hidden /> {label}
                      </span>
                      <span className="mode-card-text">{explain}</span>
                    </button>
                  ))}
                </div>
                {form.approvalMode === "threshold" ? (
                  <label className="inline-field">
                    <span>Ask when a step's estimated cost is at least</span>
                    <span className="input-affix">
                      <span>$</span>
                      <input
                        className="input input-num"
                        type="number"
                        min={0}
                        step={0.01}
                        value={form.thresholdUsd ?? ""}
                        data-testid="threshold-input"
                        aria-label="Approval threshold in USD"
                        onChange={(e) =>
                          update({ thresholdUsd: e.target.value === "" ? null : Number(e.target.value) })
                        }
                      />
                    </span>
                  </label>
                ) : null}
              </Group>

              <Group title="Sandbox" hint="What steps may touch outside the run's workspace.">
                <div className="segmented" role="radiogroup" aria-label="Sandbox">
                  {(
                    [
                      ["read-only", "Read-only", ShieldCheck],
                      ["full-access", "Full access", LockOpen],
                    ] as const
                  ).map(([value, label, Icon]) => (
                    <button
                      key={value}
                      type="button"
                      role="radio"
                      aria-checked={form.sandbox === value}
                      className={`segment${form.sandbox === value ? " selected" : ""}`}
                      data-testid={`sandbox-${value}`}
                      disabled={value === "full-access" && caps?.sandbox === "read-only"}
                      onClick={() => update({ sandbox: value })}
                    >
                      <Icon size={14} aria-hidden /> {label}
                    </button>
                  ))}
                </div>
                <p className="field-note">
                  {form.sandbox === "read-only"
                    ? "Steps with external side effects are refused; commands run confined to the workspace."
                    : "Steps may write files and call external services, within the tools allowed below."}
                </p>
              </Group>

              <Group title="Tools" hint="Step types or registry tools. Empty allowed list = every tool not forbidden.">
                <TagInput
                  label="Allowed"
                  values={form.allowedTools}
                  testId="allowed-tools"
                  onChange={(v) => update({ allowedTools: v })}
                />
                <TagInput
                  label="Forbidden"
                  values={form.forbiddenTools}
                  testId="forbidden-tools"
                  tone="danger"
                  onChange={(v) => update({ forbiddenTools: v })}
                />
              </Group>

              <Group
                title="Connected sectors"
                hint={`Sectors whose tools this mission may call besides its own (${detail?.sector ?? "none"}) and common tools.`}
              >
                <div className="sector-toggle">
                  {SECTORS.filter((s) => s !== detail?.sector).map((s) => {
                    const on = form.connectedSectors.includes(s);
                    return (
                      <button
                        key={s}
                        type="button"
                        className={`chip chip-sm${on ? " is-on" : ""}`}
                        aria-pressed={on}
                        data-testid={`connect-${s}`}
                        onClick={() =>
                          update({
                            connectedSectors: on
                              ? form.connectedSectors.filter((x) => x !== s)
                              : [...form.connectedSectors, s],
                          })
                        }
                      >
                        <SectorIcon sector={s} size={12} /> {s}
                      </button>
                    );
                  })}
                </div>
              </Group>
            </div>

            <aside className="perimeter-side">
              <div className="side-head">
                <h3>Approval preview</h3>
                <span className={`pill ${needCount > 0 ? "pill-warn" : "pill-ok"}`} data-testid="approval-count">
                  {preview === null
                    ? "…"
                    : needCount === 0
                      ? "no step waits"
                      : `${needCount} step${needCount === 1 ? "" : "s"} wait${needCount === 1 ? "s" : ""} for approval`}
                </span>
              </div>
              {dag && detail ? (
                <DagView
                  nodes={dag.nodes}
                  edges={dag.edges}
                  direction="TB"
                  height={Math.min(420, detailDagHeight(detail.levels.length))}
                  minFitZoom={0.5}
                  testId="approval-dag"
                />
              ) : null}
              {preview && needCount > 0 ? (
                <ul className="approval-reasons" data-testid="approval-reasons">
                  {preview
                    .filter((p) => p.needsApproval)
                    .map((p) => (
                      <li key={p.stepId}>
                        <Hand size={12} aria-hidden /> <strong>{p.stepId}</strong>
                        <span>{p.reason}</span>
                      </li>
                    ))}
                </ul>
              ) : null}
              <ForecastPanel forecast={forecast} error={forecastError} />
              {blocked ? (
                <label className="forecast-accept" data-testid="forecast-accept">
                  <input type="checkbox" checked={acceptShort} onChange={(e) => setAcceptedFor(e.target.checked ? perimeterKey : null)} />
                  <span>Save anyway: I know a run under these caps cannot complete.</span>
                </label>
              ) : null}
              <div className="validation" data-testid="perimeter-validation" aria-live="polite">
                {problems.length === 0 ? (
                  <p className={blocked ? "valid-warn" : "valid-ok"}>
                    {blocked ? <AlertTriangle size={14} aria-hidden /> : <ShieldCheck size={14} aria-hidden />}
                    {blocked
                      ? "Within the global hard caps, but a run cannot complete under them (see the forecast)."
                      : "Within the global hard caps. Ready to save."}
                  </p>
                ) : (
                  problems.map((p) => (
                    <p key={p.field + p.message} className={p.level === "error" ? "valid-err" : "valid-warn"}>
                      {p.level === "error" ? <AlertCircle size={14} aria-hidden /> : <AlertTriangle size={14} aria-hidden />}
                      {p.message}
                    </p>
                  ))
                )}
              </div>
            </aside>
          </div>
        )}

        <footer className="modal-foot">
          {saveError ? (
            <p className="error-text foot-error" role="alert" data-testid="deploy-error">
              {saveError}
            </p>
          ) : (
            <p className="muted foot-note">
              Saved as an active mission (the same template and perimeter are kept once). <kbd>Ctrl</kbd>+<kbd>Enter</kbd> saves and runs,{" "}
              <kbd>Ctrl</kbd>+<kbd>S</kbd> saves.
            </p>
          )}
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn" data-testid="perimeter-save" disabled={!canSave} onClick={() => save(false)}>
            <Rocket size={14} aria-hidden /> {saving ? "Saving…" : "Save"}
          </button>
          <button
            type="button"
            className="btn btn-primary"
            data-testid="perimeter-save-run"
            disabled={!canSave}
            onClick={() => save(true)}
            title="Save the active mission and start a run of it (Ctrl+Enter)"
          >
            <Play size={14} aria-hidden /> {saving ? "Starting…" : "Save and run"}
          </button>
        </footer>
      </div>
    </div>
  );
}

function Group({ title, hint, children }: { title: string; hint: string; children: ReactNode }) {
  return (
    <fieldset className="pgroup">
      <legend>{title}</legend>
      <p className="pgroup-hint">{hint}</p>
      {children}
    </fieldset>
  );
}

function Field({ label, hint, children }: { label: string; hint: string; children: ReactNode }) {
  return (
    <label className="pfield">
      <span className="pfield-label">{label}</span>
      {children}
      <span className="pfield-hint">{hint}</span>
    </label>
  );
}

export function BudgetRow({
  field,
  value,
  caps,
  onChange,
}: {
  field: BudgetField;
  value: number;
  caps: PerimeterDto | null;
  onChange: (v: number) => void;
}) {
  const max = maxOf(field, caps);
  const capped = hasCap(field, caps);
  const [draft, setDraft] = useState<string | null>(null);
  const pct = max > 0 ? Math.min(100, (value / max) * 100) : 0;
  const atCap = capped && value >= max;
  const fmt = (v: number) => formatCap(field, v);
  return (
    <div className={`budget-row${atCap ? " at-cap" : ""}`} data-testid={`budget-${field.key}`}>
      <label className="budget-label" htmlFor={`slider-${field.key}`}>
        {field.label}
      </label>
      <input
        id={`slider-${field.key}`}
        type="range"
        className="slider"
        min={0}
        max={max}
        step={field.step}
        value={value}
        style={{ ["--pct" as string]: `${pct}%` }}
        data-testid={`slider-${field.key}`}
        aria-valuetext={`${fmt(value)} ${field.unit}`}
        onChange={(e) => onChange(Number(e.target.value))}
      />
      <span className="input-affix budget-num">
        <span aria-hidden>{field.key === "maxCostUsd" ? "$" : ""}</span>
        <input
          className="input input-num"
          type="number"
          min={0}
          max={max}
          step={field.integer ? field.step : "any"}
          value={draft ?? fmt(value)}
          aria-label={`${field.label} (${field.unit})`}
          data-testid={`input-${field.key}`}
          onChange={(e) => {
            const raw = e.target.value;
            const n = Number(raw);
            if (raw !== "" && Number.isFinite(n) && n > max) {
              setDraft(null);
              onChange(max);
            } else {
              setDraft(raw);
              if (raw !== "" && Number.isFinite(n)) onChange(n);
            }
          }}
          onBlur={() => setDraft(null)}
        />
        <span>{field.key !== "maxCostUsd" ? field.unit : ""}</span>
      </span>
      <span className={`budget-cap${atCap ? " is-hit" : ""}`} data-testid={`cap-${field.key}`}>
        {capped ? (
          <>
            <Lock size={11} aria-hidden /> cap {field.key === "maxCostUsd" ? `$${fmt(max)}` : fmt(max)}
          </>
        ) : (
          "no global cap"
        )}
      </span>
    </div>
  );
}

function TagInput({
  label,
  values,
  onChange,
  testId,
  tone,
}: {
  label: string;
  values: string[];
  onChange: (v: string[]) => void;
  testId: string;
  tone?: "danger";
}) {
  const [draft, setDraft] = useState("");
  const add = () => {
    const items = draft
      .split(/[,\s]+/)
      .map((s) => s.trim())
      .filter(Boolean)
      .filter((s) => !values.includes(s));
    if (items.length) onChange([...values, ...items]);
    setDraft("");
  };
  return (
    <div className={`tag-input${tone === "danger" ? " tone-danger" : ""}`} data-testid={testId}>
      <span className="tag-input-label">{label}</span>
      <div className="tag-input-box">
        {values.map((v) => (
          <span key={v} className="tag tag-removable">
            {v}
            <button type="button" aria-label={`Remove ${v}`} onClick={() => onChange(values.filter((x) => x !== v))}>
              <X size={11} aria-hidden />
            </button>
          </span>
        ))}
        <input
          value={draft}
          placeholder={values.length ? "" : "type a tool, Enter to add"}
          aria-label={`${label} tools`}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" || e.key === ",") {
              e.preventDefault();
              add();
            } else if (e.key === "Backspace" && draft === "" && values.length) {
              onChange(values.slice(0, -1));
            }
          }}
          onBlur={add}
        />
      </div>
    </div>
  );
}
