// The Editor: a mission's YAML checked by Rust as one types (marks in the text and a list under
// it), its step graph and approval preview following the text, "Generate from a plan",
// "Compare with…", Save (into the library or back to its file) and Run.
import "../library/library.css";
import "./editor.css";
import { AlertTriangle, CheckCircle2, FolderOpen, GitCompare, Play, Save, ShieldCheck, Wand2, X } from "lucide-react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { DagView, type DagNodeData } from "../../components/dag";
import { PageHeader } from "../../components/PageHeader";
import type { MissionReport } from "../../gen/MissionReport";
import { editor, pickMissionFile, type EditorPreview, type MissionDiff } from "../../ipc/editor";
import { library, type TemplateSummary } from "../../ipc/library";
import { CodeEditor, type CodeEditorHandle } from "./CodeEditor";
import { baseName, CHECK_DELAY_MS, copyOfTemplate, debounce, parsePlan, placeDiagnostics, planSummary } from "./logic";

const STORE_KEY = "mission-studio.editor";

const STARTER = `version: "1.0"
id: my-mission
name: My Mission
goal: "What the mission achieves"
sector: Operations
required_depts: [operations]

steps:
  - id: start
    step_type: noop
  - id: write
    step_type: create_file
    depends_on: [start]
    parameters:
      path: result.md
      content: "done"
`;

/** Where the text came from: a new text, a template's copy, or a file (saved back to it). */
interface Doc {
  text: string;
  /** The file the text is saved back to; null: saved into the library. */
  path: string | null;
  /** What the header says the text is. */
  label: string;
}

function loadDoc(): Doc {
  try {
    const raw = sessionStorage.getItem(STORE_KEY);
    if (raw) return JSON.parse(raw) as Doc;
  } catch {
    // A broken stored draft: start again.
  }
  return { text: STARTER, path: null, label: "New mission" };
}

declare global {
  interface Window {
    /** Keystroke-to-diagnostic latencies (ms) of this window, for the end-to-end test. */
    missionEditorLatencies?: number[];
  }
}

