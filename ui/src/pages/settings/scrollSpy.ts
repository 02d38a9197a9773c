// Which section of a long page is the one being read, for a menu that highlights it.
//
// The rule (`currentSection`): at the very top, the first section; scrolled to the very bottom,
// the last one (a short last section can never reach the top); otherwise the last section whose
// top has passed a reading line a quarter down the viewport. A menu click highlights its section
// at once and keeps it while the page scrolls there (a smooth scroll passes other sections, and
// a section near the bottom may stop below the line); the next scroll by the user hands back to
// the rule.
import { useCallback, useEffect, useRef, useState, type RefObject } from "react";

export interface SectionTop {
  id: string;
  /** The section's top, in pixels below the top of the scrolling viewport. */
  top: number;
}

export interface ScrollBox {
  scrollTop: number;
  scrollHeight: number;
  clientHeight: number;
}

/** Where a section starts to count as the one being read: a quarter down the viewport. */
export function readingLine(clientHeight: number): number {
  return Math.min(160, Math.max(64, clientHeight * 0.25));
}

export function currentSection(sections: readonly SectionTop[], box: ScrollBox): string | null {
  const first = sections[0];
  const last = sections[sections.length - 1];
  if (!first || !last) return null;
  if (box.scrollTop <= 1) return first.id;
  if (box.scrollTop + box.clientHeight >= box.scrollHeight - 2) return last.id;
  const line = readingLine(box.clientHeight);
  let current = first.id;
  for (const s of sections) if (s.top <= line) current = s.id;
  return current;
}

/** The nearest ancestor that scrolls vertically, else the document's scrolling element. */
export function scrollParent(el: HTMLElement | null): HTMLElement {
  for (let p = el?.parentElement ?? null; p; p = p.parentElement) {
    const y = getComputedStyle(p).overflowY;
    if (y === "auto" || y === "scroll") return p;
  }
  return (document.scrollingElement as HTMLElement | null) ?? document.documentElement;
}

/** How long the page must stay still for a menu click's scroll to count as over. */
const SETTLE_MS = 160;

/**
 * Follows the sections `ids` inside the scrolling ancestor of `anchor`; `go(id)` scrolls to one
 * and highlights it.
 */
export function useScrollSpy(ids: readonly string[], anchor: RefObject<HTMLElement | null>) {
  const [active, setActive] = useState<string | null>(ids[0] ?? null);
  // A menu click: its section, and whether its scroll is over.
  const pinned = useRef<{ id: string; settled: boolean } | null>(null);
  const settleTimer = useRef<number | undefined>(undefined);
  const key = ids.join("|");

  useEffect(() => {
    const box = scrollParent(anchor.current);
    const target: HTMLElement | Window = box === document.scrollingElement ? window : box;
    const ids = key.split("|");
    let frame = 0;
    const update = () => {
      frame = 0;
      const viewTop = target === window ? 0 : box.getBoundingClientRect().top;
      const sections: SectionTop[] = [];
      for (const id of ids) {
        const el = document.getElementById(id);
        if (el) sections.push({ id, top: el.getBoundingClientRect().top - viewTop });
      }
      const next = currentSection(sections, box);
      if (next) setActive(next);
    };
    const settle = () => {
      window.clearTimeout(settleTimer.current);
      settleTimer.current = window.setTimeout(() => {
        if (pinned.current) pinned.current.settled = true;
      }, SETTLE_MS);
    };
    const onScroll = () => {
      const pin = pinned.current;
      if (pin && !pin.settled) return settle();
      pinned.current = null;
      if (!frame) frame = requestAnimationFrame(update);
    };
    target.addEventListener("scroll", onScroll, { passive: true });
    window.addEventListener("resize", onScroll);
    // Sections that change height (a list loaded later) move the ones below them.
    const ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => onScroll());
    for (const id of ids) {
      const el = document.getElementById(id);
      if (el) ro?.observe(el);
    }
    update();
    return () => {
      target.removeEventListener("scroll", onScroll);
      window.removeEventListener("resize", onScroll);
      ro?.disconnect();
      if (frame) cancelAnimationFrame(frame);
      window.clearTimeout(settleTimer.current);
    };
  }, [anchor, key]);

  const go = useCallback((id: string) => {
    const el = document.getElementById(id);
    if (!el) return;
    pinned.current = { id, settled: false };
    setActive(id);
    // Settles even when the page is already there and no scroll event comes.
    window.clearTimeout(settleTimer.current);
    settleTimer.current = window.setTimeout(() => {
      if (pinned.current) pinned.current.settled = true;
    }, SETTLE_MS * 4);
    el.scrollIntoView({ behavior: "smooth", block: "start" });
  }, []);

  return { active, go };
}
