// The step catalogue explained: which of RustChain's step types this version runs, family by
// family, and what happens to a mission that uses one of the others.
import { Check, Minus } from "lucide-react";
import type { Diagnostics } from "../../ipc";
import "./about.css";

type StepType = Diagnostics["stepTypes"][number];

const FAMILIES: Record<string, { label: string; what: string }> = {
  file: { label: "Files", what: "Create, edit, copy, move, read, list and search files in the run's folder." },
  data: { label: "Data", what: "Read structured data." },
  code: { label: "Code", what: "Build, test and lint source code." },
  git: { label: "Git", what: "Work with a Git repository." },
  system: { label: "System", what: "Start and watch processes and services." },
  database: { label: "Databases", what: "Query and maintain databases and caches." },
  network: { label: "Network", what: "Connect to remote hosts." },
  ai: { label: "AI", what: "Call a language model, and agents, chains and retrieval built on one." },
  control: { label: "Control", what: "Run a command, call an HTTP endpoint, or do nothing (a join point)." },
  advanced: { label: "Tools", what: "Call one of the registered tools." },
};

/** The catalogue's families in its order, each with its step types. */
export function groupByFamily(types: readonly StepType[]): { family: string; types: StepType[] }[] {
  const groups = new Map<string, StepType[]>();
  for (const t of types) groups.set(t.family, [...(groups.get(t.family) ?? []), t]);
  // Families with something that runs first, then the others; the catalogue's order otherwise.
  return [...groups.entries()]
    .map(([family, list]) => ({ family, types: list }))
    .sort((a, b) => Number(b.types.some((t) => t.available)) - Number(a.types.some((t) => t.available)));
}

export function StepCatalogue({ types }: { types: readonly StepType[] }) {
  const available = types.filter((t) => t.available).length;
  const refused = types.length - available;
  const example = types.find((t) => !t.available)?.name;
  return (
    <section className="card" id="about-step-types" aria-labelledby="about-step-types-title" data-testid="about-step-types">
      <h2 className="card-title" id="about-step-types-title">
        Step types
      </h2>
      <p className="card-hint about-steps-intro" data-testid="about-step-types-summary">
        Each step of a mission has a type: what the step does. Mission Studio reads all {types.length} step types of
        RustChain&rsquo;s catalogue, and this version runs {example ? available : `all ${available}`} of them.{" "}
        {example ? (
          <>
            A mission that uses one of the other {refused} is refused when it is validated, before anything runs, with
            a message that names the step and lists the types available now (&ldquo;<code>{example}</code> is not
            available yet in this version&rdquo;).
          </>
        ) : (
          <>
            A type that is not in the catalogue is refused when it is validated, before anything runs, with a message
            that names the step and the closest known type.
          </>
        )}
      </p>
      <p className="about-steps-legend">
        <span className="step-chip is-on">
          <Check size={11} aria-hidden /> runs in this version
        </span>
        {example ? (
          <span className="step-chip">
            <Minus size={11} aria-hidden /> refused at validation
          </span>
        ) : null}
      </p>
      <dl className="about-families">
        {groupByFamily(types).map(({ family, types: list }) => {
          const info = FAMILIES[family] ?? { label: family, what: "" };
          const runs = list.filter((t) => t.available).length;
          return (
            <div key={family} className="about-family" data-testid={`about-family-${family}`}>
              <dt>
                <span className="about-family-name">{info.label}</span>
                <span className="about-family-count">
                  {runs} of {list.length} run
                </span>
                {info.what ? <span className="about-family-what">{info.what}</span> : null}
              </dt>
              <dd>
                {list.map((t) => (
                  <span
                    key={t.name}
                    className={`step-chip mono${t.available ? " is-on" : ""}`}
                    title={t.available ? `${t.name}: runs in this version` : `${t.name}: refused at validation in this version`}
                    data-testid={`about-step-${t.name}`}
                    data-available={t.available}
                  >
                    {t.available ? <Check size={11} aria-label="runs" /> : <Minus size={11} aria-label="refused" />} {t.name}
                  </span>
                ))}
              </dd>
            </div>
          );
        })}
      </dl>
    </section>
  );
}
