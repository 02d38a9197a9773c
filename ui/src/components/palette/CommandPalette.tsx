import {
  ArrowRight,
  BookOpen,
  CornerDownLeft,
  FileText,
  Moon,
  Play,
  Rocket,
  Search,
  Sun,
  type LucideIcon,
} from "lucide-react";
import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { useNavigate } from "react-router";
import { ABOUT_ITEM, NAV_ITEMS } from "../../app/nav";
import { inDesktopApp } from "../../ipc";
import { library, type ActiveMission, type TemplateSummary } from "../../ipc/library";
import { useTheme } from "../../theme/useTheme";
import { fuzzyMatch } from "./fuzzy";
import "./palette.css";

interface Command {
  id: string;
  group: "Pages" | "Actions" | "Active missions" | "Templates";
  title: string;
  /** Extra words the filter matches (not shown). */
  keywords?: string;
  hint?: string | null | undefined;
  icon: LucideIcon;
  run: () => void | Promise<void>;
}

interface Ranked {
  command: Command;
  positions: number[];
  score: number;
}

/** How many results the list shows at most (the library alone has hundreds of templates). */
const MAX_RESULTS = 60;
const GROUP_ORDER: Command["group"][] = ["Pages", "Actions", "Active missions", "Templates"];

/** A keyword hit: the query starts a word of the keywords ("deploy", "theme"); ranked below title hits. */
function keywordMatch(query: string, keywords: string | undefined): { score: number; positions: number[] } | null {
  if (!keywords) return null;
  const kw = ` ${keywords.toLowerCase()}`;
  const at = kw.indexOf(` ${query.toLowerCase()}`);
  return at < 0 ? null : { score: 400 - at, positions: [] };
}

function isPaletteKey(e: globalThis.KeyboardEvent): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "k";
}

/** Ctrl+K (Cmd+K) opens a palette to go to a page, open or deploy a template, run an active mission or switch the theme. */
export function CommandPalette() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (!isPaletteKey(e)) return;
      e.preventDefault();
      setOpen((o) => !o);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return open ? <PaletteDialog onClose={() => setOpen(false)} /> : null;
}

function Highlight({ text, positions }: { text: string; positions: number[] }): ReactNode {
  if (positions.length === 0) return text;
  const set = new Set(positions);
  const parts: ReactNode[] = [];
  let run = "";
  let marked = false;
  const flush = (key: number) => {
    if (run === "") return;
    parts.push(marked ? <mark key={key}>{run}</mark> : <span key={key}>{run}</span>);
    run = "";
  };
  for (let i = 0; i < text.length; i++) {
    const m = set.has(i);
    if (m !== marked) {
      flush(i);
      marked = m;
    }
    run += text.charAt(i);
  }
  flush(text.length);
  return parts;
}

