// "Test connection" for a saved provider: one real request to its endpoint (the backend's
// check), and what came back: ok, latency and model, or the exact error. The key never reaches
// the page.
import { CheckCircle2, Loader2, PlugZap, XCircle } from "lucide-react";
import { library, type ProviderCheck } from "../../ipc/library";
import "./provider-test.css";

export type TestState =
  | { state: "running" }
  | { state: "done"; check: ProviderCheck }
  | { state: "failed"; message: string };

/** Runs the check of `id` and reports each state to `onState`. */
export async function testProvider(id: string, onState: (s: TestState) => void): Promise<void> {
  onState({ state: "running" });
  try {
    onState({ state: "done", check: await library.testProvider(id) });
  } catch (e) {
    onState({ state: "failed", message: (e as { message: string }).message });
  }
}

export function TestButton({ id, state, onTest }: { id: string; state: TestState | undefined; onTest: () => void }) {
  const running = state?.state === "running";
  return (
    <button
      type="button"
      className="btn btn-sm btn-ghost"
      onClick={onTest}
      disabled={running}
      aria-label={`Test the connection to ${id}`}
      title="Send one real request to the endpoint with its key"
      data-testid={`provider-test-${id}`}
    >
      {running ? <Loader2 size={14} aria-hidden className="st-spin" /> : <PlugZap size={14} aria-hidden />}
      {running ? "Testing…" : "Test connection"}
    </button>
  );
}

/** The headline of a failed check: the HTTP status, a refused connection, a time-out. */
export function failureHeadline(check: ProviderCheck): string {
  const error = check.error ?? "";
  if (check.status !== null) return `HTTP ${check.status} from ${check.url}`;
  if (/connection refused/i.test(error)) return `Connection refused at ${check.url}`;
  if (/no complete answer within/i.test(error)) return `No answer within ${Math.round(check.timeoutMs / 1000)} s from ${check.url}`;
  if (/dns|resolve|lookup/i.test(error)) return `Cannot resolve the host of ${check.url}`;
  return `No answer from ${check.url}`;
}

/** What the last check of a provider found. */
export function TestResult({ id, state }: { id: string; state: TestState | undefined }) {
  if (!state || state.state === "running") {
    return state ? (
      <p className="st-test is-running" role="status" data-testid={`provider-test-result-${id}`} data-state="running">
        Sending one request to the endpoint…
      </p>
    ) : null;
  }
  if (state.state === "failed") {
    return (
      <div className="st-test is-bad" role="alert" data-testid={`provider-test-result-${id}`} data-state="error">
        <XCircle size={16} aria-hidden />
        <div>
          <strong>The check could not run.</strong> <span className="st-test-error">{state.message}</span>
        </div>
      </div>
    );
  }
  const { check } = state;
  if (check.ok) {
    const via = check.method === "chat" ? "a 1-token chat answered" : "the endpoint lists it";
    return (
      <div className="st-test is-ok" role="status" data-testid={`provider-test-result-${id}`} data-state="ok">
        <CheckCircle2 size={16} aria-hidden />
        <div>
          <strong>Connected</strong> in <span data-testid={`provider-test-latency-${id}`}>{check.latencyMs} ms</span> · model{" "}
          <code data-testid={`provider-test-model-${id}`}>{check.model}</code> ({via})
          <div className="st-test-detail mono">{check.url}</div>
          {check.note ? <div className="st-test-detail">{check.note}</div> : null}
        </div>
      </div>
    );
  }
  return (
    <div className="st-test is-bad" role="alert" data-testid={`provider-test-result-${id}`} data-state="error">
      <XCircle size={16} aria-hidden />
      <div>
        <strong data-testid={`provider-test-headline-${id}`}>{failureHeadline(check)}</strong>
        <span className="st-test-detail"> after {check.latencyMs} ms</span>
        <pre className="st-test-error" data-testid={`provider-test-error-${id}`}>
          {check.error}
        </pre>
        {check.models.length > 0 ? (
          <div className="st-test-detail">
            It lists {check.modelsTotal} model{check.modelsTotal === 1 ? "" : "s"}: {check.models.slice(0, 8).join(", ")}
            {check.modelsTotal > 8 ? ", …" : ""}
          </div>
        ) : null}
      </div>
    </div>
  );
}
