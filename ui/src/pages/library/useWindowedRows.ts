// Windowing for a grid (or a one-column list) of equal-height rows that scrolls with an ancestor:
// only the rows in view, plus a few above and below, are rendered; padding keeps the list at its
// full height, so the scrollbar stays true. The column count follows the list's width.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type RefObject } from "react";

export interface RowLayout {
  /** Height of one row (px). */
  rowHeight: number;
  /** Space between rows and between columns (px). */
  gap: number;
  /** Narrowest column (px): the grid fits as many as the width allows; null for a single column. */
  minColumnWidth: number | null;
}

/** A fixed size for the list's width and its scroller's view, where nothing is laid out (tests). */
export interface FixedViewport {
  width: number;
  height: number;
}

export interface WindowedRows {
  columns: number;
  /** Index of the first rendered item. */
  start: number;
  /** One past the last rendered item. */
  end: number;
  /** Padding above and below the rendered rows (px). */
  padTop: number;
  padBottom: number;
  /** Whole rows that fit in the view (for Page Up / Page Down). */
  pageRows: number;
  /** Scrolls the least needed to show an item's row, and renders it. */
  scrollToIndex: (index: number) => void;
  /** Re-reads the view; true when the rendered window already covers it. */
  settle: () => boolean;
}

interface View {
  /** Top of the view, measured from the list's top (px). */
  top: number;
  height: number;
  width: number;
}

/** Used until the list is measured, and where it measures zero (no layout). */
const FALLBACK_VIEW: View = { top: 0, height: 900, width: 1200 };

/** The nearest ancestor that scrolls vertically; null for the document itself. */
export function scrollParent(el: HTMLElement | null): HTMLElement | null {
  for (let p = el?.parentElement ?? null; p; p = p.parentElement) {
    const { overflowY } = getComputedStyle(p);
    if (overflowY === "auto" || overflowY === "scroll") return p;
  }
  return null;
}

export function columnsFor(width: number, layout: RowLayout): number {
  if (layout.minColumnWidth === null) return 1;
  return Math.max(1, Math.floor((width + layout.gap) / (layout.minColumnWidth + layout.gap)));
}

interface Geometry {
  scroller: HTMLElement | null;
  /** The list's top in the scroller's content (px). */
  offset: number;
  scrollTop: number;
  height: number;
  width: number;
}

function geometry(list: HTMLElement, fixed: FixedViewport | undefined): Geometry {
  const scroller = scrollParent(list);
  const scrollTop = scroller ? scroller.scrollTop : window.scrollY;
  if (fixed) return { scroller, offset: 0, scrollTop, height: fixed.height, width: fixed.width };
  const viewTop = scroller ? scroller.getBoundingClientRect().top + scroller.clientTop : 0;
  const height = scroller ? scroller.clientHeight : window.innerHeight;
  const offset = list.getBoundingClientRect().top - viewTop + scrollTop;
  return { scroller, offset, scrollTop, height, width: list.clientWidth };
}

function viewOf(g: Geometry): View {
  if (g.height <= 0 || g.width <= 0) return FALLBACK_VIEW;
  return { top: g.scrollTop - g.offset, height: g.height, width: g.width };
}

interface Range {
  columns: number;
  /** Whole rows that fit in the view. */
  pageRows: number;
  firstRow: number;
  /** One past the last row to render (not clamped to the item count). */
  lastRow: number;
}

function rangeOf(view: View, layout: RowLayout, overscan: number): Range {
  const pitch = layout.rowHeight + layout.gap;
  const firstVisible = Math.floor(Math.max(0, view.top) / pitch);
  const lastVisible = Math.max(0, Math.ceil((view.top + view.height) / pitch));
  return {
    columns: columnsFor(view.width, layout),
    pageRows: Math.max(1, Math.floor((view.height + layout.gap) / pitch)),
    firstRow: Math.max(0, firstVisible - overscan),
    lastRow: Math.max(firstVisible, lastVisible) + overscan,
  };
}

const sameRange = (a: Range, b: Range) =>
  a.columns === b.columns && a.pageRows === b.pageRows && a.firstRow === b.firstRow && a.lastRow === b.lastRow;

export interface WindowOptions {
  /** Rows rendered above and below the view. */
  overscan?: number;
  /**
   * The first commit with items renders only the rows in view; the overscan rows follow in a task
   * of their own, after that commit is painted (the first items show sooner).
   */
  deferOverscan?: boolean;
  fixedViewport?: FixedViewport | undefined;
}

