//! The library's transport types for the app (camelCase, generated into `ui/src/gen/`): the
//! template cards and detail, perimeters, active missions, a template's runs and the approval
//! preview. The registry's own records keep their snake_case JSON for the CLI.

use serde::{Deserialize, Serialize};
use studio_core::{Approval, ApprovalMode, Budget, Perimeter, Sandbox, ToolRules};
use studio_registry::{ActiveMission, StepSummary, TemplateDetail, TemplateStats, TemplateSummary};
use ts_rs::TS;

/// Measured figures of one template (the daily batch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "LibraryTemplateStats.ts")]
pub struct LibraryTemplateStats {
    pub runs: u64,
    pub success_rate: f64,
    pub avg_cost_usd: f64,
    pub avg_profit_usd: f64,
    pub measured_roi: Option<f64>,
    pub p50_duration_ms: u64,
    pub p95_duration_ms: u64,
    pub derived_risk: String,
    pub last_run_at: Option<String>,
}

/// One template card of the Library page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "LibraryTemplate.ts")]
pub struct LibraryTemplate {
    pub id: String,
    pub name: String,
    pub sector: Option<String>,
    pub goal: Option<String>,
    pub required_depts: Vec<String>,
    /// Declared risk.
    pub risk: Option<String>,
    /// The risk to show: derived from history when measured, else declared.
    pub risk_level: Option<String>,
    pub est_roi: Option<f64>,
    pub value_usd: Option<f64>,
    pub tags: Vec<String>,
    pub logic_hash: String,
    pub path: String,
    /// `builtin` or `user`.
    pub source: String,
    pub stats: Option<LibraryTemplateStats>,
    pub badges: Vec<String>,
    /// Measured ROI when runs exist, else the declared estimate.
    pub roi: Option<f64>,
    pub roi_is_estimate: bool,
    /// What a run needs for real: `model` (an `llm` step, answered by the default provider),
    /// `network` (an `http` step that calls out), `simulated_network` (`http` steps answered by
    /// the template's `simulation` block).
    #[ts(type = "Array<\"model\" | \"network\" | \"simulated_network\">")]
    pub needs: Vec<String>,
}

/// One step of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "LibraryStep.ts")]
pub struct LibraryStep {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub step_type: String,
    pub depends_on: Vec<String>,
}

/// One template in full, for the detail panel and the configurator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "LibraryTemplateDetail.ts")]
pub struct LibraryTemplateDetail {
    #[serde(flatten)]
    #[ts(flatten)]
    pub summary: LibraryTemplate,
    pub description: Option<String>,
    pub objective: Option<String>,
    pub done_definition: Option<String>,
    pub context: Option<String>,
    pub constraints: Option<String>,
    pub steps: Vec<LibraryStep>,
    pub levels: Vec<Vec<String>>,
    /// The template's default perimeter.
    pub perimeter: Option<PerimeterDto>,
    pub outputs: Vec<String>,
}

/// Approval mode over IPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export_to = "ApprovalModeDto.ts")]
pub enum ApprovalModeDto {
    Strict,
    Threshold,
    Auto,
}

/// Sandbox over IPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export_to = "SandboxDto.ts")]
pub enum SandboxDto {
    ReadOnly,
    FullAccess,
}

/// Budget caps; `null` = no cap at this level.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export_to = "BudgetDto.ts")]
pub struct BudgetDto {
    pub max_cost_usd: Option<f64>,
    pub max_tokens: Option<u64>,
    pub max_llm_calls: Option<u64>,
    pub max_steps: Option<u64>,
    pub max_runtime_minutes: Option<f64>,
}

/// A perimeter (global caps, a template's defaults or the operator's Quick Deploy), flat.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export_to = "PerimeterDto.ts")]
pub struct PerimeterDto {
    pub budget: BudgetDto,
    pub approval_mode: Option<ApprovalModeDto>,
    pub threshold_usd: Option<f64>,
    pub required_for: Vec<String>,
    pub sandbox: Option<SandboxDto>,
    pub allowed_tools: Vec<String>,
    pub forbidden_tools: Vec<String>,
    pub connected_sectors: Vec<String>,
}

