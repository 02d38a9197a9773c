import { boundsOf, fitZoom, followViewport, isInView, type Rect, type Viewport } from "./follow";

const node = (x: number, y: number): Rect => ({ x, y, w: 200, h: 64 });
const box = { w: 800, h: 400 };

function moved(v: Viewport | null): Viewport {
  if (!v) throw new Error("the view was expected to move");
  return v;
}

function bounds(rects: Rect[]): Rect {
  const b = boundsOf(rects);
  if (!b) throw new Error("no bounds");
  return b;
}

describe("following the running steps", () => {
  it("leaves the view alone while the targets are visible", () => {
    expect(followViewport([node(100, 100)], { x: 0, y: 0, zoom: 1 }, box)).toBeNull();
    expect(followViewport([], { x: 0, y: 0, zoom: 1 }, box)).toBeNull();
  });

  it("pans to a target that ran off to the right, keeping the zoom", () => {
    // A 12-step chain at zoom 0.6: the 10th step sits far right of an 800 px box.
    const tenth = node(9 * 256, 150);
    const vp = { x: 20, y: 0, zoom: 0.6 };
    expect(isInView(tenth, vp, box, 24)).toBe(false);
    const next = moved(followViewport([tenth], vp, box));
    expect(next.zoom).toBe(0.6);
    expect(isInView(tenth, next, box, 24)).toBe(true);
  });

  it("zooms out just enough for targets that do not fit, never below the minimum", () => {
    const a = node(0, 0);
    const b = node(1400, 0);
    const next = moved(followViewport([a, b], { x: 0, y: 0, zoom: 1 }, box, { minZoom: 0.3 }));
    expect(next.zoom).toBeCloseTo(fitZoom(bounds([a, b]), box, 24));
    expect(isInView(bounds([a, b]), next, box, 23.9)).toBe(true);
    // Too far apart for the minimum zoom: the first target is shown.
    const far = moved(followViewport([a, node(9000, 0)], { x: 0, y: 0, zoom: 1 }, box, { minZoom: 0.5 }));
    expect(far.zoom).toBe(0.5);
    expect(isInView(a, far, box, 0)).toBe(true);
  });

  it("does not zoom in past the current zoom", () => {
    expect(moved(followViewport([node(5000, 0)], { x: 0, y: 0, zoom: 0.4 }, box)).zoom).toBe(0.4);
  });
});
