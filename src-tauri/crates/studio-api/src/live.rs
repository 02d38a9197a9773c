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

mod state;
pub use state::StateFieldDto;

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

/// One run event as the window receives it (Mission Envelope v1, camelCase).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "RunEventDto.ts")]
pub struct RunEventDto {
    /// `mission.accepted`, `mission.progress`, `mission.blocked`, `mission.artifact`, or one of
    /// the final `mission.completed | failed | cancelled | timed_out`.
    pub event_type: String,
    pub mission_id: String,
    pub run_id: String,
    pub seq: u64,
    /// What happened to the step: `started`, `retry`, `finished`, `skipped`, `blocked`,
    /// `artifact`; `accepted` / `final` for run events.
    pub phase: String,
    pub step_id: Option<String>,
    pub attempt: Option<u32>,
    #[ts(
        type = "\"queued\" | \"running\" | \"blocked\" | \"completed\" | \"failed\" | \"cancelled\" | \"timed_out\""
    )]
    pub status: String,
    #[ts(
        type = "\"pending\" | \"running\" | \"blocked\" | \"success\" | \"failed\" | \"skipped\" | \"cancelled\" | null"
    )]
    pub step_status: Option<String>,
    pub summary: String,
    pub artifact_refs: Vec<String>,
    pub usage: UsageDto,
    /// RFC 3339, milliseconds.
    pub emitted_at: String,
    /// The structured record behind the summary, where there is one: an agent's turn or tool
    /// call (`{agent: {iteration, call?, tool?, decision?, input?, output?, error?,
    /// cost_usd?}}`), a chain's call (`{chain: {...}}`).
    #[ts(type = "Record<string, any> | null")]
    pub detail: Option<serde_json::Value>,
}

/// What a run has consumed so far.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "UsageDto.ts")]
pub struct UsageDto {
    /// The time that counts against the runtime caps (waits for approval left out).
    pub runtime_ms: u64,
    pub llm_calls: u64,
    pub tokens: u64,
    pub cost_usd: f64,
    /// Time spent waiting only for a person's approval (not counted against the caps).
    pub approval_wait_ms: u64,
}

impl From<Usage> for UsageDto {
    fn from(u: Usage) -> Self {
        Self {
            runtime_ms: u.runtime_ms,
            llm_calls: u.llm_calls,
            tokens: u.tokens,
            cost_usd: u.cost_usd,
            approval_wait_ms: u.approval_wait_ms,
        }
    }
}

impl From<&Event> for RunEventDto {
    fn from(e: &Event) -> Self {
        let phase = e
            .idempotency_key
            .rsplit_once('/')
            .map(|(_, p)| p.to_string())
            .unwrap_or_default();
        Self {
            event_type: e.event_type.as_str().to_string(),
            mission_id: e.mission_id.to_string(),
            run_id: e.run_id.to_string(),
            seq: e.seq,
            phase,
            step_id: e.step_id.as_deref().map(str::to_string),
            attempt: e.attempt,
            status: e.status.as_str().to_string(),
            step_status: e.step_status.map(|s| s.as_str().to_string()),
            summary: e.summary.clone(),
            artifact_refs: e.artifact_refs.clone(),
            usage: e.usage.into(),
            emitted_at: e.emitted_at.clone(),
            detail: e.detail.clone(),
        }
    }
}

/// An approval request waiting for the operator: exactly what will run.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "ApprovalDto.ts")]
pub struct ApprovalDto {
    pub run_id: String,
    pub mission_id: String,
    pub mission_name: String,
    pub step_id: String,
    pub step_type: String,
    pub tool: String,
    pub tool_sector: String,
    /// `none`, `workspace` or `external`.
    pub side_effects: String,
    /// The attempt's worst case (what the budget reserved), USD.
    pub estimated_cost_usd: f64,
    /// The rule that asked for approval.
    pub why: String,
    /// The resolved parameters (program and args, HTTP request, prompt…), secrets masked.
    #[ts(type = "unknown")]
    pub preview: Value,
    pub step_hash: String,
    pub requested_at: String,
}

