// An approval request: exactly what will run (program and args, the HTTP request, the prompt and
// its estimated cost), with Approve and Deny. Every string comes from the mission and is shown as
// text.
import { Check, Hand, ShieldAlert, X } from "lucide-react";
import { useState } from "react";
import type { ApprovalDto } from "../../ipc";
import { formatUsd } from "./format";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function obj(v: unknown): Record<string, Json> {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, Json>) : {};
}

function text(v: Json | undefined): string | null {
  if (v === undefined || v === null) return null;
  return typeof v === "string" ? v : JSON.stringify(v, null, 2);
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
          <pre className="approval-pre">{Object.entries(env).map(([k, v]) => `${k}=${text(v) ?? ""}`).join("\n")}</pre>
        </Field>
      ) : null}
      {p.stdin !== undefined ? (
        <Field label="Standard input">
          <pre className="approval-pre">{text(p.stdin)}</pre>
        </Field>
      ) : null}
    </>
  );
}

function HttpPreview({ p }: { p: Record<string, Json> }) {
  const headers = obj(p.headers);
  const body = text(p.body ?? p.json);
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
      {body !== null ? (
        <Field label="Body">
          <pre className="approval-pre">{body}</pre>
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
          <pre className="approval-pre">{text(p.system)}</pre>
        </Field>
      ) : null}
      <Field label="Prompt">
        <pre className="approval-pre approval-prompt" data-testid="approval-prompt">
          {text(p.prompt ?? p.messages) ?? ""}
        </pre>
      </Field>
      <Field label="Estimated cost">
        {formatUsd(cost)}
        {p.max_tokens !== undefined ? <span className="muted"> · up to {text(p.max_tokens)} tokens</span> : null}
      </Field>
    </>
  );
}

/** What the step will run, by step type; anything else as JSON. */
export function ApprovalPreview({ approval }: { approval: ApprovalDto }) {
  const p = obj(approval.preview);
  const call = obj(p.call);
  const kind = approval.stepType === "tool" && Object.keys(call).length > 0 ? "tool" : approval.stepType;
  switch (kind) {
    case "command":
      return <CommandPreview p={p} />;
    case "http":
      return <HttpPreview p={p} />;
    case "llm":
      return <LlmPreview p={p} cost={approval.estimatedCostUsd} />;
    default:
      return (
        <Field label="Parameters">
          <pre className="approval-pre">{JSON.stringify(approval.preview, null, 2)}</pre>
        </Field>
      );
  }
}

export interface ApprovalCardProps {
  approval: ApprovalDto;
  onAnswer: (approve: boolean, note: string) => Promise<void>;
  /** Show which mission and run it belongs to (in the cross-run list). */
  showRun?: boolean;
}

export function ApprovalCard({ approval, onAnswer, showRun = false }: ApprovalCardProps) {
  const [busy, setBusy] = useState<"approve" | "deny" | null>(null);
  const [note, setNote] = useState("");
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
            Approve step <code>{approval.stepId}</code>?
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
      <div className="approval-body">
        <ApprovalPreview approval={approval} />
      </div>
      <div className="approval-foot">
        <input
          className="approval-note"
          type="text"
          placeholder="Note (optional)"
          value={note}
          onChange={(e) => setNote(e.target.value)}
          aria-label="Note for the audit log"
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
