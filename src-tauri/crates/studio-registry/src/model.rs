//! The library's public records, shared by the index, the queries, the batch and the API.
//! JSON field names are snake_case: they are the `mission templates list --json` contract.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The badge given to the most efficient templates by the batch (rule in the README).
pub const TOP_PERFORMANCE: &str = "top_performance";

/// A badge name, e.g. [`TOP_PERFORMANCE`].
pub type Badge = String;

/// Where a template file comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateSource {
    /// `missions/templates/` shipped with the app.
    Builtin,
    /// The operator's own folder, `<data dir>/templates/`.
    User,
}

impl TemplateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Builtin => "builtin",
            Self::User => "user",
        }
    }

    /// The stored form back (`builtin` | `user`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "builtin" => Some(Self::Builtin),
            "user" => Some(Self::User),
            _ => None,
        }
    }
}

/// Measured performance of one template, computed by the batch from the run history and stored
/// as JSON in `mission_templates.stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateStats {
    /// Finished runs considered.
    pub runs: u64,
    /// Completed runs / finished runs, 0..=1.
    pub success_rate: f64,
    /// Mean cost per run in USD ("avg gas").
    pub avg_cost_usd: f64,
    /// Mean of (value_usd - cost) per run.
    pub avg_profit_usd: f64,
    /// Measured ROI: avg profit / avg cost (None when the average cost is zero).
    pub measured_roi: Option<f64>,
    pub p50_duration_ms: u64,
    pub p95_duration_ms: u64,
    /// low | medium | high, from the failure rate and the template's tools.
    pub derived_risk: String,
    /// RFC 3339 start time of the newest run.
    pub last_run_at: Option<String>,
    /// RFC 3339 time the batch computed these figures.
    pub computed_at: String,
}

/// One template as the library lists it: the mission's registry fields plus measured stats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateSummary {
    /// The mission id (reverse DNS).
    pub id: String,
    pub name: String,
    pub sector: Option<String>,
    pub goal: Option<String>,
    pub required_depts: Vec<String>,
    /// Declared risk: low | medium | high.
    pub risk: Option<String>,
    /// Declared estimate of the ROI.
    pub est_roi: Option<f64>,
    pub value_usd: Option<f64>,
    pub tags: Vec<String>,
    pub logic_hash: String,
    /// The template file.
    pub path: PathBuf,
    pub source: TemplateSource,
    /// None until the batch has seen runs of this template.
    pub stats: Option<TemplateStats>,
    pub badges: Vec<Badge>,
    /// The ROI to show: measured when runs exist, else the declared estimate.
    pub roi: Option<f64>,
    /// True when `roi` is the declared estimate (no measured runs yet).
    pub roi_is_estimate: bool,
    /// The risk to show: derived from history by the batch when it has computed one, else
    /// the declared `risk`. The `risk` filter matches this.
    #[serde(default)]
    pub risk_level: Option<String>,
    /// What a run needs for real: `model` (an `llm` step: the operator's default provider
    /// answers it), `network` (an `http` step that calls out), `simulated_network` (`http`
    /// steps answered by the `simulation` block).
    #[serde(default)]
    pub needs: Vec<String>,
}

/// One step of a template, as the library's detail view shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepSummary {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub step_type: String,
    pub depends_on: Vec<String>,
}

/// One template in full (`mission templates show`, the library's detail pane): the summary
/// plus the mission's texts, steps, parallel levels and perimeter, read from its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateDetail {
    #[serde(flatten)]
    pub summary: TemplateSummary,
    pub description: Option<String>,
    pub objective: Option<String>,
    pub done_definition: Option<String>,
    pub context: Option<String>,
    pub constraints: Option<String>,
    pub steps: Vec<StepSummary>,
    /// The steps as parallel levels (step ids): every step of a level can run once the
    /// levels before it are done.
    pub levels: Vec<Vec<String>>,
    /// The template's default perimeter (an operator's perimeter can only tighten it).
    pub perimeter: Option<studio_core::Perimeter>,
    /// Workspace files the mission delivers.
    pub outputs: Vec<String>,
}