/// A run this app started, as the Runs page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "LiveRunDto.ts")]
pub struct LiveRunDto {
    pub run_id: String,
    pub mission_id: String,
    pub mission_name: String,
    #[ts(
        type = "\"queued\" | \"running\" | \"blocked\" | \"completed\" | \"failed\" | \"cancelled\" | \"timed_out\""
    )]
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub step_count: u32,
    pub pending_approvals: u32,
    pub last_seq: u64,
    pub usage: UsageDto,
    /// Why the run could not start, when it could not.
    pub error: Option<String>,
}

/// Budget caps of a run (the effective perimeter); `null` = no cap.
#[derive(Debug, Clone, PartialEq, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "BudgetCapsDto.ts")]
pub struct BudgetCapsDto {
    pub max_cost_usd: Option<f64>,
    pub max_tokens: Option<u64>,
    pub max_llm_calls: Option<u64>,
    pub max_steps: Option<u64>,
    pub max_runtime_minutes: Option<f64>,
}

impl From<&Budget> for BudgetCapsDto {
    fn from(b: &Budget) -> Self {
        Self {
            max_cost_usd: b.max_cost_usd,
            max_tokens: b.max_tokens,
            max_llm_calls: b.max_llm_calls,
            max_steps: b.max_steps,
            max_runtime_minutes: b.max_runtime_minutes,
        }
    }
}

/// One step of a run's graph, with what is known of it now.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "RunStepDto.ts")]
pub struct RunStepDto {
    pub id: String,
    pub name: Option<String>,
    pub step_type: String,
    pub depends_on: Vec<String>,
    #[ts(
        type = "\"pending\" | \"running\" | \"blocked\" | \"success\" | \"failed\" | \"skipped\" | \"cancelled\""
    )]
    pub status: String,
    pub attempts: u32,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub duration_ms: u64,
    pub timeout_seconds: Option<u64>,
    pub continue_on_error: bool,
    /// Why the step's answer is not real: `simulation` (the mission's `simulation` block
    /// answers it, nothing runs) or `model` (the built-in simulated provider answered its
    /// model call). Absent for a step that really ran.
    #[ts(type = "\"simulation\" | \"model\" | null")]
    pub simulated: Option<String>,
}

/// A run's graph and state: what the run view opens with.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "RunViewDto.ts")]
pub struct RunViewDto {
    pub run_id: String,
    pub mission_id: String,
    pub mission_name: String,
    #[ts(
        type = "\"queued\" | \"running\" | \"blocked\" | \"completed\" | \"failed\" | \"cancelled\" | \"timed_out\""
    )]
    pub status: String,
    pub reason: Option<String>,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// Started by this app and still followed live.
    pub live: bool,
    pub steps: Vec<RunStepDto>,
    pub caps: BudgetCapsDto,
    pub usage: UsageDto,
    pub evidence_dir: Option<String>,
    /// Every model call of the run was answered by the simulated provider (`--simulate-llm`,
    /// the Settings switch).
    pub simulate_llm: bool,
    /// The approval requests answered so far: by whom, and their notes.
    pub approvals: Vec<ApprovalDecisionDto>,
    /// The mission's typed state fields (`state_schema`); their values come with the events.
    pub state_fields: Vec<state::StateFieldDto>,
}

/// One step in full, for the step drawer.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "StepDetailDto.ts")]
pub struct StepDetailDto {
    pub step: RunStepDto,
    pub description: Option<String>,
    /// The parameters as the mission declares them (`{{…}}` references unresolved).
    #[ts(type = "unknown")]
    pub parameters: Value,
    /// The parameters as resolved for the attempt, when the step asked for approval.
    #[ts(type = "unknown")]
    pub resolved_parameters: Option<Value>,
    #[ts(type = "unknown")]
    pub output: Option<Value>,
    pub error: Option<String>,
    pub reused_from: Option<String>,
}

/// What to run.
#[derive(Debug, Clone)]
pub enum RunSource {
    /// A mission file (YAML or JSON), validated first.
    File(PathBuf),
    /// A template of the library, by id.
    Template(String),
    /// A mission already loaded; `origin` (its file, when it has one) finds the library's tools.
    Mission {
        mission: Box<Mission>,
        origin: Option<PathBuf>,
    },
    /// "Resume from failure" of an earlier run, by id: a new run linked to it that reuses the
    /// outputs of the steps that succeeded, under the same perimeter as any run of the app.
    Resume(String),
    /// A resume with the Resume dialog's choices: the operator perimeter (the earlier run's
    /// when none is given) and the recorded mission or the mission file as it is now (see
    /// [`crate::resume`]).
    ResumeWith {
        run_id: String,
        options: crate::resume::ResumeOptions,
    },
    /// An active mission: its template's mission (with the template's own perimeter), run
    /// under the active mission's perimeter as the operator's.
    Active {
        mission: Box<Mission>,
        origin: Option<PathBuf>,
        operator: Perimeter,
    },
}

