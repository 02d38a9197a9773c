import { BookOpen, ShieldCheck, SlidersHorizontal, Sparkles } from "lucide-react";
import { EmptyState } from "../components/EmptyState";
import { PageHeader } from "../components/PageHeader";

export function LibraryPage() {
  return (
    <div className="page" data-testid="page-library">
      <PageHeader title="Library" subtitle="Browse mission templates, set their perimeter, deploy them." />
      <EmptyState icon={BookOpen} title="The mission library is coming" testId="library-coming">
        <p>
          About 200 mission templates across Finance, Security, Research, HR and more will appear here, searchable
          by name, goal, sector and tags, with their estimated ROI, risk and measured success rate.
        </p>
        <ul className="feature-list">
          <li>
            <Sparkles size={16} aria-hidden /> Search and filter by sector, risk and badge
          </li>
          <li>
            <SlidersHorizontal size={16} aria-hidden /> Quick Deploy with budget caps and approval mode
          </li>
          <li>
            <ShieldCheck size={16} aria-hidden /> Every run leaves an evidence folder you can inspect
          </li>
        </ul>
        <p className="muted">
          Meanwhile, the <code>mission</code> command line validates and runs mission files.
        </p>
      </EmptyState>
    </div>
  );
}
