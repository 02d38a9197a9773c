import { History } from "lucide-react";
import { EmptyState } from "../components/EmptyState";
import { PageHeader } from "../components/PageHeader";

export function HistoryPage() {
  return (
    <div className="page" data-testid="page-history">
      <PageHeader title="History" subtitle="Every run, what it cost, and what it produced." />
      <EmptyState icon={History} title="Run history is coming" testId="history-coming">
        <p>
          Every run is kept in the local database with its steps, events and approvals. This page will list them
          with filters by status, template and date, compare two runs side by side, and resume a failed run.
        </p>
        <p className="muted">The About page shows where the database lives.</p>
      </EmptyState>
    </div>
  );
}
