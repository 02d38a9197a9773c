import { AlertTriangle, Check, FlaskConical, KeyRound, Pencil, Plus, Server, ShieldCheck, Trash2, X } from "lucide-react";
import { useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from "react";
import { ipc, type Settings } from "../../ipc";
import { library, type LlmProvider } from "../../ipc/library";
import {
  KINDS,
  PRESETS,
  emptyProviderForm,
  formFromProvider,
  inputFromForm,
  kindLabel,
  validateProvider,
  type ProviderForm,
  type StorageChoice,
} from "./providers";
import { TestButton, TestResult, testProvider, type TestState } from "./ProviderTest";

type Editing = { mode: "new" } | { mode: "edit"; provider: LlmProvider } | null;

/** Built-in providers a mission may name without configuring anything. */
const BUILTIN_CHOICES: { value: string; label: string }[] = [
  { value: "ollama", label: "ollama (built in: OLLAMA_HOST, else localhost:11434)" },
  { value: "openai", label: "openai (built in: OPENAI_API_KEY)" },
  { value: "anthropic", label: "anthropic (built in: ANTHROPIC_API_KEY)" },
];

/** LLM providers: list, add, edit, delete (a key is never shown again); the default provider and
 * the "simulate every model call" switch. */
export function ProvidersCard({ enabled }: { enabled: boolean }) {
  const [providers, setProviders] = useState<LlmProvider[] | null>(null);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [settingsError, setSettingsError] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Editing>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const [rowError, setRowError] = useState<string | null>(null);
  const [tests, setTests] = useState<Record<string, TestState>>({});
  const test = (id: string) => void testProvider(id, (state) => setTests((t) => ({ ...t, [id]: state })));

  useEffect(() => {
    if (!enabled) return;
    library.listProviders().then(setProviders, (e: { message: string }) => setLoadError(e.message));
    ipc.getSettings().then(setSettings, (e: { message: string }) => setSettingsError(e.message));
  }, [enabled]);

  const changeSettings = async (change: () => Promise<Settings>) => {
    try {
      setSettings(await change());
      setSettingsError(null);
    } catch (e) {
      setSettingsError((e as { message: string }).message);
    }
  };

  const remove = async (id: string) => {
    try {
      setProviders(await library.deleteProvider(id));
      setNotice(`Deleted “${id}” and its key.`);
      setRowError(null);
    } catch (e) {
      setRowError((e as { message: string }).message);
    } finally {
      setConfirmDelete(null);
    }
  };

  return (
    <section className="card st-card" id="settings-providers" aria-labelledby="providers-title">
      <header className="st-card-head">
        <div className="st-card-icon" aria-hidden>
          <Server size={18} />
        </div>
        <div className="st-card-head-text">
          <h2 className="card-title" id="providers-title">
            LLM providers
          </h2>
          <p className="card-hint">
            Endpoints a mission's <code>llm</code> steps name with <code>provider:</code>: OpenAI-compatible servers
            (OpenAI, llama.cpp, vLLM, shimmy), Ollama and Anthropic. Keys go to the OS keyring unless you choose
            otherwise, and are never shown again.
          </p>
        </div>
        {enabled && editing === null ? (
          <button
            type="button"
            className="btn btn-primary st-head-action"
            onClick={() => {
              setEditing({ mode: "new" });
              setNotice(null);
            }}
            data-testid="provider-add"
          >
            <Plus size={15} aria-hidden /> Add provider
          </button>
        ) : null}
      </header>

      {notice ? (
        <p className="st-notice" role="status" data-testid="provider-notice">
          <Check size={15} aria-hidden /> {notice}
        </p>
      ) : null}
      {rowError ? (
        <p className="error-text" role="alert">
          {rowError}
        </p>
      ) : null}

      {!enabled ? (
        <p className="muted st-offline">Providers are read from the data folder in the desktop app.</p>
      ) : loadError ? (
        <p className="error-text" role="alert">
          Could not read the providers: {loadError}
        </p>
      ) : providers === null ? (
        <div className="st-skeleton" aria-busy="true" aria-label="Loading the providers" />
      ) : (
        <>
          {editing?.mode === "new" ? (
            <ProviderEditor
              existing={providers}
              editing={null}
              onCancel={() => setEditing(null)}
              onSaved={(list, id) => {
                setProviders(list);
                setEditing(null);
                setNotice(`Saved “${id}”.`);
              }}
            />
          ) : null}
          {providers.length === 0 && editing === null ? (
            <div className="st-empty" data-testid="providers-empty">
              <KeyRound size={18} aria-hidden />
              <div>
                <strong>No provider yet.</strong> Steps that name no provider use the built-in simulated model, whose
                answers are marked as simulated. Start with a local Ollama: Add provider, pick the Ollama preset, then
                make it the default below.
              </div>
            </div>
          ) : null}
          {providers.length > 0 ? (
            <ul className="st-provider-list" aria-label="Providers">
              {providers.map((p) =>
                editing?.mode === "edit" && editing.provider.id === p.id ? (
                  <li key={p.id} className="st-provider is-editing">
                    <ProviderEditor
                      existing={providers}
                      editing={p}
                      onCancel={() => setEditing(null)}
                      onSaved={(list, id) => {
                        setProviders(list);
                        setTests((t) => Object.fromEntries(Object.entries(t).filter(([k]) => k !== id)));
                        setEditing(null);
                        setNotice(`Saved “${id}”.`);
                      }}
                    />
                  </li>
                ) : (
                  <li key={p.id} className={`st-provider${tests[p.id] ? " has-test" : ""}`} data-testid={`provider-row-${p.id}`}>
                    <div className="st-provider-main">
                      <div className="st-provider-name">
                        <span className="mono">{p.id}</span>
                        <span className="st-kind" data-testid={`provider-kind-${p.id}`}>
                          {kindLabel(p.kind)}
                        </span>
                        <span className="st-model">{p.model}</span>
                        {settings?.defaultProvider === p.id ? <span className="st-default-badge">Default</span> : null}
                      </div>
                      <div className="st-provider-url mono">{p.baseUrl}</div>
                    </div>
                    <KeyBadge provider={p} />
                    {confirmDelete === p.id ? (
                      <div className="st-row-actions">
                        <span className="st-confirm-text">Delete “{p.id}” and its key?</span>
                        <button type="button" className="btn btn-sm st-btn-danger" onClick={() => void remove(p.id)} data-testid={`provider-confirm-delete-${p.id}`}>
                          Delete
                        </button>
                        <button type="button" className="btn btn-sm btn-ghost" onClick={() => setConfirmDelete(null)}>
                          Cancel
                        </button>
                      </div>
                    ) : (
                      <div className="st-row-actions">
                        <TestButton id={p.id} state={tests[p.id]} onTest={() => test(p.id)} />
                        <button
                          type="button"
                          className="btn btn-sm btn-ghost"
                          onClick={() => {
                            setEditing({ mode: "edit", provider: p });
                            setNotice(null);
                          }}
                          aria-label={`Edit ${p.id}`}
                          data-testid={`provider-edit-${p.id}`}
                        >
                          <Pencil size={14} aria-hidden /> Edit
                        </button>
                        <button
                          type="button"
                          className="btn btn-sm btn-ghost st-ghost-danger"
                          onClick={() => setConfirmDelete(p.id)}
                          aria-label={`Delete ${p.id}`}
                          data-testid={`provider-delete-${p.id}`}
                        >
                          <Trash2 size={14} aria-hidden />
                        </button>
                      </div>
                    )}
                    <TestResult id={p.id} state={tests[p.id]} />
                  </li>
                ),
              )}
            </ul>
          ) : null}
          <ModelUse
            providers={providers}
            settings={settings}
            error={settingsError}
            onDefault={(name) => void changeSettings(() => ipc.setDefaultProvider(name))}
            onSimulate={(on) => void changeSettings(() => ipc.setSimulateLlm(on))}
          />
        </>
      )}
    </section>
  );
}

/** Which provider steps without `provider:` use, and the switch that simulates every call. */
function ModelUse(props: {
  providers: LlmProvider[];
  settings: Settings | null;
  error: string | null;
  onDefault: (name: string | null) => void;
  onSimulate: (on: boolean) => void;
}) {
  const { providers, settings } = props;
  const current = settings?.defaultProvider ?? "";
  return (
    <div className="st-model-use" data-testid="model-use">
      <div className="st-field">
        <label htmlFor="default-provider">Default provider</label>
        <select
          id="default-provider"
          className="input st-input"
          value={current}
          disabled={settings === null}
          onChange={(e) => props.onDefault(e.target.value === "" ? null : e.target.value)}
          data-testid="default-provider"
        >
          <option value="">Simulated (built in, offline; answers marked as simulated)</option>
          {providers.map((p) => (
            <option key={p.id} value={p.id}>
              {p.id} ({kindLabel(p.kind)}, {p.model})
            </option>
          ))}
          {BUILTIN_CHOICES.filter((b) => !providers.some((p) => p.id === b.value)).map((b) => (
            <option key={b.value} value={b.value}>
              {b.label}
            </option>
          ))}
        </select>
        <p className="st-help">
          Used by <code>llm</code> steps that name no provider (or <code>provider: default</code>), as the library&apos;s
          templates do. A step that names a provider keeps it.
        </p>
      </div>
      <label className={`st-switch-row${settings?.simulateLlm ? " is-on" : ""}`}>
        <input
          type="checkbox"
          checked={settings?.simulateLlm ?? false}
          disabled={settings === null}
          onChange={(e) => props.onSimulate(e.target.checked)}
          data-testid="simulate-llm"
        />
        <FlaskConical size={16} aria-hidden />
        <span>
          <strong>Simulate every model call</strong>
          <span className="st-option-hint">
            Runs started from the app answer each <code>llm</code> step with the simulated provider, priced as the model it
            asks for, so budgets are exercised without a model. The run&apos;s header, <code>meta.json</code> and{" "}
            <code>answer.md</code> say so. (The command line: <code>mission run --simulate-llm</code>.)
          </span>
        </span>
      </label>
      {props.error ? (
        <p className="error-text" role="alert">
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

function KeyBadge({ provider }: { provider: LlmProvider }) {
  if (!provider.hasKey)
    return (
      <span className="st-key-badge is-none" title="No API key: fine for a local server">
        No key
      </span>
    );
  if (provider.keyStorage === "settings")
    return (
      <span
        className="st-key-badge is-file"
        title="The key is stored in plain text in providers.json"
        data-testid={`provider-key-file-${provider.id}`}
      >
        <AlertTriangle size={13} aria-hidden /> Key in settings file
      </span>
    );
  return (
    <span className="st-key-badge is-keyring" title={provider.keyringUser ? `Keyring entry ${provider.keyringUser}` : undefined}>
      <ShieldCheck size={13} aria-hidden /> Key in OS keyring
    </span>
  );
}

function ProviderEditor(props: {
  existing: LlmProvider[];
  editing: LlmProvider | null;
  onCancel: () => void;
  onSaved: (list: LlmProvider[], id: string) => void;
}) {
  const { existing, editing } = props;
  const [form, setForm] = useState<ProviderForm>(() => (editing ? formFromProvider(editing) : emptyProviderForm()));
  const [touched, setTouched] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const firstRef = useRef<HTMLInputElement>(null);
  const errors = useMemo(() => validateProvider(form, existing, editing !== null), [form, existing, editing]);
  const shown = touched ? errors : {};
  const set = (patch: Partial<ProviderForm>) => setForm((f) => ({ ...f, ...patch }));

  useEffect(() => {
    firstRef.current?.focus();
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(errors).length > 0) return;
    setSaving(true);
    setError(null);
    try {
      const input = inputFromForm(form);
      props.onSaved(await library.saveProvider(input), input.id);
    } catch (err) {
      setError((err as { message: string }).message);
    } finally {
      setSaving(false);
    }
  };

  const storage: { value: StorageChoice; label: string; hint: string }[] = [
    { value: "keyring", label: "OS keyring", hint: "Recommended. Encrypted by the operating system." },
    { value: "settings", label: "Settings file", hint: "Plain text in providers.json in the data folder." },
  ];

  return (
    <form
      className="st-editor"
      onSubmit={(e) => void submit(e)}
      onKeyDown={(e) => {
        if (e.key === "Escape") props.onCancel();
      }}
      noValidate
      aria-label={editing ? `Edit provider ${editing.id}` : "New provider"}
      data-testid="provider-form"
    >
      <div className="st-editor-head">
        <h3>{editing ? `Edit ${editing.id}` : "New provider"}</h3>
        {!editing ? (
          <div className="st-presets" aria-label="Presets">
            <span className="muted">Presets</span>
            {PRESETS.map((p) => (
              <button
                key={p.id}
                type="button"
                className="chip chip-sm"
                onClick={() => set({ id: form.id || p.id, kind: p.kind, baseUrl: p.baseUrl, model: p.model })}
              >
                {p.label}
              </button>
            ))}
          </div>
        ) : null}
        <button type="button" className="icon-button st-editor-close" onClick={props.onCancel} aria-label="Cancel">
          <X size={15} aria-hidden />
        </button>
      </div>
      <div className="st-editor-grid">
        <Field id="provider-id" label="Name" error={shown.id} help="Letters, digits, “-”, “_” or “.”. Missions name the provider by it.">
          <input
            ref={firstRef}
            id="provider-id"
            className="input st-input mono"
            value={form.id}
            disabled={editing !== null}
            placeholder="ollama"
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => set({ id: e.target.value })}
            aria-invalid={shown.id ? true : undefined}
            data-testid="provider-id"
          />
        </Field>
        <Field id="provider-model" label="Model" error={shown.model} help="The model name the server expects.">
          <input
            id="provider-model"
            className="input st-input mono"
            value={form.model}
            placeholder="llama3.1:8b"
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => set({ model: e.target.value })}
            aria-invalid={shown.model ? true : undefined}
            data-testid="provider-model"
          />
        </Field>
        <fieldset className="st-field st-field-wide st-kinds">
          <legend className="st-label">Wire format</legend>
          <div className="segmented" role="radiogroup" aria-label="Wire format">
            {KINDS.map((k) => (
              <button
                key={k.value}
                type="button"
                role="radio"
                aria-checked={form.kind === k.value}
                className={`segment${form.kind === k.value ? " selected" : ""}`}
                onClick={() => set({ kind: k.value })}
                data-testid={`provider-kind-choice-${k.value}`}
              >
                {k.label}
              </button>
            ))}
          </div>
        </fieldset>
        <Field
          id="provider-url"
          label="Base URL"
          error={shown.baseUrl}
          help={KINDS.find((k) => k.value === form.kind)?.urlHelp ?? ""}
          wide
        >
          <input
            id="provider-url"
            className="input st-input mono"
            value={form.baseUrl}
            placeholder={KINDS.find((k) => k.value === form.kind)?.urlPlaceholder}
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => set({ baseUrl: e.target.value })}
            aria-invalid={shown.baseUrl ? true : undefined}
            data-testid="provider-base-url"
          />
        </Field>
        <Field
          id="provider-key"
          label="API key"
          error={shown.apiKey}
          help={
            editing?.hasKey
              ? "A key is set. Leave empty to keep it, or type a new one to replace it."
              : "Optional: local servers usually need none."
          }
          wide
        >
          <input
            id="provider-key"
            className="input st-input mono"
            type="password"
            value={form.apiKey}
            placeholder={editing?.hasKey ? "•••••••• (unchanged)" : "sk-…"}
            autoComplete="off"
            disabled={form.removeKey}
            onChange={(e) => set({ apiKey: e.target.value })}
            aria-invalid={shown.apiKey ? true : undefined}
            data-testid="provider-key"
          />
          {editing?.hasKey ? (
            <label className="st-check">
              <input type="checkbox" checked={form.removeKey} onChange={(e) => set({ removeKey: e.target.checked, apiKey: "" })} />
              Remove the stored key
            </label>
          ) : null}
        </Field>
        <fieldset className="st-field st-field-wide st-storage">
          <legend className="st-label">Store the key in</legend>
          <div className="st-storage-options" role="radiogroup" aria-label="Store the key in">
            {storage.map((s) => (
              <label key={s.value} className={`st-storage-option${form.storage === s.value ? " is-on" : ""}`}>
                <input
                  type="radio"
                  name="key-storage"
                  value={s.value}
                  checked={form.storage === s.value}
                  onChange={() => set({ storage: s.value })}
                  data-testid={`key-storage-${s.value}`}
                />
                <span>
                  <strong>{s.label}</strong>
                  <span className="st-option-hint">{s.hint}</span>
                </span>
              </label>
            ))}
          </div>
          {form.storage === "settings" ? (
            <div className="st-warning" role="alert" data-testid="provider-file-warning">
              <AlertTriangle size={16} aria-hidden />
              <div>
                <strong>The key will be stored in plain text.</strong> Anyone who can read the data folder, its backups or
                a support bundle can read it. Use the OS keyring unless this machine has none.
              </div>
            </div>
          ) : null}
        </fieldset>
      </div>
      <div className="st-editor-foot">
        {error ? (
          <p className="st-status-error" role="alert" data-testid="provider-error">
            {error}
          </p>
        ) : touched && Object.keys(errors).length > 0 ? (
          <p className="st-status-error">Fix the highlighted fields to save.</p>
        ) : (
          <span />
        )}
        <button type="button" className="btn btn-ghost" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={saving} data-testid="provider-save">
          {saving ? "Saving…" : editing ? "Save changes" : "Add provider"}
        </button>
      </div>
    </form>
  );
}

function Field(props: { id: string; label: string; help: string; error?: string | undefined; wide?: boolean; children: ReactNode }) {
  return (
    <div className={`st-field${props.wide ? " st-field-wide" : ""}${props.error ? " has-error" : ""}`}>
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
      <p className="st-help" id={`${props.id}-help`}>
        {props.error ?? props.help}
      </p>
    </div>
  );
}
