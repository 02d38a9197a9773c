import { AlertTriangle, ChevronDown, ChevronRight, File, FileImage, FileJson, FileSpreadsheet, FileText, Folder, FolderOpen, Link2, RefreshCw } from "lucide-react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { CopyButton } from "../../components/CopyButton";
import { historyIpc, subscribeEvidence, type ApiError, type EvidenceEntry, type EvidenceFile, type EvidenceTree } from "../../ipc";
import { formatBytes } from "./format";
import { FileViewer } from "./viewers";

const PREFERRED = ["outputs/answer.md", "evidence/steps.md", "meta.json"];
const OPEN_BY_DEFAULT = new Set(["outputs", "evidence"]);

function EntryIcon({ entry, open }: { entry: EvidenceEntry; open: boolean }) {
  const props = { size: 14, "aria-hidden": true, className: "hx-tree-icon" } as const;
  if (entry.kind === "dir") return open ? <FolderOpen {...props} /> : <Folder {...props} />;
  if (entry.kind === "symlink") return <Link2 {...props} />;
  const ext = entry.name.split(".").pop()?.toLowerCase() ?? "";
  if (ext === "md" || ext === "markdown" || ext === "txt") return <FileText {...props} />;
  if (ext === "json" || ext === "jsonl") return <FileJson {...props} />;
  if (ext === "csv" || ext === "tsv") return <FileSpreadsheet {...props} />;
  if (["png", "jpg", "jpeg", "gif", "webp", "svg", "bmp"].includes(ext)) return <FileImage {...props} />;
  return <File {...props} />;
}

function findEntry(entries: EvidenceEntry[], path: string): EvidenceEntry | undefined {
  for (const e of entries) {
    if (e.path === path) return e;
    const hit = findEntry(e.children, path);
    if (hit) return hit;
  }
  return undefined;
}

function firstFile(entries: EvidenceEntry[]): string | undefined {
  for (const e of entries) {
    if (e.kind === "file") return e.path;
  }
  for (const e of entries) {
    const hit = e.kind === "dir" ? firstFile(e.children) : undefined;
    if (hit) return hit;
  }
  return undefined;
}

