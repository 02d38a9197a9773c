// The History's "Started" filter: a preset (today, yesterday, last 7 or 30 days) or two typed
// days. A typed day is read when the field is left or Enter is pressed; what cannot be read
// stays in the field with an inline error, and the filter keeps its last good value.
import { X } from "lucide-react";
import { useId, useState } from "react";
import {
  DATE_PRESETS,
  formatDayInput,
  localeDayPattern,
  parseDateInput,
  presetOf,
  presetRange,
  type DatePreset,
} from "../../lib/dates";

export interface DayRange {
  from: string;
  to: string;
}

function DayField({
  label,
  value,
  onCommit,
  error,
  onError,
  errorId,
  testId,
}: {
  label: string;
  value: string;
  onCommit: (day: string) => boolean;
  error: string | null;
  onError: (e: string | null) => void;
  errorId: string;
  testId: string;
}) {
  const [text, setText] = useState(() => (value ? formatDayInput(value) : ""));
  // A value set from outside (a preset, Clear, Back) replaces what the field shows.
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    setShown(value);
    setText(value ? formatDayInput(value) : "");
  }

  const commit = () => {
    const parsed = parseDateInput(text);
    if (parsed === null) {
      onError(null);
      if (value) onCommit("");
      return;
    }
    if (!parsed.ok) {
      onError(`${label}: ${parsed.error.charAt(0).toLowerCase()}${parsed.error.slice(1)}`);
      return;
    }
    if (onCommit(parsed.day)) {
      onError(null);
      setText(formatDayInput(parsed.day));
    }
  };

  return (
    <input
      type="text"
      inputMode="numeric"
      autoComplete="off"
      spellCheck={false}
      aria-label={`${label} (${localeDayPattern()})`}
      aria-invalid={error ? true : undefined}
      aria-describedby={error ? errorId : undefined}
      className={error ? "is-invalid" : undefined}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        if (error) onError(null);
      }}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === "Enter") commit();
        if (e.key === "Escape") {
          setText(value ? formatDayInput(value) : "");
          onError(null);
        }
      }}
      data-testid={testId}
    />
  );
}

/** The two day fields, the presets and the inline error. */
export function DateFilter({
  from,
  to,
  onChange,
  label = "Started",
}: DayRange & { onChange: (range: DayRange) => void; label?: string }) {
  const errorId = useId();
  const [fromError, setFromError] = useState<string | null>(null);
  const [toError, setToError] = useState<string | null>(null);
  const preset = presetOf(from, to);
  const error = fromError ?? toError;

  const setDay = (which: "from" | "to", day: string): boolean => {
    const next = { from, to, [which]: day };
    if (next.from === from && next.to === to) return true;
    if (next.from && next.to && next.from > next.to) {
      (which === "from" ? setFromError : setToError)(
        which === "from" ? "From is after To: pick an earlier day" : "To is before From: pick a later day",
      );
      return false;
    }
    onChange(next);
    return true;
  };

  const pick = (id: string) => {
    setFromError(null);
    setToError(null);
    onChange(id ? presetRange(id as DatePreset) : { from: "", to: "" });
  };

  return (
    <div className="hx-date-wrap">
      <div className={`hx-select hx-date${error ? " has-error" : ""}`} role="group" aria-label={`${label} between`}>
        <span>{label}</span>
        <select
          aria-label="Date range"
          value={preset ?? (from || to ? "custom" : "")}
          onChange={(e) => pick(e.target.value)}
          data-testid="filter-date-preset"
        >
          <option value="">Any time</option>
          {DATE_PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label}
            </option>
          ))}
          {!preset && (from || to) ? (
            <option value="custom" disabled>
              Custom
            </option>
          ) : null}
        </select>
        <DayField
          label="From"
          value={from}
          onCommit={(d) => setDay("from", d)}
          error={fromError}
          onError={setFromError}
          errorId={errorId}
          testId="filter-from"
        />
        <span aria-hidden>–</span>
        <DayField
          label="To"
          value={to}
          onCommit={(d) => setDay("to", d)}
          error={toError}
          onError={setToError}
          errorId={errorId}
          testId="filter-to"
        />
        {from || to || error ? (
          <button type="button" className="hx-date-clear" aria-label="Clear the dates" title="Clear the dates" onClick={() => pick("")} data-testid="filter-date-clear">
            <X size={13} aria-hidden />
          </button>
        ) : null}
      </div>
      {error ? (
        <p className="hx-date-error" id={errorId} role="alert" data-testid="filter-date-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
