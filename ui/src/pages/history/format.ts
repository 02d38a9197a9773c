// Formatting and status metadata shared by the History views.
import type { RunStatus, StepStatus } from "../../ipc";

export type Tone = "ok" | "bad" | "warn" | "run" | "muted";

const RUN_TONE: Record<RunStatus, Tone> = {
  completed: "ok",
  failed: "bad",
  timed_out: "bad",
  cancelled: "warn",
  blocked: "warn",
  running: "run",
  queued: "muted",
};

const STEP_TONE: Record<StepStatus, Tone> = {
  success: "ok",
  failed: "bad",
  cancelled: "warn",
  blocked: "warn",
  running: "run",
  skipped: "muted",
  pending: "muted",
};

export function statusTone(status: string): Tone {
  return RUN_TONE[status as RunStatus] ?? STEP_TONE[status as StepStatus] ?? "muted";
}

export function statusLabel(status: string): string {
  if (status === "timed_out") return "Timed out";
  return status.charAt(0).toUpperCase() + status.slice(1);
}

/** The statuses the History can filter by, in the order shown. */
export const RUN_STATUSES: RunStatus[] = ["completed", "failed", "cancelled", "timed_out", "running", "blocked", "queued"];

export const FINAL_RUN_STATUSES: ReadonlySet<string> = new Set(["completed", "failed", "cancelled", "timed_out"]);

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0 ms";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s % 60);
  if (m < 60) return `${m}m ${String(rest).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

export function formatCost(usd: number): string {
  if (!usd) return "$0";
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}
