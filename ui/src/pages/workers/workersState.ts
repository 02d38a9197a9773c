// The Workers page's pure logic: what to show for a squad status, and how long ago a heartbeat
// came.
import type { SquadStatus } from "../../ipc/squad";

/** "just now", "4 s ago", "3 min ago", "2 h ago". */
export function formatAgo(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 1) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

export type WorkersView =
  | { kind: "loading" }
  /** No NATS URL in the settings: runs use the local engine. */
  | { kind: "unset" }
  | { kind: "unreachable"; url: string; message: string }
  /** Reachable, and no worker heartbeats. */
  | { kind: "empty"; url: string }
  | { kind: "workers"; url: string; live: number; total: number };

/** What the page shows for the last status read (`null`: none yet; `failure`: the call failed). */
export function workersView(status: SquadStatus | null, failure: string | null = null): WorkersView {
  if (failure !== null) return { kind: "unreachable", url: status?.url ?? "", message: failure };
  if (status === null) return { kind: "loading" };
  if (status.url === null) return { kind: "unset" };
  if (!status.reachable) {
    return { kind: "unreachable", url: status.url, message: status.error ?? `cannot reach NATS at ${status.url}` };
  }
  const workers = status.departments.flatMap((d) => d.workers);
  if (workers.length === 0) return { kind: "empty", url: status.url };
  return { kind: "workers", url: status.url, live: workers.filter((w) => w.live).length, total: workers.length };
}

/** "1 job" / "3 jobs". */
export function jobsLabel(n: number): string {
  return `${n} job${n === 1 ? "" : "s"}`;
}
