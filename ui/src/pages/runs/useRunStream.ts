// Follows a run over its Channel. Events are applied (rendered and committed at once) as they
// arrive after a quiet moment; during a burst they are queued and applied once per animation
// frame, or after 40 ms when frames are throttled. The state (with its last seq) is kept in
// sessionStorage so a reloaded window re-attaches after the last event it applied and misses
// nothing.
import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import { flushSync } from "react-dom";
import { runsIpc, toApiError, type RunEventDto } from "../../ipc";
import { applyEvents, initialRunState, loadRunState, saveRunState, type RunState } from "./runState";

/** The saved state (with its log) is serialised at most this often while events flow. */
const SAVE_EVERY_MS = 2000;
/** Events wait at most this long for an animation frame before they are applied anyway. */
const FLUSH_AT_LATEST_MS = 40;
/** Events arriving this long after the last application are applied at once (not at a frame). */
const QUIET_MS = 16;

export function useRunStream(runId: string, stepIds: readonly string[] | null) {
  const [state, setState] = useState<RunState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const stateRef = useRef<RunState | null>(null);

  useEffect(() => {
    if (stepIds === null) return;
    let alive = true;
    const start = loadRunState(runId, stepIds) ?? initialRunState(runId, stepIds);
    stateRef.current = start;
    // The saved (or blank) state shows at once, before the first event arrives.
    // eslint-disable-next-line react-hooks/set-state-in-effect -- reset for a new run/graph
    setState(start);
    const queue: RunEventDto[] = [];
    let frame = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let soon = false;
    let lastFlush = -Infinity;
    let lastSave = 0;
    const save = () => {
      if (stateRef.current) saveRunState(stateRef.current);
      lastSave = performance.now();
    };
    const flush = () => {
      if (frame) cancelAnimationFrame(frame);
      if (timer !== null) clearTimeout(timer);
      frame = 0;
      timer = null;
      soon = false;
      if (!alive || queue.length === 0 || !stateRef.current) return;
      lastFlush = performance.now();
      const next = applyEvents(stateRef.current, queue.splice(0));
      if (next !== stateRef.current) {
        stateRef.current = next;
        // Rendered and committed now, not in a task of its own: a task waited behind the
        // window's other work (a 12-step chain's nodes changed 60-100 ms after the flush).
        flushSync(() => setState(next));
        if (next.final || performance.now() - lastSave > SAVE_EVERY_MS) save();
      }
    };
    const onEvent = (e: RunEventDto) => {
      queue.push(e);
      if (soon) return;
      // After a quiet moment, at once (once the message's other events are queued too): a
      // step's change reaches its node without waiting for a frame.
      if (frame === 0 && performance.now() - lastFlush >= QUIET_MS) {
        soon = true;
        queueMicrotask(flush);
        return;
      }
      // During a burst, once per frame; the timer covers a window whose frames are throttled
      // (hidden, busy).
      if (frame === 0) frame = requestAnimationFrame(flush);
      if (timer === null) timer = setTimeout(flush, FLUSH_AT_LATEST_MS);
    };
    runsIpc.attachRun(runId, start.lastSeq, onEvent).catch((e) => alive && setError(toApiError(e).message));
    // Whatever was applied is saved when the page goes away (reload, close).
    window.addEventListener("pagehide", save);
    window.addEventListener("beforeunload", save);
    return () => {
      alive = false;
      if (frame) cancelAnimationFrame(frame);
      if (timer !== null) clearTimeout(timer);
      save();
      window.removeEventListener("pagehide", save);
      window.removeEventListener("beforeunload", save);
    };
  }, [runId, stepIds]);

  return { state, error };
}

// ---------- one shared clock for elapsed times (a tick per second while something runs) ----------

let now = Date.now();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(cb: () => void) {
  now = Date.now();
  listeners.add(cb);
  if (timer === null) {
    timer = setInterval(() => {
      now = Date.now();
      listeners.forEach((l) => l());
    }, 500);
  }
  return () => {
    listeners.delete(cb);
    if (listeners.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/** The current time, updated twice a second while a component uses it. */
export function useNow(active: boolean): number {
  return useSyncExternalStore(active ? subscribe : noopSubscribe, () => (active ? now : 0));
}

function noopSubscribe() {
  return () => {};
}
