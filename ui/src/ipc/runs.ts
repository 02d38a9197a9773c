// Live runs: start, follow over a Channel (with seq), cancel, approvals. Only this module touches
// Tauri for them.
import { Channel } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { ApprovalDto } from "../gen/ApprovalDto";
import type { BudgetCapsDto } from "../gen/BudgetCapsDto";
import type { LiveRunDto } from "../gen/LiveRunDto";
import type { RunEventDto } from "../gen/RunEventDto";
import type { RunStepDto } from "../gen/RunStepDto";
import type { RunViewDto } from "../gen/RunViewDto";
import type { StateFieldDto } from "../gen/StateFieldDto";
import type { StepDetailDto } from "../gen/StepDetailDto";
import type { UsageDto } from "../gen/UsageDto";
import { call } from "./index";

export type { ApprovalDto, BudgetCapsDto, LiveRunDto, RunEventDto, RunStepDto, RunViewDto, StateFieldDto, StepDetailDto, UsageDto };

/** What to run: a mission file or a template of the library. */
export type StartRunRequest = { path: string } | { templateId: string };

/** The window event carrying the number of approval requests waiting. */
export const APPROVALS_CHANGED = "approvals-changed";

export const runsIpc = {
  startRun: (request: StartRunRequest, vars: Record<string, string> = {}) =>
    call<string>("start_run", { request: { ...request, vars } }),
  /** Follows a run: every event with seq > afterSeq, replayed then live (sent in batches). */
  attachRun: (runId: string, afterSeq: number, onEvent: (e: RunEventDto) => void) => {
    const channel = new Channel<RunEventDto[] | RunEventDto>();
    channel.onmessage = (m) => (Array.isArray(m) ? m.forEach(onEvent) : onEvent(m));
    return call<unknown>("attach_run", { runId, afterSeq, batch: true, onEvent: channel }).then(() => undefined);
  },
  cancelRun: (runId: string) => call<unknown>("cancel_run", { runId }).then(() => undefined),
  listLiveRuns: () => call<LiveRunDto[]>("list_live_runs"),
  pendingApprovals: () => call<ApprovalDto[]>("pending_approvals"),
  answerApproval: (runId: string, stepId: string, approve: boolean, note?: string) =>
    call<unknown>("answer_approval", { runId, stepId, approve, note: note ?? null }).then(() => undefined),
  runView: (runId: string) => call<RunViewDto>("run_view", { runId }),
  /** Sets a typed state field while the run waits for an approval (checked against its type). */
  editState: (runId: string, field: string, value: unknown) =>
    call<unknown>("edit_state", { runId, field, value }).then(() => undefined),
  stepDetail: (runId: string, stepId: string) => call<StepDetailDto>("step_detail", { runId, stepId }),
  /** Calls `cb` with the number waiting whenever it changes; returns the unsubscribe function. */
  onApprovalsChanged: async (cb: (pending: number) => void): Promise<() => void> =>
    listen<number>(APPROVALS_CHANGED, (e) => cb(e.payload)),
};
