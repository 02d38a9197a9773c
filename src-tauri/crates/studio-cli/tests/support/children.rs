//! Child processes a test starts, stopped by their pid when dropped (so also when the test
//! panics); their output goes to files in the test's folder.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

/// A running child and the files holding its stdout and stderr.
#[derive(Debug)]
pub struct Spawned {
    child: Child,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

impl Spawned {
    /// Starts `cmd` with its stdout and stderr in `<dir>/<name>.out` and `.err`.
    pub fn start(mut cmd: Command, dir: &Path, name: &str) -> Self {
        let stdout = dir.join(format!("{name}.out"));
        let stderr = dir.join(format!("{name}.err"));
        let child = cmd
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Self {
            child,
            stdout,
            stderr,
        }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the child; returns its status, stdout and stderr.
    pub fn finish(mut self) -> (ExitStatus, String, String) {
        let status = self.child.wait().unwrap();
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        (status, read(&self.stdout), read(&self.stderr))
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill(); // SIGKILL to this pid
            let _ = self.child.wait();
        }
    }
}