export function EditorPage() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const [initial] = useState(loadDoc);
  const [doc, setDoc] = useState<Doc>(initial);
  const textRef = useRef(initial.text);
  const editorRef = useRef<CodeEditorHandle>(null);
  const [report, setReport] = useState<MissionReport | null>(null);
  const [preview, setPreview] = useState<EditorPreview | null>(null);
  const [checking, setChecking] = useState(false);
  const [notice, setNotice] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [modal, setModal] = useState<"generate" | "compare" | null>(null);
  const editedAt = useRef(0);
  const seq = useRef(0);

  const check = useCallback((text: string, path: string | null) => {
    const mine = ++seq.current;
    setChecking(true);
    Promise.all([editor.check(text, path), editor.preview(text, path)]).then(
      ([r, p]) => {
        if (mine !== seq.current) return;
        setChecking(false);
        setReport(r);
        setPreview(p);
        const shown = editorRef.current?.showDiagnostics(text, placeDiagnostics(text, r.items));
        if (shown && editedAt.current > 0) {
          (window.missionEditorLatencies ??= []).push(Math.round(performance.now() - editedAt.current));
          editedAt.current = 0;
        }
      },
      (e: { message: string }) => {
        if (mine !== seq.current) return;
        setChecking(false);
        setNotice({ kind: "error", text: e.message });
      },
    );
  }, []);

  const pathRef = useRef(initial.path);
  const debounced = useRef<ReturnType<typeof debounce<string>> | null>(null);
  useEffect(() => {
    const d = debounce((text: string) => check(text, pathRef.current), CHECK_DELAY_MS);
    debounced.current = d;
    return () => d.cancel();
  }, [check]);

  // Keep the draft across pages.
  useEffect(() => {
    const t = setTimeout(() => sessionStorage.setItem(STORE_KEY, JSON.stringify({ ...doc, text: textRef.current })), 300);
    return () => clearTimeout(t);
  });

  const onChange = useCallback(
    (text: string) => {
      textRef.current = text;
      editedAt.current = performance.now();
      setDoc((d) => ({ ...d, text }));
      debounced.current?.push(text);
    },
    [],
  );

  /** A new text from elsewhere (a file, a copy, a plan): one edit, undoable. */
  const loadText = useCallback(
    (text: string, path: string | null, label: string) => {
      pathRef.current = path;
      setDoc({ text, path, label });
      textRef.current = text;
      editorRef.current?.replaceText(text);
      debounced.current?.cancel();
      check(text, path);
    },
    [check],
  );

  // First check of the text as it opens.
  useEffect(() => {
    const t = setTimeout(() => check(initial.text, initial.path), 0);
    return () => clearTimeout(t);
  }, [check, initial]);

  // `?template=<id>`: a copy of a library template; `?file=<path>`: a file dropped or opened.
  useEffect(() => {
    const template = params.get("template");
    const file = params.get("file");
    if (!template && !file) return;
    setParams({}, { replace: true });
    if (template) {
      library
        .getTemplate(template)
        .then((t) => editor.readFile(t.path).then((text) => loadText(copyOfTemplate(text, t.id), null, `Copy of ${t.name}`)))
        .catch((e: { message: string }) => setNotice({ kind: "error", text: e.message }));
    } else if (file) {
      editor.readFile(file).then(
        (text) => loadText(text, file, baseName(file)),
        (e: { message: string }) => setNotice({ kind: "error", text: e.message }),
      );
    }
  }, [params, setParams, loadText]);

  const openFile = async () => {
    const picked = await pickMissionFile("Open a mission");
    if (!picked) return;
    editor.readFile(picked).then(
      (text) => loadText(text, picked, baseName(picked)),
      (e: { message: string }) => setNotice({ kind: "error", text: e.message }),
    );
  };

  const save = () => {
    setBusy(true);
    setNotice(null);
    editor.save(textRef.current, doc.path).then(
      (s) => {
        setBusy(false);
        const where = s.inLibrary ? `to the library as ${s.id}` : `to ${baseName(s.path)}`;
        setNotice({
          kind: "ok",
          text: `Saved ${where}${s.warnings ? ` with ${s.warnings} warning${s.warnings === 1 ? "" : "s"}` : ""}.`,
        });
      },
      (e: { message: string }) => {
        setBusy(false);
        setNotice({ kind: "error", text: e.message });
      },
    );
  };

  const run = () => {
    setBusy(true);
    setNotice(null);
    editor.run(textRef.current, doc.path).then(
      (runId) => navigate(`/runs/${encodeURIComponent(runId)}`),
      (e: { message: string }) => {
        setBusy(false);
        setNotice({ kind: "error", text: e.message });
      },
    );
  };

  const errors = report?.errors ?? 0;
  const warnings = report?.warnings ?? 0;

  return (
    <div className="page editor-page" data-testid="editor-page">
      <PageHeader
        title="Editor"
        subtitle={doc.path ? `${doc.label} · saved back to its file` : `${doc.label} · saved into the library`}
        actions={
          <>
            <button type="button" className="btn" onClick={() => void openFile()} data-testid="editor-open">
              <FolderOpen size={14} aria-hidden /> Open…
            </button>
            <button type="button" className="btn" onClick={() => setModal("generate")} data-testid="editor-generate">
              <Wand2 size={14} aria-hidden /> Generate from a plan
            </button>
            <button type="button" className="btn" onClick={() => setModal("compare")} data-testid="editor-compare">
              <GitCompare size={14} aria-hidden /> Compare with…
            </button>
            <button
              type="button"
              className="btn"
              onClick={save}
              disabled={busy || errors > 0}
              title={errors > 0 ? "Fix the errors first: a mission with errors is not saved" : "Save (warnings allowed)"}
              data-testid="editor-save"
            >
              <Save size={14} aria-hidden /> Save
            </button>
            <button
              type="button"
              className="btn btn-primary"
              onClick={run}
              disabled={busy || errors > 0}
              title={errors > 0 ? "Fix the errors first" : "Run the text as it is"}
              data-testid="editor-run"
            >
              <Play size={14} aria-hidden /> Run
            </button>
          </>
        }
      />
      {notice ? (
        <div className={`editor-notice is-${notice.kind}`} role="status" data-testid="editor-notice">
          {notice.kind === "ok" ? <CheckCircle2 size={15} aria-hidden /> : <AlertTriangle size={15} aria-hidden />}
          <span>{notice.text}</span>
          <button type="button" className="icon-button icon-button-sm" aria-label="Dismiss" onClick={() => setNotice(null)}>
            <X size={13} aria-hidden />
          </button>
        </div>
      ) : null}
      <div className="editor-grid">
        <section className="editor-main">
          <div className="editor-frame">
            <CodeEditor ref={editorRef} initialText={initial.text} onChange={onChange} />
          </div>
          <Problems report={report} checking={checking} onPick={(l, c) => editorRef.current?.goTo(l, c)} />
        </section>
        <aside className="editor-side">
          <section className="editor-card">
            <h2 className="editor-card-title">
              Steps
              <span className="editor-count">{preview?.steps.length ?? 0}</span>
            </h2>
            <PreviewDag preview={preview} />
          </section>
          <ApprovalList preview={preview} errors={errors} warnings={warnings} />
        </aside>
      </div>
      {modal === "generate" ? (
        <GenerateModal
          onClose={() => setModal(null)}
          onText={(text, name) => {
            setModal(null);
            loadText(text, null, name);
          }}
        />
      ) : null}
      {modal === "compare" ? <CompareModal text={doc.text} onClose={() => setModal(null)} /> : null}
    </div>
  );
}

