// A JSON value as key: value rows (see fields.ts); every string is shown as text.
import { fieldRows } from "./fields";

export function ValueFields({ value, testId }: { value: unknown; testId?: string }) {
  const rows = fieldRows(value);
  return (
    <div className="value-fields" data-testid={testId} role="list">
      {rows.map((r, i) => (
        <div
          key={i}
          className={`vf-row vf-${r.kind}${r.key === null ? " vf-bare" : ""}`}
          style={{ paddingLeft: `${r.depth * 16}px` }}
          role="listitem"
        >
          {r.key !== null ? <span className="vf-key">{r.value !== null ? `${r.key}:` : r.key}</span> : null}
          {r.value !== null ? <span className="vf-value">{r.value}</span> : null}
        </div>
      ))}
    </div>
  );
}
