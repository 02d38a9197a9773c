//! The scheduler: walks the sealed DAG with the semantics of DESIGN §4.
//!
//! One task (the caller's) owns all run state: it resolves parameters, starts ready steps in
//! declaration order while fewer than `max_concurrent_steps` run, and reacts to the messages that
//! step tasks send back. Only steps that wait on something (processes, files, network) become
//! tokio tasks; `noop` and simulated steps finish inline. No locks, no per-step hashing.

use crate::events::{Event, EventSink, EventType, StepRecord, Usage};
use crate::graph::Dag;
use crate::plan::Plan;
use crate::redact::Redactor;
use crate::result::{Link, RunResult, StepResult};
use crate::state::MissionState;
use crate::steps::{self, Failure, FailureKind, Shared, StepCtx, StepKind, StepOutput, Workspace};
use crate::timefmt;
use crate::vars::{self, Scope, StepLookup};
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
    /// Run inputs, read as `{{context.<name>}}` (`--var name=value`).
    pub context: BTreeMap<String, Value>,
    /// Values for `{{env.NAME}}`; `None` reads the process environment.
    pub env: Option<BTreeMap<String, String>>,
    /// Cancelling it cancels the run (the UI's button, Ctrl-C).
    pub cancel: CancellationToken,
    /// Outputs of an earlier run to reuse, by step id (`mission resume`): such a step does not
    /// run; it succeeds at once with the output (its `state:` writes apply again).
    pub reuse: BTreeMap<String, ReusedOutput>,
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
        }
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
    let dag = Dag::build(&mission.steps)?;
    let specs = StepSpec::all(mission)?;
    let workspace =
        Workspace::open(&options.workspace).map_err(|source| EngineError::Workspace {
            path: options.workspace.clone(),
            source,
        })?;
    let run = Run::new(mission, options, dag, specs, workspace, sink);
    Ok(run.execute().await)
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
    action: Action,
    max_attempts: u32,
    timeout: Option<Duration>,
    continue_on_error: bool,
}

