// Render and filter timings of the library, read by the end-to-end test.
export interface LibraryMetrics {
  /** Time from the data's arrival to the first commit of the full list (ms). */
  renderMs: number | null;
  templateCount: number;
  /** Filter and re-render after the debounce, per applied query (ms). */
  filterMs: number[];
  /** Keystroke to the commit of the filtered list, debounce included (ms). */
  keyToCommitMs: number[];
}

declare global {
  interface Window {
    __libraryMetrics?: LibraryMetrics;
  }
}

export function metrics(): LibraryMetrics {
  if (!window.__libraryMetrics) {
    window.__libraryMetrics = { renderMs: null, templateCount: 0, filterMs: [], keyToCommitMs: [] };
  }
  return window.__libraryMetrics;
}
