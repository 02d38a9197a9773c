import { Activity } from "lucide-react";
import { EmptyState } from "../components/EmptyState";
import { PageHeader } from "../components/PageHeader";

export function RunsPage() {
  return (
    <div className="page" data-testid="page-runs">
      <PageHeader title="Runs" subtitle="Missions executing now: live DAG, budgets, approvals." />
      <EmptyState icon={Activity} title="No mission is running" testId="runs-coming">
        <p>
          The live run view is coming: each step of the mission&apos;s graph will change colour as it runs, budget
          gauges will fill, and approval requests will appear here with Approve and Deny.
        </p>
        <p className="muted">Runs started from the Library will show up on this page.</p>
      </EmptyState>
    </div>
  );
}
