// The History's filters and order: kept in the URL (so Back returns to the same list) and turned
// into the `list_runs` query, or the `search_runs` query while there is text to search for.
import type { RunListQuery, RunSortKey } from "../../ipc";
import { dayEnd, dayStart } from "../../lib/dates";

export interface HistoryFilters {
  status: string;
  missionId: string;
  sector: string;
  from: string;
  to: string;
  text: string;
  sort: RunSortKey;
  descending: boolean;
}

export const SORT_KEYS: RunSortKey[] = ["started", "duration", "cost", "mission", "status", "steps", "relevance"];

export const DEFAULT_FILTERS: HistoryFilters = {
  status: "",
  missionId: "",
  sector: "",
  from: "",
  to: "",
  text: "",
  sort: "started",
  descending: true,
};

/** The order when none is chosen: best match first while searching, else newest first. */
export function defaultSort(text: string): Pick<HistoryFilters, "sort" | "descending"> {
  return text.trim() ? { sort: "relevance", descending: false } : { sort: DEFAULT_FILTERS.sort, descending: DEFAULT_FILTERS.descending };
}

function isDefaultSort(f: HistoryFilters): boolean {
  const d = defaultSort(f.text);
  return f.sort === d.sort && f.descending === d.descending;
}

/** The filters with new search text; an order left to the default follows it (best match first while searching). */
export function withText(f: HistoryFilters, text: string): HistoryFilters {
  return isDefaultSort(f) ? { ...f, text, ...defaultSort(text) } : { ...f, text };
}

export function filtersFromParams(params: URLSearchParams): HistoryFilters {
  const text = params.get("q") ?? "";
  const sort = params.get("sort") as RunSortKey | null;
  const chosen = sort && SORT_KEYS.includes(sort) ? sort : null;
  const dir = params.get("dir");
  return {
    status: params.get("status") ?? "",
    missionId: params.get("mission") ?? "",
    sector: params.get("sector") ?? "",
    from: params.get("from") ?? "",
    to: params.get("to") ?? "",
    text,
    ...(chosen ? { sort: chosen, descending: dir ? dir === "desc" : defaultDescending(chosen) } : defaultSort(text)),
  };
}

export function filtersToParams(f: HistoryFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.status) p.set("status", f.status);
  if (f.missionId) p.set("mission", f.missionId);
  if (f.sector) p.set("sector", f.sector);
  if (f.from) p.set("from", f.from);
  if (f.to) p.set("to", f.to);
  if (f.text) p.set("q", f.text);
  if (!isDefaultSort(f)) {
    p.set("sort", f.sort);
    p.set("dir", f.descending ? "desc" : "asc");
  }
  return p;
}

/** Newest, longest, most expensive and largest first; names and statuses A→Z; best match first. */
export function defaultDescending(key: RunSortKey): boolean {
  return key !== "mission" && key !== "status" && key !== "relevance";
}

/** Clicking a column header: the same column flips the order, another starts at its default. */
export function nextSort(f: HistoryFilters, key: RunSortKey): Pick<HistoryFilters, "sort" | "descending"> {
  if (f.sort === key) return { sort: key, descending: !f.descending };
  return { sort: key, descending: defaultDescending(key) };
}

export function activeFilterCount(f: HistoryFilters): number {
  return [f.status, f.missionId, f.sector, f.from, f.to, f.text.trim()].filter(Boolean).length;
}

export function toQuery(f: HistoryFilters): RunListQuery {
  // Best match means nothing without text: the list is then newest first.
  const order = f.sort === "relevance" && !f.text.trim() ? defaultSort("") : f;
  const q: RunListQuery = { sort: order.sort, descending: order.descending };
  if (f.status) q.status = f.status as NonNullable<RunListQuery["status"]>;
  if (f.missionId) q.missionId = f.missionId;
  if (f.sector) q.sector = f.sector;
  const after = f.from ? dayStart(f.from) : undefined;
  const before = f.to ? dayEnd(f.to) : undefined;
  if (after) q.startedAfter = after;
  if (before) q.startedBefore = before;
  if (f.text.trim()) q.text = f.text.trim();
  return q;
}
