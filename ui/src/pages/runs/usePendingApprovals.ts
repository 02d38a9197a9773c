// The approval requests waiting across runs, refreshed when the app says their number changed.
import { useCallback, useEffect, useState } from "react";
import { inDesktopApp, runsIpc, type ApprovalDto } from "../../ipc";

export function usePendingApprovals() {
  const [approvals, setApprovals] = useState<ApprovalDto[]>([]);
  const refresh = useCallback(async () => {
    try {
      setApprovals(await runsIpc.pendingApprovals());
    } catch {
      // The list stays as it was; the next change refreshes it.
    }
  }, []);
  useEffect(() => {
    if (!inDesktopApp()) return;
    let unlisten: (() => void) | null = null;
    let alive = true;
    // eslint-disable-next-line react-hooks/set-state-in-effect -- the first load; later ones follow the event
    void refresh();
    runsIpc
      .onApprovalsChanged(() => void refresh())
      .then((u) => {
        if (alive) unlisten = u;
        else u();
      })
      .catch(() => {});
    return () => {
      alive = false;
      unlisten?.();
    };
  }, [refresh]);
  const answer = useCallback(
    async (a: ApprovalDto, approve: boolean, note: string) => {
      await runsIpc.answerApproval(a.runId, a.stepId, approve, note);
      setApprovals((list) => list.filter((x) => !(x.runId === a.runId && x.stepId === a.stepId)));
    },
    [],
  );
  return { approvals, answer, refresh };
}

/** Just the number waiting (the navigation badge). */
export function usePendingCount(): number {
  const [count, setCount] = useState(0);
  useEffect(() => {
    if (!inDesktopApp()) return;
    let unlisten: (() => void) | null = null;
    let alive = true;
    runsIpc
      .pendingApprovals()
      .then((l) => alive && setCount(l.length))
      .catch(() => {});
    runsIpc
      .onApprovalsChanged((n) => setCount(n))
      .then((u) => {
        if (alive) unlisten = u;
        else u();
      })
      .catch(() => {});
    return () => {
      alive = false;
      unlisten?.();
    };
  }, []);
  return count;
}
