//! The evidence inspector: a run's evidence folder (DESIGN §8) as a tree, its files read for
//! display, the folder opened in the OS file manager, and a watcher that reports changes while a
//! run writes.
//!
//! Reading is confined to the run's folder: a path with `..`, an absolute path, or one that leads
//! out through a symbolic link is refused. Files are read up to a limit and say so when cut.

use crate::{ApiError, ErrorCode, StudioApi};
use base64::Engine as _;
use serde::Serialize;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;
use ts_rs::TS;

/// Text files are shown up to this many bytes.
pub const TEXT_LIMIT: u64 = 256 * 1024;
/// Images larger than this are not shown.
pub const IMAGE_LIMIT: u64 = 8 * 1024 * 1024;
/// The tree lists at most this many entries.
pub const TREE_LIMIT: usize = 5000;
/// Changes closer together than this are reported once.
pub const WATCH_DEBOUNCE: Duration = Duration::from_millis(250);

/// What an entry of the evidence folder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "EvidenceEntryKind.ts")]
pub enum EvidenceEntryKind {
    Dir,
    File,
    Symlink,
}

/// One file or folder of the evidence folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "EvidenceEntry.ts")]
pub struct EvidenceEntry {
    pub name: String,
    /// Relative to the folder, `/`-separated.
    pub path: String,
    pub kind: EvidenceEntryKind,
    /// Bytes (a folder: the sum of its files).
    pub size: u64,
    pub children: Vec<EvidenceEntry>,
}

/// A run's evidence folder as a tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "EvidenceTree.ts")]
pub struct EvidenceTree {
    pub run_id: String,
    /// The folder's absolute path.
    pub root: String,
    pub entries: Vec<EvidenceEntry>,
    /// More than [`TREE_LIMIT`] entries: the rest are not listed.
    pub truncated: bool,
}

/// How the inspector shows a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "EvidenceFileKind.ts")]
pub enum EvidenceFileKind {
    Markdown,
    Json,
    Csv,
    Text,
    Image,
    Binary,
}

/// One file of the evidence folder, read for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "EvidenceFile.ts")]
pub struct EvidenceFile {
    /// Relative to the folder, `/`-separated.
    pub path: String,
    pub absolute_path: String,
    pub kind: EvidenceFileKind,
    pub mime: String,
    pub size: u64,
    /// The text of a text file (up to `limit_bytes`).
    pub text: Option<String>,
    /// The bytes of an image, base64.
    pub base64: Option<String>,
    /// Only the first `limit_bytes` are in `text` (or, for an image, nothing is).
    pub truncated: bool,
    pub limit_bytes: u64,
}

fn refused(rel: &str, why: &str) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidInput,
        format!(
            "`{rel}` is refused: {why}; only files inside the run's evidence folder can be read"
        ),
    )
}

/// Resolves `rel` inside `root` (both followed through links), refusing `..`, absolute paths
/// and links that lead out. `root` must be canonical.
pub fn resolve_inside(root: &Path, rel: &str) -> Result<PathBuf, ApiError> {
    let path = Path::new(rel);
    if rel.trim().is_empty() {
        return Err(refused(rel, "the path is empty"));
    }
    if path.is_absolute() || path.has_root() {
        return Err(refused(rel, "the path is absolute"));
    }
    let mut joined = root.to_path_buf();
    for c in path.components() {
        match c {
            Component::Normal(part) => joined.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err(refused(rel, "the path contains `..`")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(refused(rel, "the path is absolute"))
            }
        }
    }
    let real = joined.canonicalize().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ApiError::new(
                ErrorCode::NotFound,
                format!("`{rel}` is not in the evidence folder"),
            )
        } else {
            ApiError::io("read", &joined, e)
        }
    })?;
    if !real.starts_with(root) {
        return Err(refused(rel, "it leads outside the folder through a link"));
    }
    Ok(real)
}

