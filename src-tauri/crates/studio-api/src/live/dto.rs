//! What the window receives about live runs: events, approvals, the run view, notices.

use super::*;

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
