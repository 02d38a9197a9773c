// Render and filter timings of the library, read by the end-to-end test.
export interface LibraryMetrics {
  /** Data arrival to the complete list committed, styled and laid out (ms), the latest load. */
  renderMs: number | null;
  /** Data arrival to the first screenful committed, styled and laid out (ms). */
  firstScreenMs: number | null;
  /** renderMs of every load (the daily batch reloads the library after it runs). */
  renders: number[];
  /** Data arrival to the animation frame after the complete list's commit, per load (ms). */
  paintMs: number[];
  templateCount: number;
  /** Applied query to the complete filtered list committed and laid out, per query (ms). */
  filterMs: number[];
  /** Keystroke to the complete filtered list committed and laid out, debounce included (ms). */
  keyToCommitMs: number[];
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
      firstScreenMs: null,
      renders: [],
      paintMs: [],
      templateCount: 0,
      filterMs: [],
      keyToCommitMs: [],
    };
  }
  return window.__libraryMetrics;
}
