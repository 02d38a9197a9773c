//! The scheduler: walks the sealed DAG with the semantics of DESIGN §4.
//!
//! One task (the caller's) owns all run state: it resolves parameters, starts ready steps in
//! declaration order while fewer than `max_concurrent_steps` run, and reacts to the messages that
//! step tasks send back. Only steps that wait on something (processes, files, network) become
//! tokio tasks; `noop` and simulated steps finish inline. No locks, no per-step hashing.
//!
//! This file holds the run's state and its loop; the rest is split by role:
//! `options` (what a run is given), `launch` (starting a ready step), `governing` (the gate and
//! approvals), `job` (a step's attempts as a task), `remote_steps` (steps handed to a squad),
//! `completion` (a step's end and what it releases), `state_edits` (a person's edits of the
//! state), `emitter` (numbering events), `finish` (the run's end) and `order` (the results'
//! order).

use crate::budget::Reservation;
use crate::events::{EventSink, EventType};
use crate::gate::{Gate, GateSetup, Refusal};
use crate::governance::{self, Governance, Prepared};
use crate::graph::Dag;
use crate::redact::Redactor;
use crate::result::{Link, RunResult};
use crate::state::MissionState;
use crate::steps::{self, Failure, RunSetup, Shared, StepKind, StepOutput, Workspace};
use crate::timefmt;
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

mod completion;
mod emitter;
mod finish;
mod governing;
mod job;
mod launch;
mod options;
mod order;
mod remote_steps;
mod state_edits;

use emitter::Emitter;
pub use options::{ReusedOutput, RunOptions};
use order::{id_prefix, sorted_by_id};

/// Default bound on running steps when the mission sets none.
pub const DEFAULT_MAX_CONCURRENT_STEPS: usize = 8;
/// Default pause between attempts when the mission sets none.
pub const DEFAULT_RETRY_DELAY_MS: u64 = 1000;
/// How long a step may take to clean up (kill and reap its processes) once interrupted.
const INTERRUPT_GRACE: Duration = Duration::from_secs(5);

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
}

#[cfg(test)]
mod tests;
