import { ChevronLeft, ChevronRight, Filter, RefreshCw, ScrollText, Search, X } from "lucide-react";
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { EmptyState } from "../../components/EmptyState";
import type { ApiError } from "../../ipc";
import { oversight, type AuditPage as AuditPageData, type AuditRow } from "../../ipc/oversight";
import { formatDateTime } from "../../lib/dates";
import { DateFilter } from "../history/DateFilter";
import { shortId } from "../history/format";
import "../history/history.css";
import "./audit.css";
import {
  activeFilterCount,
  decisionLabel,
  DECISIONS,
  DEFAULT_AUDIT_FILTERS,
  filtersFromParams,
  filtersToParams,
  pageRange,
  PAGE_SIZE,
  toAuditQuery,
  type AuditFilters,
} from "./filters";

const TONE: Record<string, string> = { allowed: "tone-ok", refused: "tone-warn", denied: "tone-bad" };

/** The gate's decisions across runs: filters in the URL, newest first, a page at a time. */
export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFromParams(params), [params]);
  const [runText, setRunText] = useState(filters.run);
  const [data, setData] = useState<AuditPageData | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(false);

  const update = useCallback(
    (patch: Partial<AuditFilters>) =>
      setParams(filtersToParams({ ...filters, page: 0, ...patch }), { replace: !("page" in patch) }),
    [filters, setParams],
  );

  // A run id typed in the field filters after a short pause; one set from outside shows in it.
  const [shownRun, setShownRun] = useState(filters.run);
  if (shownRun !== filters.run) {
    setShownRun(filters.run);
    setRunText(filters.run);
  }
  useEffect(() => {
    if (runText.trim() === filters.run) return;
    const t = window.setTimeout(() => update({ run: runText.trim() }), 250);
    return () => window.clearTimeout(t);
  }, [runText, filters.run, update]);

  const query = useMemo(() => toAuditQuery(filters), [filters]);
  const load = useCallback(() => {
    oversight.auditRows(query).then(
      (page) => {
        setData(page);
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

  const active = activeFilterCount(filters);
  const rows = data?.rows ?? [];
  const lastPage = data ? Math.max(0, Math.ceil(data.total / PAGE_SIZE) - 1) : 0;

  return (
    <div className="page page-wide hx au" data-testid="page-audit">
      <header className="hx-header">
        <div>
          <h1 data-testid="page-title">Audit</h1>
          <p className="page-subtitle">
            {data && data.all > 0
              ? `${data.all.toLocaleString()} decision${data.all === 1 ? "" : "s"} of the perimeter gate${active ? ` · ${data.total.toLocaleString()} match` : ""}`
              : "Every decision of the perimeter gate: which step asked for which tool, and what was decided."}
          </p>
        </div>
        <div className="hx-actions">
          <button type="button" className="hx-btn" onClick={refresh} data-testid="audit-refresh" title="Refresh">
            <RefreshCw size={15} aria-hidden className={loading ? "spin" : ""} /> Refresh
          </button>
        </div>
      </header>

      <div className="hx-toolbar" role="search">
        <label className="hx-search au-run-search">
          <Search size={15} aria-hidden />
          <input
            type="search"
            placeholder="Run id"
            value={runText}
            onChange={(e) => setRunText(e.target.value)}
            aria-label="Run id, or its first characters"
            spellCheck={false}
            data-testid="audit-filter-run"
          />
        </label>
        <div className="segmented au-decisions" role="group" aria-label="Decision">
          {DECISIONS.map((d) => (
            <button
              key={d.value || "all"}
              type="button"
              className={`segment${filters.decision === d.value ? " selected" : ""}`}
              aria-pressed={filters.decision === d.value}
              title={d.hint}
              onClick={() => update({ decision: d.value })}
              data-testid={`audit-decision-${d.value || "all"}`}
            >
              {d.label}
            </button>
          ))}
        </div>
        <label className="hx-select">
          <span>Tool</span>
          <select value={filters.tool} onChange={(e) => update({ tool: e.target.value })} data-testid="audit-filter-tool">
            <option value="">Any</option>
            {[...new Set([...(data?.tools ?? []), ...(filters.tool ? [filters.tool] : [])])].map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <DateFilter label="When" from={filters.from} to={filters.to} onChange={(range) => update(range)} />
        {active ? (
          <button
            type="button"
            className="hx-btn hx-btn-ghost"
            onClick={() => {
              setRunText("");
              setParams(filtersToParams(DEFAULT_AUDIT_FILTERS), { replace: true });
            }}
            data-testid="audit-filter-clear"
          >
            <X size={14} aria-hidden /> Clear {active > 1 ? `${active} filters` : "filter"}
          </button>
        ) : null}
      </div>

      {error ? (
        <section className="card error-card" role="alert" data-testid="audit-error">
          <strong>Could not read the audit rows.</strong> {error.message}
        </section>
      ) : data === null ? (
        <div className="hx-loading">Loading the audit rows…</div>
      ) : data.all === 0 ? (
        <EmptyState icon={ScrollText} title="No decision yet" testId="audit-empty">
          <p>
            Every step of every run passes the perimeter gate: is the tool allowed, is its sector granted, does the
            sandbox permit it, does the budget hold, does it need approval. Each answer is written here, with the
            reason.
          </p>
          <p className="muted">Run a template from the Library to see its decisions.</p>
        </EmptyState>
      ) : rows.length === 0 ? (
        <div className="hx-no-match" data-testid="audit-no-match">
          No decision matches these filters.{" "}
          <button type="button" className="hx-btn hx-btn-ghost hx-btn-sm" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
            Clear the filters
          </button>
        </div>
      ) : (
        <>
          <AuditTable rows={rows} onRun={(run) => update({ run })} />
          <footer className="au-pager" data-testid="audit-pager">
            <span className="au-range" data-testid="audit-range">
              {pageRange(data.offset, rows.length, data.total)}
            </span>
            <button
              type="button"
              className="hx-btn hx-btn-sm"
              disabled={filters.page === 0}
              onClick={() => update({ page: filters.page - 1 })}
              data-testid="audit-prev"
            >
              <ChevronLeft size={14} aria-hidden /> Newer
            </button>
            <button
              type="button"
              className="hx-btn hx-btn-sm"
              disabled={filters.page >= lastPage}
              onClick={() => update({ page: filters.page + 1 })}
              data-testid="audit-next"
            >
              Older <ChevronRight size={14} aria-hidden />
            </button>
          </footer>
        </>
      )}
    </div>
  );
}

/** One row per decision: when, which run and step, which tool, what was decided, why, by whom. */
export function AuditTable({ rows, onRun }: { rows: AuditRow[]; onRun: (runId: string) => void }) {
  return (
    <div className="hx-table-wrap">
      <table className="hx-table au-table" data-testid="audit-table">
        <thead>
          <tr>
            <th>Time</th>
            <th>Run</th>
            <th>Step</th>
            <th>Tool</th>
            <th>Decision</th>
            <th className="au-reason-col">Reason</th>
            <th>Who</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr
              key={`${r.runId}-${r.stepId}-${r.attempt}-${r.at}-${i}`}
              data-testid="audit-row"
              data-run={r.runId}
              data-step={r.stepId}
              data-decision={r.decision}
              data-check={r.check}
            >
              <td className="mono au-time" title={r.at}>
                {formatDateTime(r.at, { seconds: true })}
              </td>
              <td className="au-run">
                <Link to={`/history/${encodeURIComponent(r.runId)}`} className="mono au-run-link" title={`Open run ${r.runId} in History`} data-testid="audit-run-link">
                  {shortId(r.runId)}
                </Link>
                <button type="button" className="au-only-run" onClick={() => onRun(r.runId)} title="Only this run's decisions" aria-label={`Only the decisions of run ${shortId(r.runId)}`}>
                  <Filter size={12} aria-hidden />
                </button>
                <div className="au-sub" title={r.missionId}>
                  {r.missionId}
                </div>
              </td>
              <td>
                <span className="mono">{r.stepId}</span>
                {r.attempt > 1 ? <span className="au-sub"> attempt {r.attempt}</span> : null}
              </td>
              <td>
                <span className="mono">{r.tool}</span>
                <div className="au-sub">sector {r.toolSector}</div>
              </td>
              <td>
                <span className={`hx-status is-compact ${TONE[r.decision] ?? "tone-muted"}`} data-testid="audit-decision">
                  {decisionLabel(r.decision)}
                </span>
                <div className="au-sub">at {r.check}</div>
              </td>
              <td>
                <div className="au-reason" title={r.reason} data-testid="audit-reason">
                  {r.reason || <span className="muted">—</span>}
                </div>
              </td>
              <td className="au-who" data-testid="audit-who">
                {r.who}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
