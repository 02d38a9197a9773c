//! The read-only sandbox for command steps: on Linux, the program starts under a Landlock
//! ruleset that lets it read everything but write only inside the run's workspace (and
//! `/dev/null`), and — from Landlock ABI 4 on — neither open nor accept TCP connections.
//!
//! Landlock restricts the calling thread and what it starts, for good. So the engine never
//! restricts its own threads: each confined program is spawned from a fresh thread that
//! restricts itself, spawns, and ends. No `unsafe` (no `pre_exec`) is involved.
//!
//! [`support`] probes the kernel once (in such a throwaway thread) and says whether confinement
//! is enforced and at which ABI; the evidence folder records it.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// What the kernel offers, probed once per process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandlockSupport {
    /// The Landlock ABI in effect (0 = none).
    pub abi: u8,
    /// Whether a ruleset is enforced (fully or partially) on this kernel.
    pub enforced: bool,
    /// Whether TCP connections can be refused too (ABI ≥ 4).
    pub network: bool,
}

/// How a run's sandbox behaved, for `meta.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxReport {
    /// `read-only` or `full-access`.
    pub mode: String,
    pub landlock_abi: u8,
    /// Whether command steps of this run were confined by Landlock.
    pub landlock_active: bool,
    pub note: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot confine the program: {0}")]
    Landlock(String),
    #[error("Landlock is not enforced on this system; a read-only run cannot confine commands")]
    NotEnforced,
    #[error("the confined spawner thread failed: {0}")]
    Thread(String),
}

/// Landlock support of this machine (probed once).
pub fn support() -> LandlockSupport {
    static SUPPORT: OnceLock<LandlockSupport> = OnceLock::new();
    *SUPPORT.get_or_init(probe)
}

#[cfg(target_os = "linux")]
fn probe() -> LandlockSupport {
    let dir = std::env::temp_dir();
    std::thread::spawn(move || match confine_current_thread(&dir) {
        Ok((abi, enforced)) => LandlockSupport {
            abi,
            enforced,
            network: enforced && abi >= 4,
        },
        Err(_) => LandlockSupport {
            abi: 0,
            enforced: false,
            network: false,
        },
    })
    .join()
    .unwrap_or(LandlockSupport {
        abi: 0,
        enforced: false,
        network: false,
    })
}

#[cfg(not(target_os = "linux"))]
fn probe() -> LandlockSupport {
    LandlockSupport {
        abi: 0,
        enforced: false,
        network: false,
    }
}

/// Restricts the calling thread (and everything it starts afterwards) to reading anywhere and
/// writing only under `workspace`; returns the ABI and whether the ruleset is enforced.
#[cfg(target_os = "linux")]
fn confine_current_thread(workspace: &Path) -> Result<(u8, bool), SandboxError> {
    use landlock::{
        path_beneath_rules, Access, AccessFs, AccessNet, Ruleset, RulesetAttr, RulesetCreatedAttr,
        RulesetStatus, ABI,
    };
    let abi = ABI::V5;
    let err = |e: landlock::RulesetError| SandboxError::Landlock(e.to_string());
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .map_err(err)?
        .handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp)
        .map_err(err)?
        .create()
        .map_err(err)?
        .add_rules(path_beneath_rules(["/"], AccessFs::from_read(abi)))
        .map_err(err)?
        .add_rules(path_beneath_rules(
            [workspace, Path::new("/dev/null")],
            AccessFs::from_all(abi),
        ))
        .map_err(err)?
        .restrict_self()
        .map_err(err)?;
    let effective = match status.landlock {
        landlock::LandlockStatus::Available { effective_abi, .. } => effective_abi as u8,
        _ => 0,
    };
    let enforced = !matches!(status.ruleset, RulesetStatus::NotEnforced);
    Ok((effective, enforced))
}

#[cfg(not(target_os = "linux"))]
fn confine_current_thread(_workspace: &Path) -> Result<(u8, bool), SandboxError> {
    Err(SandboxError::NotEnforced)
}

/// Runs `spawn` on a fresh thread confined to `workspace` and hands its result back; the
/// thread ends right after, so nothing else is ever restricted. Programs that `spawn` starts
/// inherit the confinement.
pub async fn run_confined<T, F>(workspace: PathBuf, spawn: F) -> Result<T, SandboxError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("confined-spawn".into())
        .spawn(move || {
            let result = match confine_current_thread(&workspace) {
                Ok((_, true)) => Ok(spawn()),
                Ok((_, false)) => Err(SandboxError::NotEnforced),
                Err(e) => Err(e),
            };
            let _ = tx.send(result);
        })
        .map_err(|e| SandboxError::Thread(e.to_string()))?;
    rx.await
        .map_err(|_| SandboxError::Thread("the thread ended without an answer".into()))?
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::process::Command;

    #[tokio::test]
    async fn a_confined_program_writes_in_the_workspace_only() {
        let s = support();
        if !s.enforced {
            eprintln!("Landlock is not enforced here; nothing to check");
            return;
        }
        let ws = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let inside_file = ws.path().join("ok.txt");
        let outside_file = outside.path().join("escape.txt");
        let (a, b) = (inside_file.clone(), outside_file.clone());
        let statuses = run_confined(ws.path().to_path_buf(), move || {
            let write = |p: &Path| {
                Command::new("sh")
                    .arg("-c")
                    .arg(format!("echo hi > '{}'", p.display()))
                    .status()
                    .map(|s| s.success())
                    .unwrap_or(false)
            };
            (write(&a), write(&b))
        })
        .await
        .unwrap();
        assert_eq!(statuses, (true, false));
        assert!(inside_file.exists());
        assert!(!outside_file.exists(), "the write outside was refused");
        // This thread was never restricted.
        std::fs::write(outside.path().join("free.txt"), "x").unwrap();
    }
}
