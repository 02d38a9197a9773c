// Pure search, filter, facet and sort of the template list (fast enough to run on every key).
//
// A search matches when every word occurs in the name, id, sector, goal, departments or tags;
// the matches are ranked like `mission templates list --search` ranks them (studio-registry's
// `relevance.rs`): the exact name, then names starting with the search, then names with a word
// starting with each word of the search, then the rest; the chosen sort orders each rank.
import type { TemplateSummary } from "../../ipc/library";

export type SortKey = "name" | "roi" | "success" | "cost" | "risk" | "runs";
export type RiskFilter = "low" | "medium" | "high";
export type BadgeFilter = "top_performance" | "measured" | "untested";

export interface LibraryFilter {
  text: string;
  sector: string | null;
  risks: ReadonlySet<RiskFilter>;
  badge: BadgeFilter | null;
  sort: SortKey;
}

export const EMPTY_FILTER: LibraryFilter = {
  text: "",
  sector: null,
  risks: new Set(),
  badge: null,
  sort: "name",
};

export const TOP_PERFORMANCE = "top_performance";

/** The risk shown for a template: measured when the batch derived one, else declared. */
export function riskOf(t: TemplateSummary): RiskFilter | null {
  const r = (t.riskLevel ?? t.stats?.derivedRisk ?? t.risk ?? "").toLowerCase();
  return r === "low" || r === "medium" || r === "high" ? r : null;
}

export function isTop(t: TemplateSummary): boolean {
  return t.badges.includes(TOP_PERFORMANCE);
}

/** Lower-cased text searched by the box: name, id, sector, goal, departments and tags. */
export function searchText(t: TemplateSummary): string {
  return [t.name, t.id, t.sector ?? "", t.goal ?? "", t.requiredDepts.join(" "), t.tags.join(" ")]
    .join("\u0001")
    .toLowerCase();
}

/** A search index built once per list: every query only scans the prepared strings. */
export interface Indexed {
  t: TemplateSummary;
  text: string;
  risk: RiskFilter | null;
  /** The lower-cased name, spaces collapsed. */
  name: string;
  /** The name's words (runs of letters and digits), for word-prefix matches. */
  nameWords: string[];
  /** Position of the name in alphabetical order: sorts compare numbers, not strings. */
  rank: number;
}

// One collator for every comparison (`localeCompare` may build a new one per call), and names
// ranked once per list: a sort then compares numbers.
const COLLATOR = new Intl.Collator();
export const compareText = (a: string, b: string): number => COLLATOR.compare(a, b);

export function indexTemplates(list: readonly TemplateSummary[]): Indexed[] {
  const index = list.map((t) => {
    const name = t.name.toLowerCase().trim().split(/\s+/).join(" ");
    return { t, text: searchText(t), risk: riskOf(t), name, nameWords: nameWords(name), rank: 0 };
  });
  [...index].sort((a, b) => compareText(a.name, b.name)).forEach((i, n) => (i.rank = n));
  return index;
}

/** The words of a lower-cased name: runs of letters and digits. */
export function nameWords(name: string): string[] {
  return name.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/** How well a search answers a name, best first (see the top of this file). */
export const Relevance = { exactName: 0, namePrefix: 1, nameWordPrefix: 2, elsewhere: 3 } as const;

export function relevance(i: Pick<Indexed, "name" | "nameWords">, words: readonly string[]): number {
  const phrase = words.join(" ");
  if (i.name === phrase) return Relevance.exactName;
  if (i.name.startsWith(phrase)) return Relevance.namePrefix;
  if (words.every((w) => i.nameWords.some((n) => n.startsWith(w)))) return Relevance.nameWordPrefix;
  return Relevance.elsewhere;
}

const RISK_ORDER: Record<RiskFilter, number> = { low: 0, medium: 1, high: 2 };

function matchesExceptSector(i: Indexed, f: LibraryFilter, words: string[]): boolean {
  if (f.risks.size > 0 && (i.risk === null || !f.risks.has(i.risk))) return false;
  if (f.badge === "top_performance" && !isTop(i.t)) return false;
  if (f.badge === "measured" && !(i.t.stats && i.t.stats.runs > 0)) return false;
  if (f.badge === "untested" && i.t.stats && i.t.stats.runs > 0) return false;
  for (const w of words) if (!i.text.includes(w)) return false;
  return true;
}

export function queryWords(text: string): string[] {
  return text.toLowerCase().split(/\s+/).filter(Boolean);
}

/** Templates matching the filter, sorted; plus the count per sector of the matches ignoring the sector chip. */
export function applyFilter(
  index: readonly Indexed[],
  f: LibraryFilter,
): { items: TemplateSummary[]; sectorCounts: Map<string, number>; total: number } {
  const words = queryWords(f.text);
  const sectorCounts = new Map<string, number>();
  const picked: Indexed[] = [];
  const rel = new Map<Indexed, number>();
  let total = 0;
  for (const i of index) {
    if (!matchesExceptSector(i, f, words)) continue;
    total += 1;
    const s = i.t.sector ?? "Other";
    sectorCounts.set(s, (sectorCounts.get(s) ?? 0) + 1);
    if (f.sector === null || s === f.sector) {
      picked.push(i);
      if (words.length) rel.set(i, relevance(i, words));
    }
  }
  const bySort = comparator(f.sort);
  picked.sort(words.length ? (a, b) => (rel.get(a) ?? 3) - (rel.get(b) ?? 3) || bySort(a, b) : bySort);
  return { items: picked.map((i) => i.t), sectorCounts, total };
}

function comparator(sort: SortKey): (a: Indexed, b: Indexed) => number {
  const byName = (a: Indexed, b: Indexed) => a.rank - b.rank;
  const desc = (get: (t: TemplateSummary) => number | null | undefined) => (a: Indexed, b: Indexed) =>
    (get(b.t) ?? -Infinity) - (get(a.t) ?? -Infinity) || byName(a, b);
  const asc = (get: (t: TemplateSummary) => number | null | undefined) => (a: Indexed, b: Indexed) =>
    (get(a.t) ?? Infinity) - (get(b.t) ?? Infinity) || byName(a, b);
  switch (sort) {
    case "roi":
      return desc((t) => t.roi);
    case "success":
      return desc((t) => t.stats?.successRate);
    case "runs":
      return desc((t) => t.stats?.runs);
    case "cost":
      return asc((t) => t.stats?.avgCostUsd);
    case "risk":
      return (a, b) => (a.risk ? RISK_ORDER[a.risk] : 3) - (b.risk ? RISK_ORDER[b.risk] : 3) || byName(a, b);
    default:
      return byName;
  }
}

/** Sectors in a stable order (most templates first), for the chips. */
export function sectorsOf(list: readonly TemplateSummary[]): string[] {
  const counts = new Map<string, number>();
  for (const t of list) counts.set(t.sector ?? "Other", (counts.get(t.sector ?? "Other") ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0])).map(([s]) => s);
}
