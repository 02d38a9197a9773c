import { useEffect } from "react";
import { Navigate, Route, Routes, useLocation, useNavigate } from "react-router";
import { CommandPalette } from "../components/palette/CommandPalette";
import { Sidebar } from "../components/Sidebar";
import { AboutPage } from "../pages/AboutPage";
import { AuditPage } from "../pages/audit/AuditPage";
import { EditorPage } from "../pages/editor/EditorPage";
import { HistoryPage } from "../pages/HistoryPage";
import { LibraryPage } from "../pages/LibraryPage";
import { ReviewPage } from "../pages/review/ReviewPage";
import { RunsPage } from "../pages/RunsPage";
import { SettingsPage } from "../pages/SettingsPage";
import { WorkersPage } from "../pages/workers/WorkersPage";
import { onFilesDropped } from "../ipc/editor";
import { isMissionFile } from "../pages/editor/logic";
import { ABOUT_ITEM, NAV_ITEMS } from "./nav";

/** Ctrl/Cmd + digit opens the page with that shortcut. */
function useNavShortcuts() {
  const navigate = useNavigate();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return;
      const item = [...NAV_ITEMS, ABOUT_ITEM].find((i) => i.shortcut === e.key);
      if (item) {
        e.preventDefault();
        navigate(item.path);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [navigate]);
}

/** A mission file dropped on the window opens in the Editor. */
function useFileDrop() {
  const navigate = useNavigate();
  useEffect(
    () =>
      onFilesDropped((paths) => {
        const file = paths.find(isMissionFile);
        if (file) navigate(`/editor?file=${encodeURIComponent(file)}`);
      }),
    [navigate],
  );
}

export function App() {
  useNavShortcuts();
  useFileDrop();
  const location = useLocation();
  return (
    <div className="app-shell">
      <Sidebar />
      <main className="app-main" key={location.pathname}>
        <Routes>
          <Route path="/" element={<Navigate to="/library" replace />} />
          <Route path="/library" element={<LibraryPage />} />
          <Route path="/runs/*" element={<RunsPage />} />
          <Route path="/history/*" element={<HistoryPage />} />
          <Route path="/audit" element={<AuditPage />} />
          <Route path="/review" element={<ReviewPage />} />
          <Route path="/workers" element={<WorkersPage />} />
          <Route path="/editor" element={<EditorPage />} />
          <Route path="/settings" element={<SettingsPage />} />
          <Route path="/about" element={<AboutPage />} />
          <Route path="*" element={<Navigate to="/library" replace />} />
        </Routes>
      </main>
      <CommandPalette />
    </div>
  );
}
