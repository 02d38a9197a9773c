//! Resume, with the fixes an operator makes between two runs: a raised cap, an edited mission
//! file. The CLI's `mission resume RUN_ID [--file FILE] [caps flags]` and the app's Resume
//! dialog call these.
//!
//! **The perimeter of a resumed run.** It is merged as every run's is — global hard caps ∧ the
//! mission's own perimeter ∧ the operator's — so nothing given here can go above the mission's
//! own caps or the global ones. Its operator level is the earlier run's operator perimeter (as
//! its `meta.json` recorded it), with what is given now in place of it: the CLI's flags replace
//! the fields they name (a flag can raise a cap the earlier run's operator set, or lower it),
//! the app's perimeter replaces it whole. A run recorded before its operator perimeter was
//! (older runs) resumes with only what is given now.
//!
//! **The mission of a resumed run.** Without a file, the earlier run's recorded mission, its
//! succeeded steps reused. With a file (the CLI's `--file`, the app's "resume with the current
//! file"), the file is validated again and only steps that succeeded and whose
//! [`studio_core::step_hash`] — their resolved definition and the inputs they read — is the
//! same in both missions are reused, and only when every step they depend on is reused too;
//! changed, new and downstream steps run again.

use crate::library_dto::PerimeterDto;
use crate::runs::{mission_file_ref, RecordedFile, ResumePlan};
use crate::{ApiError, StudioApi};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use studio_core::{Mission, Perimeter};
use ts_rs::TS;

/// How the app resumes a run (the Resume dialog).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export_to = "ResumeOptions.ts")]
pub struct ResumeOptions {
    /// Run the run's mission file as it is now (validated again) instead of the recorded
    /// mission; only unchanged steps are reused.
    pub use_current_file: bool,
    /// The operator's perimeter of the new run; absent: the earlier run's.
    pub perimeter: Option<PerimeterDto>,
}

/// What a resume would do, for the Resume dialog: the perimeter it starts from, whether the
/// mission file changed, which steps are reused and why the others run again.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "ResumePreview.ts")]
pub struct ResumePreview {
    pub run_id: String,
    /// The mission file the run was read from (absent for runs recorded before it was).
    pub mission_file: Option<String>,
    /// The file changed on disk since the run read it (or is gone).
    pub file_changed: bool,
    pub file_exists: bool,
    /// The operator perimeter the new run starts from (the earlier run's, or the one given).
    pub perimeter: PerimeterDto,
    pub reused_steps: Vec<String>,
    pub rerun_steps: Vec<String>,
    /// Why each step in `rerunSteps` runs again: `failed`, `skipped`, `changed`, `new`,
    /// `after \`x\``, …
    pub rerun_reasons: BTreeMap<String, String>,
    /// The hint the CLI prints when the file changed and the recorded mission is resumed.
    pub hint: Option<String>,
}

/// The hint when the recorded mission is resumed although its file changed.
pub const FILE_CHANGED_HINT: &str =
    "the mission file changed since this run: resume with --file to use it";

/// The operator perimeter of a resumed run: `earlier` (the earlier run's) with each field
/// `given` sets in its place — budget caps one by one, approval, sandbox, tool lists and
/// connected sectors as wholes.
pub fn resume_operator(earlier: Option<&Perimeter>, given: &Perimeter) -> Perimeter {
    let Some(earlier) = earlier else {
        return given.clone();
    };
    let mut out = earlier.clone();
    if let Some(g) = &given.budget {
        let b = out.budget.get_or_insert_with(Default::default);
        b.max_cost_usd = g.max_cost_usd.or(b.max_cost_usd);
        b.max_tokens = g.max_tokens.or(b.max_tokens);
        b.max_llm_calls = g.max_llm_calls.or(b.max_llm_calls);
        b.max_steps = g.max_steps.or(b.max_steps);
        b.max_runtime_minutes = g.max_runtime_minutes.or(b.max_runtime_minutes);
    }
    if given.approval.is_some() {
        out.approval = given.approval.clone();
    }
    if given.sandbox.is_some() {
        out.sandbox = given.sandbox;
    }
    if given.tools.is_some() {
        out.tools = given.tools.clone();
    }
    if !given.connected_sectors.is_empty() {
        out.connected_sectors = given.connected_sectors.clone();
    }
    if given.network.is_some() {
        out.network = given.network.clone();
    }
    out
}

