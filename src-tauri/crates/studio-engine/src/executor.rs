//! The scheduler: walks the sealed DAG with the semantics of DESIGN §4.
//!
//! One task (the caller's) owns all run state: it resolves parameters, starts ready steps in
//! declaration order while fewer than `max_concurrent_steps` run, and reacts to the messages that
//! step tasks send back. Only steps that wait on something (processes, files, network) become
//! tokio tasks; `noop` and simulated steps finish inline. No locks, no per-step hashing.

use crate::budget::Reservation;
use crate::events::{Event, EventSink, EventType, StepRecord, Usage};
use crate::gate::{Gate, GateRequest, GateSetup, PendingAsk, Refusal, RefusalKind, Verdict};
use crate::governance::{self, Governance, Prepared};
use crate::graph::Dag;
use crate::plan::Plan;
use crate::redact::Redactor;
use crate::result::{Link, RunResult, StepResult, StepResults};
use crate::state::MissionState;
use crate::steps::{
    self, Failure, FailureKind, RunSetup, Shared, StepCtx, StepKind, StepOutput, Workspace,
};
use crate::timefmt;
use crate::vars::{self, Scope, StepLookup};
use crate::wait_clock::WaitClock;
use crate::EngineError;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use studio_core::{Mission, RunStatus, StepStatus};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

mod remote_steps;
mod state_edits;

/// Default bound on running steps when the mission sets none.
pub const DEFAULT_MAX_CONCURRENT_STEPS: usize = 8;
/// Default pause between attempts when the mission sets none.
pub const DEFAULT_RETRY_DELAY_MS: u64 = 1000;
/// How long a step may take to clean up (kill and reap its processes) once interrupted.
const INTERRUPT_GRACE: Duration = Duration::from_secs(5);

/// Everything a run needs besides the mission.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub run_id: String,
    pub trace_id: String,
    /// The run's workspace folder (created if missing). File steps are confined to it and
    /// commands start in it.
    pub workspace: PathBuf,
    /// Run inputs, read as `{{context.<name>}}` or `{{<name>}}` (`--var name=value`); they
    /// override the mission's `variables` and declared `parameters` defaults.
    pub context: BTreeMap<String, Value>,
    /// Values for `{{env.NAME}}`; `None` reads the process environment.
    pub env: Option<BTreeMap<String, String>>,
    /// Cancelling it cancels the run (the UI's button, Ctrl-C).
    pub cancel: CancellationToken,
    /// Outputs of an earlier run to reuse, by step id (`mission resume`): such a step does not
    /// run; it succeeds at once with the output (its `state:` writes apply again).
    pub reuse: BTreeMap<String, ReusedOutput>,
    /// The perimeter, tools, approver, audit sinks and prices of the run (DESIGN §6).
    pub governance: Governance,
    /// The knowledge store of the `rag_*` steps: `knowledge.db` in the data folder, so every
    /// run reads what earlier ones added. `None` (a host without a data folder, tests): each
    /// run keeps its own in its workspace, `.knowledge/knowledge.db`.
    pub knowledge_store: Option<PathBuf>,
    /// Hands the run's steps to a squad's workers instead of running them here (`--nats`);
    /// `None` runs every step in this process. See [`crate::remote`].
    pub dispatcher: Option<Arc<dyn crate::remote::StepDispatcher>>,
    /// Where a person's edits of the typed state arrive while the run waits for an approval
    /// (see [`crate::state_desk`]); `None`: nobody edits.
    pub state_desk: Option<Arc<crate::state_desk::StateDesk>>,
}

/// A step output taken over from an earlier run.
#[derive(Debug, Clone, PartialEq)]
pub struct ReusedOutput {
    /// The run that produced the output.
    pub from_run: String,
    pub output: Value,
}

impl RunOptions {
    /// Options with fresh run and trace ids.
    pub fn new(workspace: impl Into<PathBuf>) -> Self {
        Self {
            run_id: crate::new_run_id(),
            trace_id: crate::new_trace_id(),
            workspace: workspace.into(),
            context: BTreeMap::new(),
            env: None,
            cancel: CancellationToken::new(),
            reuse: BTreeMap::new(),
            governance: Governance::default(),
            knowledge_store: None,
            dispatcher: None,
            state_desk: None,
        }
    }

    pub fn with_governance(mut self, governance: Governance) -> Self {
        self.governance = governance;
        self
    }

    /// Reuses an earlier run's output for a step instead of running it.
    pub fn with_reused(mut self, step_id: impl Into<String>, reused: ReusedOutput) -> Self {
        self.reuse.insert(step_id.into(), reused);
        self
    }

    pub fn with_var(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.context.insert(name.into(), value.into());
        self
    }

    pub fn with_cancel(mut self, cancel: CancellationToken) -> Self {
        self.cancel = cancel;
        self
    }
}

/// Runs a mission to its end and returns the result. Errors are refusals before the start
/// (a broken graph, an unavailable step type, a workspace that cannot be opened); everything
/// that happens once the run started is in the [`RunResult`].
pub async fn run_mission(
    mission: &Mission,
    options: RunOptions,
    sink: &mut dyn EventSink,
) -> Result<RunResult, EngineError> {
    Executable::compile(mission)?.run(options, sink).await
}

/// A mission compiled for the executor: its sealed graph and each step's settings, what
/// [`run_mission`] makes before every run. Compile once to run the same mission several times
/// (or to refuse a broken graph before anything else is set up); it borrows the mission, so it
/// cannot be run with another one.
pub struct Executable<'m> {
    mission: &'m Mission,
    dag: Dag,
    specs: Vec<StepSpec>,
    /// Step indexes in the order of their ids (the order of the run's step results).
    by_id: Vec<u32>,
}

impl<'m> Executable<'m> {
    /// Seals the graph (refusing duplicate ids, unknown dependencies and cycles) and fixes each
    /// step's settings (refusing a step type that is not available).
    pub fn compile(mission: &'m Mission) -> Result<Self, EngineError> {
        let dag = Dag::build(&mission.steps)?;
        let specs = StepSpec::all(mission)?;
        let by_id = sorted_by_id(&specs);
        Ok(Self {
            mission,
            dag,
            specs,
            by_id,
        })
    }

    pub fn mission(&self) -> &'m Mission {
        self.mission
    }

    pub fn dag(&self) -> &Dag {
        &self.dag
    }

    /// Runs the mission to its end; see [`run_mission`].
    pub async fn run(
        &self,
        options: RunOptions,
        sink: &mut dyn EventSink,
    ) -> Result<RunResult, EngineError> {
        let mut options = options;
        // Run inputs: the mission's defaults (`variables`, declared `parameters`), then what
        // the run gives (`--var`).
        let mut context = self.mission.input_defaults();
        context.append(&mut options.context);
        if let Some(missing) = self
            .mission
            .required_inputs()
            .find(|d| !context.contains_key(&d.name))
        {
            return Err(EngineError::MissingInput(missing.name.clone()));
        }
        options.context = context;
        let workspace =
            Workspace::open(&options.workspace).map_err(|source| EngineError::Workspace {
                path: options.workspace.clone(),
                source,
            })?;
        let run = Run::new(self, options, workspace, sink);
        Ok(run.execute().await)
    }
}

/// How a step is carried out.
#[derive(Debug, Clone)]
enum Action {
    Real(StepKind),
    /// `simulation.enabled` with a tool of this step's type (or id): the static response.
    Simulated(Value),
}

/// The per-step settings, fixed before the start.
struct StepSpec {
    id: Arc<str>,
    /// The id's first 8 bytes as a big-endian integer (the key the results are sorted by).
    id_prefix: u64,
    step_type: Arc<str>,
    action: Action,
    max_attempts: u32,
    timeout: Option<Duration>,
    continue_on_error: bool,
}

impl StepSpec {
    fn all(mission: &Mission) -> Result<Vec<Self>, EngineError> {
        let config = mission.config();
        // One shared copy of each step type's name.
        let mut types: Vec<Arc<str>> = Vec::new();
        let mut type_of = |name: &str| match types.iter().find(|t| ***t == *name) {
            Some(t) => Arc::clone(t),
            None => {
                let t: Arc<str> = Arc::from(name);
                types.push(Arc::clone(&t));
                t
            }
        };
        mission
            .steps
            .iter()
            .map(|step| {
                let simulated = mission.simulated_tool(step);
                let action = match (simulated, StepKind::parse(&step.step_type)) {
                    (Some(tool), _) => Action::Simulated(tool.static_response.clone()),
                    (None, Some(kind)) => Action::Real(kind),
                    (None, None) => {
                        return Err(EngineError::UnavailableStepType {
                            step: step.id.clone(),
                            step_type: step.step_type.clone(),
                        })
                    }
                };
                let retries = step.retry_attempts.or(config.retry_attempts).unwrap_or(0);
                Ok(Self {
                    id: Arc::from(step.id.as_str()),
                    id_prefix: id_prefix(&step.id),
                    step_type: type_of(&step.step_type),
                    action,
                    max_attempts: retries.saturating_add(1),
                    timeout: step.timeout_seconds.map(Duration::from_secs),
                    continue_on_error: step.continue_on_error.unwrap_or(false),
                })
            })
            .collect()
    }
}