/**
 * Windows `count` items laid out in rows of `layout` inside the element `listRef` points to.
 * The list scrolls with its nearest scrolling ancestor (or the document).
 */
export function useWindowedRows(
  listRef: RefObject<HTMLElement | null>,
  count: number,
  layout: RowLayout,
  { overscan: wantedOverscan = 1, deferOverscan = false, fixedViewport }: WindowOptions = {},
): WindowedRows {
  // Deferred: no overscan until items have been shown once.
  const [shownOnce, setShownOnce] = useState(!deferOverscan);
  const overscan = shownOnce ? wantedOverscan : 0;
  useEffect(() => {
    if (shownOnce || count === 0) return;
    const timer = window.setTimeout(() => setShownOnce(true), 0);
    return () => window.clearTimeout(timer);
  }, [shownOnce, count]);
  const [range, setRange] = useState<Range>(() => rangeOf(FALLBACK_VIEW, layout, overscan));
  const latest = useRef(range);
  const { rowHeight, gap, minColumnWidth } = layout;
  const stable = useMemo<RowLayout>(() => ({ rowHeight, gap, minColumnWidth }), [rowHeight, gap, minColumnWidth]);
  const fixedWidth = fixedViewport?.width;
  const fixedHeight = fixedViewport?.height;
  const fixed = useMemo<FixedViewport | undefined>(
    () => (fixedWidth !== undefined && fixedHeight !== undefined ? { width: fixedWidth, height: fixedHeight } : undefined),
    [fixedWidth, fixedHeight],
  );

  /** Measures the view and stores the range it needs; returns whether that range was already set. */
  const settle = useCallback((): boolean => {
    const list = listRef.current;
    if (!list) return true;
    const next = rangeOf(viewOf(geometry(list, fixed)), stable, overscan);
    if (sameRange(latest.current, next)) return true;
    latest.current = next;
    setRange(next);
    return false;
  }, [listRef, fixed, stable, overscan]);

  const hasItems = count > 0;
  // Measure after every commit that changes the list or its layout, and follow scrolling and
  // resizing of the list and of its scroller.
  useLayoutEffect(() => {
    settle();
  }, [settle, count]);
  useLayoutEffect(() => {
    const list = listRef.current;
    if (!list) return;
    const scroller = scrollParent(list);
    const target: HTMLElement | Window = scroller ?? window;
    const onScroll = () => settle();
    target.addEventListener("scroll", onScroll, { passive: true });
    const resize = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(onScroll);
    resize?.observe(list);
    if (scroller) resize?.observe(scroller);
    else window.addEventListener("resize", onScroll);
    return () => {
      target.removeEventListener("scroll", onScroll);
      window.removeEventListener("resize", onScroll);
      resize?.disconnect();
    };
  }, [listRef, settle, hasItems]);

  const scrollToIndex = useCallback(
    (index: number) => {
      const list = listRef.current;
      if (!list) return;
      const g = geometry(list, fixed);
      const columns = columnsFor(g.width > 0 ? g.width : FALLBACK_VIEW.width, stable);
      const pitch = stable.rowHeight + stable.gap;
      const rowTop = g.offset + Math.floor(index / columns) * pitch;
      const rowBottom = rowTop + stable.rowHeight;
      const height = g.height > 0 ? g.height : FALLBACK_VIEW.height;
      let to = g.scrollTop;
      if (rowTop < g.scrollTop) to = rowTop - stable.gap;
      else if (rowBottom > g.scrollTop + height) to = rowBottom - height + stable.gap;
      if (to !== g.scrollTop) {
        if (g.scroller) g.scroller.scrollTop = Math.max(0, to);
        else window.scrollTo(0, Math.max(0, to));
      }
      settle();
    },
    [listRef, fixed, stable, settle],
  );

  const totalRows = Math.ceil(count / range.columns);
  const firstRow = Math.min(range.firstRow, totalRows);
  const lastRow = Math.min(Math.max(range.lastRow, firstRow), totalRows);
  const pitch = rowHeight + gap;
  return {
    columns: range.columns,
    start: firstRow * range.columns,
    end: Math.min(count, lastRow * range.columns),
    padTop: firstRow * pitch,
    padBottom: (totalRows - lastRow) * pitch,
    pageRows: range.pageRows,
    scrollToIndex,
    settle,
  };
}
