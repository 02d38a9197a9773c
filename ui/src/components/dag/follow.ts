// Keeping a live graph's running steps in view (pure): where to move the viewport so that the
// nodes being followed are visible, or `null` when they already are.

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

/** A box in the graph's coordinates (a node: its top-left corner and size). */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Size {
  w: number;
  h: number;
}

export function boundsOf(rects: readonly Rect[]): Rect | null {
  if (rects.length === 0) return null;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const r of rects) {
    minX = Math.min(minX, r.x);
    minY = Math.min(minY, r.y);
    maxX = Math.max(maxX, r.x + r.w);
    maxY = Math.max(maxY, r.y + r.h);
  }
  return { x: minX, y: minY, w: maxX - minX, h: maxY - minY };
}

/** Whether `r` lies inside the box at `vp`, `margin` pixels from its edges. */
export function isInView(r: Rect, vp: Viewport, box: Size, margin = 0): boolean {
  const left = r.x * vp.zoom + vp.x;
  const top = r.y * vp.zoom + vp.y;
  const right = left + r.w * vp.zoom;
  const bottom = top + r.h * vp.zoom;
  return left >= margin && top >= margin && right <= box.w - margin && bottom <= box.h - margin;
}

/** The zoom at which `r` fills the box less `margin` on each side. */
export function fitZoom(r: Rect, box: Size, margin: number): number {
  const w = Math.max(1, box.w - 2 * margin);
  const h = Math.max(1, box.h - 2 * margin);
  return Math.min(w / Math.max(1, r.w), h / Math.max(1, r.h));
}

/**
 * Where to move so that every target is in view: `null` when they already are; otherwise the
 * targets centred in the box at the current zoom, or zoomed out just enough for them to fit
 * (never below `minZoom`: far-apart targets then keep the first ones in view).
 */
export function followViewport(
  targets: readonly Rect[],
  vp: Viewport,
  box: Size,
  { margin = 24, minZoom = 0.2 }: { margin?: number; minZoom?: number } = {},
): Viewport | null {
  const b = boundsOf(targets);
  if (!b || box.w <= 0 || box.h <= 0) return null;
  if (isInView(b, vp, box, margin)) return null;
  const zoom = Math.max(minZoom, Math.min(vp.zoom, fitZoom(b, box, margin)));
  const fits = b.w * zoom <= box.w - 2 * margin && b.h * zoom <= box.h - 2 * margin;
  // Targets that cannot all fit: the first ones (left, then top) stay in view.
  const anchor = fits ? b : { ...(targets[0] as Rect) };
  return {
    zoom,
    x: box.w / 2 - (anchor.x + anchor.w / 2) * zoom,
    y: box.h / 2 - (anchor.y + anchor.h / 2) * zoom,
  };
}
