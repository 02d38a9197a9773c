//! VP sessions (seed §1.1): `(vp_id, vp_session_id)` maps to one folder of the data folder,
//! `vp_sessions/<vp>/<session>/`, with `session.json` (the identity and the missions run in it)
//! and `workspace/`, the files the session's missions leave for the next ones.
//!
//! A dispatch without `vp_session_id` gets `vps-<hash of vp_id>`: the same VP's session-less
//! dispatches share one session, and every event carries that id.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::{ApiError, AppPaths};

/// The folder of VP sessions in the data folder.
pub const SESSIONS_DIR: &str = "vp_sessions";

/// The session id of a dispatch: its own, else the VP's default session.
pub fn session_id(vp_id: &str, given: Option<&str>) -> String {
    match given.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s.to_string(),
        None => {
            let hash = studio_core::hash::sha256_of(format!("vp-session:{vp_id}").as_bytes());
            let hex: String = hash
                .trim_start_matches("sha256:")
                .chars()
                .take(16)
                .collect();
            format!("vps-{hex}")
        }
    }
}

/// What `session.json` holds.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SessionRecord {
    pub vp_id: String,
    pub vp_session_id: String,
    #[serde(default)]
    pub vp_runtime_id: Option<String>,
    /// Whether the dispatch named the session (else the worker allocated it).
    #[serde(default)]
    pub allocated: bool,
    /// The session's missions, oldest first.
    #[serde(default)]
    pub missions: Vec<String>,
}

/// One session's folder.
#[derive(Debug, Clone)]
pub struct Session {
    pub dir: PathBuf,
    pub record: SessionRecord,
}

impl Session {
    /// Opens (creating) the session of `(vp_id, session_id)` and records `mission_id` in it.
    pub fn open(
        paths: &AppPaths,
        vp_id: &str,
        session_id: &str,
        allocated: bool,
        vp_runtime_id: Option<&str>,
        mission_id: &str,
    ) -> Result<Self, ApiError> {
        use studio_squad::started::marker_key;
        let dir = paths
            .data_dir()
            .join(SESSIONS_DIR)
            .join(marker_key(vp_id))
            .join(marker_key(session_id));
        let workspace = dir.join("workspace");
        std::fs::create_dir_all(&workspace)
            .map_err(|e| ApiError::io("create the VP session folder", &workspace, e))?;
        let file = dir.join("session.json");
        let mut record = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| serde_json::from_str::<SessionRecord>(&t).ok())
            .unwrap_or_else(|| SessionRecord {
                vp_id: vp_id.to_string(),
                vp_session_id: session_id.to_string(),
                allocated,
                ..SessionRecord::default()
            });
        if let Some(r) = vp_runtime_id {
            record.vp_runtime_id = Some(r.to_string());
        }
        if !record.missions.iter().any(|m| m == mission_id) {
            record.missions.push(mission_id.to_string());
        }
        write_json(&file, &record)?;
        Ok(Self { dir, record })
    }

    /// The files the session's missions share.
    pub fn workspace(&self) -> PathBuf {
        self.dir.join("workspace")
    }

    /// Copies a finished run's files (`artifacts`, relative to `run_workspace`) into the
    /// session's workspace, for the next missions of the session.
    pub fn keep_artifacts(&self, run_workspace: &Path, artifacts: &[String]) {
        let to = self.workspace();
        for a in artifacts {
            let rel = Path::new(a);
            if rel.is_absolute()
                || rel
                    .components()
                    .any(|c| !matches!(c, std::path::Component::Normal(_)))
            {
                continue;
            }
            let from = run_workspace.join(rel);
            if !from.is_file() {
                continue;
            }
            let dest = to.join(rel);
            if let Some(parent) = dest.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            let _ = std::fs::copy(&from, &dest);
        }
    }
}

/// Writes JSON atomically (a temporary file renamed over the old one).
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ApiError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| ApiError::new(crate::ErrorCode::Internal, e.to_string()))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text + "\n").map_err(|e| ApiError::io("write", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| ApiError::io("replace", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_kept_per_vp_and_id() {
        assert_eq!(session_id("vp.a", Some("s1")), "s1");
        assert_eq!(session_id("vp.a", None), session_id("vp.a", Some(" ")));
        assert_ne!(session_id("vp.a", None), session_id("vp.b", None));
        let dir = tempfile::tempdir().unwrap();
        let paths = AppPaths::at(dir.path());
        let a = Session::open(&paths, "vp.a", "s1", false, Some("lane"), "m1").unwrap();
        let b = Session::open(&paths, "vp.a", "s1", false, None, "m2").unwrap();
        assert_eq!(a.dir, b.dir);
        assert_eq!(b.record.missions, vec!["m1", "m2"]);
        assert_eq!(b.record.vp_runtime_id.as_deref(), Some("lane"));
        let c = Session::open(&paths, "vp.a", "s2", false, None, "m3").unwrap();
        assert_ne!(a.dir, c.dir);
    }
}
