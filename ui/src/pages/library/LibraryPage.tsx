import { BookOpen, CheckCircle2, LayoutGrid, List, Play, RefreshCw, Search, SearchX, X } from "lucide-react";
import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
} from "react";
import { useNavigate, useSearchParams } from "react-router";
import { EmptyState } from "../../components/EmptyState";
import { inDesktopApp } from "../../ipc";
import { LibraryProblems } from "./LibraryProblems";
import { library, onTemplatesChanged, type ActiveMission, type TemplateSummary } from "../../ipc/library";
import { ActiveMissions } from "./ActiveMissions";
import {
  applyFilter,
  indexTemplates,
  sectorsOf,
  type BadgeFilter,
  type RiskFilter,
  type SortKey,
} from "./filter";
import "./library.css";
import { metrics, timedModel } from "./metrics";
import { PerimeterModal } from "./PerimeterModal";
import { RiskIcon, SectorIcon } from "./parts";
import { LoadingCard, TemplateCard } from "./TemplateCard";
import { TemplateDetailPanel } from "./TemplateDetailPanel";
import { FirstRunTour } from "../../components/firstrun/FirstRunTour";
import { useWindowedRows, type FixedViewport, type RowLayout } from "./useWindowedRows";

const SEARCH_DEBOUNCE_MS = 60;
/** Rows of the two layouts: every card of a layout has the same height, so only those in view are rendered. */
const GRID_ROWS: RowLayout = { rowHeight: 200, gap: 12, minColumnWidth: 292 };
const LIST_ROWS: RowLayout = { rowHeight: 52, gap: 0, minColumnWidth: null };

const SORTS: { value: SortKey; label: string }[] = [
  { value: "name", label: "Name" },
  { value: "roi", label: "ROI" },
  { value: "success", label: "Success rate" },
  { value: "cost", label: "Avg cost" },
  { value: "runs", label: "Runs" },
  { value: "risk", label: "Risk (low first)" },
];

const BADGES: { value: BadgeFilter | null; label: string }[] = [
  { value: null, label: "All" },
  { value: "top_performance", label: "Top Performance" },
  { value: "measured", label: "Measured" },
  { value: "untested", label: "No runs yet" },
];

interface Props {
  /** A fixed size for the list's window where nothing is laid out (tests). */
  viewport?: FixedViewport | undefined;
}

