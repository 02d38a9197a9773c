// The launch forecast: before saving or running, each cap's worst case (tokens, LLM calls,
// cost, steps, runtime) against the perimeter, and what would stop the run.
import { AlertCircle, AlertTriangle, Gauge } from "lucide-react";
import type { LaunchForecast } from "../../gen/LaunchForecast";

const VERDICT_LABEL: Record<string, string> = {
  holds: "holds",
  tight: "tight",
  short: "too low",
  unbounded: "unbounded",
};

export function ForecastPanel({ forecast, error }: { forecast: LaunchForecast | null; error: string | null }) {
  if (error) {
    return (
      <div className="forecast" data-testid="forecast">
        <p className="valid-warn">
          <AlertTriangle size={14} aria-hidden /> The forecast could not be made: {error}
        </p>
      </div>
    );
  }
  if (!forecast) {
    return (
      <div className="forecast" data-testid="forecast" aria-busy="true">
        <div className="side-head">
          <h3>Launch forecast</h3>
          <span className="pill">…</span>
        </div>
      </div>
    );
  }
  const blocking = forecast.findings.filter((f) => f.severity === "blocking");
  const warnings = forecast.findings.filter((f) => f.severity === "warning");
  return (
    <div className="forecast" data-testid="forecast" data-can-complete={forecast.canComplete ? "true" : "false"}>
      <div className="side-head">
        <h3>
          <Gauge size={14} aria-hidden /> Launch forecast
        </h3>
        <span className={`pill ${forecast.canComplete ? (forecast.holds ? "pill-ok" : "pill-warn") : "pill-err"}`} data-testid="forecast-verdict">
          {forecast.canComplete ? (forecast.holds ? "every cap holds" : "may fall short") : "cannot complete"}
        </span>
      </div>
      <table className="forecast-table">
        <thead>
          <tr>
            <th scope="col">Cap</th>
            <th scope="col" className="num">
              Worst case
            </th>
            <th scope="col" className="num">
              Limit
            </th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {forecast.caps.map((c) => (
            <tr key={c.cap} className={`is-${c.verdict}`} data-testid={`forecast-${c.cap}`} data-verdict={c.verdict}>
              <th scope="row">{c.label}</th>
              <td className="num mono">{c.worstCaseText}</td>
              <td className="num mono">{c.limitText}</td>
              <td>
                <span className={`fc-verdict fc-${c.verdict}`}>{VERDICT_LABEL[c.verdict] ?? c.verdict}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {blocking.length > 0 || warnings.length > 0 ? (
        <ul className="forecast-findings" data-testid="forecast-findings">
          {blocking.map((f, i) => (
            <li key={`b${i}`} className="valid-err" data-testid="forecast-blocking">
              <AlertCircle size={14} aria-hidden />
              <span>
                {f.message}
                {f.settingsField ? <span className="muted"> · raise {f.settingsField}</span> : null}
              </span>
            </li>
          ))}
          {warnings.map((f, i) => (
            <li key={`w${i}`} className="valid-warn">
              <AlertTriangle size={14} aria-hidden />
              <span>{f.message}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