function TreeNode({
  entry,
  depth,
  open,
  toggle,
  selected,
  select,
}: {
  entry: EvidenceEntry;
  depth: number;
  open: Set<string>;
  toggle: (path: string) => void;
  selected: string | undefined;
  select: (path: string) => void;
}) {
  const isDir = entry.kind === "dir";
  const isOpen = open.has(entry.path);
  return (
    <li role="treeitem" aria-expanded={isDir ? isOpen : undefined} aria-selected={selected === entry.path}>
      <button
        type="button"
        className={`hx-tree-row${selected === entry.path ? " is-selected" : ""}${isDir ? " is-dir" : ""}`}
        style={{ paddingLeft: 8 + depth * 14 }}
        onClick={() => (isDir ? toggle(entry.path) : entry.kind === "file" ? select(entry.path) : undefined)}
        disabled={entry.kind === "symlink"}
        title={entry.kind === "symlink" ? "A link (not followed)" : entry.path}
        data-testid={`evidence-node-${entry.path}`}
      >
        <span className="hx-tree-chevron">{isDir ? isOpen ? <ChevronDown size={13} aria-hidden /> : <ChevronRight size={13} aria-hidden /> : null}</span>
        <EntryIcon entry={entry} open={isOpen} />
        <span className="hx-tree-name">{entry.name}</span>
        {!isDir && entry.kind === "file" ? <span className="hx-tree-size">{formatBytes(entry.size)}</span> : null}
      </button>
      {isDir && isOpen && entry.children.length ? (
        <ul role="group">
          {entry.children.map((c) => (
            <TreeNode key={c.path} entry={c} depth={depth + 1} open={open} toggle={toggle} selected={selected} select={select} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

export function EvidenceInspector({ runId, live = false }: { runId: string; live?: boolean }) {
  const [tree, setTree] = useState<EvidenceTree | null>(null);
  const [treeError, setTreeError] = useState<ApiError | null>(null);
  const [selected, setSelected] = useState<string | undefined>();
  const [file, setFile] = useState<EvidenceFile | null>(null);
  const [fileError, setFileError] = useState<ApiError | null>(null);
  const [open, setOpen] = useState<Set<string>>(() => new Set(OPEN_BY_DEFAULT));
  const [raw, setRaw] = useState(false);
  const [openError, setOpenError] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const selectedRef = useRef<string | undefined>(undefined);
  useEffect(() => {
    selectedRef.current = selected;
  }, [selected]);

  const loadTree = useCallback(() => {
    historyIpc.evidenceTree(runId).then(
      (t) => {
        setTree(t);
        setTreeError(null);
        setSelected((cur) => {
          if (cur && findEntry(t.entries, cur)) return cur;
          return PREFERRED.find((p) => findEntry(t.entries, p)) ?? firstFile(t.entries);
        });
      },
      (e: ApiError) => setTreeError(e),
    );
  }, [runId]);

  const loadFile = useCallback(
    (path: string) => {
      historyIpc.readEvidenceFile(runId, path).then(
        (f) => {
          if (selectedRef.current !== path) return;
          setFile(f);
          setFileError(null);
        },
        (e: ApiError) => {
          if (selectedRef.current !== path) return;
          setFile(null);
          setFileError(e);
        },
      );
    },
    [runId],
  );

  useEffect(loadTree, [loadTree]);
  useEffect(() => {
    if (selected) loadFile(selected);
  }, [selected, loadFile]);

  // Refresh while the run writes: the folder watcher's event, debounced on the Rust side.
  useEffect(
    () =>
      subscribeEvidence(runId, () => {
        loadTree();
        if (selectedRef.current) loadFile(selectedRef.current);
        setUpdatedAt(Date.now());
      }),
    [runId, loadTree, loadFile],
  );

  const toggle = useCallback(
    (path: string) =>
      setOpen((s) => {
        const next = new Set(s);
        if (next.has(path)) next.delete(path);
        else next.add(path);
        return next;
      }),
    [],
  );
  const select = useCallback((path: string) => {
    setSelected(path);
    setRaw(false);
  }, []);

  const fileCount = useMemo(() => {
    const count = (es: EvidenceEntry[]): number => es.reduce((n, e) => n + (e.kind === "dir" ? count(e.children) : 1), 0);
    return tree ? count(tree.entries) : 0;
  }, [tree]);

  const openFolder = () => {
    setOpenError(null);
    historyIpc.openEvidenceFolder(runId).catch((e: ApiError) => setOpenError(e.message));
  };

  if (treeError) {
    return (
      <section className="card error-card" role="alert" data-testid="evidence-error">
        <AlertTriangle size={18} aria-hidden />
        <div>
          <strong>The evidence folder cannot be shown.</strong>
          <p>{treeError.message}</p>
        </div>
      </section>
    );
  }

  const rendered = file && !raw && (file.kind === "markdown" || file.kind === "json" || file.kind === "csv");
  const canToggleRaw = file && file.text !== null && (file.kind === "markdown" || file.kind === "csv");

  return (
    <section className="hx-evidence" data-testid="evidence-inspector">
      <div className="hx-evidence-bar">
        <div className="hx-evidence-root">
          <FolderOpen size={15} aria-hidden />
          <span className="mono hx-path-start-ellipsis" title={tree?.root} data-testid="evidence-root">
            <bdi dir="ltr">{tree?.root ?? "…"}</bdi>
          </span>
          {tree ? <CopyButton value={tree.root} label="folder path" /> : null}
        </div>
        <span className="hx-dim hx-evidence-meta" aria-live="polite">
          {tree ? `${fileCount} files` : ""}
          {live ? " · watching for changes" : ""}
          {updatedAt ? " · updated just now" : ""}
        </span>
        <button type="button" className="hx-btn hx-btn-sm" onClick={loadTree} title="Refresh" data-testid="evidence-refresh">
          <RefreshCw size={14} aria-hidden /> Refresh
        </button>
        <button type="button" className="hx-btn hx-btn-sm" onClick={openFolder} data-testid="evidence-open-folder">
          <FolderOpen size={14} aria-hidden /> Open folder
        </button>
      </div>
      {openError ? (
        <p className="error-text" role="alert">
          {openError}
        </p>
      ) : null}
      <div className="hx-evidence-body">
        <nav className="hx-tree" aria-label="Evidence files" data-testid="evidence-tree">
          {tree ? (
            <ul role="tree">
              {tree.entries.map((e) => (
                <TreeNode key={e.path} entry={e} depth={0} open={open} toggle={toggle} selected={selected} select={select} />
              ))}
            </ul>
          ) : (
            <div className="hx-loading">Loading…</div>
          )}
          {tree?.truncated ? <p className="hx-viewer-note">Only the first 5,000 entries are listed.</p> : null}
        </nav>
        <div className="hx-viewer" data-testid="evidence-viewer" data-path={file?.path}>
          {file ? (
            <>
              <div className="hx-viewer-head">
                <span className="mono hx-viewer-path" data-testid="evidence-file-path">
                  {file.path}
                </span>
                <span className="hx-dim">
                  {formatBytes(file.size)} · {file.mime}
                </span>
                <span className="hx-viewer-tools">
                  {canToggleRaw ? (
                    <span className="hx-seg" role="group" aria-label="Show as">
                      <button type="button" className={!raw ? "is-on" : ""} onClick={() => setRaw(false)} data-testid="viewer-rendered">
                        Rendered
                      </button>
                      <button type="button" className={raw ? "is-on" : ""} onClick={() => setRaw(true)} data-testid="viewer-raw">
                        Raw
                      </button>
                    </span>
                  ) : null}
                  <CopyButton value={file.absolutePath} label="file path" />
                </span>
              </div>
              {file.truncated ? (
                <p className="hx-truncated" data-testid="evidence-truncated">
                  <AlertTriangle size={14} aria-hidden />
                  {file.kind === "image"
                    ? `Too large to show (${formatBytes(file.size)}; the limit is ${formatBytes(file.limitBytes)}).`
                    : `Too large, showing the first ${Math.round(file.limitBytes / 1024)} KB of ${formatBytes(file.size)}.`}
                </p>
              ) : null}
              <div className={`hx-viewer-body${rendered ? " is-rendered" : ""}`}>
                <FileViewer file={file} raw={raw} />
              </div>
            </>
          ) : fileError ? (
            <p className="hx-viewer-note error-text" role="alert" data-testid="evidence-file-error">
              {fileError.message}
            </p>
          ) : (
            <p className="hx-viewer-note">{selected ? "Loading…" : "Select a file to read it."}</p>
          )}
        </div>
      </div>
    </section>
  );
}
