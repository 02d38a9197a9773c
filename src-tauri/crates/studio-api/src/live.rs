//! Live runs: missions started from the app that run in the background while the window follows
//! them (DESIGN §7, §11).
//!
//! [`LiveRuns`] starts a recorded run ([`StudioApi::run_recorded`]) on its own thread and keeps,
//! for each run it started: a broadcast of the events the history has committed (with their
//! `seq`), the run's cancellation token, and the approval requests waiting for an answer.
//!
//! [`LiveRuns::follow`] is `attach_run(run_id, after_seq)`: it subscribes to the broadcast
//! first, then replays from SQLite every event with `seq > after_seq`, then goes on with the live
//! events, dropping those already replayed. Since an event is broadcast only once committed, an
//! event missed by the subscription is in the replay: no gap and no duplicate. A finished run is
//! replayed only; a run recorded by another process (the CLI) is followed by polling the history.

mod dto;
mod follow;
mod sink;
mod state;
mod view;
pub use dto::*;
use sink::{LiveApprover, LiveSink};
pub use state::StateFieldDto;
pub(crate) use view::simulated_answer;

use crate::decisions::ApprovalDecisionDto;
use crate::{ApiError, ErrorCode, ResumePlan, StudioApi};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use studio_core::{Budget, Mission, Perimeter, RunStatus};
use studio_engine::approval::{ApprovalDecision, ApprovalRequest, Approver, DecisionFuture};
use studio_engine::pricing::{PriceTable, PRICE_FILE};
use studio_engine::tools::ToolRegistry;
use studio_engine::{
    CancellationToken, Event, EventSink, Governance, RunOptions, SinkError, Usage,
};
use tokio::sync::{broadcast, oneshot};
use ts_rs::TS;

/// Who answers approvals given in the window.
pub const UI_APPROVER: &str = "ui";
/// Events kept for a slow follower before it has to catch up from the history.
const BROADCAST_CAPACITY: usize = 2048;
/// How often a run recorded by another process is polled.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Finished runs kept in the registry (the most recent ones).
const KEEP_FINISHED: usize = 50;

type Listener = Arc<dyn Fn(LiveNotice) + Send + Sync>;

struct Pending {
    dto: ApprovalDto,
    request: ApprovalRequest,
    reply: oneshot::Sender<ApprovalDecision>,
}

/// The state of one run this registry started.
struct LiveRun {
    run_id: String,
    mission: Arc<Mission>,
    caps: BudgetCapsDto,
    simulate_llm: bool,
    started_at: String,
    cancel: CancellationToken,
    /// `None` once the run ended: followers then stop after the last event.
    tx: Mutex<Option<broadcast::Sender<Event>>>,
    last_seq: AtomicU64,
    state: Mutex<RunState>,
    pending: Mutex<BTreeMap<String, Pending>>,
    /// Resolved parameters shown in approval requests, by step.
    previews: Mutex<HashMap<String, Value>>,
    /// The answers given in the window, in order.
    decisions: Mutex<Vec<ApprovalDecisionDto>>,
    /// Where a person's edits of the typed state go while the run waits for an approval.
    desk: Arc<studio_engine::state_desk::StateDesk>,
    /// The final event of a run that ended before its first event (the squad's NATS server
    /// could not be reached, the run could not be set up): nothing reached the history, so
    /// followers get this one, and see the run end with its reason.
    refusal: Mutex<Option<Event>>,
}

#[derive(Default)]
struct RunState {
    status: Option<RunStatus>,
    usage: Usage,
    finished_at: Option<String>,
    error: Option<String>,
}

impl LiveRun {
    fn dto(&self) -> LiveRunDto {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        LiveRunDto {
            run_id: self.run_id.clone(),
            mission_id: self.mission.mission_id(),
            mission_name: self.mission.name.clone(),
            status: state
                .status
                .unwrap_or(RunStatus::Queued)
                .as_str()
                .to_string(),
            started_at: self.started_at.clone(),
            finished_at: state.finished_at.clone(),
            step_count: self.mission.steps.len() as u32,
            pending_approvals: self.pending.lock().unwrap_or_else(|p| p.into_inner()).len() as u32,
            last_seq: self.last_seq.load(Ordering::Acquire),
            usage: state.usage.into(),
            error: state.error.clone(),
        }
    }