/// What happens to one step during the run.
///
/// Kept small (88 bytes): a run holds one per step, and a large run's slots are the biggest
/// thing it allocates. Times are moments of the run ([`Mark`]); the rare `reused_from` lives
/// in [`Run::reused_from`].
struct Slot {
    status: StepStatus,
    attempts: u32,
    /// Dependencies not yet final.
    remaining: u32,
    /// The first dependency that ended in a way that does not let this step run
    /// ([`NOT_BLOCKED`]: none).
    blocked_by: u32,
    started: Mark,
    finished: Mark,
    output: Option<Value>,
    error: Option<String>,
}

const NOT_BLOCKED: u32 = u32::MAX;

impl Slot {
    /// Start to end, in whole milliseconds (0 until both are known).
    fn duration_ms(&self) -> u64 {
        match (self.started.nanos(), self.finished.nanos()) {
            (Some(s), Some(f)) => f.saturating_sub(s) / 1_000_000,
            _ => 0,
        }
    }
}

/// A moment of the run, in nanoseconds since it started (or not yet reached).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark(u64);

impl Mark {
    const NONE: Self = Self(u64::MAX);

    fn of(since: Duration) -> Self {
        Self(u64::try_from(since.as_nanos()).unwrap_or(u64::MAX - 1))
    }

    fn nanos(self) -> Option<u64> {
        (self != Self::NONE).then_some(self.0)
    }

    /// The wall-clock time of the moment, given when the run started.
    fn at(self, run_started_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.nanos()
            .map(|n| run_started_at + chrono::TimeDelta::nanoseconds(n as i64))
    }
}

/// Messages from step tasks to the scheduler.
enum Msg {
    Retry {
        idx: u32,
        attempt: u32,
        error: String,
        delay_ms: u64,
    },
    Done {
        idx: u32,
        attempts: u32,
        result: Result<StepOutput, Failure>,
    },
    /// An `agent` or `chain` step did something: a model turn, a tool call, a wait for
    /// approval.
    Agent {
        idx: u32,
        note: steps::agents::AgentNote,
    },
    /// A dispatcher reported on a step it holds (waiting for a worker, taken by one).
    Remote {
        idx: u32,
        note: crate::remote::DispatchNote,
    },
    /// The approver answered for a blocked step.
    Decided {
        idx: u32,
        launch: Box<Launch>,
        result: Result<Reservation, Refusal>,
    },
}

/// A step that passed (or waits on) the gate, ready to dispatch.
struct Launch {
    prepared: Prepared,
    reservation: Option<Reservation>,
    /// The resolved parameters with secrets masked (approval previews), when the run knows
    /// secrets; otherwise the parameters are shown as they are.
    preview: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    FailFast,
    TimedOut,
    Cancelled,
}

struct Run<'a> {
    mission: &'a Mission,
    dag: &'a Dag,
    specs: &'a [StepSpec],
    by_id: &'a [u32],
    slots: Vec<Slot>,
    /// Step ids to indexes, built the first time a reference needs it.
    index: Option<crate::graph::IdIndex<'a>>,
    ready: BinaryHeap<Reverse<u32>>,
    /// Scratch list of [`Run::release`], kept between calls.
    releasing: Vec<(u32, bool)>,
    running: usize,
    max_concurrent: usize,
    fail_fast: bool,
    retry_delay_ms: u64,
    global_timeout: Option<Duration>,
    /// Steps blocked on approval (each also counts in `running`).
    blocked: usize,
    stop: Option<Stop>,
    reason: Option<String>,
    failed_steps: usize,
    state: MissionState,
    secrets: Redactor,
    links: Vec<Link>,
    artifacts: Vec<String>,
    config_value: Value,
    workspace_text: String,
    context: BTreeMap<String, Value>,
    env: Option<BTreeMap<String, String>>,
    reuse: BTreeMap<String, ReusedOutput>,
    shared: Arc<Shared>,
    /// Hands steps to a squad's workers (see [`crate::remote`]).
    dispatcher: Option<Arc<dyn crate::remote::StepDispatcher>>,
    /// A person's edits of the typed state (see [`crate::state_desk`]).
    state_desk: Option<Arc<crate::state_desk::StateDesk>>,
    gate: Arc<Gate>,
    governance: Governance,
    /// Steps that reused the output of an earlier run, and that run's id.
    reused_from: BTreeMap<u32, String>,
    /// Steps whose approval came in, waiting to be dispatched by [`Run::start`].
    approved_launch: HashMap<u32, Launch>,
    run_token: CancellationToken,
    user_cancel: CancellationToken,
    tx: mpsc::UnboundedSender<Msg>,
    rx: mpsc::UnboundedReceiver<Msg>,
    emitter: Emitter<'a>,
    started_at: DateTime<Utc>,
    started: Instant,
}