/// What the host hears about (to emit window events and desktop notifications).
#[derive(Debug, Clone, PartialEq)]
pub enum LiveNotice {
    /// The number of approval requests waiting, across runs, changed.
    ApprovalsChanged { pending: usize },
    /// A step of a run waits for approval.
    Blocked {
        run_id: String,
        mission_name: String,
        step_id: String,
    },
    /// A run ended (or could not start).
    Ended {
        run_id: String,
        mission_name: String,
        status: String,
    },
}

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

    /// The run's graph and its state now: from the registry for a live run, else from the
    /// history.
    pub fn run_view(&self, run_id: &str) -> Result<RunViewDto, ApiError> {
        let live = self.find(run_id);
        let (summary, rows) = match self
            .api
            .with_store(|s| Ok((s.run(run_id)?, s.steps(run_id)?)))
        {
            Ok(found) => (Some(found.0), found.1),
            Err(e) if e.code == ErrorCode::NotFound && live.is_some() => (None, Vec::new()),
            Err(e) => return Err(e),
        };
        let (mission, caps) = match &live {
            Some(run) => (Arc::clone(&run.mission), run.caps.clone()),
            None => {
                let source = self.api.with_store(|s| Ok(s.resume_source(run_id)?))?;
                let mission: Mission = serde_json::from_value(source.mission).map_err(|e| {
                    ApiError::new(
                        ErrorCode::Internal,
                        format!("the stored mission of run {run_id} cannot be read: {e}"),
                    )
                })?;
                let caps = summary
                    .as_ref()
                    .and_then(|s| s.evidence_dir.as_deref())
                    .map(caps_from_meta)
                    .unwrap_or_default();
                (Arc::new(mission), caps)
            }
        };
        let by_id: HashMap<&str, &studio_store::StepRow> =
            rows.iter().map(|r| (r.step_id.as_str(), r)).collect();
        let steps = mission
            .steps
            .iter()
            .map(|s| step_dto(&mission, s, by_id.get(s.id.as_str()).copied()))
            .collect();
        let live_dto = live.as_ref().map(|r| r.dto());
        let approvals = self.decisions(run_id, live.as_deref());
        Ok(match summary {
            Some(sum) => RunViewDto {
                run_id: sum.run_id,
                mission_id: sum.mission_id,
                mission_name: sum.mission_name,
                status: sum.status.as_str().to_string(),
                reason: sum.reason,
                started_at: sum.started_at,
                finished_at: sum.finished_at,
                live: live.as_ref().is_some_and(|r| r.is_running()),
                steps,
                caps,
                usage: sum.usage.into(),
                simulate_llm: live.as_ref().map_or_else(
                    || meta_says_simulated(sum.evidence_dir.as_deref()),
                    |r| r.simulate_llm,
                ),
                evidence_dir: sum.evidence_dir,
                approvals,
                state_fields: state::fields(&mission),
            },
            None => {
                let d = live_dto.expect("a live run when the history has none");
                RunViewDto {
                    run_id: d.run_id,
                    mission_id: d.mission_id,
                    mission_name: d.mission_name,
                    status: d.status,
                    reason: d.error,
                    started_at: d.started_at,
                    finished_at: d.finished_at,
                    live: live.as_ref().is_some_and(|r| r.is_running()),
                    steps,
                    caps,
                    usage: d.usage,
                    evidence_dir: None,
                    simulate_llm: live.as_ref().is_some_and(|r| r.simulate_llm),
                    approvals,
                    state_fields: state::fields(&mission),
                }
            }
        })
    }

    /// The approval answers of a run: those recorded in the history, else those given in this
    /// window while it runs.
    fn decisions(&self, run_id: &str, live: Option<&LiveRun>) -> Vec<ApprovalDecisionDto> {
        let stored = self.api.approvals(run_id).unwrap_or_default();
        if !stored.is_empty() {
            return stored.iter().map(Into::into).collect();
        }
        live.map(|r| {
            r.decisions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
        })
        .unwrap_or_default()
    }

    /// One step in full (the step drawer).
    pub fn step_detail(&self, run_id: &str, step_id: &str) -> Result<StepDetailDto, ApiError> {
        let live = self.find(run_id);
        let row = self
            .api
            .with_store(|s| Ok(s.steps(run_id)?))
            .unwrap_or_default()
            .into_iter()
            .find(|r| r.step_id == step_id);
        let mission = match &live {
            Some(run) => Arc::clone(&run.mission),
            None => {
                let source = self.api.with_store(|s| Ok(s.resume_source(run_id)?))?;
                Arc::new(serde_json::from_value(source.mission).map_err(|e| {
                    ApiError::new(ErrorCode::Internal, format!("stored mission: {e}"))
                })?)
            }
        };
        let step = mission
            .steps
            .iter()
            .find(|s| s.id == step_id)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotFound,
                    format!("run {run_id} has no step `{step_id}`"),
                )
            })?;
        let resolved = match &live {
            Some(run) => run
                .previews
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(step_id)
                .cloned(),
            None => None,
        };
        Ok(StepDetailDto {
            step: step_dto(&mission, step, row.as_ref()),
            description: step.description.clone(),
            parameters: step.parameters.clone(),
            resolved_parameters: resolved,
            output: row.as_ref().and_then(|r| r.output.clone()),
            error: row.as_ref().and_then(|r| r.error.clone()),
            reused_from: row.and_then(|r| r.reused_from),
        })
    }

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

