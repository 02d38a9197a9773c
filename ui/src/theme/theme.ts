import type { Theme } from "../ipc";

export type ResolvedTheme = "light" | "dark";

/** The theme actually shown: `system` follows the operating system's preference. */
export function resolveTheme(theme: Theme, systemPrefersDark: boolean): ResolvedTheme {
  if (theme === "system") return systemPrefersDark ? "dark" : "light";
  return theme;
}

export const DARK_QUERY = "(prefers-color-scheme: dark)";