impl<'a> Run<'a> {
    fn new(
        executable: &'a Executable<'_>,
        options: RunOptions,
        workspace: Workspace,
        sink: &'a mut dyn EventSink,
    ) -> Self {
        let (mission, dag, specs) = (executable.mission, &executable.dag, &executable.specs[..]);
        let by_id = &executable.by_id[..];
        let config = mission.config();
        let slots = dag
            .indegrees()
            .iter()
            .map(|&remaining| Slot {
                status: StepStatus::Pending,
                attempts: 0,
                remaining,
                blocked_by: NOT_BLOCKED,
                started: Mark::NONE,
                finished: Mark::NONE,
                output: None,
                error: None,
            })
            .collect();
        let effective = studio_core::MissionConfig {
            timeout_seconds: config.timeout_seconds,
            fail_fast: Some(config.fail_fast.unwrap_or(true)),
            max_concurrent_steps: Some(
                config
                    .max_concurrent_steps
                    .unwrap_or(DEFAULT_MAX_CONCURRENT_STEPS)
                    .max(1),
            ),
            retry_attempts: Some(config.retry_attempts.unwrap_or(0)),
            retry_delay_ms: Some(config.retry_delay_ms.unwrap_or(DEFAULT_RETRY_DELAY_MS)),
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let mission_id: Arc<str> = Arc::from(mission.mission_id().as_str());
        let started = Instant::now();
        let started_at = timefmt::now();
        let governance = options.governance;
        let perimeter = governance.effective_perimeter(mission);
        let runtime_cap = perimeter
            .budget
            .max_runtime_minutes
            .map(|m| Duration::from_secs_f64((m * 60.0).max(0.001)));
        let global_timeout = match (config.timeout_seconds.map(Duration::from_secs), runtime_cap) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut secrets = Redactor::default();
        match &options.env {
            Some(map) => secrets.add_secret_env(
                map.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                &governance.secret_env,
            ),
            None => {
                let vars: Vec<(String, String)> = std::env::vars().collect();
                secrets.add_secret_env(
                    vars.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    &governance.secret_env,
                )
            }
        }
        let landlock = if perimeter.sandbox == studio_core::Sandbox::ReadOnly {
            crate::sandbox::support()
        } else {
            crate::sandbox::LandlockSupport {
                abi: 0,
                enforced: false,
                network: false,
            }
        };
        let setup = RunSetup {
            llm_context: governance::llm_context(mission, &perimeter),
            prices: governance.prices.clone(),
            env: options.env.clone(),
            confine_commands_to: (perimeter.sandbox == studio_core::Sandbox::ReadOnly
                && landlock.enforced)
                .then(|| workspace.root().clone()),
            providers: Arc::clone(&governance.providers),
            simulate_llm: governance.simulate_llm,
            granted_roots: perimeter.roots.iter().map(PathBuf::from).collect(),
            trusted_host_keys: perimeter.trusted_host_keys.clone(),
            knowledge_store: options.knowledge_store.clone(),
        };
        let gate = Arc::new(
            Gate::new(GateSetup {
                perimeter,
                mission_id: mission_id.to_string(),
                mission_sector: mission.sector.clone(),
                run_id: options.run_id.clone(),
                trace_id: options.trace_id.clone(),
                approver: Arc::clone(&governance.approver),
                audit: governance.audit.clone(),
                pre_approved: governance.pre_approved.clone(),
                landlock,
            })
            .with_global_caps(governance.global.budget.clone().unwrap_or_default()),
        );
        Self {
            mission,
            slots,
            index: None,
            ready: BinaryHeap::new(),
            releasing: Vec::new(),
            running: 0,
            max_concurrent: effective.max_concurrent_steps.unwrap_or(1),
            fail_fast: effective.fail_fast.unwrap_or(true),
            retry_delay_ms: effective.retry_delay_ms.unwrap_or(0),
            global_timeout,
            blocked: 0,
            stop: None,
            reason: None,
            failed_steps: 0,
            state: MissionState::new(mission.state_schema.as_ref()),
            secrets,
            links: Vec::new(),
            artifacts: Vec::new(),
            config_value: serde_json::to_value(&effective).unwrap_or(Value::Null),
            workspace_text: workspace.root().display().to_string(),
            context: options.context,
            env: options.env,
            reuse: options.reuse,
            shared: Arc::new(Shared::with_setup(workspace, setup)),
            dispatcher: options.dispatcher,
            state_desk: options.state_desk,
            gate: Arc::clone(&gate),
            governance,
            reused_from: BTreeMap::new(),
            approved_launch: HashMap::new(),
            run_token: options.cancel.child_token(),
            user_cancel: options.cancel,
            tx,
            rx,
            emitter: Emitter::new(
                sink,
                mission_id,
                Arc::from(options.run_id.as_str()),
                Arc::from(options.trace_id.as_str()),
                gate,
                started_at,
                started,
            ),
            started_at,
            started,
            dag,
            specs,
            by_id,
        }
    }

    async fn execute(mut self) -> RunResult {
        let n = self.slots.len();
        self.emitter.emit(
            EventType::Accepted,
            None,
            "accepted",
            RunStatus::Running,
            None,
            format!("run accepted: {} steps", n),
            Vec::new(),
        );
        for i in 0..n as u32 {
            if self.slots[i as usize].remaining == 0 {
                self.ready.push(Reverse(i));
            }
        }
        // The deadline moves out by every wait for approval (see `wait_clock`); while the run
        // waits only for a person, it has none.
        let start = tokio::time::Instant::now();
        let mut deadline = self.global_timeout.map(|t| start + t);
        let sleep =
            tokio::time::sleep_until(deadline.unwrap_or_else(|| {
                tokio::time::Instant::now() + Duration::from_secs(86_400 * 365)
            }));
        tokio::pin!(sleep);
        let user_cancel = self.user_cancel.clone();
        let cancelled = user_cancel.cancelled();
        tokio::pin!(cancelled);
        let desk = self.state_desk.clone();

        loop {
            if self.stop.is_none() && self.user_cancel.is_cancelled() {
                self.halt(Stop::Cancelled, "cancelled by the operator".into());
            }
            if self.stop.is_none()
                && !self.emitter.wait.is_waiting()
                && deadline.is_some_and(|d| tokio::time::Instant::now() >= d)
            {
                let reason = self.timeout_reason();
                self.halt(Stop::TimedOut, reason);
            }
            while self.stop.is_none() && self.running < self.max_concurrent {
                let Some(Reverse(i)) = self.ready.pop() else {
                    break;
                };
                self.start(i);
            }
            if self.running == 0 && (self.ready.is_empty() || self.stop.is_some()) {
                break;
            }
            if self.note_waiting() {
                deadline = self
                    .global_timeout
                    .map(|t| start + t + self.emitter.wait.ended_waits());
                if let Some(d) = deadline {
                    sleep.as_mut().reset(d);
                }
            }
            let waiting = self.emitter.wait.is_waiting();
            tokio::select! {
                biased;
                msg = self.rx.recv() => {
                    if let Some(msg) = msg {
                        self.handle(msg);
                    }
                    while let Ok(msg) = self.rx.try_recv() {
                        self.handle(msg);
                    }
                }
                _ = &mut cancelled, if self.stop.is_none() => {
                    self.halt(Stop::Cancelled, "cancelled by the operator".into());
                }
                _ = state_edits::arrive(desk.as_deref()) => {
                    for edit in desk.iter().flat_map(|d| d.take()) {
                        self.edit_state(edit);
                    }
                }
                _ = &mut sleep, if deadline.is_some() && self.stop.is_none() && !waiting => {
                    let reason = self.timeout_reason();
                    self.halt(Stop::TimedOut, reason);
                }
            }
        }
        // What `process_start` steps left running ends with the run, however it ended.
        self.shared.processes.shutdown().await;
        self.finish()
    }

    /// Stops the run: running steps are cancelled (their process groups killed), nothing new
    /// starts. The first reason wins.
    fn halt(&mut self, stop: Stop, reason: String) {
        if self.stop.is_some() {
            return;
        }
        self.stop = Some(stop);
        self.reason = Some(reason);
        self.run_token.cancel();
    }

    fn start(&mut self, i: u32) {
        let idx = i as usize;
        if !self.reuse.is_empty() {
            if let Some(reused) = self.reuse.remove(&*self.specs[idx].id) {
                self.mark_started(idx);
                self.reused_from.insert(i, reused.from_run);
                return self.complete(i, 0, Ok(StepOutput::new(reused.output)));
            }
        }
        let approved = if self.approved_launch.is_empty() {
            None
        } else {
            self.approved_launch.remove(&i)
        };
        let launch = match approved {
            Some(launch) => launch,
            None => {
                let params = match self.resolve_params(idx) {
                    Ok(p) => p,
                    Err(message) => {
                        self.mark_started(idx);
                        self.complete(i, 1, Err(Failure::new(message)));
                        return;
                    }
                };
                match self.govern(i, params) {
                    Some(launch) => launch,
                    None => return,
                }
            }
        };
        let Launch {
            mut prepared,
            reservation,
            preview,
        } = launch;
        // Later attempts pass the gate again with the prepared call; one attempt needs no copy.
        let params = if self.specs[idx].max_attempts > 1 {
            prepared.params.clone()
        } else {
            std::mem::take(&mut prepared.params)
        };
        let now = self.emitter.now();
        let slot = &mut self.slots[idx];
        slot.status = StepStatus::Running;
        slot.started = Mark::of(now.since);
        slot.attempts = 1;
        let spec = &self.specs[idx];
        let step_id = &spec.id;
        self.emitter
            .emit_step(now, (step_id, 1), "started", StepStatus::Running, |s| {
                push_step_summary(s, step_id, " started")
            });
        let step_id = Arc::clone(step_id);
        enum Dispatch {
            Now(Result<StepOutput, Failure>),
            Spawn(StepKind),
        }
        let dispatch = match &spec.action {
            // A simulated registry tool keeps the `tool` output shape.
            Action::Simulated(response) if self.mission.steps[idx].step_type == "tool" => {
                Dispatch::Now(Ok(StepOutput::new(serde_json::json!({
                    "tool": prepared.identity.name,
                    "sector": prepared.identity.sector,
                    "output": response,
                    "simulated": true,
                }))))
            }
            Action::Simulated(response) => Dispatch::Now(Ok(StepOutput::new(response.clone()))),
            Action::Real(kind) if kind.is_inline() => Dispatch::Spawn(*kind),
            Action::Real(kind) => Dispatch::Spawn(*kind),
        };
        let (max_attempts, timeout) = (spec.max_attempts, spec.timeout);
        let kind = match dispatch {
            Dispatch::Now(result) => {
                if let Some(r) = &reservation {
                    self.gate.settle(r, None);
                }
                return self.complete(i, 1, result);
            }
            Dispatch::Spawn(kind) if kind.is_inline() && self.dispatcher.is_none() => {
                let result = steps::run_inline(kind, params);
                if let Some(r) = &reservation {
                    self.gate.settle(r, None);
                }
                // It ran within the same microsecond: one clock reading for both ends.
                return self.complete_at(i, 1, result, Some(now));
            }
            Dispatch::Spawn(kind) => kind,
        };
        if kind == StepKind::Http {
            if let Some(url) = params.get("url").and_then(Value::as_str) {
                self.links.push(Link {
                    step_id: step_id.to_string(),
                    url: self.secrets.text(url),
                });
            }
        }
        let remote = match self.remote_job(i, &step_id, &prepared, &params) {
            Ok(remote) => remote,
            Err(failure) => {
                if let Some(r) = &reservation {
                    self.gate.release(r);
                }
                return self.complete(i, 1, Err(failure));
            }
        };
        self.running += 1;
        let agent = matches!(kind, StepKind::Agents(_)).then(|| self.agent_runtime(i, &step_id));
        let job = Job {
            idx: i,
            kind,
            params,
            max_attempts,
            timeout,
            retry_delay: Duration::from_millis(self.retry_delay_ms),
            run_token: self.run_token.clone(),
            shared: Arc::clone(&self.shared),
            tx: self.tx.clone(),
            governed: reservation.map(|reservation| JobGate {
                gate: Arc::clone(&self.gate),
                reservation,
                prepared,
                preview,
                step_id: Arc::clone(&step_id),
                step_type: self.mission.steps[idx].step_type.clone(),
                step_approval: self.mission.steps[idx].approval,
                simulated: false,
            }),
            agent,
            remote,
        };
        tokio::spawn(job.run());
    }

    fn resolve_params(&mut self, idx: usize) -> Result<Value, String> {
        let step = &self.mission.steps[idx];
        let params = &step.parameters;
        if step.step_type == "command" {
            crate::steps::check_shell_line(params)?;
        }
        if step.step_type == "chain" {
            // `{{previous}}` and `{{answers.N}}` are the chain's own, filled in call by call.
            let protected = steps::agents::protect_chain_references(params);
            return if vars::has_templates(&protected) {
                self.resolve(&protected)
            } else {
                Ok(protected)
            };
        }
        if !vars::has_templates(params) {
            return Ok(params.clone());
        }
        self.resolve(params)
    }

    /// Resolves references against the run as it is now.
    fn resolve(&mut self, v: &Value) -> Result<Value, String> {
        let env_map = self.env.as_ref();
        let env = |name: &str| match env_map {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        let mission = self.mission;
        let index = &*self
            .index
            .get_or_insert_with(|| crate::graph::id_index(&mission.steps));
        let slots = &self.slots;
        let step = |id: &str| match index.get(id) {
            Some(&i) => {
                let slot = &slots[i as usize];
                match (&slot.output, slot.status) {
                    (Some(out), StepStatus::Success | StepStatus::Failed) => {
                        StepLookup::Output(out)
                    }
                    (_, status) => StepLookup::NoOutput(status),
                }
            }
            None => StepLookup::Unknown,
        };
        let steps = &self.mission.steps;
        let finished = || {
            steps
                .iter()
                .zip(slots.iter())
                .filter(|(_, s)| s.output.is_some())
                .map(|(st, _)| st.id.clone())
                .collect::<Vec<_>>()
        };
        let mission_id = self.emitter.mission_id().clone();
        let run_id = self.emitter.run_id().clone();
        let started_at = crate::timefmt::rfc3339(self.started_at);
        let scope = Scope {
            env: &env,
            context: &self.context,
            started_at: &started_at,
            config: &self.config_value,
            state: self.state.values(),
            mission_id: &mission_id,
            run_id: &run_id,
            workspace: &self.workspace_text,
            step: &step,
            finished_steps: &finished,
        };
        vars::resolve(v, &scope, &mut self.secrets).map_err(|e| e.to_string())
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Retry {
                idx,
                attempt,
                error,
                delay_ms,
            } => {
                let spec = &self.specs[idx as usize];
                let step_id = Arc::clone(&spec.id);
                let max = spec.max_attempts;
                self.slots[idx as usize].attempts = attempt + 1;
                let summary = self.secrets.text(&format!(
                    "step `{step_id}` attempt {attempt} of {max} failed: {error}; retrying in {delay_ms} ms"
                ));
                self.emitter.emit(
                    EventType::Progress,
                    Some((&step_id, attempt)),
                    "retry",
                    RunStatus::Running,
                    Some(StepStatus::Running),
                    summary,
                    Vec::new(),
                );
            }
            Msg::Done {
                idx,
                attempts,
                result,
            } => {
                self.running -= 1;
                self.complete(idx, attempts, result);
            }
            Msg::Agent { idx, note } => self.agent_note(idx, note),
            Msg::Remote { idx, note } => self.remote_note(idx, note),
            Msg::Decided {
                idx,
                mut launch,
                result,
            } => {
                self.running -= 1;
                self.blocked -= 1;
                match result {
                    Ok(reservation) if self.stop.is_none() => {
                        if let Some(granted) = reservation.granted_max_tokens {
                            launch.prepared.grant_max_tokens(granted);
                        }
                        launch.reservation = Some(reservation);
                        self.approved_launch.insert(idx, *launch);
                        self.start(idx);
                    }
                    Ok(reservation) => {
                        // The run stopped while the step waited.
                        self.gate.release(&reservation);
                        self.complete(idx, 0, Err(Failure::interrupted()));
                    }
                    Err(refusal) => self.deny(idx, refusal),
                }
            }
        }
    }

    /// Records the end of a step that started, applies its state writes, and releases its
    /// dependents.
    fn complete(&mut self, i: u32, attempts: u32, result: Result<StepOutput, Failure>) {
        self.complete_at(i, attempts, result, None)
    }

    /// [`Self::complete`] at a moment already read (`None`: now).
    fn complete_at(
        &mut self,
        i: u32,
        attempts: u32,
        result: Result<StepOutput, Failure>,
        now: Option<Now>,
    ) {
        let idx = i as usize;
        let result = match result {
            Ok(out) if !self.mission.steps[idx].state.is_empty() => {
                // The step's own output is readable by its state writes.
                self.slots[idx].output = Some(out.value.clone());
                self.slots[idx].status = StepStatus::Success;
                match self.write_state(idx) {
                    Ok(()) => Ok(out),
                    Err(message) => Err(Failure::new(message).with_output(out.value)),
                }
            }
            other => other,
        };
        let spec = &self.specs[idx];
        let step_id = Arc::clone(&spec.id);
        let continue_on_error = spec.continue_on_error;
        let mut budget_exceeded = false;
        let now = now.unwrap_or_else(|| self.emitter.now());
        let slot = &mut self.slots[idx];
        slot.attempts = attempts;
        slot.finished = Mark::of(now.since);
        let (status, summary, artifacts) = match result {
            Ok(out) => {
                slot.status = StepStatus::Success;
                slot.output = Some(out.value);
                slot.error = None;
                for link in out.links {
                    if !self
                        .links
                        .iter()
                        .any(|l| l.url == link && *l.step_id == *step_id)
                    {
                        self.links.push(Link {
                            step_id: step_id.to_string(),
                            url: link,
                        });
                    }
                }
                // `None`: the usual summary, written straight into the event.
                let summary = if self.reused_from.is_empty() {
                    None
                } else {
                    self.reused_from
                        .get(&i)
                        .map(|run| format!("step `{step_id}` reused the output of run {run}"))
                };
                (StepStatus::Success, summary, out.artifacts)
            }
            Err(f) if f.kind == FailureKind::Interrupted => {
                slot.status = StepStatus::Cancelled;
                slot.output = f.output;
                let why = match self.stop {
                    Some(Stop::TimedOut) => "the run timed out",
                    Some(Stop::FailFast) => "another step failed (fail-fast)",
                    _ => "the run was cancelled",
                };
                slot.error = Some(format!("cancelled: {why}"));
                (
                    StepStatus::Cancelled,
                    Some(format!("step `{step_id}` cancelled: {why}")),
                    Vec::new(),
                )
            }
            Err(f) => {
                budget_exceeded = f.budget_exceeded;
                slot.status = StepStatus::Failed;
                slot.output = f.output;
                slot.error = Some(f.message.clone());
                let tries = if attempts > 1 {
                    format!(" after {attempts} attempts")
                } else {
                    String::new()
                };
                let mut summary = format!("step `{step_id}` failed{tries}: {}", f.message);
                if continue_on_error {
                    summary.push_str(" (continue_on_error: the run goes on)");
                }
                (StepStatus::Failed, Some(summary), Vec::new())
            }
        };
        let duration_ms = slot.duration_ms();
        let succeeded = |s: &mut String| {
            push_step_summary(s, &step_id, " succeeded in ");
            push_u64(s, duration_ms);
            s.push_str(" ms");
        };
        let summary = match summary {
            None if self.secrets.is_empty() => None,
            None => {
                let mut text = String::new();
                succeeded(&mut text);
                Some(self.secrets.text(&text))
            }
            Some(text) if self.secrets.is_empty() => Some(text),
            Some(text) => Some(self.secrets.text(&text)),
        };
        // A budget breach ends the run, continue_on_error or not.
        let fails_run = status == StepStatus::Failed && (!continue_on_error || budget_exceeded);
        // The first failure's summary becomes the run's reason.
        let reason =
            (fails_run && self.reason.is_none()).then(|| summary.clone().unwrap_or_default());
        self.record_step(idx);
        if status == StepStatus::Success && !self.mission.steps[idx].state.is_empty() {
            self.emitter.event.detail = Some(self.state_written(idx));
        }
        match summary {
            Some(summary) => self.emitter.emit_at(
                now,
                EventType::Progress,
                Some((&step_id, attempts)),
                "finished",
                RunStatus::Running,
                Some(status),
                summary,
                Vec::new(),
            ),
            None => {
                self.emitter
                    .emit_step(now, (&step_id, attempts), "finished", status, succeeded)
            }
        }
        if !artifacts.is_empty() {
            self.emitter.emit(
                EventType::Artifact,
                Some((&step_id, attempts)),
                "artifact",
                RunStatus::Running,
                Some(status),
                format!("step `{step_id}` wrote {}", artifacts.join(", ")),
                artifacts.clone(),
            );
            for a in artifacts {
                if !self.artifacts.contains(&a) {
                    self.artifacts.push(a);
                }
            }
        }
        if fails_run {
            self.failed_steps += 1;
            if reason.is_some() {
                self.reason = reason;
            }
            if budget_exceeded
                && !self
                    .reason
                    .as_deref()
                    .is_some_and(|r| r.contains("budget_exceeded"))
            {
                self.reason = Some(self.secrets.text(&format!(
                    "budget_exceeded: step `{step_id}`: {}",
                    self.slots[idx].error.as_deref().unwrap_or_default()
                )));
            }
            if self.fail_fast || budget_exceeded {
                let reason = self.reason.clone().unwrap_or_default();
                self.halt(Stop::FailFast, reason);
            }
        }
        let satisfies =
            status == StepStatus::Success || (status == StepStatus::Failed && continue_on_error);
        self.release(i, satisfies);
    }

    /// Tells the dependents of step `i` that it is final; a dependent whose dependencies are all
    /// final becomes ready, or is skipped when one of them did not let it run.
    fn release(&mut self, i: u32, satisfies: bool) {
        let mut work = std::mem::take(&mut self.releasing);
        work.push((i, satisfies));
        while let Some((from, ok)) = work.pop() {
            for k in 0..self.dag.dependents(from as usize).len() {
                let d = self.dag.dependents(from as usize)[k];
                let slot = &mut self.slots[d as usize];
                slot.remaining -= 1;
                if !ok && slot.blocked_by == NOT_BLOCKED {
                    slot.blocked_by = from;
                }
                if slot.remaining > 0 || self.stop.is_some() {
                    continue;
                }
                match slot.blocked_by {
                    NOT_BLOCKED => self.ready.push(Reverse(d)),
                    blocker => {
                        let blocker_status = self.slots[blocker as usize].status;
                        let blocker_id = Arc::clone(&self.specs[blocker as usize].id);
                        let why = format!(
                            "skipped: dependency `{blocker_id}` {}",
                            match blocker_status {
                                StepStatus::Failed => "failed",
                                StepStatus::Cancelled => "was cancelled",
                                _ => "was skipped",
                            }
                        );
                        self.skip(d, why);
                        work.push((d, false));
                    }
                }
            }
        }
        self.releasing = work;
    }

    fn skip(&mut self, d: u32, why: String) {
        let step_id = Arc::clone(&self.specs[d as usize].id);
        let slot = &mut self.slots[d as usize];
        slot.status = StepStatus::Skipped;
        slot.error = Some(why.clone());
        self.record_step(d as usize);
        self.emitter.emit(
            EventType::Progress,
            Some((&step_id, 0)),
            "skipped",
            RunStatus::Running,
            Some(StepStatus::Skipped),
            format!("step `{step_id}` {why}"),
            Vec::new(),
        );
    }

    /// Hands a step's final result (redacted) to the sink, before the event that reports it.
    fn record_step(&mut self, idx: usize) {
        let slot = &self.slots[idx];
        let redacted = (!self.secrets.is_empty()).then(|| {
            (
                slot.output.as_ref().map(|o| self.secrets.value(o)),
                slot.error.as_deref().map(|e| self.secrets.text(e)),
            )
        });
        let (output, error) = match &redacted {
            Some((output, error)) => (output.as_ref(), error.as_deref()),
            None => (slot.output.as_ref(), slot.error.as_deref()),
        };
        let record = StepRecord {
            step_id: &self.specs[idx].id,
            step_type: &self.mission.steps[idx].step_type,
            status: slot.status,
            output,
            error,
            attempts: slot.attempts,
            started_at: slot.started.at(self.started_at),
            finished_at: slot.finished.at(self.started_at),
            duration_ms: slot.duration_ms(),
            reused_from: self.reused_from.get(&(idx as u32)).map(String::as_str),
        };
        self.emitter.step_finished(&record);
    }

    fn write_state(&mut self, idx: usize) -> Result<(), String> {
        let writes = &self.mission.steps[idx].state;
        let mut updates = Vec::with_capacity(writes.len());
        for (name, template) in writes {
            let value = self
                .resolve(template)
                .map_err(|e| format!("state `{name}`: {e}"))?;
            updates.push((name.clone(), value));
        }
        self.state.write(updates)
    }

    fn finish(mut self) -> RunResult {
        // Steps that never started: skipped, saying why.
        let why = match self.stop {
            Some(Stop::Cancelled) => Some("not started: the run was cancelled"),
            Some(Stop::TimedOut) => Some("not started: the run timed out"),
            Some(Stop::FailFast) => Some("not started: another step failed (fail-fast)"),
            None => None,
        };
        for d in 0..self.slots.len() as u32 {
            if !self.slots[d as usize].status.is_final() {
                let why = why.unwrap_or("not started").to_string();
                self.skip(d, why);
            }
        }
        let missing = self.state.missing_required();
        let status = match self.stop {
            Some(Stop::Cancelled) => RunStatus::Cancelled,
            Some(Stop::TimedOut) => RunStatus::TimedOut,
            _ if self.failed_steps > 0 => RunStatus::Failed,
            _ if !missing.is_empty() => {
                self.reason = Some(format!(
                    "required state field(s) never written: {}",
                    missing.join(", ")
                ));
                RunStatus::Failed
            }
            _ => RunStatus::Completed,
        };
        if status == RunStatus::Completed {
            self.reason = None;
        } else if status == RunStatus::Failed && self.failed_steps > 1 {
            if let Some(r) = &self.reason {
                self.reason = Some(format!(
                    "{r} (and {} more failed steps)",
                    self.failed_steps - 1
                ));
            }
        }
        let finished_at = timefmt::now();
        let elapsed = self.started.elapsed();
        let waited = self.emitter.wait.waited(elapsed);
        let spent = self.gate.spent();
        let usage = Usage {
            runtime_ms: self.emitter.wait.counted(elapsed).as_millis() as u64,
            llm_calls: spent.llm_calls,
            tokens: spent.tokens,
            cost_usd: spent.cost_usd(),
            approval_wait_ms: waited.as_millis() as u64,
        };
        let succeeded = self
            .slots
            .iter()
            .filter(|s| s.status == StepStatus::Success)
            .count();
        let summary = match &self.reason {
            Some(r) => self.secrets.text(&format!("run {}: {r}", status.as_str())),
            None => format!(
                "run completed: {succeeded} of {} steps succeeded",
                self.slots.len()
            ),
        };
        self.emitter.emit(
            EventType::final_for(status),
            None,
            "final",
            status,
            None,
            summary,
            self.artifacts.clone(),
        );
        self.emitter.flush();

        let steps = &self.mission.steps;
        // A plan derived from the steps lists them in step order (no lookups by id needed) and
        // shares the run's copy of their ids.
        let (mut plan, aligned) = if Plan::is_declared(self.mission) {
            let plan = Plan::from_mission(self.mission);
            let aligned = plan.items.len() == steps.len()
                && plan
                    .items
                    .iter()
                    .zip(steps)
                    .all(|(item, step)| *item.id == *step.id);
            (plan, aligned)
        } else {
            let ids: Vec<&Arc<str>> = self.specs.iter().map(|s| &s.id).collect();
            let dag = self.dag;
            (
                Plan::derived(self.mission, &ids, |i| dag.dependencies(i)),
                true,
            )
        };
        let secrets = &self.secrets;
        let redact = !secrets.is_empty();
        if aligned {
            for (item, slot) in plan.items.iter_mut().zip(&self.slots) {
                match &slot.error {
                    Some(e) if redact => item.set_from_step(slot.status, Some(&secrets.text(e))),
                    e => item.set_from_step(slot.status, e.as_deref()),
                }
            }
        }
        // The results are made one at a time in id order, straight from the slots, into one
        // list: no intermediate list, no tree.
        let by_id = self.by_id;
        let slots = &mut self.slots;
        let specs = self.specs;
        let run_started_at = self.started_at;
        let reused_from = &mut self.reused_from;
        let step_results = StepResults::from_sorted(
            by_id
                .iter()
                .map(|&i| {
                    let (step, slot) = (&steps[i as usize], &mut slots[i as usize]);
                    let result = StepResult {
                        step_type: Arc::clone(&specs[i as usize].step_type),
                        name: step.name.clone(),
                        status: slot.status,
                        output: match slot.output.take() {
                            Some(o) if redact => secrets.value(&o),
                            Some(o) => o,
                            None => Value::Null,
                        },
                        error: slot
                            .error
                            .take()
                            .map(|e| if redact { secrets.text(&e) } else { e }),
                        attempts: slot.attempts,
                        started_at: slot.started.at(run_started_at),
                        finished_at: slot.finished.at(run_started_at),
                        duration_ms: slot.duration_ms(),
                        reused_from: if reused_from.is_empty() {
                            None
                        } else {
                            reused_from.remove(&i)
                        },
                    };
                    (Arc::clone(&specs[i as usize].id), result)
                })
                .collect(),
        );
        if !aligned {
            plan.apply(|id| step_results.get(id).map(|r| (r.status, r.error.clone())));
        }
        RunResult {
            run_id: self.emitter.run_id().to_string(),
            mission_id: self.emitter.mission_id().to_string(),
            trace_id: self.emitter.trace_id().to_string(),
            status,
            reason: self.reason.map(|r| self.secrets.text(&r)),
            started_at: self.started_at,
            finished_at,
            total_duration_ms: elapsed.as_millis() as u64,
            usage,
            step_results,
            state: self
                .state
                .into_values()
                .into_iter()
                .map(|(k, v)| (k, self.secrets.value(&v)))
                .collect(),
            plan,
            links: self.links,
            artifacts: self.artifacts,
        }
    }
}

/// An id's first 8 bytes as one big-endian integer: ids compare as these integers first (a
/// short id padded with zeros sorts before its extensions, as text does).
fn id_prefix(id: &str) -> u64 {
    let mut bytes = [0u8; 8];
    let n = id.len().min(8);
    bytes[..n].copy_from_slice(&id.as_bytes()[..n]);
    u64::from_be_bytes(bytes)
}

/// Step indexes in the order of their ids: a radix sort of the id prefixes (read once, when
/// the run starts), then ids that share a prefix compared as text.
fn sorted_by_id(specs: &[StepSpec]) -> Vec<u32> {
    let keyed: Vec<(u64, u32)> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id_prefix, i as u32))
        .collect();
    let mut keyed = radix_sort_by_key(keyed);
    let mut at = 0;
    while at < keyed.len() {
        let end = at
            + keyed[at..]
                .iter()
                .take_while(|k| k.0 == keyed[at].0)
                .count();
        if end - at > 1 {
            keyed[at..end]
                .sort_unstable_by(|a, b| specs[a.1 as usize].id.cmp(&specs[b.1 as usize].id));
        }
        at = end;
    }
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// Sorts `(key, index)` pairs by key, least significant byte first (stable), one pass per byte
/// in which the keys differ.
fn radix_sort_by_key(mut items: Vec<(u64, u32)>) -> Vec<(u64, u32)> {
    if items.len() < 64 {
        items.sort_unstable();
        return items;
    }
    let (all_or, all_and) = items
        .iter()
        .fold((0u64, u64::MAX), |(o, a), &(k, _)| (o | k, a & k));
    let differ = all_or ^ all_and;
    let mut scratch = vec![(0u64, 0u32); items.len()];
    for byte in 0..8 {
        let shift = byte * 8;
        if (differ >> shift) & 0xff == 0 {
            continue;
        }
        let mut counts = [0usize; 257];
        for &(k, _) in &items {
            counts[((k >> shift) & 0xff) as usize + 1] += 1;
        }
        for b in 0..256 {
            counts[b + 1] += counts[b];
        }
        for &item in &items {
            let b = ((item.0 >> shift) & 0xff) as usize;
            scratch[counts[b]] = item;
            counts[b] += 1;
        }
        std::mem::swap(&mut items, &mut scratch);
    }
    items
}

