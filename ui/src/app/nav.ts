import { BookOpen, ClipboardCheck, FilePen, History, Info, Play, ScrollText, Server, Settings, type LucideIcon } from "lucide-react";

export interface NavItem {
  id: string;
  path: string;
  label: string;
  description: string;
  icon: LucideIcon;
  shortcut: string;
}

/** The app's pages, in the order of the sidebar. Ctrl+1… opens them. */
export const NAV_ITEMS: NavItem[] = [
  { id: "library", path: "/library", label: "Library", description: "Mission templates to browse and deploy", icon: BookOpen, shortcut: "1" },
  { id: "runs", path: "/runs", label: "Runs", description: "Missions running now, live", icon: Play, shortcut: "2" },
  { id: "history", path: "/history", label: "History", description: "Every run, its cost and its evidence", icon: History, shortcut: "3" },
  { id: "audit", path: "/audit", label: "Audit", description: "Every decision of the perimeter gate, with filters", icon: ScrollText, shortcut: "4" },
  { id: "review", path: "/review", label: "Review", description: "Failure patterns to look at, and resolve", icon: ClipboardCheck, shortcut: "5" },
  { id: "workers", path: "/workers", label: "Workers", description: "Department workers connected over NATS, live", icon: Server, shortcut: "6" },
  { id: "editor", path: "/editor", label: "Editor", description: "Write a mission, checked as you type", icon: FilePen, shortcut: "7" },
  { id: "settings", path: "/settings", label: "Settings", description: "Hard caps, providers, squad, appearance", icon: Settings, shortcut: "8" },
];

export const ABOUT_ITEM: NavItem = {
  id: "about",
  path: "/about",
  label: "About",
  description: "Version and where your data lives",
  icon: Info,
  shortcut: "0",
};
