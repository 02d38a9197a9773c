//! Copying an earlier run's workspace into a new one (`mission resume`).

use crate::PackError;
use std::path::Path;

/// Copies the regular files and folders under `from` into `to` (created if missing). Symlinks
/// and other special files are skipped: a resumed run must not gain paths outside its
/// workspace. Returns the number of bytes copied.
pub(crate) fn copy_tree(from: &Path, to: &Path) -> Result<u64, PackError> {
    let mut bytes = 0;
    let mut pending = vec![(from.to_path_buf(), to.to_path_buf())];
    while let Some((src, dst)) = pending.pop() {
        std::fs::create_dir_all(&dst).map_err(|e| PackError::io(&dst, e))?;
        let entries = match std::fs::read_dir(&src) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(PackError::io(&src, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| PackError::io(&src, e))?;
            let kind = entry
                .file_type()
                .map_err(|e| PackError::io(entry.path(), e))?;
            let target = dst.join(entry.file_name());
            if kind.is_dir() {
                pending.push((entry.path(), target));
            } else if kind.is_file() {
                bytes +=
                    std::fs::copy(entry.path(), &target).map_err(|e| PackError::io(&target, e))?;
            }
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn files_and_folders_are_copied_and_symlinks_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("from");
        std::fs::create_dir_all(from.join("sub")).unwrap();
        std::fs::write(from.join("a.txt"), "a").unwrap();
        std::fs::write(from.join("sub/b.txt"), "bb").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/passwd", from.join("link")).unwrap();
        let to = dir.path().join("to");
        let bytes = super::copy_tree(&from, &to).unwrap();
        assert_eq!(bytes, 3);
        assert_eq!(std::fs::read_to_string(to.join("sub/b.txt")).unwrap(), "bb");
        assert!(!to.join("link").exists(), "symlinks are not copied");
    }
}
