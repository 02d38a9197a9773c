import type { LucideIcon } from "lucide-react";
import type { ReactNode } from "react";

/** A page or panel with nothing to show yet: what it will hold and what to do meanwhile. */
export function EmptyState({
  icon: Icon,
  title,
  children,
  testId,
}: {
  icon: LucideIcon;
  title: string;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <section className="empty-state" data-testid={testId}>
      <div className="empty-icon">
        <Icon size={28} aria-hidden />
      </div>
      <h2>{title}</h2>
      <div className="empty-body">{children}</div>
    </section>
  );
}
