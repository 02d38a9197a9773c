// The first-run tour: what to do first, in four steps. Shown to a first-time operator on the
// Library and the Runs pages, hidden for good once dismissed (remembered in localStorage).
import { FolderOpen, Play, Search, ShieldCheck, X } from "lucide-react";
import { useState } from "react";
import { InfoTip } from "./InfoTip";
import { PerimeterExplanation } from "./glossary";
import "./firstrun.css";

export const TOUR_KEY = "mission-studio.tour.dismissed";

export function tourDismissed(): boolean {
  try {
    return window.localStorage.getItem(TOUR_KEY) === "1";
  } catch {
    return false;
  }
}

function dismissTour() {
  try {
    window.localStorage.setItem(TOUR_KEY, "1");
  } catch {
    // No storage: the tour just closes for this page.
  }
}

const STEPS = [
  { icon: Search, title: "Pick a template", text: "Search or browse the library; a card shows its estimated ROI and risk." },
  { icon: ShieldCheck, title: "Set the perimeter", text: "Quick Deploy: caps on cost, tokens and time, and which steps wait for you.", tip: true },
  { icon: Play, title: "Run it", text: "Watch each step live; approve or deny the steps that wait for you." },
  { icon: FolderOpen, title: "Inspect the evidence", text: "History keeps every run: its steps, its cost and the files it produced." },
] as const;

/** `show` is the page's "first time" test (nothing run or saved yet); a dismissal hides it for good. */
export function FirstRunTour({ show, testId = "first-run-tour" }: { show: boolean; testId?: string }) {
  const [dismissed, setDismissed] = useState(tourDismissed);
  if (!show || dismissed) return null;
  return (
    <section className="tour" aria-labelledby={`${testId}-title`} data-testid={testId}>
      <header className="tour-head">
        <h2 id={`${testId}-title`}>New here? Four steps to a first run</h2>
        <button
          type="button"
          className="tour-dismiss"
          onClick={() => {
            dismissTour();
            setDismissed(true);
          }}
          data-testid={`${testId}-dismiss`}
        >
          Got it <X size={13} aria-hidden />
        </button>
      </header>
      <ol className="tour-steps">
        {STEPS.map((s, i) => (
          <li key={s.title} className="tour-step">
            <span className="tour-num" aria-hidden>
              {i + 1}
            </span>
            <div>
              <div className="tour-step-title">
                <s.icon size={14} aria-hidden /> {s.title}
                {"tip" in s ? (
                  <InfoTip term="the perimeter" testId={`${testId}-perimeter-info`}>
                    <PerimeterExplanation />
                  </InfoTip>
                ) : null}
              </div>
              <p>{s.text}</p>
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}