/// One step's attempts, run as a tokio task.
struct Job {
    idx: u32,
    kind: StepKind,
    params: Value,
    max_attempts: u32,
    timeout: Option<Duration>,
    retry_delay: Duration,
    run_token: CancellationToken,
    shared: Arc<Shared>,
    tx: mpsc::UnboundedSender<Msg>,
    /// The gate's part: the first attempt's reservation, and what later attempts ask with.
    governed: Option<JobGate>,
    /// What an `agent` or `chain` step gets from the run.
    agent: Option<Arc<steps::agents::AgentRuntime>>,
    /// Set when a worker runs the step (the run has a dispatcher).
    remote: Option<RemoteJob>,
}

/// A step handed to a squad's worker: the dispatcher, the step as sent (its attempt and
/// parameters set per attempt) and the way back to the scheduler.
struct RemoteJob {
    dispatcher: Arc<dyn crate::remote::StepDispatcher>,
    step: crate::remote::RemoteStep,
    notes: crate::remote::DispatchNotes,
}

struct JobGate {
    gate: Arc<Gate>,
    reservation: Reservation,
    prepared: Prepared,
    preview: Option<Value>,
    step_id: Arc<str>,
    step_type: String,
    step_approval: Option<studio_core::StepApproval>,
    simulated: bool,
}

