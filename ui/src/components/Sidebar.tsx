import { Monitor, Moon, Sun } from "lucide-react";
import { NavLink } from "react-router";
import { ABOUT_ITEM, NAV_ITEMS, type NavItem } from "../app/nav";
import { usePendingCount } from "../pages/runs/usePendingApprovals";
import { useTheme } from "../theme/useTheme";
import type { Theme } from "../ipc";

function NavEntry({ item, badge = 0 }: { item: NavItem; badge?: number }) {
  const Icon = item.icon;
  return (
    <NavLink
      to={item.path}
      className={({ isActive }) => `nav-item${isActive ? " active" : ""}`}
      data-testid={`nav-${item.id}`}
      title={`${item.description} (Ctrl+${item.shortcut})`}
    >
      <Icon size={18} aria-hidden />
      <span className="nav-label">{item.label}</span>
      {badge > 0 ? (
        <span className="nav-badge" data-testid={`nav-${item.id}-badge`} title={`${badge} waiting for approval`}>
          {badge}
        </span>
      ) : null}
      <kbd className="nav-kbd" aria-hidden>
        Ctrl {item.shortcut}
      </kbd>
    </NavLink>
  );
}

const NEXT_THEME: Record<Theme, Theme> = { system: "light", light: "dark", dark: "system" };
const THEME_ICON = { system: Monitor, light: Sun, dark: Moon };

export function Sidebar() {
  const { theme, setTheme } = useTheme();
  const ThemeIcon = THEME_ICON[theme];
  const pendingApprovals = usePendingCount();
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <img src="/logo.svg" alt="" width={28} height={28} />
        <div>
          <div className="brand-name">Mission Studio</div>
          <div className="brand-tag">Missions under control</div>
        </div>
      </div>
      <div className="nav-section-label">Workspace</div>
      <div className="nav-list">
        {NAV_ITEMS.map((item) => (
          <NavEntry key={item.id} item={item} badge={item.id === "runs" ? pendingApprovals : 0} />
        ))}
      </div>
      <div className="sidebar-footer">
        <NavEntry item={ABOUT_ITEM} />
        <button
          type="button"
          className="nav-item theme-cycle"
          data-testid="theme-cycle"
          data-theme-choice={theme}
          onClick={() => void setTheme(NEXT_THEME[theme])}
          title="Switch theme: system, light, dark"
        >
          <ThemeIcon size={18} aria-hidden />
          <span className="nav-label">Theme: {theme[0]?.toUpperCase() + theme.slice(1)}</span>
        </button>
      </div>
    </nav>
  );
}
