//! Transport types of the History view and the evidence inspector (camelCase over IPC), and the
//! API functions that produce them from the history's domain types.

use crate::history::{RunDiff, StepDiff, StepSide};
use crate::{ApiError, ErrorCode, ResumePlan, RunOutcome, StudioApi};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use studio_core::{Mission, RunStatus};
use studio_engine::{FanOutSink, RunOptions};
use studio_store::{HistoryFacets, HistoryQuery, HistoryRow, HistorySortKey, RunSummary, StepRow};
use ts_rs::TS;

/// Filters and order of the History view; every field may be left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export_to = "RunListQuery.ts")]
pub struct RunListQuery {
    #[ts(
        optional,
        type = "\"queued\" | \"running\" | \"blocked\" | \"completed\" | \"failed\" | \"cancelled\" | \"timed_out\""
    )]
    pub status: Option<String>,
    #[ts(optional)]
    pub mission_id: Option<String>,
    /// A sector; `default` matches missions that declare none.
    #[ts(optional)]
    pub sector: Option<String>,
    /// RFC 3339 instants: runs started at or after / strictly before.
    #[ts(optional)]
    pub started_after: Option<String>,
    #[ts(optional)]
    pub started_before: Option<String>,
    /// Case-insensitive substring of the mission name or id, the run id or the reason.
    #[ts(optional)]
    pub text: Option<String>,
    #[ts(optional)]
    pub sort: Option<RunSortKey>,
    /// Descending order (the default for `started`).
    #[ts(optional)]
    pub descending: Option<bool>,
    /// At most this many runs (default 500).
    #[ts(optional)]
    pub limit: Option<u32>,
}

/// A column the history can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "RunSortKey.ts")]
pub enum RunSortKey {
    Started,
    Duration,
    Cost,
    Mission,
    Status,
    Steps,
    /// Best match first: the order of a search (`search_runs`); a plain list sorts by start.
    Relevance,
}

/// One run as the History table lists it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "RunListItem.ts")]
pub struct RunListItem {
    pub run_id: String,
    pub mission_id: String,
    pub mission_name: String,
    /// The mission's sector; `default` when it declares none.
    pub sector: String,
    #[ts(
        type = "\"queued\" | \"running\" | \"blocked\" | \"completed\" | \"failed\" | \"cancelled\" | \"timed_out\""
    )]
    pub status: String,
    pub reason: Option<String>,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub duration_ms: u64,
    pub cost_usd: f64,
    pub tokens: u64,
    pub llm_calls: u64,
    pub step_count: u32,
    pub resumed_from: Option<String>,
    pub evidence_dir: Option<String>,
    /// Some answer of the run was simulated (a `simulation` block, the simulated model).
    pub simulated: bool,
    /// The lines that matched a search, best first (`search_runs` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<crate::history_search::RunMatchItem>>", optional)]
    pub matches: Vec<crate::history_search::RunMatchItem>,
}

/// A mission seen in the history, for the filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "MissionFacet.ts")]
pub struct MissionFacet {
    pub mission_id: String,
    pub name: String,
    pub runs: u32,
}

/// The History table: runs that pass the query and what the filters can offer.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "RunList.ts")]
pub struct RunList {
    pub runs: Vec<RunListItem>,
    pub missions: Vec<MissionFacet>,
    pub sectors: Vec<String>,
    /// Runs in the history, whatever the filters.
    pub total_runs: u32,
}

/// A step of a run: its place in the mission's graph and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "RunStepItem.ts")]
pub struct RunStepItem {
    pub id: String,
    pub name: Option<String>,
    pub step_type: String,
    pub depends_on: Vec<String>,
    /// The final state; `pending` for a step that has no row (the run never reached it).
    #[ts(
        type = "\"pending\" | \"running\" | \"blocked\" | \"success\" | \"failed\" | \"skipped\" | \"cancelled\""
    )]
    pub status: String,
    pub attempts: u32,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub duration_ms: u64,
    #[ts(type = "unknown")]
    pub output: Option<Value>,
    pub error: Option<String>,
    /// The run whose output was reused (a resumed run).
    pub reused_from: Option<String>,
    /// Why its answer is not real: `simulation` (the mission's `simulation` block) or
    /// `model` (the built-in simulated provider); absent for a step that really ran.
    #[ts(type = "\"simulation\" | \"model\" | null")]
    pub simulated: Option<String>,
}