function PaletteDialog({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const { resolved, setTheme } = useTheme();
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const [templates, setTemplates] = useState<TemplateSummary[]>([]);
  const [missions, setMissions] = useState<ActiveMission[]>([]);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const listId = useId();

  // Focus goes back where it was when the palette closes.
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    inputRef.current?.focus();
    return () => before?.focus?.();
  }, []);

  useEffect(() => {
    if (!inDesktopApp()) return;
    library.listTemplates().then(setTemplates, () => setTemplates([]));
    library.listActive().then(setMissions, () => setMissions([]));
  }, []);

  const go = useCallback(
    (path: string) => {
      onClose();
      void navigate(path);
    },
    [navigate, onClose],
  );

  const commands = useMemo<Command[]>(() => {
    const pages: Command[] = [...NAV_ITEMS, ABOUT_ITEM].map((item) => ({
      id: `page-${item.id}`,
      group: "Pages",
      title: item.label,
      keywords: `go to open page ${item.description}`,
      hint: `Ctrl+${item.shortcut}`,
      icon: item.icon,
      run: () => go(item.path),
    }));
    const next = resolved === "dark" ? "light" : "dark";
    const actions: Command[] = [
      {
        id: "theme-toggle",
        group: "Actions",
        title: `Switch to the ${next} theme`,
        keywords: "toggle theme dark light appearance",
        icon: next === "dark" ? Moon : Sun,
        run: () => {
          onClose();
          void setTheme(next);
        },
      },
    ];
    const runs: Command[] = missions.map((m) => ({
      id: `run-${m.id}`,
      group: "Active missions",
      title: `Run ${m.name}`,
      keywords: `start active mission ${m.templateId}`,
      hint: "Run",
      icon: Play,
      run: async () => {
        setBusy(`run-${m.id}`);
        setError(null);
        try {
          const { runId } = await library.runActive(m.id);
          go(`/runs/${encodeURIComponent(runId)}`);
        } catch (e) {
          setError(`Could not start “${m.name}”: ${(e as { message: string }).message}`);
        } finally {
          setBusy(null);
        }
      },
    }));
    const tpl: Command[] = templates.flatMap((t) => [
      {
        id: `open-${t.id}`,
        group: "Templates",
        title: t.name,
        keywords: `open template ${t.sector}`,
        hint: t.sector,
        icon: FileText,
        run: () => go(`/library?t=${encodeURIComponent(t.id)}`),
      },
      {
        id: `deploy-${t.id}`,
        group: "Templates",
        title: `Quick Deploy ${t.name}`,
        keywords: `deploy configure perimeter ${t.sector}`,
        hint: "Deploy",
        icon: Rocket,
        run: () => go(`/library?deploy=${encodeURIComponent(t.id)}`),
      },
    ]);
    return [...pages, ...actions, ...runs, ...tpl];
  }, [go, missions, onClose, resolved, setTheme, templates]);

  const results = useMemo<Ranked[]>(() => {
    const q = query.trim();
    if (q === "") {
      // No query: pages, actions and active missions; templates wait for a few letters.
      return commands.filter((c) => c.group !== "Templates").map((command) => ({ command, positions: [], score: 0 }));
    }
    const ranked: Ranked[] = [];
    for (const command of commands) {
      const onTitle = fuzzyMatch(q, command.title);
      const m = onTitle ?? keywordMatch(q, command.keywords);
      if (!m) continue;
      const groupBoost = command.group === "Pages" ? 30 : command.group === "Templates" && command.id.startsWith("deploy-") ? -5 : 0;
      ranked.push({ command, positions: onTitle ? m.positions.filter((p) => p < command.title.length) : [], score: m.score + groupBoost });
    }
    ranked.sort((a, b) => b.score - a.score || a.command.title.localeCompare(b.command.title));
    return ranked.slice(0, MAX_RESULTS);
  }, [commands, query]);

  // Show results grouped, groups in a fixed order; the best group first when searching.
  const grouped = useMemo(() => {
    const order = query.trim() === "" ? GROUP_ORDER : [...new Set(results.map((r) => r.command.group))];
    const groups = order
      .map((group) => ({ group, items: results.filter((r) => r.command.group === group) }))
      .filter((g) => g.items.length > 0);
    return groups.map((g, n) => ({
      ...g,
      start: groups.slice(0, n).reduce((sum, before) => sum + before.items.length, 0),
    }));
  }, [results, query]);
  const flat = useMemo(() => grouped.flatMap((g) => g.items), [grouped]);
  const current = Math.min(active, Math.max(0, flat.length - 1));

  useEffect(() => {
    const el = listRef.current?.querySelector<HTMLElement>(`[data-index="${current}"]`);
    if (el && typeof el.scrollIntoView === "function") el.scrollIntoView({ block: "nearest" });
  }, [current]);

  const execute = (r: Ranked | undefined) => {
    if (!r || busy) return;
    void r.command.run();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    switch (e.key) {
      case "ArrowDown":
        e.preventDefault();
        setActive(flat.length ? (current + 1) % flat.length : 0);
        break;
      case "ArrowUp":
        e.preventDefault();
        setActive(flat.length ? (current - 1 + flat.length) % flat.length : 0);
        break;
      case "Home":
        if (e.ctrlKey) {
          e.preventDefault();
          setActive(0);
        }
        break;
      case "End":
        if (e.ctrlKey) {
          e.preventDefault();
          setActive(Math.max(0, flat.length - 1));
        }
        break;
      case "PageDown":
        e.preventDefault();
        setActive(Math.min(flat.length - 1, current + 8));
        break;
      case "PageUp":
        e.preventDefault();
        setActive(Math.max(0, current - 8));
        break;
      case "Enter":
        e.preventDefault();
        execute(flat[current]);
        break;
      case "Escape":
        e.preventDefault();
        e.stopPropagation();
        onClose();
        break;
      case "Tab":
        // The focus stays in the palette: the input is its only stop, the list follows it.
        e.preventDefault();
        inputRef.current?.focus();
        break;
    }
  };

  const optionId = (i: number) => `${listId}-opt-${i}`;

  return (
    <div className="cp-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()} data-testid="palette-backdrop">
      <div
        className="cp-dialog"
        role="dialog"
        aria-modal="true"
        aria-label="Command palette"
        onKeyDown={onKeyDown}
        data-testid="command-palette"
      >
        <div className="cp-search">
          <Search size={17} aria-hidden className="cp-search-icon" />
          <input
            ref={inputRef}
            className="cp-input"
            role="combobox"
            aria-expanded="true"
            aria-controls={listId}
            aria-autocomplete="list"
            aria-activedescendant={flat.length ? optionId(current) : undefined}
            aria-label="Type a command, a page or a template"
            placeholder="Go to a page, open or deploy a template, run a mission…"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setActive(0);
              setError(null);
            }}
            spellCheck={false}
            autoComplete="off"
            data-testid="palette-input"
          />
          <kbd className="cp-kbd">Esc</kbd>
        </div>
        <ul className="cp-list" role="listbox" id={listId} ref={listRef} aria-label="Commands">
          {grouped.map(({ group, items, start }) => (
            <li key={group} role="presentation">
              <div className="cp-group" aria-hidden>
                {group}
              </div>
              <ul role="group" aria-label={group} className="cp-group-list">
                {items.map((r, k) => {
                  const i = start + k;
                  const Icon = r.command.icon;
                  const selected = i === current;
                  return (
                    <li
                      key={r.command.id}
                      id={optionId(i)}
                      role="option"
                      aria-selected={selected}
                      data-index={i}
                      data-testid={`palette-item-${r.command.id}`}
                      className={`cp-item${selected ? " is-active" : ""}`}
                      onMouseMove={() => i !== current && setActive(i)}
                      onClick={() => execute(r)}
                    >
                      <span className="cp-item-icon" aria-hidden>
                        <Icon size={15} />
                      </span>
                      <span className="cp-item-title">
                        <Highlight text={r.command.title} positions={r.positions} />
                      </span>
                      {busy === r.command.id ? (
                        <span className="cp-item-hint">Starting…</span>
                      ) : r.command.hint ? (
                        <span className="cp-item-hint">{r.command.hint}</span>
                      ) : null}
                      {selected ? <CornerDownLeft size={14} className="cp-enter" aria-hidden /> : null}
                    </li>
                  );
                })}
              </ul>
            </li>
          ))}
        </ul>
        {flat.length === 0 ? (
          <div className="cp-empty" role="status">
            <BookOpen size={18} aria-hidden />
            <span>
              Nothing matches “{query.trim()}”. Try a page name, a template name or “theme”.
            </span>
          </div>
        ) : null}
        {error ? (
          <p className="cp-error" role="alert">
            {error}
          </p>
        ) : null}
        <footer className="cp-foot">
          <span>
            <kbd className="cp-kbd">↑</kbd>
            <kbd className="cp-kbd">↓</kbd> to move
          </span>
          <span>
            <kbd className="cp-kbd">Enter</kbd> to run
          </span>
          <span>
            <kbd className="cp-kbd">Esc</kbd> to close
          </span>
          <span className="cp-foot-count">
            {query.trim() === "" && templates.length > 0 ? (
              <>
                Type to search {templates.length} templates <ArrowRight size={12} aria-hidden />
              </>
            ) : (
              `${flat.length} result${flat.length === 1 ? "" : "s"}`
            )}
          </span>
        </footer>
      </div>
    </div>
  );
}
