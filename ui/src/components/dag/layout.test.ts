import { layoutDag, NODE_WIDTH } from "./layout";

describe("layoutDag", () => {
  it("places dependencies left of their dependents", () => {
    const pos = layoutDag(
      [{ id: "fetch" }, { id: "parse" }, { id: "report" }, { id: "notify" }],
      [
        { source: "fetch", target: "parse" },
        { source: "parse", target: "report" },
        { source: "parse", target: "notify" },
      ],
    );
    const x = (id: string) => pos.get(id)?.x ?? Number.NaN;
    const y = (id: string) => pos.get(id)?.y ?? Number.NaN;
    expect(x("fetch")).toBeLessThan(x("parse"));
    expect(x("parse")).toBeLessThan(x("report"));
    expect(x("report")).toBe(x("notify"));
    expect(y("report")).not.toBe(y("notify"));
    expect(x("parse") - x("fetch")).toBeGreaterThanOrEqual(NODE_WIDTH);
  });

  it("ignores edges to unknown nodes and self loops", () => {
    const pos = layoutDag([{ id: "a" }], [{ source: "a", target: "ghost" }, { source: "a", target: "a" }]);
    expect(pos.size).toBe(1);
    expect(pos.get("a")).toEqual({ x: expect.any(Number), y: expect.any(Number) });
  });

  it("is deterministic", () => {
    const nodes = [{ id: "a" }, { id: "b" }, { id: "c" }];
    const edges = [{ source: "a", target: "c" }, { source: "b", target: "c" }];
    expect([...layoutDag(nodes, edges)]).toEqual([...layoutDag(nodes, edges)]);
  });
});
