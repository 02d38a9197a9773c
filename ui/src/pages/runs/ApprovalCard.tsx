// An approval request: exactly what will run (program and args, the HTTP request, the prompt and
// its estimated cost), with Approve and Deny. Every string comes from the mission and is shown as
// text; other parameters read as key: value fields. The card's body scrolls, its head and its
// Approve / Deny row always stay in view.
import { Check, Hand, ShieldAlert, X } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import type { ApprovalDto } from "../../ipc";
import { formatUsd } from "./format";
import { ValueFields } from "./ValueFields";
import "./runview.css";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function obj(v: unknown): Record<string, Json> {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, Json>) : {};
}

function text(v: Json | undefined): string | null {
  if (v === undefined || v === null) return null;
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** A free-form value: a plain string as it is, anything else (or JSON text) as fields. */
function Free({ v, testId }: { v: Json | undefined; testId?: string }) {
  if (typeof v === "string" && !/^\s*[[{]/.test(v)) {
    return (
      <pre className="approval-pre" data-testid={testId}>
        {v}
      </pre>
    );
  }
  return <ValueFields value={v ?? null} {...(testId ? { testId } : {})} />;
}

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="approval-field">
      <div className="approval-field-label">{label}</div>
      <div className="approval-field-value">{children}</div>
    </div>
  );
}

function CommandPreview({ p }: { p: Record<string, Json> }) {
  const args = Array.isArray(p.args) ? p.args : [];
  const env = obj(p.env);
  return (
    <>
      <Field label="Program">
        <code className="approval-program" data-testid="approval-program">
          {text(p.command) ?? "?"}
        </code>
      </Field>
      <Field label={`Arguments (${args.length})`}>
        {args.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          <ol className="approval-args" data-testid="approval-args">
            {args.map((a, i) => (
              <li key={i}>
                <code>{text(a) ?? ""}</code>
              </li>
            ))}
          </ol>
        )}
      </Field>
      {p.working_dir !== undefined ? <Field label="Working folder">{text(p.working_dir)}</Field> : null}
      {Object.keys(env).length > 0 ? (
        <Field label="Environment">
          <ValueFields value={env} />
        </Field>
      ) : null}
      {p.stdin !== undefined ? (
        <Field label="Standard input">
          <Free v={p.stdin} />
        </Field>
      ) : null}
    </>
  );
}

function HttpPreview({ p }: { p: Record<string, Json> }) {
  const headers = obj(p.headers);
  const body = p.body ?? p.json;
  return (
    <>
      <Field label="Request">
        <code className="approval-program" data-testid="approval-http">
          <span className="approval-method">{(text(p.method) ?? "GET").toUpperCase()}</span> {text(p.url) ?? "?"}
        </code>
      </Field>
      {Object.keys(headers).length > 0 ? (
        <Field label="Headers">
          <dl className="approval-headers">
            {Object.entries(headers).map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{text(v)}</dd>
              </div>
            ))}
          </dl>
        </Field>
      ) : null}
      {body !== undefined && body !== null ? (
        <Field label="Body">
          <Free v={body} testId="approval-body" />
        </Field>
      ) : null}
    </>
  );
}

function LlmPreview({ p, cost }: { p: Record<string, Json>; cost: number }) {
  return (
    <>
      {p.model !== undefined || p.provider !== undefined ? (
        <Field label="Model">
          <code>{[text(p.provider), text(p.model)].filter(Boolean).join(" / ")}</code>
        </Field>
      ) : null}
      {p.system !== undefined ? (
        <Field label="System">
          <Free v={p.system} />
        </Field>
      ) : null}
      <Field label={p.prompt === undefined && p.messages !== undefined ? "Messages" : "Prompt"}>
        {typeof (p.prompt ?? p.messages) === "string" || (p.prompt ?? p.messages) === undefined ? (
          <pre className="approval-pre approval-prompt" data-testid="approval-prompt">
            {text(p.prompt ?? p.messages) ?? ""}
          </pre>
        ) : (
          <ValueFields value={p.prompt ?? p.messages} testId="approval-prompt" />
        )}
      </Field>
      <Field label="Estimated cost">
        {formatUsd(cost)}
        {p.max_tokens !== undefined ? <span className="muted"> · up to {text(p.max_tokens)} tokens</span> : null}
      </Field>
    </>
  );
}

/** The preview of a command, an HTTP request or a model call; `null` for another kind. */
function KindPreview({ kind, p, cost }: { kind: string; p: Record<string, Json>; cost: number }) {
  switch (kind) {
    case "command":
      return <CommandPreview p={p} />;
    case "http":
      return <HttpPreview p={p} />;
    case "llm":
      return <LlmPreview p={p} cost={cost} />;
    default:
      return null;
  }
}