export function LibraryPage({ viewport }: Props = {}) {
  const [params, setParams] = useSearchParams();
  const [templates, setTemplates] = useState<TemplateSummary[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [active, setActive] = useState<ActiveMission[]>([]);
  const navigate = useNavigate();
  // The active mission just saved from Quick Deploy (its confirmation, with a way to run it).
  const [saved, setSaved] = useState<string | null>(null);
  const [editing, setEditing] = useState<ActiveMission | null>(null);
  const [savedError, setSavedError] = useState<string | null>(null);
  const savedMission = saved ? (active.find((m) => m.id === saved) ?? null) : null;
  // The confirmation comes into view where the person was (the list may be scrolled far down).
  useEffect(() => {
    if (!savedMission) return;
    const frame = requestAnimationFrame(() =>
      document.querySelector('[data-testid="deploy-saved"]')?.scrollIntoView?.({ block: "nearest", behavior: "smooth" }),
    );
    return () => cancelAnimationFrame(frame);
  }, [savedMission]);
  const [text, setText] = useState("");
  const [query, setQuery] = useState("");
  const [sector, setSector] = useState<string | null>(null);
  const [risks, setRisks] = useState<ReadonlySet<RiskFilter>>(new Set());
  const [badge, setBadge] = useState<BadgeFilter | null>(null);
  const [sort, setSort] = useState<SortKey>("name");
  const [view, setView] = useState<"grid" | "list">("grid");
  const [focusIndex, setFocusIndex] = useState(0);
  const selectedId = params.get("t");
  // The configurator is open for ?deploy=<id> (the detail panel and the command palette set it).
  const deployId = params.get("deploy");
  const searchRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const dataAt = useRef<number | null>(null);
  const keyAt = useRef<number | null>(null);
  const queryAt = useRef<number | null>(null);
  const commitAt = useRef(0);
  /** A card to focus once the window has rendered it. */
  const pendingFocus = useRef<number | null>(null);

  // The moment of each commit, before any layout effect forces style and layout.
  useLayoutEffect(() => {
    commitAt.current = performance.now();
  });

  const load = useCallback(() => {
    library.listTemplates().then(
      (list) => {
        dataAt.current = performance.now();
        setTemplates(list);
        setLoadError(null);
      },
      (e: { message: string }) => setLoadError(e.message),
    );
  }, []);
  const loadActive = useCallback(() => {
    library.listActive().then(setActive, () => setActive([]));
  }, []);

  useEffect(() => {
    load();
    loadActive();
    if (!inDesktopApp()) return;
    return onTemplatesChanged(load);
  }, [load, loadActive]);

  // Debounced query: the box updates at once, the list follows a moment later.
  useEffect(() => {
    if (text === query) return;
    const timer = window.setTimeout(() => {
      queryAt.current = performance.now();
      setQuery(text);
    }, SEARCH_DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [text, query]);

  const index = useMemo(() => timedModel(() => indexTemplates(templates ?? [])), [templates]);
  const sectors = useMemo(() => sectorsOf(templates ?? []), [templates]);
  const result = useMemo(
    () => timedModel(() => applyFilter(index, { text: query, sector, risks, badge, sort })),
    [index, query, sector, risks, badge, sort],
  );
  // Only the rows in view are rendered (the row below them once the first cards are painted); the
  // list keeps the height of all of them.
  const rows = view === "grid" ? GRID_ROWS : LIST_ROWS;
  const windowed = useWindowedRows(listRef, result.items.length, rows, {
    fixedViewport: viewport,
    deferOverscan: true,
  });
  const shown = result.items.slice(windowed.start, windowed.end);

  // Timings read by the end-to-end test: from the data's arrival (or the applied query) to the
  // commit of the list (the window of cards in view, the list at its full height), then with
  // style and layout forced; and to the next animation frame (the frame that paints it, when
  // frames are not throttled).
  useLayoutEffect(() => {
    const data = dataAt.current;
    const queried = queryAt.current;
    const key = keyAt.current;
    if (data === null && queried === null) return;
    const committed = commitAt.current;
    // A window that no longer matches the view renders again first: measure that commit.
    if (!windowed.settle()) return;
    void listRef.current?.offsetHeight;
    const laidOut = performance.now();
    dataAt.current = null;
    queryAt.current = null;
    keyAt.current = null;
    const since = (t: number, now: number) => Math.round((now - t) * 100) / 100;
    const m0 = metrics();
    const cards = listRef.current?.childElementCount ?? 0;
    if (data !== null) {
      m0.renderMs = since(data, laidOut);
      m0.templateCount = templates?.length ?? 0;
      m0.renders.push(m0.renderMs);
      m0.loads.push({ commitMs: since(data, committed), layoutMs: since(committed, laidOut), cards });
    }
    if (queried !== null) {
      m0.filterMs.push(since(queried, laidOut));
      m0.filters.push({ commitMs: since(queried, committed), layoutMs: since(committed, laidOut), cards });
      if (key !== null) m0.keyToCommitMs.push(since(key, laidOut));
    }
    requestAnimationFrame(() => {
      const m = metrics();
      if (data !== null) m.paintMs.push(since(data, performance.now()));
      listRef.current?.setAttribute("data-render-ms", String(m.renderMs ?? ""));
    });
  }, [result, templates, windowed]);

  // Keep the roving focus inside the list, and on a rendered card (Tab must land in the list).
  const safeFocus = Math.min(focusIndex, Math.max(0, result.items.length - 1));
  const tabbable = safeFocus >= windowed.start && safeFocus < windowed.end ? safeFocus : windowed.start;

  const open = useCallback(
    (id: string) => {
      const next = new URLSearchParams(params);
      next.set("t", id);
      setParams(next, { replace: true });
    },
    [params, setParams],
  );
  const close = useCallback(() => {
    const next = new URLSearchParams(params);
    next.delete("t");
    setParams(next, { replace: true });
  }, [params, setParams]);

  const setDeployId = useCallback(
    (id: string | null) => {
      const next = new URLSearchParams(params);
      if (id) next.set("deploy", id);
      else next.delete("deploy");
      setParams(next, { replace: true });
    },
    [params, setParams],
  );

  const { scrollToIndex, columns, pageRows } = windowed;
  // Moves the roving focus to a card: its row is scrolled into the window, then it takes the focus.
  const focusCard = useCallback(
    (i: number) => {
      setFocusIndex(i);
      pendingFocus.current = i;
      scrollToIndex(i);
      const el = listRef.current?.querySelector<HTMLElement>(`[data-index="${i}"]`);
      if (el) {
        pendingFocus.current = null;
        el.focus({ preventScroll: true });
      }
    },
    [scrollToIndex],
  );
  // A card that was outside the window takes the focus once rendered.
  useLayoutEffect(() => {
    const i = pendingFocus.current;
    if (i === null) return;
    const el = listRef.current?.querySelector<HTMLElement>(`[data-index="${i}"]`);
    if (!el) return;
    pendingFocus.current = null;
    el.focus({ preventScroll: true });
  });

  const onCardKey = useCallback(
    (e: KeyboardEvent<HTMLElement>, i: number) => {
      const count = result.items.length;
      const last = count - 1;
      const page = pageRows * columns;
      let next: number | null = null;
      switch (e.key) {
        case "ArrowRight":
          next = Math.min(last, i + 1);
          break;
        case "ArrowLeft":
          next = Math.max(0, i - 1);
          break;
        case "ArrowDown":
          next = Math.min(last, i + columns);
          break;
        case "ArrowUp":
          if (i - columns < 0) {
            e.preventDefault();
            searchRef.current?.focus();
            return;
          }
          next = i - columns;
          break;
        case "PageDown":
          next = Math.min(last, i + page);
          break;
        case "PageUp":
          next = Math.max(0, i - page);
          break;
        case "Home":
          next = 0;
          break;
        case "End":
          next = last;
          break;
        case "Enter":
        case " ": {
          e.preventDefault();
          const t = result.items[i];
          if (t) open(t.id);
          return;
        }
        default:
          return;
      }
      e.preventDefault();
      focusCard(next);
    },
    [result.items, columns, pageRows, open, focusCard],
  );

  // "/" focuses the search box from anywhere on the page.
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
      if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        searchRef.current?.focus();
        searchRef.current?.select();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const toggleRisk = (r: RiskFilter) => {
    setRisks((prev) => {
      const next = new Set(prev);
      if (next.has(r)) next.delete(r);
      else next.add(r);
      return next;
    });
  };
  const clearAll = () => {
    setText("");
    setQuery("");
    setSector(null);
    setRisks(new Set());
    setBadge(null);
  };
  const filtered = query !== "" || sector !== null || risks.size > 0 || badge !== null;

  const deployTemplate = deployId ? templates?.find((t) => t.id === deployId) : undefined;

  return (
    <div className="page page-wide library" data-testid="page-library">
      <header className="lib-header">
        <div>
          <h1 data-testid="page-title">Library</h1>
          <p className="page-subtitle">
            {templates
              ? `${templates.length} mission templates across ${sectors.length} sectors. Open one to see its steps, or Quick Deploy it under a perimeter.`
              : "Mission templates to browse, configure and deploy."}
          </p>
        </div>
        <div className="lib-header-actions">
          <button type="button" className="btn btn-ghost" onClick={load} title="Reload the library">
            <RefreshCw size={14} aria-hidden /> Reload
          </button>
        </div>
      </header>

      <FirstRunTour show={templates !== null && active.length === 0 && !templates.some((t) => (t.stats?.runs ?? 0) > 0)} />

      <LibraryProblems version={templates} />

      {savedMission ? (
        <div className="lib-saved" role="status" data-testid="deploy-saved">
          <CheckCircle2 size={16} aria-hidden />
          <span>
            Saved <a href={`#active-mission-${savedMission.id}`} data-testid="deploy-saved-link">{savedMission.name}</a> as an active mission.
          </span>
          <button
            type="button"
            className="btn btn-primary"
            data-testid="deploy-saved-run"
            onClick={() =>
              library.runActive(savedMission.id).then(
                (r) => navigate(`/runs/${encodeURIComponent(r.runId)}`),
                (e: { message: string }) => setSavedError(e.message),
              )
            }
          >
            <Play size={14} aria-hidden /> Run it now
          </button>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => setSaved(null)}>
            <X size={14} aria-hidden />
          </button>
          {savedError ? <p className="error-text">{savedError}</p> : null}
        </div>
      ) : null}

      <ActiveMissions
        missions={active}
        templates={templates ?? []}
        onChanged={loadActive}
        onOpenTemplate={open}
        onEdit={setEditing}
      />

      <div className="lib-toolbar" role="search">
        <label className="lib-search">
          <Search size={15} aria-hidden />
          <input
            ref={searchRef}
            type="search"
            placeholder="Search name, goal, department…"
            value={text}
            data-testid="library-search"
            aria-label="Search templates"
            onChange={(e) => {
              keyAt.current ??= performance.now();
              setText(e.target.value);
            }}
            onKeyDown={(e) => {
              if (e.key === "Escape" && text) {
                e.preventDefault();
                setText("");
              } else if (e.key === "ArrowDown" || (e.key === "Enter" && result.items.length > 0)) {
                e.preventDefault();
                if (text !== query) setQuery(text);
                if (e.key === "Enter" && result.items.length === 1 && result.items[0]) open(result.items[0].id);
                else window.setTimeout(() => focusCard(0), 0);
              }
            }}
          />
          {text ? (
            <button type="button" className="lib-search-clear" aria-label="Clear search" onClick={() => setText("")}>
              <X size={14} aria-hidden />
            </button>
          ) : (
            <kbd className="lib-kbd">/</kbd>
          )}
        </label>

        <div className="lib-filter-group" role="group" aria-label="Risk">
          {(["low", "medium", "high"] as const).map((r) => (
            <button
              key={r}
              type="button"
              className={`chip chip-risk risk-${r}${risks.has(r) ? " is-on" : ""}`}
              aria-pressed={risks.has(r)}
              data-testid={`risk-filter-${r}`}
              onClick={() => toggleRisk(r)}
            >
              <RiskIcon risk={r} /> {r[0]?.toUpperCase() + r.slice(1)}
            </button>
          ))}
        </div>

        <label className="lib-select">
          <span>Show</span>
          <select
            value={badge ?? ""}
            data-testid="badge-filter"
            onChange={(e) => setBadge((e.target.value || null) as BadgeFilter | null)}
          >
            {BADGES.map((b) => (
              <option key={b.label} value={b.value ?? ""}>
                {b.label}
              </option>
            ))}
          </select>
        </label>

        <label className="lib-select">
          <span>Sort</span>
          <select value={sort} data-testid="library-sort" onChange={(e) => setSort(e.target.value as SortKey)}>
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>

        <div className="segmented segmented-sm" role="radiogroup" aria-label="Layout">
          <button
            type="button"
            role="radio"
            aria-checked={view === "grid"}
            className={`segment${view === "grid" ? " selected" : ""}`}
            onClick={() => setView("grid")}
            title="Grid"
            data-testid="view-grid"
          >
            <LayoutGrid size={14} aria-hidden />
            <span className="sr-only">Grid</span>
          </button>
          <button
            type="button"
            role="radio"
            aria-checked={view === "list"}
            className={`segment${view === "list" ? " selected" : ""}`}
            onClick={() => setView("list")}
            title="List"
            data-testid="view-list"
          >
            <List size={14} aria-hidden />
            <span className="sr-only">List</span>
          </button>
        </div>
      </div>

      <div className="sector-chips" role="group" aria-label="Sector">
        <button
          type="button"
          className={`chip${sector === null ? " is-on" : ""}`}
          aria-pressed={sector === null}
          data-testid="sector-chip-all"
          onClick={() => setSector(null)}
        >
          All <span className="chip-count">{result.total}</span>
        </button>
        {sectors.map((s) => {
          const n = result.sectorCounts.get(s) ?? 0;
          return (
            <button
              key={s}
              type="button"
              className={`chip${sector === s ? " is-on" : ""}${n === 0 ? " is-empty" : ""}`}
              aria-pressed={sector === s}
              data-testid={`sector-chip-${s}`}
              onClick={() => setSector(sector === s ? null : s)}
            >
              <SectorIcon sector={s} size={13} /> {s} <span className="chip-count">{n}</span>
            </button>
          );
        })}
      </div>

      {loadError ? (
        <div className="card error-card" role="alert" data-testid="library-error">
          <div>
            <strong>The library could not be loaded.</strong>
            <p>{loadError}</p>
          </div>
        </div>
      ) : templates === null ? (
        // The placeholder holds the list's ref: the window is measured before the data arrives.
        <div ref={listRef} className="lib-grid" aria-busy="true">
          {Array.from({ length: 9 }, (_, i) => (
            <LoadingCard key={i} />
          ))}
        </div>
      ) : templates.length === 0 ? (
        <EmptyState icon={BookOpen} title="No templates in the library" testId="library-empty">
          <p>
            Templates are YAML files in the app's <code>missions/templates/</code> folder and in <code>templates/</code>{" "}
            inside your data folder. Add a file there and it appears here at once.
          </p>
          <p className="muted">
            <code>mission new</code> writes a starter template; <code>mission validate FILE</code> checks one.
          </p>
        </EmptyState>
      ) : result.items.length === 0 ? (
        <EmptyState icon={SearchX} title="No template matches" testId="library-no-results">
          <p>
            Nothing matches {query ? <strong>“{query}”</strong> : "these filters"}
            {sector ? ` in ${sector}` : ""}. Try fewer words, another sector, or clear the filters.
          </p>
          <button type="button" className="btn btn-primary" onClick={clearAll} data-testid="library-clear-filters">
            Clear all filters
          </button>
        </EmptyState>
      ) : (
        <>
          <div className="lib-count" aria-live="polite" data-testid="library-count">
            {result.items.length === templates.length
              ? `${templates.length} templates`
              : `${result.items.length} of ${templates.length} templates`}
            {filtered ? (
              <button type="button" className="link-button" onClick={clearAll}>
                Clear filters
              </button>
            ) : null}
            <span className="lib-hint">
              <kbd>↑</kbd>
              <kbd>↓</kbd>
              <kbd>←</kbd>
              <kbd>→</kbd> move · <kbd>Enter</kbd> open
            </span>
          </div>
          <div
            ref={listRef}
            className={view === "grid" ? "lib-grid" : "lib-grid lib-list"}
            role="list"
            aria-label="Templates"
            data-testid="template-list"
            data-count={result.items.length}
            style={{ gridAutoRows: rows.rowHeight, paddingTop: windowed.padTop, paddingBottom: windowed.padBottom }}
          >
            {shown.map((t, k) => {
              const i = windowed.start + k;
              return (
                <TemplateCard
                  key={t.id}
                  template={t}
                  index={i}
                  setSize={result.items.length}
                  selected={t.id === selectedId}
                  tabbable={i === tabbable}
                  onOpen={open}
                  onKey={onCardKey}
                />
              );
            })}
          </div>
        </>
      )}

      {selectedId ? (
        <TemplateDetailPanel
          id={selectedId}
          summary={templates?.find((t) => t.id === selectedId) ?? null}
          onClose={close}
          onDeploy={(id) => setDeployId(id)}
        />
      ) : null}

      {editing ? (
        <PerimeterModal
          templateId={editing.templateId}
          templateName={editing.name}
          active={editing}
          onClose={() => setEditing(null)}
          onSaved={(activeId, runId) => {
            setEditing(null);
            loadActive();
            if (runId) navigate(`/runs/${encodeURIComponent(runId)}`);
            else setSaved(activeId);
          }}
        />
      ) : null}

      {deployId ? (
        <PerimeterModal
          templateId={deployId}
          templateName={deployTemplate?.name ?? deployId}
          onClose={() => setDeployId(null)}
          onSaved={(activeId, runId) => {
            loadActive();
            if (runId) {
              navigate(`/runs/${encodeURIComponent(runId)}`);
              return;
            }
            // Saved: the detail panel steps aside so the confirmation and its Run button show.
            const next = new URLSearchParams(params);
            next.delete("deploy");
            next.delete("t");
            setParams(next, { replace: true });
            setSaved(activeId);
          }}
        />
      ) : null}
    </div>
  );
}