/// One run opened from the History: its summary, steps (with the graph) and evidence folder.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "RunDetail.ts")]
pub struct RunDetail {
    pub run: RunListItem,
    pub trace_id: String,
    pub logic_hash: String,
    pub description: Option<String>,
    /// In mission order.
    pub steps: Vec<RunStepItem>,
    /// Failed, cancelled or timed out: "Resume from failure" applies.
    pub resumable: bool,
    /// Runs that resumed this one, newest first.
    pub resumed_by: Vec<String>,
}

/// One side of a step in a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "StepSideItem.ts")]
pub struct StepSideItem {
    #[ts(
        type = "\"pending\" | \"running\" | \"blocked\" | \"success\" | \"failed\" | \"skipped\" | \"cancelled\""
    )]
    pub status: String,
    pub duration_ms: u64,
    pub attempts: u32,
    #[ts(type = "unknown")]
    pub output: Option<Value>,
    pub error: Option<String>,
    pub reused_from: Option<String>,
}

/// One step in both runs.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "StepCompare.ts")]
pub struct StepCompare {
    pub step_id: String,
    pub a: Option<StepSideItem>,
    pub b: Option<StepSideItem>,
    pub same_status: bool,
    pub same_output: bool,
}

/// Two runs side by side.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "RunCompare.ts")]
pub struct RunCompare {
    pub a: RunListItem,
    pub b: RunListItem,
    pub steps: Vec<StepCompare>,
}

/// A resume that was started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "ResumeStarted.ts")]
pub struct ResumeStarted {
    pub run_id: String,
    pub resumed_from: String,
    pub reused_steps: Vec<String>,
    pub rerun_steps: Vec<String>,
}

fn sector_of(sector: Option<String>) -> String {
    sector
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "default".to_string())
}

pub(crate) fn item(run: RunSummary, sector: Option<String>, simulated: bool) -> RunListItem {
    RunListItem {
        simulated,
        matches: Vec::new(),
        sector: sector_of(sector),
        status: run.status.as_str().to_string(),
        duration_ms: run.usage.runtime_ms,
        cost_usd: run.usage.cost_usd,
        tokens: run.usage.tokens,
        llm_calls: run.usage.llm_calls,
        step_count: run.step_count,
        run_id: run.run_id,
        mission_id: run.mission_id,
        mission_name: run.mission_name,
        reason: run.reason,
        started_at: run.started_at,
        finished_at: run.finished_at,
        resumed_from: run.resumed_from,
        evidence_dir: run.evidence_dir,
    }
}

/// The History table of `runs`, with what the filters can offer.
pub(crate) fn run_list(runs: Vec<RunListItem>, facets: HistoryFacets) -> RunList {
    RunList {
        runs,
        missions: facets
            .missions
            .into_iter()
            .map(|(mission_id, name, runs)| MissionFacet {
                mission_id,
                name,
                runs,
            })
            .collect(),
        sectors: facets.sectors,
        total_runs: facets.total_runs,
    }
}

fn side(s: StepSide) -> StepSideItem {
    StepSideItem {
        status: s.status.as_str().to_string(),
        duration_ms: s.duration_ms,
        attempts: s.attempts,
        output: s.output,
        error: s.error,
        reused_from: s.reused_from,
    }
}

fn instant(text: Option<String>, field: &str) -> Result<Option<String>, ApiError> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    let t = chrono::DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidInput,
            format!("{field} `{text}` is not an RFC 3339 instant: {e}"),
        )
    })?;
    Ok(Some(
        t.with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    ))
}

