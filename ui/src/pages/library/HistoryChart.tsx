// A small inline chart of a template's runs: one bar per run (height = cost), coloured by status.
import type { TemplateRun } from "../../ipc/library";
import { formatDateTime } from "../../lib/dates";
import { formatUsd } from "./parts";

const W = 320;
const H = 64;

export function HistoryChart({ runs }: { runs: readonly TemplateRun[] }) {
  const ordered = [...runs].sort((a, b) => a.startedAt.localeCompare(b.startedAt)).slice(-40);
  const max = Math.max(...ordered.map((r) => r.costUsd), 0.0001);
  const gap = 2;
  const bw = Math.max(3, Math.min(14, (W - gap * (ordered.length - 1)) / Math.max(1, ordered.length)));
  const ok = ordered.filter((r) => r.status === "completed" || r.status === "succeeded").length;
  return (
    <figure className="hchart" data-testid="template-history-chart">
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" height={H} role="img" aria-label={`Cost of the last ${ordered.length} runs`}>
        <line x1="0" x2={W} y1={H - 0.5} y2={H - 0.5} className="hchart-axis" />
        {ordered.map((r, i) => {
          const h = Math.max(2, (r.costUsd / max) * (H - 6));
          const good = r.status === "completed" || r.status === "succeeded";
          return (
            <rect
              key={r.runId}
              x={i * (bw + gap)}
              y={H - h}
              width={bw}
              height={h}
              rx={1.5}
              className={good ? "hchart-ok" : r.status === "running" ? "hchart-run" : "hchart-bad"}
            >
              <title>{`${formatDateTime(r.startedAt)} · ${r.status} · ${formatUsd(r.costUsd)}`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption>
        <span>
          <i className="dot dot-ok" /> {ok} completed
        </span>
        <span>
          <i className="dot dot-bad" /> {ordered.length - ok} other
        </span>
        <span className="muted">max {formatUsd(max)} per run</span>
      </figcaption>
    </figure>
  );
}
