// A mission file's problems, as `mission validate` reports them: a summary, each problem with
// its place and hint, and the compiler-style text with the code frame, exactly as the CLI prints.
import { AlertTriangle, ChevronDown, ChevronRight } from "lucide-react";
import { useState } from "react";
import type { MissionReport } from "../gen/MissionReport";
import { CopyButton } from "./CopyButton";

function fileName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

export function MissionReportView({ report, testId = "mission-report", open: startOpen = true }: { report: MissionReport; testId?: string; open?: boolean }) {
  const [open, setOpen] = useState(startOpen);
  const counts = [
    report.errors ? `${report.errors} error${report.errors === 1 ? "" : "s"}` : null,
    report.warnings ? `${report.warnings} warning${report.warnings === 1 ? "" : "s"}` : null,
  ]
    .filter(Boolean)
    .join(", ");
  return (
    <section className="mreport" data-testid={testId} data-file={report.file} role="group" aria-label={`Problems of ${fileName(report.file)}`}>
      <button type="button" className="mreport-head" onClick={() => setOpen((o) => !o)} aria-expanded={open}>
        {open ? <ChevronDown size={14} aria-hidden /> : <ChevronRight size={14} aria-hidden />}
        <AlertTriangle size={14} aria-hidden className="mreport-icon" />
        <span className="mreport-file mono" title={report.file}>
          {fileName(report.file)}
        </span>
        <span className="mreport-counts">{counts}</span>
      </button>
      {open ? (
        <>
          <ul className="mreport-items">
            {report.items.map((d, i) => (
              <li key={i} className={`mreport-item is-${d.severity}`} data-testid="mission-report-item" data-code={d.code}>
                <span className="mono mreport-place">
                  {d.line !== null ? `${d.line}:${d.column ?? 1}` : "—"}
                </span>
                <span className="mreport-code mono">{d.code}</span>
                <span className="mreport-msg">
                  {d.message}
                  {d.help ? <span className="mreport-help"> · {d.help}</span> : null}
                </span>
              </li>
            ))}
          </ul>
          <div className="mreport-rendered-wrap">
            <div className="mreport-rendered-head">
              <span>As <code>mission validate</code> prints it</span>
              <CopyButton value={report.rendered} label="Copy the report" />
            </div>
            <pre className="mreport-rendered mono" data-testid="mission-report-rendered">
              {report.rendered}
            </pre>
            <p className="mreport-path mono">{report.file}</p>
          </div>
        </>
      ) : null}
    </section>
  );
}
