// Settings → Squad: the NATS URL runs are dispatched through (none: the local engine), and
// "Check connection", which says the server's version or why it cannot be reached.
import { AlertCircle, Check, CheckCircle2, Loader2, Network, PlugZap, XCircle } from "lucide-react";
import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { ipc, toApiError } from "../../ipc";
import { squad, type NatsCheck } from "../../ipc/squad";
import { natsUrlProblem } from "./nats";
import "./provider-test.css";

type CheckState = { state: "running" } | { state: "done"; check: NatsCheck } | { state: "failed"; message: string };
type SaveState = { kind: "idle" } | { kind: "saving" } | { kind: "saved" } | { kind: "error"; message: string };

export function NatsCheckResult({ state }: { state: CheckState | null }) {
  if (state === null) return null;
  if (state.state === "running") {
    return (
      <p className="st-test is-running" role="status" data-testid="nats-check-result" data-state="running">
        Connecting…
      </p>
    );
  }
  if (state.state === "failed") {
    return (
      <div className="st-test is-bad" role="alert" data-testid="nats-check-result" data-state="error">
        <XCircle size={16} aria-hidden />
        <div>
          <strong>The check could not run.</strong> <span className="st-test-error">{state.message}</span>
        </div>
      </div>
    );
  }
  const { check } = state;
  if (check.ok) {
    return (
      <div className="st-test is-ok" role="status" data-testid="nats-check-result" data-state="ok">
        <CheckCircle2 size={16} aria-hidden />
        <div>
          <strong>Connected</strong> to NATS <span data-testid="nats-check-version">{check.serverVersion}</span> in{" "}
          {check.latencyMs} ms · JetStream on
          <div className="st-test-detail mono">
            {check.url}
            {check.serverName ? ` · ${check.serverName}` : ""}
          </div>
        </div>
      </div>
    );
  }
  return (
    <div className="st-test is-bad" role="alert" data-testid="nats-check-result" data-state="error">
      <XCircle size={16} aria-hidden />
      <div>
        <strong>{check.serverVersion ? `NATS ${check.serverVersion} without JetStream` : `No NATS server at ${check.url}`}</strong>
        <pre className="st-test-error" data-testid="nats-check-message">
          {check.message}
        </pre>
      </div>
    </div>
  );
}

/** The squad's NATS URL, saved in settings.json. */
export function NatsCard({ enabled }: { enabled: boolean }) {
  const [saved, setSaved] = useState<string>("");
  const [url, setUrl] = useState<string>("");
  const [loaded, setLoaded] = useState(false);
  const [save, setSave] = useState<SaveState>({ kind: "idle" });
  const [check, setCheck] = useState<CheckState | null>(null);

  useEffect(() => {
    if (!enabled) return;
    ipc.getSettings().then(
      (s) => {
        setSaved(s.natsUrl ?? "");
        setUrl(s.natsUrl ?? "");
        setLoaded(true);
      },
      (e) => setSave({ kind: "error", message: toApiError(e).message }),
    );
  }, [enabled]);

  const problem = natsUrlProblem(url);
  const dirty = url.trim() !== saved;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (problem) return;
    setSave({ kind: "saving" });
    try {
      const s = await squad.setNatsUrl(url.trim() === "" ? null : url.trim());
      setSaved(s.natsUrl ?? "");
      setUrl(s.natsUrl ?? "");
      setSave({ kind: "saved" });
    } catch (err) {
      setSave({ kind: "error", message: toApiError(err).message });
    }
  };

  const runCheck = async () => {
    setCheck({ state: "running" });
    try {
      setCheck({ state: "done", check: await squad.checkNats(url.trim() === "" ? null : url.trim()) });
    } catch (err) {
      setCheck({ state: "failed", message: toApiError(err).message });
    }
  };

  return (
    <section className="card st-card" id="settings-squad" aria-labelledby="squad-title">
      <header className="st-card-head">
        <div className="st-card-icon" aria-hidden>
          <Network size={18} />
        </div>
        <div>
          <h2 className="card-title" id="squad-title">
            Squad (NATS)
          </h2>
          <p className="card-hint">
            Department workers on other machines pull jobs from a NATS JetStream server. Leave the URL empty to run
            every step here, with the local engine. Connected workers show on the <Link to="/workers" className="st-inline-link">
              Workers
            </Link>{" "}
            page.
          </p>
        </div>
      </header>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className={`st-field${problem ? " has-error" : ""}`}>
          <label htmlFor="nats-url">NATS URL</label>
          <div className="st-nats-row">
            <input
              id="nats-url"
              className="input st-input mono"
              type="text"
              spellCheck={false}
              autoComplete="off"
              placeholder="nats://127.0.0.1:4222 (empty: local engine)"
              value={url}
              disabled={!loaded && enabled}
              onChange={(e) => {
                setUrl(e.target.value);
                setSave({ kind: "idle" });
                setCheck(null);
              }}
              data-testid="nats-url"
              aria-invalid={problem ? true : undefined}
              aria-describedby="nats-url-help"
            />
            <button
              type="button"
              className="btn"
              onClick={() => void runCheck()}
              disabled={!enabled || check?.state === "running" || url.trim() === "" || problem !== null}
              title="Connect to the server and read its version and JetStream"
              data-testid="nats-check"
            >
              {check?.state === "running" ? (
                <Loader2 size={14} aria-hidden className="st-spin" />
              ) : (
                <PlugZap size={14} aria-hidden />
              )}
              Check connection
            </button>
          </div>
          <p className="st-help" id="nats-url-help">
            {problem ?? "nats:// or tls://, then the host and port of a server started with JetStream (nats-server -js)."}
          </p>
        </div>
        <div className="st-nats-check">
          <NatsCheckResult state={check} />
        </div>
        <footer className="st-foot">
          <div className="st-foot-status" role="status" aria-live="polite" data-testid="nats-status">
            {save.kind === "saving" ? (
              <span className="muted">Saving…</span>
            ) : save.kind === "error" ? (
              <span className="st-status-error">
                <AlertCircle size={15} aria-hidden /> {save.message}
              </span>
            ) : dirty ? (
              <span className="st-status-dirty">
                <span className="st-dot" aria-hidden /> Unsaved changes
              </span>
            ) : save.kind === "saved" ? (
              <span className="st-status-ok" data-testid="nats-saved">
                <Check size={15} aria-hidden /> Saved to settings.json
              </span>
            ) : (
              <span className="muted">{saved ? `Squad server: ${saved}` : "No squad: runs use the local engine."}</span>
            )}
          </div>
          <button
            type="submit"
            className="btn btn-primary"
            disabled={!enabled || !dirty || problem !== null || save.kind === "saving"}
            data-testid="nats-save"
          >
            Save
          </button>
        </footer>
      </form>
    </section>
  );
}
