// Beside the graph: the plan as Spark renders it (a mark per step) and the mission's typed
// state, each field with its type, value and who set it. While the run waits for an approval a
// field may be edited; the run checks the value against the field's type.
import { useState } from "react";
import { ClipboardList, Database, Pencil } from "lucide-react";
import { runsIpc, toApiError, type RunStepDto, type StateFieldDto } from "../../ipc";
import type { StepState } from "./runState";
import { parseStateInput, planMark, showValue, stateRows, type StateValues } from "./stateValues";

export function PlanPanel({ steps, states }: { steps: readonly RunStepDto[]; states: Record<string, StepState> }) {
  return (
    <section className="side-panel plan-panel" data-testid="run-plan">
      <header className="side-head">
        <ClipboardList size={14} aria-hidden /> Plan
        <span className="muted side-count">{steps.length} steps</span>
      </header>
      <ol className="plan-list mono">
        {steps.map((s) => {
          const status = states[s.id]?.status ?? "pending";
          return (
            <li key={s.id} className={`plan-item plan-${status}`} data-step={s.id} data-status={status}>
              <span className="plan-mark">{planMark(status)}</span> {s.name ?? s.id}
            </li>
          );
        })}
      </ol>
    </section>
  );
}

export function StatePanel({
  runId,
  fields,
  values,
  editable,
}: {
  runId: string;
  fields: readonly StateFieldDto[];
  values: StateValues | undefined;
  editable: boolean;
}) {
  const [editing, setEditing] = useState<string | null>(null);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  if (fields.length === 0) return null;
  const rows = stateRows(fields, values);

  const save = async (name: string, fieldType: string) => {
    const parsed = parseStateInput(fieldType, text);
    if (!parsed.ok) {
      setError(parsed.error);
      return;
    }
    setSaving(true);
    setError(null);
    try {
      await runsIpc.editState(runId, name, parsed.value);
      setEditing(null);
    } catch (e) {
      setError(toApiError(e).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <section className="side-panel state-panel" data-testid="run-state">
      <header className="side-head">
        <Database size={14} aria-hidden /> State
        {editable ? <span className="muted side-count">editable while it waits</span> : null}
      </header>
      <table className="state-table">
        <tbody>
          {rows.map((r) => (
            <tr key={r.name} data-field={r.name}>
              <th scope="row">
                <span className="mono">{r.name}</span>
                <span className="state-type">{r.fieldType}</span>
              </th>
              <td>
                {editing === r.name ? (
                  <form
                    className="state-edit"
                    onSubmit={(ev) => {
                      ev.preventDefault();
                      void save(r.name, r.fieldType);
                    }}
                  >
                    <input
                      className="input mono"
                      data-testid={`state-input-${r.name}`}
                      aria-label={`New value of ${r.name} (${r.fieldType})`}
                      value={text}
                      autoFocus
                      onChange={(ev) => setText(ev.target.value)}
                      onKeyDown={(ev) => {
                        if (ev.key === "Escape") setEditing(null);
                      }}
                    />
                    <button type="submit" className="rbtn rbtn-primary" disabled={saving} data-testid={`state-save-${r.name}`}>
                      Set
                    </button>
                  </form>
                ) : (
                  <span className="state-value mono" data-testid={`state-value-${r.name}`}>
                    {showValue(r.value)}
                  </span>
                )}
                <span className="state-source muted">{r.source}</span>
              </td>
              <td className="state-actions">
                {editable && editing !== r.name ? (
                  <button
                    type="button"
                    className="icon-btn"
                    data-testid={`state-edit-${r.name}`}
                    title={`Edit ${r.name} (${r.fieldType}) while the run waits for approval`}
                    aria-label={`Edit ${r.name}`}
                    onClick={() => {
                      setEditing(r.name);
                      setText(r.value === null || r.value === undefined ? "" : typeof r.value === "string" ? r.value : JSON.stringify(r.value));
                      setError(null);
                    }}
                  >
                    <Pencil size={13} aria-hidden />
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {error ? (
        <p className="error-text" data-testid="state-error">
          {error}
        </p>
      ) : null}
    </section>
  );
}