impl RunListQuery {
    pub(crate) fn to_store(&self) -> Result<HistoryQuery, ApiError> {
        let status = match self.status.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(
                serde_json::from_value::<RunStatus>(Value::String(s.to_string())).map_err(
                    |_| {
                        ApiError::new(
                            ErrorCode::InvalidInput,
                            format!(
                                "unknown run status `{s}`; expected queued, running, blocked, \
                                 completed, failed, cancelled or timed_out"
                            ),
                        )
                    },
                )?,
            ),
        };
        let sort = match self.sort.unwrap_or(RunSortKey::Started) {
            RunSortKey::Started => HistorySortKey::Started,
            RunSortKey::Duration => HistorySortKey::Duration,
            RunSortKey::Cost => HistorySortKey::Cost,
            RunSortKey::Mission => HistorySortKey::Mission,
            RunSortKey::Status => HistorySortKey::Status,
            RunSortKey::Steps => HistorySortKey::Steps,
            RunSortKey::Relevance => HistorySortKey::Relevance,
        };
        let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        Ok(HistoryQuery {
            status,
            mission_id: nonempty(&self.mission_id),
            sector: nonempty(&self.sector),
            started_after: instant(self.started_after.clone(), "startedAfter")?,
            started_before: instant(self.started_before.clone(), "startedBefore")?,
            text: nonempty(&self.text),
            descending: self
                .descending
                .unwrap_or(matches!(sort, HistorySortKey::Started)),
            sort,
            limit: Some(self.limit.unwrap_or(500).clamp(1, 5000)),
        })
    }
}

impl StudioApi {
    /// "Resume from failure": the plan, the new run's options (fresh ids, the earlier run's
    /// inputs) and what the UI is told. Run it with [`StudioApi::run_resume`].
    pub fn prepare_resume_start(
        &self,
        run_id: &str,
    ) -> Result<(ResumePlan, RunOptions, ResumeStarted), ApiError> {
        let plan = self.prepare_resume(run_id)?;
        let mut options = RunOptions::new(std::path::PathBuf::new());
        options.context = plan.context.clone();
        let started = ResumeStarted {
            run_id: options.run_id.clone(),
            resumed_from: plan.from_run.clone(),
            reused_steps: plan.reuse.keys().cloned().collect(),
            rerun_steps: plan.rerun_steps(),
        };
        Ok((plan, options, started))
    }

    /// Runs a prepared resume to its end, recorded in the history and its evidence folder.
    pub async fn run_resume(
        &self,
        plan: &ResumePlan,
        options: RunOptions,
    ) -> Result<RunOutcome, ApiError> {
        self.resume_recorded(plan, options, FanOutSink::new()).await
    }

    /// The History table: runs that pass the query, and the missions and sectors to filter by.
    pub fn list_runs(&self, query: &RunListQuery) -> Result<RunList, ApiError> {
        let q = query.to_store()?;
        self.with_store(|s| {
            let rows = s.query_history(&q)?;
            let runs = rows
                .into_iter()
                .map(
                    |HistoryRow {
                         run,
                         sector,
                         simulated,
                     }| item(run, sector, simulated),
                )
                .collect();
            Ok(run_list(runs, s.history_facets()?))
        })
    }

    /// One run with its steps in the mission's graph, each with its final state.
    pub fn run_detail(&self, run_id: &str) -> Result<RunDetail, ApiError> {
        let (run, rows, mission, resumed_by) = self.with_store(|s| {
            let run = s.run(run_id)?;
            let rows = s.steps(run_id)?;
            let mission = s.run_mission(run_id)?;
            let resumed_by = s
                .query_history(&HistoryQuery {
                    mission_id: Some(run.mission_id.clone()),
                    descending: true,
                    ..HistoryQuery::default()
                })?
                .into_iter()
                .filter(|r| r.run.resumed_from.as_deref() == Some(run_id))
                .map(|r| r.run.run_id)
                .collect::<Vec<_>>();
            Ok((run, rows, mission, resumed_by))
        })?;
        let mission: Option<Mission> = serde_json::from_value(mission).ok();
        let sector = mission.as_ref().and_then(|m| m.sector.clone());
        let description = mission.as_ref().and_then(|m| m.description.clone());
        let steps = merge_steps(mission.as_ref(), rows);
        let simulated = steps.iter().any(|s| s.simulated.is_some());
        let resumable = matches!(
            run.status,
            RunStatus::Failed | RunStatus::Cancelled | RunStatus::TimedOut
        );
        Ok(RunDetail {
            trace_id: run.trace_id.clone(),
            logic_hash: run.logic_hash.clone(),
            run: item(run, sector, simulated),
            description,
            steps,
            resumable,
            resumed_by,
        })
    }

