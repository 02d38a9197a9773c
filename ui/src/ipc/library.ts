// Library, perimeter and settings commands (issue 7). Types mirror the Rust DTOs of studio-api.
import { listen } from "@tauri-apps/api/event";
import { call } from "./index";

import type { ActiveMissionDto } from "../gen/ActiveMissionDto";
import type { ApprovalModeDto } from "../gen/ApprovalModeDto";
import type { BudgetDto } from "../gen/BudgetDto";
import type { LibraryStep } from "../gen/LibraryStep";
import type { LibraryTemplate } from "../gen/LibraryTemplate";
import type { LibraryTemplateDetail } from "../gen/LibraryTemplateDetail";
import type { LibraryTemplateStats } from "../gen/LibraryTemplateStats";
import type { LaunchForecast } from "../gen/LaunchForecast";
import type { LlmProvider } from "../gen/LlmProvider";
import type { MissionReport } from "../gen/MissionReport";
import type { LlmProviderInput } from "../gen/LlmProviderInput";
import type { PerimeterDto } from "../gen/PerimeterDto";
import type { ProviderCheck } from "../gen/ProviderCheck";
import type { SandboxDto } from "../gen/SandboxDto";
import type { StepApprovalPreview } from "../gen/StepApprovalPreview";
import type { TemplateRun } from "../gen/TemplateRun";

export type { MissionReport };
export type { LlmProvider, LlmProviderInput, PerimeterDto, ProviderCheck, StepApprovalPreview, TemplateRun };
export type TemplateSummary = LibraryTemplate;
export type TemplateDetail = LibraryTemplateDetail;
export type TemplateStats = LibraryTemplateStats;
export type StepSummary = LibraryStep;
export type ActiveMission = ActiveMissionDto;
export type Budget = BudgetDto;
export type ApprovalMode = ApprovalModeDto;
export type SandboxMode = SandboxDto;

export const library = {
  listTemplates: () => call<TemplateSummary[]>("list_templates", { query: {} }),
  getTemplate: (id: string) => call<TemplateDetail>("get_template", { id }),
  templateRuns: (id: string) => call<TemplateRun[]>("template_runs", { id }),
  /** Quick Deploy's launch forecast: each cap's worst case under the perimeter. */
  forecastTemplate: (templateId: string, perimeter: PerimeterDto) =>
    call<LaunchForecast>("forecast_template", { templateId, perimeter }),
  /** An active mission's forecast under the perimeter being edited. */
  forecastActive: (id: string, perimeter: PerimeterDto) => call<LaunchForecast>("forecast_active", { id, perimeter }),
  /** Edits an active mission in place (name, perimeter, inputs). */
  updateActive: (id: string, perimeter: PerimeterDto, name: string, inputs: Record<string, unknown>) =>
    call<ActiveMission>("update_active_mission", { id, perimeter, name, inputs }),
  /** Template files left out of the library, each with every problem as the CLI reports it. */
  problems: () => call<MissionReport[]>("library_problems"),
  approvalPreview: (templateId: string, perimeter: PerimeterDto) =>
    call<StepApprovalPreview[]>("approval_preview", { templateId, perimeter }),
  listActive: () => call<ActiveMission[]>("list_active_missions"),
  deploy: (templateId: string, perimeter: PerimeterDto, name: string) =>
    call<ActiveMission>("deploy_mission", { templateId, perimeter, name }),
  deleteActive: (id: string) => call<null>("delete_active_mission", { id }),
  runActive: (id: string) => call<{ runId: string }>("run_active_mission", { id }),
  getCaps: () => call<PerimeterDto>("get_caps"),
  setCaps: (caps: PerimeterDto) => call<PerimeterDto>("set_caps", { caps }),
  listProviders: () => call<LlmProvider[]>("list_llm_providers"),
  saveProvider: (provider: LlmProviderInput) => call<LlmProvider[]>("save_llm_provider", { provider }),
  deleteProvider: (id: string) => call<LlmProvider[]>("delete_llm_provider", { id }),
  testProvider: (id: string) => call<ProviderCheck>("test_llm_provider", { id }),
};

/** The broadcast sent when template files change on disk. */
export const TEMPLATES_CHANGED = "templates-changed";

/** Calls `handler` whenever the library changes on disk; returns the unsubscribe function. */
export function onTemplatesChanged(handler: () => void): () => void {
  let unlisten: (() => void) | null = null;
  let dropped = false;
  listen(TEMPLATES_CHANGED, () => handler()).then(
    (fn) => {
      if (dropped) fn();
      else unlisten = fn;
    },
    () => {},
  );
  return () => {
    dropped = true;
    unlisten?.();
  };
}
