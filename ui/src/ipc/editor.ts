// The Editor page's commands (issue 19). Types mirror the Rust DTOs of studio-api.
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { open } from "@tauri-apps/plugin-dialog";
import { call, inDesktopApp } from "./index";
import type { EditorPreview } from "../gen/EditorPreview";
import type { MissionDiff } from "../gen/MissionDiff";
import type { MissionReport } from "../gen/MissionReport";
import type { SavedMission } from "../gen/SavedMission";

export type { EditorPreview, MissionDiff, SavedMission };

export const editor = {
  /** Every problem of the text, located; `fileName` null: meant for the library. */
  check: (text: string, fileName: string | null) => call<MissionReport>("check_mission_text", { text, fileName }),
  preview: (text: string, fileName: string | null) => call<EditorPreview>("mission_preview", { text, fileName }),
  generate: (name: string, plan: string) => call<string>("generate_mission", { name, plan }),
  diff: (aText: string, bText: string) => call<MissionDiff>("diff_missions", { aText, bText }),
  /** Back to `path`, or into the library when null. */
  save: (text: string, path: string | null) => call<SavedMission>("save_mission_text", { text, path }),
  readFile: (path: string) => call<string>("read_mission_file", { path }),
  /** Starts a run of the text as it is; resolves to the run's id. */
  run: (text: string, path: string | null) => call<string>("run_mission_text", { text, path }),
};

/** The system's open dialog for a mission file (open only); null when cancelled. */
export async function pickMissionFile(title: string): Promise<string | null> {
  if (!inDesktopApp()) return null;
  const picked = await open({
    multiple: false,
    directory: false,
    title,
    filters: [{ name: "Mission", extensions: ["yaml", "yml", "json"] }],
  });
  return typeof picked === "string" ? picked : null;
}

/** Calls `handler` with the paths of files dropped on the window; returns the unsubscribe. */
export function onFilesDropped(handler: (paths: string[]) => void): () => void {
  if (!inDesktopApp()) return () => {};
  let unlisten: (() => void) | null = null;
  let dropped = false;
  getCurrentWebview()
    .onDragDropEvent((e) => {
      if (e.payload.type === "drop") handler(e.payload.paths);
    })
    .then(
      (fn) => (dropped ? fn() : (unlisten = fn)),
      () => {},
    );
  return () => {
    dropped = true;
    unlisten?.();
  };
}
