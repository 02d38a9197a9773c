import { useEffect, useRef, useState } from "react";

/**
 * `value`, passed on at most once every `ms` while `enabled` (the newest value always arrives,
 * at the latest `ms` after it was given); unchanged and at once while not enabled.
 */
export function useThrottled<T>(value: T, ms: number, enabled: boolean): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    if (!enabled) return;
    const wait = last.current + ms - performance.now();
    if (wait <= 0) {
      last.current = performance.now();
      setShown(value);
      return;
    }
    const timer = setTimeout(() => {
      last.current = performance.now();
      setShown(value);
    }, wait);
    return () => clearTimeout(timer);
  }, [value, ms, enabled]);
  return enabled ? shown : value;
}