impl JobGate {
    /// Passes the gate again for a retry; the approval of the same exact step carries over.
    fn readmit(&mut self, attempt: u32) -> Result<Value, Failure> {
        let request = GateRequest {
            step_id: &self.step_id,
            step_type: &self.step_type,
            attempt,
            tool: &self.prepared.identity,
            simulated: self.simulated,
            runs_command: self.prepared.runs_command,
            step_approval: self.step_approval,
            llm: self.prepared.llm.as_ref(),
            params: &self.prepared.params,
            preview: self.preview.as_ref().unwrap_or(&self.prepared.params),
            endpoints: &self.prepared.endpoints,
        };
        match self.gate.admit(&request) {
            Verdict::Allow(r) => {
                let mut prepared = self.prepared.clone();
                if let Some(granted) = r.granted_max_tokens {
                    prepared.grant_max_tokens(granted);
                }
                self.reservation = r;
                Ok(prepared.params)
            }
            Verdict::Refuse(refusal) => Err(refusal_failure(refusal)),
            Verdict::Ask(ask) => {
                self.gate.release(&ask.reservation);
                Err(Failure::new(format!(
                    "approval_denied: attempt {attempt} needs a new approval ({})",
                    ask.request.why
                )))
            }
        }
    }
}

fn refusal_failure(refusal: Refusal) -> Failure {
    let mut f = Failure::new(refusal.reason);
    f.budget_exceeded = refusal.kind == RefusalKind::BudgetExceeded;
    f
}

