//! The run view and a step's detail: from the registry for a live run, else from the history.

use super::*;

impl LiveRuns {
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
}

pub(super) fn step_dto(
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
pub(super) fn caps_from_meta(evidence_dir: &str) -> BudgetCapsDto {
    let path = Path::new(evidence_dir).join("meta.json");
    let budget = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v.get("perimeter")?.get("budget").cloned())
        .and_then(|b| serde_json::from_value::<Budget>(b).ok())
        .unwrap_or_default();
    BudgetCapsDto::from(&budget)
}

/// Whether a recorded run simulated every model call, as its `meta.json` says.
pub(super) fn meta_says_simulated(evidence_dir: Option<&str>) -> bool {
    let Some(dir) = evidence_dir else {
        return false;
    };
    std::fs::read_to_string(Path::new(dir).join("meta.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|meta| meta.get("simulate_llm").and_then(Value::as_bool))
        .unwrap_or(false)
}
