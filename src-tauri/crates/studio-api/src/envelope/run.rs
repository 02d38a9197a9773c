//! One accepted dispatch, from `mission.accepted` to its one final event.
//!
//! 1. `mission.accepted` (status `queued`).
//! 2. The autonomy window: before `start_at` the mission is `mission.blocked` and waits (a
//!    cancel still ends it); when `end_at` has already passed it is blocked, then
//!    `mission.timed_out` (`autonomy_window_closed`) without running. While it runs, reaching
//!    `end_at` stops it: `mission.timed_out`.
//! 3. The run, through [`StudioApi`] like a local one (history, evidence folder), its workspace
//!    seeded from the VP session's; heartbeats every `heartbeat_interval_seconds` as
//!    `mission.progress`; the engine's step milestones, blocks (approvals) and artifacts.
//! 4. The final event, with the artifact index and a next action. A required output that is
//!    missing makes it `mission.failed`, naming it. The dispatch (success criteria included)
//!    is kept in the evidence folder as `envelope.json`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use studio_core::import::envelope::ReportCadence;
use studio_engine::{CancellationToken, RunOptions};
use studio_squad::EnvelopeWire;

use super::callback::{CallbackPolicy, CallbackQueue};
use super::emit::{Emitter, SharedTracker, Tracker, WireSink};
use super::event::{self, WireEvent};
use super::payload::Dispatch;
use super::session::{self, Session};
use super::Log;
use crate::StudioApi;

/// What a worker gives each mission.
#[derive(Clone)]
pub(crate) struct MissionContext {
    pub api: StudioApi,
    pub wire: EnvelopeWire,
    pub worker_id: String,
    pub callback: CallbackPolicy,
    pub log: Log,
}

/// How the mission ended, before it becomes the final event.
struct Ending {
    status: &'static str,
    summary: String,
    reason: Option<String>,
    artifacts: Vec<String>,
    evidence_dir: Option<String>,
}

/// Runs one accepted dispatch to its final event.
pub(crate) async fn run_dispatch(ctx: MissionContext, dispatch: Dispatch) {
    let ids = dispatch.ids.clone();
    let allocated = ids.vp_session_id.is_none();
    let session_id = session::session_id(&ids.vp_id, ids.vp_session_id.as_deref());
    let callback = dispatch
        .callback
        .as_ref()
        .and_then(|t| CallbackQueue::start(t, ctx.callback, &ids.mission_id, Arc::clone(&ctx.log)));
    let tracker: SharedTracker = Arc::new(Mutex::new(Tracker {
        steps_total: dispatch.mission.steps.len(),
        status: "queued".into(),
        ..Tracker::default()
    }));
    let (emitter, task) = Emitter::start(
        ctx.wire.clone(),
        ids.clone(),
        session_id.clone(),
        ctx.worker_id.clone(),
        callback,
        Arc::clone(&tracker),
        Arc::clone(&ctx.log),
    );
    let objective = dispatch.mission.objective.clone().unwrap_or_default();
    emitter.send(emitter.event(
        event::ACCEPTED,
        "queued",
        format!(
            "accepted by worker {}: {}",
            ctx.worker_id,
            short(&objective)
        ),
        "accepted",
    ));
    for w in &dispatch.warnings {
        (ctx.log)(&format!("note: mission {}: {w}", ids.mission_id));
    }
    let cancel = CancellationToken::new();
    let watcher = watch_cancel(&ctx, &ids.mission_id, cancel.clone()).await;
    let cadence = dispatch.cadence;
    let heartbeat = dispatch
        .heartbeat
        .map(|every| spawn_heartbeat(emitter.clone(), Arc::clone(&tracker), every, cadence));

    let ending = match wait_for_window(&emitter, &dispatch, &cancel).await {
        Err(ending) => ending,
        Ok(()) => {
            let session = Session::open(
                ctx.api.paths(),
                &ids.vp_id,
                &session_id,
                allocated,
                ids.vp_runtime_id.as_deref(),
                &ids.mission_id,
            );
            match session {
                Ok(session) => {
                    run_mission(&ctx, &dispatch, &emitter, &tracker, &cancel, &session).await
                }
                Err(e) => Ending {
                    status: "failed",
                    summary: format!("the VP session could not be opened: {e}"),
                    reason: Some("session_unavailable".into()),
                    artifacts: Vec::new(),
                    evidence_dir: None,
                },
            }
        }
    };
    if let Some(h) = heartbeat {
        h.abort();
    }
    if let Some(w) = watcher {
        w.abort();
    }
    let t = tracker.lock().map(|t| t.clone()).unwrap_or_default();
    let final_type = event::final_type(ending.status);
    let mut last: WireEvent = emitter.event(final_type, ending.status, ending.summary, "final");
    last.reason = ending.reason.clone();
    last.artifact_refs = ending.artifacts;
    last.run_id = t.run_id;
    last.usage = t.usage.into();
    last.evidence_dir = ending.evidence_dir.clone();
    last.next_action = Some(next_action(ending.status, ending.reason.as_deref()));
    if let Some(dir) = &ending.evidence_dir {
        keep_dispatch(dir, &dispatch, &session_id, &last);
    }
    emitter.send(last);
    drop(emitter);
    task.finish().await;
}

