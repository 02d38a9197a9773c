//! Audit rows: one per decision of the gate (DESIGN §6). Each says which run and step asked for
//! which tool, the tool's sector, the sector that authorised it (none when refused), the
//! decision, the check that made it, why, and the trace id.
//!
//! The engine hands rows to an [`AuditSink`]; the evidence folder keeps them as
//! `evidence/audit.jsonl` ([`JsonlAuditFile`]) and the store can keep them in SQLite. Rows are
//! redacted before they reach a sink.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What the gate decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Every check passed (approval included, when one was needed).
    Allowed,
    /// A check refused the attempt.
    Refused,
    /// The operator (or the absence of one) did not approve it.
    Denied,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Refused => "refused",
            Self::Denied => "denied",
        }
    }
}

/// The gate's checks, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Tool,
    Sector,
    /// 2b: the host a step reaches (`perimeter.network.allowed_hosts`).
    Network,
    Sandbox,
    Budget,
    Approval,
}

impl Check {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tool => "tool",
            Self::Sector => "sector",
            Self::Network => "network",
            Self::Sandbox => "sandbox",
            Self::Budget => "budget",
            Self::Approval => "approval",
        }
    }
}

/// One decision of the gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub run_id: String,
    pub mission_id: String,
    pub step_id: String,
    pub attempt: u32,
    /// The step type, or the registry tool a `tool` step calls.
    pub tool: String,
    pub tool_sector: String,
    /// The sector of the mission that asked.
    pub mission_sector: String,
    /// The sector whose grant allowed the call: the mission's own, `common`, or the mission's
    /// when the operator connected the tool's sector. None when the call was not allowed.
    pub authorising_sector: Option<String>,
    pub decision: Decision,
    /// The check that decided: the refusing one, or `approval` / `budget` for allowed calls.
    pub check: Check,
    pub reason: String,
    pub trace_id: String,
    pub at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot write audit rows to {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot store the audit row: {0}")]
    Store(String),
}

/// Receives the gate's decisions, from any task of the run.
pub trait AuditSink: Send + Sync {
    fn record(&self, row: &AuditRecord) -> Result<(), AuditError>;
}

/// Appends rows as JSON lines (the evidence folder's `evidence/audit.jsonl`).
#[derive(Debug)]
pub struct JsonlAuditFile {
    path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl JsonlAuditFile {
    /// Opens the file for appending, creating it (and its folder) if needed.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AuditError> {
        let path = path.as_ref().to_path_buf();
        let io = |source| AuditError::Io {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io)?;
        Ok(Self {
            path,
            file: Mutex::new(file),
        })
    }

    /// Reads every row of an audit file.
    pub fn read(path: impl AsRef<Path>) -> Result<Vec<AuditRecord>, AuditError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| AuditError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).map_err(|e| AuditError::Io {
                    path: path.to_path_buf(),
                    source: std::io::Error::other(e),
                })
            })
            .collect()
    }
}

impl AuditSink for JsonlAuditFile {
    fn record(&self, row: &AuditRecord) -> Result<(), AuditError> {
        let mut line = serde_json::to_vec(row).map_err(|e| AuditError::Io {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        // One write per row: concurrent rows never interleave.
        file.write_all(&line).map_err(|source| AuditError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

/// Keeps rows in memory (tests, the app's live view).
#[derive(Debug, Default, Clone)]
pub struct CollectingAudit(Arc<Mutex<Vec<AuditRecord>>>);

impl CollectingAudit {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn rows(&self) -> Vec<AuditRecord> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl AuditSink for CollectingAudit {
    fn record(&self, row: &AuditRecord) -> Result<(), AuditError> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(row.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(step: &str) -> AuditRecord {
        AuditRecord {
            run_id: "r".into(),
            mission_id: "m".into(),
            step_id: step.into(),
            attempt: 1,
            tool: "place_order".into(),
            tool_sector: "Finance".into(),
            mission_sector: "Security".into(),
            authorising_sector: None,
            decision: Decision::Refused,
            check: Check::Sector,
            reason: "no".into(),
            trace_id: "t".into(),
            at: "2026-01-01T00:00:00.000Z".into(),
        }
    }

    #[test]
    fn rows_written_from_many_threads_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evidence/audit.jsonl");
        let file = Arc::new(JsonlAuditFile::open(&path).unwrap());
        std::thread::scope(|s| {
            for t in 0..4 {
                let file = Arc::clone(&file);
                s.spawn(move || {
                    for i in 0..50 {
                        file.record(&row(&format!("s{t}-{i}"))).unwrap();
                    }
                });
            }
        });
        let rows = JsonlAuditFile::read(&path).unwrap();
        assert_eq!(rows.len(), 200);
        assert!(rows.iter().all(|r| r.decision == Decision::Refused));
    }
}
