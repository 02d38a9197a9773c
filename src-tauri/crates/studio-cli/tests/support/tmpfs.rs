//! A small tmpfs mounted on a folder of the test's own, unmounted when dropped (so also when
//! the test panics). Mounting needs root (CAP_SYS_ADMIN); without it the caller skips.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A mounted tmpfs.
#[derive(Debug)]
pub struct Tmpfs {
    mount_point: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`mount -o size=`, e.g. `"24m"`) on `mount_point` (created
    /// if needed). The error says why it could not (not root, no permission, no `mount`).
    pub fn mount(mount_point: &Path, size: &str) -> Result<Self, String> {
        std::fs::create_dir_all(mount_point).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={size},mode=0700"))
            .arg("tmpfs")
            .arg(mount_point)
            .output()
            .map_err(|e| format!("cannot run `mount`: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Self {
            mount_point: mount_point.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.mount_point
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let umount = |lazy: bool| {
            let mut cmd = Command::new("umount");
            if lazy {
                cmd.arg("-l");
            }
            cmd.arg(&self.mount_point)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        // A lazy unmount when something still holds a file open there.
        if !umount(false) && !umount(true) {
            eprintln!("warning: could not unmount {}", self.mount_point.display());
        }
    }
}