/// Follows the mission's cancel subject; the first request cancels `token`.
async fn watch_cancel(
    ctx: &MissionContext,
    mission_id: &str,
    token: CancellationToken,
) -> Option<tokio::task::JoinHandle<()>> {
    use futures_util::StreamExt;
    match ctx.wire.follow_cancels(mission_id).await {
        Ok(stream) => Some(tokio::spawn(async move {
            let mut stream = Box::pin(stream);
            if stream.next().await.is_some() {
                token.cancel();
            }
        })),
        Err(e) => {
            (ctx.log)(&format!(
                "warning: mission {mission_id}: cancel requests cannot be followed: {e}"
            ));
            None
        }
    }
}

/// A `mission.progress` heartbeat every `every`. With the `milestone` cadence, only after a
/// whole interval without any event (the milestones already say the mission is alive).
fn spawn_heartbeat(
    emitter: Emitter,
    tracker: SharedTracker,
    every: Duration,
    cadence: ReportCadence,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut n = 0u64;
        loop {
            tokio::time::sleep(every).await;
            let t = tracker.lock().map(|t| t.clone()).unwrap_or_default();
            let quiet = t.last_sent.is_none_or(|at| at.elapsed() >= every);
            if cadence == ReportCadence::Milestone && !quiet {
                continue;
            }
            n += 1;
            let doing = match &t.current_step {
                Some(step) if t.status == "running" => format!(", at step `{step}`"),
                _ => String::new(),
            };
            let mut e = emitter.event(
                event::PROGRESS,
                &t.status,
                format!(
                    "heartbeat {n}: {}, {}/{} steps done{doing}",
                    t.status, t.steps_done, t.steps_total
                ),
                &format!("heartbeat/{n}"),
            );
            e.run_id = t.run_id.clone();
            e.usage = t.usage.into();
            emitter.send(e);
        }
    })
}

/// Holds the mission until its window opens. `Err` is how it ends instead of running.
async fn wait_for_window(
    emitter: &Emitter,
    dispatch: &Dispatch,
    cancel: &CancellationToken,
) -> Result<(), Ending> {
    let now = chrono::Utc::now();
    let window = dispatch.window;
    let ended = |summary: String, status: &'static str, reason: &str| Ending {
        status,
        summary,
        reason: Some(reason.into()),
        artifacts: Vec::new(),
        evidence_dir: None,
    };
    if let Some(end) = window.end_at.filter(|e| *e <= now) {
        let mut e = emitter.event(
            event::BLOCKED,
            "blocked",
            format!("outside its autonomy window: it closed at {end}; the mission will not run"),
            "window/closed",
        );
        e.reason = Some("outside_autonomy_window".into());
        emitter.send(e);
        return Err(ended(
            format!(
                "timed out: the autonomy window closed at {end} before the mission could start"
            ),
            "timed_out",
            "autonomy_window_closed",
        ));
    }
    let Some(start) = window.start_at.filter(|s| *s > now) else {
        return Ok(());
    };
    let mut e = emitter.event(
        event::BLOCKED,
        "blocked",
        format!("outside its autonomy window: waiting until it opens at {start}"),
        "window/wait",
    );
    e.reason = Some("outside_autonomy_window".into());
    emitter.send(e);
    let wait = (start - now).to_std().unwrap_or_default();
    tokio::select! {
        _ = tokio::time::sleep(wait) => {
            emitter.send(emitter.event(
                event::PROGRESS,
                "running",
                format!("the autonomy window opened at {start}: starting"),
                "window/open",
            ));
            Ok(())
        }
        _ = cancel.cancelled() => Err(ended(
            "cancelled while waiting for its autonomy window".into(),
            "cancelled",
            "cancelled",
        )),
    }
}

