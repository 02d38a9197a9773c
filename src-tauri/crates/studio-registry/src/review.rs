//! The Orchestrator's review queue: failure patterns the batch raised (`review_flags`), listed,
//! acknowledged and resolved by an operator. A flag is never closed by the batch itself; once
//! resolved, only failures of runs started after the resolution can raise it again.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use studio_store::{ReviewFlag, Store, StoreError};

/// A flag's status, and the filter of `mission review list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagStatus {
    Open,
    Acknowledged,
    Resolved,
}

impl FlagStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
        }
    }

    /// Parses `open`, `acknowledged` or `resolved`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "open" => Some(Self::Open),
            "acknowledged" => Some(Self::Acknowledged),
            "resolved" => Some(Self::Resolved),
            _ => None,
        }
    }
}

/// Why a review action failed.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("no review flag with id {0}; `mission review list --status all` shows the ids")]
    NotFound(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Flags with this status (`None`: all), most recently updated first.
pub fn list(store: &Store, status: Option<FlagStatus>) -> Result<Vec<ReviewFlag>, ReviewError> {
    Ok(store.review_flags(status.map(FlagStatus::as_str))?)
}

/// Marks a flag resolved, with an optional note; returns it as updated.
pub fn resolve(
    store: &mut Store,
    flag_id: i64,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ReviewFlag, ReviewError> {
    set_status(store, flag_id, FlagStatus::Resolved, note, now)
}

/// Marks a flag acknowledged (seen, being looked at); the batch keeps refreshing its figures.
pub fn acknowledge(
    store: &mut Store,
    flag_id: i64,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ReviewFlag, ReviewError> {
    set_status(store, flag_id, FlagStatus::Acknowledged, note, now)
}

fn set_status(
    store: &mut Store,
    flag_id: i64,
    status: FlagStatus,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ReviewFlag, ReviewError> {
    store
        .set_flag_status(flag_id, status.as_str(), note, now)?
        .ok_or(ReviewError::NotFound(flag_id))
}
