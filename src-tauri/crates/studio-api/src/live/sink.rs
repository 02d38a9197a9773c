//! The run's side of the registry: the sink that broadcasts committed events, and the approver
//! that keeps requests until the window answers.

use super::*;

/// Receives the events the history committed and broadcasts them to the followers.
pub(super) struct LiveSink {
    pub(super) run: Arc<LiveRun>,
    pub(super) runs: LiveRuns,
}

impl EventSink for LiveSink {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        {
            let mut state = self.run.state.lock().unwrap_or_else(|p| p.into_inner());
            state.status = Some(event.status);
            state.usage = event.usage;
        }
        self.run.last_seq.store(event.seq, Ordering::Release);
        if let Some(tx) = self
            .run
            .tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            // No follower is not an error.
            let _ = tx.send(event.clone());
        }
        if event.event_type == studio_engine::EventType::Blocked {
            self.runs.notify(LiveNotice::Blocked {
                run_id: self.run.run_id.clone(),
                mission_name: self.run.mission.name.clone(),
                step_id: event.step_id.as_deref().unwrap_or_default().to_string(),
            });
        }
        Ok(())
    }
}

/// Keeps each approval request of a run until the window answers it.
pub(super) struct LiveApprover {
    pub(super) runs: LiveRuns,
    pub(super) run: std::sync::Weak<LiveRun>,
}

impl Approver for LiveApprover {
    fn decide(&self, request: ApprovalRequest) -> DecisionFuture {
        let (reply, answer) = oneshot::channel();
        let copy = request.clone();
        let Some(run) = self.run.upgrade() else {
            return Box::pin(async move {
                ApprovalDecision::unavailable(&copy, "the run is no longer followed")
            });
        };
        let dto = ApprovalDto {
            run_id: request.run_id.clone(),
            mission_id: request.mission_id.clone(),
            mission_name: run.mission.name.clone(),
            step_id: request.step_id.clone(),
            step_type: request.step_type.clone(),
            tool: request.tool.clone(),
            tool_sector: request.tool_sector.clone(),
            side_effects: request.side_effects.clone(),
            estimated_cost_usd: request.estimated_cost_usd,
            why: request.why.clone(),
            preview: request.preview.clone(),
            step_hash: request.step_hash.clone(),
            requested_at: now(),
        };
        run.previews
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(request.step_id.clone(), request.preview.clone());
        let step_id = request.step_id.clone();
        run.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                step_id.clone(),
                Pending {
                    dto,
                    request,
                    reply,
                },
            );
        self.runs.approvals_changed();
        let runs = self.runs.clone();
        let weak = self.run.clone();
        Box::pin(async move {
            // If the run stops waiting (cancelled), the guard withdraws the request.
            let _guard = Withdraw {
                runs,
                run: weak,
                step_id,
            };
            answer.await.unwrap_or_else(|_| {
                ApprovalDecision::unavailable(&copy, "the approval request was dropped")
            })
        })
    }
}

/// Removes a request nobody answered once its run stops waiting for it.
struct Withdraw {
    runs: LiveRuns,
    run: std::sync::Weak<LiveRun>,
    step_id: String,
}

impl Drop for Withdraw {
    fn drop(&mut self) {
        let Some(run) = self.run.upgrade() else {
            return;
        };
        let removed = run
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.step_id)
            .is_some();
        if removed {
            self.runs.approvals_changed();
        }
    }
}