/// A saved active mission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "ActiveMissionDto.ts")]
pub struct ActiveMissionDto {
    pub id: String,
    pub template_id: String,
    pub name: String,
    pub perimeter: PerimeterDto,
    /// The run inputs saved with it (`{{name}}` in the mission).
    #[ts(type = "Record<string, unknown>")]
    pub inputs: std::collections::BTreeMap<String, serde_json::Value>,
    pub logic_hash: String,
    pub created_at: String,
    pub updated_at: String,
}

/// One run of a template, for its small history chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "TemplateRun.ts")]
pub struct TemplateRun {
    pub run_id: String,
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub cost_usd: f64,
    pub duration_ms: u64,
}

/// Whether one step will wait for approval under a perimeter, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "StepApprovalPreview.ts")]
pub struct StepApprovalPreview {
    pub step_id: String,
    pub needs_approval: bool,
    pub reason: Option<String>,
}

impl From<&TemplateStats> for LibraryTemplateStats {
    fn from(s: &TemplateStats) -> Self {
        Self {
            runs: s.runs,
            success_rate: s.success_rate,
            avg_cost_usd: s.avg_cost_usd,
            avg_profit_usd: s.avg_profit_usd,
            measured_roi: s.measured_roi,
            p50_duration_ms: s.p50_duration_ms,
            p95_duration_ms: s.p95_duration_ms,
            derived_risk: s.derived_risk.clone(),
            last_run_at: s.last_run_at.clone(),
        }
    }
}

impl From<&TemplateSummary> for LibraryTemplate {
    fn from(t: &TemplateSummary) -> Self {
        Self {
            id: t.id.clone(),
            name: t.name.clone(),
            sector: t.sector.clone(),
            goal: t.goal.clone(),
            required_depts: t.required_depts.clone(),
            risk: t.risk.clone(),
            risk_level: t.risk_level.clone().or_else(|| t.risk.clone()),
            est_roi: t.est_roi,
            value_usd: t.value_usd,
            tags: t.tags.clone(),
            logic_hash: t.logic_hash.clone(),
            path: t.path.display().to_string(),
            source: t.source.as_str().to_string(),
            stats: t.stats.as_ref().map(Into::into),
            badges: t.badges.clone(),
            roi: t.roi,
            roi_is_estimate: t.roi_is_estimate,
            needs: t.needs.clone(),
        }
    }
}

impl From<&StepSummary> for LibraryStep {
    fn from(s: &StepSummary) -> Self {
        Self {
            id: s.id.clone(),
            name: s.name.clone(),
            description: s.description.clone(),
            step_type: s.step_type.clone(),
            depends_on: s.depends_on.clone(),
        }
    }
}

impl From<&TemplateDetail> for LibraryTemplateDetail {
    fn from(d: &TemplateDetail) -> Self {
        Self {
            summary: (&d.summary).into(),
            description: d.description.clone(),
            objective: d.objective.clone(),
            done_definition: d.done_definition.clone(),
            context: d.context.clone(),
            constraints: d.constraints.clone(),
            steps: d.steps.iter().map(Into::into).collect(),
            levels: d.levels.clone(),
            perimeter: d.perimeter.as_ref().map(Into::into),
            outputs: d.outputs.clone(),
        }
    }
}

impl From<&ActiveMission> for ActiveMissionDto {
    fn from(m: &ActiveMission) -> Self {
        Self {
            id: m.id.clone(),
            template_id: m.template_id.clone(),
            name: m.name.clone(),
            perimeter: (&m.perimeter).into(),
            inputs: m.inputs.clone(),
            logic_hash: m.logic_hash.clone(),
            created_at: m.created_at.clone(),
            updated_at: m.updated_at.clone(),
        }
    }
}

impl From<ApprovalMode> for ApprovalModeDto {
    fn from(m: ApprovalMode) -> Self {
        match m {
            ApprovalMode::Strict => Self::Strict,
            ApprovalMode::Threshold => Self::Threshold,
            ApprovalMode::Auto => Self::Auto,
        }
    }
}

impl From<ApprovalModeDto> for ApprovalMode {
    fn from(m: ApprovalModeDto) -> Self {
        match m {
            ApprovalModeDto::Strict => Self::Strict,
            ApprovalModeDto::Threshold => Self::Threshold,
            ApprovalModeDto::Auto => Self::Auto,
        }
    }
}

