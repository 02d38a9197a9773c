//! The launch forecast ([`studio_engine::forecast`]) for the CLI's dry runs and the app's
//! Quick Deploy and Resume: each cap's worst case against the perimeter the run would get, and
//! what stops it. The app gets it as [`LaunchForecast`] (generated into `ui/src/gen/`).
//!
//! The perimeter is the one a real run computes: the global hard caps of the data folder, the
//! mission's own perimeter, the operator's (Quick Deploy's form, an active mission's, the
//! Resume dialog's). A cap set by the global hard caps names the Settings field that raises it.

use crate::library_dto::PerimeterDto;
use crate::resume::ResumeOptions;
use crate::{ApiError, ErrorCode, StudioApi};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use studio_core::perimeter::settings_field;
use studio_core::{Mission, Perimeter};
use studio_engine::budget::micros_to_usd;
use studio_engine::forecast::{
    self, Cap, CapForecast, Finding, Forecast, ForecastRequest, Level, Severity, StepForecast,
    Verdict,
};
use studio_engine::Governance;
use ts_rs::TS;

/// The forecast of a launch, for the app.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "LaunchForecast.ts")]
pub struct LaunchForecast {
    pub mission_id: String,
    pub mission_name: String,
    /// No cap stops the run for sure (else a finding says why: `blocking`).
    pub can_complete: bool,
    /// Every cap holds the worst case.
    pub holds: bool,
    /// Tokens, LLM calls, cost, steps, runtime.
    pub caps: Vec<CapForecastDto>,
    /// Blocking first, then warnings, then notes.
    pub findings: Vec<ForecastFindingDto>,
    pub steps: Vec<StepForecastDto>,
    /// Values the prompts read that are known only once the run goes (counted as empty).
    pub unknown_values: Vec<String>,
}

/// One cap: its worst case against its limit.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "CapForecastDto.ts")]
pub struct CapForecastDto {
    /// The perimeter field.
    #[ts(
        type = "\"max_tokens\" | \"max_llm_calls\" | \"max_cost_usd\" | \"max_steps\" | \"max_runtime_minutes\""
    )]
    pub cap: String,
    /// `tokens`, `LLM calls`, `cost`, `steps`, `runtime`.
    pub label: String,
    /// In the cap's unit: tokens, calls, USD (to the micro-dollar), steps, minutes; absent:
    /// unbounded (runtime with a step that has no timeout).
    pub worst_case: Option<f64>,
    /// `2537 tokens`, `0.004250 USD`, `unbounded`.
    pub worst_case_text: String,
    /// The limit the run is held to, in the same unit; absent: no cap.
    pub limit: Option<f64>,
    pub limit_text: String,
    #[ts(type = "\"holds\" | \"tight\" | \"short\" | \"unbounded\"")]
    pub verdict: String,
    pub holds: bool,
    /// `short`: the refused step; `tight`: where the worst case passes the cap; runtime: the
    /// steps without a timeout, or the longest path.
    pub culprits: Vec<String>,
    /// The levels whose value is the limit.
    #[ts(type = "Array<\"global\" | \"mission\" | \"operator\">")]
    pub set_by: Vec<String>,
    /// When a global hard cap sets the limit: the Settings field that raises it
    /// (`Settings → Global hard caps → Tokens`).
    pub settings_field: Option<String>,
}

/// What the forecast says, with its figures.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "ForecastFindingDto.ts")]
pub struct ForecastFindingDto {
    /// `blocking`: the run cannot complete; `warning`: it may fall short.
    #[ts(type = "\"blocking\" | \"warning\" | \"note\"")]
    pub severity: String,
    pub cap: Option<String>,
    pub step_id: Option<String>,
    /// What the step needs, what was used before it, the limit: in the cap's unit (as
    /// [`CapForecastDto::worst_case`]).
    pub need: Option<f64>,
    pub used: Option<f64>,
    pub limit: Option<f64>,
    /// "cannot complete: `summarise` needs up to 338 tokens, cap 300".
    pub message: String,
    /// When a global hard cap sets the limit: the Settings field that raises it.
    pub settings_field: Option<String>,
}

/// One step's part of the worst case.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "StepForecastDto.ts")]
pub struct StepForecastDto {
    pub step_id: String,
    pub step_type: String,
    /// Attempts counted (retries included; 0 when a resume reuses it).
    pub attempts: u32,
    pub reused: bool,
    /// Answered by the mission's `simulation` block.
    pub simulated: bool,
    /// Worst case of all its attempts.
    pub tokens: u64,
    pub llm_calls: u64,
    pub cost_usd: f64,
    /// The prompt estimate the gate reserves, and `max_tokens` (model steps).
    pub prompt_tokens: Option<u64>,
    pub max_tokens: Option<u64>,
    pub provider: Option<String>,
    pub model: Option<String>,
    /// The prompt reads no value known only once the run goes.
    pub prompt_exact: bool,
    /// Attempts × timeout plus retry delays, in seconds; absent: no timeout.
    pub worst_seconds: Option<f64>,
    /// Why it would fail when it runs.
    pub problem: Option<String>,
}