    /// Two runs side by side, for the History's Compare view.
    pub fn compare_runs(&self, a: &str, b: &str) -> Result<RunCompare, ApiError> {
        let RunDiff {
            a: ra,
            b: rb,
            steps,
        } = self.diff_runs(a, b)?;
        let sector = |id: &str| -> Option<String> {
            self.with_store(|s| Ok(s.run_mission(id)?))
                .ok()
                .and_then(|m| m.get("sector").and_then(Value::as_str).map(str::to_string))
        };
        let (sa, sb) = (sector(a), sector(b));
        let simulated = |id: &str| {
            self.with_store(|s| Ok(s.run_simulated(id)?))
                .unwrap_or(false)
        };
        let (ma, mb) = (simulated(a), simulated(b));
        Ok(RunCompare {
            a: item(ra, sa, ma),
            b: item(rb, sb, mb),
            steps: steps
                .into_iter()
                .map(
                    |StepDiff {
                         step_id,
                         a,
                         b,
                         same_status,
                         same_output,
                     }| StepCompare {
                        step_id,
                        a: a.map(side),
                        b: b.map(side),
                        same_status,
                        same_output,
                    },
                )
                .collect(),
        })
    }
}

/// The mission's steps (graph order and edges) with the recorded rows; rows of steps the mission
/// no longer names come last.
fn merge_steps(mission: Option<&Mission>, rows: Vec<StepRow>) -> Vec<RunStepItem> {
    let mut rows: Vec<Option<StepRow>> = rows.into_iter().map(Some).collect();
    let mut out = Vec::new();
    if let Some(m) = mission {
        for step in &m.steps {
            let row = rows
                .iter_mut()
                .find(|r| r.as_ref().is_some_and(|r| r.step_id == step.id))
                .and_then(Option::take);
            let mut item = step_item(
                step.id.clone(),
                step.name.clone(),
                step.step_type.clone(),
                step.depends_on.clone(),
                row,
            );
            if item.status != "pending" {
                item.simulated = crate::live::simulated_answer(m, step, item.output.as_ref())
                    .map(str::to_string);
            }
            out.push(item);
        }
    }
    for row in rows.into_iter().flatten() {
        out.push(step_item(
            row.step_id.clone(),
            None,
            row.step_type.clone(),
            Vec::new(),
            Some(row),
        ));
    }
    out
}

fn step_item(
    id: String,
    name: Option<String>,
    step_type: String,
    depends_on: Vec<String>,
    row: Option<StepRow>,
) -> RunStepItem {
    match row {
        Some(r) => RunStepItem {
            id,
            name,
            step_type,
            depends_on,
            status: r.status.as_str().to_string(),
            attempts: r.attempts,
            started_at: r.started_at,
            finished_at: r.finished_at,
            duration_ms: r.duration_ms,
            output: r.output,
            error: r.error,
            reused_from: r.reused_from,
            simulated: None,
        },
        None => RunStepItem {
            id,
            name,
            step_type,
            depends_on,
            status: "pending".to_string(),
            attempts: 0,
            started_at: None,
            finished_at: None,
            duration_ms: 0,
            output: None,
            error: None,
            reused_from: None,
            simulated: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_checked_and_normalised() {
        let q = RunListQuery {
            status: Some("failed".into()),
            started_after: Some("2026-01-02T03:04:05+02:00".into()),
            text: Some("  ".into()),
            ..RunListQuery::default()
        }
        .to_store()
        .unwrap();
        assert_eq!(q.status, Some(RunStatus::Failed));
        assert_eq!(q.started_after.as_deref(), Some("2026-01-02T01:04:05.000Z"));
        assert_eq!(q.text, None, "blank text is no filter");
        assert!(q.descending, "newest first by default");

        let bad = RunListQuery {
            status: Some("exploded".into()),
            ..RunListQuery::default()
        }
        .to_store()
        .unwrap_err();
        assert_eq!(bad.code, ErrorCode::InvalidInput);
        assert!(bad.message.contains("exploded"), "{}", bad.message);
        let bad = RunListQuery {
            started_before: Some("yesterday".into()),
            ..RunListQuery::default()
        }
        .to_store()
        .unwrap_err();
        assert!(bad.message.contains("startedBefore"), "{}", bad.message);
    }
}