impl Job {
    async fn run(mut self) {
        let mut attempt = 1;
        loop {
            let last = attempt >= self.max_attempts;
            let params = match (&mut self.governed, attempt) {
                (Some(g), n) if n > 1 => match g.readmit(n) {
                    Ok(params) => params,
                    Err(failure) => {
                        let _ = self.tx.send(Msg::Done {
                            idx: self.idx,
                            attempts: attempt,
                            result: Err(failure),
                        });
                        return;
                    }
                },
                _ => self.params.clone(),
            };
            let result = self.attempt(attempt, params).await;
            if let Some(g) = &self.governed {
                let used = match &result {
                    Ok(out) => out.usage,
                    Err(f) => f.usage,
                };
                g.gate.settle(&g.reservation, used);
            }
            match result {
                Err(f)
                    if f.kind == FailureKind::Error && !last && !self.run_token.is_cancelled() =>
                {
                    let _ = self.tx.send(Msg::Retry {
                        idx: self.idx,
                        attempt,
                        error: f.message,
                        delay_ms: self.retry_delay.as_millis() as u64,
                    });
                    tokio::select! {
                        _ = tokio::time::sleep(self.retry_delay) => {}
                        _ = self.run_token.cancelled() => {
                            let _ = self.tx.send(Msg::Done {
                                idx: self.idx,
                                attempts: attempt,
                                result: Err(Failure::interrupted()),
                            });
                            return;
                        }
                    }
                    attempt += 1;
                }
                result => {
                    let _ = self.tx.send(Msg::Done {
                        idx: self.idx,
                        attempts: attempt,
                        result,
                    });
                    return;
                }
            }
        }
    }

    /// One attempt, bounded by the step timeout and the run's cancellation. An interrupted step
    /// gets a grace period to kill and reap its processes before it is dropped.
    async fn attempt(&self, attempt: u32, params: Value) -> Result<StepOutput, Failure> {
        let ctx = StepCtx {
            shared: Arc::clone(&self.shared),
            cancel: self.run_token.child_token(),
            agent: self.agent.clone(),
        };
        let fut: std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send + '_>> =
            match &self.remote {
                Some(remote) => {
                    let mut step = remote.step.clone();
                    step.attempt = attempt;
                    step.request.params = params;
                    let sent =
                        remote
                            .dispatcher
                            .dispatch(step, remote.notes.clone(), ctx.cancel.clone());
                    Box::pin(async move { sent.await.into_result() })
                }
                None => Box::pin(steps::run(self.kind, params, &ctx)),
            };
        tokio::pin!(fut);
        let timeout = self.timeout.unwrap_or(Duration::from_secs(86_400 * 365));
        let has_timeout = self.timeout.is_some();
        tokio::select! {
            result = &mut fut => result,
            _ = tokio::time::sleep(timeout), if has_timeout => {
                ctx.cancel.cancel();
                let _ = tokio::time::timeout(INTERRUPT_GRACE, &mut fut).await;
                Err(Failure::new(format!("timed out after {}s", timeout.as_secs())))
            }
            _ = self.run_token.cancelled() => {
                let _ = tokio::time::timeout(INTERRUPT_GRACE, &mut fut).await;
                Err(Failure::interrupted())
            }
        }
    }
}

/// Numbers events and hands them to the sink.
///
/// The emitter owns one [`Event`] that it fills in again for each event: the run's ids are
/// set once, the text fields (idempotency key, summary, timestamp) are rewritten in their own
/// buffers, so an event costs no allocation. Sinks get it by reference and copy what they keep.
struct Emitter<'a> {
    sink: &'a mut dyn EventSink,
    event: Event,
    /// The millisecond that `event.emitted_at` holds the text of.
    clock_millis: i64,
    /// When the run started, in nanoseconds since the epoch: a moment's wall-clock millisecond is read
    /// from it without making a date.
    started_at_nanos: i64,
    started: Instant,
    warned: bool,
    /// Where the run's spending is counted (usage of every event).
    gate: Arc<Gate>,
    /// Waits for approval, left out of the runtime the caps count.
    wait: WaitClock,
}

/// One reading of the clock, shared by a step's record and the event that reports it (so
/// `finished_at` and the event's `emitted_at` agree, and the clock is read once).
///
/// It is the monotonic clock; wall-clock times are derived from it and the run's start (one
/// clock read instead of two; times within a run never go backwards).
#[derive(Debug, Clone, Copy)]
struct Now {
    /// Since the run started.
    since: Duration,
}

impl Now {
    fn read(started: Instant) -> Self {
        Self {
            since: started.elapsed(),
        }
    }
}

/// Appends the decimal digits of `n` (what `write!` does, without the formatting machinery).
fn push_u64(out: &mut String, mut n: u64) {
    if n < 10 {
        out.push((b'0' + n as u8) as char);
        return;
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(d as char);
    }
}

/// Writes `step `<id>`<rest>`, the opening of every step summary.
fn push_step_summary(out: &mut String, step_id: &str, rest: &str) {
    out.push_str("step `");
    out.push_str(step_id);
    out.push('`');
    out.push_str(rest);
}

impl<'a> Emitter<'a> {
    fn new(
        sink: &'a mut dyn EventSink,
        mission_id: Arc<str>,
        run_id: Arc<str>,
        trace_id: Arc<str>,
        gate: Arc<Gate>,
        started_at: DateTime<Utc>,
        started: Instant,
    ) -> Self {
        let key_prefix = format!("{run_id}:");
        Self {
            sink,
            event: Event {
                event_type: EventType::Accepted,
                mission_id,
                run_id,
                trace_id,
                seq: 0,
                idempotency_key: key_prefix,
                step_id: None,
                attempt: None,
                status: RunStatus::Running,
                step_status: None,
                summary: String::new(),
                artifact_refs: Vec::new(),
                usage: Usage::default(),
                emitted_at: String::new(),
                detail: None,
            },
            clock_millis: i64::MIN,
            started_at_nanos: started_at.timestamp_nanos_opt().unwrap_or(0),
            started,
            warned: false,
            gate,
            wait: WaitClock::default(),
        }
    }

