import { AlertCircle, Check, Gauge, RotateCcw, ShieldCheck } from "lucide-react";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { library, type ApprovalMode, type SandboxMode } from "../../ipc/library";
import { formatTime } from "../../lib/dates";
import { CAP_FIELDS, dtoFromForm, formFromDto, sameForm, validateCaps, type BudgetKey, type CapsForm } from "./caps";

const MODES: { value: ApprovalMode | ""; label: string; hint: string }[] = [
  { value: "", label: "Per mission", hint: "Each mission's perimeter decides which steps wait for approval." },
  { value: "strict", label: "Strict", hint: "Every step that changes something or calls out (commands, HTTP requests, model calls) waits for an operator's approval." },
  { value: "threshold", label: "Threshold", hint: "A step waits for approval when its estimated cost is above the threshold." },
  { value: "auto", label: "Auto", hint: "Steps run without approval, within the caps and the tool lists." },
];

const SANDBOXES: { value: SandboxMode | ""; label: string }[] = [
  { value: "", label: "Per mission" },
  { value: "read-only", label: "Read-only" },
  { value: "full-access", label: "Full access" },
];

type Status = { kind: "idle" } | { kind: "saving" } | { kind: "saved"; at: Date } | { kind: "error"; message: string };

/** The global hard caps: budget limits and the policy no perimeter may loosen. */
export function CapsCard({ enabled }: { enabled: boolean }) {
  const [saved, setSaved] = useState<CapsForm | null>(null);
  const [form, setForm] = useState<CapsForm | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [status, setStatus] = useState<Status>({ kind: "idle" });
  const [touched, setTouched] = useState(false);

  useEffect(() => {
    if (!enabled) return;
    library.getCaps().then(
      (dto) => {
        const f = formFromDto(dto);
        setSaved(f);
        setForm(f);
      },
      (e: { message: string }) => setLoadError(e.message),
    );
  }, [enabled]);

  const errors = useMemo(() => (form ? validateCaps(form) : {}), [form]);
  const invalid = Object.keys(errors).length > 0;
  const dirty = form !== null && saved !== null && !sameForm(form, saved);
  const shown = (key: keyof typeof errors) => (touched || dirty ? errors[key] : undefined);

  const update = (patch: Partial<CapsForm>) => {
    setForm((f) => (f ? { ...f, ...patch } : f));
    setStatus((s) => (s.kind === "saving" ? s : { kind: "idle" }));
  };
  const setBudget = (key: BudgetKey, value: string) => {
    setForm((f) => (f ? { ...f, budget: { ...f.budget, [key]: value } } : f));
    setStatus((s) => (s.kind === "saving" ? s : { kind: "idle" }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!form || invalid) return;
    setStatus({ kind: "saving" });
    try {
      const dto = await library.setCaps(dtoFromForm(form));
      const f = formFromDto(dto);
      setSaved(f);
      setForm(f);
      setStatus({ kind: "saved", at: new Date() });
    } catch (err) {
      setStatus({ kind: "error", message: (err as { message: string }).message });
    }
  };

  return (
    <section className="card st-card" id="settings-caps" aria-labelledby="caps-title">
      <header className="st-card-head">
        <div className="st-card-icon" aria-hidden>
          <Gauge size={18} />
        </div>
        <div>
          <h2 className="card-title" id="caps-title">
            Global hard caps
          </h2>
          <p className="card-hint">
            The ceiling of every run. No perimeter can go above these: deploys that ask for more are refused, and a run
            that reaches one is stopped. Leave a field empty for no cap.
          </p>
        </div>
      </header>

      {!enabled ? (
        <p className="muted st-offline">The hard caps are read from the data folder in the desktop app.</p>
      ) : loadError ? (
        <p className="error-text" role="alert">
          <AlertCircle size={15} aria-hidden /> Could not read the hard caps: {loadError}
        </p>
      ) : !form ? (
        <div className="st-skeleton" aria-busy="true" aria-label="Loading the hard caps" />
      ) : (
        <form onSubmit={(e) => void submit(e)} noValidate data-testid="caps-form">
          <h3 className="st-subhead">Budget per run</h3>
          <div className="st-cap-grid">
            {CAP_FIELDS.map((f) => {
              const err = shown(f.key);
              const id = `cap-${f.key}`;
              return (
                <div className={`st-field${err ? " has-error" : ""}`} key={f.key}>
                  <label htmlFor={id}>{f.label}</label>
                  <div className="st-input-wrap">
                    <input
                      id={id}
                      className="input input-num st-input"
                      inputMode={f.integer ? "numeric" : "decimal"}
                      placeholder="No cap"
                      value={form.budget[f.key]}
                      onChange={(e) => setBudget(f.key, e.target.value)}
                      onBlur={() => setTouched(true)}
                      aria-invalid={err ? true : undefined}
                      aria-describedby={`${id}-help`}
                      data-testid={`caps-${f.key}`}
                    />
                    <span className="st-unit">{f.unit}</span>
                  </div>
                  <p className="st-help" id={`${id}-help`} data-testid={err ? `caps-error-${f.key}` : undefined}>
                    {err ?? f.hint}
                  </p>
                </div>
              );
            })}
          </div>

          <h3 className="st-subhead">Policy</h3>
          <div className="st-policy">
            <div className="st-field st-field-wide">
              <span className="st-label" id="caps-mode-label">
                Approval mode
              </span>
              <div className="segmented segmented-sm st-segmented" role="radiogroup" aria-labelledby="caps-mode-label">
                {MODES.map((m) => (
                  <button
                    key={m.value || "none"}
                    type="button"
                    role="radio"
                    aria-checked={form.approvalMode === m.value}
                    className={`segment${form.approvalMode === m.value ? " selected" : ""}`}
                    data-testid={`caps-mode-${m.value || "none"}`}
                    onClick={() => update({ approvalMode: m.value })}
                  >
                    {m.label}
                  </button>
                ))}
              </div>
              <p className="st-help">{MODES.find((m) => m.value === form.approvalMode)?.hint}</p>
            </div>
            {form.approvalMode === "threshold" ? (
              <div className={`st-field${shown("thresholdUsd") ? " has-error" : ""}`}>
                <label htmlFor="cap-threshold">Approval threshold</label>
                <div className="st-input-wrap">
                  <input
                    id="cap-threshold"
                    className="input input-num st-input"
                    inputMode="decimal"
                    placeholder="e.g. 0.50"
                    value={form.thresholdUsd}
                    onChange={(e) => update({ thresholdUsd: e.target.value })}
                    aria-invalid={shown("thresholdUsd") ? true : undefined}
                    data-testid="caps-thresholdUsd"
                  />
                  <span className="st-unit">USD</span>
                </div>
                <p className="st-help" data-testid={shown("thresholdUsd") ? "caps-error-thresholdUsd" : undefined}>
                  {shown("thresholdUsd") ?? "Steps estimated above this amount wait for approval."}
                </p>
              </div>
            ) : null}
            <div className="st-field">
              <label htmlFor="cap-sandbox">Sandbox</label>
              <select
                id="cap-sandbox"
                className="input st-select"
                value={form.sandbox}
                onChange={(e) => update({ sandbox: e.target.value as SandboxMode | "" })}
                data-testid="caps-sandbox"
              >
                {SANDBOXES.map((s) => (
                  <option key={s.value || "none"} value={s.value}>
                    {s.label}
                  </option>
                ))}
              </select>
              <p className="st-help">Read-only: runs write only to their evidence folder.</p>
            </div>
            <ListField
              id="cap-forbidden"
              label="Forbidden tools"
              value={form.forbiddenTools}
              placeholder="e.g. shell, email"
              help="Never run, whatever a mission asks."
              onChange={(v) => update({ forbiddenTools: v })}
              error={shown("tools")}
            />
            <ListField
              id="cap-allowed"
              label="Allowed tools"
              value={form.allowedTools}
              placeholder="Any tool"
              help="When set, only these tools may run."
              onChange={(v) => update({ allowedTools: v })}
            />
            <ListField
              id="cap-required"
              label="Always approve"
              value={form.requiredFor}
              placeholder="e.g. command, http"
              help="Step types that always wait for approval."
              onChange={(v) => update({ requiredFor: v })}
            />
            <ListField
              id="cap-sectors"
              label="Connected sectors"
              value={form.connectedSectors}
              placeholder="Every sector"
              help="Sectors whose data a run may reach."
              onChange={(v) => update({ connectedSectors: v })}
            />
          </div>

          <footer className="st-foot">
            <div className="st-foot-status" role="status" aria-live="polite" data-testid="caps-status">
              {status.kind === "saving" ? (
                <span className="muted">Saving…</span>
              ) : status.kind === "error" ? (
                <span className="st-status-error">
                  <AlertCircle size={15} aria-hidden /> {status.message}
                </span>
              ) : touched && invalid ? (
                <span className="st-status-error">
                  <AlertCircle size={15} aria-hidden /> Fix the highlighted fields to save.
                </span>
              ) : dirty ? (
                <span className="st-status-dirty">
                  <span className="st-dot" aria-hidden /> Unsaved changes
                </span>
              ) : status.kind === "saved" ? (
                <span className="st-status-ok">
                  <Check size={15} aria-hidden /> Saved to perimeter.yaml at {formatTime(status.at, { seconds: true })}
                </span>
              ) : (
                <span className="muted">
                  <ShieldCheck size={15} aria-hidden /> In force for every run.
                </span>
              )}
            </div>
            <button
              type="button"
              className="btn btn-ghost"
              disabled={!dirty || status.kind === "saving"}
              onClick={() => {
                setForm(saved);
                setTouched(false);
              }}
            >
              <RotateCcw size={14} aria-hidden /> Discard
            </button>
            <button
              type="submit"
              className="btn btn-primary"
              disabled={!dirty || status.kind === "saving"}
              data-testid="caps-save"
            >
              Save caps
            </button>
          </footer>
        </form>
      )}
    </section>
  );
}

function ListField(props: {
  id: string;
  label: string;
  value: string;
  placeholder: string;
  help: string;
  error?: string | undefined;
  onChange: (v: string) => void;
}) {
  return (
    <div className={`st-field${props.error ? " has-error" : ""}`}>
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        className="input st-input"
        value={props.value}
        placeholder={props.placeholder}
        onChange={(e) => props.onChange(e.target.value)}
        aria-invalid={props.error ? true : undefined}
        spellCheck={false}
      />
      <p className="st-help">{props.error ?? props.help}</p>
    </div>
  );
}
