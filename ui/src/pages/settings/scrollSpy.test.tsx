import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { useRef } from "react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { currentSection, readingLine, useScrollSpy } from "./scrollSpy";

describe("the section being read", () => {
  const sections = [
    { id: "a", top: 0 },
    { id: "b", top: 600 },
    { id: "c", top: 1100 },
    { id: "d", top: 1400 },
  ];
  // Tops as seen after scrolling by `y`.
  const at = (y: number) => sections.map((s) => ({ id: s.id, top: s.top - y }));
  const box = (scrollTop: number) => ({ scrollTop, scrollHeight: 1550, clientHeight: 400 });

  it("is the first at the top and the last at the bottom", () => {
    expect(currentSection(at(0), box(0))).toBe("a");
    expect(currentSection(at(1150), box(1150))).toBe("d");
    expect(currentSection(at(1149), box(1149))).toBe("d");
  });

  it("is the last one whose top passed the reading line in between", () => {
    expect(readingLine(400)).toBe(100);
    expect(currentSection(at(400), box(400))).toBe("a");
    expect(currentSection(at(500), box(500))).toBe("b");
    expect(currentSection(at(999), box(999))).toBe("b");
    expect(currentSection(at(1000), box(1000))).toBe("c");
  });

  it("is nothing without sections, the first when nothing scrolls", () => {
    expect(currentSection([], box(0))).toBeNull();
    expect(currentSection(at(0), { scrollTop: 0, scrollHeight: 400, clientHeight: 400 })).toBe("a");
  });
});

// A page laid out by hand (jsdom has no layout): sections of these heights, one under the other.
const IDS = ["caps", "providers", "data", "appearance"];
const HEIGHTS = [600, 500, 300, 80];
const OFFSETS = HEIGHTS.map((_, i) => HEIGHTS.slice(0, i).reduce((a, b) => a + b, 0));
const VIEW = 400;
const MAX = HEIGHTS.reduce((a, b) => a + b, 0) - VIEW;

function Page() {
  const nav = useRef<HTMLElement>(null);
  const spy = useScrollSpy(IDS, nav);
  return (
    <div data-testid="box" style={{ overflowY: "auto" }}>
      <nav ref={nav}>
        {IDS.map((id) => (
          <a key={id} href={`#${id}`} aria-current={spy.active === id ? "location" : undefined} onClick={() => spy.go(id)}>
            {id}
          </a>
        ))}
      </nav>
      {IDS.map((id) => (
        <section key={id} id={id} />
      ))}
    </div>
  );
}

let scrollTop = 0;
const original = Element.prototype.scrollIntoView;

function layOut(box: HTMLElement) {
  Object.defineProperty(box, "clientHeight", { value: VIEW, configurable: true });
  Object.defineProperty(box, "scrollHeight", { value: MAX + VIEW, configurable: true });
  Object.defineProperty(box, "scrollTop", { get: () => scrollTop, set: (v: number) => (scrollTop = v), configurable: true });
  box.getBoundingClientRect = () => ({ top: 0 }) as DOMRect;
  IDS.forEach((id, i) => {
    const el = document.getElementById(id) as HTMLElement;
    el.getBoundingClientRect = () => ({ top: (OFFSETS[i] ?? 0) - scrollTop }) as DOMRect;
  });
}

function scrollTo(box: HTMLElement, y: number) {
  scrollTop = Math.min(MAX, Math.max(0, y));
  fireEvent.scroll(box);
}

const current = () => screen.getAllByRole("link").find((a) => a.getAttribute("aria-current") === "location")?.textContent;

describe("the Settings menu's scroll spy", () => {
  beforeEach(() => {
    scrollTop = 0;
  });
  afterEach(() => {
    Element.prototype.scrollIntoView = original;
  });

  it("follows the page at the top, in between and at the bottom", async () => {
    render(<Page />);
    const box = screen.getByTestId("box");
    layOut(box);
    scrollTo(box, 0);
    await waitFor(() => expect(current()).toBe("caps"));
    scrollTo(box, 700);
    await waitFor(() => expect(current()).toBe("providers"));
    scrollTo(box, MAX);
    await waitFor(() => expect(current()).toBe("appearance"));
    scrollTo(box, 0);
    await waitFor(() => expect(current()).toBe("caps"));
  });

  it("keeps a clicked section highlighted through its scroll, then follows the user again", async () => {
    render(<Page />);
    const box = screen.getByTestId("box");
    layOut(box);
    // A smooth scroll: several steps, ending at the bottom (Data folder cannot reach the top).
    Element.prototype.scrollIntoView = function (this: Element) {
      const target = OFFSETS[IDS.indexOf(this.id)] ?? 0;
      for (const y of [300, 700, 1000, target]) scrollTo(box, y);
    };
    await act(async () => {
      screen.getByRole("link", { name: "data" }).click();
    });
    expect(current()).toBe("data");
    expect(scrollTop).toBe(MAX);
    // Still Data folder once the scroll is over, although the page is at its bottom.
    await new Promise((r) => setTimeout(r, 400));
    expect(current()).toBe("data");
    // The user scrolls up: the rule takes over.
    scrollTo(box, 700);
    await waitFor(() => expect(current()).toBe("providers"));
  });
});
