// "N files have errors": the template files left out of the library, each with every problem as
// `mission validate` reports it, so a broken file never silently vanishes.
import { FileWarning } from "lucide-react";
import { useEffect, useState } from "react";
import { MissionReportView } from "../../components/MissionReportView";
import { library, type MissionReport } from "../../ipc/library";

/** `version` changes whenever the library was read again (the notice follows it). */
export function LibraryProblems({ version }: { version: unknown }) {
  const [reports, setReports] = useState<MissionReport[]>([]);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    let alive = true;
    library.problems().then(
      (list) => alive && setReports(list),
      () => alive && setReports([]),
    );
    return () => {
      alive = false;
    };
  }, [version]);
  if (reports.length === 0) return null;
  const n = reports.length;
  return (
    <section className="lib-problems" data-testid="library-problems" role="alert">
      <div className="lib-problems-head">
        <FileWarning size={16} aria-hidden />
        <strong>
          {n} template file{n === 1 ? " has" : "s have"} errors and {n === 1 ? "is" : "are"} not in the library.
        </strong>
        <button type="button" className="btn btn-ghost" onClick={() => setOpen((o) => !o)} aria-expanded={open} data-testid="library-problems-toggle">
          {open ? "Hide" : "Show"} {n === 1 ? "it" : "them"}
        </button>
      </div>
      {open ? (
        <div className="lib-problems-list">
          {reports.map((r) => (
            <MissionReportView key={r.file} report={r} testId="library-problem" open={n <= 3} />
          ))}
          <p className="muted lib-problems-hint">Fix a file and save it: the library reads it again at once.</p>
        </div>
      ) : null}
    </section>
  );
}
