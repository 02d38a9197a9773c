import { ArrowDown, ArrowUp, ChevronsUpDown, GitCompare, History, RefreshCw, Search, SearchX, Sparkles, X } from "lucide-react";
import { Fragment, useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
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
  withText,
  type HistoryFilters,
} from "./filters";
import { formatDateTime, formatRelative } from "../../lib/dates";
import { DateFilter } from "./DateFilter";
import { FINAL_RUN_STATUSES, formatCost, formatDuration, RUN_STATUSES, shortId, statusLabel } from "./format";
import { StatusBadge } from "./StatusBadge";
import { SimulatedTag } from "../../components/SimulatedTag";
import { SearchMatchesRow } from "./SearchMatches";

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

/** "2 of 5 runs match “tide” · best match first". */
function searchSummary(found: number, total: number, text: string, bestFirst: boolean): string {
  const of = `of ${total} run${total === 1 ? "" : "s"}`;
  if (found === 0) return `No run ${of} matches “${text}”`;
  return `${found} ${of} ${found === 1 ? "matches" : "match"} “${text}”${bestFirst && found > 1 ? " · best match first" : ""}`;
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
  const applyText = useCallback(
    (next: string) => setParams(filtersToParams(withText(filters, next)), { replace: true }),
    [filters, setParams],
  );

  // Typing searches after a short pause; Enter searches at once, Escape clears.
  useEffect(() => {
    if (text === filters.text) return;
    const t = window.setTimeout(() => applyText(text), 250);
    return () => window.clearTimeout(t);
  }, [text, filters.text, applyText]);

  const tbody = useRef<HTMLTableSectionElement>(null);
  const onSearchKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter") {
      e.preventDefault();
      applyText(text);
    } else if (e.key === "Escape" && text) {
      e.preventDefault();
      setText("");
      applyText("");
    } else if (e.key === "ArrowDown") {
      // Down from the box goes to the first run found.
      const first = tbody.current?.querySelector<HTMLElement>(".hx-row");
      if (first) {
        e.preventDefault();
        first.focus();
      }
    }
  };

  const searching = filters.text.trim() !== "";
  const query = useMemo(() => toQuery(filters), [filters]);
  const load = useCallback(() => {
    (searching ? historyIpc.searchRuns(query) : historyIpc.listRuns(query)).then(
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
  }, [query, searching]);

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
          <p className="page-subtitle" data-testid="history-subtitle">
            {!data
              ? "Every run, what it cost, and what it produced."
              : searching
                ? searchSummary(runs.length, data.totalRuns, filters.text.trim(), filters.sort === "relevance")
                : `${data.totalRuns} run${data.totalRuns === 1 ? "" : "s"} recorded${active ? ` · ${runs.length} shown` : ""}`}
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
            placeholder="Search what runs produced, a mission or a run id"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={onSearchKey}
            aria-label="Search runs by what they produced, their mission or run id"
            title="Finds runs by their summary, step outputs and errors, and output file names, or by mission name or run id. Enter searches now, Escape clears."
            data-testid="history-search"
          />
          {text ? (
            <button
              type="button"
              className="hx-search-clear"
              onClick={() => {
                setText("");
                applyText("");
              }}
              aria-label="Clear the search"
              title="Clear the search (Escape)"
              data-testid="history-search-clear"
            >
              <X size={14} aria-hidden />
            </button>
          ) : null}
        </label>
        {searching && filters.sort !== "relevance" ? (
          <button type="button" className="hx-btn hx-btn-ghost" onClick={() => update({ sort: "relevance", descending: false })} data-testid="sort-relevance">
            <Sparkles size={14} aria-hidden /> Best match first
          </button>
        ) : null}
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
              const order = filters.sort === "relevance" ? {} : { sort: filters.sort, descending: filters.descending };
              setParams(filtersToParams({ ...DEFAULT_FILTERS, ...order }), { replace: true });
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
            <tbody ref={tbody}>
              {runs.map((r) => {
                const isSelected = selected.includes(r.runId);
                const matches = r.matches ?? [];
                return (
                  <Fragment key={r.runId}>
                    <tr
                      className={`hx-row${isSelected ? " is-selected" : ""}${matches.length ? " has-matches" : ""}`}
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
                    {matches.length ? <SearchMatchesRow runId={r.runId} matches={matches} columns={COLUMNS.length} onOpen={() => open(r)} /> : null}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
          {runs.length === 0 && searching ? (
            <div className="hx-no-match hx-search-empty" data-testid="history-search-empty">
              <SearchX size={26} aria-hidden />
              <strong>No run matches “{filters.text.trim()}”{active > 1 ? " with these filters" : ""}.</strong>
              <p>
                The search looks in what finished runs produced — their summary, step outputs and errors, and output file names — and in mission
                names and run ids. Every word must appear, whole or as the start of a longer one (“tide” also finds “tides”).
              </p>
              <button
                type="button"
                className="hx-btn"
                onClick={() => {
                  setText("");
                  applyText("");
                }}
                data-testid="history-search-empty-clear"
              >
                <X size={14} aria-hidden /> Clear the search
              </button>
            </div>
          ) : runs.length === 0 ? (
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
