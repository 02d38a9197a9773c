// A small ⓘ button that explains a term: shown on hover, on keyboard focus and on click (which
// keeps it open), closed by Escape or by leaving. The explanation is always in the page and tied
// to the button by aria-describedby, so a screen reader reads it with the button. It is laid
// over the page (in document.body, placed next to the button and kept inside the window), so a
// card or panel that clips its content does not cut it.
import { Info } from "lucide-react";
import { useId, useLayoutEffect, useRef, useState, type ReactNode } from "react";
import { createPortal } from "react-dom";
import "./firstrun.css";

export function InfoTip({ term, children, testId }: { term: string; children: ReactNode; testId?: string }) {
  const id = useId();
  const [pinned, setPinned] = useState(false);
  const [hovered, setHovered] = useState(false);
  const [focused, setFocused] = useState(false);
  const open = pinned || hovered || focused;
  const button = useRef<HTMLButtonElement>(null);
  const pop = useRef<HTMLSpanElement>(null);

  // Below the button (above it when there is no room), centred on it, inside the window.
  useLayoutEffect(() => {
    if (!open) return;
    const place = () => {
      const b = button.current?.getBoundingClientRect();
      const p = pop.current;
      if (!b || !p) return;
      const margin = 8;
      const w = p.offsetWidth;
      const h = p.offsetHeight;
      let top = b.bottom + 6;
      if (top + h > window.innerHeight - margin) top = Math.max(margin, b.top - 6 - h);
      const left = Math.min(Math.max(margin, b.left + b.width / 2 - w / 2), window.innerWidth - w - margin);
      p.style.top = `${Math.round(top)}px`;
      p.style.left = `${Math.round(Math.max(margin, left))}px`;
    };
    place();
    window.addEventListener("scroll", place, true);
    window.addEventListener("resize", place);
    return () => {
      window.removeEventListener("scroll", place, true);
      window.removeEventListener("resize", place);
    };
  }, [open]);
  const close = () => {
    setPinned(false);
    setHovered(false);
    setFocused(false);
  };
  return (
    <span className="infotip" onMouseEnter={() => setHovered(true)} onMouseLeave={() => setHovered(false)}>
      <button
        ref={button}
        type="button"
        className="infotip-button"
        aria-label={`What is ${term}?`}
        aria-describedby={id}
        aria-expanded={open}
        data-testid={testId}
        onClick={(e) => {
          // Inside a clickable card or row: explain, do not open it.
          e.stopPropagation();
          setPinned((p) => !p);
        }}
        onFocus={() => setFocused(true)}
        onBlur={close}
        onKeyDown={(e) => {
          if (e.key === "Escape" && open) {
            e.stopPropagation();
            e.preventDefault();
            close();
          } else if (e.key === "Enter" || e.key === " ") {
            e.stopPropagation();
          }
        }}
      >
        <Info size={13} aria-hidden />
      </button>
      {createPortal(
        <span ref={pop} role="tooltip" id={id} className={`infotip-pop${open ? " is-open" : ""}`} data-testid={testId ? `${testId}-text` : undefined}>
          {children}
        </span>,
        document.body,
      )}
    </span>
  );
}