    fn is_running(&self) -> bool {
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// Ends a run that never emitted an event with one `mission.failed` event that says why,
    /// kept for followers that attach later.
    fn refuse(&self, trace_id: &str, reason: &str) {
        let event = Event {
            event_type: studio_engine::EventType::final_for(RunStatus::Failed),
            mission_id: Arc::from(self.mission.mission_id().as_str()),
            run_id: Arc::from(self.run_id.as_str()),
            trace_id: Arc::from(trace_id),
            seq: 1,
            idempotency_key: format!("{}:-:0:mission.failed/refused", self.run_id),
            step_id: None,
            attempt: None,
            status: RunStatus::Failed,
            step_status: None,
            summary: format!("the run could not start: {reason}"),
            artifact_refs: Vec::new(),
            usage: Usage::default(),
            emitted_at: now(),
            detail: None,
        };
        self.last_seq.store(1, Ordering::Release);
        if let Some(tx) = self.tx.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = tx.send(event.clone());
        }
        *self.refusal.lock().unwrap_or_else(|p| p.into_inner()) = Some(event);
    }

    /// The final event of a run that could not start (see [`LiveRun::refuse`]).
    fn refusal(&self) -> Option<Event> {
        self.refusal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn subscribe(&self) -> Option<broadcast::Receiver<Event>> {
        self.tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|tx| tx.subscribe())
    }
}

/// The runs started from the app, followed live. Cheap to clone.
#[derive(Clone)]
pub struct LiveRuns {
    api: StudioApi,
    inner: Arc<Inner>,
}

struct Inner {
    runs: Mutex<Vec<Arc<LiveRun>>>,
    listener: Mutex<Option<Listener>>,
}

impl std::fmt::Debug for LiveRuns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveRuns").finish_non_exhaustive()
    }
}

impl LiveRuns {
    pub fn new(api: StudioApi) -> Self {
        Self {
            api,
            inner: Arc::new(Inner {
                runs: Mutex::new(Vec::new()),
                listener: Mutex::new(None),
            }),
        }
    }

    pub fn api(&self) -> &StudioApi {
        &self.api
    }