/// An amount of a cap in the unit the app shows: USD for money, minutes for runtime.
fn in_unit(cap: Cap, amount: u64) -> f64 {
    match cap {
        Cap::MaxCostUsd => micros_to_usd(amount),
        Cap::MaxRuntimeMinutes => amount as f64 / 60_000.0,
        _ => amount as f64,
    }
}

fn level_name(level: Level) -> String {
    match level {
        Level::Global => "global",
        Level::Mission => "mission",
        Level::Operator => "operator",
    }
    .to_string()
}

fn verdict_name(v: Verdict) -> String {
    match v {
        Verdict::Holds => "holds",
        Verdict::Tight => "tight",
        Verdict::Short => "short",
        Verdict::Unbounded => "unbounded",
    }
    .to_string()
}

/// The Settings field that raises `cap` when the global hard caps set it.
pub fn global_hint(cap: Cap, set_by: &[Level]) -> Option<String> {
    set_by
        .contains(&Level::Global)
        .then(|| settings_field(cap.field()))
        .flatten()
}

impl From<&CapForecast> for CapForecastDto {
    fn from(c: &CapForecast) -> Self {
        Self {
            cap: c.cap.field().to_string(),
            label: c.cap.label().to_string(),
            worst_case: c.worst_case.map(|v| in_unit(c.cap, v)),
            worst_case_text: c
                .worst_case
                .map_or_else(|| "unbounded".to_string(), |v| c.cap.show(v)),
            limit: c.limit.map(|v| in_unit(c.cap, v)),
            limit_text: c
                .limit
                .map_or_else(|| "no cap".to_string(), |v| c.cap.show(v)),
            verdict: verdict_name(c.verdict),
            holds: c.holds(),
            culprits: c.culprits.clone(),
            set_by: c.set_by.iter().copied().map(level_name).collect(),
            settings_field: global_hint(c.cap, &c.set_by),
        }
    }
}

impl From<&Finding> for ForecastFindingDto {
    fn from(f: &Finding) -> Self {
        let unit = |v: Option<u64>| f.cap.zip(v).map(|(c, v)| in_unit(c, v));
        let settings = f.cap.and_then(|c| global_hint(c, &f.set_by));
        Self {
            severity: match f.severity {
                Severity::Blocking => "blocking",
                Severity::Warning => "warning",
                Severity::Note => "note",
            }
            .to_string(),
            cap: f.cap.map(|c| c.field().to_string()),
            step_id: f.step_id.clone(),
            need: unit(f.need),
            used: unit(f.used),
            limit: unit(f.limit),
            message: match (&settings, f.severity) {
                (Some(s), Severity::Blocking | Severity::Warning) => {
                    format!("{} (a global hard cap: raise {s})", f.message)
                }
                _ => f.message.clone(),
            },
            settings_field: settings,
        }
    }
}

impl From<&StepForecast> for StepForecastDto {
    fn from(s: &StepForecast) -> Self {
        Self {
            step_id: s.step_id.clone(),
            step_type: s.step_type.clone(),
            attempts: s.attempts,
            reused: s.reused,
            simulated: s.simulated,
            tokens: s.worst_case.tokens,
            llm_calls: s.worst_case.llm_calls,
            cost_usd: micros_to_usd(s.worst_case.cost_micros),
            prompt_tokens: s.llm.as_ref().map(|l| l.prompt_tokens),
            max_tokens: s.llm.as_ref().map(|l| l.max_tokens),
            provider: s.llm.as_ref().map(|l| l.provider.clone()),
            model: s.llm.as_ref().map(|l| l.model.clone()),
            prompt_exact: s.llm.as_ref().is_none_or(|l| l.prompt_exact),
            worst_seconds: s.worst_ms.map(|ms| ms as f64 / 1000.0),
            problem: s.problem.clone(),
        }
    }
}

impl LaunchForecast {
    pub fn new(mission: &Mission, f: &Forecast) -> Self {
        Self {
            mission_id: mission.mission_id(),
            mission_name: mission.name.clone(),
            can_complete: f.can_complete(),
            holds: f.holds(),
            caps: f.caps.iter().map(Into::into).collect(),
            findings: f.findings.iter().map(Into::into).collect(),
            steps: f.steps.iter().map(Into::into).collect(),
            unknown_values: f.unknown_values.clone(),
        }
    }
}

