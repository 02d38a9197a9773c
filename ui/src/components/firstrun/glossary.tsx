// What the library's words mean, for a first-time operator: the perimeter and the ROI.
import type { TemplateSummary } from "../../ipc/library";
import "./firstrun.css";

/** One line, for `title` attributes. */
export const PERIMETER_TEXT =
  "The perimeter is what a run may spend and touch: budget caps (cost, tokens, model calls, steps, runtime), " +
  "the approval mode (which steps wait for a person), the sandbox, the allowed and forbidden tools, and the " +
  "sectors it may reach. A run stops before it crosses any of them; the hard caps in Settings bound every perimeter.";

export function PerimeterExplanation() {
  return (
    <>
      <strong>The perimeter</strong> is what a run may spend and touch:
      <ul>
        <li>
          <b>budget caps</b>: cost, tokens, model calls, steps and runtime; the run stops before it crosses one;
        </li>
        <li>
          <b>approval mode</b>: which steps wait for a person to approve them (strict, threshold or auto);
        </li>
        <li>
          <b>sandbox</b>: read-only keeps the run from writing files;
        </li>
        <li>
          <b>allowed and forbidden tools</b>: what its steps may call;
        </li>
        <li>
          <b>sectors</b>: the other sectors&rsquo; data it may reach.
        </li>
      </ul>
      The hard caps in Settings bound every perimeter.
    </>
  );
}

type RoiFields = Pick<TemplateSummary, "roi" | "roiIsEstimate" | "valueUsd">;

function times(roi: number): string {
  return `${roi >= 10 ? roi.toFixed(0) : roi.toFixed(1)}×`;
}

/** One paragraph, for `title` attributes and the ⓘ popover. */
export function roiText(t: RoiFields): string {
  const value = t.valueUsd ? ` (a completed run is declared to be worth $${t.valueUsd})` : "";
  if (t.roi === null || t.roi === undefined) {
    return "ROI: the value of a completed run against what it costs. This template declares no estimate yet.";
  }
  if (t.roiIsEstimate) {
    return (
      `Est. ROI ${times(t.roi)}: the template's declared estimate of the value a run brings against what it costs${value}. ` +
      "It stays marked (est.) until runs measure it; then the ROI is (value − cost) ÷ cost with each run's real cost."
    );
  }
  return (
    `ROI ${times(t.roi)}: measured from this template's runs, (value − cost) ÷ cost with each run's real cost${value}.`
  );
}
