// Render and filter timings of the library, read by the end-to-end test.
export interface LibraryMetrics {
  /**
   * Data arrival to the list committed, styled and laid out (ms), the latest load: every matching
   * template is in the list's model, the cards in view are in the DOM and the list has its full height.
   */
  renderMs: number | null;
  /** renderMs of every load (the daily batch reloads the library after it runs). */
  renders: number[];
  /** Data arrival to the animation frame after the complete list's commit, per load (ms). */
  paintMs: number[];
  /** Per load: the time to the list's commit and the style and layout after it. */
  loads: PhaseTimes[];
  templateCount: number;
  /** Applied query to the complete filtered list committed and laid out, per query (ms). */
  filterMs: number[];
  /** Keystroke to the complete filtered list committed and laid out, debounce included (ms). */
  keyToCommitMs: number[];
  /** Time to build the list's model (search index, or filter and sort), per computation (ms). */
  modelMs: number[];
  /** Per applied query: the time to the list's commit and the style and layout after it. */
  filters: PhaseTimes[];
}

/** One update of the list, split between React's render and commit, and style and layout. */
export interface PhaseTimes {
  /** From the data's arrival (or the applied query) to the commit of the list (ms). */
  commitMs: number;
  /** Style and layout forced right after that commit (ms). */
  layoutMs: number;
  /** Cards in the DOM: the window of the list in view. */
  cards: number;
}

declare global {
  interface Window {
    __libraryMetrics?: LibraryMetrics;
  }
}

export function metrics(): LibraryMetrics {
  if (!window.__libraryMetrics) {
    window.__libraryMetrics = {
      renderMs: null,
      renders: [],
      paintMs: [],
      loads: [],
      templateCount: 0,
      filterMs: [],
      keyToCommitMs: [],
      filters: [],
      modelMs: [],
    };
  }
  return window.__libraryMetrics;
}

/** Runs a step of the list's model and records its time. */
export function timedModel<T>(build: () => T): T {
  const t0 = performance.now();
  const out = build();
  metrics().modelMs.push(Math.round((performance.now() - t0) * 100) / 100);
  return out;
}
