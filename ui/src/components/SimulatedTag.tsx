// The mark of an answer that is not real: a step answered by the mission's `simulation` block,
// or a model call answered by the built-in simulated provider.
import { FlaskConical } from "lucide-react";

export type SimulatedWhy = "simulation" | "model";

export const SIMULATED_WHY: Record<SimulatedWhy, string> = {
  simulation: "simulated: the mission's simulation block answered, nothing ran",
  model: "simulated model: not a model's answer",
};

export function SimulatedTag({
  why,
  label = "Simulated",
  title,
  testId,
  size = 12,
}: {
  why?: SimulatedWhy | null;
  label?: string;
  title?: string;
  testId?: string;
  size?: number;
}) {
  return (
    <span className="sim-pill" data-testid={testId} data-why={why ?? undefined} title={title ?? (why ? SIMULATED_WHY[why] : undefined)}>
      <FlaskConical size={size} aria-hidden /> {label}
    </span>
  );
}