async fn run_mission(
    ctx: &MissionContext,
    dispatch: &Dispatch,
    emitter: &Emitter,
    tracker: &SharedTracker,
    cancel: &CancellationToken,
    session: &Session,
) -> Ending {
    let mut options = RunOptions::new(std::path::PathBuf::new());
    options.trace_id = dispatch.ids.trace_id.clone();
    options.cancel = cancel.clone();
    // The window's end stops the run.
    let window_closed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let closer = dispatch.window.end_at.map(|end| {
        let token = cancel.clone();
        let flag = Arc::clone(&window_closed);
        let wait = (end - chrono::Utc::now()).to_std().unwrap_or_default();
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            token.cancel();
        })
    });
    let sink = WireSink {
        emitter: emitter.clone(),
        tracker: Arc::clone(tracker),
        cadence: dispatch.cadence,
    };
    let ran = ctx
        .api
        .run_recorded_seeded(&dispatch.mission, options, sink, &session.workspace())
        .await;
    if let Some(c) = closer {
        c.abort();
    }
    let outcome = match ran {
        Ok(o) => o,
        Err(e) => {
            return Ending {
                status: "failed",
                summary: format!("the mission could not start: {e}"),
                reason: Some("refused".into()),
                artifacts: Vec::new(),
                evidence_dir: None,
            }
        }
    };
    let result = &outcome.result;
    session.keep_artifacts(&outcome.evidence_dir.join("workspace"), &result.artifacts);
    let evidence_dir = Some(outcome.evidence_dir.display().to_string());
    let missing = missing_outputs(&outcome.evidence_dir, &dispatch.required_outputs);
    let closed = window_closed.load(std::sync::atomic::Ordering::SeqCst);
    let (status, summary, reason) = match result.status.as_str() {
        "cancelled" if closed => (
            "timed_out",
            "timed out: its autonomy window closed while it ran".to_string(),
            Some("autonomy_window_closed".to_string()),
        ),
        "completed" if !missing.is_empty() => (
            "failed",
            format!("failed: required output(s) missing: {}", missing.join(", ")),
            Some(format!("required_outputs_missing: {}", missing.join(", "))),
        ),
        "completed" => (
            "completed",
            format!(
                "completed: {} artifact(s): {}",
                result.artifacts.len(),
                result.artifacts.join(", ")
            ),
            None,
        ),
        "cancelled" => (
            "cancelled",
            "cancelled by the control plane".to_string(),
            Some("cancelled".to_string()),
        ),
        other => {
            let reason = result.reason.clone().unwrap_or_else(|| other.to_string());
            let status = if other == "timed_out" {
                "timed_out"
            } else {
                "failed"
            };
            (status, format!("{status}: {reason}"), Some(reason))
        }
    };
    Ending {
        status,
        summary,
        reason,
        artifacts: result.artifacts.clone(),
        evidence_dir,
    }
}

/// The required outputs the run did not leave in `outputs/` (as the evidence folder lists).
fn missing_outputs(evidence_dir: &std::path::Path, required: &[String]) -> Vec<String> {
    let meta = std::fs::read_to_string(evidence_dir.join("meta.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<studio_pack::Meta>(&t).ok());
    required
        .iter()
        .filter(|name| {
            let listed = meta.as_ref().is_some_and(|m| {
                m.outputs.iter().any(|o| o == *name) && !m.outputs_missing.contains(name)
            });
            !(listed || evidence_dir.join("outputs").join(name).is_file())
        })
        .cloned()
        .collect()
}

/// `envelope.json` in the evidence folder: the dispatch, its success criteria and its end.
fn keep_dispatch(dir: &str, dispatch: &Dispatch, session_id: &str, last: &WireEvent) {
    let doc = json!({
        "mission_id": dispatch.ids.mission_id,
        "vp_id": dispatch.ids.vp_id,
        "vp_session_id": session_id,
        "vp_runtime_id": dispatch.ids.vp_runtime_id,
        "trace_id": dispatch.ids.trace_id,
        "idempotency_key": dispatch.ids.idempotency_key,
        "success_criteria": dispatch.success_criteria,
        "required_outputs": dispatch.required_outputs,
        "final": {
            "event_type": last.event_type,
            "status": last.status,
            "summary": last.summary,
            "reason": last.reason,
            "next_action": last.next_action,
            "artifact_refs": last.artifact_refs,
        },
        "dispatch": dispatch.payload,
    });
    let _ = session::write_json(&std::path::Path::new(dir).join("envelope.json"), &doc);
}

/// What the control plane should do after a final state.
fn next_action(status: &str, reason: Option<&str>) -> String {
    let reason = reason.unwrap_or("");
    match status {
        "completed" => "review the artifacts against the success criteria, then close the mission".into(),
        "cancelled" => "none: the mission was cancelled; dispatch it again (new idempotency_key) to redo it".into(),
        "timed_out" if reason.contains("autonomy_window") => {
            "widen or move the autonomy_window and dispatch again with a new idempotency_key".into()
        }
        "timed_out" => "raise budget.max_runtime_minutes or split the objective, then dispatch again".into(),
        _ if reason.contains("approval") => {
            "approve the tools in constraints.approval_required on the worker, or drop them, then dispatch again".into()
        }
        _ if reason.contains("budget") => "raise the budget or narrow the objective, then dispatch again".into(),
        _ if reason.contains("required_outputs") => {
            "check artifact_policy.required_outputs against what the mission produces, then dispatch again".into()
        }
        _ => "read the reason and the run's evidence, fix the payload or the worker, then dispatch again with a new idempotency_key".into(),
    }
}

fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() > 80 {
        format!("{}…", line.chars().take(80).collect::<String>())
    } else {
        line.to_string()
    }
}
