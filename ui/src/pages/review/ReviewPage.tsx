import { Check, ClipboardCheck, RefreshCw } from "lucide-react";
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { EmptyState } from "../../components/EmptyState";
import type { ApiError } from "../../ipc";
import { oversight, type ReviewFlagDto, type ReviewStatusFilter } from "../../ipc/oversight";
import { formatDateTime, formatRelative } from "../../lib/dates";
import { shortId } from "../history/format";
import "../history/history.css";
import "./review.css";

export const STATUS_FILTERS: { value: ReviewStatusFilter; label: string }[] = [
  { value: "open", label: "Open" },
  { value: "acknowledged", label: "Acknowledged" },
  { value: "resolved", label: "Resolved" },
  { value: "all", label: "All" },
];

const TONE: Record<string, string> = { open: "tone-bad", acknowledged: "tone-warn", resolved: "tone-ok" };

function statusFromParams(params: URLSearchParams): ReviewStatusFilter {
  const s = params.get("status");
  return STATUS_FILTERS.some((f) => f.value === s) ? (s as ReviewStatusFilter) : "open";
}

/** `repeated_step_failure` → "Repeated step failure". */
export function patternLabel(pattern: string): string {
  const words = pattern.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The review queue: failure patterns the daily batch found, filtered by status, resolved here. */
export function ReviewPage() {
  const [params, setParams] = useSearchParams();
  const status = statusFromParams(params);
  const [flags, setFlags] = useState<ReviewFlagDto[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(() => {
    oversight.reviewFlags(status).then(
      (list) => {
        setFlags(list);
        setError(null);
        setLoading(false);
      },
      (e: ApiError) => {
        setError(e);
        setLoading(false);
      },
    );
  }, [status]);
  useEffect(load, [load]);
  const refresh = () => {
    setLoading(true);
    load();
  };

  const resolved = (flag: ReviewFlagDto) => {
    // In place: the flag stays where it is with its new status and note until the next load.
    setFlags((list) => list?.map((f) => (f.flagId === flag.flagId ? flag : f)) ?? null);
    setNotice(`Flag #${flag.flagId} resolved. Only failures of later runs can raise it again.`);
  };

  const count = flags?.length ?? 0;
  return (
    <div className="page page-wide hx rv" data-testid="page-review">
      <header className="hx-header">
        <div>
          <h1 data-testid="page-title">Review</h1>
          <p className="page-subtitle">
            Failure patterns the daily batch found: a step that failed in 3 of a template&apos;s last 10 runs.
          </p>
        </div>
        <div className="hx-actions">
          <button type="button" className="hx-btn" onClick={refresh} data-testid="review-refresh" title="Refresh">
            <RefreshCw size={15} aria-hidden className={loading ? "spin" : ""} /> Refresh
          </button>
        </div>
      </header>

      <div className="hx-toolbar rv-toolbar">
        <div className="segmented" role="group" aria-label="Status">
          {STATUS_FILTERS.map((f) => (
            <button
              key={f.value}
              type="button"
              className={`segment${status === f.value ? " selected" : ""}`}
              aria-pressed={status === f.value}
              onClick={() => {
                setNotice(null);
                setParams(f.value === "open" ? {} : { status: f.value }, { replace: true });
              }}
              data-testid={`review-status-${f.value}`}
            >
              {f.label}
            </button>
          ))}
        </div>
        <span className="rv-count" aria-live="polite" data-testid="review-count">
          {flags ? `${count} flag${count === 1 ? "" : "s"}` : ""}
        </span>
      </div>

      {notice ? (
        <p className="rv-notice" role="status" data-testid="review-notice">
          <Check size={15} aria-hidden /> {notice}
        </p>
      ) : null}

      {error ? (
        <section className="card error-card" role="alert" data-testid="review-error">
          <strong>Could not read the review queue.</strong> {error.message}
        </section>
      ) : flags === null ? (
        <div className="hx-loading">Loading the review queue…</div>
      ) : flags.length === 0 ? (
        <EmptyState
          icon={ClipboardCheck}
          title={status === "all" ? "Nothing to review" : `No ${status} flag`}
          testId="review-empty"
        >
          <p>
            After each day&apos;s runs, the batch looks at every template&apos;s last 10 finished runs. A step that
            failed in at least 3 of them raises a flag here, with the runs it failed in, so someone looks at the cause.
          </p>
          <p className="muted">
            The batch runs at start-up when a day has passed, then every 24 hours; <code>mission batch run</code> runs
            it now.
          </p>
        </EmptyState>
      ) : (
        <ul className="rv-list" aria-label="Review flags">
          {flags.map((f) => (
            <FlagCard key={f.flagId} flag={f} onResolved={resolved} />
          ))}
        </ul>
      )}
    </div>
  );
}

/** One flag: its template and step, the pattern, the runs (links), its note, and Resolve. */
export function FlagCard({ flag, onResolved }: { flag: ReviewFlagDto; onResolved: (flag: ReviewFlagDto) => void }) {
  const [resolving, setResolving] = useState(false);
  const [note, setNote] = useState("");
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const noteRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (resolving) noteRef.current?.focus();
  }, [resolving]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const updated = await oversight.resolveFlag(flag.flagId, note.trim() === "" ? null : note.trim());
      setResolving(false);
      onResolved(updated);
    } catch (err) {
      setError((err as ApiError).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <li className={`rv-flag is-${flag.status}`} data-testid={`review-flag-${flag.flagId}`} data-status={flag.status}>
      <div className="rv-flag-head">
        <span className={`hx-status is-compact ${TONE[flag.status] ?? "tone-muted"}`} data-testid="review-flag-status">
          {flag.status.charAt(0).toUpperCase() + flag.status.slice(1)}
        </span>
        <h2 className="rv-title">{flag.templateName ?? flag.templateId}</h2>
        <span className="rv-id mono" title="Template id">
          {flag.templateId}
        </span>
        <span className="rv-flag-no mono">#{flag.flagId}</span>
      </div>
      <p className="rv-pattern" data-testid="review-flag-pattern">
        {flag.stepId ? (
          <>
            Step <code>{flag.stepId}</code> failed in{" "}
          </>
        ) : (
          "Failed in "
        )}
        <strong>
          {flag.failures} of the last {flag.windowRuns} runs
        </strong>
        <span className="rv-pattern-name"> · {patternLabel(flag.pattern)}</span>
      </p>
      <div className="rv-runs">
        <span className="rv-label">Runs</span>
        {flag.runIds.map((id) => (
          <Link key={id} to={`/history/${encodeURIComponent(id)}`} className="rv-run mono" title={`Open run ${id} in History`} data-testid="review-run-link">
            {shortId(id)}
          </Link>
        ))}
      </div>
      <div className="rv-meta">
        <span title={formatDateTime(flag.createdAt)}>Raised {formatRelative(flag.createdAt)}</span>
        {flag.updatedAt !== flag.createdAt ? <span title={formatDateTime(flag.updatedAt)}> · updated {formatRelative(flag.updatedAt)}</span> : null}
      </div>
      {flag.note ? (
        <blockquote className="rv-note" data-testid="review-flag-note">
          {flag.note}
        </blockquote>
      ) : null}
      {flag.status === "resolved" ? null : resolving ? (
        <form
          className="rv-resolve"
          onSubmit={(e) => void submit(e)}
          onKeyDown={(e) => {
            if (e.key === "Escape") setResolving(false);
          }}
          aria-label={`Resolve flag ${flag.flagId}`}
        >
          <label htmlFor={`rv-note-${flag.flagId}`}>What was done (optional)</label>
          <textarea
            id={`rv-note-${flag.flagId}`}
            ref={noteRef}
            className="input rv-note-input"
            rows={2}
            value={note}
            placeholder="e.g. the flag file is restored by the deploy script"
            onChange={(e) => setNote(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void submit(e);
            }}
            data-testid="review-note-input"
          />
          {error ? (
            <p className="error-text" role="alert">
              {error}
            </p>
          ) : null}
          <div className="rv-resolve-actions">
            <button type="submit" className="btn btn-primary btn-sm" disabled={saving} data-testid="review-resolve-confirm">
              <Check size={14} aria-hidden /> {saving ? "Resolving…" : "Resolve"}
            </button>
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => setResolving(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div className="rv-actions">
          <button type="button" className="btn btn-sm" onClick={() => setResolving(true)} data-testid="review-resolve">
            <Check size={14} aria-hidden /> Resolve…
          </button>
        </div>
      )}
    </li>
  );
}
