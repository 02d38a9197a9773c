import { ArrowDown, ArrowUp, ChevronsUpDown, GitCompare, History, RefreshCw, Search, X } from "lucide-react";
import { useCallback, useEffect, useMemo, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { EmptyState } from "../../components/EmptyState";
import { historyIpc, type ApiError, type RunList, type RunListItem, type RunSortKey } from "../../ipc";
import {
  activeFilterCount,
  DEFAULT_FILTERS,
  filtersFromParams,
  filtersToParams,
  nextSort,
  toQuery,
  type HistoryFilters,
} from "./filters";
import { formatDateTime, formatRelative } from "../../lib/dates";
import { DateFilter } from "./DateFilter";
import { FINAL_RUN_STATUSES, formatCost, formatDuration, RUN_STATUSES, shortId, statusLabel } from "./format";
import { StatusBadge } from "./StatusBadge";
import { SimulatedTag } from "../../components/SimulatedTag";

const COLUMNS: { key: RunSortKey | null; label: string; className?: string }[] = [
  { key: "status", label: "Status" },
  { key: "mission", label: "Mission" },
  { key: null, label: "Sector" },
  { key: "started", label: "Started" },
  { key: "duration", label: "Duration", className: "num" },
  { key: "cost", label: "Cost", className: "num" },
  { key: "steps", label: "Steps", className: "num" },
];

function SortHeader({
  col,
  filters,
  onSort,
}: {
  col: (typeof COLUMNS)[number];
  filters: HistoryFilters;
  onSort: (key: RunSortKey) => void;
}) {
  if (!col.key) return <th className={col.className}>{col.label}</th>;
  const key = col.key;
  const active = filters.sort === key;
  const Icon = active ? (filters.descending ? ArrowDown : ArrowUp) : ChevronsUpDown;
  return (
    <th className={col.className} aria-sort={active ? (filters.descending ? "descending" : "ascending") : "none"}>
      <button type="button" className={`hx-sort${active ? " is-active" : ""}`} onClick={() => onSort(key)} data-testid={`sort-${key}`}>
        {col.label}
        <Icon size={13} aria-hidden />
      </button>
    </th>
  );
}

export function HistoryList() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFromParams(params), [params]);
  const [text, setText] = useState(filters.text);
  const [data, setData] = useState<RunList | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  // "just now" and "5 min ago" move on while the list is open.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), 30_000);
    return () => window.clearInterval(t);
  }, []);

  const update = useCallback(
    (patch: Partial<HistoryFilters>) => setParams(filtersToParams({ ...filters, ...patch }), { replace: true }),
    [filters, setParams],
  );

  // Typing filters after a short pause.
  useEffect(() => {
    if (text === filters.text) return;
    const t = window.setTimeout(() => update({ text }), 200);
    return () => window.clearTimeout(t);
  }, [text, filters.text, update]);

  const query = useMemo(() => toQuery(filters), [filters]);
  const load = useCallback(() => {
    historyIpc.listRuns(query).then(
      (list) => {
        setData(list);
        setError(null);
        setLoading(false);
      },
      (e: ApiError) => {
        setError(e);
        setLoading(false);
      },
    );
  }, [query]);

  useEffect(load, [load]);
  const refresh = () => {
    setLoading(true);
    load();
  };

  // Runs still going: refresh until they end.
  const live = data?.runs.some((r) => !FINAL_RUN_STATUSES.has(r.status)) ?? false;
  useEffect(() => {
    if (!live) return;
    const t = window.setInterval(load, 2000);
    return () => window.clearInterval(t);
  }, [live, load]);

  const toggle = (runId: string) =>
    setSelected((s) => (s.includes(runId) ? s.filter((x) => x !== runId) : [...s.slice(-1), runId]));

  const open = (r: RunListItem) => navigate(`/history/${encodeURIComponent(r.runId)}`);
  const compare = () => {
    const [a, b] = selected;
    if (a && b) navigate(`/history/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
  };

  const active = activeFilterCount(filters);
  const runs = data?.runs ?? [];

  return (
    <div className="page page-wide hx" data-testid="page-history">
      <header className="hx-header">
        <div>
          <h1 data-testid="page-title">History</h1>
          <p className="page-subtitle">
            {data
              ? `${data.totalRuns} run${data.totalRuns === 1 ? "" : "s"} recorded${active ? ` · ${runs.length} shown` : ""}`
              : "Every run, what it cost, and what it produced."}
          </p>
        </div>
        <div className="hx-actions">
          <span className="hx-hint" aria-live="polite">
            {selected.length === 1 ? "Select one more run to compare" : selected.length === 2 ? "2 runs selected" : ""}
          </span>
          <button
            type="button"
            className="hx-btn hx-btn-primary"
            disabled={selected.length !== 2}
            onClick={compare}
            data-testid="history-compare"
            title="Select two runs with their checkboxes"
          >
            <GitCompare size={15} aria-hidden /> Compare
          </button>
          <button type="button" className="hx-btn" onClick={refresh} data-testid="history-refresh" title="Refresh">
            <RefreshCw size={15} aria-hidden className={loading ? "spin" : ""} /> Refresh
          </button>
        </div>
      </header>

      <div className="hx-toolbar" role="search">
        <label className="hx-search">
          <Search size={15} aria-hidden />
          <input
            type="search"
            placeholder="Search mission, run id or reason"
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-label="Search runs"
            data-testid="history-search"
          />
        </label>
        <label className="hx-select">
          <span>Status</span>
          <select value={filters.status} onChange={(e) => update({ status: e.target.value })} data-testid="filter-status">
            <option value="">Any</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <label className="hx-select">
          <span>Mission</span>
          <select value={filters.missionId} onChange={(e) => update({ missionId: e.target.value })} data-testid="filter-mission">
            <option value="">Any</option>
            {(data?.missions ?? []).map((m) => (
              <option key={m.missionId} value={m.missionId}>
                {m.name} ({m.runs})
              </option>
            ))}
          </select>
        </label>
        <label className="hx-select">
          <span>Sector</span>
          <select value={filters.sector} onChange={(e) => update({ sector: e.target.value })} data-testid="filter-sector">
            <option value="">Any</option>
            {(data?.sectors ?? []).map((s) => (
              <option key={s} value={s}>
                {s === "default" ? "No sector" : s}
              </option>
            ))}
          </select>
        </label>
        <DateFilter from={filters.from} to={filters.to} onChange={(range) => update(range)} />
        {active ? (
          <button
            type="button"
            className="hx-btn hx-btn-ghost"
            onClick={() => {
              setText("");
              setParams(filtersToParams({ ...DEFAULT_FILTERS, sort: filters.sort, descending: filters.descending }), { replace: true });
            }}
            data-testid="filter-clear"
          >
            <X size={14} aria-hidden /> Clear {active > 1 ? `${active} filters` : "filter"}
          </button>
        ) : null}
      </div>

      {error ? (
        <section className="card error-card" role="alert" data-testid="history-error">
          <div>
            <strong>The history could not be read.</strong>
            <p>{error.message}</p>
          </div>
        </section>
      ) : null}

      {data && data.totalRuns === 0 ? (
        <EmptyState icon={History} title="No runs yet" testId="history-empty">
          <p>Every run — from the app or from the <code>mission</code> command line — is recorded here with its steps, cost and evidence folder.</p>
          <p className="muted">Run a template from the Library to see it appear.</p>
        </EmptyState>
      ) : data ? (
        <div className="hx-table-wrap">
          <table className="hx-table" data-testid="history-table">
            <thead>
              <tr>
                <th className="hx-check-col">
                  <span className="sr-only">Select to compare</span>
                </th>
                {COLUMNS.map((c) => (
                  <SortHeader key={c.label} col={c} filters={filters} onSort={(k) => update(nextSort(filters, k))} />
                ))}
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => {
                const isSelected = selected.includes(r.runId);
                return (
                  <tr
                    key={r.runId}
                    className={`hx-row${isSelected ? " is-selected" : ""}`}
                    onClick={() => open(r)}
                    onKeyDown={(e) => {
                      if (e.key === "Enter") open(r);
                    }}
                    tabIndex={0}
                    data-testid={`run-row-${r.runId}`}
                    data-status={r.status}
                  >
                    <td className="hx-check-col" onClick={(e) => e.stopPropagation()}>
                      <input
                        type="checkbox"
                        checked={isSelected}
                        onChange={() => toggle(r.runId)}
                        aria-label={`Select ${r.missionName} run ${shortId(r.runId)} to compare`}
                        data-testid={`run-select-${r.runId}`}
                      />
                    </td>
                    <td>
                      <StatusBadge status={r.status} compact />
                    </td>
                    <td className="hx-mission-cell">
                      <div className="hx-mission-name">{r.missionName || r.missionId}</div>
                      <div className="hx-mission-sub">
                        <span className="mono">{shortId(r.runId)}</span>
                        {r.resumedFrom ? <span className="hx-tag">resumed</span> : null}
                        {r.simulated ? (
                          <SimulatedTag testId={`run-simulated-${r.runId}`} title="Some answers of this run were simulated, not real" size={11} />
                        ) : null}
                        {r.reason && r.status !== "completed" ? (
                          <span className="hx-reason" title={r.reason}>
                            {r.reason}
                          </span>
                        ) : null}
                      </div>
                    </td>
                    <td>
                      <span className="hx-sector">{r.sector === "default" ? "—" : r.sector}</span>
                    </td>
                    <td title={formatDateTime(r.startedAt, { seconds: true })} data-testid={`run-started-${r.runId}`}>
                      {formatRelative(r.startedAt, now)}
                    </td>
                    <td className="num mono">{formatDuration(r.durationMs)}</td>
                    <td className="num mono">{formatCost(r.costUsd)}</td>
                    <td className="num mono">{r.stepCount}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {runs.length === 0 ? (
            <div className="hx-no-match" data-testid="history-no-match">
              No run matches these filters.
            </div>
          ) : null}
        </div>
      ) : (
        <div className="hx-loading">Loading the history…</div>
      )}
    </div>
  );
}
