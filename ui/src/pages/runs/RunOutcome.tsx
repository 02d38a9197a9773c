// The end of a run, said plainly: how it ended and why, with links to its result and its
// evidence; and, while it runs too, who answered its approval requests and the notes they gave.
import { ExternalLink, FileText, FolderOpen, Hand } from "lucide-react";
import { useState } from "react";
import { Link } from "react-router";
import { StatusIcon } from "../../components/dag";
import { historyIpc, toApiError, type RunViewDto } from "../../ipc";
import type { RunStatus } from "./runState";
import "./runview.css";

type Decision = RunViewDto["approvals"][number];

/** How a run ended, in a word or two: a failure that is a denial says so. */
export function endLabel(status: RunStatus, outcome: string | null): string {
  switch (status) {
    case "completed":
      return "Completed";
    case "cancelled":
      return "Cancelled";
    case "timed_out":
      return "Timed out";
    case "failed":
      return outcome && /approval_denied/.test(outcome) ? "Denied" : "Failed";
    default:
      return status;
  }
}

/** Why it ended, without the engine's "run failed: " prefix. */
export function endReason(outcome: string | null): string | null {
  if (!outcome) return null;
  return outcome.replace(/^run (completed|failed|cancelled|timed_out):\s*/, "");
}

function DecisionRow({ d }: { d: Decision }) {
  return (
    <li className={`run-decision decision-${d.status}`} data-testid={`run-decision-${d.stepId}`} data-status={d.status}>
      <Hand size={13} aria-hidden />
      <span>
        <code>{d.stepId}</code> {d.status === "expired" ? "was never answered" : d.status}
        {d.decidedBy && d.status !== "expired" ? <> by <strong className="run-decision-by">{d.decidedBy}</strong></> : null}
        {d.note ? (
          <>
            {" "}
            — <q className="run-decision-note">{d.note}</q>
          </>
        ) : null}
      </span>
    </li>
  );
}

/** The approval answers given so far. */
export function RunDecisions({ approvals }: { approvals: readonly Decision[] }) {
  if (approvals.length === 0) return null;
  return (
    <ul className="run-decisions" data-testid="run-decisions" aria-label="Approval answers">
      {approvals.map((d, i) => (
        <DecisionRow key={`${d.stepId}-${i}`} d={d} />
      ))}
    </ul>
  );
}

/** The final state with its reason and the links to what the run left. */
export function RunOutcome({
  runId,
  status,
  outcome,
  hasEvidence,
}: {
  runId: string;
  status: RunStatus;
  outcome: string | null;
  hasEvidence: boolean;
}) {
  const [openError, setOpenError] = useState<string | null>(null);
  const label = endLabel(status, outcome);
  const reason = status === "completed" ? null : endReason(outcome);
  const base = `/history/${encodeURIComponent(runId)}`;
  return (
    <section className={`run-outcome outcome-${status}`} data-testid="run-outcome" data-end={label.toLowerCase().replace(" ", "_")}>
      <div className="run-outcome-text">
        <StatusIcon status={status} size={15} />
        <strong className="run-outcome-label" data-testid="run-outcome-label">
          {label}
        </strong>
        {reason ? <span className="run-outcome-reason" data-testid="run-outcome-reason">{reason}</span> : null}
        {status === "completed" && outcome ? <span className="run-outcome-reason">{endReason(outcome)}</span> : null}
      </div>
      <nav className="run-outcome-links" aria-label="What the run left">
        <Link to={`${base}/evidence`} className="rbtn rbtn-ghost" data-testid="run-result-link" title="The run's answer.md and its outputs, in the History">
          <FileText size={14} aria-hidden /> Answer and outputs
        </Link>
        <Link to={base} className="rbtn rbtn-ghost" data-testid="run-evidence-link" title="The run in the History: its steps, evidence and audit">
          <ExternalLink size={14} aria-hidden /> Run details
        </Link>
        {hasEvidence ? (
          <button
            type="button"
            className="rbtn rbtn-ghost"
            data-testid="run-open-evidence"
            title="Open the run's evidence folder in the file manager"
            onClick={() => {
              setOpenError(null);
              historyIpc.openEvidenceFolder(runId).catch((e: unknown) => setOpenError(toApiError(e).message));
            }}
          >
            <FolderOpen size={14} aria-hidden /> Evidence folder
          </button>
        ) : null}
      </nav>
      {openError ? <p className="error-text">{openError}</p> : null}
    </section>
  );
}