impl StudioApi {
    /// The forecast of a run of `mission` under `governance`, given `context` (run inputs) and
    /// the outputs a resume reuses. The operator's providers are used unless `governance`
    /// brings its own table, as a run does.
    pub fn forecast(
        &self,
        mission: &Mission,
        governance: &Governance,
        context: BTreeMap<String, Value>,
        reused: BTreeMap<String, Value>,
    ) -> Result<Forecast, ApiError> {
        let mut governance = governance.clone();
        if *governance.providers == studio_engine::providers::ProviderTable::default() {
            governance.providers = Arc::new(self.provider_table()?);
        }
        let request = ForecastRequest {
            mission,
            governance: &governance,
            context,
            env: None,
            reused,
        };
        forecast::forecast(&request)
            .map_err(|e| ApiError::new(ErrorCode::InvalidInput, e.to_string()))
    }

    /// The forecast of a run started from the app: the app's governance (global hard caps,
    /// the library's tools, prices, the Settings switch "simulate model calls") with
    /// `operator` as the operator's perimeter.
    fn app_forecast(
        &self,
        mission: &Mission,
        origin: Option<&Path>,
        operator: Perimeter,
        context: BTreeMap<String, Value>,
        reused: BTreeMap<String, Value>,
    ) -> Result<LaunchForecast, ApiError> {
        let mut governance = crate::live::app_governance(origin, self.paths().data_dir())?;
        governance.simulate_llm = self.settings()?.simulate_llm;
        governance.operator = operator;
        let f = self.forecast(mission, &governance, context, reused)?;
        Ok(LaunchForecast::new(mission, &f))
    }

    /// Quick Deploy's forecast: a template of the library under the operator's perimeter.
    pub fn forecast_template(
        &self,
        template_id: &str,
        perimeter: &PerimeterDto,
    ) -> Result<LaunchForecast, ApiError> {
        let (summary, loaded) = self.template_registry()?.load(template_id)?;
        self.app_forecast(
            &loaded.mission,
            Some(&summary.path),
            Perimeter::from(perimeter),
            BTreeMap::new(),
            BTreeMap::new(),
        )
    }

    /// The forecast of a mission file (validated first: an invalid file is `InvalidInput`
    /// with every problem), under `perimeter` when given.
    pub fn forecast_file(
        &self,
        path: &Path,
        perimeter: Option<&PerimeterDto>,
        inputs: BTreeMap<String, Value>,
    ) -> Result<LaunchForecast, ApiError> {
        let options = crate::check::CheckOptions {
            validate: self.validate_options(inputs.keys().cloned().collect()),
            strict: false,
        };
        let check = crate::check::check_file(path, &options);
        let mission = match check.loaded.as_ref() {
            Some(loaded) if check.is_valid() => loaded.mission.clone(),
            _ => return Err(ApiError::invalid_mission(check.report())),
        };
        self.app_forecast(
            &mission,
            Some(path),
            perimeter.map(Perimeter::from).unwrap_or_default(),
            inputs,
            BTreeMap::new(),
        )
    }

    /// An active mission's forecast: its template as the file is now, its perimeter (or
    /// `perimeter`, when the operator is editing it) and its inputs.
    pub fn forecast_active(
        &self,
        active_id: &str,
        perimeter: Option<&PerimeterDto>,
    ) -> Result<LaunchForecast, ApiError> {
        let plan = self.prepare_active(active_id)?;
        let operator = perimeter
            .map(Perimeter::from)
            .unwrap_or_else(|| plan.active.perimeter.clone());
        self.app_forecast(
            &plan.mission,
            Some(&plan.template_path),
            operator,
            plan.active.inputs.clone(),
            BTreeMap::new(),
        )
    }

    /// The forecast of a resume as the Resume dialog sets it up: the steps it reuses do not
    /// count; the perimeter is the one given, else the earlier run's operator perimeter.
    pub fn forecast_resume(
        &self,
        run_id: &str,
        options: &ResumeOptions,
    ) -> Result<LaunchForecast, ApiError> {
        let plan = self.prepare_resume_options(run_id, options)?;
        let operator = match &options.perimeter {
            Some(p) => Perimeter::from(p),
            None => plan.operator.clone().unwrap_or_default(),
        };
        let origin = plan.recorded_file.as_ref().map(|f| f.path.clone());
        self.app_forecast(
            &plan.mission,
            origin.as_deref(),
            operator,
            plan.context.clone(),
            plan.reuse.clone(),
        )
    }
}