impl StepSpec {
    fn all(mission: &Mission) -> Result<Vec<Self>, EngineError> {
        let config = mission.config();
        let simulation = mission.simulation.as_ref().filter(|s| s.enabled);
        mission
            .steps
            .iter()
            .map(|step| {
                let simulated = simulation.and_then(|s| {
                    s.tools
                        .iter()
                        .find(|t| t.name == step.step_type || t.name == step.id)
                });
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
struct Slot {
    status: StepStatus,
    /// Dependencies not yet final.
    remaining: u32,
    /// The first dependency that ended in a way that does not let this step run.
    blocked_by: Option<u32>,
    attempts: u32,
    output: Option<Value>,
    error: Option<String>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    started: Option<Instant>,
    duration_ms: u64,
    reused_from: Option<String>,
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    FailFast,
    TimedOut,
    Cancelled,
}

struct Run<'a> {
    mission: &'a Mission,
    dag: Dag,
    specs: Vec<StepSpec>,
    slots: Vec<Slot>,
    index: HashMap<&'a str, u32>,
    ready: BinaryHeap<Reverse<u32>>,
    running: usize,
    max_concurrent: usize,
    fail_fast: bool,
    retry_delay_ms: u64,
    global_timeout: Option<Duration>,
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
        mission: &'a Mission,
        options: RunOptions,
        dag: Dag,
        specs: Vec<StepSpec>,
        workspace: Workspace,
        sink: &'a mut dyn EventSink,
    ) -> Self {
        let config = mission.config();
        let slots = dag
            .indegrees()
            .iter()
            .map(|&remaining| Slot {
                status: StepStatus::Pending,
                remaining,
                blocked_by: None,
                attempts: 0,
                output: None,
                error: None,
                started_at: None,
                finished_at: None,
                started: None,
                duration_ms: 0,
                reused_from: None,
            })
            .collect();
        let index = mission
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i as u32))
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
        Self {
            mission,
            slots,
            index,
            ready: BinaryHeap::new(),
            running: 0,
            max_concurrent: effective.max_concurrent_steps.unwrap_or(1),
            fail_fast: effective.fail_fast.unwrap_or(true),
            retry_delay_ms: effective.retry_delay_ms.unwrap_or(0),
            global_timeout: config.timeout_seconds.map(Duration::from_secs),
            stop: None,
            reason: None,
            failed_steps: 0,
            state: MissionState::new(mission.state_schema.as_ref()),
            secrets: Redactor::default(),
            links: Vec::new(),
            artifacts: Vec::new(),
            config_value: serde_json::to_value(&effective).unwrap_or(Value::Null),
            workspace_text: workspace.root().display().to_string(),
            context: options.context,
            env: options.env,
            reuse: options.reuse,
            shared: Arc::new(Shared::new(workspace)),
            run_token: options.cancel.child_token(),
            user_cancel: options.cancel,
            tx,
            rx,
            emitter: Emitter {
                sink,
                seq: 0,
                mission_id,
                run_id: Arc::from(options.run_id.as_str()),
                trace_id: Arc::from(options.trace_id.as_str()),
                started,
                warned: false,
                clock: TextClock::default(),
            },
            started_at: timefmt::now(),
            started,
            dag,
            specs,
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
        let deadline = self.global_timeout.map(|t| tokio::time::Instant::now() + t);
        let sleep =
            tokio::time::sleep_until(deadline.unwrap_or_else(|| {
                tokio::time::Instant::now() + Duration::from_secs(86_400 * 365)
            }));
        tokio::pin!(sleep);
        let user_cancel = self.user_cancel.clone();
        let cancelled = user_cancel.cancelled();
        tokio::pin!(cancelled);

        loop {
            if self.stop.is_none() && self.user_cancel.is_cancelled() {
                self.halt(Stop::Cancelled, "cancelled by the operator".into());
            }
            if self.stop.is_none() && deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                let secs = self.global_timeout.map(|t| t.as_secs()).unwrap_or(0);
                self.halt(Stop::TimedOut, format!("the run timed out after {secs}s"));
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
                _ = &mut sleep, if deadline.is_some() && self.stop.is_none() => {
                    let secs = self.global_timeout.map(|t| t.as_secs()).unwrap_or(0);
                    self.halt(Stop::TimedOut, format!("the run timed out after {secs}s"));
                }
            }
        }
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
                let slot = &mut self.slots[idx];
                slot.started_at = Some(timefmt::now());
                slot.started = Some(Instant::now());
                slot.reused_from = Some(reused.from_run);
                return self.complete(i, 0, Ok(StepOutput::new(reused.output)));
            }
        }
        let params = match self.resolve_params(idx) {
            Ok(p) => p,
            Err(message) => {
                let now = timefmt::now();
                let slot = &mut self.slots[idx];
                slot.started_at = Some(now);
                slot.started = Some(Instant::now());
                self.complete(i, 1, Err(Failure::new(message)));
                return;
            }
        };
        let slot = &mut self.slots[idx];
        slot.status = StepStatus::Running;
        slot.started_at = Some(timefmt::now());
        slot.started = Some(Instant::now());
        slot.attempts = 1;
        let spec = &self.specs[idx];
        let step_id = Arc::clone(&spec.id);
        self.emitter.emit(
            EventType::Progress,
            Some((&step_id, 1)),
            "started",
            RunStatus::Running,
            Some(StepStatus::Running),
            format!("step `{step_id}` started"),
            Vec::new(),
        );
        enum Dispatch {
            Now(Result<StepOutput, Failure>),
            Spawn(StepKind),
        }
        let dispatch = match &spec.action {
            Action::Simulated(response) => Dispatch::Now(Ok(StepOutput::new(response.clone()))),
            Action::Real(kind) if kind.is_inline() => Dispatch::Spawn(*kind),
            Action::Real(kind) => Dispatch::Spawn(*kind),
        };
        let (max_attempts, timeout) = (spec.max_attempts, spec.timeout);
        let kind = match dispatch {
            Dispatch::Now(result) => return self.complete(i, 1, result),
            Dispatch::Spawn(kind) if kind.is_inline() => {
                let result = steps::run_inline(kind, params);
                return self.complete(i, 1, result);
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
        self.running += 1;
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
        };
        tokio::spawn(job.run());
    }

    fn resolve_params(&mut self, idx: usize) -> Result<Value, String> {
        let params = &self.mission.steps[idx].parameters;
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
        let slots = &self.slots;
        let index = &self.index;
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
        let mission_id = self.emitter.mission_id.clone();
        let run_id = self.emitter.run_id.clone();
        let scope = Scope {
            env: &env,
            context: &self.context,
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
        }
    }

    /// Records the end of a step that started, applies its state writes, and releases its
    /// dependents.
    fn complete(&mut self, i: u32, attempts: u32, result: Result<StepOutput, Failure>) {
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
        let slot = &mut self.slots[idx];
        slot.attempts = attempts;
        slot.finished_at = Some(timefmt::now());
        slot.duration_ms = slot
            .started
            .map(|s| s.elapsed().as_millis() as u64)
            .unwrap_or(0);
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
                let summary = match &slot.reused_from {
                    Some(run) => format!("step `{step_id}` reused the output of run {run}"),
                    None => format!("step `{step_id}` succeeded in {} ms", slot.duration_ms),
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
                    format!("step `{step_id}` cancelled: {why}"),
                    Vec::new(),
                )
            }
            Err(f) => {
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
                (StepStatus::Failed, summary, Vec::new())
            }
        };
        let summary = self.secrets.text(&summary);
        self.record_step(idx);
        self.emitter.emit(
            EventType::Progress,
            Some((&step_id, attempts)),
            "finished",
            RunStatus::Running,
            Some(status),
            summary.clone(),
            Vec::new(),
        );
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
        if status == StepStatus::Failed && !continue_on_error {
            self.failed_steps += 1;
            if self.reason.is_none() {
                self.reason = Some(summary);
            }
            if self.fail_fast {
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
        let mut work = vec![(i, satisfies)];
        while let Some((from, ok)) = work.pop() {
            for k in 0..self.dag.dependents(from as usize).len() {
                let d = self.dag.dependents(from as usize)[k];
                let slot = &mut self.slots[d as usize];
                slot.remaining -= 1;
                if !ok && slot.blocked_by.is_none() {
                    slot.blocked_by = Some(from);
                }
                if slot.remaining > 0 || self.stop.is_some() {
                    continue;
                }
                match slot.blocked_by {
                    None => self.ready.push(Reverse(d)),
                    Some(blocker) => {
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
            started_at: slot.started_at,
            finished_at: slot.finished_at,
            duration_ms: slot.duration_ms,
            reused_from: slot.reused_from.as_deref(),
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
        let total_duration_ms = self.started.elapsed().as_millis() as u64;
        let usage = Usage {
            runtime_ms: total_duration_ms,
            ..Usage::default()
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

        let mut plan = Plan::from_mission(self.mission);
        let secrets = &self.secrets;
        let mut step_results = BTreeMap::new();
        for ((step, spec), slot) in self.mission.steps.iter().zip(&self.specs).zip(self.slots) {
            let _ = spec;
            step_results.insert(
                step.id.clone(),
                StepResult {
                    step_type: step.step_type.clone(),
                    name: step.name.clone(),
                    status: slot.status,
                    output: slot
                        .output
                        .map(|o| secrets.value(&o))
                        .unwrap_or(Value::Null),
                    error: slot.error.map(|e| secrets.text(&e)),
                    attempts: slot.attempts,
                    started_at: slot.started_at,
                    finished_at: slot.finished_at,
                    duration_ms: slot.duration_ms,
                    reused_from: slot.reused_from,
                },
            );
        }
        plan.apply(|id| step_results.get(id).map(|r| (r.status, r.error.clone())));
        RunResult {
            run_id: self.emitter.run_id.to_string(),
            mission_id: self.emitter.mission_id.to_string(),
            trace_id: self.emitter.trace_id.to_string(),
            status,
            reason: self.reason.map(|r| self.secrets.text(&r)),
            started_at: self.started_at,
            finished_at,
            total_duration_ms,
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
}

impl Job {
    async fn run(self) {
        let mut attempt = 1;
        loop {
            let last = attempt >= self.max_attempts;
            let params = self.params.clone();
            let result = self.attempt(params).await;
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
    async fn attempt(&self, params: Value) -> Result<StepOutput, Failure> {
        let ctx = StepCtx {
            shared: Arc::clone(&self.shared),
            cancel: self.run_token.child_token(),
        };
        let fut = steps::run(self.kind, params, &ctx);
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
struct Emitter<'a> {
    sink: &'a mut dyn EventSink,
    seq: u64,
    mission_id: Arc<str>,
    run_id: Arc<str>,
    trace_id: Arc<str>,
    started: Instant,
    warned: bool,
    clock: TextClock,
}

/// The current time as RFC 3339 text, formatted once per millisecond: a burst of events from
/// short steps shares the text instead of formatting it again for each event.
#[derive(Default)]
struct TextClock {
    millis: i64,
    text: String,
}

impl TextClock {
    fn now_text(&mut self) -> String {
        let now = timefmt::now();
        let millis = now.timestamp_millis();
        if millis != self.millis || self.text.is_empty() {
            self.millis = millis;
            self.text = timefmt::rfc3339(now);
        }
        self.text.clone()
    }
}

impl Emitter<'_> {
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
        self.seq += 1;
        let (step_id, attempt) = match step {
            Some((id, attempt)) => (Some(Arc::clone(id)), Some(attempt)),
            None => (None, None),
        };
        let idempotency_key = format!(
            "{}:{}:{}:{}/{}",
            self.run_id,
            step_id.as_deref().unwrap_or("-"),
            attempt.unwrap_or(0),
            event_type.as_str(),
            phase
        );
        let event = Event {
            event_type,
            mission_id: Arc::clone(&self.mission_id),
            run_id: Arc::clone(&self.run_id),
            trace_id: Arc::clone(&self.trace_id),
            seq: self.seq,
            idempotency_key,
            step_id,
            attempt,
            status,
            step_status,
            summary,
            artifact_refs,
            usage: Usage {
                runtime_ms: self.started.elapsed().as_millis() as u64,
                ..Usage::default()
            },
            emitted_at: self.clock.now_text(),
        };
        if let Err(e) = self.sink.emit(&event) {
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