    /// Sets who hears about approvals and ended runs (the app shell).
    pub fn set_listener(&self, listener: impl Fn(LiveNotice) + Send + Sync + 'static) {
        *self
            .inner
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(listener));
    }

    /// Sets the listener unless one is set already.
    pub fn set_listener_once(&self, listener: impl Fn(LiveNotice) + Send + Sync + 'static) {
        let mut slot = self
            .inner
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(Arc::new(listener));
        }
    }

    /// `NotFound` unless the run is one of ours or is in the history.
    pub fn check_known(&self, run_id: &str) -> Result<(), ApiError> {
        if self.find(run_id).is_some() {
            return Ok(());
        }
        self.api.with_store(|s| Ok(s.run(run_id).map(|_| ())?))
    }

    fn notify(&self, notice: LiveNotice) {
        let listener = self
            .inner
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(listener) = listener {
            listener(notice);
        }
    }

    fn find(&self, run_id: &str) -> Option<Arc<LiveRun>> {
        self.inner
            .runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|r| r.run_id == run_id)
            .cloned()
    }

    /// Starts a recorded run in the background and returns its id. The mission is validated
    /// first: an invalid one is `InvalidInput` with every problem in the message.
    pub fn start(
        &self,
        source: RunSource,
        context: BTreeMap<String, Value>,
    ) -> Result<String, ApiError> {
        let mut resume = None;
        let mut operator = None;
        let (mission, origin) = match source {
            RunSource::ResumeWith { run_id, options } => {
                let plan = self.api.prepare_resume_options(&run_id, &options)?;
                operator = Some(match &options.perimeter {
                    Some(p) => Perimeter::from(p),
                    None => plan.operator.clone().unwrap_or_default(),
                });
                let mission = plan.mission.clone();
                let origin = plan
                    .recorded_file
                    .as_ref()
                    .map(|f| f.path.clone())
                    .or_else(|| {
                        self.api
                            .paths()
                            .builtin_templates_dir()
                            .map(|d| d.join("resumed"))
                    });
                resume = Some(plan);
                (mission, origin)
            }
            RunSource::Active {
                mission,
                origin,
                operator: active,
            } => {
                let name = origin
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "mission".into());
                let diagnostics = studio_core::validate_mission(&mission, &name);
                check_diagnostics(diagnostics, &name)?;
                operator = Some(active);
                (*mission, origin)
            }
            RunSource::Resume(from) => {
                let plan = self.api.prepare_resume(&from)?;
                // The earlier run's operator perimeter, as the Resume dialog starts from it.
                operator = plan.operator.clone();
                let mission = plan.mission.clone();
                resume = Some(plan);
                // The library's tools, as for a template run.
                let origin = self
                    .api
                    .paths()
                    .builtin_templates_dir()
                    .map(|d| d.join("resumed"));
                (mission, origin)
            }
            RunSource::File(path) => (self.load_valid(&path, &context)?, Some(path)),
            RunSource::Template(id) => {
                let path = self.api.get_template(&id)?.summary.path;
                (self.load_valid(&path, &context)?, Some(path))
            }
            RunSource::Mission { mission, origin } => {
                let name = origin
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "mission".into());
                let diagnostics = studio_core::validate_mission(&mission, &name);
                check_diagnostics(diagnostics, &name)?;
                (*mission, origin)
            }
        };
        let mission = Arc::new(mission);
        let data_dir = self.api.paths().data_dir().to_path_buf();
        let mut governance = app_governance(origin.as_deref(), &data_dir)?;
        if let Some(operator) = operator {
            governance.operator = operator;
        }
        // The Settings switch: every model call of runs started from the app is simulated.
        governance.simulate_llm = self.api.settings()?.simulate_llm;
        // Settings name a NATS server: the steps run on the departments' workers.
        let nats = self.api.nats_url()?;
        if nats.is_some() {
            crate::squad::check_departments(&mission)
                .map_err(|m| ApiError::new(ErrorCode::InvalidInput, m))?;
        }
        let cancel = CancellationToken::new();
        let mut options = RunOptions::new(PathBuf::new()).with_cancel(cancel.clone());
        // A resume starts from the earlier run's inputs; inputs given now override them.
        let mut inputs = resume
            .as_ref()
            .map(|p| p.context.clone())
            .unwrap_or_default();
        inputs.extend(context);
        options.context = inputs;
        let run_id = options.run_id.clone();
        let caps = BudgetCapsDto::from(&governance.effective_perimeter(&mission).budget);
        let (tx, _) = broadcast::channel(BROADCAST_CAPACITY);
        let run = Arc::new(LiveRun {
            run_id: run_id.clone(),
            mission: Arc::clone(&mission),
            caps,
            simulate_llm: governance.simulate_llm,
            started_at: now(),
            cancel,
            tx: Mutex::new(Some(tx)),
            last_seq: AtomicU64::new(0),
            state: Mutex::new(RunState {
                status: Some(RunStatus::Queued),
                ..Default::default()
            }),
            pending: Mutex::new(BTreeMap::new()),
            previews: Mutex::new(HashMap::new()),
            decisions: Mutex::new(Vec::new()),
            desk: studio_engine::state_desk::StateDesk::new(),
            refusal: Mutex::new(None),
        });
        options.state_desk = Some(Arc::clone(&run.desk));
        governance.approver = Arc::new(LiveApprover {
            runs: self.clone(),
            run: Arc::downgrade(&run),
        });
        options.governance = governance;
        {
            let mut runs = self.inner.runs.lock().unwrap_or_else(|p| p.into_inner());
            runs.push(Arc::clone(&run));
            // Forget the oldest finished runs beyond the limit.
            let finished = runs.iter().filter(|r| !r.is_running()).count();
            if finished > KEEP_FINISHED {
                let mut drop = finished - KEEP_FINISHED;
                runs.retain(|r| {
                    if drop > 0 && !r.is_running() {
                        drop -= 1;
                        false
                    } else {
                        true
                    }
                });
            }
        }
        let this = self.clone();
        let sink = LiveSink {
            run: Arc::clone(&run),
            runs: self.clone(),
        };
        std::thread::Builder::new()
            .name(format!("run-{}", &run_id[..8.min(run_id.len())]))
            .spawn(move || this.drive(run, options, sink, resume, origin, nats))
            .map_err(|e| {
                ApiError::new(ErrorCode::Internal, format!("cannot start the run: {e}"))
            })?;
        Ok(run_id)
    }

    /// The run's thread: its own runtime, the recorded run, then the end.
    fn drive(
        &self,
        run: Arc<LiveRun>,
        options: RunOptions,
        sink: LiveSink,
        resume: Option<ResumePlan>,
        origin: Option<PathBuf>,
        nats: Option<String>,
    ) {
        let trace_id = options.trace_id.clone();
        let outcome = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("run-worker")
            .enable_all()
            .build()
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))
            .and_then(|rt| {
                rt.block_on(async {
                    let mut options = options;
                    if let Some(url) = &nats {
                        let dispatcher =
                            crate::squad::SquadDispatcher::connect(url, &options.run_id)
                                .await
                                .map_err(|e| {
                                    ApiError::new(
                                        ErrorCode::Io,
                                        format!(
                                    "{e} (the NATS URL is set in Settings; clear it to run here)"
                                ),
                                    )
                                })?;
                        options.dispatcher = Some(Arc::new(dispatcher));
                    }
                    match &resume {
                        Some(plan) => self.api.resume_recorded(plan, options, sink).await,
                        None => match origin.as_deref().filter(|p| p.is_file()) {
                            Some(file) => {
                                self.api
                                    .run_recorded_file(&run.mission, file, options, sink)
                                    .await
                            }
                            None => self.api.run_recorded(&run.mission, options, sink).await,
                        },
                    }
                })
            });
        if let Err(e) = &outcome {
            if run.last_seq.load(Ordering::Acquire) == 0 {
                run.refuse(&trace_id, &e.message);
            }
        }
        // Followers stop after the last event; then the run reads as finished.
        *run.tx.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let status = {
            let mut state = run.state.lock().unwrap_or_else(|p| p.into_inner());
            match &outcome {
                Ok(done) => {
                    state.status = Some(done.result.status);
                    state.usage = done.result.usage;
                    state.error = done.history_error.clone();
                }
                Err(e) => {
                    state.status = Some(RunStatus::Failed);
                    state.error = Some(e.message.clone());
                }
            }
            state.finished_at.get_or_insert_with(now);
            state.status.unwrap_or(RunStatus::Failed)
        };
        // Requests left unanswered are dropped (the engine already stopped waiting).
        let dropped = std::mem::take(&mut *run.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if !dropped.is_empty() {
            self.approvals_changed();
        }
        self.notify(LiveNotice::Ended {
            run_id: run.run_id.clone(),
            mission_name: run.mission.name.clone(),
            status: status.as_str().to_string(),
        });
    }

    fn approvals_changed(&self) {
        let pending = self.pending_approvals().len();
        self.notify(LiveNotice::ApprovalsChanged { pending });
    }

    /// The runs started from this app, newest first.
    pub fn list(&self) -> Vec<LiveRunDto> {
        let runs = self.inner.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.iter().rev().map(|r| r.dto()).collect()
    }

    /// Every approval request waiting for an answer, oldest first.
    pub fn pending_approvals(&self) -> Vec<ApprovalDto> {
        let runs: Vec<Arc<LiveRun>> = self
            .inner
            .runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut out: Vec<ApprovalDto> = runs
            .iter()
            .flat_map(|r| {
                r.pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .values()
                    .map(|p| p.dto.clone())
                    .collect::<Vec<_>>()
            })
            .collect();
        out.sort_by(|a, b| a.requested_at.cmp(&b.requested_at));
        out
    }

    /// Approves or denies a waiting step (`who` = "ui"). Unknown run or no such request:
    /// `NotFound`.
    pub fn answer_approval(
        &self,
        run_id: &str,
        step_id: &str,
        approve: bool,
        note: Option<String>,
    ) -> Result<(), ApiError> {
        let run = self.find(run_id).ok_or_else(|| unknown_live(run_id))?;
        let pending = run
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(step_id)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotFound,
                    format!("step `{step_id}` of run {run_id} is not waiting for approval"),
                )
            })?;
        let mut decision = if approve {
            ApprovalDecision::approve(&pending.request, UI_APPROVER)
        } else {
            ApprovalDecision::deny(&pending.request, UI_APPROVER)
        };
        decision.note = note.filter(|n| !n.trim().is_empty());
        run.decisions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(ApprovalDecisionDto {
                step_id: step_id.to_string(),
                status: if approve { "approved" } else { "denied" }.to_string(),
                decided_by: Some(UI_APPROVER.to_string()),
                note: decision.note.clone(),
                decided_at: Some(now()),
                why: pending.dto.why.clone(),
            });
        let _ = pending.reply.send(decision);
        self.approvals_changed();
        Ok(())
    }

    /// Cancels a run started from this app: running steps are cancelled and their process
    /// trees killed, unstarted ones skipped. Cancelling a finished run does nothing.
    pub fn cancel(&self, run_id: &str) -> Result<(), ApiError> {
        let run = self.find(run_id).ok_or_else(|| unknown_live(run_id))?;
        run.cancel.cancel();
        Ok(())
    }
}