fn step_dto(
    mission: &Mission,
    step: &studio_core::Step,
    row: Option<&studio_store::StepRow>,
) -> RunStepDto {
    RunStepDto {
        simulated: simulated_answer(mission, step, row.and_then(|r| r.output.as_ref()))
            .map(str::to_string),
        id: step.id.clone(),
        name: step.name.clone(),
        step_type: step.step_type.clone(),
        depends_on: step.depends_on.clone(),
        status: row
            .map(|r| r.status.as_str())
            .unwrap_or("pending")
            .to_string(),
        attempts: row.map_or(0, |r| r.attempts),
        started_at: row.and_then(|r| r.started_at.clone()),
        finished_at: row.and_then(|r| r.finished_at.clone()),
        duration_ms: row.map_or(0, |r| r.duration_ms),
        timeout_seconds: step.timeout_seconds,
        continue_on_error: step.continue_on_error.unwrap_or(false),
    }
}

/// Why a step's answer is simulated (see [`RunStepDto::simulated`]), from the mission as run
/// and the step's recorded output.
pub(crate) fn simulated_answer(
    mission: &Mission,
    step: &studio_core::Step,
    output: Option<&Value>,
) -> Option<&'static str> {
    if mission.simulated_tool(step).is_some() {
        return Some("simulation");
    }
    let by_model = output
        .and_then(|o| o.get("simulated"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    (matches!(step.step_type.as_str(), "llm" | "agent" | "chain") && by_model).then_some("model")
}

/// The caps recorded in a run's `meta.json` (its effective perimeter).
fn caps_from_meta(evidence_dir: &str) -> BudgetCapsDto {
    let path = Path::new(evidence_dir).join("meta.json");
    let budget = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v.get("perimeter")?.get("budget").cloned())
        .and_then(|b| serde_json::from_value::<Budget>(b).ok())
        .unwrap_or_default();
    BudgetCapsDto::from(&budget)
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

/// Whether a recorded run simulated every model call, as its `meta.json` says.
fn meta_says_simulated(evidence_dir: Option<&str>) -> bool {
    let Some(dir) = evidence_dir else {
        return false;
    };
    std::fs::read_to_string(Path::new(dir).join("meta.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|meta| meta.get("simulate_llm").and_then(Value::as_bool))
        .unwrap_or(false)
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

/// Receives the events the history committed and broadcasts them to the followers.
struct LiveSink {
    run: Arc<LiveRun>,
    runs: LiveRuns,
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
struct LiveApprover {
    runs: LiveRuns,
    run: std::sync::Weak<LiveRun>,
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