fn classify(path: &Path) -> (EvidenceFileKind, &'static str) {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "md" | "markdown" => (EvidenceFileKind::Markdown, "text/markdown"),
        "json" => (EvidenceFileKind::Json, "application/json"),
        "csv" => (EvidenceFileKind::Csv, "text/csv"),
        "tsv" => (EvidenceFileKind::Csv, "text/tab-separated-values"),
        "png" => (EvidenceFileKind::Image, "image/png"),
        "jpg" | "jpeg" => (EvidenceFileKind::Image, "image/jpeg"),
        "gif" => (EvidenceFileKind::Image, "image/gif"),
        "webp" => (EvidenceFileKind::Image, "image/webp"),
        "bmp" => (EvidenceFileKind::Image, "image/bmp"),
        "svg" => (EvidenceFileKind::Image, "image/svg+xml"),
        "jsonl" | "ndjson" => (EvidenceFileKind::Text, "application/x-ndjson"),
        "yaml" | "yml" => (EvidenceFileKind::Text, "application/yaml"),
        _ => (EvidenceFileKind::Text, "text/plain"),
    }
}

/// Reads `rel` inside `root` (canonical) for display.
pub fn read_file_in(root: &Path, rel: &str) -> Result<EvidenceFile, ApiError> {
    let real = resolve_inside(root, rel)?;
    let meta = std::fs::metadata(&real).map_err(|e| ApiError::io("read", &real, e))?;
    if !meta.is_file() {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            format!("`{rel}` is a folder, not a file"),
        ));
    }
    let size = meta.len();
    let (mut kind, mime) = classify(&real);
    let limit = if kind == EvidenceFileKind::Image {
        IMAGE_LIMIT
    } else {
        TEXT_LIMIT
    };
    let mut file = std::fs::File::open(&real).map_err(|e| ApiError::io("open", &real, e))?;
    let mut bytes = Vec::with_capacity(size.min(limit) as usize);
    let truncated = size > limit;
    if !(kind == EvidenceFileKind::Image && truncated) {
        file.by_ref()
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(|e| ApiError::io("read", &real, e))?;
    }
    let (mut text, mut base64) = (None, None);
    if kind == EvidenceFileKind::Image {
        if !truncated {
            base64 = Some(base64::engine::general_purpose::STANDARD.encode(&bytes));
        }
    } else {
        // A cut may fall inside a character: keep the valid prefix.
        let valid = match std::str::from_utf8(&bytes) {
            Ok(_) => bytes.len(),
            Err(e) if truncated && e.error_len().is_none() => e.valid_up_to(),
            Err(_) => 0,
        };
        if valid == 0 && !bytes.is_empty() || bytes[..valid].contains(&0) {
            kind = EvidenceFileKind::Binary;
        } else {
            bytes.truncate(valid);
            text = Some(String::from_utf8(bytes).expect("checked above"));
        }
    }
    Ok(EvidenceFile {
        path: rel.trim_start_matches("./").replace('\\', "/"),
        absolute_path: real.display().to_string(),
        kind,
        mime: if kind == EvidenceFileKind::Binary {
            "application/octet-stream".into()
        } else {
            mime.into()
        },
        size,
        text,
        base64,
        truncated,
        limit_bytes: limit,
    })
}

/// The folder `root` (canonical) as a tree: folders first, then by name; links are listed,
/// not followed.
pub fn tree_of(root: &Path) -> Result<(Vec<EvidenceEntry>, bool), ApiError> {
    let mut count = 0usize;
    let entries = walk(root, "", &mut count)?;
    Ok((entries, count > TREE_LIMIT))
}

fn walk(dir: &Path, prefix: &str, count: &mut usize) -> Result<Vec<EvidenceEntry>, ApiError> {
    let mut out = Vec::new();
    let read = std::fs::read_dir(dir).map_err(|e| ApiError::io("list", dir, e))?;
    let mut items: Vec<_> = read.filter_map(Result::ok).collect();
    items.sort_by_key(|e| e.file_name());
    for entry in items {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Temporary files of atomic writes come and go; they are not evidence.
        if name.starts_with(".tmp") || name.ends_with(".tmp") {
            continue;
        }
        *count += 1;
        if *count > TREE_LIMIT {
            break;
        }
        let Ok(ft) = entry.file_type() else { continue };
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let (kind, size, children) = if ft.is_symlink() {
            (EvidenceEntryKind::Symlink, 0, Vec::new())
        } else if ft.is_dir() {
            let children = walk(&entry.path(), &path, count)?;
            let size = children.iter().map(|c| c.size).sum();
            (EvidenceEntryKind::Dir, size, children)
        } else {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            (EvidenceEntryKind::File, size, Vec::new())
        };
        out.push(EvidenceEntry {
            name,
            path,
            kind,
            size,
            children,
        });
    }
    out.sort_by_key(|e| e.kind != EvidenceEntryKind::Dir);
    Ok(out)
}

