//! Which workers are live, per department, as their heartbeats say: read once from the
//! heartbeats bucket, then kept up to date from `studio.workers.*`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use studio_squad::subjects::WORKERS_SUBJECTS;
use studio_squad::{async_nats, Heartbeat, Squad};
use tokio::sync::Notify;

use super::LIVE_FOR;

#[derive(Default)]
pub(crate) struct LiveWorkers {
    /// dept → worker id → when its last heartbeat was seen here.
    seen: Mutex<HashMap<String, HashMap<String, Instant>>>,
    changed: Notify,
}

impl LiveWorkers {
    /// Starts watching; the task ends when the returned handle is aborted.
    pub(crate) async fn watch(
        squad: &Squad,
        client: async_nats::Client,
    ) -> Result<(Arc<Self>, tokio::task::JoinHandle<()>), String> {
        let live = Arc::new(Self::default());
        let mut beats = client
            .subscribe(WORKERS_SUBJECTS)
            .await
            .map_err(|e| format!("cannot watch worker heartbeats: {e}"))?;
        if let Ok(mut keys) = squad.heartbeats.keys().await {
            while let Some(Ok(key)) = keys.next().await {
                if let Ok(Some(beat)) = studio_squad::last_heartbeat(squad, &key).await {
                    live.note(&beat);
                }
            }
        }
        let task_live = Arc::clone(&live);
        let task = tokio::spawn(async move {
            while let Some(message) = beats.next().await {
                if let Ok(beat) = serde_json::from_slice::<Heartbeat>(&message.payload) {
                    task_live.note(&beat);
                }
            }
        });
        Ok((live, task))
    }

    fn note(&self, beat: &Heartbeat) {
        let now_s = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let age = Duration::from_secs(now_s.saturating_sub(beat.at_unix_s));
        let Some(seen_at) = Instant::now().checked_sub(age) else {
            return;
        };
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.entry(beat.dept.clone())
            .or_default()
            .insert(beat.worker_id.clone(), seen_at);
        drop(seen);
        self.changed.notify_waiters();
    }

    /// Whether the department has a live worker now.
    pub(crate) fn has_live(&self, dept: &str) -> bool {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(dept)
            .is_some_and(|workers| workers.values().any(|at| at.elapsed() < LIVE_FOR))
    }

    /// Waits until the department has a live worker.
    pub(crate) async fn wait_for(&self, dept: &str) {
        loop {
            let changed = self.changed.notified();
            if self.has_live(dept) {
                return;
            }
            let _ = tokio::time::timeout(Duration::from_millis(500), changed).await;
        }
    }
}
