//! What the app's Library page asks of the library, in its transport types: the cards, one
//! template in full, a template's runs, and which steps of a template will wait for approval
//! under a perimeter (the engine gate's own rule, [`studio_engine::gate::approval_reason`]).

use crate::library_dto::{
    ActiveMissionDto, LibraryTemplate, LibraryTemplateDetail, PerimeterDto, StepApprovalPreview,
    TemplateRun,
};
use crate::{ApiError, StudioApi};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use studio_core::perimeter::merge;
use studio_core::Perimeter;
use studio_engine::gate::approval_reason;
use studio_engine::tools::{declared_identity, Effects, ToolRegistry};
use studio_registry::TemplateQuery;
use studio_store::RunFilter;

impl StudioApi {
    /// Every valid template, as the Library's cards (the page filters them as one types).
    pub fn library_templates(
        &self,
        query: &TemplateQuery,
    ) -> Result<Vec<LibraryTemplate>, ApiError> {
        Ok(self.list_templates(query)?.iter().map(Into::into).collect())
    }

    /// The template files left out of the library, each with every problem as `mission
    /// validate` reports it (for the Library's "N files have errors" notice).
    pub fn library_problems(&self) -> Result<Vec<crate::MissionReport>, ApiError> {
        let mut files: Vec<PathBuf> = self
            .template_problems()?
            .into_iter()
            .map(|p| p.file)
            .collect();
        files.dedup();
        Ok(files
            .iter()
            .map(|f| crate::check::check_template(f).report())
            .collect())
    }

    /// One template in full, for the detail panel.
    pub fn library_template(&self, id: &str) -> Result<LibraryTemplateDetail, ApiError> {
        Ok((&self.get_template(id)?).into())
    }

    /// The newest runs of a template (at most 60), for its history chart.
    pub fn template_runs(&self, id: &str) -> Result<Vec<TemplateRun>, ApiError> {
        let runs = self.history(&RunFilter {
            mission_id: Some(id.to_string()),
            limit: Some(60),
            ..Default::default()
        })?;
        Ok(runs
            .into_iter()
            .map(|r| TemplateRun {
                status: serde_json::to_value(r.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                run_id: r.run_id,
                started_at: r.started_at,
                finished_at: r.finished_at,
                cost_usd: r.usage.cost_usd,
                duration_ms: r.usage.runtime_ms,
            })
            .collect())
    }

    /// For each step of the template, whether it will wait for approval under `operator`
    /// (merged with the global caps and the template's defaults, as a run would be), and why.
    /// Estimated costs are the tools' own estimates; simulated steps cost nothing and have no
    /// side effects, as in the gate.
    pub fn approval_preview(
        &self,
        template_id: &str,
        operator: &PerimeterDto,
    ) -> Result<Vec<StepApprovalPreview>, ApiError> {
        let (summary, loaded) = self.template_registry()?.load(template_id)?;
        self.step_approvals(&loaded.mission, &summary.path, operator)
    }

    /// [`Self::approval_preview`] of a mission loaded from `origin` (its tools are found from
    /// there).
    pub(crate) fn step_approvals(
        &self,
        mission: &studio_core::Mission,
        origin: &std::path::Path,
        operator: &PerimeterDto,
    ) -> Result<Vec<StepApprovalPreview>, ApiError> {
        let global = self.global_perimeter()?;
        let template = mission.perimeter.clone().unwrap_or_default();
        let effective = merge(&global, &template, &Perimeter::from(operator));
        let tools = ToolRegistry::load_dirs(&self.tool_dirs(origin)).unwrap_or_default();
        Ok(mission
            .steps
            .iter()
            .map(|step| {
                let identity = declared_identity(&step.step_type, &step.parameters, &tools);
                let (effects, cost_usd) = if mission.simulated_tool(step).is_some() {
                    (Effects::SIMULATED, 0.0)
                } else {
                    (identity.effects(), identity.cost_usd)
                };
                let reason = approval_reason(
                    &effective.approval,
                    step.approval,
                    &identity.name,
                    &step.step_type,
                    effects,
                    cost_usd,
                );
                StepApprovalPreview {
                    step_id: step.id.clone(),
                    needs_approval: reason.is_some(),
                    reason,
                }
            })
            .collect())
    }

    /// Where registry tools live for a template: the library's `tools/` folder beside its
    /// `templates/`, then `<data dir>/tools`.
    fn tool_dirs(&self, template_path: &std::path::Path) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        if let Some(lib) = template_path
            .ancestors()
            .find(|d| d.file_name().is_some_and(|n| n == "templates"))
            .and_then(|d| d.parent())
        {
            let tools = lib.join("tools");
            if tools.is_dir() {
                dirs.push(tools);
            }
        }
        let user = self.paths().data_dir().join("tools");
        if user.is_dir() {
            dirs.push(user);
        }
        dirs
    }
}

impl StudioApi {
    /// Active missions for the app, newest first.
    pub fn active_missions(&self) -> Result<Vec<ActiveMissionDto>, ApiError> {
        Ok(self.list_active()?.iter().map(Into::into).collect())
    }

    /// Saves a Quick Deploy from the app (no inputs); refused above the global hard caps.
    pub fn deploy_from_app(
        &self,
        template_id: &str,
        perimeter: &PerimeterDto,
        name: Option<&str>,
    ) -> Result<ActiveMissionDto, ApiError> {
        let deployed = self.deploy(
            template_id,
            &Perimeter::from(perimeter),
            &BTreeMap::new(),
            name,
        )?;
        Ok((&deployed.active).into())
    }

    /// Edits an active mission from the app (Edit on its row): name, perimeter and, when
    /// given, its inputs.
    pub fn update_active_from_app(
        &self,
        id: &str,
        perimeter: &PerimeterDto,
        name: Option<&str>,
        inputs: Option<&BTreeMap<String, Value>>,
    ) -> Result<ActiveMissionDto, ApiError> {
        let updated = self.update_active(id, name, &Perimeter::from(perimeter), inputs)?;
        Ok((&updated).into())
    }

    /// What a live run of an active mission starts from: the template as its file is now
    /// (with the template's own perimeter), the active mission's perimeter as the operator's —
    /// as `mission run --active` runs it, so a resume can raise what the active mission set —
    /// and its inputs. The global hard caps are applied by the run as always.
    pub fn active_run_source(
        &self,
        id: &str,
    ) -> Result<(crate::RunSource, BTreeMap<String, Value>), ApiError> {
        let plan = self.prepare_active(id)?;
        Ok((
            crate::RunSource::Active {
                mission: Box::new(plan.mission),
                origin: Some(plan.template_path),
                operator: plan.active.perimeter,
            },
            plan.active.inputs,
        ))
    }
}
