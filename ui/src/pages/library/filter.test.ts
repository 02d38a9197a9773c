// The search ranking, on the same templates and with the same expected orders as
// studio-registry's `relevance.rs` tests (`mission templates list --search`).
import { describe, expect, it } from "vitest";
import { applyFilter, EMPTY_FILTER, indexTemplates, nameWords, relevance, Relevance, type SortKey } from "./filter";
import { tpl } from "./testdata";

const t = (id: string, name: string, goal: string, roi: number) =>
  tpl(id, name, "Legal", { goal, requiredDepts: ["legal"], tags: ["contracts"], roi, estRoi: roi });

const LIBRARY = indexTemplates([
  t("agenda", "Agenda Builder", "Plan a meeting", 9),
  t("calendar", "Content Calendar Plan", "Plan posts", 8),
  t("mandatory", "Mandatory Training Chaser", "Chase trainings", 7),
  t("review", "Contract Review", "Review an NDA or a contract", 6),
  t("triage", "NDA Triage", "Sort incoming agreements", 1),
  t("nda-exact", "NDA", "The bare name", 0.5),
  t("vendor", "Vendor NDA Tracker", "Track signed agreements", 2),
]);

const ids = (text: string, sort: SortKey = "name") => applyFilter(LIBRARY, { ...EMPTY_FILTER, text, sort }).items.map((x) => x.id);

function rel(search: string, name: string): number {
  const n = name.toLowerCase().split(/\s+/).join(" ");
  return relevance({ name: n, nameWords: nameWords(n) }, search.toLowerCase().split(/\s+/).filter(Boolean));
}

describe("the library's search ranking", () => {
  it("ranks the exact name, then a name prefix, then a word prefix, then the rest", () => {
    expect(rel("NDA  triage", "NDA Triage")).toBe(Relevance.exactName);
    expect(rel("nda", "NDA Triage")).toBe(Relevance.namePrefix);
    expect(rel("nda tri", "NDA Triage")).toBe(Relevance.namePrefix);
    expect(rel("tri", "NDA Triage")).toBe(Relevance.nameWordPrefix);
    expect(rel("triage nda", "NDA Triage")).toBe(Relevance.nameWordPrefix);
    expect(rel("gdpr", "Vendor (GDPR) check")).toBe(Relevance.nameWordPrefix);
    expect(rel("nda", "Agenda Builder")).toBe(Relevance.elsewhere);
    expect(rel("contract", "NDA Triage")).toBe(Relevance.elsewhere);
  });

  it("puts NDA Triage first for nda, like the CLI", () => {
    expect(ids("nda")).toEqual(["nda-exact", "triage", "vendor", "agenda", "calendar", "review", "mandatory"]);
    expect(ids("NDA tri")).toEqual(["triage"]);
  });

  it("lets the chosen sort order each rank", () => {
    expect(ids("nda", "roi")).toEqual(["nda-exact", "triage", "vendor", "agenda", "calendar", "mandatory", "review"]);
    expect(ids("", "roi").slice(0, 3)).toEqual(["agenda", "calendar", "mandatory"]);
  });

  it("searches the departments like the CLI", () => {
    expect(ids("legal")).toHaveLength(7);
  });
});
