import { StatusIcon } from "../../components/dag";
import { statusLabel, statusTone } from "./format";

/** A status as icon, colour and word (never colour alone). */
export function StatusBadge({ status, compact = false, testId }: { status: string; compact?: boolean; testId?: string }) {
  // The DAG's icons call a successful step "succeeded".
  const icon = status === "success" ? "succeeded" : status;
  return (
    <span className={`hx-status tone-${statusTone(status)}${compact ? " is-compact" : ""}`} data-status={status} data-testid={testId}>
      <StatusIcon status={icon} size={compact ? 13 : 14} />
      <span className="hx-status-label">{statusLabel(status)}</span>
    </span>
  );
}
