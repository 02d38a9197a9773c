// A small ⓘ button that explains a term: shown on hover, on keyboard focus and on click (which
// keeps it open), closed by Escape or by leaving. The explanation is always in the page and tied
// to the button by aria-describedby, so a screen reader reads it with the button.
import { Info } from "lucide-react";
import { useId, useState, type ReactNode } from "react";
import "./firstrun.css";

export function InfoTip({ term, children, testId }: { term: string; children: ReactNode; testId?: string }) {
  const id = useId();
  const [pinned, setPinned] = useState(false);
  const [hovered, setHovered] = useState(false);
  const [focused, setFocused] = useState(false);
  const open = pinned || hovered || focused;
  const close = () => {
    setPinned(false);
    setHovered(false);
    setFocused(false);
  };
  return (
    <span className="infotip" onMouseEnter={() => setHovered(true)} onMouseLeave={() => setHovered(false)}>
      <button
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
      <span role="tooltip" id={id} className={`infotip-pop${open ? " is-open" : ""}`} data-testid={testId ? `${testId}-text` : undefined}>
        {children}
      </span>
    </span>
  );
}
