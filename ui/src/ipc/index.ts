// The only module that talks to the Rust side. Features call these typed functions; the types
// come from ui/src/gen/, generated from the Rust DTOs.
import { invoke } from "@tauri-apps/api/core";
import type { ApiError } from "../gen/ApiError";
import type { Diagnostics } from "../gen/Diagnostics";
import type { Settings } from "../gen/Settings";
import type { Theme } from "../gen/Theme";

export type { ApiError, Diagnostics, Settings, Theme };

/** Turns whatever a command rejected with into the `{code, message}` shape. */
export function toApiError(err: unknown): ApiError {
  if (typeof err === "object" && err !== null && "code" in err && "message" in err) {
    return err as ApiError;
  }
  return { code: "internal", message: typeof err === "string" ? err : String(err) };
}

export async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (err) {
    throw toApiError(err);
  }
}

export const ipc = {
  diagnostics: () => call<Diagnostics>("diagnostics"),
  getSettings: () => call<Settings>("get_settings"),
  setTheme: (theme: Theme) => call<Settings>("set_theme", { theme }),
  setDefaultProvider: (name: string | null) => call<Settings>("set_default_provider", { name }),
  setSimulateLlm: (on: boolean) => call<Settings>("set_simulate_llm", { on }),
};

/** True inside the desktop app; false in a plain browser (e.g. `npm run dev` without Tauri). */
export function inDesktopApp(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}
export * from "./history";
export * from "./library";
export * from "./runs";
