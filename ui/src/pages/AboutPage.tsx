import { AlertTriangle } from "lucide-react";
import { useEffect, useState } from "react";
import { CopyButton } from "../components/CopyButton";
import { PageHeader } from "../components/PageHeader";
import { ipc, type ApiError, type Diagnostics } from "../ipc";
import { StepCatalogue } from "./about/StepCatalogue";

function PathRow({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <>
      <dt>{label}</dt>
      <dd className="path-row">
        <span className="mono" data-testid={testId}>
          {value}
        </span>
        <CopyButton value={value} label={label.toLowerCase()} />
      </dd>
    </>
  );
}

export function AboutPage() {
  const [diag, setDiag] = useState<Diagnostics | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    ipc.diagnostics().then(setDiag, (e: ApiError) => setError(e));
  }, []);

  return (
    <div className="page" data-testid="page-about">
      <PageHeader title="About" subtitle="Version and where your data lives." />
      <section className="card about-hero">
        <img src="/logo.svg" alt="" width={56} height={56} />
        <div>
          <h2 className="about-name">Mission Studio</h2>
          <p className="card-hint">
            Run AI and automation missions under a hard perimeter, watch them live, keep the evidence.
          </p>
        </div>
        <span className="version-badge" data-testid="about-version">
          {diag ? `v${diag.appVersion}` : "…"}
        </span>
      </section>

      {error ? (
        <section className="card error-card" role="alert" data-testid="about-error">
          <AlertTriangle size={18} aria-hidden />
          <div>
            <strong>Diagnostics are unavailable.</strong>
            <p>{error.message}</p>
          </div>
        </section>
      ) : null}

      {diag ? (
        <section className="card">
          <h2 className="card-title">Diagnostics</h2>
          <dl className="kv" data-testid="about-diagnostics">
            <PathRow label="Data folder" value={diag.dataDir} testId="about-data-dir" />
            <PathRow label="Database" value={diag.databasePath} testId="about-database-path" />
            <PathRow label="Log folder" value={diag.logDir} testId="about-log-dir" />
            <PathRow label="Evidence folders" value={diag.runsDir} testId="about-runs-dir" />
            <dt>Data folder set by</dt>
            <dd>{diag.dataDirFromEnv ? "MISSION_STUDIO_DATA_DIR" : "platform default"}</dd>
            <dt>Platform</dt>
            <dd>
              {diag.os} / {diag.arch}
            </dd>
            <dt>Step types</dt>
            <dd>
              {diag.stepTypesAvailable} of RustChain&rsquo;s {diag.stepTypesKnown} run in this version ·{" "}
              <button
                type="button"
                className="about-link"
                onClick={() => document.getElementById("about-step-types")?.scrollIntoView({ behavior: "smooth", block: "start" })}
              >
                which ones
              </button>
            </dd>
          </dl>
        </section>
      ) : null}

      {diag?.stepTypes?.length ? <StepCatalogue types={diag.stepTypes} /> : null}
    </div>
  );
}
