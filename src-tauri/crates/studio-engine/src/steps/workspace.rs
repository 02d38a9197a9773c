//! The run's workspace, opened as a capability (`cap-std`): file steps reach only what lies
//! inside it. Paths are checked twice: lexically here (no absolute paths, no `..`), then by
//! cap-std, which refuses symlinks that lead outside.

use super::{Failure, StepCtx};
use cap_std::fs::Dir;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

pub(crate) struct Workspace {
    root: PathBuf,
    dir: Arc<Dir>,
}

impl Workspace {
    /// Opens (creating if needed) the workspace folder.
    pub fn open(root: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(root)?;
        let root = std::fs::canonicalize(root)?;
        let dir = Dir::open_ambient_dir(&root, cap_std::ambient_authority())?;
        Ok(Self {
            root,
            dir: Arc::new(dir),
        })
    }

    pub fn root(&self) -> &PathBuf {
        &self.root
    }

    /// The workspace capability itself, for work that must also run when the attempt is
    /// cancelled (removing a partial download), which [`with_dir`] would skip.
    pub fn dir(&self) -> Arc<Dir> {
        Arc::clone(&self.dir)
    }

    /// A host path inside the workspace for a checked relative path (for `working_dir`).
    pub fn host_path(&self, rel: &str) -> Result<PathBuf, Failure> {
        let rel = check(rel)?;
        match self.dir.canonicalize(&rel) {
            Ok(inside) => Ok(self.root.join(inside)),
            Err(e) => Err(io_failure("open", &rel, e)),
        }
    }
}

/// Refuses paths that are empty, absolute or hold `..`. `.` means the workspace itself.
pub(crate) fn check(path: &str) -> Result<PathBuf, Failure> {
    if path.is_empty() {
        return Err(Failure::new("the path is empty"));
    }
    if path.contains('\0') {
        return Err(Failure::new("the path holds a NUL character"));
    }
    let p = Path::new(path);
    let mut clean = PathBuf::new();
    for component in p.components() {
        match component {
            Component::Normal(c) => clean.push(c),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(Failure::new(format!(
                    "path `{path}` is refused: `..` may not appear in workspace paths"
                )))
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(Failure::new(format!(
                "path `{path}` is refused: paths are relative to the run's workspace, not absolute"
            )))
            }
        }
    }
    if clean.as_os_str().is_empty() {
        clean.push(".");
    }
    Ok(clean)
}

/// Words an I/O error, calling an escape by its name.
pub(crate) fn io_failure(action: &str, path: &Path, e: io::Error) -> Failure {
    let text = e.to_string();
    if e.kind() == io::ErrorKind::StorageFull {
        Failure::new(format!(
            "disk full: cannot {action} `{}`: no space left on the device holding the workspace",
            path.display()
        ))
    } else if text.contains("outside of the filesystem") {
        Failure::new(format!(
            "path `{}` is refused: it leads outside the run's workspace (through a symlink)",
            path.display()
        ))
    } else {
        Failure::new(format!("cannot {action} `{}`: {text}", path.display()))
    }
}

/// Refuses a path any prefix of which is a symlink leading outside the workspace, the path
/// itself included (so operations that act on a link, like delete and move, refuse it too).
pub(crate) fn refuse_escaping_link(dir: &Dir, path: &Path) -> Result<(), Failure> {
    let mut prefix = PathBuf::new();
    for component in path.components() {
        prefix.push(component);
        match dir.symlink_metadata(&prefix) {
            Ok(meta) if meta.is_symlink() => {
                dir.canonicalize(&prefix)
                    .map_err(|e| escape_or(path, "resolve", &prefix, e))?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(escape_or(path, "inspect", &prefix, e)),
        }
    }
    Ok(())
}

fn escape_or(path: &Path, action: &str, prefix: &Path, e: io::Error) -> Failure {
    if e.to_string().contains("outside of the filesystem") {
        io_failure(action, path, e)
    } else {
        io_failure(action, prefix, e)
    }
}

/// Runs blocking file work on the blocking pool with the workspace capability.
pub(crate) async fn with_dir<T, F>(ctx: &StepCtx, work: F) -> Result<T, Failure>
where
    T: Send + 'static,
    F: FnOnce(&Dir) -> Result<T, Failure> + Send + 'static,
{
    let dir = Arc::clone(&ctx.shared.workspace.dir);
    let task = tokio::task::spawn_blocking(move || work(&dir));
    tokio::select! {
        joined = task => joined.map_err(|e| Failure::new(format!("the file operation stopped: {e}")))?,
        _ = ctx.cancel.cancelled() => Err(Failure::interrupted()),
    }
}

/// A path as text for outputs (always with `/`).
pub(crate) fn display(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_checks_refuse_absolute_paths_and_parent_components() {
        assert_eq!(check("a/./b.txt").unwrap(), PathBuf::from("a/b.txt"));
        assert_eq!(check(".").unwrap(), PathBuf::from("."));
        assert!(check("../x").unwrap_err().message.contains("`..`"));
        assert!(check("a/../../x").unwrap_err().message.contains("`..`"));
        assert!(check("/etc/passwd")
            .unwrap_err()
            .message
            .contains("not absolute"));
        assert!(check("").is_err());
    }
}