fn unknown_live(run_id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!("run {run_id} was not started by this app (or has been forgotten)"),
    )
}

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Refuses a mission whose diagnostics hold an error, with the full report (pointing into
/// `origin` when that file is what was loaded).
fn check_diagnostics(
    diagnostics: Vec<studio_core::Diagnostic>,
    name: &str,
) -> Result<(), ApiError> {
    if !studio_core::has_errors(&diagnostics) {
        return Ok(());
    }
    let check = crate::check::FileCheck::without_source(name, diagnostics);
    Err(ApiError::invalid_mission(check.report()))
}

impl LiveRuns {
    /// Loads and validates a mission file, knowing the run's inputs and the configured
    /// providers.
    fn load_valid(
        &self,
        path: &Path,
        inputs: &BTreeMap<String, Value>,
    ) -> Result<Mission, ApiError> {
        let options = crate::check::CheckOptions {
            validate: self.api.validate_options(inputs.keys().cloned().collect()),
            strict: false,
        };
        let check = crate::check::check_file(path, &options);
        if !check.is_valid() {
            return Err(ApiError::invalid_mission(check.report()));
        }
        let report = check.report();
        check
            .loaded
            .map(|l| l.mission)
            .ok_or_else(|| ApiError::invalid_mission(report))
    }
}

/// The governance of a run started from the app: the global caps of
/// `<data dir>/perimeter.yaml`, the library's tools and `<data dir>/tools/`, the price table.
/// The approver is set by the caller.
pub(crate) fn app_governance(
    origin: Option<&Path>,
    data_dir: &Path,
) -> Result<Governance, ApiError> {
    let invalid = |e: String| ApiError::new(ErrorCode::InvalidInput, e);
    let global = match std::fs::read_to_string(data_dir.join("perimeter.yaml")) {
        Ok(text) => studio_core::parse_perimeter(&text).map_err(|e| {
            invalid(format!(
                "{}: {e}",
                data_dir.join("perimeter.yaml").display()
            ))
        })?,
        Err(_) => Perimeter::default(),
    };
    let mut dirs = Vec::new();
    if let Some(dir) = origin.and_then(library_tools_dir) {
        dirs.push(dir);
    }
    dirs.push(data_dir.join("tools"));
    let tools = ToolRegistry::load_dirs(&dirs).map_err(|e| invalid(e.to_string()))?;
    let prices = PriceTable::default()
        .with_overrides(&data_dir.join(PRICE_FILE))
        .map_err(|e| invalid(e.to_string()))?;
    Ok(Governance {
        global,
        tools: Arc::new(tools),
        prices,
        ..Default::default()
    })
}

/// The `missions/tools/` folder of the library a mission file belongs to.
pub(crate) fn library_tools_dir(mission_file: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(mission_file).ok()?;
    for dir in start.ancestors().skip(1) {
        if dir.file_name().is_some_and(|n| n == "missions") && dir.join("tools").is_dir() {
            return Some(dir.join("tools"));
        }
        if dir.join("missions").join("tools").is_dir() {
            return Some(dir.join("missions").join("tools"));
        }
    }
    None
}
