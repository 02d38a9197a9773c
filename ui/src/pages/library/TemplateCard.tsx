import { roiText } from "../../components/firstrun/glossary";
import { memo, type KeyboardEvent } from "react";
import type { TemplateSummary } from "../../ipc/library";
import { isTop } from "./filter";
import { formatPct, formatRoi, formatUsd, NeedsMarks, RiskBadge, SectorMark, TopBadge } from "./parts";

interface Props {
  template: TemplateSummary;
  index: number;
  /** Number of cards in the whole list (only a window of them is rendered). */
  setSize: number;
  selected: boolean;
  /** The card that takes Tab focus (roving tabindex). */
  tabbable: boolean;
  onOpen: (id: string) => void;
  onKey: (e: KeyboardEvent<HTMLElement>, index: number) => void;
}

/** What a loading card shows (hidden under the shimmer): the card's own parts, so the first real
 * cards find their code and styles already in use. */
const LOADING: TemplateSummary = {
  id: "loading",
  name: "Loading the library",
  sector: "Operations",
  goal: "Templates are being read.",
  requiredDepts: ["ops"],
  risk: "low",
  riskLevel: "low",
  estRoi: null,
  valueUsd: null,
  tags: [],
  logicHash: "",
  path: "",
  source: "builtin",
  stats: null,
  badges: [],
  roi: null,
  roiIsEstimate: true,
  needs: [],
};

const ignore = () => {};

/** A placeholder card while the library loads: the real card's layout under a shimmer, hidden
 * from assistive technology and from tests that look for template cards. */
export function LoadingCard() {
  return (
    <div className="tcard-skeleton" aria-hidden="true">
      <TemplateCardBody template={LOADING} index={-1} setSize={0} selected={false} tabbable={false} onOpen={ignore} onKey={ignore} />
    </div>
  );
}

export const TemplateCard = memo(function TemplateCard(props: Props) {
  return <TemplateCardBody {...props} />;
});

function TemplateCardBody({ template: t, index, setSize, selected, tabbable, onOpen, onKey }: Props) {
  const placeholder = index < 0;
  const roi = formatRoi(t);
  const measured = Boolean(t.stats && t.stats.runs > 0);
  return (
    <article
      className={`tcard${selected ? " is-selected" : ""}`}
      data-testid={placeholder ? undefined : `template-card-${t.id}`}
      data-sector={placeholder ? undefined : (t.sector ?? "Other")}
      data-index={placeholder ? undefined : index}
      tabIndex={tabbable ? 0 : -1}
      role={placeholder ? undefined : "listitem"}
      aria-posinset={index + 1}
      aria-setsize={setSize}
      aria-label={`${t.name}, ${t.sector ?? "no sector"}`}
      onClick={() => onOpen(t.id)}
      onKeyDown={(e) => onKey(e, index)}
    >
      <header className="tcard-head">
        <SectorMark sector={t.sector ?? "Other"} size={24} />
        <span className="tcard-sector">{t.sector ?? "Other"}</span>
        {isTop(t) ? <TopBadge /> : null}
        <NeedsMarks needs={t.needs} />
      </header>
      <h3 className="tcard-name" title={t.name}>
        {t.name}
      </h3>
      <p className="tcard-goal" title={t.goal ?? undefined}>
        {t.goal ?? "No goal written."}
      </p>
      {t.requiredDepts.length > 0 ? (
        <ul className="tcard-depts" aria-label="Required departments">
          {t.requiredDepts.map((d) => (
            <li key={d}>{d}</li>
          ))}
        </ul>
      ) : null}
      <dl className="tcard-stats">
        <div>
          <dt className="term-hint" title={roiText(t)} data-testid="card-roi-term">
            {roi.estimate ? "Est. ROI" : "ROI"}
          </dt>
          <dd>
            {roi.value}
            {roi.estimate ? (
              <span className="est" title="Estimate declared by the template; measured once it has runs">
                est.
              </span>
            ) : null}
          </dd>
        </div>
        <div>
          <dt>Risk</dt>
          <dd>
            <RiskBadge template={t} compact />
          </dd>
        </div>
        <div>
          <dt>Success</dt>
          <dd className={measured ? "" : "dim"}>{measured ? formatPct(t.stats?.successRate) : "no runs"}</dd>
        </div>
        <div>
          <dt>Avg cost</dt>
          <dd className={measured ? "" : "dim"}>{measured ? formatUsd(t.stats?.avgCostUsd) : "—"}</dd>
        </div>
      </dl>
    </article>
  );
}
