import { createContext, useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import { inDesktopApp, ipc, type Theme } from "../ipc";
import { DARK_QUERY, resolveTheme, type ResolvedTheme } from "./theme";

interface ThemeState {
  theme: Theme;
  resolved: ResolvedTheme;
  setTheme: (theme: Theme) => Promise<void>;
  error: string | null;
}

export const ThemeContext = createContext<ThemeState | null>(null);

function useSystemPrefersDark(): boolean {
  const [dark, setDark] = useState(() => window.matchMedia(DARK_QUERY).matches);
  useEffect(() => {
    const media = window.matchMedia(DARK_QUERY);
    const onChange = (e: MediaQueryListEvent) => setDark(e.matches);
    media.addEventListener("change", onChange);
    return () => media.removeEventListener("change", onChange);
  }, []);
  return dark;
}

/** Loads the saved theme from the settings file, applies it to <html>, and saves changes. */
export function ThemeProvider({ children }: { children: ReactNode }) {
  const [theme, setThemeState] = useState<Theme>("system");
  const [error, setError] = useState<string | null>(null);
  const systemDark = useSystemPrefersDark();
  const resolved = resolveTheme(theme, systemDark);

  useEffect(() => {
    if (!inDesktopApp()) return;
    ipc
      .getSettings()
      .then((s) => setThemeState(s.theme))
      .catch((e: { message: string }) => setError(e.message));
  }, []);

  useEffect(() => {
    document.documentElement.dataset.theme = resolved;
    document.documentElement.style.colorScheme = resolved;
  }, [resolved]);

  const setTheme = useCallback(async (next: Theme) => {
    setThemeState(next);
    if (!inDesktopApp()) return;
    try {
      await ipc.setTheme(next);
      setError(null);
    } catch (e) {
      setError((e as { message: string }).message);
    }
  }, []);

  const value = useMemo(() => ({ theme, resolved, setTheme, error }), [theme, resolved, setTheme, error]);
  return <ThemeContext.Provider value={value}>{children}</ThemeContext.Provider>;
}
