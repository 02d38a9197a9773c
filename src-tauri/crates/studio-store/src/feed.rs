//! Following the whole history as it is written: every event row of every run, in commit
//! order (`event_id`), from any process. A follower (a monitor, the concurrency test's latency
//! probe) keeps the last id it saw and asks for what came after.

use crate::{Store, StoreError};
use rusqlite::params;

/// Where and when one stored event was emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStamp {
    /// The row's id: increases with every insert, so rows come in commit order.
    pub event_id: i64,
    pub run_id: String,
    pub seq: u64,
    /// When the engine emitted it (RFC 3339, milliseconds).
    pub emitted_at: String,
}

impl Store {
    /// Up to `limit` event rows stored after row `after_id` (0: from the first), oldest first.
    pub fn events_after_id(
        &self,
        after_id: i64,
        limit: usize,
    ) -> Result<Vec<EventStamp>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT event_id, run_id, seq, emitted_at FROM events
             WHERE event_id > ?1 ORDER BY event_id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after_id, limit as i64], |r| {
            Ok(EventStamp {
                event_id: r.get(0)?,
                run_id: r.get(1)?,
                seq: r.get::<_, i64>(2)? as u64,
                emitted_at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
