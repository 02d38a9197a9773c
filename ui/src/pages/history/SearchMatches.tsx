import "./search.css";
import type { RunMatchItem } from "../../ipc";

/** Where a line was found, as the History says it. */
function whereLabel(m: RunMatchItem): string {
  switch (m.field) {
    case "output":
      return "output";
    case "error":
      return "error";
    case "summary":
      return "summary";
    case "output_name":
      return "output file";
    case "mission":
      return "mission";
    case "mission_id":
      return "mission id";
    case "run_id":
      return "run id";
  }
}

/** Step outputs, errors and file names read best in the code font. */
const CODE_FIELDS = new Set<RunMatchItem["field"]>(["output", "error", "output_name", "mission_id", "run_id"]);

/** One matching line: where it was found, then the line with the matched words marked. */
export function SearchMatchLine({ match }: { match: RunMatchItem }) {
  return (
    <div className="hx-match" data-testid="run-match" data-field={match.field} data-step={match.stepId ?? undefined}>
      <span className={`hx-match-where${match.field === "error" ? " is-error" : ""}`} title={match.stepId ? `${whereLabel(match)} of step ${match.stepId}` : whereLabel(match)}>
        {match.stepId ? <span className="mono">{match.stepId}</span> : null}
        {match.stepId ? <span aria-hidden> · </span> : null}
        {whereLabel(match)}
      </span>
      <span className={`hx-match-line${CODE_FIELDS.has(match.field) ? " mono" : ""}`}>
        {match.parts.map((p, i) => (p.hit ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
      </span>
    </div>
  );
}

/** The lines of a run that matched the search, under its row in the History table. */
export function SearchMatchesRow({ runId, matches, columns, onOpen }: { runId: string; matches: RunMatchItem[]; columns: number; onOpen: () => void }) {
  return (
    <tr className="hx-match-row" data-testid={`run-matches-${runId}`} onClick={onOpen}>
      <td className="hx-check-col" />
      <td colSpan={columns}>
        <div className="hx-matches">
          {matches.map((m, i) => (
            <SearchMatchLine key={i} match={m} />
          ))}
        </div>
      </td>
    </tr>
  );
}
