// History and evidence commands. Types are generated from the Rust DTOs (ui/src/gen/).
import { listen } from "@tauri-apps/api/event";
import type { EvidenceEntry } from "../gen/EvidenceEntry";
import type { EvidenceEntryKind } from "../gen/EvidenceEntryKind";
import type { EvidenceFile } from "../gen/EvidenceFile";
import type { EvidenceFileKind } from "../gen/EvidenceFileKind";
import type { EvidenceTree } from "../gen/EvidenceTree";
import type { MatchPart } from "../gen/MatchPart";
import type { MissionFacet } from "../gen/MissionFacet";
import type { ResumeStarted } from "../gen/ResumeStarted";
import type { RunCompare } from "../gen/RunCompare";
import type { RunDetail } from "../gen/RunDetail";
import type { RunList } from "../gen/RunList";
import type { RunListItem } from "../gen/RunListItem";
import type { RunListQuery } from "../gen/RunListQuery";
import type { RunMatchItem } from "../gen/RunMatchItem";
import type { RunSortKey } from "../gen/RunSortKey";
import type { RunStepItem } from "../gen/RunStepItem";
import type { StepCompare } from "../gen/StepCompare";
import type { StepSideItem } from "../gen/StepSideItem";
import { call } from "./index";

export type {
  EvidenceEntry,
  EvidenceEntryKind,
  EvidenceFile,
  EvidenceFileKind,
  EvidenceTree,
  MatchPart,
  MissionFacet,
  ResumeStarted,
  RunCompare,
  RunDetail,
  RunList,
  RunListItem,
  RunListQuery,
  RunMatchItem,
  RunSortKey,
  RunStepItem,
  StepCompare,
  StepSideItem,
};

export type RunStatus = RunListItem["status"];
export type StepStatus = RunStepItem["status"];

/** The event the evidence watcher emits while a folder is watched. */
export const EVIDENCE_CHANGED = "evidence-changed";

export const historyIpc = {
  listRuns: (query: RunListQuery) => call<RunList>("list_runs", { query }),
  /** Runs found by what they produced (or their names), each with the lines that matched. */
  searchRuns: (query: RunListQuery) => call<RunList>("search_runs", { query }),
  getRun: (runId: string) => call<RunDetail>("get_run", { runId }),
  diffRuns: (a: string, b: string) => call<RunCompare>("diff_runs", { a, b }),
  resumeRun: (runId: string) => call<ResumeStarted>("resume_run", { runId }),
  evidenceTree: (runId: string) => call<EvidenceTree>("evidence_tree", { runId }),
  readEvidenceFile: (runId: string, path: string) => call<EvidenceFile>("read_evidence_file", { runId, path }),
  openEvidenceFolder: (runId: string) => call<string>("open_evidence_folder", { runId }),
  watchEvidence: (runId: string) => call<null>("watch_evidence", { runId }),
  unwatchEvidence: (runId: string) => call<null>("unwatch_evidence", { runId }),
};

/** Unsubscribes, ignoring a failure (the window may be going away). */
function quietly(unlisten: () => unknown) {
  Promise.resolve()
    .then(unlisten)
    .catch(() => undefined);
}

/**
 * Calls `onChange` when the run's evidence folder changes (the watcher runs while subscribed).
 * Returns the unsubscribe function.
 */
export function subscribeEvidence(runId: string, onChange: () => void): () => void {
  let stopped = false;
  let unlisten: (() => void) | undefined;
  listen<{ runId: string }>(EVIDENCE_CHANGED, (e) => {
    if (e.payload.runId === runId) onChange();
  })
    .then((fn) => {
      if (stopped) quietly(fn);
      else unlisten = fn;
    })
    .catch(() => undefined);
  historyIpc.watchEvidence(runId).catch(() => undefined);
  return () => {
    stopped = true;
    if (unlisten) quietly(unlisten);
    historyIpc.unwatchEvidence(runId).catch(() => undefined);
  };
}