impl StudioApi {
    /// Prepares a resume of `run_id` with `mission`, read (and validated) from `file`: only the
    /// steps that succeeded and are unchanged — same [`studio_core::step_hash`] with the new
    /// run's `inputs`, every dependency reused — keep their output. `inputs` are the run inputs
    /// given now (they override the earlier run's).
    pub fn prepare_resume_from(
        &self,
        run_id: &str,
        mission: Mission,
        file: &Path,
        inputs: &BTreeMap<String, Value>,
    ) -> Result<ResumePlan, ApiError> {
        let recorded = self.prepare_resume(run_id)?;
        let old_inputs = with_defaults(&recorded.mission, &recorded.context);
        let mut context = recorded.context.clone();
        context.extend(inputs.clone());
        let new_inputs = with_defaults(&mission, &context);
        let old_hash: BTreeMap<&str, String> = recorded
            .mission
            .steps
            .iter()
            .map(|s| {
                (
                    s.id.as_str(),
                    studio_core::step_hash(&recorded.mission, s, &old_inputs),
                )
            })
            .collect();
        let order = studio_core::topological_order(&mission).map_err(|e| {
            ApiError::new(
                crate::ErrorCode::InvalidInput,
                format!("{}: {e}", file.display()),
            )
        })?;
        let mut reuse = BTreeMap::new();
        let mut reasons: BTreeMap<String, String> = BTreeMap::new();
        for i in order {
            let step = &mission.steps[i];
            let id = step.id.as_str();
            let changed = old_hash
                .get(id)
                .is_some_and(|old| *old != studio_core::step_hash(&mission, step, &new_inputs));
            let why = match (old_hash.get(id), recorded.reuse.get(id)) {
                (None, _) => Some("new".to_string()),
                (Some(_), None) => {
                    let before = recorded
                        .rerun_reasons
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| "not run".into());
                    Some(if changed {
                        format!("{before}, changed")
                    } else {
                        before
                    })
                }
                (Some(_), Some(_)) if changed => Some("changed".to_string()),
                _ => step
                    .depends_on
                    .iter()
                    .find(|d| !reuse.contains_key(d.as_str()))
                    .map(|d| format!("after `{d}`")),
            };
            match why {
                Some(why) => {
                    reasons.insert(step.id.clone(), why);
                }
                None => {
                    reuse.insert(step.id.clone(), recorded.reuse[id].clone());
                }
            }
        }
        Ok(ResumePlan {
            mission,
            reuse,
            rerun_reasons: reasons,
            mission_file: mission_file_ref(file),
            ..recorded
        })
    }

    /// Prepares a resume as the app asks for it: the recorded mission, or with
    /// `use_current_file` the run's mission file as it is now (validated again: an invalid
    /// file is `InvalidInput` with every problem, located).
    pub fn prepare_resume_options(
        &self,
        run_id: &str,
        options: &ResumeOptions,
    ) -> Result<ResumePlan, ApiError> {
        let plan = self.prepare_resume(run_id)?;
        if !options.use_current_file {
            return Ok(plan);
        }
        let Some(file) = plan.recorded_file.as_ref().map(|f| f.path.clone()) else {
            return Err(ApiError::new(
                crate::ErrorCode::InvalidInput,
                format!("run {run_id} recorded no mission file to resume with"),
            ));
        };
        let mission = self.load_for_resume(&file, &plan.context)?;
        self.prepare_resume_from(run_id, mission, &file, &BTreeMap::new())
    }

    /// A mission file, checked as a run checks it.
    fn load_for_resume(
        &self,
        file: &Path,
        inputs: &BTreeMap<String, Value>,
    ) -> Result<Mission, ApiError> {
        let options = crate::check::CheckOptions {
            validate: self.validate_options(inputs.keys().cloned().collect()),
            strict: false,
        };
        let check = crate::check::check_file(file, &options);
        match check.loaded.as_ref() {
            Some(loaded) if check.is_valid() => Ok(loaded.mission.clone()),
            _ => Err(ApiError::invalid_mission(check.report())),
        }
    }

    /// What a resume with `options` would do (nothing runs).
    pub fn resume_preview(
        &self,
        run_id: &str,
        options: &ResumeOptions,
    ) -> Result<ResumePreview, ApiError> {
        let plan = self.prepare_resume_options(run_id, options)?;
        let operator = match &options.perimeter {
            Some(p) => Perimeter::from(p),
            None => plan.operator.clone().unwrap_or_default(),
        };
        Ok(preview_of(&plan, &operator, options.use_current_file))
    }
}

/// The Resume dialog's view of a plan.
pub(crate) fn preview_of(
    plan: &ResumePlan,
    operator: &Perimeter,
    with_file: bool,
) -> ResumePreview {
    let file: Option<&RecordedFile> = plan.recorded_file.as_ref();
    let changed = file.is_some_and(|f| f.changed);
    ResumePreview {
        run_id: plan.from_run.clone(),
        mission_file: file.map(|f| f.path.display().to_string()),
        file_changed: changed,
        file_exists: file.is_some_and(|f| f.exists),
        perimeter: operator.into(),
        reused_steps: plan.reuse.keys().cloned().collect(),
        rerun_steps: plan.rerun_steps(),
        rerun_reasons: plan.rerun_reasons.clone(),
        hint: (changed && !with_file && file.is_some_and(|f| f.exists))
            .then(|| FILE_CHANGED_HINT.to_string()),
    }
}

/// Run inputs as a run sees them: the mission's defaults, then those given.
fn with_defaults(mission: &Mission, given: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    let mut out = mission.input_defaults();
    out.extend(given.clone());
    out
}