/// Watches a folder (recursively) while it lives; dropping it stops the watcher.
pub struct EvidenceWatch {
    _debouncer: notify_debouncer_full::Debouncer<
        notify_debouncer_full::notify::RecommendedWatcher,
        notify_debouncer_full::RecommendedCache,
    >,
}

impl std::fmt::Debug for EvidenceWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EvidenceWatch")
    }
}

/// Calls `on_change` (at most once per [`WATCH_DEBOUNCE`]) when anything under `root` changes.
pub fn watch_folder(
    root: &Path,
    on_change: impl Fn() + Send + 'static,
) -> Result<EvidenceWatch, ApiError> {
    use notify_debouncer_full::notify::RecursiveMode;
    let mut debouncer = notify_debouncer_full::new_debouncer(
        WATCH_DEBOUNCE,
        None,
        move |res: notify_debouncer_full::DebounceEventResult| {
            // Reads (the inspector's own included) are not changes.
            if matches!(&res, Ok(events) if events.iter().any(|e| !e.event.kind.is_access())) {
                on_change();
            }
        },
    )
    .map_err(|e| ApiError::new(ErrorCode::Io, format!("cannot watch the folder: {e}")))?;
    debouncer
        .watch(root, RecursiveMode::Recursive)
        .map_err(|e| {
            ApiError::new(
                ErrorCode::Io,
                format!("cannot watch {}: {e}", root.display()),
            )
        })?;
    Ok(EvidenceWatch {
        _debouncer: debouncer,
    })
}

/// Opens a folder in the OS file manager: a child process with the path as its one argument,
/// no shell.
pub fn open_in_file_manager(path: &Path) -> Result<(), ApiError> {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let mut child = std::process::Command::new(program)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| {
            ApiError::new(
                ErrorCode::Io,
                format!("cannot open the file manager ({program}): {e}"),
            )
        })?;
    // Reap the opener when it exits, so it leaves no zombie behind.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

impl StudioApi {
    /// The run's evidence folder, canonical. `NotFound` when the run is unknown, has no folder
    /// or the folder was removed.
    pub fn evidence_root(&self, run_id: &str) -> Result<PathBuf, ApiError> {
        let run = self.with_store(|s| Ok(s.run(run_id)?))?;
        let dir = run.evidence_dir.ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("run {run_id} has no evidence folder"),
            )
        })?;
        PathBuf::from(&dir).canonicalize().map_err(|_| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("the evidence folder of run {run_id} is gone: {dir}"),
            )
        })
    }

    /// The run's evidence folder as a tree.
    pub fn evidence_tree(&self, run_id: &str) -> Result<EvidenceTree, ApiError> {
        let root = self.evidence_root(run_id)?;
        let (entries, truncated) = tree_of(&root)?;
        Ok(EvidenceTree {
            run_id: run_id.to_string(),
            root: root.display().to_string(),
            entries,
            truncated,
        })
    }

    /// One file of the run's evidence folder, for display.
    pub fn read_evidence_file(&self, run_id: &str, rel: &str) -> Result<EvidenceFile, ApiError> {
        read_file_in(&self.evidence_root(run_id)?, rel)
    }

    /// Opens the run's evidence folder in the file manager; returns its path.
    pub fn open_evidence_folder(&self, run_id: &str) -> Result<PathBuf, ApiError> {
        let root = self.evidence_root(run_id)?;
        open_in_file_manager(&root)?;
        Ok(root)
    }

    /// Watches the run's evidence folder: `on_change` runs (debounced) when it changes.
    pub fn watch_evidence(
        &self,
        run_id: &str,
        on_change: impl Fn() + Send + 'static,
    ) -> Result<EvidenceWatch, ApiError> {
        watch_folder(&self.evidence_root(run_id)?, on_change)
    }
}
