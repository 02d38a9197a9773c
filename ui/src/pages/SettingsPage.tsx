import { FolderOpen, Monitor, Moon, Palette, Sun } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { CopyButton } from "../components/CopyButton";
import { PageHeader } from "../components/PageHeader";
import { inDesktopApp, ipc, type Diagnostics, type Theme } from "../ipc";
import { useTheme } from "../theme/useTheme";
import { CapsCard } from "./settings/CapsCard";
import { NatsCard } from "./settings/NatsCard";
import { ProvidersCard } from "./settings/ProvidersCard";
import { useScrollSpy } from "./settings/scrollSpy";
import "./settings/settings.css";

const THEMES: { value: Theme; label: string; icon: typeof Sun; hint: string }[] = [
  { value: "system", label: "System", icon: Monitor, hint: "Follow the operating system" },
  { value: "light", label: "Light", icon: Sun, hint: "Always light" },
  { value: "dark", label: "Dark", icon: Moon, hint: "Always dark" },
];

const SECTIONS = [
  { id: "settings-caps", label: "Hard caps" },
  { id: "settings-providers", label: "LLM providers" },
  { id: "settings-squad", label: "Squad (NATS)" },
  { id: "settings-data", label: "Data folder" },
  { id: "settings-appearance", label: "Appearance" },
];
const SECTION_IDS = SECTIONS.map((s) => s.id);

/** Joins a file name to a folder with the folder's own separator. */
function inFolder(dir: string, name: string): string {
  const sep = dir.includes("\\") && !dir.includes("/") ? "\\" : "/";
  return `${dir.replace(/[\\/]+$/, "")}${sep}${name}`;
}

export function SettingsPage() {
  const { theme, resolved, setTheme, error } = useTheme();
  const [diag, setDiag] = useState<Diagnostics | null>(null);
  const desktop = inDesktopApp();
  const toc = useRef<HTMLElement>(null);
  const spy = useScrollSpy(SECTION_IDS, toc);

  useEffect(() => {
    if (desktop) ipc.diagnostics().then(setDiag, () => setDiag(null));
  }, [desktop]);

  const files = diag
    ? [
        { name: "perimeter.yaml", what: "Global hard caps" },
        { name: "providers.json", what: "LLM providers (and keys kept in the file)" },
        { name: "settings.json", what: "Theme, default provider, NATS URL" },
      ]
    : [];

  return (
    <div className="page st-page" data-testid="page-settings">
      <PageHeader title="Settings" subtitle="Global hard caps, LLM providers, the squad, the data folder and appearance." />

      <div className="st-layout">
        <nav className="st-toc" aria-label="Settings sections" ref={toc}>
          {SECTIONS.map((s) => (
            <a
              key={s.id}
              className={`st-toc-link${spy.active === s.id ? " is-active" : ""}`}
              aria-current={spy.active === s.id ? "location" : undefined}
              href={`#${s.id}`}
              data-testid={`settings-toc-${s.id}`}
              onClick={(e) => {
                e.preventDefault();
                spy.go(s.id);
              }}
            >
              {s.label}
            </a>
          ))}
        </nav>

        <div className="st-sections">
          <CapsCard enabled={desktop} />
          <ProvidersCard enabled={desktop} />
          <NatsCard enabled={desktop} />

          <section className="card st-card" id="settings-data" aria-labelledby="data-title">
            <header className="st-card-head">
              <div className="st-card-icon" aria-hidden>
                <FolderOpen size={18} />
              </div>
              <div>
                <h2 className="card-title" id="data-title">
                  Data folder
                </h2>
                <p className="card-hint">
                  History, evidence folders, logs and settings live in one folder, shared with the <code>mission</code>{" "}
                  command line. Set <code>MISSION_STUDIO_DATA_DIR</code> before starting the app to use another one.
                </p>
              </div>
            </header>
            <div className="st-path" data-testid="settings-data-dir-row">
              <span className="st-path-text mono" data-testid="settings-data-dir" title={diag?.dataDir}>
                {diag?.dataDir ?? "—"}
              </span>
              {diag ? <CopyButton value={diag.dataDir} label="data folder path" /> : null}
            </div>
            {diag?.dataDirFromEnv ? (
              <p className="st-help st-env-note">Set by MISSION_STUDIO_DATA_DIR.</p>
            ) : null}
            {files.length > 0 ? (
              <dl className="st-files">
                {files.map((f) => (
                  <div key={f.name} className="st-file">
                    <dt className="mono">{f.name}</dt>
                    <dd>{f.what}</dd>
                    <CopyButton value={inFolder(diag?.dataDir ?? "", f.name)} label={`${f.name} path`} />
                  </div>
                ))}
              </dl>
            ) : null}
          </section>

          <section className="card st-card" id="settings-appearance" aria-labelledby="appearance-title">
            <header className="st-card-head">
              <div className="st-card-icon" aria-hidden>
                <Palette size={18} />
              </div>
              <div>
                <h2 className="card-title" id="appearance-title">
                  Appearance
                </h2>
                <p className="card-hint">Showing the {resolved} theme.</p>
              </div>
            </header>
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
        </div>
      </div>
    </div>
  );
}
