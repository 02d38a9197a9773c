import { Monitor, Moon, Sun } from "lucide-react";
import { useEffect, useState } from "react";
import { PageHeader } from "../components/PageHeader";
import { inDesktopApp, ipc, type Diagnostics, type Theme } from "../ipc";
import { useTheme } from "../theme/useTheme";

const THEMES: { value: Theme; label: string; icon: typeof Sun; hint: string }[] = [
  { value: "system", label: "System", icon: Monitor, hint: "Follow the operating system" },
  { value: "light", label: "Light", icon: Sun, hint: "Always light" },
  { value: "dark", label: "Dark", icon: Moon, hint: "Always dark" },
];

export function SettingsPage() {
  const { theme, resolved, setTheme, error } = useTheme();
  const [diag, setDiag] = useState<Diagnostics | null>(null);

  useEffect(() => {
    if (inDesktopApp()) ipc.diagnostics().then(setDiag, () => setDiag(null));
  }, []);

  return (
    <div className="page" data-testid="page-settings">
      <PageHeader title="Settings" subtitle="Appearance, data folder, and the global hard caps." />

      <section className="card">
        <h2 className="card-title">Appearance</h2>
        <p className="card-hint">Showing the {resolved} theme.</p>
        <div className="segmented" role="radiogroup" aria-label="Theme">
          {THEMES.map(({ value, label, icon: Icon, hint }) => (
            <button
              key={value}
              type="button"
              role="radio"
              aria-checked={theme === value}
              className={`segment${theme === value ? " selected" : ""}`}
              data-testid={`theme-${value}`}
              title={hint}
              onClick={() => void setTheme(value)}
            >
              <Icon size={16} aria-hidden /> {label}
            </button>
          ))}
        </div>
        {error ? (
          <p className="error-text" role="alert">
            {error}
          </p>
        ) : null}
      </section>

      <section className="card">
        <h2 className="card-title">Data</h2>
        <p className="card-hint">
          History, evidence folders, logs and settings live in one folder, shared with the <code>mission</code> command
          line. Set <code>MISSION_STUDIO_DATA_DIR</code> to use another one.
        </p>
        <dl className="kv">
          <dt>Data folder</dt>
          <dd className="mono">{diag?.dataDir ?? "—"}</dd>
          <dt>Settings file</dt>
          <dd className="mono">{diag ? `${diag.dataDir}/settings.json` : "—"}</dd>
        </dl>
      </section>

      <section className="card muted-card">
        <h2 className="card-title">Hard caps and LLM providers</h2>
        <p className="card-hint">
          Global budget caps (cost, tokens, LLM calls, steps, runtime) and OpenAI-compatible providers will be set here.
          No perimeter will be able to go above these caps.
        </p>
      </section>
    </div>
  );
}
