// Icons for step types and step statuses (status is always shown by icon as well as colour).
import {
  Activity,
  Archive,
  Ban,
  BookOpen,
  Bot,
  Braces,
  CheckCircle2,
  CircleDashed,
  CircleSlash,
  Clock,
  Database,
  FileCode2,
  FilePlus2,
  FileSearch,
  FileText,
  FlaskConical,
  FolderTree,
  GitBranch,
  Globe,
  Hammer,
  Hand,
  HeartPulse,
  ListChecks,
  Loader2,
  Radar,
  Sparkles,
  SquareTerminal,
  Table2,
  Timer,
  Wrench,
  XCircle,
  type LucideIcon,
} from "lucide-react";
import { createElement } from "react";

function stepTypeIcon(stepType: string): LucideIcon {
  if (stepType === "generate_docs") return BookOpen;
  if (stepType === "llm" || stepType === "model_inference" || stepType.startsWith("generate_")) return Sparkles;
  if (stepType === "agent" || stepType === "chain") return Bot;
  if (stepType === "command" || stepType.startsWith("process_") || stepType === "ssh_execute") return SquareTerminal;
  if (stepType === "http" || stepType === "websocket_connect" || stepType.startsWith("ftp_")) return Globe;
  if (stepType === "tool") return Wrench;
  if (stepType.startsWith("parse_") || stepType === "validate_schema") return Braces;
  if (stepType === "create_file" || stepType === "edit_file" || stepType === "copy_file" || stepType === "move_file")
    return FilePlus2;
  if (stepType === "read_file") return FileText;
  if (stepType === "list_directory") return FolderTree;
  if (stepType === "file_search" || stepType.startsWith("rag_") || stepType === "similarity_search") return FileSearch;
  if (stepType === "csv_process") return Table2;
  if (stepType.startsWith("sql_") || stepType.startsWith("redis_") || stepType.startsWith("db_")) return Database;
  if (stepType === "compile_code") return Hammer;
  if (stepType === "run_tests") return FlaskConical;
  if (stepType === "format_code" || stepType === "lint_code") return ListChecks;
  if (stepType === "compress") return Archive;
  if (stepType === "monitor_resources") return Activity;
  if (stepType === "service_health") return HeartPulse;
  if (stepType === "ping_host") return Radar;
  if (stepType.startsWith("git_")) return GitBranch;
  if (stepType === "noop") return CircleDashed;
  return FileCode2;
}

export function StepTypeIcon({ stepType, size = 14 }: { stepType: string; size?: number }) {
  return createElement(stepTypeIcon(stepType), { size, "aria-hidden": true });
}

function statusIcon(status: string): LucideIcon {
  switch (status) {
    case "running":
      return Loader2;
    case "succeeded":
    case "completed":
    case "success":
      return CheckCircle2;
    case "failed":
      return XCircle;
    case "blocked":
    case "awaiting_approval":
      return Hand;
    case "skipped":
      return CircleSlash;
    case "cancelled":
      return Ban;
    case "timed_out":
      return Timer;
    default:
      return Clock;
  }
}

/** A status icon; "running" turns unless `still` (e.g. in a log of past events). */
export function StatusIcon({ status, size = 13, still = false }: { status: string; size?: number; still?: boolean }) {
  return createElement(statusIcon(status), {
    size,
    "aria-hidden": true,
    className: status === "running" && !still ? "spin" : "",
  });
}