/** What the step will run, by step type (a registry tool by what it runs); anything else as fields. */
export function ApprovalPreview({ approval }: { approval: ApprovalDto }) {
  const p = obj(approval.preview);
  const call = obj(p.call);
  const cost = approval.estimatedCostUsd;
  if (approval.stepType === "tool" && Object.keys(call).length > 0 && typeof p.kind === "string") {
    return (
      <>
        <Field label="Tool">
          <code>{text(p.tool) ?? approval.tool}</code>
          <span className="muted"> · runs as {p.kind}</span>
        </Field>
        {KindPreview({ kind: p.kind, p: call, cost }) ?? (
          <Field label="Call">
            <ValueFields value={call} testId="approval-fields" />
          </Field>
        )}
      </>
    );
  }
  return (
    KindPreview({ kind: approval.stepType, p, cost }) ?? (
      <Field label="Parameters">
        <ValueFields value={approval.preview} testId="approval-fields" />
      </Field>
    )
  );
}

export interface ApprovalCardProps {
  approval: ApprovalDto;
  onAnswer: (approve: boolean, note: string) => Promise<void>;
  /** Show which mission and run it belongs to (in the cross-run list). */
  showRun?: boolean;
  /** Take the keyboard when it appears (the first card of the run being watched): the note
   * field gets the focus, Ctrl+Enter approves. Never when the person is typing elsewhere. */
  autoFocus?: boolean;
}

export function ApprovalCard({ approval, onAnswer, showRun = false, autoFocus = false }: ApprovalCardProps) {
  const [busy, setBusy] = useState<"approve" | "deny" | null>(null);
  const [note, setNote] = useState("");
  const noteRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (!autoFocus) return;
    const active = document.activeElement;
    const typing = active instanceof HTMLElement && (active.tagName === "INPUT" || active.tagName === "TEXTAREA" || active.isContentEditable);
    if (!typing) noteRef.current?.focus({ preventScroll: false });
  }, [autoFocus]);
  const [error, setError] = useState<string | null>(null);
  const answer = async (approve: boolean) => {
    setBusy(approve ? "approve" : "deny");
    setError(null);
    try {
      await onAnswer(approve, note);
    } catch (e) {
      setError((e as { message?: string }).message ?? String(e));
      setBusy(null);
    }
  };
  const effects = approval.sideEffects;
  return (
    <section
      className="approval-card"
      data-testid={`approval-${approval.stepId}`}
      aria-label={`Approval needed for step ${approval.stepId}`}
    >
      <header className="approval-head">
        <span className="approval-icon" aria-hidden>
          <Hand size={17} />
        </span>
        <div className="approval-title">
          <div className="approval-title-main">
            {approval.stepId.includes("#") ? (
              <>
                Approve call {approval.stepId.split("#")[1]} of agent step <code>{approval.stepId.split("#")[0]}</code>?
              </>
            ) : (
              <>
                Approve step <code>{approval.stepId}</code>?
              </>
            )}
          </div>
          <div className="approval-sub">
            {showRun ? <span>{approval.missionName} · </span> : null}
            <span className="mono">{approval.stepType}</span>
            {approval.tool !== approval.stepType ? <span> · tool {approval.tool}</span> : null}
            <span> · sector {approval.toolSector}</span>
          </div>
        </div>
        <span className={`approval-effects effects-${effects}`} title="Side effects of the tool">
          <ShieldAlert size={13} aria-hidden /> {effects} side effects
        </span>
      </header>
      <p className="approval-why">
        <strong>Why:</strong> {approval.why}
        <span className="approval-cost"> · worst case {formatUsd(approval.estimatedCostUsd)}</span>
      </p>
      <div className="approval-body" data-testid="approval-body-scroll">
        <ApprovalPreview approval={approval} />
      </div>
      <div className="approval-foot" data-testid="approval-actions">
        <input
          className="approval-note"
          type="text"
          placeholder="Note (optional) · Ctrl+Enter approves"
          value={note}
          onChange={(e) => setNote(e.target.value)}
          onKeyDown={(e) => {
            if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && busy === null) {
              e.preventDefault();
              void answer(true);
            }
          }}
          ref={noteRef}
          title="Ctrl+Enter approves"
          data-testid={`approval-note-${approval.stepId}`}
          aria-label="Note for the audit log"
          aria-keyshortcuts="Control+Enter"
          disabled={busy !== null}
        />
        <span className="approval-hash mono" title={approval.stepHash}>
          {approval.stepHash.replace(/^sha256:/, "").slice(0, 12)}
        </span>
        <button
          type="button"
          className="rbtn rbtn-danger-ghost"
          onClick={() => void answer(false)}
          disabled={busy !== null}
          data-testid={`deny-${approval.stepId}`}
        >
          <X size={15} aria-hidden /> {busy === "deny" ? "Denying…" : "Deny"}
        </button>
        <button
          type="button"
          className="rbtn rbtn-primary"
          onClick={() => void answer(true)}
          disabled={busy !== null}
          data-testid={`approve-${approval.stepId}`}
        >
          <Check size={15} aria-hidden /> {busy === "approve" ? "Approving…" : "Approve"}
        </button>
      </div>
      {error ? <p className="error-text">{error}</p> : null}
    </section>
  );
}