    fn mission_id(&self) -> &Arc<str> {
        &self.event.mission_id
    }

    fn run_id(&self) -> &Arc<str> {
        &self.event.run_id
    }

    fn trace_id(&self) -> &Arc<str> {
        &self.event.trace_id
    }

    fn now(&self) -> Now {
        Now::read(self.started)
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        event_type: EventType,
        step: Option<(&Arc<str>, u32)>,
        phase: &str,
        status: RunStatus,
        step_status: Option<StepStatus>,
        summary: String,
        artifact_refs: Vec<String>,
    ) {
        let now = self.now();
        self.emit_at(
            now,
            event_type,
            step,
            phase,
            status,
            step_status,
            summary,
            artifact_refs,
        );
    }

    /// [`Self::emit`] at a moment already read.
    #[allow(clippy::too_many_arguments)]
    fn emit_at(
        &mut self,
        now: Now,
        event_type: EventType,
        step: Option<(&Arc<str>, u32)>,
        phase: &str,
        status: RunStatus,
        step_status: Option<StepStatus>,
        summary: String,
        artifact_refs: Vec<String>,
    ) {
        self.event.summary = summary;
        self.event.artifact_refs = artifact_refs;
        self.send(now, event_type, step, phase, status, step_status);
    }

    /// A step event whose summary is written straight into the event's buffer.
    fn emit_step(
        &mut self,
        now: Now,
        step: (&Arc<str>, u32),
        phase: &str,
        step_status: StepStatus,
        summary: impl FnOnce(&mut String),
    ) {
        self.event.summary.clear();
        summary(&mut self.event.summary);
        if !self.event.artifact_refs.is_empty() {
            self.event.artifact_refs = Vec::new();
        }
        self.send(
            now,
            EventType::Progress,
            Some(step),
            phase,
            RunStatus::Running,
            Some(step_status),
        );
    }

    /// Fills in the rest of the event and hands it to the sink.
    fn send(
        &mut self,
        now: Now,
        event_type: EventType,
        step: Option<(&Arc<str>, u32)>,
        phase: &str,
        status: RunStatus,
        step_status: Option<StepStatus>,
    ) {
        let event = &mut self.event;
        event.seq += 1;
        event.event_type = event_type;
        event.status = status;
        event.step_status = step_status;
        match step {
            Some((id, attempt)) => {
                if !event.step_id.as_ref().is_some_and(|s| Arc::ptr_eq(s, id)) {
                    event.step_id = Some(Arc::clone(id));
                }
                event.attempt = Some(attempt);
            }
            None => {
                event.step_id = None;
                event.attempt = None;
            }
        }
        // `<run>:<step or ->:<attempt>:<event type>/<phase>`
        // The key starts with `<run>:`, written when the emitter was made and kept.
        let key = &mut event.idempotency_key;
        key.truncate(event.run_id.len() + 1);
        key.push_str(event.step_id.as_deref().unwrap_or("-"));
        key.push(':');
        push_u64(key, u64::from(event.attempt.unwrap_or(0)));
        key.push(':');
        key.push_str(event_type.as_str());
        key.push('/');
        key.push_str(phase);
        let waited = self.wait.waited(now.since);
        let runtime_ms = now.since.saturating_sub(waited).as_millis() as u64;
        let approval_wait_ms = waited.as_millis() as u64;
        event.usage = match self.gate.spending() {
            None => Usage {
                runtime_ms,
                approval_wait_ms,
                ..Usage::default()
            },
            Some(spent) => Usage {
                runtime_ms,
                llm_calls: spent.llm_calls,
                tokens: spent.tokens,
                cost_usd: spent.cost_usd(),
                approval_wait_ms,
            },
        };
        // The text of a timestamp is made once per millisecond: a burst of events from short
        // steps shares it.
        let nanos = self
            .started_at_nanos
            .saturating_add(i64::try_from(now.since.as_nanos()).unwrap_or(i64::MAX));
        let millis = nanos.div_euclid(1_000_000);
        if millis != self.clock_millis {
            self.clock_millis = millis;
            event.emitted_at = timefmt::rfc3339(DateTime::from_timestamp_nanos(nanos));
        }
        let sent = self.sink.emit(&self.event);
        self.event.detail = None;
        if let Err(e) = sent {
            if !self.warned {
                tracing::warn!("event sink failed (the run goes on): {e}");
                self.warned = true;
            }
        }
    }

    fn step_finished(&mut self, record: &StepRecord<'_>) {
        if let Err(e) = self.sink.step_finished(record) {
            if !self.warned {
                tracing::warn!("event sink failed (the run goes on): {e}");
                self.warned = true;
            }
        }
    }

    fn flush(&mut self) {
        if let Err(e) = self.sink.flush() {
            tracing::warn!("event sink failed to flush: {e}");
        }
    }
}