function Problems({ report, checking, onPick }: { report: MissionReport | null; checking: boolean; onPick: (line: number, column: number) => void }) {
  const items = report?.items ?? [];
  return (
    <section className="editor-problems" data-testid="editor-problems" data-errors={report?.errors ?? 0} data-warnings={report?.warnings ?? 0}>
      <header className="editor-problems-head">
        {report && items.length === 0 ? (
          <span className="editor-ok">
            <CheckCircle2 size={14} aria-hidden /> No problems
          </span>
        ) : (
          <span>
            {report?.errors ?? 0} error{report?.errors === 1 ? "" : "s"}, {report?.warnings ?? 0} warning{report?.warnings === 1 ? "" : "s"}
          </span>
        )}
        <span className="editor-checking">{checking ? "checking…" : ""}</span>
      </header>
      {items.length ? (
        <ul>
          {items.map((d, i) => (
            <li key={i}>
              <button
                type="button"
                className={`editor-problem is-${d.severity}`}
                data-testid="editor-problem"
                data-line={d.line ?? ""}
                data-code={d.code}
                onClick={() => onPick(d.line ?? 1, d.column ?? 1)}
              >
                <span className="mono editor-problem-place">{d.line !== null ? `${d.line}:${d.column ?? 1}` : "—"}</span>
                <span className="editor-problem-msg">
                  {d.message}
                  {d.help ? <span className="editor-problem-help"> · {d.help}</span> : null}
                </span>
                <span className="mono editor-problem-code">{d.code}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function PreviewDag({ preview }: { preview: EditorPreview | null }) {
  const dag = useMemo(() => {
    if (!preview?.parsed) return null;
    const approvals = new Map(preview.approvals.map((a) => [a.stepId, a]));
    const ids = new Set(preview.steps.map((s) => s.id));
    const nodes: DagNodeData[] = preview.steps.map((s) => ({
      id: s.id,
      label: s.name ?? s.id,
      stepType: s.stepType,
      highlight: approvals.get(s.id)?.needsApproval ?? false,
      ...(approvals.get(s.id)?.needsApproval ? { badge: "approval" } : {}),
    }));
    const edges = preview.steps.flatMap((s) => s.dependsOn.filter((d) => ids.has(d)).map((d) => ({ source: d, target: s.id })));
    return { nodes, edges };
  }, [preview]);
  if (!dag) return <div className="editor-dag-empty">The text does not parse yet: the graph comes back when it does.</div>;
  if (!dag.nodes.length) return <div className="editor-dag-empty">No steps yet.</div>;
  return (
    <div data-testid="editor-dag" data-steps={dag.nodes.map((n) => n.id).join(",")} data-edges={dag.edges.map((e) => `${e.source}>${e.target}`).join(",")}>
      <DagView nodes={dag.nodes} edges={dag.edges} direction="TB" height={380} minFitZoom={0.25} controls testId="editor-dag-view" />
    </div>
  );
}

function ApprovalList({ preview, errors, warnings }: { preview: EditorPreview | null; errors: number; warnings: number }) {
  const waiting = preview?.approvals.filter((a) => a.needsApproval) ?? [];
  const p = preview?.perimeter;
  return (
    <section className="editor-card" data-testid="editor-approvals">
      <h2 className="editor-card-title">
        <ShieldCheck size={14} aria-hidden /> Perimeter
      </h2>
      {p ? (
        <dl className="editor-perimeter">
          <dt>Approval</dt>
          <dd>
            {p.approvalMode ?? "global default"}
            {p.thresholdUsd !== null ? ` above $${p.thresholdUsd}` : ""}
          </dd>
          {p.budget.maxCostUsd !== null ? (
            <>
              <dt>Budget</dt>
              <dd>${p.budget.maxCostUsd}</dd>
            </>
          ) : null}
          {p.forbiddenTools.length ? (
            <>
              <dt>Forbidden</dt>
              <dd className="mono">{p.forbiddenTools.join(", ")}</dd>
            </>
          ) : null}
        </dl>
      ) : (
        <p className="editor-muted">No perimeter of its own: the global caps apply.</p>
      )}
      <h3 className="editor-sub">Needs approval</h3>
      {waiting.length ? (
        <ul className="editor-approval-list">
          {waiting.map((a) => (
            <li key={a.stepId} data-testid="editor-approval">
              <span className="mono">{a.stepId}</span>
              <span className="editor-muted">{a.reason}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="editor-muted">{preview?.parsed ? "No step waits for approval." : "—"}</p>
      )}
      <p className="editor-status-line">
        {errors ? `${errors} error${errors === 1 ? "" : "s"}: not saved or run until fixed.` : warnings ? "Warnings only: can be saved and run." : "Ready to save and run."}
      </p>
    </section>
  );
}

function Modal({ title, kicker, onClose, children }: { title: string; kicker: string; onClose: () => void; children: React.ReactNode }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal editor-modal" role="dialog" aria-label={title} onClick={(e) => e.stopPropagation()}>
        <header className="modal-head">
          <div>
            <div className="modal-kicker">{kicker}</div>
            <h2>{title}</h2>
          </div>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            <X size={15} aria-hidden />
          </button>
        </header>
        <div className="editor-modal-body">{children}</div>
      </div>
    </div>
  );
}

function GenerateModal({ onClose, onText }: { onClose: () => void; onText: (text: string, name: string) => void }) {
  const [name, setName] = useState("");
  const [plan, setPlan] = useState("");
  const [error, setError] = useState<string | null>(null);
  const parsed = plan.trim() ? parsePlan(plan) : null;
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    editor.generate(name, plan).then(
      (text) => onText(text, name.trim()),
      (err: { message: string }) => setError(err.message),
    );
  };
  return (
    <Modal title="Generate from a plan" kicker="Editor" onClose={onClose}>
      <form onSubmit={submit} className="editor-form" data-testid="generate-form">
        <label>
          <span>Name</span>
          <input className="input" value={name} onChange={(e) => setName(e.target.value)} placeholder="Weekly report" autoFocus data-testid="generate-name" />
        </label>
        <label>
          <span>Plan</span>
          <input className="input mono" value={plan} onChange={(e) => setPlan(e.target.value)} placeholder="fetch,parse|score,report" data-testid="generate-plan" />
        </label>
        <p className="editor-muted">
          <code>,</code> chains the steps one after the other; <code>|</code> runs the steps of a group in parallel.
        </p>
        {parsed && "groups" in parsed ? <p className="editor-plan mono">{planSummary(parsed.groups)}</p> : null}
        {parsed && "error" in parsed ? <p className="editor-error">{parsed.error}</p> : null}
        {error ? <p className="editor-error">{error}</p> : null}
        <div className="editor-form-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!name.trim() || !parsed || "error" in parsed} data-testid="generate-submit">
            <Wand2 size={14} aria-hidden /> Generate
          </button>
        </div>
      </form>
    </Modal>
  );
}

function CompareModal({ text, onClose }: { text: string; onClose: () => void }) {
  const [templates, setTemplates] = useState<TemplateSummary[] | null>(null);
  const [choice, setChoice] = useState("");
  const [other, setOther] = useState<string | null>(null);
  const [diff, setDiff] = useState<MissionDiff | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    library.listTemplates().then(setTemplates, () => setTemplates([]));
  }, []);
  const compareWith = (path: string, label: string) => {
    setError(null);
    editor
      .readFile(path)
      .then((b) => editor.diff(text, b))
      .then(
        (d) => {
          setOther(label);
          setDiff(d);
        },
        (e: { message: string }) => setError(e.message),
      );
  };
  const pickFile = async () => {
    const picked = await pickMissionFile("Compare with a mission file");
    if (picked) compareWith(picked, baseName(picked));
  };
  return (
    <Modal title="Compare with…" kicker="Editor" onClose={onClose}>
      <div className="editor-compare-pick">
        <select
          className="input"
          value={choice}
          onChange={(e) => {
            setChoice(e.target.value);
            const t = templates?.find((x) => x.id === e.target.value);
            if (t) compareWith(t.path, t.name);
          }}
          data-testid="compare-template"
        >
          <option value="">A library template…</option>
          {templates?.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name} ({t.id})
            </option>
          ))}
        </select>
        <button type="button" className="btn" onClick={() => void pickFile()}>
          <FolderOpen size={14} aria-hidden /> A file…
        </button>
      </div>
      {error ? <p className="editor-error">{error}</p> : null}
      {diff ? (
        <div className="editor-diff" data-testid="compare-diff">
          <p className="editor-muted">
            From this text to <strong>{other}</strong>: {diff.added.length} added, {diff.removed.length} removed, {diff.changed.length} changed,{" "}
            {diff.unchanged} the same.
          </p>
          <ul>
            {diff.added.map((s) => (
              <li key={`a-${s}`} className="diff-added">
                <span className="diff-mark">+</span> <span className="mono">{s}</span>
              </li>
            ))}
            {diff.removed.map((s) => (
              <li key={`r-${s}`} className="diff-removed">
                <span className="diff-mark">−</span> <span className="mono">{s}</span>
              </li>
            ))}
            {diff.changed.map((c) => (
              <li key={`c-${c.stepId}`} className="diff-changed">
                <span className="diff-mark">~</span> <span className="mono">{c.stepId}</span>
                <table className="diff-fields">
                  <tbody>
                    {c.fields.map((f) => (
                      <tr key={f.field}>
                        <th className="mono">{f.field}</th>
                        <td className="mono diff-before">{f.before ?? "—"}</td>
                        <td className="mono diff-after">{f.after ?? "—"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </Modal>
  );
}
