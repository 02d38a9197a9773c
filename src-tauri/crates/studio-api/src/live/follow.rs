//! `attach_run(run_id, after_seq)`: the history's events, then the live ones, without gaps or
//! duplicates.

use super::*;

impl LiveRuns {
    /// `attach_run(run_id, after_seq)`: hands `deliver` every event of the run with
    /// `seq > after_seq`, in order, without gaps or duplicates: first the history's, then the
    /// live ones, until the final event (or until `deliver` returns false: the window is gone).
    /// A finished run is replayed only. Unknown run: `NotFound`.
    pub async fn follow(
        &self,
        run_id: &str,
        after_seq: u64,
        mut deliver: impl FnMut(&Event) -> bool + Send,
    ) -> Result<(), ApiError> {
        let live = self.find(run_id);
        // Subscribe before reading the history, so nothing falls between the two.
        let mut rx = live.as_ref().and_then(|r| r.subscribe());
        if live.is_none() {
            // Not ours: the history must know it.
            self.api.with_store(|s| Ok(s.run(run_id).map(|_| ())?))?;
        }
        let mut last = after_seq;
        let replay = |last: &mut u64, deliver: &mut dyn FnMut(&Event) -> bool| {
            let events = self.api.with_store(|s| Ok(s.events(run_id, *last)?))?;
            let mut ended = false;
            for e in &events {
                if e.seq <= *last {
                    continue;
                }
                *last = e.seq;
                ended |= e.event_type.is_final();
                if !deliver(e) {
                    return Ok::<_, ApiError>(Some(true));
                }
            }
            Ok(Some(ended).filter(|e| *e))
        };
        if replay(&mut last, &mut deliver)?.is_some() {
            return Ok(());
        }
        // A run that could not start: its one event is kept with it, not in the history.
        let refused = |last: u64, deliver: &mut dyn FnMut(&Event) -> bool| match live
            .as_ref()
            .and_then(|r| r.refusal())
        {
            Some(e) => {
                if e.seq > last {
                    deliver(&e);
                }
                true
            }
            None => false,
        };
        if refused(last, &mut deliver) {
            return Ok(());
        }
        match rx.as_mut() {
            Some(rx) => loop {
                match rx.recv().await {
                    Ok(e) => {
                        if e.seq <= last {
                            continue;
                        }
                        if e.seq > last + 1 {
                            // Should not happen (the broadcast carries every committed event);
                            // fill from the history rather than skip.
                            if replay(&mut last, &mut deliver)?.is_some() {
                                return Ok(());
                            }
                            if e.seq <= last {
                                continue;
                            }
                        }
                        last = e.seq;
                        if !deliver(&e) || e.event_type.is_final() {
                            return Ok(());
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Too slow for the broadcast: catch up from the history.
                        if replay(&mut last, &mut deliver)?.is_some() {
                            return Ok(());
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => {
                        // The run ended: whatever was committed last is in the history.
                        replay(&mut last, &mut deliver)?;
                        refused(last, &mut deliver);
                        return Ok(());
                    }
                }
            },
            None => {
                // A finished run of ours, or a run of another process: poll until it ends.
                loop {
                    let status = self.api.with_store(|s| Ok(s.run(run_id)?.status))?;
                    if replay(&mut last, &mut deliver)?.is_some() || status.is_final() {
                        return Ok(());
                    }
                    if live.as_ref().is_some_and(|r| !r.is_running()) {
                        return Ok(());
                    }
                    tokio::time::sleep(POLL_INTERVAL).await;
                }
            }
        }
    }
}
