import { BookOpen, LayoutGrid, List, RefreshCw, Search, SearchX, X } from "lucide-react";
import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  startTransition,
  type KeyboardEvent,
} from "react";
import { useSearchParams } from "react-router";
import { EmptyState } from "../../components/EmptyState";
import { inDesktopApp } from "../../ipc";
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
import { metrics } from "./metrics";
import { PerimeterModal } from "./PerimeterModal";
import { RiskIcon, SectorIcon } from "./parts";
import { TemplateCard } from "./TemplateCard";
import { TemplateDetailPanel } from "./TemplateDetailPanel";

const SEARCH_DEBOUNCE_MS = 60;
/** Cards rendered at once for a new list: a full screen (six rows of three, or three of six). */
const FIRST_SCREEN = 18;

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

export function LibraryPage() {
  const [params, setParams] = useSearchParams();
  const [templates, setTemplates] = useState<TemplateSummary[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [active, setActive] = useState<ActiveMission[]>([]);
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

  const index = useMemo(() => indexTemplates(templates ?? []), [templates]);
  const sectors = useMemo(() => sectorsOf(templates ?? []), [templates]);
  const result = useMemo(
    () => applyFilter(index, { text: query, sector, risks, badge, sort }),
    [index, query, sector, risks, badge, sort],
  );
  // A new list paints its first screenful at once; the rest follows right after that paint (as a
  // transition, so a key typed meanwhile goes first).
  const [complete, setComplete] = useState<typeof result | null>(null);
  const isComplete = complete === result || result.items.length <= FIRST_SCREEN;
  const shown = isComplete ? result.items : result.items.slice(0, FIRST_SCREEN);
  useEffect(() => {
    if (isComplete) return;
    // A task, not an animation frame: frames are throttled when the window is hidden, and the list
    // must complete anyway.
    const timer = window.setTimeout(() => startTransition(() => setComplete(result)), 0);
    return () => window.clearTimeout(timer);
  }, [result, isComplete]);

  // Timings read by the end-to-end test: from the data's arrival (or the applied query) to the
  // commit of the first screenful and of the complete list, with style and layout forced, and to
  // the next animation frame after each (the frame that paints it, when frames are not throttled).
  useLayoutEffect(() => {
    const data = dataAt.current;
    const queried = queryAt.current;
    const key = keyAt.current;
    if (data === null && queried === null) return;
    const count = templates?.length ?? 0;
    const complete = isComplete;
    if (complete) {
      dataAt.current = null;
      queryAt.current = null;
      keyAt.current = null;
    }
    const since = (t: number, now: number) => Math.round((now - t) * 100) / 100;
    void listRef.current?.offsetHeight;
    const laidOut = performance.now();
    const m0 = metrics();
    if (data !== null) {
      if (complete) {
        m0.renderMs = since(data, laidOut);
        m0.templateCount = count;
        m0.renders.push(m0.renderMs);
      } else m0.firstScreenMs = since(data, laidOut);
    }
    if (queried !== null && complete) {
      m0.filterMs.push(since(queried, laidOut));
      if (key !== null) m0.keyToCommitMs.push(since(key, laidOut));
    }
    requestAnimationFrame(() => {
      const m = metrics();
      const now = performance.now();
      if (data !== null && complete) m.paintMs.push(since(data, now));
      listRef.current?.setAttribute("data-render-ms", String(m.renderMs ?? ""));
    });
  }, [result, templates, isComplete]);

  // Keep the roving focus inside the list.
  const safeFocus = Math.min(focusIndex, Math.max(0, result.items.length - 1));

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

  const focusCard = (i: number) => {
    const el = listRef.current?.querySelector<HTMLElement>(`[data-index="${i}"]`);
    if (el) {
      setFocusIndex(i);
      el.focus();
      el.scrollIntoView?.({ block: "nearest" });
    }
  };

  const columns = () => {
    const cards = listRef.current?.querySelectorAll<HTMLElement>("[data-index]");
    if (!cards || cards.length === 0) return 1;
    const top = cards[0]?.offsetTop ?? 0;
    let n = 0;
    for (const c of cards) {
      if (c.offsetTop !== top) break;
      n += 1;
    }
    return Math.max(1, n);
  };

  const onCardKey = useCallback(
    (e: KeyboardEvent<HTMLElement>, i: number) => {
      const count = result.items.length;
      const cols = view === "list" ? 1 : columns();
      let next: number | null = null;
      switch (e.key) {
        case "ArrowRight":
          next = Math.min(count - 1, i + 1);
          break;
        case "ArrowLeft":
          next = Math.max(0, i - 1);
          break;
        case "ArrowDown":
          next = Math.min(count - 1, i + cols);
          break;
        case "ArrowUp":
          if (i - cols < 0) {
            e.preventDefault();
            searchRef.current?.focus();
            return;
          }
          next = i - cols;
          break;
        case "Home":
          next = 0;
          break;
        case "End":
          next = count - 1;
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
    [result.items, view, open],
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

      <ActiveMissions
        missions={active}
        templates={templates ?? []}
        onChanged={loadActive}
        onOpenTemplate={open}
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
        <div className="lib-grid" aria-busy="true">
          {Array.from({ length: 9 }, (_, i) => (
            <div key={i} className="tcard tcard-skeleton" />
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
          >
            {shown.map((t, i) => (
              <TemplateCard
                key={t.id}
                template={t}
                index={i}
                selected={t.id === selectedId}
                tabbable={i === safeFocus}
                onOpen={open}
                onKey={onCardKey}
              />
            ))}
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

      {deployId ? (
        <PerimeterModal
          templateId={deployId}
          templateName={deployTemplate?.name ?? deployId}
          onClose={() => setDeployId(null)}
          onSaved={() => {
            setDeployId(null);
            loadActive();
          }}
        />
      ) : null}
    </div>
  );
}
