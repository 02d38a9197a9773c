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

const pad = (n: number) => String(n).padStart(2, "0");

/** `2026-11-22 14:05:09` in local time. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "3 min ago", "yesterday", or the date. */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  if (s < 2 * 86400) return "yesterday";
  return formatDateTime(iso).slice(0, 10);
}

/** A local calendar day (`YYYY-MM-DD` from a date input) as the UTC instant it starts at. */
export function dayStart(day: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const d = new Date(`${day}T00:00:00`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The instant the day after `day` starts (an inclusive "to" date). */
export function dayEnd(day: string): string | undefined {
  const start = dayStart(day);
  if (!start) return undefined;
  const d = new Date(`${day}T00:00:00`);
  d.setDate(d.getDate() + 1);
  return d.toISOString();
}

export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}
