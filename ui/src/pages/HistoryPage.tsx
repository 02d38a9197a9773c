import { Route, Routes } from "react-router";
import "./history/history.css";
import { CompareView } from "./history/CompareView";
import { HistoryList } from "./history/HistoryList";
import { RunDetailView } from "./history/RunDetailView";

/** History: the run list, one run (steps or evidence), and two runs compared. */
export function HistoryPage() {
  return (
    <Routes>
      <Route index element={<HistoryList />} />
      <Route path="compare" element={<CompareView />} />
      <Route path=":runId" element={<RunDetailView tab="overview" />} />
      <Route path=":runId/evidence" element={<RunDetailView tab="evidence" />} />
    </Routes>
  );
}
