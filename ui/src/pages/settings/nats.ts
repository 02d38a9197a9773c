// The NATS URL field's check, as the backend's (which has the last word): empty, or nats:// or
// tls:// followed by a host and an optional port.

/** Why `url` is not a NATS URL, or `null` when it is one (or empty: the local engine). */
export function natsUrlProblem(url: string): string | null {
  const u = url.trim();
  if (u === "") return null;
  const m = /^(nats|tls):\/\/(.*)$/.exec(u);
  if (!m) return "Start with nats:// or tls://, like nats://127.0.0.1:4222.";
  const rest = (m[2] ?? "").replace(/^[^@/]*@/, "");
  const hostPort = rest.split("/")[0] ?? "";
  if (/\s/.test(u)) return "A URL has no spaces.";
  const hp = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(.*))?$/.exec(hostPort);
  if (!hp) return "Name a host after the scheme, like nats://127.0.0.1:4222.";
  const port = hp[2];
  if (port !== undefined && (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    return "The port must be a number from 1 to 65535.";
  }
  return null;
}
