// Small presentational pieces shared by the library views.
import {
  AlertTriangle,
  Award,
  Bot,
  Boxes,
  Cog,
  Code2,
  EyeOff,
  FlaskConical,
  Gem,
  Globe,
  Handshake,
  HeartPulse,
  Landmark,
  Megaphone,
  Radar,
  Scale,
  Shield,
  ShieldAlert,
  ShieldCheck,
  Users,
  type LucideIcon,
} from "lucide-react";
import { createElement } from "react";
import type { TemplateSummary } from "../../ipc/library";
import { riskOf, type RiskFilter } from "./filter";

const SECTOR_ICONS: Record<string, LucideIcon> = {
  Finance: Landmark,
  Wealth: Gem,
  Security: Shield,
  Shadow: EyeOff,
  Intelligence: Radar,
  Research: FlaskConical,
  Marketing: Megaphone,
  Sales: Handshake,
  Legal: Scale,
  HR: Users,
  Health: HeartPulse,
  Engineering: Code2,
  Operations: Cog,
};

/** A stable hue per sector (for the small sector mark), from its name. */
export function sectorHue(sector: string): number {
  let h = 0;
  for (const ch of sector) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return (h * 7) % 360;
}

export function SectorIcon({ sector, size = 14 }: { sector: string; size?: number }) {
  return createElement(SECTOR_ICONS[sector] ?? Boxes, { size, "aria-hidden": true });
}

export function SectorMark({ sector, size = 26 }: { sector: string; size?: number }) {
  const hue = sectorHue(sector);
  return (
    <span className="sector-mark" style={{ width: size, height: size, ["--hue" as string]: String(hue) }} aria-hidden>
      <SectorIcon sector={sector} size={Math.round(size * 0.54)} />
    </span>
  );
}

const RISK_META: Record<RiskFilter, { label: string; icon: LucideIcon }> = {
  low: { label: "Low", icon: ShieldCheck },
  medium: { label: "Medium", icon: AlertTriangle },
  high: { label: "High", icon: ShieldAlert },
};

export function RiskLabel({ risk }: { risk: RiskFilter }) {
  return RISK_META[risk].label;
}

export function RiskBadge({ template, compact = false }: { template: TemplateSummary; compact?: boolean }) {
  const risk = riskOf(template);
  if (!risk) return <span className="risk risk-none">—</span>;
  const measured = Boolean(template.stats && template.stats.runs > 0);
  return (
    <span
      className={`risk risk-${risk}`}
      title={`${RISK_META[risk].label} risk${measured ? " (derived from history)" : " (declared)"}`}
      data-risk={risk}
    >
      {createElement(RISK_META[risk].icon, { size: 13, "aria-hidden": true })}
      {compact ? RISK_META[risk].label : `${RISK_META[risk].label} risk`}
    </span>
  );
}

export function RiskIcon({ risk, size = 13 }: { risk: RiskFilter; size?: number }) {
  return createElement(RISK_META[risk].icon, { size, "aria-hidden": true });
}

export function TopBadge() {
  return (
    <span className="top-badge" title="Top Performance: among the most efficient templates, measured by the daily batch">
      <Award size={12} aria-hidden /> Top Performance
    </span>
  );
}

/** What a template needs to run for real, in words (a model, the network, canned answers). */
export const NEEDS: Record<string, { icon: LucideIcon; label: string; title: string }> = {
  model: {
    icon: Bot,
    label: "Model",
    title: "Calls a language model: your default provider (Settings → Providers) answers; the built-in simulated one until you choose a provider",
  },
  network: { icon: Globe, label: "Network", title: "Calls out over HTTP for real" },
  simulated_network: {
    icon: FlaskConical,
    label: "Simulated HTTP",
    title: "Its HTTP calls are answered by canned responses in the template (marked simulated in every run)",
  },
};

export function NeedsMarks({ needs, full = false }: { needs: readonly string[]; full?: boolean }) {
  if (needs.length === 0) return null;
  return (
    <span className={`needs-marks${full ? " is-full" : ""}`} data-testid="template-needs" aria-label={`Needs: ${needs.map((n) => NEEDS[n]?.label ?? n).join(", ")}`}>
      {needs.map((n) => {
        const need = NEEDS[n];
        if (!need) return null;
        return (
          <span key={n} className={`need need-${n}`} title={need.title} data-need={n}>
            {createElement(need.icon, { size: 12, "aria-hidden": true })}
            {full ? <span>{need.label}</span> : null}
          </span>
        );
      })}
    </span>
  );
}

export function formatRoi(t: TemplateSummary): { value: string; estimate: boolean } {
  if (t.roi === null || t.roi === undefined) return { value: "—", estimate: false };
  return { value: `${t.roi >= 10 ? t.roi.toFixed(0) : t.roi.toFixed(1)}×`, estimate: t.roiIsEstimate };
}

// Number formats built once each: `toLocaleString` with options builds a new one per call.
const NUMBER_FORMATS = new Map<string, Intl.NumberFormat>();
function numberFormat(minDigits: number, maxDigits: number): Intl.NumberFormat {
  const key = `${minDigits}:${maxDigits}`;
  let f = NUMBER_FORMATS.get(key);
  if (!f) {
    f = new Intl.NumberFormat("en-US", { minimumFractionDigits: minDigits, maximumFractionDigits: maxDigits });
    NUMBER_FORMATS.set(key, f);
  }
  return f;
}

export function formatUsd(v: number | null | undefined, digits?: number): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  const d = digits ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 1 ? 2 : Math.abs(v) >= 0.01 ? 3 : 4);
  return `$${numberFormat(v === 0 ? 0 : d, d).format(v)}`;
}

export function formatPct(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  return `${Math.round(v * 100)}%`;
}

export function formatInt(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  return numberFormat(0, 3).format(v);
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