impl From<Sandbox> for SandboxDto {
    fn from(s: Sandbox) -> Self {
        match s {
            Sandbox::ReadOnly => Self::ReadOnly,
            Sandbox::FullAccess => Self::FullAccess,
        }
    }
}

impl From<SandboxDto> for Sandbox {
    fn from(s: SandboxDto) -> Self {
        match s {
            SandboxDto::ReadOnly => Self::ReadOnly,
            SandboxDto::FullAccess => Self::FullAccess,
        }
    }
}

impl From<&Perimeter> for PerimeterDto {
    fn from(p: &Perimeter) -> Self {
        let b = p.budget.clone().unwrap_or_default();
        let tools = p.tools.clone().unwrap_or_default();
        Self {
            budget: BudgetDto {
                max_cost_usd: b.max_cost_usd,
                max_tokens: b.max_tokens,
                max_llm_calls: b.max_llm_calls,
                max_steps: b.max_steps,
                max_runtime_minutes: b.max_runtime_minutes,
            },
            approval_mode: p.approval.as_ref().map(|a| a.mode.into()),
            threshold_usd: p.approval.as_ref().and_then(|a| a.threshold_usd),
            required_for: p
                .approval
                .as_ref()
                .map(|a| a.required_for.clone())
                .unwrap_or_default(),
            sandbox: p.sandbox.map(Into::into),
            allowed_tools: tools.allowed,
            forbidden_tools: tools.forbidden,
            connected_sectors: p.connected_sectors.clone(),
        }
    }
}

impl From<&PerimeterDto> for Perimeter {
    fn from(d: &PerimeterDto) -> Self {
        let b = &d.budget;
        let budget = Budget {
            max_cost_usd: b.max_cost_usd,
            max_tokens: b.max_tokens,
            max_llm_calls: b.max_llm_calls,
            max_steps: b.max_steps,
            max_runtime_minutes: b.max_runtime_minutes,
        };
        let has_approval =
            d.approval_mode.is_some() || d.threshold_usd.is_some() || !d.required_for.is_empty();
        let has_tools = !d.allowed_tools.is_empty() || !d.forbidden_tools.is_empty();
        Perimeter {
            budget: (budget != Budget::default()).then_some(budget),
            approval: has_approval.then(|| Approval {
                mode: d.approval_mode.map(Into::into).unwrap_or_default(),
                threshold_usd: d.threshold_usd,
                required_for: d.required_for.clone(),
            }),
            sandbox: d.sandbox.map(Into::into),
            tools: has_tools.then(|| ToolRules {
                allowed: d.allowed_tools.clone(),
                forbidden: d.forbidden_tools.clone(),
            }),
            connected_sectors: d.connected_sectors.clone(),
            // Granted in perimeter files only (`mission run --perimeter`), not in the app's forms.
            roots: Vec::new(),
            network: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perimeter_survives_the_round_trip_through_the_dto() {
        let p = Perimeter {
            budget: Some(Budget {
                max_cost_usd: Some(1.5),
                max_tokens: Some(4000),
                max_llm_calls: None,
                max_steps: Some(12),
                max_runtime_minutes: Some(5.0),
            }),
            approval: Some(Approval {
                mode: ApprovalMode::Threshold,
                threshold_usd: Some(0.1),
                required_for: vec!["http".into()],
            }),
            sandbox: Some(Sandbox::ReadOnly),
            tools: Some(ToolRules {
                allowed: vec!["llm".into()],
                forbidden: vec!["ssh_execute".into()],
            }),
            connected_sectors: vec!["Finance".into()],
            // Granted in perimeter files only: the app's forms never carry one.
            roots: Vec::new(),
            network: None,
        };
        let dto = PerimeterDto::from(&p);
        assert_eq!(dto.approval_mode, Some(ApprovalModeDto::Threshold));
        assert_eq!(Perimeter::from(&dto), p);
        let json = serde_json::to_value(&dto).unwrap();
        assert_eq!(json["budget"]["maxCostUsd"], 1.5);
        assert_eq!(json["sandbox"], "read-only");
    }

    #[test]
    fn an_empty_dto_is_an_empty_perimeter() {
        assert_eq!(
            Perimeter::from(&PerimeterDto::default()),
            Perimeter::default()
        );
    }
}
