import { LARGE_LAYOUT, layoutDag, layoutLayered, NODE_HEIGHT, NODE_WIDTH } from "./layout";

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

  it("lays out a 1,000-step graph quickly, in ranks, without overlaps", () => {
    const nodes: { id: string }[] = [];
    const edges: { source: string; target: string }[] = [];
    for (let d = 0; d < 40; d++) {
      for (let l = 0; l < 25; l++) {
        nodes.push({ id: `s${d}_${l}` });
        if (d > 0) edges.push({ source: `s${d - 1}_${l}`, target: `s${d}_${l}` });
      }
    }
    expect(nodes.length).toBeGreaterThan(LARGE_LAYOUT);
    const t = performance.now();
    const pos = layoutDag(nodes, edges);
    expect(performance.now() - t).toBeLessThan(500);
    expect(pos.size).toBe(1000);
    const p = (id: string) => pos.get(id) ?? { x: Number.NaN, y: Number.NaN };
    expect(p("s1_0").x - p("s0_0").x).toBeGreaterThanOrEqual(NODE_WIDTH);
    expect(p("s0_1").y - p("s0_0").y).toBeGreaterThanOrEqual(NODE_HEIGHT);
    expect(p("s39_7").y).toBe(p("s0_7").y);
    expect(new Set([...pos.values()].map((q) => `${q.x},${q.y}`)).size).toBe(1000);
  });

  it("layered layout: ranks by longest path, a cycle does not hang", () => {
    const pos = layoutLayered(
      [{ id: "a" }, { id: "b" }, { id: "c" }, { id: "x" }, { id: "y" }],
      [
        { source: "a", target: "b" },
        { source: "b", target: "c" },
        { source: "a", target: "c" },
        { source: "x", target: "y" },
        { source: "y", target: "x" },
      ],
    );
    const x = (id: string) => pos.get(id)?.x ?? Number.NaN;
    expect(x("a")).toBeLessThan(x("b"));
    expect(x("b")).toBeLessThan(x("c"));
    expect(pos.size).toBe(5);
  });
});
