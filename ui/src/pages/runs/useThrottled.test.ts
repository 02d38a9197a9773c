import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { useThrottled } from "./useThrottled";

describe("useThrottled", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("passes values on at once when not enabled", () => {
    const { result, rerender } = renderHook(({ v }) => useThrottled(v, 250, false), { initialProps: { v: 1 } });
    rerender({ v: 2 });
    expect(result.current).toBe(2);
  });

  it("passes on the newest value at most once per interval, and always the last one", () => {
    const { result, rerender } = renderHook(({ v }) => useThrottled(v, 250, true), { initialProps: { v: 1 } });
    expect(result.current).toBe(1);
    rerender({ v: 2 });
    rerender({ v: 3 });
    expect(result.current).toBe(1);
    act(() => {
      vi.advanceTimersByTime(260);
    });
    expect(result.current).toBe(3);
  });

  it("shows the current value again as soon as throttling stops", () => {
    const { result, rerender } = renderHook(({ v, on }) => useThrottled(v, 250, on), {
      initialProps: { v: 1, on: true },
    });
    rerender({ v: 2, on: true });
    rerender({ v: 3, on: false });
    expect(result.current).toBe(3);
  });
});