/// The gate's side of the scheduler (DESIGN §6): every step passes [`Gate::admit`] before it
/// starts; a step that needs approval is `blocked` while the approver decides.
impl Run<'_> {
    /// Prepares a resolved step and asks the gate. `None`: the step was refused (it is
    /// complete) or waits for approval (a task awaits the decision).
    fn govern(&mut self, i: u32, params: Value) -> Option<Launch> {
        let idx = i as usize;
        let step = &self.mission.steps[idx];
        let simulated = matches!(self.specs[idx].action, Action::Simulated(_));
        let mut preview = (!self.secrets.is_empty()).then(|| self.secrets.value(&params));
        let prepared = match governance::prepare(
            &step.step_type,
            params,
            &self.governance.tools,
            &self.shared.setup,
        ) {
            Ok(p) => p,
            Err(message) => {
                self.mark_started(idx);
                self.complete(i, 1, Err(Failure::new(message)));
                return None;
            }
        };
        if !prepared.secrets.is_empty() {
            for (label, value) in &prepared.secrets {
                self.secrets.add_labelled(label, value);
            }
            // The preview shows the parameters, which may hold the secrets just learnt.
            preview = Some(
                self.secrets
                    .value(preview.as_ref().unwrap_or(&prepared.params)),
            );
        }
        let verdict = self.gate.admit(&GateRequest {
            step_id: &step.id,
            step_type: &step.step_type,
            attempt: 1,
            tool: &prepared.identity,
            simulated,
            runs_command: prepared.runs_command,
            step_approval: step.approval,
            llm: prepared.llm.as_ref(),
            params: &prepared.params,
            preview: preview.as_ref().unwrap_or(&prepared.params),
            endpoints: &prepared.endpoints,
        });
        match verdict {
            Verdict::Allow(reservation) if prepared.deferred_error.is_some() && !simulated => {
                self.gate.release(&reservation);
                self.mark_started(idx);
                let message = prepared.deferred_error.unwrap_or_default();
                self.complete(i, 1, Err(Failure::new(message)));
                None
            }
            Verdict::Allow(reservation) => {
                let mut prepared = prepared;
                if let Some(granted) = reservation.granted_max_tokens {
                    prepared.grant_max_tokens(granted);
                }
                Some(Launch {
                    prepared,
                    reservation: Some(reservation),
                    preview,
                })
            }
            Verdict::Refuse(refusal) => {
                self.mark_started(idx);
                self.complete(i, 1, Err(refusal_failure(refusal)));
                None
            }
            Verdict::Ask(ask) => {
                self.block(i, ask, prepared, preview);
                None
            }
        }
    }

    /// What an `agent` or `chain` step gets from the run: the gate, the tools, its script and
    /// strategy, and a way to report to the scheduler.
    fn agent_runtime(&self, i: u32, step_id: &Arc<str>) -> Arc<steps::agents::AgentRuntime> {
        let mission = self.mission;
        let tx = self.tx.clone();
        Arc::new(steps::agents::AgentRuntime {
            gate: Arc::clone(&self.gate),
            tools: Arc::clone(&self.governance.tools),
            step_id: Arc::clone(step_id),
            script: mission.agent_script(step_id).cloned(),
            strategy: mission.strategy_for(step_id).cloned(),
            overrides: mission
                .simulation
                .as_ref()
                .filter(|s| s.enabled)
                .map(|s| s.tools.clone())
                .unwrap_or_default(),
            notify: Box::new(move |note| {
                let _ = tx.send(Msg::Agent { idx: i, note });
            }),
        })
    }

    /// One `mission.progress` event per turn and call of an agent (with the record in the
    /// event's `detail`); a call waiting for approval makes the step `blocked` meanwhile.
    fn agent_note(&mut self, i: u32, note: steps::agents::AgentNote) {
        use steps::agents::NoteState;
        let idx = i as usize;
        if self.slots[idx].status.is_final() {
            return;
        }
        let step_id = Arc::clone(&self.specs[idx].id);
        let attempt = self.slots[idx].attempts.max(1);
        let (event_type, run_status, step_status) = match note.state {
            NoteState::Blocked => {
                self.slots[idx].status = StepStatus::Blocked;
                self.blocked += 1;
                (EventType::Blocked, RunStatus::Blocked, StepStatus::Blocked)
            }
            NoteState::Unblocked => {
                self.slots[idx].status = StepStatus::Running;
                self.blocked = self.blocked.saturating_sub(1);
                (EventType::Progress, RunStatus::Running, StepStatus::Running)
            }
            NoteState::Running => (EventType::Progress, RunStatus::Running, StepStatus::Running),
        };
        self.note_waiting();
        let summary = self.secrets.text(&note.summary);
        self.emitter.event.detail = Some(self.secrets.value(&note.detail));
        self.emitter.emit(
            event_type,
            Some((&step_id, attempt)),
            &note.phase,
            run_status,
            Some(step_status),
            summary,
            Vec::new(),
        );
    }

    /// Starts or ends a wait for approval on the run's clock when the run's state says so;
    /// returns whether it changed (the deadline then moves).
    fn note_waiting(&mut self) -> bool {
        let waiting = WaitClock::waits_for_a_person(self.blocked, self.running);
        if waiting == self.emitter.wait.is_waiting() {
            return false;
        }
        let now = self.emitter.now().since;
        self.emitter.wait.set(waiting, now)
    }

    /// Why the run timed out: its own timeout, or the perimeter's `max_runtime_minutes`.
    fn timeout_reason(&self) -> String {
        let limit = self.global_timeout.unwrap_or_default();
        let secs = limit.as_secs();
        let from_perimeter = self
            .gate
            .perimeter()
            .budget
            .max_runtime_minutes
            .is_some_and(|m| {
                self.mission
                    .config()
                    .timeout_seconds
                    .is_none_or(|t| (m * 60.0) < t as f64)
            });
        if from_perimeter {
            format!(
                "the run timed out after {:.1}s (perimeter: max_runtime_minutes)",
                limit.as_secs_f64()
            )
        } else {
            format!("the run timed out after {secs}s")
        }
    }

    fn mark_started(&mut self, idx: usize) {
        self.slots[idx].started = Mark::of(self.started.elapsed());
    }

    /// The step waits for approval: `blocked`, a `mission.blocked` event, and a task that
    /// awaits the approver (the step holds its concurrency slot meanwhile).
    fn block(&mut self, i: u32, ask: Box<PendingAsk>, prepared: Prepared, preview: Option<Value>) {
        let idx = i as usize;
        self.slots[idx].status = StepStatus::Blocked;
        let step_id = Arc::clone(&self.specs[idx].id);
        let summary = self.secrets.text(&format!(
            "step `{step_id}` is blocked: approval needed ({}) for {} `{}`",
            ask.request.why, ask.request.step_type, ask.request.tool
        ));
        self.emitter.emit(
            EventType::Blocked,
            Some((&step_id, 1)),
            "blocked",
            RunStatus::Blocked,
            Some(StepStatus::Blocked),
            summary,
            Vec::new(),
        );
        self.running += 1;
        self.blocked += 1;
        let gate = Arc::clone(&self.gate);
        let tx = self.tx.clone();
        let cancel = self.run_token.clone();
        tokio::spawn(async move {
            let result = tokio::select! {
                r = gate.decide(ask) => r,
                _ = cancel.cancelled() => Err(Refusal {
                    check: crate::audit::Check::Approval,
                    kind: RefusalKind::Unavailable,
                    reason: "approval_unavailable: the run stopped while the step waited for approval".into(),
                }),
            };
            let launch = Box::new(Launch {
                prepared,
                reservation: None,
                preview,
            });
            let _ = tx.send(Msg::Decided {
                idx: i,
                launch,
                result,
            });
        });
    }

    /// A step whose approval was denied (or could not be asked) is skipped; it fails the run
    /// unless it has `continue_on_error`.
    fn deny(&mut self, i: u32, refusal: Refusal) {
        let idx = i as usize;
        let step_id = Arc::clone(&self.specs[idx].id);
        let continue_on_error = self.specs[idx].continue_on_error;
        if self.stop.is_some() && refusal.kind == RefusalKind::Unavailable {
            self.skip(i, "not started: the run stopped".into());
            return self.release(i, false);
        }
        let why = self.secrets.text(&format!("skipped: {}", refusal.reason));
        self.skip(i, why.clone());
        if !continue_on_error {
            self.failed_steps += 1;
            if self.reason.is_none() {
                self.reason = Some(format!("step `{step_id}` {why}"));
            }
            if self.fail_fast {
                let reason = self.reason.clone().unwrap_or_default();
                self.halt(Stop::FailFast, reason);
            }
        }
        self.release(i, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_radix_sort_orders_keys_as_a_comparison_sort_does() {
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in [0, 1, 63, 64, 1000] {
            let items: Vec<(u64, u32)> = (0..len)
                .map(|i| (next() & 0x00ff_00ff_0000_ffff, i as u32))
                .collect();
            let mut expected = items.clone();
            expected.sort();
            assert_eq!(radix_sort_by_key(items), expected);
        }
    }

    #[test]
    fn steps_are_ordered_by_id_as_text_orders_them() {
        let ids = [
            "s10_1",
            "s1_10",
            "s1",
            "a",
            "abcdefgh",
            "abcdefghi",
            "abcdefgh2",
            "abcdefgg",
            "abcdefgz",
            "s1_",
            "",
            "Z",
            "é",
            "s1_2",
            "abcdefghi\u{0}",
            "a\u{0}",
        ];
        // Enough ids for the radix sort (short lists are sorted by comparison).
        let generated: Vec<String> = (0..150).map(|n| format!("s{}_{}", n % 13, n)).collect();
        let ids: Vec<&str> = ids
            .into_iter()
            .chain(generated.iter().map(String::as_str))
            .collect();
        let steps: Vec<serde_json::Value> = ids
            .iter()
            .map(|id| serde_json::json!({"id": id, "step_type": "noop"}))
            .collect();
        let mission: Mission =
            serde_json::from_value(serde_json::json!({"name": "m", "steps": steps})).unwrap();
        let specs = StepSpec::all(&mission).unwrap();
        let ours: Vec<&str> = sorted_by_id(&specs)
            .into_iter()
            .map(|i| ids[i as usize])
            .collect();
        let mut expected = ids.to_vec();
        expected.sort_unstable();
        assert_eq!(ours, expected);
    }

    #[test]
    fn a_compiled_mission_runs_again_and_again_as_a_fresh_run() {
        let dir = tempfile::tempdir().unwrap();
        let mission: Mission = serde_json::from_value(serde_json::json!({
            "name": "m",
            "steps": [
                {"id": "note", "step_type": "create_file",
                 "parameters": {"path": "note.txt", "content": "{{run.id}}"}},
                {"id": "read", "step_type": "read_file", "depends_on": ["note"],
                 "parameters": {"path": "note.txt"}}
            ]
        }))
        .unwrap();
        let exe = Executable::compile(&mission).unwrap();
        assert_eq!(exe.dag().dependents(0), [1]);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut runs = Vec::new();
        for n in 0..2 {
            let ws = dir.path().join(format!("run{n}"));
            std::fs::create_dir_all(&ws).unwrap();
            let mut sink = crate::CollectingSink::default();
            let result = rt
                .block_on(exe.run(RunOptions::new(&ws), &mut sink))
                .unwrap();
            assert_eq!(result.status, RunStatus::Completed, "{:?}", result.reason);
            // Each run numbers its own events from 1 and reads what it wrote itself.
            assert_eq!(sink.events()[0].seq, 1);
            assert_eq!(
                result.step_results.get("read").unwrap().output["content"],
                result.run_id.as_str()
            );
            runs.push(result.run_id);
        }
        assert_ne!(runs[0], runs[1]);
    }

    #[test]
    fn compiling_refuses_a_cycle_and_an_unavailable_step_type() {
        let cycle: Mission = serde_json::from_value(serde_json::json!({
            "name": "m",
            "steps": [
                {"id": "a", "step_type": "noop", "depends_on": ["b"]},
                {"id": "b", "step_type": "noop", "depends_on": ["a"]}
            ]
        }))
        .unwrap();
        assert!(matches!(
            Executable::compile(&cycle),
            Err(EngineError::Cycle(path)) if path.first() == path.last()
        ));
        let unknown: Mission = serde_json::from_value(serde_json::json!({
            "name": "m", "steps": [{"id": "a", "step_type": "teleport"}]
        }))
        .unwrap();
        assert!(matches!(
            Executable::compile(&unknown),
            Err(EngineError::UnavailableStepType { step, .. }) if step == "a"
        ));
    }

    #[test]
    fn the_derived_plan_lists_each_steps_dependencies_as_written() {
        let mission: Mission = serde_json::from_value(serde_json::json!({
            "name": "m",
            "steps": [
                {"id": "b", "step_type": "noop", "name": "Second", "depends_on": ["a", "a"]},
                {"id": "a", "step_type": "noop"},
                {"id": "c", "step_type": "noop", "depends_on": ["b", "a"]}
            ]
        }))
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let result = rt
            .block_on(run_mission(
                &mission,
                RunOptions::new(dir.path()),
                &mut crate::NullSink,
            ))
            .unwrap();
        let mut expected = Plan::from_mission(&mission);
        for item in &mut expected.items {
            item.set_from_step(StepStatus::Success, None);
        }
        assert_eq!(result.plan, expected);
        assert_eq!(
            serde_json::to_value(&result.plan.items[0]).unwrap(),
            serde_json::json!({"id": "b", "description": "Second", "depends_on": ["a", "a"],
                               "status": "completed"})
        );
        assert_eq!(
            result.step_results.keys().collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
    }
}
